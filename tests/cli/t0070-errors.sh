#!/bin/sh
# Errors: a missing store, a bad config, init twice, unwritable output.
# Each names the culprit, exits with the documented code, changes nothing.
. "$(dirname "$0")/lib.sh"

# No store yet: 69 and a sentence that says what to do.
no_store="there is no store at $STORE/umgmt.db; run 'umctl init' to create it"
expect_refusal 69 "umctl: cannot read the store's status: $no_store" umctl status
expect_refusal 69 "umctl: cannot list users: $no_store" umctl user list
expect_refusal 69 "umctl: cannot show user 'bob': $no_store" umctl user show bob
expect_refusal 69 "umctl: cannot list groups: $no_store" umctl group list
expect_refusal 69 "umctl: cannot add user 'bob': $no_store" umctl user add bob
check "a failed command created no store" test ! -e "$STORE/umgmt.db"

# Config errors: 78, naming file, line and key.
write_config "[users]" "colour = blue"
expect_refusal 78 "umctl: cannot load the configuration: $CONF:8: unknown key 'colour' in section [users]" \
	umctl status
write_config "[ids]" "uid_min = 0x10"
expect_refusal 78 "umctl: cannot load the configuration: $CONF:8: bad value '0x10' for key 'uid_min' in [ids]: expected a number from 1 to 4294967294" \
	umctl user list
write_config "[frobs]" "a = b"
expect_refusal 78 "umctl: cannot load the configuration: $CONF:8: unknown key 'a' in section [frobs]" \
	umctl init
check "a bad config created no store" test ! -e "$STORE"
write_config "this is not ini"
expect_refusal 78 "umctl: cannot load the configuration: $CONF:7: expected 'key = value', found 'this is not ini'" \
	umctl init
write_config
chmod 0666 "$CONF"
expect_refusal 78 "umctl: cannot load the configuration: $CONF is writable by group or others (mode 0666); refusing to trust it" \
	umctl status
chmod 0644 "$CONF"
expect_refusal 78 "umctl: cannot load the configuration: $T/nonexistent.conf: no such file" \
	"$UMCTL" --config "$T/nonexistent.conf" status
expect_refusal 78 "umctl: cannot load the configuration: $T is not a regular file" \
	"$UMCTL" --config "$T" status

# init twice: 73, nothing touched.
expect_exit 0 umctl init
expect_exit 0 umctl user add bob
sum_before=$(sha256sum "$STORE/umgmt.db" "$STORE/directory.db")
stat_before=$(stat -c '%i %Y %s %a' "$STORE/umgmt.db" "$STORE/directory.db")
remember_state
expect_refusal 73 "umctl: cannot create the store in $STORE: a store already exists at $STORE/umgmt.db; nothing was changed" \
	umctl init
check "init twice: truth and snapshot untouched" \
	test "$sum_before" = "$(sha256sum "$STORE/umgmt.db" "$STORE/directory.db")"
check "init twice: same inodes, times, sizes, modes" \
	test "$stat_before" = "$(stat -c '%i %Y %s %a' "$STORE/umgmt.db" "$STORE/directory.db")"
expect_unchanged "init twice"

# An untrusted store is refused (77, like any permission problem), not used.
chmod 0644 "$STORE/umgmt.db"
expect_refusal 77 "umctl: cannot list users: the store is unusable: $STORE/umgmt.db is accessible by group or others (mode 0644); it must be 0600" \
	umctl user list
chmod 0600 "$STORE/umgmt.db"
expect_exit 0 umctl user list

# Output that cannot be written is an I/O error, not a silent success.
if [ -w /dev/full ]; then
	"$UMCTL" --config "$CONF" user list >/dev/full 2>"$ERR"
	rc=$?
	if [ "$rc" = 74 ]; then ok "write error: exit 74"; else not_ok "write error: exit 74 (got $rc)"; fi
	expect_err_line "umctl: cannot write the output: No space left on device"
fi

# Error messages keep the terminal sane: control characters are escaped.
expect_refusal 65 "umctl: cannot add user 'x\\x1b[2Jy': user name may contain only lowercase ASCII letters, digits, '-' and '_' (found a control character)" \
	umctl user add -- "$(printf 'x\033[2Jy')"
check "no raw escape on stderr" sh -c "! grep -q \"\$(printf '\\033')\" '$ERR'"

finish

#!/bin/sh
# Errors: a missing store, a bad config, init twice, unwritable output.
# Each names the culprit, exits with the documented code, changes nothing.
. "$(dirname "$0")/lib.sh"

# No store yet: 69 and a sentence that says what to do.
for cmd in "status" "user list" "user show bob" "group list" "user add bob"; do
	# shellcheck disable=SC2086
	expect_exit 69 umctl $cmd
	expect_err "run 'umctl init'"
done
check "a failed command created no store" test ! -e "$STORE/umgmt.db"

# Config errors: 78, naming file, line and key.
write_config "[users]" "colour = blue"
expect_exit 78 umctl status
expect_err "$CONF"
expect_err ":8"
expect_err "colour"
write_config "[ids]" "uid_min = 0x10"
expect_exit 78 umctl user list
expect_err "uid_min"
write_config "[frobs]" "a = b"
expect_exit 78 umctl init
check "a bad config created no store" test ! -e "$STORE"
write_config "this is not ini"
expect_exit 78 umctl init
write_config
chmod 0666 "$CONF"
expect_exit 78 umctl status
expect_err "writable"
chmod 0644 "$CONF"
expect_exit 78 "$UMCTL" --config "$T/nonexistent.conf" status
expect_err "$T/nonexistent.conf"
expect_exit 78 "$UMCTL" --config "$T" status

# init twice: 73, nothing touched.
expect_exit 0 umctl init
expect_exit 0 umctl user add bob
sum_before=$(sha256sum "$STORE/umgmt.db" "$STORE/directory.db")
stat_before=$(stat -c '%i %Y %s %a' "$STORE/umgmt.db" "$STORE/directory.db")
remember_state
expect_exit 73 umctl init
expect_err "already exists"
check "init twice: truth and snapshot untouched" \
	test "$sum_before" = "$(sha256sum "$STORE/umgmt.db" "$STORE/directory.db")"
check "init twice: same inodes, times, sizes, modes" \
	test "$stat_before" = "$(stat -c '%i %Y %s %a' "$STORE/umgmt.db" "$STORE/directory.db")"
expect_unchanged "init twice"

# An untrusted store is refused (77, like any permission problem), not used.
chmod 0644 "$STORE/umgmt.db"
expect_exit 77 umctl user list
expect_err "umgmt.db"
chmod 0600 "$STORE/umgmt.db"
expect_exit 0 umctl user list

# Output that cannot be written is an I/O error, not a silent success.
if [ -w /dev/full ]; then
	"$UMCTL" --config "$CONF" user list >/dev/full 2>"$ERR"
	rc=$?
	if [ "$rc" = 74 ]; then ok "write error: exit 74"; else not_ok "write error: exit 74 (got $rc)"; fi
	expect_err "cannot write"
fi

# Error messages keep the terminal sane: control characters are escaped.
expect_exit 65 umctl user add -- "$(printf 'x\033[2Jy')"
check "no raw escape on stderr" sh -c "! grep -q \"\$(printf '\\033')\" '$ERR'"
expect_err 'x\x1b[2Jy'

finish

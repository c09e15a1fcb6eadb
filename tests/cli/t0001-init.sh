#!/bin/sh
# umctl init creates the store; umctl status describes it.
. "$(dirname "$0")/lib.sh"

expect_refusal 69 "umctl: cannot read the store's status: there is no store at $STORE/umgmt.db; run 'umctl init' to create it" \
	umctl status

expect_exit 0 umctl init
expect_out "$STORE/umgmt.db"
check "truth exists, mode 0600" test "$(stat -c %a "$STORE/umgmt.db")" = 600
check "snapshot exists, mode 0644" test "$(stat -c %a "$STORE/directory.db")" = 644

expect_exit 0 umctl status
expect_out "schema version:"
expect_out "snapshot current:     yes"
expect_out "users:                0"

expect_exit 0 umctl status --json
expect_json 0 users
expect_json 0 groups
expect_json true snapshot_current
expect_json "$STORE/directory.db" snapshot_path
expect_json "$STORE/umgmt.db" truth_path

# The NSS path: the compile-time default, or UMGMT_DIRECTORY for tests.
expect_exit 0 env UMGMT_DIRECTORY="$STORE/directory.db" "$UMCTL" --config "$CONF" status --json
expect_json true nss_reads_snapshot
expect_json "$STORE/directory.db" nss_path
expect_exit 0 env UMGMT_DIRECTORY=/nonexistent/directory.db "$UMCTL" --config "$CONF" status --json
expect_json false nss_reads_snapshot
expect_err "NSS module reads /nonexistent/directory.db"

# A snapshot that is behind the truth (a crash between commit and publish)
# is republished by status.
expect_exit 0 umctl user add alice
cp "$STORE/directory.db" "$T/new.db"
expect_exit 0 umctl user add bob
cp "$T/new.db" "$STORE/directory.db"
expect_exit 0 umctl status --json
expect_err "republished"
expect_json true snapshot_current
expect_exit 0 umctl status
expect_out "snapshot current:     yes"

# A missing snapshot too.
rm -f "$STORE/directory.db"
expect_exit 0 umctl status --json
expect_json true snapshot_current
check "snapshot is back" test -f "$STORE/directory.db"

finish

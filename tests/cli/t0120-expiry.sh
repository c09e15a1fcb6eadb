#!/bin/sh
# user edit --expires/--no-expiry and user passwd --expire: the dates and
# the forced password change, and refusals that change nothing.
. "$(dirname "$0")/lib.sh"
TZ=UTC
export TZ

snapshot() {
	state
	umctl user show bob --json 2>&1
}
refused_here() {
	snapshot >"$T/snap.before"
	expect_exit "$@"
	snapshot >"$T/snap.after"
	if cmp -s "$T/snap.before" "$T/snap.after"; then
		ok "store unchanged: $(describe "$@")"
	else
		not_ok "store unchanged: $(describe "$@")"
		diff "$T/snap.before" "$T/snap.after" | head -20 | sed 's/^/#   /'
	fi
}

expect_exit 0 umctl init
expect_exit 0 umctl user add bob
expect_exit 0 umctl user show bob --json
expect_json null expires_on
expect_json false must_change_password

# --expires alone, then with another change, then --no-expiry.
expect_exit 0 umctl user edit bob --expires 2026-12-01
expect_no_out
expect_exit 0 umctl user show bob --json
expect_json 2026-12-01 expires_on
expect_exit 0 umctl user show bob
expect_out "expires on:           2026-12-01"
expect_exit 0 umctl user edit bob --full-name 'Bob Builder' --expires 2027-01-31
expect_exit 0 umctl user show bob --json
expect_json 2027-01-31 expires_on
expect_json 'Bob Builder' full_name
# with a rename, the date lands on the renamed user
expect_exit 0 umctl user edit bob --rename robert --expires 2027-02-28
expect_exit 0 umctl user show robert --json
expect_json 2027-02-28 expires_on
expect_exit 0 umctl user edit robert --rename bob
expect_exit 0 umctl user edit bob --no-expiry
expect_exit 0 umctl user show bob --json
expect_json null expires_on
# an expiry in the past is allowed: it expires the account now
expect_exit 0 umctl user edit bob --expires 2001-01-01
expect_exit 0 umctl user show bob --json
expect_json 2001-01-01 expires_on
expect_exit 0 umctl user edit bob --no-expiry

# Refusals.
refused_here 65 umctl user edit bob --expires 2026-02-30
expect_err "2026-02-30"
refused_here 65 umctl user edit bob --expires 2026-2-3
expect_err "2026-2-3"
refused_here 65 umctl user edit bob --expires ''
refused_here 65 umctl user edit bob --full-name 'New Name' --expires 1969-12-31
expect_err "1969-12-31"
refused_here 64 umctl user edit bob --expires 2026-12-01 --no-expiry
expect_err "exclude"
refused_here 64 umctl user edit bob --no-expiry=yes
refused_here 67 umctl user edit nosuchuser --expires 2026-12-01
expect_err "nosuchuser"
# a refused edit does not set the date either
expect_exit 0 umctl user add carol
refused_here 73 umctl user edit bob --rename carol --expires 2026-12-01

# passwd --expire: the next login must change the password; any password
# change clears it.
expect_exit 0 umctl user passwd bob --expire
expect_no_out
expect_exit 0 umctl user show bob --json
expect_json true must_change_password
expect_exit 0 umctl user show bob
expect_out "must change password: yes"
expect_exit_stdin 0 'a new passphrase\n' umctl user passwd bob --stdin
expect_exit 0 umctl user show bob --json
expect_json false must_change_password
refused_here 64 umctl user passwd bob --expire --stdin
expect_err "exclude"
refused_here 67 umctl user passwd nosuchuser --expire
refused_here 65 umctl user passwd 'Bad!' --expire

finish

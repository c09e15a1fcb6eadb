#!/bin/sh
# user edit --expires/--no-expiry and user passwd --expire: the dates and
# the forced password change, and refusals that change nothing.
. "$(dirname "$0")/lib.sh"

# What refused also keeps unchanged, beyond lib.sh's state.
state_extra() {
	umctl user show bob --json 2>&1
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
refused 65 "umctl: cannot edit user 'bob': --expires '2026-02-30' is not a day of the calendar" \
	umctl user edit bob --expires 2026-02-30
refused 65 "umctl: cannot edit user 'bob': --expires '2026-2-3' is not a date of the form YYYY-MM-DD" \
	umctl user edit bob --expires 2026-2-3
refused 65 "umctl: cannot edit user 'bob': --expires '' is not a date of the form YYYY-MM-DD" \
	umctl user edit bob --expires ''
refused 65 "umctl: cannot edit user 'bob': --expires '1969-12-31' lies before 1970" \
	umctl user edit bob --full-name 'New Name' --expires 1969-12-31
refused 64 "umctl: --expires and --no-expiry exclude each other" \
	umctl user edit bob --expires 2026-12-01 --no-expiry
refused 64 "umctl: option '--no-expiry' takes no value" umctl user edit bob --no-expiry=yes
refused 67 "umctl: cannot edit user 'nosuchuser': no umgmt user named 'nosuchuser'" \
	umctl user edit nosuchuser --expires 2026-12-01
# a refused edit does not set the date either
expect_exit 0 umctl user add carol
refused 73 "umctl: cannot edit user 'bob': a user named 'carol' already exists" \
	umctl user edit bob --rename carol --expires 2026-12-01

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
refused 64 "umctl: --expire and --stdin exclude each other" umctl user passwd bob --expire --stdin
refused 67 "umctl: cannot expire the password of user 'nosuchuser': no umgmt user named 'nosuchuser'" \
	umctl user passwd nosuchuser --expire
refused 65 "umctl: cannot expire the password of user 'Bad!': user name must start with a lowercase letter (a-z), not 'B'" \
	umctl user passwd 'Bad!' --expire

finish

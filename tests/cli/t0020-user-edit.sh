#!/bin/sh
# umctl user edit: every field, rename, and refusals that change nothing.
. "$(dirname "$0")/lib.sh"

expect_exit 0 umctl init
expect_exit 0 umctl user add ed --email ed@example.org --full-name 'Ed Edwards'
expect_exit 0 umctl user show ed --json
ed_uid=$(json_get uid)
ed_gid=$(json_get gid)
expect_exit 0 umctl group add crew
expect_exit 0 umctl group add-member crew ed

# Rename: the uid stays, the private group follows, memberships stay.
expect_exit 0 umctl user edit ed --rename eddie
expect_no_out
expect_refusal 67 "umctl: cannot show user 'ed': no umgmt user named 'ed'" umctl user show ed
expect_exit 0 umctl user show eddie --json
expect_json "$ed_uid" uid
expect_json "$ed_gid" gid
expect_json eddie group
expect_json '["crew"]' groups
expect_exit 0 umctl group show eddie --json
expect_json eddie private_of
expect_json "$ed_gid" gid
expect_refusal 67 "umctl: cannot show group 'ed': no umgmt group named 'ed'" umctl group show ed
expect_exit 0 umctl group show crew --json
expect_json '["eddie"]' members

# The other fields.
expect_exit 0 umctl user edit eddie --full-name 'Eddie E' --kind robot --home /srv/eddie \
	--shell /bin/sh --email eddie@example.org
expect_exit 0 umctl user show eddie --json
expect_json 'Eddie E' full_name
expect_json robot kind
expect_json /srv/eddie home
expect_json /bin/sh shell
expect_json eddie@example.org email
expect_exit 0 umctl user edit eddie --no-email
expect_exit 0 umctl user show eddie --json
expect_json null email
expect_exit 0 umctl user edit eddie --full-name ''
expect_exit 0 umctl user show eddie --json
expect_json '' full_name

# Primary group.
expect_exit 0 umctl user edit eddie --group crew
expect_exit 0 umctl user show eddie --json
expect_json crew group

# Refusals.
expect_exit 0 umctl user add fred
refused 64 "umctl: nothing to change: give at least one option" umctl user edit eddie
refused 64 "umctl: --email and --no-email exclude each other" \
	umctl user edit eddie --email a@example.org --no-email
refused 64 "umctl: option '--no-email' takes no value" umctl user edit eddie --no-email=yes
refused 64 "umctl: unknown option '--uid' for 'umctl user edit'" umctl user edit eddie --uid 5
refused 67 "umctl: cannot edit user 'nobody-here': no umgmt user named 'nobody-here'" \
	umctl user edit nobody-here --kind robot
refused 73 "umctl: cannot edit user 'eddie': a user named 'fred' already exists" \
	umctl user edit eddie --rename fred
refused 73 "umctl: cannot edit user 'eddie': 'root' is a local user in /etc/passwd" \
	umctl user edit eddie --rename root
refused 65 "umctl: cannot edit user 'eddie': new user name must start with a lowercase letter (a-z), not 'E'" \
	umctl user edit eddie --rename 'Eddie'
refused 65 "umctl: cannot edit user 'eddie': unknown kind 'alien' (person, robot or customer)" \
	umctl user edit eddie --kind alien
refused 65 "umctl: cannot edit user 'eddie': e-mail address 'bad' must have the form local@domain" \
	umctl user edit eddie --email bad
refused 65 "umctl: cannot edit user 'eddie': e-mail address must not be empty" \
	umctl user edit eddie --email ''
refused 65 "umctl: cannot edit user 'eddie': full name must not contain ':' (it separates passwd fields)" \
	umctl user edit eddie --full-name 'a:b'
refused 65 "umctl: cannot edit user 'eddie': home directory must be an absolute path (starting with '/')" \
	umctl user edit eddie --home relative
refused 65 "umctl: cannot edit user 'eddie': shell must be an absolute path (starting with '/')" \
	umctl user edit eddie --shell ''
refused 67 "umctl: cannot edit user 'eddie': no group named 'nosuchgroup' (neither in umgmt nor in /etc/group)" \
	umctl user edit eddie --group nosuchgroup
# A valid change together with a bad one: nothing at all changes.
refused 65 "umctl: cannot edit user 'eddie': e-mail address 'bad' must have the form local@domain" \
	umctl user edit eddie --full-name 'Good Name' --email bad

finish

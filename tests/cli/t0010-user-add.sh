#!/bin/sh
# umctl user add / list / show / delete, and how uids are handed out.
. "$(dirname "$0")/lib.sh"

expect_exit 0 umctl init

# Defaults: a person with a private group, home and shell from the config.
expect_exit 0 umctl user add bob
expect_out "name:"
expect_out "bob"
expect_out "uid:"
expect_out "group:"
expect_exit 0 umctl user show bob --json
expect_json bob name
expect_json person kind
expect_json bob group
expect_json /home/bob home
expect_json /bin/bash shell
expect_json true enabled
expect_json true approved
expect_json false has_password
expect_json null email
expect_json "" full_name
expect_json "[]" groups
bob_uid=$(json_get uid)
bob_gid=$(json_get gid)
check "a private group has the user's number" test "$bob_uid" = "$bob_gid"
check "created_at is ISO 8601 UTC" \
	sh -c "printf '%s' '$(json_get created_at)' | grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$'"
expect_exit 0 umctl group show bob --json
expect_json bob private_of

# Every option.
expect_exit 0 umctl user add robbie --full-name 'Robbie the Robot' --email robbie@example.org \
	--kind robot --uid 1879050000 --home /srv/robbie --shell /bin/sh
expect_exit 0 umctl user show robbie --json
expect_json 1879050000 uid
expect_json robot kind
expect_json "Robbie the Robot" full_name
expect_json robbie@example.org email
expect_json /srv/robbie home
expect_json /bin/sh shell
expect_exit 0 umctl user add carla --kind=customer --full-name=
expect_exit 0 umctl user show carla --json
expect_json customer kind

# A named primary group.
expect_exit 0 umctl group add crew --gid 1879060000
expect_exit 0 umctl user add dora --group crew
expect_exit 0 umctl user show dora --json
expect_json crew group
expect_json 1879060000 gid

# The list: an aligned table, and JSON.
expect_exit 0 umctl user list
check "table header" sh -c "head -1 '$OUT' | grep -Eq '^NAME +UID +GID +KIND +FULL NAME$'"
check "one line per user" test "$(wc -l <"$OUT")" = 5
check "columns aligned" sh -c "awk 'NR==1{p=index(\$0,\"UID\")} NR>1&&substr(\$0,p-2,2)!=\"  \"{exit 1}' '$OUT'"
expect_out "Robbie the Robot"
expect_exit 0 umctl user list --json
expect_json bob 0 name
expect_json robbie 1 name
expect_json dora 3 name

# Bad option values change nothing.
refused 65 "umctl: cannot add user 'eve': unknown kind 'alien' (person, robot or customer)" \
	umctl user add eve --kind alien
refused 65 "umctl: cannot add user 'eve': uid 'abc' is not a number from 0 to 4294967294" \
	umctl user add eve --uid abc
refused 65 "umctl: cannot add user 'eve': uid '0123' is not a number from 0 to 4294967294" \
	umctl user add eve --uid 0123
refused 65 "umctl: cannot add user 'eve': uid '-1' is not a number from 0 to 4294967294" \
	umctl user add eve --uid=-1
refused 65 "umctl: cannot add user 'eve': uid '4294967295' is not a number from 0 to 4294967294" \
	umctl user add eve --uid 4294967295
refused 65 "umctl: cannot add user 'eve': uid '99999999999999999999999' is not a number from 0 to 4294967294" \
	umctl user add eve --uid 99999999999999999999999
refused 65 "umctl: cannot add user 'eve': e-mail address 'not-an-address' must have the form local@domain" \
	umctl user add eve --email not-an-address
refused 65 "umctl: cannot add user 'eve': full name must not contain ':' (it separates passwd fields)" \
	umctl user add eve --full-name 'Eve: the spy'
refused 65 "umctl: cannot add user 'eve': full name must not contain ',' (it separates GECOS subfields)" \
	umctl user add eve --full-name 'Eve, the spy'
refused 65 "umctl: cannot add user 'eve': full name must not contain ':' (it separates passwd fields)" \
	umctl user add eve --full-name "$(printf 'Eve\nroot::0:0::/:/bin/sh')"
refused 65 "umctl: cannot add user 'eve': home directory must be an absolute path (starting with '/')" \
	umctl user add eve --home relative/home
refused 65 "umctl: cannot add user 'eve': home directory must not contain '..' components" \
	umctl user add eve --home /home/../etc
refused 65 "umctl: cannot add user 'eve': shell must not contain ':'" \
	umctl user add eve --shell /bin/sh:x
refused 67 "umctl: cannot add user 'eve': no group named 'nosuchgroup' (neither in umgmt nor in /etc/group)" \
	umctl user add eve --group nosuchgroup
refused 64 "umctl: unknown option '--frobnicate' for 'umctl user add'" \
	umctl user add eve --frobnicate
refused 64 "umctl: option '--uid' needs a value (N)" umctl user add eve --uid
refused 64 "umctl: option '--uid' is given twice" \
	umctl user add eve --uid 1879050001 --uid 1879050002
refused 64 "umctl: missing argument; usage: umctl user add NAME [OPTIONS]" umctl user add
refused 64 "umctl: too many arguments; usage: umctl user add NAME [OPTIONS]" \
	umctl user add eve mallory

# uid collisions.
refused 77 "umctl: cannot add user 'eve': uid 0 is reserved by the system" \
	umctl user add eve --uid 0
local_uid=$(awk -F: '$3 > 0 && $3 < 65534 { print $3; exit }' /etc/passwd)
local_name=$(awk -F: '$3 > 0 && $3 < 65534 { print $1; exit }' /etc/passwd)
refused 73 "umctl: cannot add user 'eve': uid $local_uid belongs to local user '$local_name' in /etc/passwd" \
	umctl user add eve --uid "$local_uid"
refused 73 "umctl: cannot add user 'eve': uid $bob_uid is or was in use in umgmt; ids are never reused" \
	umctl user add eve --uid "$bob_uid"
refused 73 "umctl: cannot add user 'bob': a user named 'bob' already exists" umctl user add bob

# uids are never reused, not even for the same name.
expect_exit 0 umctl user add frank
expect_exit 0 umctl user show frank --json
frank_uid=$(json_get uid)
expect_exit 0 umctl user delete frank
expect_no_out
expect_refusal 67 "umctl: cannot show user 'frank': no umgmt user named 'frank'" \
	umctl user show frank
expect_refusal 67 "umctl: cannot show group 'frank': no umgmt group named 'frank'" \
	umctl group show frank
expect_exit 0 umctl user add frank
expect_exit 0 umctl user show frank --json
frank_uid2=$(json_get uid)
check "frank's new uid $frank_uid2 is not his old $frank_uid" test "$frank_uid" != "$frank_uid2"
refused 73 "umctl: cannot add user 'gina': uid $frank_uid is or was in use in umgmt; ids are never reused" \
	umctl user add gina --uid "$frank_uid"
expect_exit 0 umctl user add gina
expect_exit 0 umctl user show gina --json
check "gina did not get frank's old uid" test "$(json_get uid)" != "$frank_uid"

# Unknown users.
refused 67 "umctl: cannot show user 'nobody-here': no umgmt user named 'nobody-here'" \
	umctl user show nobody-here
refused 67 "umctl: cannot delete user 'nobody-here': no umgmt user named 'nobody-here'" \
	umctl user delete nobody-here

finish

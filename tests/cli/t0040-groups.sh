#!/bin/sh
# umctl group: add, list, show, delete, add-member, remove-member.
. "$(dirname "$0")/lib.sh"

expect_exit 0 umctl init
expect_exit 0 umctl user add alice
expect_exit 0 umctl user add bob
expect_exit 0 umctl user add carol

expect_exit 0 umctl group add devs --description 'the developers'
expect_out "devs"
expect_exit 0 umctl group show devs --json
expect_json devs name
expect_json 'the developers' description
expect_json null private_of
expect_json '[]' members
devs_gid=$(json_get gid)
expect_exit 0 umctl group add ops --gid 1879070000
expect_exit 0 umctl group show ops --json
expect_json 1879070000 gid

# Members: several at once, sorted, visible from the user too.
expect_exit 0 umctl group add-member devs carol alice
expect_no_out
expect_exit 0 umctl group show devs --json
expect_json '["alice", "carol"]' members
expect_exit 0 umctl user show alice --json
expect_json '["devs"]' groups
expect_exit 0 umctl group show devs
expect_out "alice,carol"
expect_exit 0 umctl group list
check "table header" sh -c "head -1 '$OUT' | grep -Eq '^NAME +GID +MEMBERS +DESCRIPTION$'"
expect_out "alice,carol"
expect_exit 0 umctl group list --json
check "list is an array of every group" test "$(json_get 4 name 2>/dev/null)" != ""

# add-member checks every user before changing anything.
refused 67 "umctl: cannot add members to group 'devs': no umgmt user named 'nobody-here'" \
	umctl group add-member devs bob nobody-here
refused 73 "umctl: cannot add members to group 'devs': user 'alice' is already a member" \
	umctl group add-member devs bob alice
refused 65 "umctl: cannot add members to group 'devs': user 'bob' is named twice" \
	umctl group add-member devs bob bob
refused 65 "umctl: cannot add members to group 'devs': user name must start with a lowercase letter (a-z), not 'B'" \
	umctl group add-member devs bob 'Bad'
refused 67 "umctl: cannot add members to group 'nosuchgroup': no umgmt group named 'nosuchgroup'" \
	umctl group add-member nosuchgroup bob
refused 64 "umctl: missing argument; usage: umctl group add-member GROUP USER..." \
	umctl group add-member devs

# remove-member likewise.
refused 67 "umctl: cannot remove members from group 'devs': user 'bob' is not a member" \
	umctl group remove-member devs alice bob
refused 67 "umctl: cannot remove members from group 'devs': no umgmt user named 'nobody-here'" \
	umctl group remove-member devs alice nobody-here
expect_exit 0 umctl group remove-member devs alice carol
expect_exit 0 umctl group show devs --json
expect_json '[]' members

# gid collisions.
refused 73 "umctl: cannot add group 'devs': a group named 'devs' already exists" \
	umctl group add devs
refused 73 "umctl: cannot add group 'other': gid $devs_gid is or was in use in umgmt; ids are never reused" \
	umctl group add other --gid "$devs_gid"
refused 73 "umctl: cannot add group 'alice': a group named 'alice' already exists" \
	umctl group add alice
refused 77 "umctl: cannot add group 'other': gid 0 is reserved by the system" \
	umctl group add other --gid 0
local_gid=$(awk -F: '$3 > 0 && $3 < 65534 { print $3; exit }' /etc/group)
local_group=$(awk -F: '$3 > 0 && $3 < 65534 { print $1; exit }' /etc/group)
refused 73 "umctl: cannot add group 'other': gid $local_gid belongs to local group '$local_group' in /etc/group" \
	umctl group add other --gid "$local_gid"
refused 73 "umctl: cannot add group 'root': 'root' is a local group in /etc/group" \
	umctl group add root
refused 65 "umctl: cannot add group 'other': gid 'abc' is not a number from 0 to 4294967294" \
	umctl group add other --gid abc
refused 65 "umctl: cannot add group 'other': gid '4294967295' is not a number from 0 to 4294967294" \
	umctl group add other --gid 4294967295

# A group that is someone's primary group cannot go.
expect_exit 0 umctl user add dave --group ops
refused 77 "umctl: cannot delete group 'ops': group 'ops' is the primary group of user 'dave'; move or delete that user first" \
	umctl group delete ops
refused 77 "umctl: cannot delete group 'alice': group 'alice' is the primary group of user 'alice'; move or delete that user first" \
	umctl group delete alice
expect_exit 0 umctl user delete dave
expect_exit 0 umctl group delete ops
expect_no_out
expect_refusal 67 "umctl: cannot show group 'ops': no umgmt group named 'ops'" umctl group show ops
refused 67 "umctl: cannot delete group 'ops': no umgmt group named 'ops'" umctl group delete ops

# Deleting a user removes their memberships and their private group.
expect_exit 0 umctl group add-member devs bob
expect_exit 0 umctl user delete bob
expect_exit 0 umctl group show devs --json
expect_json '[]' members
expect_refusal 67 "umctl: cannot show group 'bob': no umgmt group named 'bob'" umctl group show bob

# Deleting a group removes it from its members.
expect_exit 0 umctl group add-member devs alice
expect_exit 0 umctl group delete devs
expect_exit 0 umctl user show alice --json
expect_json '[]' groups

finish

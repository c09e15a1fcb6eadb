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
refused 67 umctl group add-member devs bob nobody-here
expect_err "nobody-here"
refused 73 umctl group add-member devs bob alice
expect_err "alice"
refused 65 umctl group add-member devs bob bob
refused 65 umctl group add-member devs bob 'Bad'
refused 67 umctl group add-member nosuchgroup bob
refused 64 umctl group add-member devs

# remove-member likewise.
refused 67 umctl group remove-member devs alice bob
expect_err "not a member"
refused 67 umctl group remove-member devs alice nobody-here
expect_exit 0 umctl group remove-member devs alice carol
expect_exit 0 umctl group show devs --json
expect_json '[]' members

# gid collisions.
refused 73 umctl group add devs
refused 73 umctl group add other --gid "$devs_gid"
refused 73 umctl group add alice
refused 77 umctl group add other --gid 0
local_gid=$(awk -F: '$3 > 0 && $3 < 65534 { print $3; exit }' /etc/group)
refused 73 umctl group add other --gid "$local_gid"
refused 73 umctl group add root
refused 65 umctl group add other --gid abc
refused 65 umctl group add other --gid 4294967295

# A group that is someone's primary group cannot go.
expect_exit 0 umctl user add dave --group ops
refused 77 umctl group delete ops
expect_err "primary"
refused 77 umctl group delete alice
expect_exit 0 umctl user delete dave
expect_exit 0 umctl group delete ops
expect_no_out
expect_exit 67 umctl group show ops
refused 67 umctl group delete ops

# Deleting a user removes their memberships and their private group.
expect_exit 0 umctl group add-member devs bob
expect_exit 0 umctl user delete bob
expect_exit 0 umctl group show devs --json
expect_json '[]' members
expect_exit 67 umctl group show bob

# Deleting a group removes it from its members.
expect_exit 0 umctl group add-member devs alice
expect_exit 0 umctl group delete devs
expect_exit 0 umctl user show alice --json
expect_json '[]' groups

finish

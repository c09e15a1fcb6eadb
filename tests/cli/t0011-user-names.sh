#!/bin/sh
# Names: only Debian's default rule passes (a lowercase letter, then
# lowercase letters, digits, '-', '_', an optional final '$'; 1..32
# characters). Everything else is refused with exit 65 and changes nothing;
# a name the machine already has in /etc/passwd is refused with 73.
. "$(dirname "$0")/lib.sh"

expect_exit 0 umctl init
expect_exit 0 umctl user add existing

nl='
'
tab='	'
n32=$(printf 'a%.0s' $(seq 1 32))
n33=$(printf 'a%.0s' $(seq 1 33))
n300=$(printf 'a%.0s' $(seq 1 300))

for name in "a:b" "a,b" "a${nl}b" "a${tab}b" "" "." ".." "/" "a/b" "../etc" " bob" "bob " \
	"$n33" "$n300" "jürgen" "123" "1abc" "Bob" "BOB" "a\$b" "a\$\$" "_bob" "bob@host" \
	"-bob" "--"; do
	# "--" ends the options, so that names starting with '-' get through
	# to the validation.
	refused 65 umctl user add -- "$name"
	refused 65 umctl group add -- "$name"
done
expect_exit 65 umctl user add "jürgen"
expect_err "lowercase"

# Without "--", a leading '-' is an option: a usage error.
refused 64 umctl user add -bob
expect_err "unknown option"
refused 64 umctl user add --bob

# NUL cannot pass through argv; the nearest is the empty string (above).

# Local accounts are never umgmt's.
refused 73 umctl user add root
expect_err "local user"
local_name=$(awk -F: '$3 > 0 && $3 < 65534 { print $1; exit }' /etc/passwd)
refused 73 umctl user add "$local_name"
refused 73 umctl group add root
refused 73 umctl user add existing
refused 73 umctl group add existing

# What the rule allows.
expect_exit 0 umctl user add 'a$'
expect_exit 0 umctl user show 'a$' --json
expect_json 'a$' name
expect_exit 0 umctl user add "$n32"
expect_exit 0 umctl user show "$n32" --json
expect_json "$n32" name
expect_exit 0 umctl user add a
expect_exit 0 umctl user add a-b_c1
expect_exit 0 umctl group add g-1_x
expect_exit 0 umctl user list
expect_out "$n32"

# The same rule for the other verbs that take a name.
refused 65 umctl user show "a:b"
refused 65 umctl user delete "../etc"
refused 65 umctl user edit existing --rename "Bad"
refused 65 umctl user passwd "a,b" --stdin
refused 65 umctl group show "a:b"
refused 65 umctl group delete "Bad"
refused 65 umctl group add-member existing "a:b"
refused 65 umctl user add newbie --group "Bad"

finish

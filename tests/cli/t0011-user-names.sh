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

# bad_name NAME WHY [SHOWN]: user add and group add both refuse NAME
# because the user or group name WHY; the sentence quotes NAME as SHOWN
# (default: NAME itself; control characters are shown escaped). "--" ends
# the options, so that names starting with '-' get through to the
# validation.
only="may contain only lowercase ASCII letters, digits, '-' and '_'"
start="must start with a lowercase letter (a-z), not"
bad_name() {
	for kind in user group; do
		refused 65 "umctl: cannot add $kind '${3-$1}': $kind name $2" umctl "$kind" add -- "$1"
	done
}
bad_name "a:b" "$only (found ':')"
bad_name "a,b" "$only (found ',')"
bad_name "a${nl}b" "$only (found a control character)" 'a\nb'
bad_name "a${tab}b" "$only (found a control character)" 'a\tb'
bad_name "" "must not be empty"
bad_name "." "$start '.'"
bad_name ".." "$start '.'"
bad_name "/" "$start '/'"
bad_name "a/b" "$only (found '/')"
bad_name "../etc" "$start '.'"
bad_name " bob" "$start a space or control character"
bad_name "bob " "$only (found ' ')"
bad_name "$n33" "is 33 characters long; at most 32 are allowed"
bad_name "$n300" "is 300 characters long; at most 32 are allowed"
bad_name "jürgen" "$only (found a non-ASCII character)"
bad_name "123" "$start a digit"
bad_name "1abc" "$start a digit"
bad_name "Bob" "$start 'B'"
bad_name "BOB" "$start 'B'"
bad_name 'a$b' "may contain '\$' only as its last character"
bad_name 'a$$' "may contain '\$' only as its last character"
bad_name "_bob" "$start '_'"
bad_name "bob@host" "$only (found '@')"
bad_name "-bob" "$start '-'"
bad_name "--" "$start '-'"
expect_refusal 65 "umctl: cannot add user 'jürgen': user name $only (found a non-ASCII character)" \
	umctl user add "jürgen"

# Without "--", a leading '-' is an option: a usage error.
refused 64 "umctl: unknown option '-bob'" umctl user add -bob
refused 64 "umctl: unknown option '--bob' for 'umctl user add'" umctl user add --bob

# NUL cannot pass through argv; the nearest is the empty string (above).

# Local accounts are never umgmt's.
refused 73 "umctl: cannot add user 'root': 'root' is a local user in /etc/passwd" \
	umctl user add root
local_name=$(awk -F: '$3 > 0 && $3 < 65534 { print $1; exit }' /etc/passwd)
refused 73 "umctl: cannot add user '$local_name': '$local_name' is a local user in /etc/passwd" \
	umctl user add "$local_name"
refused 73 "umctl: cannot add group 'root': 'root' is a local group in /etc/group" \
	umctl group add root
refused 73 "umctl: cannot add user 'existing': a user named 'existing' already exists" \
	umctl user add existing
refused 73 "umctl: cannot add group 'existing': a group named 'existing' already exists" \
	umctl group add existing

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
refused 65 "umctl: cannot show user 'a:b': user name may contain only lowercase ASCII letters, digits, '-' and '_' (found ':')" \
	umctl user show "a:b"
refused 65 "umctl: cannot delete user '../etc': user name must start with a lowercase letter (a-z), not '.'" \
	umctl user delete "../etc"
refused 65 "umctl: cannot edit user 'existing': new user name must start with a lowercase letter (a-z), not 'B'" \
	umctl user edit existing --rename "Bad"
refused 65 "umctl: cannot set the password of user 'a,b': user name may contain only lowercase ASCII letters, digits, '-' and '_' (found ',')" \
	umctl user passwd "a,b" --stdin
refused 65 "umctl: cannot show group 'a:b': group name may contain only lowercase ASCII letters, digits, '-' and '_' (found ':')" \
	umctl group show "a:b"
refused 65 "umctl: cannot delete group 'Bad': group name must start with a lowercase letter (a-z), not 'B'" \
	umctl group delete "Bad"
refused 65 "umctl: cannot add members to group 'existing': user name may contain only lowercase ASCII letters, digits, '-' and '_' (found ':')" \
	umctl group add-member existing "a:b"
refused 65 "umctl: cannot add user 'newbie': group name must start with a lowercase letter (a-z), not 'B'" \
	umctl user add newbie --group "Bad"

finish

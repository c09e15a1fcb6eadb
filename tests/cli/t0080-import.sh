#!/bin/sh
# umctl import: passwd/group files in one change, all or nothing.
. "$(dirname "$0")/lib.sh"

expect_exit 0 umctl init
expect_exit 0 umctl user add zed

cat >"$T/passwd" <<'PW'
alice:x:300001:300100:Alice Liddell,,,:/home/alice:/bin/bash
bob:x:300002:300100:Bob:/home/bob:/bin/sh
PW
cat >"$T/group" <<'GR'
imported:x:300100:
devs:x:300101:bob,alice,zed
GR

# Usage errors change nothing.
refused 64 "umctl: give --passwd FILE, --group FILE or both" umctl import
refused 64 "umctl: option '--passwd' needs a value (FILE)" umctl import --passwd

# A bad line anywhere refuses the whole import, naming file and line.
cp "$T/passwd" "$T/bad-passwd"
echo 'carol:x:030003:300100::/home/carol:/bin/sh' >>"$T/bad-passwd"
refused 65 "umctl: cannot import: $T/bad-passwd:3: uid '030003' is not a decimal number between 1 and 4294967294" \
	umctl import --passwd "$T/bad-passwd" --group "$T/group"
{ cat "$T/group"; printf 'x:x:300200:nobody-here\n'; } >"$T/bad-group"
refused 65 "umctl: cannot import: $T/bad-group:3: member 'nobody-here' is a user neither of $T/passwd nor of umgmt" \
	umctl import --passwd "$T/passwd" --group "$T/bad-group"
printf 'zed:x:300300:300100::/h:/bin/sh\n' >"$T/taken-passwd"
refused 73 "umctl: cannot import: $T/taken-passwd:1: a user named 'zed' already exists in umgmt" \
	umctl import --passwd "$T/taken-passwd" --group "$T/group"
refused 74 "umctl: cannot import: cannot read $T/no-such-file: No such file or directory" \
	umctl import --passwd "$T/no-such-file"

# The good files: kept ids, members, approved users without password.
expect_exit 0 umctl import --passwd "$T/passwd" --group "$T/group" --json
expect_json 2 users
expect_json 2 groups
expect_json 3 members
expect_exit 0 umctl user show alice --json
expect_json 300001 uid
expect_json imported group
expect_json 'Alice Liddell' full_name
expect_json true approved
expect_exit 0 umctl group show devs --json
expect_json '["alice", "bob", "zed"]' members
# The same again: every name is taken now.
refused 73 "umctl: cannot import: $T/passwd:1: a user named 'alice' already exists in umgmt" \
	umctl import --passwd "$T/passwd"

finish

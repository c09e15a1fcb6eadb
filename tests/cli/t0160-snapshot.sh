#!/bin/sh
# umctl snapshot verify and dump: what `sqlite3 directory.db` gave the
# administrator before the snapshot had a format of its own. verify
# checks every checksum, table and membership of the published snapshot
# (an overlay with its base) and its generation against the truth; dump
# prints what NSS serves. Damage is found and named: a flipped byte, a
# truncated file, a missing base. Neither changes anything.
. "$(dirname "$0")/lib.sh"

SNAP=$STORE/directory.db

# The truth's generation (status publishes a snapshot that is behind:
# not while one is wanted behind), and the generation of the base beside
# the snapshot (none: empty).
generation() {
	umctl status --json 2>/dev/null | sed -n 's/^  "generation": \([0-9]*\),$/\1/p'
}
base_generation() {
	for b in "$SNAP".base.*; do
		[ -e "$b" ] && echo "${b##*.}"
	done
}

# replace_byte FILE OFFSET CHAR: the file with one byte changed, written
# as a new file (the snapshot is never changed in place: a base may be a
# second name of it).
replace_byte() {
	cp "$1" "$T/edit" && printf '%s' "$3" | dd of="$T/edit" bs=1 seek="$2" conv=notrunc 2>/dev/null &&
		mv "$T/edit" "$1"
}

# The byte offset of the first TEXT in FILE.
offset_of() {
	grep -obUa -- "$2" "$1" | head -1 | cut -d: -f1
}

expect_refusal 69 "umctl: cannot verify the snapshot: there is no store at $STORE/umgmt.db; run 'umctl init' to create it" \
	umctl snapshot verify

# A fresh store: one standalone snapshot, empty.
expect_exit 0 umctl init
gen=$(generation)
expect_exit 0 umctl snapshot verify
expect_out_line "snapshot: ok (format 3, generation $gen, 0 users, 0 groups)"
expect_exit 0 umctl snapshot dump
expect_no_out

# Changes: published as an overlay over that snapshot, now the base.
expect_exit 0 umctl user add alice --uid 1879048200 --full-name 'Alice Liddell' --shell /bin/bash
expect_exit 0 umctl user add bob --uid 1879048201 --full-name 'Bob Builder' --home /srv/bob --shell /bin/sh
expect_exit 0 umctl user add carol --uid 1879048202 --shell /bin/sh
expect_exit 0 umctl group add devs --gid 1879048300
expect_exit 0 umctl group add-member devs carol alice
base=$(base_generation)
check "the snapshot is an overlay over the first one" test "$base" = "$gen"
gen=$(generation)
remember_state
expect_exit 0 umctl snapshot verify
expect_out_line "snapshot: ok (format 3, generation $gen, 3 users, 4 groups, overlay over base generation $base: 7 users and groups changed)"
check "verify says nothing else" test "$(wc -l <"$OUT")" = 1
expect_exit 0 umctl snapshot verify --json
check "verify --json is valid JSON" json_valid "$OUT"
expect_json true ok
expect_json 3 format
expect_json "$gen" generation
expect_json "$gen" truth_generation
expect_json true current
expect_json "$base" base_generation
expect_json 7 changed
expect_json '[]' problems
expect_json 0 problem_count
expect_json 3 users
expect_json 4 groups
expect_json "$SNAP" path

# dump: passwd lines, then group lines, as getent prints them.
expect_exit 0 umctl snapshot dump
cat >"$T/want" <<'EOF'
passwd alice:*:1879048200:1879048200:Alice Liddell:/home/alice:/bin/bash
passwd bob:*:1879048201:1879048201:Bob Builder:/srv/bob:/bin/sh
passwd carol:*:1879048202:1879048202::/home/carol:/bin/sh
group alice:*:1879048200:
group bob:*:1879048201:
group carol:*:1879048202:
group devs:*:1879048300:alice,carol
EOF
if cmp -s "$OUT" "$T/want"; then
	ok "dump: every user and group, in id order"
else
	not_ok "dump: every user and group, in id order"
	diff "$T/want" "$OUT" | sed 's/^/#   /'
fi
expect_exit 0 umctl snapshot dump --json
check "dump --json is valid JSON" json_valid "$OUT"
expect_json 3 format
expect_json "$gen" generation
expect_json alice users 0 name
expect_json 1879048200 users 0 uid
expect_json 1879048200 users 0 gid
expect_json 'Alice Liddell' users 0 gecos
expect_json /home/alice users 0 home
expect_json /bin/bash users 0 shell
expect_json '[1879048300]' users 0 groups
expect_json /srv/bob users 1 home
expect_json '[]' users 1 groups
expect_json '[1879048300]' users 2 groups
expect_json devs groups 3 name
expect_json 1879048300 groups 3 gid
expect_json '["alice", "carol"]' groups 3 members
expect_json '[]' groups 0 members
expect_unchanged "snapshot verify and dump"

# A rename and a removal reach the member lists.
expect_exit 0 umctl user edit carol --rename caroline
expect_exit 0 umctl group remove-member devs alice
expect_exit 0 umctl snapshot dump
expect_out_line "group devs:*:1879048300:caroline"
expect_out_line "passwd caroline:*:1879048202:1879048202::/home/carol:/bin/sh"
expect_exit 0 umctl snapshot verify
expect_out "snapshot: ok (format 3, generation $(generation), 3 users, 4 groups, overlay over base generation $base:"

# A snapshot behind the truth (a crash between a commit and its publish)
# is not damage; status publishes it.
cp "$SNAP" "$T/old.db"
old=$(generation)
expect_exit 0 umctl user add dave --uid 1879048203
new=$(generation)
cp "$T/old.db" "$SNAP"
expect_exit 0 umctl snapshot verify
expect_out "snapshot: ok (format 3, generation $old, 3 users,"
expect_out_line "snapshot: generation $old is behind the truth's $new; 'umctl status' publishes it"
expect_exit 0 umctl snapshot verify --json
expect_json false current
expect_json true ok
expect_exit 0 umctl status
expect_exit 0 umctl snapshot verify
expect_out "snapshot: ok (format 3, generation $(generation), 4 users, 5 groups,"
check "and is no longer behind" test "$(wc -l <"$OUT")" = 1

# One byte of alice's GECOS, damaged.
off=$(offset_of "$SNAP" 'Alice Liddell')
check "alice's GECOS is in the snapshot (the overlay)" test -n "$off"
replace_byte "$SNAP" "$off" E
expect_refusal 69 "umctl: cannot verify the snapshot: $SNAP is damaged (1 problem); remove it and run 'umctl status' to publish it anew" \
	umctl snapshot verify
expect_out_line "snapshot: user alice (uid 1879048200): record checksum does not match"
check "verify names only that" test "$(wc -l <"$OUT")" = 1
expect_refusal 69 "umctl: cannot verify the snapshot: $SNAP is damaged (1 problem); remove it and run 'umctl status' to publish it anew" \
	umctl snapshot verify --json
check "verify --json is valid JSON when damaged" json_valid "$OUT"
expect_json false ok
expect_json '["user alice (uid 1879048200): record checksum does not match"]' problems
expect_json 1 problem_count
expect_json null users
expect_refusal 69 "umctl: cannot dump the snapshot: $SNAP: the snapshot is damaged: a user record's checksum does not match; 'umctl snapshot verify' names the damage" \
	umctl snapshot dump
expect_no_out
expect_refusal 69 "umctl: cannot dump the snapshot: $SNAP: the snapshot is damaged: a user record's checksum does not match; 'umctl snapshot verify' names the damage" \
	umctl snapshot dump --json
expect_no_out
# What the message says to do.
rm "$SNAP"
expect_refusal 69 "umctl: cannot verify the snapshot: there is no snapshot at $SNAP; 'umctl status' publishes it" \
	umctl snapshot verify
expect_exit 0 umctl status
expect_exit 0 umctl snapshot verify
expect_out_line "snapshot: ok (format 3, generation $(generation), 4 users, 5 groups)"

# A truncated snapshot.
cp "$SNAP" "$T/good.db"
size=$(stat -c %s "$SNAP")
head -c $((size - 8)) "$T/good.db" >"$T/short.db"
mv "$T/short.db" "$SNAP"
expect_refusal 69 "umctl: cannot verify the snapshot: $SNAP: the snapshot is $((size - 8)) bytes but its header says $size" \
	umctl snapshot verify
expect_no_out
expect_refusal 69 "umctl: cannot dump the snapshot: $SNAP: the snapshot is $((size - 8)) bytes but its header says $size" \
	umctl snapshot dump
cp "$T/good.db" "$SNAP"

# An overlay whose base is missing, then damaged.
expect_exit 0 umctl user add erin --uid 1879048204
base=$(base_generation)
check "an overlay again" test -n "$base"
mv "$SNAP.base.$base" "$T/base.db"
expect_refusal 69 "umctl: cannot verify the snapshot: $SNAP: the snapshot's base $SNAP.base.$base is missing" \
	umctl snapshot verify
expect_refusal 69 "umctl: cannot dump the snapshot: $SNAP: the snapshot's base $SNAP.base.$base is missing" \
	umctl snapshot dump
mv "$T/base.db" "$SNAP.base.$base"
expect_exit 0 umctl snapshot verify
off=$(offset_of "$SNAP.base.$base" 'Bob Builder')
check "bob's GECOS is in the base" test -n "$off"
replace_byte "$SNAP.base.$base" "$off" X
expect_refusal 69 "umctl: cannot verify the snapshot: $SNAP is damaged (1 problem); remove it and run 'umctl status' to publish it anew" \
	umctl snapshot verify
expect_out_line "snapshot: base: user bob (uid 1879048201): record checksum does not match"
rm "$SNAP"
expect_exit 0 umctl status
expect_exit 0 umctl snapshot verify
expect_out_line "snapshot: ok (format 3, generation $(generation), 5 users, 6 groups)"

# Bad input: umctl's usual errors.
refused 64 "umctl: too many arguments; usage: umctl snapshot verify" umctl snapshot verify extra
refused 64 "umctl: too many arguments; usage: umctl snapshot dump" umctl snapshot dump extra
refused 64 "umctl: unknown option '--frobnicate' for 'umctl snapshot dump'" \
	umctl snapshot dump --frobnicate
refused 64 "umctl: unknown verb 'check' for 'snapshot' (verbs: verify, dump)" umctl snapshot check
refused 64 "umctl: 'snapshot' needs a verb: verify, dump" umctl snapshot

# Help.
expect_exit 0 umctl snapshot --help
expect_out "umctl snapshot verify"
expect_out "umctl snapshot dump"
expect_exit 0 umctl snapshot verify --help
expect_out_line "Usage: umctl snapshot verify"
expect_exit 0 umctl --help
expect_out "snapshot verify"
expect_out "snapshot dump"

finish

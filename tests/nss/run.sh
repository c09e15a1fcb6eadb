#!/bin/bash
# The NSS layer: libnss_umgmt.so.2 called directly, through nss_wrapper,
# through the real glibc (getent, id) in a private mount namespace, and as
# an unprivileged user.
#
#   tests/nss/run.sh BUILDDIR        (BUILDDIR/san for the sanitizer build)
#
# Prints one "ok - ..." / "not ok - ..." line per case; exits 1 if any
# failed. Needs: cmocka test binaries built (make BUILD=... tests),
# libnss-wrapper; as root also unshare and setpriv (util-linux).
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT" || exit 1

B=${1:-build}
B=$(cd "$B" 2>/dev/null && pwd) || { echo "not ok - build dir ${1:-build} missing"; exit 1; }
MODULE=$B/libnss_umgmt.so.2
SAN=0
[ "$(basename "$B")" = san ] && SAN=1

failed=0
ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; failed=1; }
skip() { echo "ok - $* # SKIP"; }
# check NAME EXPECTED ACTUAL
check() {
	if [ "$2" = "$3" ]; then ok "$1"; else
		not_ok "$1"
		echo "#   expected: $2"
		echo "#   actual:   $(printf '%s' "$3" | head -c 300)"
	fi
}

if [ ! -f "$MODULE" ]; then
	not_ok "module $MODULE exists (run: make BUILD=... tests)"
	exit 1
fi

WORK=$(mktemp -d /tmp/umgmt-nss-run.XXXXXX)
chmod 0755 "$WORK"
trap 'rm -rf "$WORK"' EXIT

# ---------------------------------------------------------- cmocka suites
export UMGMT_NSS_MODULE=$MODULE
tests=("$B"/tests/nss/test-*)
if [ ! -x "${tests[0]}" ]; then
	not_ok "nss test binaries in $B/tests/nss"
	exit 1
fi
for t in "${tests[@]}"; do
	[ -x "$t" ] || continue
	if timeout 300 "$t"; then ok "$(basename "$t")"; else not_ok "$(basename "$t")"; fi
done
GEN=$B/tests/nss/test-nss-module

# ---------------------------------------- the standard snapshot, read-only
# Owned by root (when we are root), 0444: nobody needs write access.
SNAPDIR=$WORK/store
mkdir -m 0755 "$SNAPDIR"
"$GEN" --write-snapshot "$SNAPDIR/directory.db" || not_ok "write the test snapshot"
chmod 0444 "$SNAPDIR/directory.db"
cp "$MODULE" "$WORK/libnss_umgmt.so.2"
chmod 0755 "$WORK/libnss_umgmt.so.2"

# ---------------------------------------------- getent/id via nss_wrapper
# getent and id are not ASan programs: they cannot load the ASan module.
printf 'localuser:x:1500:1500:Local:/home/localuser:/bin/sh\n' >"$WORK/passwd"
printf 'localgrp:x:1500:\n' >"$WORK/group"
chmod 0644 "$WORK/passwd" "$WORK/group"
wrapped() {
	env LD_PRELOAD=libnss_wrapper.so NSS_WRAPPER_PASSWD="$WORK/passwd" \
		NSS_WRAPPER_GROUP="$WORK/group" NSS_WRAPPER_MODULE_SO_PATH="$WORK/libnss_umgmt.so.2" \
		NSS_WRAPPER_MODULE_FN_PREFIX=umgmt UMGMT_DIRECTORY="$SNAPDIR/directory.db" "$@"
}
if [ $SAN -eq 1 ]; then
	skip "getent/id through nss_wrapper (sanitizer build)"
else
	check "nss_wrapper: getent passwd alice" \
		"alice:*:2000:2000:Alice Liddell:/home/alice:/bin/bash" "$(wrapped getent passwd alice)"
	check "nss_wrapper: getent passwd 2001" \
		"bob:*:2001:100:Bob,,,:/home/bob:/bin/sh" "$(wrapped getent passwd 2001)"
	check "nss_wrapper: getent group staff" "staff:*:3000:alice,bob" "$(wrapped getent group staff)"
	check "nss_wrapper: files still answer" \
		"localuser:x:1500:1500:Local:/home/localuser:/bin/sh" "$(wrapped getent passwd localuser)"
	check "nss_wrapper: id bob" "uid=2001(bob) gid=100(users) groups=100(users),3000(staff)" \
		"$(wrapped id bob)"
	# not found: exit 2 (getent's "key not found") and nothing printed
	check "nss_wrapper: getent passwd ghost exits 2, printing nothing" "2:" \
		"$(out=$(wrapped getent passwd ghost 2>&1); echo "$?:$out")"
	# a missing snapshot: the module is UNAVAIL, files keep working
	check "nss_wrapper: no snapshot, files still answer" \
		"localuser:x:1500:1500:Local:/home/localuser:/bin/sh" \
		"$(wrapped env UMGMT_DIRECTORY="$WORK/none.db" getent passwd localuser)"
fi

# -------------------------------------------------------- as user nobody
if [ "$(id -u)" -ne 0 ]; then
	skip "lookups as user nobody (not root)"
elif ! command -v setpriv >/dev/null; then
	not_ok "lookups as user nobody: setpriv missing (util-linux)"
else
	# numeric ids: inside nss_wrapper, "nobody" is not a known name
	NOBODY_UID=$(id -u nobody 2>/dev/null || echo 65534)
	NOGROUP_GID=$(getent group nogroup 2>/dev/null | cut -d: -f3)
	AS_NOBODY=(setpriv --reuid="$NOBODY_UID" --regid="${NOGROUP_GID:-65534}" --clear-groups)
	# An open for writing, refused by the permissions (not a missing file:
	# nobody can read it). dd with conv=notrunc and no input would change
	# nothing even if it could open the file.
	"${AS_NOBODY[@]}" test -r "$SNAPDIR/directory.db"
	check "nobody can read the snapshot" 0 $?
	check "nobody cannot write the snapshot (dd: Permission denied)" \
		"1:dd: failed to open '$SNAPDIR/directory.db': Permission denied" \
		"$(out=$("${AS_NOBODY[@]}" dd if=/dev/null of="$SNAPDIR/directory.db" conv=notrunc status=none 2>&1)
			echo "$?:$out")"
	# copies of the test programs where nobody can read and run them
	mkdir -m 0755 "$WORK/bin"
	mkdir -m 0777 "$WORK/tmp"
	for t in "${tests[@]}"; do
		[ -x "$t" ] || continue
		cp "$t" "$WORK/bin/" && chmod 0755 "$WORK/bin/$(basename "$t")"
		if timeout 300 "${AS_NOBODY[@]}" env TMPDIR="$WORK/tmp" \
			UMGMT_NSS_MODULE="$WORK/libnss_umgmt.so.2" "$WORK/bin/$(basename "$t")"; then
			ok "as nobody: $(basename "$t")"
		else
			not_ok "as nobody: $(basename "$t")"
		fi
	done
	if [ $SAN -eq 0 ]; then
		check "as nobody: getent passwd alice from a root-owned 0444 snapshot" \
			"alice:*:2000:2000:Alice Liddell:/home/alice:/bin/bash" \
			"$(wrapped "${AS_NOBODY[@]}" getent passwd alice)"
	fi
fi

# ------------------------------- the real glibc, in a private namespace
# /etc/nsswitch.conf is bind-mounted over only inside the namespace; glibc
# finds libnss_umgmt.so.2 through LD_LIBRARY_PATH (getent is not setuid).
if [ $SAN -eq 1 ]; then
	skip "real getent/id in a mount namespace (sanitizer build)"
elif [ "$(id -u)" -ne 0 ] || ! unshare --mount true 2>/dev/null; then
	skip "real getent/id in a mount namespace (needs root and unshare)"
else
	printf 'passwd: files umgmt\ngroup: files umgmt\nshadow: files\nhosts: files\n' \
		>"$WORK/nsswitch.conf"
	mkdir -m 0755 "$WORK/empty"
	cat >"$WORK/ns.sh" <<-'EOF'
		mount --make-rprivate / 2>/dev/null || true
		mount --bind "$WORK/nsswitch.conf" /etc/nsswitch.conf
		# never ask a host nscd (it would answer from the host's config)
		for d in /run/nscd /var/run/nscd /var/db/nscd; do
			[ -d "$d" ] && mount --bind "$WORK/empty" "$d"
		done
		export LD_LIBRARY_PATH=$WORK UMGMT_DIRECTORY=$WORK/store/directory.db
		as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
		echo "alice=$(getent passwd alice)"
		echo "carol=$(getent passwd carol | wc -c)"
		echo "zed=$(getent passwd 65533)"
		echo "root=$(getent passwd root | cut -d: -f1,3)"
		echo "idalice=$(id alice)"
		echo "iddave=$(id dave)"
		echo "big=$(getent group big | cut -d: -f4 | tr ',' '\n' | wc -l)"
		echo "enum=$(getent passwd | grep -c ':\*:')"
		echo "genum=$(getent group | grep -c ':\*:')"
		echo "ghost=$(getent passwd ghost 2>&1; echo $?)"
		echo "nobody=$(as_nobody id alice)"
		echo "nobodycarol=$(as_nobody getent passwd carol | wc -c)"
		echo "missing=$(UMGMT_DIRECTORY=$WORK/none.db getent passwd root | cut -d: -f1)"
	EOF
	out=$(WORK=$WORK unshare --mount bash "$WORK/ns.sh" 2>&1)
	val() { printf '%s\n' "$out" | sed -n "s/^$1=//p"; }
	check "glibc: getent passwd alice" "alice:*:2000:2000:Alice Liddell:/home/alice:/bin/bash" \
		"$(val alice)"
	# 4000-char gecos: glibc's ERANGE retry loop must get it
	check "glibc: long gecos entry (ERANGE retry)" 4040 "$(val carol)"
	check "glibc: getent passwd 65533" "zed:*:65533:100:Zed:/home/zed:/bin/bash" "$(val zed)"
	check "glibc: root still from files" "root:0" "$(val root)"
	check "glibc: id alice (initgroups_dyn)" \
		"uid=2000(alice) gid=2000(alice) groups=2000(alice),3000(staff),3001(big),3002(proj)" \
		"$(val idalice)"
	check "glibc: id dave (no supplementary groups)" \
		"uid=2003(dave) gid=100(users) groups=100(users)" "$(val iddave)"
	check "glibc: 50000-member group" 50000 "$(val big)"
	# the named users and big's 49,999 others; the named groups and carol's 200
	check "glibc: getent passwd enumerates every user" 50004 "$(val enum)"
	check "glibc: getent group enumerates every group" 206 "$(val genum)"
	check "glibc: unknown user exits 2, printing nothing" 2 "$(val ghost)"
	check "glibc as nobody: id alice" \
		"uid=2000(alice) gid=2000(alice) groups=2000(alice),3000(staff),3001(big),3002(proj)" \
		"$(val nobody)"
	check "glibc as nobody: long gecos entry" 4040 "$(val nobodycarol)"
	check "glibc: no snapshot, files still answer" root "$(val missing)"
fi

exit $failed

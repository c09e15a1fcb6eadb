#!/bin/bash
# Layer 4 (outside make check, slower): the unit tests, the NSS module's
# direct-call suites and a umctl session under valgrind's memcheck.
#
#   tests/valgrind.sh [BUILDDIR]        (make check-valgrind)
#
# A definite or indirect leak, or any memory error, fails. "Possibly lost"
# blocks are not errors: the NSS module keeps its pooled connections for the
# life of the process on purpose (glibc never unloads NSS modules).
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
B=$(cd "${1:-$ROOT/build}" && pwd) || exit 1
export TZ=UTC LC_ALL=C.UTF-8

VG=(valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect
	--error-exitcode=99 --track-fds=no)
command -v valgrind >/dev/null || { echo "not ok - valgrind is not installed"; exit 1; }

passed=0 failed=0
run() {
	local name=$1 log
	shift
	log=$(mktemp)
	if "$@" >"$log" 2>&1; then
		echo "ok - valgrind: $name"
		passed=$((passed + 1))
	else
		echo "not ok - valgrind: $name"
		grep -E 'definitely|indirectly|Invalid|uninitialised|FAILED|not ok' "$log" |
			sed 's/^/#   /' | head -20
		failed=$((failed + 1))
	fi
	rm -f "$log"
}

for t in "$B"/tests/unit/test-*; do
	[ -x "$t" ] && run "unit/$(basename "$t")" "${VG[@]}" "$t"
done

# The NSS module through glibc's real entry points: getent and id under
# memcheck, with nss_wrapper routing them to the module. (The direct-call
# suites fork, close every fd and time snapshot swaps: valgrind's own fds
# and speed make those cases meaningless here; they run under ASan.)
W=$(mktemp -d /tmp/umgmt-vg.XXXXXX)
trap 'rm -rf "$W"' EXIT
chmod 0755 "$W"
mkdir -m 0755 "$W/snap"
UMGMT_NSS_MODULE=$B/libnss_umgmt.so.2 "$B/tests/nss/test-nss-module" \
	--write-snapshot "$W/snap/directory.db" >/dev/null
chmod 0644 "$W/snap/directory.db"
printf 'localuser:x:1500:1500:Local:/home/localuser:/bin/sh\n' >"$W/passwd"
printf 'localgrp:x:1500:\n' >"$W/group"
NSSW=(env LD_PRELOAD=libnss_wrapper.so NSS_WRAPPER_PASSWD="$W/passwd"
	NSS_WRAPPER_GROUP="$W/group" NSS_WRAPPER_MODULE_SO_PATH="$B/libnss_umgmt.so.2"
	NSS_WRAPPER_MODULE_FN_PREFIX=umgmt UMGMT_DIRECTORY="$W/snap/directory.db")
run "getent passwd alice" "${NSSW[@]}" "${VG[@]}" getent passwd alice
run "getent passwd (enumeration)" "${NSSW[@]}" "${VG[@]}" getent passwd
run "getent group (enumeration)" "${NSSW[@]}" "${VG[@]}" getent group
run "getent passwd ghost (miss)" sh -c '"$@"; [ $? -eq 2 ]' sh "${NSSW[@]}" "${VG[@]}" getent passwd ghost
run "id bob" "${NSSW[@]}" "${VG[@]}" id bob

# A umctl session: every verb that allocates, publishes or hashes.
printf '[store]\ndir = %s/store\n[ids]\nuid_min = 20000\nuid_max = 29999\ngid_min = 20000\ngid_max = 29999\n[password]\nargon2_ops = 1\nargon2_mem_kib = 8\n' "$W" >"$W/umgmt.conf"
chmod 0600 "$W/umgmt.conf"
U=("$B/umctl" --config "$W/umgmt.conf")
run "umctl init" "${VG[@]}" "${U[@]}" init
run "umctl user add" "${VG[@]}" "${U[@]}" user add ada --full-name 'Ada Lovelace' --email ada@example.org
run "umctl group add" "${VG[@]}" "${U[@]}" group add engineers
run "umctl group add-member" "${VG[@]}" "${U[@]}" group add-member engineers ada
run "umctl user passwd --stdin" sh -c 'echo "Analytical-Engine-1843" | "$@"' sh "${VG[@]}" "${U[@]}" user passwd ada --stdin
run "umctl user edit --rename" "${VG[@]}" "${U[@]}" user edit ada --rename ada2
run "umctl user show --json" "${VG[@]}" "${U[@]}" user show ada2 --json
run "umctl user list" "${VG[@]}" "${U[@]}" user list
run "umctl service add" "${VG[@]}" "${U[@]}" service add sshd --restricted
run "umctl service grant" "${VG[@]}" "${U[@]}" service grant sshd --user ada2
run "umctl user reset-password" "${VG[@]}" "${U[@]}" user reset-password ada2
run "umctl status --json" "${VG[@]}" "${U[@]}" status --json
run "umctl user delete" "${VG[@]}" "${U[@]}" user delete ada2
run "umctl user add (bad name)" sh -c '"$@" user add "Bad:Name"; [ $? -eq 65 ]' sh "${VG[@]}" "${U[@]}"

echo "valgrind: $passed passed, $failed failed"
[ "$failed" -eq 0 ]

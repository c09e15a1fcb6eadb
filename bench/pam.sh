#!/bin/bash
# SPDX-License-Identifier: MIT
# The PAM figure of `make bench`: time in pam_sm_authenticate beyond the
# Argon2id verify itself (issue 4: <= 1 ms).
#
# Builds bench/pamcost.c against the build's libumgmt.a, makes a scratch
# store with one user (Argon2id at libsodium's minimum cost, so that the
# verify does not drown the rest), a private PAM service file read with
# pam_start_confdir (/etc/pam.d is never read or written), and runs pamcost
# BENCH_REPS times; prints each run and the median of their overheads.
#
#   bench/pam.sh [BUILD_DIR]      (default: $UMGMT_BUILD, else build)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=$(cd "${1:-${UMGMT_BUILD:-$ROOT/build}}" && pwd)
REPS=${BENCH_REPS:-3}
N=${BENCH_PAM_N:-300}

for f in umctl pam_umgmt.so libumgmt.a; do
	[ -f "$B/$f" ] || { echo "bench/pam.sh: no $B/$f: run make first" >&2; exit 1; }
done
T=$(mktemp -d "${TMPDIR:-/tmp}/umgmt-pambench.XXXXXX")
trap 'rm -rf "$T"' EXIT
cc -std=gnu11 -O2 -I"$ROOT/include" -o "$T/pamcost" "$ROOT/bench/pamcost.c" "$B/libumgmt.a" \
	-lpam -lsqlite3 -lsodium -liniparser -lcrypt

printf '[store]\ndir = %s/store\n[password]\nargon2_ops = 1\nargon2_mem_kib = 8\n' "$T" >"$T/umgmt.conf"
mkdir "$T/pam.d"
echo "auth required $B/pam_umgmt.so config=$T/umgmt.conf" >"$T/pam.d/umgmt"
"$B/umctl" --config "$T/umgmt.conf" init >/dev/null
# A name no local account has; add prints an activation token, not needed.
"$B/umctl" --config "$T/umgmt.conf" user add pambench >/dev/null
printf 'bench password 1\n' | "$B/umctl" --config "$T/umgmt.conf" user passwd pambench --stdin

echo "PAM: pam_authenticate beyond um_password_verify, $REPS runs of $N logins (target <= 1000 us)"
for i in $(seq "$REPS"); do
	"$T/pamcost" "$T/pam.d" pambench 'bench password 1' "$T/store/umgmt.db" "$N"
done | tee "$T/runs"
sed -n 's/.*overhead \([0-9.]*\) us.*/\1/p' "$T/runs" | sort -n |
	awk '{v[NR] = $1} END {printf "PAM overhead, median of %d runs: %.0f us\n", NR, v[int((NR + 1) / 2)]}'

#!/bin/bash
# SPDX-License-Identifier: MIT
# make bench: libnss_umgmt.so.2 side by side with the stock NSS backends,
# through the neutral harness in ../shared/bench (called, never copied).
#
# Runs as root: the harness works in a private mount namespace (`unshare
# --mount`, bind mounts of a private /etc copy); the machine's /etc is never
# written. It apt-installs the other backends if they are missing.
#
# Environment (defaults in brackets):
#   BENCH_SIZES    user counts                          [10000 100000]
#   BENCH_MODES    dl (dlopen) and/or libc              [dl]
#   BENCH_BACKENDS backends beside umgmt                [files extrausers db cache]
#   BENCH_REPS     repetitions (the table: median)      [3]
#   BENCH_CG_SIZE  size for callgrind counts ("": none) [100000 if measured, else none]
#   BENCH_HARNESS  the harness                          [../shared/bench]
#   BENCH_PAM      0: skip the PAM figure (bench/pam.sh)  [1]
#   UMGMT_BUILD    build dir with umctl and the module  [build]
#   WORK           scratch dir (generated data is kept) [/tmp/nssbench]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
HARNESS=${BENCH_HARNESS:-$ROOT/../shared/bench}
HARNESS=$(cd "$HARNESS" && pwd)
export UMGMT_BUILD=${UMGMT_BUILD:-$ROOT/build}
SIZES=${BENCH_SIZES:-"10000 100000"}
CG=
case " $SIZES " in *" 100000 "*) CG=100000 ;; esac
CG=${BENCH_CG_SIZE-$CG}

[ "$(id -u)" = 0 ] || { echo "bench: needs root (unshare --mount)" >&2; exit 77; }
for f in umctl libnss_umgmt.so.2; do
	[ -f "$UMGMT_BUILD/$f" ] || { echo "bench: no $UMGMT_BUILD/$f: run make first" >&2; exit 1; }
done
mkdir -p "$ROOT/bench/results"
RAW=$ROOT/bench/results/bench-$(date +%Y%m%d-%H%M%S).txt

make -s -C "$HARNESS" nssbench
SIZES=$SIZES MODES=${BENCH_MODES:-dl} REPS=${BENCH_REPS:-3} CG_SIZE=$CG \
	BACKENDS="${BENCH_BACKENDS:-files extrausers db cache} umgmt" \
	PLUGINS="$ROOT/bench/umgmt.plugin" LD_LIBRARY_PATH="$UMGMT_BUILD" \
	"$HARNESS/run-anchors.sh" "$RAW"

echo
"$HARNESS/summarize.py" --brief "$RAW"
echo
"$ROOT/bench/ratios.py" "$RAW"
echo "raw results: $RAW"
if [ "${BENCH_PAM:-1}" != 0 ]; then
	echo
	"$ROOT/bench/pam.sh" "$UMGMT_BUILD"
fi

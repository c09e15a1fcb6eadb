#!/bin/bash
# The fuzz layer: the snapshot reader under libFuzzer (fuzz-snapshot.c).
#
#   tests/fuzz/run.sh BUILDDIR [SECONDS [LIBFUZZER-OPTION...]]
#
# Writes the seed corpus (BUILDDIR/fuzz/make-seeds) to BUILDDIR/fuzz/seeds,
# runs every seed and every input kept in tests/fuzz/regressions/ once,
# then mutates them for SECONDS (default 45: the bounded run of make
# check; make fuzz passes FUZZ_TIME, 600). The corpus is a fresh temporary
# directory, or $FUZZ_CORPUS, kept between runs (make fuzz: BUILDDIR/fuzz/
# corpus). Needs the binaries built (make BUILD=... fuzz-build: clang, and
# libclang-rt-14-dev for libFuzzer).
#
# A finding is written to BUILDDIR/fuzz/artifacts/ (crash-*, timeout-*,
# leak-*, oom-*): minimise it with
#   BUILDDIR/fuzz/fuzz-snapshot -minimize_crash=1 -runs=20000 \
#       -exact_artifact_path=tests/fuzz/regressions/NAME ARTIFACT
# and keep the result in tests/fuzz/regressions/ (replayed by every run).
#
# Prints one "ok - ..." / "not ok - ..." line per step; exits 1 if any
# failed.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT" || exit 1

B=${1:-build}
B=$(cd "$B" 2>/dev/null && pwd) || { echo "not ok - build dir ${1:-build} missing"; exit 1; }
SECONDS_TO_RUN=${2:-45}
shift $(($# > 2 ? 2 : $#))
BIN=$B/fuzz/fuzz-snapshot
SEEDER=$B/fuzz/make-seeds
SEEDS=$B/fuzz/seeds
ARTIFACTS=$B/fuzz/artifacts
REGRESSIONS=$ROOT/tests/fuzz/regressions

failed=0
ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; failed=1; }

for f in "$BIN" "$SEEDER"; do
	if [ ! -x "$f" ]; then
		not_ok "$f is built (run: make BUILD=... fuzz-build)"
		exit 1
	fi
done

WORK=$(mktemp -d /tmp/umgmt-fuzz.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

rm -rf "$SEEDS"
mkdir -p "$SEEDS" "$ARTIFACTS"
if "$SEEDER" "$SEEDS" >"$WORK/seeds.log" 2>&1; then
	ok "seed corpus: $(find "$SEEDS" -type f | wc -l) snapshots in $SEEDS"
	sed 's/^/#   /' "$WORK/seeds.log"
else
	not_ok "make-seeds"
	sed 's/^/#   /' "$WORK/seeds.log"
	exit 1
fi

# LeakSanitizer does not work under ptrace or in some containers.
leaks=1
ASAN_OPTIONS=detect_leaks=1 "$BIN" -runs=1 "$SEEDS/empty" >/dev/null 2>&1 || leaks=0
[ $leaks -eq 1 ] || echo "# LeakSanitizer does not work here; leaks are not checked"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=$leaks:abort_on_error=0:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

# Every seed and every kept finding, once each.
inputs=("$SEEDS"/*)
[ -d "$REGRESSIONS" ] && inputs+=($(find "$REGRESSIONS" -type f | sort))
if "$BIN" -detect_leaks=$leaks -runs=1 "${inputs[@]}" >"$WORK/replay.log" 2>&1; then
	ok "replay: ${#inputs[@]} seeds and regressions read cleanly"
else
	not_ok "replay of the seeds and regressions"
	grep -v '^Running:\|^Executed' "$WORK/replay.log" | tail -n 60 | sed 's/^/#   /'
fi

# The longest input libFuzzer may make: at least the largest seed.
max_len=262144
for f in "${inputs[@]}"; do
	n=$(stat -c %s "$f")
	[ "$n" -le "$max_len" ] || max_len=$n
done

CORPUS=${FUZZ_CORPUS:-$WORK/corpus}
mkdir -p "$CORPUS"
dirs=("$CORPUS" "$SEEDS")
[ -d "$REGRESSIONS" ] && dirs+=("$REGRESSIONS")
echo "# fuzzing for ${SECONDS_TO_RUN}s, corpus $CORPUS, -max_len=$max_len"
if "$BIN" -max_total_time="$SECONDS_TO_RUN" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
	-detect_leaks=$leaks -print_final_stats=1 -artifact_prefix="$ARTIFACTS/" "$@" "${dirs[@]}" \
	>"$WORK/fuzz.log" 2>&1; then
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$WORK/fuzz.log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$WORK/fuzz.log")
	cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$WORK/fuzz.log" | tail -n 1)
	ok "fuzzed ${SECONDS_TO_RUN}s: ${runs:-?} inputs (${rate:-?}/s, $cov), no finding"
else
	not_ok "fuzzing found a problem (artifacts in $ARTIFACTS):"
	grep -v '^#[0-9]\|^INFO:\|^MERGE\|^\s*$' "$WORK/fuzz.log" | tail -n 80 | sed 's/^/#   /'
fi

exit $failed

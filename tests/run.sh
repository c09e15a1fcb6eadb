#!/bin/bash
# Runs umgmt's test layers and prints one verdict per suite.
#
#   tests/run.sh LAYER      LAYER = all | unit | nss | pam | cli | abi | fuzz | e2e | san | private
#   BUILD=dir tests/run.sh  build directory (default: build; sanitizer build in $BUILD/san)
#
# "private" runs the layers in which processes other than root read the
# checkout (nss, pam, cli, san, e2e) again, from a copy of the checkout
# and of the build in a directory only root may enter, as a clone in
# root's 0700 home is: no test may depend on where the checkout lives.
# "all" runs it last.
#
# A suite is one unit test binary or one layer script; it passes when it
# exits 0. A suite that is missing (no binaries, no script) fails: a layer
# that does not run must never look like a layer that passed. The last line
# is always "check: N passed, M failed"; the exit status is 1 if any failed.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 1

BUILD=${BUILD:-build}
LAYER=${1:-all}
SUITE_TIMEOUT=${SUITE_TIMEOUT:-900}

export TZ=UTC
export LC_ALL=C.UTF-8

passed=0
failed=0
failures=()

usage() {
	echo "usage: tests/run.sh all|unit|nss|pam|cli|abi|fuzz|e2e|san|private   (env BUILD=dir)" >&2
	exit 64
}

# run_suite NAME CMD... : one suite, one verdict.
run_suite() {
	local name=$1
	shift
	local start rc
	echo
	echo "=== $name: $*"
	start=$(date +%s)
	timeout -k 10 "$SUITE_TIMEOUT" "$@" </dev/null
	rc=$?
	if [ $rc -eq 0 ]; then
		passed=$((passed + 1))
		echo "--- PASS $name ($(($(date +%s) - start))s)"
	else
		[ $rc -eq 124 ] && echo "--- timed out after ${SUITE_TIMEOUT}s"
		failed=$((failed + 1))
		failures+=("$name (exit $rc)")
		echo "--- FAIL $name (exit $rc, $(($(date +%s) - start))s)"
	fi
}

# fail_suite NAME WHY : a suite that could not even start.
fail_suite() {
	echo
	echo "=== $1"
	echo "--- FAIL $1: $2"
	failed=$((failed + 1))
	failures+=("$1 ($2)")
}

# layer_unit DIR LABEL : every unit test binary built in DIR.
layer_unit() {
	local dir=$1 label=$2 found=0 t
	for t in "$dir"/tests/unit/test-*; do
		[ -f "$t" ] && [ -x "$t" ] || continue
		found=1
		run_suite "$label/$(basename "$t")" "$t"
	done
	[ $found -eq 1 ] || fail_suite "$label" "no test binaries in $dir/tests/unit (run: make BUILD=$BUILD tests)"
}

# layer_script NAME DIR : tests/NAME/run.sh DIR.
layer_script() {
	local name=$1 dir=$2 label=${3:-$1}
	local script=tests/$name/run.sh
	if [ ! -f "$script" ]; then
		fail_suite "$label" "$script is missing"
		return
	fi
	run_suite "$label" bash "$script" "$dir"
}

# The sanitizer build runs with leaks detected where LeakSanitizer works
# (it does not under ptrace or in some containers: probe once).
sanitizer_env() {
	local leaks=1
	if command -v cc >/dev/null 2>&1; then
		local probe
		probe=$(mktemp -d)
		printf 'int main(void){return 0;}\n' >"$probe/p.c"
		if cc -fsanitize=address -o "$probe/p" "$probe/p.c" 2>/dev/null; then
			ASAN_OPTIONS=detect_leaks=1 "$probe/p" >/dev/null 2>&1 || leaks=0
		fi
		rm -rf "$probe"
	fi
	[ $leaks -eq 1 ] || echo "note: LeakSanitizer does not work here; leaks are not checked"
	export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:abort_on_error=0:detect_leaks=$leaks:verify_asan_link_order=0:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1}
	export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
	if [ -z "${LSAN_OPTIONS:-}" ] && [ -f tests/lsan.supp ]; then
		export LSAN_OPTIONS="suppressions=$ROOT/tests/lsan.supp:print_suppressions=0"
	fi
}

layer_san() {
	local san=$BUILD/san
	if [ ! -d "$san" ]; then
		fail_suite "san" "no sanitizer build in $san (run: make BUILD=$BUILD SAN=1 tests)"
		return
	fi
	(
		passed=0 failed=0 failures=()
		sanitizer_env
		layer_unit "$san" "san/unit"
		layer_script nss "$san" "san/nss"
		layer_script pam "$san" "san/pam"
		echo "$passed $failed" >"$SAN_RESULT"
		printf '%s\n' "${failures[@]}" >>"$SAN_RESULT"
	)
	# The subshell keeps the sanitizer environment away from the other
	# layers; its counts come back through a file.
	local p f rest
	{
		read -r p f
		while IFS= read -r rest; do
			[ -n "$rest" ] && failures+=("$rest")
		done
	} <"$SAN_RESULT"
	passed=$((passed + p))
	failed=$((failed + f))
}

# copy_checkout DEST: the checkout's files (tracked and untracked, not
# ignored, as they are in the working tree: what the build was made from)
# and, in DEST/build-private, the build without its object files.
copy_checkout() {
	local dest=$1 f
	mkdir -p "$dest/build-private" || return 1
	if git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		git -C "$ROOT" ls-files -z --cached --others --exclude-standard |
			while IFS= read -r -d '' f; do
				# tracked files deleted in the working tree are not copied
				[ -e "$f" ] && printf '%s\0' "$f"
			done | tar --null -T - -cf - | tar -xf - -C "$dest" || return 1
	else
		tar --exclude='./build' --exclude='./build-*' -cf - . | tar -xf - -C "$dest" || return 1
	fi
	(cd "$BUILD" && tar --exclude=./obj --exclude=./san/obj -cf - .) | tar -xf - -C "$dest/build-private"
}

layer_private() {
	local layer
	if [ ! -d "$BUILD" ]; then
		fail_suite "private" "no build in $BUILD (run: make BUILD=$BUILD tests)"
		return
	fi
	PRIVATE=$(mktemp -d /tmp/umgmt-private.XXXXXX) && chmod 0700 "$PRIVATE" || {
		fail_suite "private" "cannot make a private directory"
		return
	}
	echo
	echo "=== private: the checkout and the build copied to $PRIVATE/umgmt (mode 0700 above)"
	if ! copy_checkout "$PRIVATE/umgmt"; then
		fail_suite "private" "cannot copy the checkout to $PRIVATE/umgmt"
	else
		for layer in nss pam cli san e2e; do
			run_suite "private/$layer" env BUILD=build-private SUITE_TIMEOUT="$SUITE_TIMEOUT" \
				bash "$PRIVATE/umgmt/tests/run.sh" "$layer"
		done
	fi
	rm -rf "$PRIVATE"
	PRIVATE=
}

SAN_RESULT=$(mktemp)
PRIVATE=
trap 'rm -f "$SAN_RESULT"; [ -z "$PRIVATE" ] || rm -rf "$PRIVATE"' EXIT

case $LAYER in
all)
	layer_unit "$BUILD" unit
	layer_script nss "$BUILD"
	layer_script pam "$BUILD"
	layer_script cli "$BUILD"
	layer_script abi "$BUILD"
	layer_script fuzz "$BUILD"
	layer_san
	layer_script e2e "$BUILD"
	layer_private
	;;
unit) layer_unit "$BUILD" unit ;;
nss | pam | cli | abi | fuzz | e2e) layer_script "$LAYER" "$BUILD" ;;
san) layer_san ;;
private) layer_private ;;
-h | --help) usage ;;
*) usage ;;
esac

echo
if [ $failed -gt 0 ]; then
	echo "failed suites:"
	printf '  %s\n' "${failures[@]}"
fi
echo "check: $passed passed, $failed failed"
[ $failed -eq 0 ]

# SPDX-License-Identifier: MIT
# Shared helpers for the umctl scenarios, sourced by tests/cli/tNNNN-*.sh.
#
# Each scenario gets a fresh temporary directory $T holding a config
# ($CONF, owned by the caller, mode 0644) whose store lives in $T/store,
# with the cheapest Argon2id cost libsodium allows. `umctl` below runs the
# binary under test with that config. Every check prints one line,
# "ok - ..." or "not ok - ...", and `finish` exits non-zero if any failed.
#
# A refusal always names its reason: expect_refusal and refused take the
# exit code AND the sentence umctl prints (one whole line of stderr);
# expect_exit is for commands that succeed, and fails a scenario that
# gives it a non-zero code.
#
# Environment: BUILDDIR (required: where umctl and the test programs of
# tests/cli were built, `make BUILD=... tests`), UMCTL (optional: the
# binary itself, overriding BUILDDIR/umctl).

set -u

if [ -z "${UMCTL:-}" ]; then
	: "${BUILDDIR:?set BUILDDIR to the build directory (or UMCTL to the binary)}"
	if [ -f "$BUILDDIR/umctl" ]; then
		UMCTL=$BUILDDIR/umctl
	elif [ -f "$BUILDDIR/bin/umctl" ]; then
		UMCTL=$BUILDDIR/bin/umctl
	else
		echo "not ok - no umctl binary in $BUILDDIR" >&2
		exit 1
	fi
fi
case $UMCTL in /*) ;; *) UMCTL=$PWD/$UMCTL ;; esac

# Dates and times are UTC in every scenario.
TZ=UTC
export TZ

TEST_NAME=$(basename "$0" .sh)
T=$(mktemp -d "${TMPDIR:-/tmp}/umctl-$TEST_NAME.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
CONF=$T/umgmt.conf
STORE=$T/store
OUT=$T/stdout
ERR=$T/stderr
FAILED=0
COUNT=0

# write_config [EXTRA INI LINES...]: (re)writes $CONF.
write_config() {
	{
		echo "[store]"
		echo "dir = $STORE"
		echo "[password]"
		echo "argon2_ops = 1"
		echo "argon2_mem_kib = 8"
		echo "min_length = 8"
		for line in "$@"; do echo "$line"; done
	} >"$CONF"
	chmod 0644 "$CONF"
}
write_config

umctl() {
	"$UMCTL" --config "$CONF" "$@"
}

ok() {
	COUNT=$((COUNT + 1))
	echo "ok - $TEST_NAME: $*"
}

not_ok() {
	COUNT=$((COUNT + 1))
	FAILED=$((FAILED + 1))
	echo "not ok - $TEST_NAME: $*"
}

# Shows what the last command printed, for a failed check.
show_output() {
	sed 's/^/#   stdout: /' "$OUT" 2>/dev/null | head -20
	sed 's/^/#   stderr: /' "$ERR" 2>/dev/null | head -20
}

# A printable form of a command line for the ok/not ok lines.
describe() {
	printf '%s' "$*" | tr '\n' '~' | sed "s|$UMCTL --config $CONF|umctl|g; s|$UMCTL|umctl|g; s|$T|\$T|g" |
		cut -c1-110
}

# run_cmd CMD...: runs CMD (stdout in $OUT, stderr in $ERR, stdin from
# /dev/null, or $INPUT through printf %b when set); its status in $got.
run_cmd() {
	if [ -n "${INPUT+set}" ]; then
		printf '%b' "$INPUT" | "$@" >"$OUT" 2>"$ERR"
	else
		"$@" >"$OUT" 2>"$ERR" </dev/null
	fi
	got=$?
}

# exit_is CODE CMD...: runs CMD and checks that it exits with CODE.
exit_is() {
	want=$1
	shift
	run_cmd "$@"
	if [ "$got" = "$want" ]; then
		ok "exit $want: $(describe "$@")${INPUT+ <<< input}"
	else
		not_ok "exit $want (got $got): $(describe "$@")${INPUT+ <<< input}"
		show_output
	fi
}

# expect_exit 0 CMD...: CMD succeeds. A non-zero CODE is refused here: a
# refusal must say why (expect_refusal).
expect_exit() {
	if [ "$1" != 0 ]; then
		not_ok "expect_exit $1 $(describe "$2 ${3:-}"): a refusal is checked with its sentence (expect_refusal CODE SENTENCE CMD...)"
	fi
	exit_is "$@"
}

# expect_exit_stdin 0 INPUT CMD...: as expect_exit, with INPUT (printf %b:
# escapes allowed) on stdin.
expect_exit_stdin() {
	_want=$1
	INPUT=$2
	shift 2
	expect_exit "$_want" "$@"
	unset INPUT
}

# expect_refusal CODE SENTENCE CMD...: CMD exits with CODE and one whole
# line of its stderr is SENTENCE (the user's reason, e.g. "umctl: cannot
# add user 'eve': unknown kind 'alien' (person, robot or customer)").
expect_refusal() {
	_sentence=$2
	_code=$1
	shift 2
	exit_is "$_code" "$@"
	expect_err_line "$_sentence"
}

# expect_refusal_stdin CODE SENTENCE INPUT CMD...: the same with INPUT on
# stdin.
expect_refusal_stdin() {
	_code=$1
	_sentence=$2
	INPUT=$3
	shift 3
	expect_refusal "$_code" "$_sentence" "$@"
	unset INPUT
}

# expect_in FILE WHAT GREP_FLAGS TEXT: FILE (the last command's stdout or
# stderr, called WHAT) has TEXT (grep -F GREP_FLAGS).
expect_in() {
	if grep -q"$3" -- "$4" "$1"; then
		ok "$2 '$(describe "$4")'"
	else
		not_ok "$2 '$(describe "$4")'"
		show_output
	fi
}

# expect_out TEXT / expect_err TEXT: the last command's stdout / stderr
# contains TEXT (a fixed string).
expect_out() { expect_in "$OUT" "stdout has" F "$1"; }
expect_err() { expect_in "$ERR" "stderr has" F "$1"; }

# expect_out_line LINE / expect_err_line LINE: the last command's stdout /
# stderr has LINE as one whole line.
expect_out_line() { expect_in "$OUT" "stdout says" xF "$1"; }
expect_err_line() { expect_in "$ERR" "stderr says" xF "$1"; }

expect_no_out() {
	if [ ! -s "$OUT" ]; then
		ok "stdout is empty"
	else
		not_ok "stdout is empty"
		show_output
	fi
}

# check DESCRIPTION CMD...: CMD succeeds.
check() {
	desc=$1
	shift
	if "$@" >/dev/null 2>&1; then
		ok "$desc"
	else
		not_ok "$desc"
	fi
}

# The JSON value at a python expression path of the last stdout, e.g.
# json_get '["uid"]' or json_get '[0]["name"]'. Needs python3 or jq;
# $JSON_TOOL says which.
if command -v python3 >/dev/null 2>&1 && python3 -c 'import json' 2>/dev/null; then
	JSON_TOOL=python3
elif command -v jq >/dev/null 2>&1; then
	JSON_TOOL=jq
else
	JSON_TOOL=
fi

# json_valid FILE: FILE holds one valid JSON text.
json_valid() {
	case $JSON_TOOL in
	python3) python3 -m json.tool "$1" >/dev/null 2>&1 ;;
	jq) jq -e . "$1" >/dev/null 2>&1 ;;
	*) return 0 ;;
	esac
}

# json_get KEY... : prints the value at that path of $OUT (keys or array
# indexes), strings raw, others as JSON.
json_get() {
	case $JSON_TOOL in
	python3)
		python3 -c '
import json, sys
v = json.load(open(sys.argv[1], encoding="utf-8"))
for k in sys.argv[2:]:
    v = v[int(k)] if isinstance(v, list) else v[k]
sys.stdout.write(v if isinstance(v, str) else json.dumps(v))
' "$OUT" "$@"
		;;
	jq)
		path=
		for k in "$@"; do
			case $k in *[!0-9]*) path="$path[\"$k\"]" ;; *) path="$path[$k]" ;; esac
		done
		jq -j "if (.$path | type) == \"string\" then .$path else (.$path | tojson) end" "$OUT"
		;;
	*) echo "no-json-tool" ;;
	esac
}

# expect_json VALUE KEY...: the value at KEY... of the last stdout is VALUE.
expect_json() {
	want=$1
	shift
	got=$(json_get "$@" 2>/dev/null)
	if [ "$got" = "$want" ]; then
		ok "json $* = $(describe "$want")"
	else
		not_ok "json $* = $(describe "$want") (got $(describe "$got"))"
	fi
}

# state: a fingerprint of everything the store serves and holds: both
# listings as JSON, the checksums of the snapshot and the truth, and what
# the scenario adds by redefining state_extra (e.g. `umctl user show bob
# --json` for the fields only show carries).
state() {
	umctl user list --json 2>&1
	umctl group list --json 2>&1
	umctl status --json 2>/dev/null | grep -v '"config"'
	sha256sum "$STORE/directory.db" 2>&1 | cut -d' ' -f1
	state_extra
}

state_extra() {
	:
}

# remember_state / expect_unchanged DESCRIPTION: nothing changed since.
remember_state() {
	state >"$T/state.before"
}

expect_unchanged() {
	state >"$T/state.after"
	if cmp -s "$T/state.before" "$T/state.after"; then
		ok "store unchanged: $(describe "$*")"
	else
		not_ok "store unchanged: $(describe "$*")"
		diff "$T/state.before" "$T/state.after" | head -20 | sed 's/^/#   /'
	fi
}

# refused CODE SENTENCE CMD...: CMD is refused (expect_refusal) and
# changes nothing.
refused() {
	remember_state
	expect_refusal "$@"
	shift 2
	expect_unchanged "$@"
}

# require_program NAME: tests/cli/NAME.c as `make tests` built it, in
# $BUILDDIR/tests/cli (the same build as umctl, sanitizers included): sets
# PROGRAM to its path, or fails and ends the scenario when it is missing.
require_program() {
	PROGRAM=${BUILDDIR:-}/tests/cli/$1
	if [ -z "${BUILDDIR:-}" ] || [ ! -x "$PROGRAM" ]; then
		not_ok "$1 is built in ${BUILDDIR:-\$BUILDDIR}/tests/cli (run: make BUILD=... tests)"
		finish
	fi
}

# helper fail|success|check-token ...: what a login writes to the store
# (tests/cli/test-policy-helper.c), on this scenario's config; the
# scenario first calls `require_program test-policy-helper`.
helper() {
	"$BUILDDIR/tests/cli/test-policy-helper" "$CONF" "$@"
}

finish() {
	if [ "$FAILED" -gt 0 ]; then
		echo "# $TEST_NAME: $FAILED of $COUNT failed"
		exit 1
	fi
	echo "# $TEST_NAME: all $COUNT passed"
	exit 0
}

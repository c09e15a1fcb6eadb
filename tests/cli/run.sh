#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs the umctl scenarios tests/cli/t*.sh in order against BUILDDIR's
# umctl; exits non-zero if any fails.
#
#   tests/cli/run.sh BUILDDIR [TEST...]
#
# As root, every scenario runs a second time as an unprivileged user
# (nobody, through setpriv): the core trusts a config and a store owned by
# the caller when the process is not setuid, so umctl must work the same
# there. UMCTL_CLI_UNPRIVILEGED=no skips that second round.
set -u

if [ $# -lt 1 ]; then
	echo "usage: $0 BUILDDIR [TEST...]" >&2
	exit 64
fi
BUILDDIR=$1
shift
case $BUILDDIR in /*) ;; *) BUILDDIR=$PWD/$BUILDDIR ;; esac
export BUILDDIR
here=$(cd "$(dirname "$0")" && pwd)

if [ $# -gt 0 ]; then
	tests=$*
else
	tests=$(ls "$here"/t[0-9][0-9][0-9][0-9]-*.sh | sort)
fi

passed=0
failed=0
failures=

run_one() { # LABEL CMD...
	label=$1
	shift
	if "$@"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		failures="$failures $label"
	fi
}

# A test named by a path relative to here, or to the current directory,
# or by its bare file name.
resolve() {
	case $1 in
	/*) echo "$1" ;;
	*) if [ -f "$1" ]; then echo "$PWD/$1"; else echo "$here/$(basename "$1")"; fi ;;
	esac
}

for t in $tests; do
	t=$(resolve "$t")
	run_one "$(basename "$t" .sh)" sh "$t"
done

if [ "$(id -u)" = 0 ] && [ "${UMCTL_CLI_UNPRIVILEGED:-yes}" != no ]; then
	if command -v setpriv >/dev/null 2>&1 && id nobody >/dev/null 2>&1; then
		uid=$(id -u nobody)
		gid=$(id -g nobody)
		echo "# running the scenarios again as nobody ($uid:$gid)"
		for t in $tests; do
			t=$(resolve "$t")
			run_one "$(basename "$t" .sh)(nobody)" \
				env -u SUDO_USER HOME=/ TMPDIR=/tmp \
				setpriv --reuid="$uid" --regid="$gid" --clear-groups sh "$t"
		done
	else
		echo "# not running unprivileged: setpriv or the user nobody is missing"
	fi
fi

echo "# cli: $passed passed, $failed failed${failures:+ (}${failures# }${failures:+)}"
[ "$failed" -eq 0 ]

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
# there. UMCTL_CLI_UNPRIVILEGED=no skips that second round. That round runs
# copies of the scenarios, umctl and the test programs in a world-readable
# temporary directory: the checkout and the build may be where nobody
# cannot read them (a clone in root's 0700 home, say).
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

resolved=
for t in $tests; do
	resolved="$resolved $(resolve "$t")"
done

for t in $resolved; do
	run_one "$(basename "$t" .sh)" sh "$t"
done

umctl_bin=${UMCTL:-$BUILDDIR/umctl}
[ -f "$umctl_bin" ] || umctl_bin=$BUILDDIR/bin/umctl

# stage DIR: DIR/tests/cli holds lib.sh and the scenarios, DIR/build the
# umctl under test and the test programs of tests/cli, all readable by
# anyone.
stage() {
	mkdir -p "$1/tests/cli" "$1/build/tests/cli" &&
		cp "$here"/*.sh "$1/tests/cli/" &&
		for t in $resolved; do cp "$t" "$1/tests/cli/" || return 1; done &&
		cp "$umctl_bin" "$1/build/umctl" &&
		for p in "$BUILDDIR"/tests/cli/test-*; do
			if [ -f "$p" ]; then cp "$p" "$1/build/tests/cli/" || return 1; fi
		done &&
		chmod -R a+rX "$1"
}

if [ "$(id -u)" = 0 ] && [ "${UMCTL_CLI_UNPRIVILEGED:-yes}" != no ]; then
	if command -v setpriv >/dev/null 2>&1 && id nobody >/dev/null 2>&1; then
		uid=$(id -u nobody)
		gid=$(id -g nobody)
		copy=$(mktemp -d /tmp/umgmt-cli-nobody.XXXXXX) || exit 1
		trap 'rm -rf "$copy"' EXIT
		chmod 0755 "$copy"
		if ! stage "$copy"; then
			echo "# cannot copy the scenarios and umctl to $copy"
			exit 1
		fi
		echo "# running the scenarios again as nobody ($uid:$gid), from copies in $copy"
		cd "$copy" || exit 1
		for t in $resolved; do
			run_one "$(basename "$t" .sh)(nobody)" \
				env -u SUDO_USER -u UMCTL HOME=/ TMPDIR=/tmp BUILDDIR="$copy/build" \
				setpriv --reuid="$uid" --regid="$gid" --clear-groups \
				sh "$copy/tests/cli/$(basename "$t")"
		done
	else
		echo "# not running unprivileged: setpriv or the user nobody is missing"
	fi
fi

echo "# cli: $passed passed, $failed failed${failures:+ (}${failures# }${failures:+)}"
[ "$failed" -eq 0 ]

# SPDX-License-Identifier: MIT
# Sourced by the scenarios that need tests/cli/test-policy-helper.c (what a
# login writes to the store, without a PAM stack). Builds it into
# $T/policy-helper against $BUILDDIR/libumgmt.a and defines `helper`;
# HELPER is empty when it cannot be built (no compiler, no library).
HELPER=
_src=$(cd "$(dirname "$0")/../.." && pwd)
_lib=$(find "$BUILDDIR" -maxdepth 1 -name libumgmt.a 2>/dev/null | head -1)
if command -v "${CC:-cc}" >/dev/null 2>&1 && [ -n "$_lib" ]; then
	_san=
	# A sanitizer build of the core needs the sanitizers in the program too.
	if nm "$_lib" 2>/dev/null | grep -q __asan_; then
		_san="-fsanitize=address,undefined -fno-sanitize-recover=all"
	fi
	# shellcheck disable=SC2086
	if "${CC:-cc}" $_san -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -I"$_src/include" \
		-o "$T/policy-helper" "$_src/tests/cli/test-policy-helper.c" "$_lib" \
		-lsqlite3 -lsodium -liniparser -lcrypt 2>"$T/helper.err"; then
		HELPER=$T/policy-helper
	else
		sed 's/^/# /' "$T/helper.err"
	fi
fi

helper() {
	"$HELPER" "$CONF" "$@"
}

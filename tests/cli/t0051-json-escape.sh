#!/bin/sh
# The emitter's JSON string escaping, case by case (control characters,
# quotes, backslashes, UTF-8 passed through, invalid UTF-8 replaced),
# through a small C program linked with umctl/output.c.
. "$(dirname "$0")/lib.sh"

src=$(cd "$(dirname "$0")/../.." && pwd)
lib=$(find "$BUILDDIR" -maxdepth 1 -name libumgmt.a | head -1)
CC=${CC:-cc}
if ! command -v "$CC" >/dev/null 2>&1 || [ -z "$lib" ]; then
	ok "# SKIP no C compiler or no $BUILDDIR/libumgmt.a"
	finish
fi
# A sanitizer build of the core needs the sanitizers in the program too.
san=
if nm "$lib" 2>/dev/null | grep -q __asan_; then
	san="-fsanitize=address,undefined -fno-sanitize-recover=all"
fi
# shellcheck disable=SC2086
if "$CC" $san -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -I"$src/include" -I"$src/umctl" \
	-o "$T/test-output" "$src/tests/cli/test-output.c" "$src/umctl/output.c" \
	"$src/umctl/exit.c" "$lib" -lsqlite3 -lsodium -liniparser -lcrypt 2>"$ERR"; then
	ok "test-output builds"
else
	not_ok "test-output builds"
	show_output
	finish
fi
"$T/test-output" >"$OUT" 2>"$ERR"
rc=$?
cat "$OUT"
grep -q '^not ok' "$OUT" && FAILED=$((FAILED + 1))
[ "$rc" = 0 ] && ok "all escaping cases" || not_ok "all escaping cases (exit $rc)"

# And the output is valid JSON for a parser, too.
if [ -n "$JSON_TOOL" ] && [ "$JSON_TOOL" = python3 ]; then
	sed -n 's/^ok - t0051-json-escape: //p' "$OUT" >"$T/strings"
	check "every escaped string parses as JSON" python3 -c '
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    json.loads(line)
' "$T/strings"
fi

finish

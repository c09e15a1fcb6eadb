#!/bin/sh
# The emitter's JSON string escaping, case by case (control characters,
# quotes, backslashes, UTF-8 passed through, invalid UTF-8 replaced),
# through tests/cli/test-output.c, linked with umctl/output.c by
# `make tests`.
. "$(dirname "$0")/lib.sh"

require_program test-output
"$PROGRAM" >"$OUT" 2>"$ERR"
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

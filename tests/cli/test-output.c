/* SPDX-License-Identifier: MIT */
/*
 * The JSON string escaping of umctl/output.c, for what the CLI cannot
 * reach: the core refuses control characters and bad UTF-8 in every field,
 * but the emitter must not depend on that. Built and run by
 * t0051-json-escape.sh; prints one ok/not ok line per case.
 */
#include "umctl.h"

static int failed;

static void check(const char *in, const char *want)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	if (!f)
		exit(2);
	out_json_string(f, in);
	fclose(f);
	if (strcmp(buf, want) == 0) {
		printf("ok - t0051-json-escape: %s\n", want);
	} else {
		printf("not ok - t0051-json-escape: want %s, got %s\n", want, buf);
		failed++;
	}
	free(buf);
}

int main(void)
{
	check("", "\"\"");
	check("plain", "\"plain\"");
	check("say \"hi\" \\ back", "\"say \\\"hi\\\" \\\\ back\"");
	check("\n\t\r\b\f", "\"\\n\\t\\r\\b\\f\"");
	check("\x01\x1b[2J\x1f\x7f", "\"\\u0001\\u001b[2J\\u001f\\u007f\"");
	check("j\xc3\xbcrgen \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80",
	      "\"j\xc3\xbcrgen \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80\"");
	check("/ and \xe2\x80\xa8 pass", "\"/ and \xe2\x80\xa8 pass\"");
	/* Not UTF-8: each bad byte becomes U+FFFD, so the JSON stays valid. */
	check("bad \xff end", "\"bad \\ufffd end\"");
	check("cut \xc3", "\"cut \\ufffd\"");
	check("overlong \xc0\xaf", "\"overlong \\ufffd\\ufffd\"");
	check("surrogate \xed\xa0\x80", "\"surrogate \\ufffd\\ufffd\\ufffd\"");
	check("too big \xf4\x90\x80\x80", "\"too big \\ufffd\\ufffd\\ufffd\\ufffd\"");
	return failed ? 1 : 0;
}

/* SPDX-License-Identifier: MIT */
/* Unit tests of lib/validate.c: names, GECOS, paths, e-mail addresses. */
#include "helpers.h"

#include "umgmt/validate.h"

struct str_case {
	const char *s;
	bool ok;
	const char *note;
};

static char *repeat(char c, size_t n, const char *prefix, const char *suffix)
{
	size_t p = strlen(prefix), q = strlen(suffix);
	char *s = malloc(p + n + q + 1);

	assert_non_null(s);
	memcpy(s, prefix, p);
	memset(s + p, c, n);
	memcpy(s + p + n, suffix, q + 1);
	return s;
}

/* Debian's default NAME_REGEX: ^[a-z][-a-z0-9_]*\$?$ and at most 32. */
static const struct str_case names[] = {
	{ "a", true, "one letter" },
	{ "alice", true, "plain" },
	{ "a-b_c9", true, "all allowed characters" },
	{ "a$", true, "Samba machine account" },
	{ "bob-1$", true, "final $" },
	{ "a0", true, "letter then digit" },
	{ "", false, "empty" },
	{ "a$b", false, "$ not last" },
	{ "$", false, "only $" },
	{ "a$$", false, "two $" },
	{ "_a", false, "leading underscore" },
	{ "-a", false, "leading dash (option injection)" },
	{ "1a", false, "leading digit" },
	{ "123", false, "all digits (would read as a uid)" },
	{ "0", false, "zero" },
	{ ".", false, "dot" },
	{ "..", false, "dot dot" },
	{ ".a", false, "leading dot" },
	{ "a.b", false, "inner dot (not in Debian's default rule)" },
	{ "/", false, "slash" },
	{ "a/b", false, "inner slash" },
	{ "a:b", false, "colon: passwd separator" },
	{ ":", false, "colon alone" },
	{ "a,b", false, "comma: group member separator" },
	{ "a\nb", false, "newline" },
	{ "a\n", false, "trailing newline" },
	{ "a\tb", false, "tab" },
	{ "a b", false, "space" },
	{ " a", false, "leading space" },
	{ "a ", false, "trailing space" },
	{ "Alice", false, "uppercase first" },
	{ "aLice", false, "uppercase inside" },
	{ "j\xc3\xbcrgen", false, "UTF-8 j\xc3\xbcrgen" },
	{ "\xc3\xa9mile", false, "UTF-8 first letter" },
	{ "a\x7f", false, "DEL" },
	{ "a\x01", false, "control character" },
	{ "a*", false, "glob" },
	{ "a@b", false, "at sign" },
	{ "+a", false, "NIS compat +" },
	{ "a+", false, "plus inside" },
};

static void test_names_table(void **state _unused_)
{
	for (size_t i = 0; i < UM_ELEMENTSOF(names); i++) {
		int r;

		r = um_check_name("user name", names[i].s);
		if (names[i].ok && r != 0)
			fail_msg("name case %zu (%s) should be accepted, got %d: %s", i,
				 names[i].note, r, um_error_detail(r));
		if (!names[i].ok) {
			if (r != -EINVAL)
				fail_msg("name case %zu (%s) should be -EINVAL, got %d", i,
					 names[i].note, r);
			if (!strstr(um_error_detail(r), "user name"))
				fail_msg("name case %zu (%s): detail '%s' does not name the field",
					 i, names[i].note, um_error_detail(r));
		}
		assert_int_equal(um_is_valid_name(names[i].s), names[i].ok);
	}
}

static void test_name_lengths(void **state _unused_)
{
	char *n32 = repeat('a', 32, "", "");
	char *n31d = repeat('b', 31, "", "$");
	char *n33 = repeat('a', 33, "", "");
	char *n300 = repeat('z', 300, "", "");

	assert_ok(um_check_name("user name", n32));
	assert_ok(um_check_name("user name", n31d)); /* 32 with the final '$' */
	assert_errno(um_check_name("user name", n33), -EINVAL);
	assert_detail_has("33");
	assert_errno(um_check_name("group name", n300), -EINVAL);
	assert_detail_has("group name");
	assert_detail_has("32");
	free(n32);
	free(n31d);
	free(n33);
	free(n300);
}

static void test_name_null_and_details(void **state _unused_)
{
	assert_errno(um_check_name("user name", NULL), -EINVAL);
	assert_false(um_is_valid_name(NULL));
	assert_errno(um_check_name("group name", ""), -EINVAL);
	assert_detail_has("group name");
	assert_detail_has("empty");
	assert_errno(um_check_name("user name", "a:b"), -EINVAL);
	assert_detail_has("':'");
	assert_errno(um_check_name("user name", "a$b"), -EINVAL);
	assert_detail_has("'$'");
	assert_errno(um_check_name("user name", "123"), -EINVAL);
	assert_detail_has("digit");
}

static const struct str_case gecos[] = {
	{ "", true, "empty" },
	{ "Alice Liddell", true, "ASCII" },
	{ "J\xc3\xbcrgen M\xc3\xbcller", true, "Latin-1 letters in UTF-8" },
	{ "\xe5\xb1\xb1\xe7\x94\xb0\xe5\xa4\xaa\xe9\x83\x8e", true, "CJK" },
	{ "Smile \xf0\x9f\x98\x80", true, "4-byte UTF-8" },
	{ "O'Brien (ops) - room #4", true, "punctuation" },
	{ "a:b", false, "colon" },
	{ "Doe, John", false, "comma" },
	{ "a\nb", false, "newline" },
	{ "a\rb", false, "carriage return" },
	{ "a\tb", false, "tab" },
	{ "a\x7f", false, "DEL" },
	{ "\xff", false, "invalid byte" },
	{ "\xc3", false, "truncated sequence" },
	{ "\xc3(", false, "bad continuation" },
	{ "\x80", false, "lone continuation byte" },
	{ "\xc0\xaf", false, "overlong '/' (2 bytes)" },
	{ "\xc1\xbf", false, "overlong 2 bytes" },
	{ "\xe0\x80\xaf", false, "overlong '/' (3 bytes)" },
	{ "\xf0\x80\x80\xaf", false, "overlong '/' (4 bytes)" },
	{ "\xc0\x80", false, "overlong NUL" },
	{ "\xed\xa0\x80", false, "UTF-16 surrogate" },
	{ "\xf4\x90\x80\x80", false, "beyond U+10FFFF" },
	{ "\xf8\x88\x80\x80\x80", false, "5-byte form" },
	{ "\xc2\x85", false, "C1 control NEL" },
};

static void test_gecos_table(void **state _unused_)
{
	for (size_t i = 0; i < UM_ELEMENTSOF(gecos); i++) {
		int r = um_check_gecos(gecos[i].s);

		if (r != (gecos[i].ok ? 0 : -EINVAL))
			fail_msg("gecos case %zu (%s): got %d", i, gecos[i].note, r);
		if (!gecos[i].ok && !strstr(um_error_detail(r), "full name"))
			fail_msg("gecos case %zu: detail '%s'", i, um_error_detail(r));
	}
	assert_ok(um_check_gecos(NULL)); /* "not given" */
}

static void test_gecos_length(void **state _unused_)
{
	char *g255 = repeat('x', 255, "", "");
	char *g256 = repeat('x', 256, "", "");

	assert_ok(um_check_gecos(g255));
	assert_errno(um_check_gecos(g256), -EINVAL);
	assert_detail_has("255");
	free(g255);
	free(g256);
}

static const struct str_case paths[] = {
	{ "/", true, "root" },
	{ "/home/alice", true, "home" },
	{ "/bin/bash", true, "shell" },
	{ "/home/j\xc3\xbcrgen", true, "UTF-8" },
	{ "/a/..b", true, "..b is a name" },
	{ "/a/b..", true, "b.. is a name" },
	{ "/a/./b", true, "a '.' component is harmless" },
	{ "", false, "empty" },
	{ "home/alice", false, "relative" },
	{ "./x", false, "relative dot" },
	{ "~alice", false, "tilde" },
	{ "/a:b", false, "colon" },
	{ "/a\nb", false, "newline" },
	{ "/a\tb", false, "tab" },
	{ "/a\x7f", false, "DEL" },
	{ "/\xff", false, "invalid UTF-8" },
	{ "/..", false, "'..' at the end" },
	{ "/a/..", false, "'..' at the end" },
	{ "/a/../b", false, "'..' inside" },
	{ "/home/../etc/shadow", false, "traversal" },
};

static void test_paths_table(void **state _unused_)
{
	for (size_t i = 0; i < UM_ELEMENTSOF(paths); i++) {
		int r = um_check_path("home directory", paths[i].s);

		if (r != (paths[i].ok ? 0 : -EINVAL))
			fail_msg("path case %zu (%s: '%s'): got %d", i, paths[i].note, paths[i].s,
				 r);
		if (!paths[i].ok && !strstr(um_error_detail(r), "home directory"))
			fail_msg("path case %zu: detail '%s' does not name the field", i,
				 um_error_detail(r));
	}
	assert_errno(um_check_path("shell", NULL), -EINVAL);
	assert_detail_has("shell");
}

static void test_path_length(void **state _unused_)
{
	char *p4095 = repeat('p', 4094, "/", "");
	char *p4096 = repeat('p', 4095, "/", "");

	assert_int_equal(strlen(p4095), 4095);
	assert_ok(um_check_path("home directory", p4095));
	assert_errno(um_check_path("home directory", p4096), -EINVAL);
	assert_detail_has("4095");
	free(p4095);
	free(p4096);
}

static const struct str_case emails[] = {
	{ "alice@example.org", true, "plain" },
	{ "a.b+tag@mail.example.co.uk", true, "dots, plus, subdomains" },
	{ "x@y.z", true, "short" },
	{ "", false, "empty" },
	{ "alice", false, "no @" },
	{ "@example.org", false, "empty local part" },
	{ "alice@", false, "empty domain" },
	{ "alice@@example.org", false, "two @ together" },
	{ "a@b@example.org", false, "two @" },
	{ "alice@localhost", false, "domain without dot" },
	{ "alice@.org", false, "domain starts with dot" },
	{ "alice@example.org.", false, "domain ends with dot" },
	{ "al ice@example.org", false, "space" },
	{ " alice@example.org", false, "leading space" },
	{ "alice@example.org\n", false, "newline" },
	{ "alice@exa\tmple.org", false, "tab" },
	{ "a,b@example.org", false, "comma" },
	{ "a:b@example.org", false, "colon" },
	{ "<alice@example.org>", false, "angle brackets" },
	{ "alice@example.org\x7f", false, "DEL" },
};

static void test_email_table(void **state _unused_)
{
	for (size_t i = 0; i < UM_ELEMENTSOF(emails); i++) {
		int r = um_check_email(emails[i].s);

		if (r != (emails[i].ok ? 0 : -EINVAL))
			fail_msg("e-mail case %zu (%s): got %d", i, emails[i].note, r);
		if (!emails[i].ok && !strstr(um_error_detail(r), "e-mail"))
			fail_msg("e-mail case %zu: detail '%s'", i, um_error_detail(r));
	}
	assert_errno(um_check_email(NULL), -EINVAL);
}

static void test_email_length(void **state _unused_)
{
	/* 254 is the longest address SMTP can carry (RFC 5321 path limit) */
	char *e254 = repeat('a', 254 - strlen("@example.org"), "", "@example.org");
	char *e255 = repeat('a', 255 - strlen("@example.org"), "", "@example.org");

	assert_int_equal(strlen(e254), 254);
	assert_ok(um_check_email(e254));
	assert_errno(um_check_email(e255), -EINVAL);
	free(e254);
	free(e255);
}

int main(void)
{
	struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_table),	      cmocka_unit_test(test_name_lengths),
		cmocka_unit_test(test_name_null_and_details), cmocka_unit_test(test_gecos_table),
		cmocka_unit_test(test_gecos_length),	      cmocka_unit_test(test_paths_table),
		cmocka_unit_test(test_path_length),	      cmocka_unit_test(test_email_table),
		cmocka_unit_test(test_email_length),
	};

	RUN_TESTS(tests);
}

/* SPDX-License-Identifier: MIT */
/* Unit tests of lib/sentence.c: the one table of sentences a refused user
 * reads. */
#include "helpers.h"
#include "umgmt/sentence.h"

/* Every id has a sentence: a capital letter first, a full stop last, and
 * at most one place for an argument. */
static void test_every_sentence(void **state)
{
	(void)state;
	for (int id = 0; id < _UM_SAY_MAX; id++) {
		const char *t = um_sentence((enum um_sentence)id), *hole = strstr(t, "%s");

		if (!t || !*t)
			fail_msg("sentence %d is empty", id);
		if (t[0] < 'A' || t[0] > 'Z' || t[strlen(t) - 1] != '.')
			fail_msg("sentence %d is not a sentence: '%s'", id, t);
		if (hole && strstr(hole + 2, "%"))
			fail_msg("sentence %d has more than one argument: '%s'", id, t);
	}
}

static void test_format(void **state)
{
	char out[160], small[16];

	(void)state;
	um_sentence_format(UM_SAY_ABSENT_UNTIL, "24 December", out, sizeof(out));
	assert_string_equal(out, "You are marked absent until 24 December.");
	um_sentence_format(UM_SAY_SERVICE, "sshd", out, sizeof(out));
	assert_string_equal(out, "You are not allowed to log in to this machine with sshd.");
	/* an argument is text, never a format */
	um_sentence_format(UM_SAY_SERVICE, "%s%n", out, sizeof(out));
	assert_string_equal(out, "You are not allowed to log in to this machine with %s%n.");
	/* no argument: the sentence as it is */
	um_sentence_format(UM_SAY_DISABLED, "ignored", out, sizeof(out));
	assert_string_equal(out, um_sentence(UM_SAY_DISABLED));
	/* truncated, NUL-terminated */
	um_sentence_format(UM_SAY_PENDING, NULL, small, sizeof(small));
	assert_string_equal(small, "Your account is");
	/* an unknown id is a refusal's sentence, never NULL */
	assert_non_null(um_sentence((enum um_sentence)_UM_SAY_MAX));
}

int main(void)
{
	struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_sentence),
		cmocka_unit_test(test_format),
	};

	RUN_TESTS(tests);
}

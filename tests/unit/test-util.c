/* SPDX-License-Identifier: MIT */
/* Unit tests of lib/util.c: strict numbers, error details, error texts. */
#include <pthread.h>

#include "helpers.h"

struct u64_case {
	const char *s;
	uint64_t min, max;
	int err;       /* expected return */
	uint64_t want; /* value when err == 0 */
};

static const struct u64_case u64_cases[] = {
	{ "", 0, UINT64_MAX, -EINVAL, 0 },
	{ "0", 0, UINT64_MAX, 0, 0 },
	{ "1", 0, UINT64_MAX, 0, 1 },
	{ "42", 0, UINT64_MAX, 0, 42 },
	{ "01", 0, UINT64_MAX, -EINVAL, 0 },
	{ "00", 0, UINT64_MAX, -EINVAL, 0 },
	{ "010", 0, UINT64_MAX, -EINVAL, 0 },
	{ "-1", 0, UINT64_MAX, -EINVAL, 0 },
	{ "-0", 0, UINT64_MAX, -EINVAL, 0 },
	{ "+1", 0, UINT64_MAX, -EINVAL, 0 },
	{ " 1", 0, UINT64_MAX, -EINVAL, 0 },
	{ "1 ", 0, UINT64_MAX, -EINVAL, 0 },
	{ "1\n", 0, UINT64_MAX, -EINVAL, 0 },
	{ "\t1", 0, UINT64_MAX, -EINVAL, 0 },
	{ "0x10", 0, UINT64_MAX, -EINVAL, 0 },
	{ "1e3", 0, UINT64_MAX, -EINVAL, 0 },
	{ "1.0", 0, UINT64_MAX, -EINVAL, 0 },
	{ "1_000", 0, UINT64_MAX, -EINVAL, 0 },
	{ "abc", 0, UINT64_MAX, -EINVAL, 0 },
	{ "12a", 0, UINT64_MAX, -EINVAL, 0 },
	{ "\xd9\xa1", 0, UINT64_MAX, -EINVAL, 0 }, /* ARABIC-INDIC DIGIT ONE */
	{ "18446744073709551615", 0, UINT64_MAX, 0, UINT64_MAX },
	{ "18446744073709551616", 0, UINT64_MAX, -ERANGE, 0 },
	{ "18446744073709551620", 0, UINT64_MAX, -ERANGE, 0 },
	{ "99999999999999999999", 0, UINT64_MAX, -ERANGE, 0 },
	{ "184467440737095516150", 0, UINT64_MAX, -ERANGE, 0 },
	{ "100000000000000000000000000000", 0, UINT64_MAX, -ERANGE, 0 },
	/* bounds are inclusive */
	{ "5", 5, 10, 0, 5 },
	{ "10", 5, 10, 0, 10 },
	{ "4", 5, 10, -ERANGE, 0 },
	{ "11", 5, 10, -ERANGE, 0 },
	{ "0", 1, 10, -ERANGE, 0 },
	{ "7", 7, 7, 0, 7 },
	{ "4294967294", 1, 4294967294u, 0, 4294967294u },
	{ "4294967295", 1, 4294967294u, -ERANGE, 0 },
	/* syntax is judged before range */
	{ "01", 5, 10, -EINVAL, 0 },
};

static void test_parse_u64_table(void **state _unused_)
{
	for (size_t i = 0; i < UM_ELEMENTSOF(u64_cases); i++) {
		const struct u64_case *c = &u64_cases[i];
		uint64_t v = 0xdeadbeef;
		int r = um_parse_u64(c->s, c->min, c->max, &v);

		if (r != c->err)
			fail_msg("um_parse_u64(\"%s\", %ju, %ju) = %d, expected %d", c->s,
				 (uintmax_t)c->min, (uintmax_t)c->max, r, c->err);
		if (c->err == 0 && v != c->want)
			fail_msg("um_parse_u64(\"%s\") gave %ju, expected %ju", c->s, (uintmax_t)v,
				 (uintmax_t)c->want);
		/* ret_* is written only on success */
		if (c->err != 0 && v != 0xdeadbeef)
			fail_msg("um_parse_u64(\"%s\") wrote %ju on failure", c->s, (uintmax_t)v);
	}
}

static void test_parse_u64_null(void **state _unused_)
{
	uint64_t v = 3;

	assert_errno(um_parse_u64(NULL, 0, 10, &v), -EINVAL);
	assert_int_equal(v, 3);
}

static void test_fail_returns_err_and_sets_detail(void **state)
{
	(void)state;
	assert_errno(um_fail(-EEXIST, "user '%s' exists (%d)", "bob", 7), -EEXIST);
	assert_string_equal(um_error_detail(-EEXIST), "user 'bob' exists (7)");
	assert_errno(um_fail(-EINVAL, "second"), -EINVAL);
	assert_string_equal(um_error_detail(-EINVAL), "second");
}

/* A detail explains its own error only: a front end asking about another
 * error gets nothing, never the reason of an earlier failure. */
static void test_detail_is_only_for_its_error(void **state)
{
	(void)state;
	um_fail(-EEXIST, "user 'bob' exists");
	assert_string_equal(um_error_detail(-ESRCH), "");
	assert_string_equal(um_error_detail(-EIO), "");
	assert_string_equal(um_error_detail(0), "");
	assert_string_equal(um_error_text(-ESRCH), um_strerror(-ESRCH));
	assert_string_equal(um_error_text(-EEXIST), "user 'bob' exists");
	/* a newer failure replaces it */
	um_fail(-ESRCH, "no user 'carol'");
	assert_string_equal(um_error_detail(-EEXIST), "");
	assert_string_equal(um_error_detail(-ESRCH), "no user 'carol'");
}

/* What the core handled itself is forgotten, so it can never explain a
 * later error with the same errno. */
static void test_forget_drops_the_detail(void **state)
{
	(void)state;
	um_fail(-EEXIST, "uid 20000 is taken");
	assert_errno(um_error_forget(-EEXIST), -EEXIST);
	assert_string_equal(um_error_detail(-EEXIST), "");
	assert_string_equal(um_error_text(-EEXIST), um_strerror(-EEXIST));
}

/* A detail may wrap the one before it (um_tx_commit does). */
static void test_fail_wraps_its_own_detail(void **state)
{
	(void)state;
	um_fail(-EIO, "cannot rename a to b");
	assert_errno(um_fail(-EIO, "the change was saved, but not published (%s)",
			     um_error_detail(-EIO)),
		     -EIO);
	assert_string_equal(um_error_detail(-EIO),
			    "the change was saved, but not published (cannot rename a to b)");
}

static void test_fail_truncates_long_detail(void **state _unused_)
{
	char big[2000];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_errno(um_fail(-EIO, "%s", big), -EIO);
	/* truncated, NUL-terminated, a prefix of what was asked */
	assert_true(strlen(um_error_detail(-EIO)) > 100);
	assert_true(strlen(um_error_detail(-EIO)) < sizeof(big) - 1);
	assert_int_equal(strspn(um_error_detail(-EIO), "x"), strlen(um_error_detail(-EIO)));
}

struct thread_result {
	char before[64];
	char after[64];
};

static void *other_thread(void *arg)
{
	struct thread_result *res = arg;

	snprintf(res->before, sizeof(res->before), "%s", um_error_detail(-EINVAL));
	um_fail(-ESRCH, "from the other thread");
	snprintf(res->after, sizeof(res->after), "%s", um_error_detail(-ESRCH));
	return NULL;
}

static void test_detail_is_thread_local(void **state _unused_)
{
	struct thread_result res = { { 0 }, { 0 } };
	pthread_t t;

	um_fail(-EINVAL, "from the main thread");
	assert_int_equal(pthread_create(&t, NULL, other_thread, &res), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	/* the new thread starts with an empty detail, and its failure does
	 * not reach this thread */
	assert_string_equal(res.before, "");
	assert_string_equal(res.after, "from the other thread");
	assert_string_equal(um_error_detail(-EINVAL), "from the main thread");
}

static void test_strerror(void **state _unused_)
{
	static const int vocab[] = { ESRCH, EEXIST,  EINVAL, EACCES, EPERM,  EBUSY,
				     EIO,   EBADMSG, ERANGE, ENOENT, ENOSPC, ENOMEM };
	const char *unexpected = um_strerror(-EXDEV);

	assert_non_null(unexpected);
	assert_string_equal(um_strerror(0), "success");
	for (size_t i = 0; i < UM_ELEMENTSOF(vocab); i++) {
		const char *a = um_strerror(-vocab[i]);

		assert_non_null(a);
		assert_true(strlen(a) > 0);
		/* every word of the vocabulary has its own text */
		assert_string_not_equal(a, unexpected);
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(a, um_strerror(-vocab[j]));
		/* positive and negative are accepted alike */
		assert_string_equal(a, um_strerror(vocab[i]));
	}
	assert_string_equal(um_strerror(-ESRCH), "no such record");
	assert_string_equal(um_strerror(-EEXIST), "already exists");
	assert_string_equal(um_strerror(-EACCES), "permission denied");
	assert_non_null(um_strerror(12345));
	assert_non_null(um_strerror(INT32_MIN + 1));
}

static void test_small_helpers(void **state _unused_)
{
	char *s = um_strdup("abc");
	char *p = um_asprintf("%s-%d", "x", 42);
	char *secret = strdup("hunter2");

	assert_null(um_strdup(NULL));
	assert_string_equal(s, "abc");
	assert_string_equal(p, "x-42");
	free(s);
	free(p);
	um_secret_free(secret);
	um_secret_free(NULL);
	{
		_cleanup_free_ char *c = strdup("freed by cleanup");
		_cleanup_secret_ char *c2 = strdup("wiped by cleanup");
		_cleanup_close_ int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		_cleanup_fclose_ FILE *fp = fopen("/dev/null", "re");

		assert_non_null(c);
		assert_non_null(c2);
		assert_true(fd >= 0);
		assert_non_null(fp);
	}
}

int main(void)
{
	struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_u64_table),
		cmocka_unit_test(test_parse_u64_null),
		cmocka_unit_test(test_fail_returns_err_and_sets_detail),
		cmocka_unit_test(test_detail_is_only_for_its_error),
		cmocka_unit_test(test_forget_drops_the_detail),
		cmocka_unit_test(test_fail_wraps_its_own_detail),
		cmocka_unit_test(test_fail_truncates_long_detail),
		cmocka_unit_test(test_detail_is_thread_local),
		cmocka_unit_test(test_strerror),
		cmocka_unit_test(test_small_helpers),
	};

	RUN_TESTS(tests);
}

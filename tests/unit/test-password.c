/* SPDX-License-Identifier: MIT */
/* Unit tests of lib/password.c: Argon2id hashing, verification, policy. */
#include "helpers.h"

#include "umgmt/password.h"

/* The cheapest cost libsodium allows, as every test config uses. */
static struct um_config *cheap_config(void)
{
	struct um_config *c = NULL;

	assert_ok(um_config_defaults(&c));
	c->argon2_opslimit = 1;
	c->argon2_memlimit = 8 * 1024;
	return c;
}

static void test_hash_and_verify(void **state _unused_)
{
	struct um_config *c = cheap_config();
	char h1[UM_HASH_MAX], h2[UM_HASH_MAX];

	assert_ok(um_password_hash(c, "correct horse", h1));
	assert_true(strncmp(h1, "$argon2id$", 10) == 0);
	assert_non_null(strstr(h1, "m=8,t=1,"));
	assert_true(strlen(h1) < UM_HASH_MAX);
	assert_ok(um_password_verify(h1, "correct horse"));
	assert_errno(um_password_verify(h1, "correct hors"), -EACCES);
	assert_errno(um_password_verify(h1, "correct horse "), -EACCES);
	assert_errno(um_password_verify(h1, "Correct horse"), -EACCES);
	assert_errno(um_password_verify(h1, ""), -EACCES);
	/* salted: the same password hashes differently each time */
	assert_ok(um_password_hash(c, "correct horse", h2));
	assert_string_not_equal(h1, h2);
	assert_ok(um_password_verify(h2, "correct horse"));
	/* UTF-8 passwords are bytes like any other */
	assert_ok(um_password_hash(c, "p\xc3\xa4sswort", h2));
	assert_ok(um_password_verify(h2, "p\xc3\xa4sswort"));
	assert_errno(um_password_verify(h2, "pa\xcc\x88sswort"), -EACCES); /* NFD form */
	um_config_free(c);
}

static void test_verify_bad_hashes(void **state _unused_)
{
	static const char *const bad[] = {
		"",
		"*",
		"!",
		"$6$salt$hash",
		"$argon2i$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g",
		"plain text",
	};

	for (size_t i = 0; i < UM_ELEMENTSOF(bad); i++)
		if (um_password_verify(bad[i], "x") != -EBADMSG)
			fail_msg("hash '%s' should be -EBADMSG", bad[i]);
	assert_errno(um_password_verify(NULL, "x"), -EBADMSG);
	/* a truncated Argon2id string is not a match (and does not crash) */
	assert_errno(um_password_verify("$argon2id$v=19$m=8,t=1,p=1$", "x"), -EACCES);
	assert_errno(um_password_verify("$argon2id$", "x"), -EACCES);
}

static void test_length_limits(void **state _unused_)
{
	struct um_config *c = cheap_config();
	char hash[UM_HASH_MAX];
	char *max = malloc(UM_PASSWORD_MAX + 2);

	assert_non_null(max);
	memset(max, 'x', UM_PASSWORD_MAX);
	max[UM_PASSWORD_MAX] = '\0';
	assert_ok(um_password_hash(c, max, hash));
	assert_ok(um_password_verify(hash, max));
	max[UM_PASSWORD_MAX] = 'x';
	max[UM_PASSWORD_MAX + 1] = '\0';
	assert_errno(um_password_hash(c, max, hash), -EINVAL);
	assert_errno(um_password_verify(hash, max), -EACCES);
	free(max);
	um_config_free(c);
}

static void test_needs_rehash(void **state _unused_)
{
	struct um_config *c = cheap_config();
	char hash[UM_HASH_MAX];

	assert_ok(um_password_hash(c, "secret-pw", hash));
	assert_false(um_password_needs_rehash(c, hash));
	c->argon2_opslimit = 2;
	assert_true(um_password_needs_rehash(c, hash));
	c->argon2_opslimit = 1;
	c->argon2_memlimit = 16 * 1024;
	assert_true(um_password_needs_rehash(c, hash));
	c->argon2_memlimit = 8 * 1024;
	assert_false(um_password_needs_rehash(c, hash));
	/* anything that is not our Argon2id is upgraded */
	assert_true(um_password_needs_rehash(c, "$6$salt$hash"));
	assert_true(um_password_needs_rehash(c, ""));
	um_config_free(c);
}

static void test_dummy_verify(void **state _unused_)
{
	struct um_config *c = cheap_config();
	char *big = malloc(UM_PASSWORD_MAX + 100);

	assert_non_null(big);
	memset(big, 'y', UM_PASSWORD_MAX + 99);
	big[UM_PASSWORD_MAX + 99] = '\0';
	/* no crash, no leak, for any input */
	um_password_dummy_verify(c, "whatever");
	um_password_dummy_verify(c, "");
	um_password_dummy_verify(c, NULL);
	um_password_dummy_verify(c, big);
	free(big);
	um_config_free(c);
}

struct policy_case {
	const char *name;
	const char *pw;
	int err;
	const char *detail;
};

static const struct policy_case policy[] = {
	{ "alice", "abcdefgh", 0, NULL },
	{ "alice", "abcdefg", -EINVAL, "at least 8 characters" },
	{ "alice", "", -EINVAL, "must not be empty" },
	{ "alice", NULL, -EINVAL, "must not be empty" },
	/* length counts characters, not bytes */
	{ "alice", "p\xc3\xa4ssw\xc3\xb6rd", 0, NULL },		     /* 8 chars, 10 bytes */
	{ "alice", "p\xc3\xa4ssw\xc3\xb6r", -EINVAL, "at least 8" }, /* 7 chars, 9 bytes */
	{ "alice", "\xe5\xaf\x86\xe7\xa0\x81\xe5\xaf\x86\xe7\xa0\x81", -EINVAL,
	  "at least 8" }, /* 4 chars, 12 bytes */
	{ "alice",
	  "\xf0\x9f\x94\x91\xf0\x9f\x94\x91\xf0\x9f\x94\x91\xf0\x9f\x94\x91"
	  "\xf0\x9f\x94\x91\xf0\x9f\x94\x91\xf0\x9f\x94\x91",
	  -EINVAL, "at least 8" }, /* 7 emoji, 28 bytes */
	{ "alice",
	  "\xf0\x9f\x94\x91\xf0\x9f\x94\x91\xf0\x9f\x94\x91\xf0\x9f\x94\x91"
	  "\xf0\x9f\x94\x91\xf0\x9f\x94\x91\xf0\x9f\x94\x91\xf0\x9f\x94\x91",
	  0, NULL }, /* 8 emoji */
	/* not the user's name */
	{ "longusername", "longusername", -EINVAL, "user name" },
	{ "longusername", "longusername1", 0, NULL },
	{ NULL, "longusername", 0, NULL },
};

static void test_policy(void **state _unused_)
{
	struct um_config *c = cheap_config();

	for (size_t i = 0; i < UM_ELEMENTSOF(policy); i++) {
		int r;

		r = um_password_check_policy(c, policy[i].name, policy[i].pw);
		if (r != policy[i].err)
			fail_msg("policy case %zu gave %d, expected %d (%s)", i, r, policy[i].err,
				 um_error_detail(r));
		if (policy[i].detail && !strstr(um_error_detail(r), policy[i].detail))
			fail_msg("policy case %zu: detail '%s' lacks '%s'", i, um_error_detail(r),
				 policy[i].detail);
		/* addressed to a person: a sentence */
		if (r < 0) {
			const char *d = um_error_detail(r);

			assert_true(d[0] >= 'A' && d[0] <= 'Z');
			assert_int_equal(d[strlen(d) - 1], '.');
		}
	}
	um_config_free(c);
}

static void test_policy_limits(void **state _unused_)
{
	struct um_config *c = cheap_config();
	char *pw = malloc(UM_PASSWORD_MAX + 2);

	assert_non_null(pw);
	c->password_min_length = 1;
	assert_ok(um_password_check_policy(c, "alice", "x"));
	c->password_min_length = 12;
	assert_errno(um_password_check_policy(c, "alice", "elevenchars"), -EINVAL);
	assert_detail_has("12");
	assert_ok(um_password_check_policy(c, "alice", "twelve chars"));
	memset(pw, 'z', UM_PASSWORD_MAX);
	pw[UM_PASSWORD_MAX] = '\0';
	assert_ok(um_password_check_policy(c, "alice", pw));
	pw[UM_PASSWORD_MAX] = 'z';
	pw[UM_PASSWORD_MAX + 1] = '\0';
	assert_errno(um_password_check_policy(c, "alice", pw), -EINVAL);
	assert_detail_has("at most");
	free(pw);
	um_config_free(c);
}

/* A new password: the policy first (nothing is hashed for a refused one),
 * then a hash that verifies. */
static void test_new_hash(void **state _unused_)
{
	struct um_config *c = cheap_config();
	char hash[UM_HASH_MAX] = "";

	c->password_min_length = 12;
	assert_errno(um_password_new_hash(c, "alice", "short", hash), -EINVAL);
	assert_detail_has("12");
	assert_string_equal(hash, "");
	assert_errno(um_password_new_hash(c, "alice", "alice", hash), -EINVAL);
	assert_string_equal(hash, "");
	assert_ok(um_password_new_hash(c, "alice", "a long enough one", hash));
	assert_ok(um_password_verify(hash, "a long enough one"));
	assert_errno(um_password_verify(hash, "another long one"), -EACCES);
	explicit_bzero(hash, sizeof(hash));
	um_config_free(c);
}

int main(void)
{
	struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_and_verify), cmocka_unit_test(test_verify_bad_hashes),
		cmocka_unit_test(test_length_limits),	cmocka_unit_test(test_needs_rehash),
		cmocka_unit_test(test_dummy_verify),	cmocka_unit_test(test_policy),
		cmocka_unit_test(test_policy_limits),	cmocka_unit_test(test_new_hash),
	};

	RUN_TESTS(tests);
}

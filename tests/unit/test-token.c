/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of lib/token.c: one-time tokens (format, stored only as a
 * hash, case and dashes forgiven, check does not burn, redeem burns,
 * replaced on reissue, expired, revoked, wrong, busy store).
 */
#include <sodium.h>

#include "policy-helpers.h"

static int setup(void **state)
{
	struct fixture *f;

	t_tz("UTC");
	f = t_store_with("[tokens]\nttl = 1h\n");
	t_add_user(f, "alice");
	t_add_user(f, "bob");
	*state = f;
	return 0;
}

static void issue(struct fixture *f, const char *name, char out[UM_TOKEN_MAX])
{
	if (t_try(um_token_issue(f->s, name, UM_TOKEN_RESET, 0, out)) < 0)
		fail_msg("issue: %s", um_error_text(t_last_err));
}

static void test_format(void **state)
{
	struct fixture *f = *state;
	char tok[UM_TOKEN_MAX], prev[UM_TOKEN_MAX] = "";

	for (int k = 0; k < 50; k++) {
		issue(f, "alice", tok);
		assert_int_equal(strlen(tok), 24);
		for (int i = 0; i < 24; i++) {
			if (i % 5 == 4) {
				assert_int_equal(tok[i], '-');
				continue;
			}
			if (!strchr("23456789ABCDEFGHJKMNPQRSTUVWXYZ", tok[i]))
				fail_msg("token %s has '%c'", tok, tok[i]);
		}
		assert_string_not_equal(tok, prev);
		strcpy(prev, tok);
	}
}

/* Only the BLAKE2b-256 hash of the normalised token is stored. */
static void test_stored_as_hash(void **state)
{
	struct fixture *f = *state;
	char tok[UM_TOKEN_MAX], norm[21], hex[65];
	unsigned char h[32];
	size_t n = 0, len;
	char *db, *stored;

	issue(f, "alice", tok);
	for (const char *p = tok; *p; p++)
		if (*p != '-')
			norm[n++] = *p;
	norm[n] = '\0';
	crypto_generichash(h, sizeof(h), (const unsigned char *)norm, n, NULL, 0);
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	sqlite3 *raw = t_db_open(f->truth);
	stored = t_db_text(raw, "SELECT token_hash FROM tokens");
	sqlite3_close(raw);
	assert_string_equal(stored, hex);
	free(stored);

	um_store_close(f->s);
	f->s = NULL;
	db = t_read_file(f->truth, &len);
	assert_false(t_mem_has(db, len, norm));
	assert_false(t_mem_has(db, len, tok));
	free(db);
	/* the WAL may hold the newest pages */
	char *wal = um_asprintf("%s-wal", f->truth);
	if (access(wal, F_OK) == 0) {
		db = t_read_file(wal, &len);
		assert_false(t_mem_has(db, len, norm));
		free(db);
	}
	free(wal);
	t_store_reopen(f, UM_STORE_WRITE);
	assert_int_equal(t_count(f, "SELECT count(*) FROM audit WHERE action = 'token issue'"), 1);
}

static void test_check_forgiving(void **state)
{
	struct fixture *f = *state;
	char tok[UM_TOKEN_MAX], v[UM_TOKEN_MAX * 2];
	size_t n = 0;

	issue(f, "alice", tok);
	assert_ok(um_token_check(f->s, t_id(f, "alice"), tok));
	assert_ok(um_token_check(f->s, t_id(f, "alice"), tok)); /* does not burn */
	/* lower case, no dashes */
	for (const char *p = tok; *p; p++)
		if (*p != '-')
			v[n++] = (char)((*p >= 'A' && *p <= 'Z') ? *p - 'A' + 'a' : *p);
	v[n] = '\0';
	assert_ok(um_token_check(f->s, t_id(f, "alice"), v));
	/* spaces instead of dashes, and stray ones */
	snprintf(v, sizeof(v), " %.4s %.4s  %.4s-%.4s %.4s ", tok, tok + 5, tok + 10, tok + 15,
		 tok + 20);
	assert_ok(um_token_check(f->s, t_id(f, "alice"), v));
	assert_int_equal(t_count(f, "SELECT count(*) FROM tokens WHERE used_at IS NOT NULL"), 0);
}

static void test_check_wrong(void **state)
{
	struct fixture *f = *state;
	char tok[UM_TOKEN_MAX], other[UM_TOKEN_MAX], v[UM_TOKEN_MAX * 2];

	issue(f, "alice", tok);
	issue(f, "bob", other);
	const char *wrong[] = {
		"",	 "AAAA", "AAAA-AAAA-AAAA-AAAA-AAAA", other, "0000-0000-0000-0000-0000",
		"tok\n", NULL,
	};
	for (size_t i = 0; i < UM_ELEMENTSOF(wrong); i++) {
		assert_errno(um_token_check(f->s, t_id(f, "alice"), wrong[i]), -EACCES);
	}
	/* one symbol more or less */
	snprintf(v, sizeof(v), "%sA", tok);
	assert_errno(um_token_check(f->s, t_id(f, "alice"), v), -EACCES);
	snprintf(v, sizeof(v), "%.*s", (int)strlen(tok) - 1, tok);
	assert_errno(um_token_check(f->s, t_id(f, "alice"), v), -EACCES);
	/* look-alikes are not forgiven: they are not in the alphabet */
	strcpy(v, tok);
	v[0] = 'O';
	assert_errno(um_token_check(f->s, t_id(f, "alice"), v), -EACCES);
	/* no row is nobody's: what a login asks for an unknown name */
	assert_errno(um_token_check(f->s, 0, tok), -EACCES);
	/* the right one still works */
	assert_ok(um_token_check(f->s, t_id(f, "alice"), tok));
}

static void test_redeem(void **state)
{
	struct fixture *f = *state;
	char tok[UM_TOKEN_MAX];
	struct um_user *u = NULL;

	issue(f, "alice", tok);
	assert_ok(um_user_expire_password(f->s, "alice"));
	/* policy first: nothing burnt */
	assert_errno(um_token_redeem(f->s, "alice", "short"), -EINVAL);
	assert_ok(um_token_check(f->s, t_id(f, "alice"), tok));

	assert_ok(um_token_redeem(f->s, "alice", "a new long password"));
	assert_ok(um_user_authenticate(f->s, "alice", "a new long password"));
	assert_ok(um_user_get(f->s, "alice", &u));
	assert_false(u->must_change_password);
	assert_true(u->has_password);
	um_user_free(u);
	/* single use */
	assert_errno(um_token_check(f->s, t_id(f, "alice"), tok), -EACCES);
	assert_errno(um_token_redeem(f->s, "alice", "another long password"), -EACCES);
	assert_ok(um_user_authenticate(f->s, "alice", "a new long password"));
	assert_errno(um_token_redeem(f->s, "nobody", "another long password"), -ESRCH);
	assert_int_equal(t_count(f, "SELECT count(*) FROM audit WHERE action = 'token redeem'"), 1);

	struct um_token_info *v = NULL;
	size_t n = 0;
	assert_ok(um_token_list(f->s, &v, &n));
	assert_int_equal(n, 1);
	assert_string_equal(v[0].user, "alice");
	assert_string_equal(um_token_purpose_name(v[0].purpose), "reset");
	assert_string_equal(um_token_state_name(v[0].state), "used");
	assert_int_equal(v[0].expires_at - v[0].created_at, 3600); /* [tokens] ttl */
	um_token_list_free(v, n);
}

static void test_reissue_replaces(void **state)
{
	struct fixture *f = *state;
	char first[UM_TOKEN_MAX], second[UM_TOKEN_MAX], bobs[UM_TOKEN_MAX];
	struct um_token_info *v = NULL;
	size_t n = 0;

	issue(f, "alice", first);
	issue(f, "bob", bobs);
	assert_ok(um_token_issue(f->s, "alice", UM_TOKEN_ACTIVATION, 7200, second));
	assert_errno(um_token_check(f->s, t_id(f, "alice"), first), -EACCES);
	assert_ok(um_token_check(f->s, t_id(f, "alice"), second));
	assert_ok(um_token_check(f->s, t_id(f, "bob"), bobs)); /* other users untouched */

	assert_ok(um_token_list(f->s, &v, &n));
	assert_int_equal(n, 3);
	assert_string_equal(v[0].user, "alice"); /* newest first */
	assert_string_equal(um_token_purpose_name(v[0].purpose), "activation");
	assert_string_equal(um_token_state_name(v[0].state), "valid");
	assert_int_equal(v[0].expires_at - v[0].created_at, 7200);
	assert_string_equal(v[1].user, "bob");
	assert_string_equal(um_token_state_name(v[1].state), "valid");
	assert_string_equal(v[2].user, "alice");
	assert_string_equal(um_token_state_name(v[2].state), "revoked");
	um_token_list_free(v, n);

	/* the redeem burns the current one, never the revoked one */
	assert_ok(um_token_redeem(f->s, "alice", "a new long password"));
	assert_errno(um_token_check(f->s, t_id(f, "alice"), second), -EACCES);
}

static void test_issue_errors(void **state)
{
	struct fixture *f = *state;
	char tok[UM_TOKEN_MAX] = "";

	assert_errno(um_token_issue(f->s, "nobody", UM_TOKEN_RESET, 0, tok), -ESRCH);
	/* a purpose the enum does not have (a caller's bug) */
	assert_errno(um_token_issue(f->s, "alice", (enum um_token_purpose)7, 0, tok), -EINVAL);
	assert_detail_has("purpose 7");
	assert_errno(um_token_issue(f->s, "alice", UM_TOKEN_RESET, 59, tok), -EINVAL);
	assert_errno(um_token_issue(f->s, "alice", UM_TOKEN_RESET, -5, tok), -EINVAL);
	assert_errno(um_token_issue(f->s, "alice", UM_TOKEN_RESET, 366LL * 86400, tok), -EINVAL);
	assert_string_equal(tok, "");
	assert_int_equal(t_count(f, "SELECT count(*) FROM tokens"), 0);
}

static void test_expired(void **state)
{
	struct fixture *f = *state;
	char tok[UM_TOKEN_MAX];
	struct um_token_info *v = NULL;
	size_t n = 0;

	issue(f, "alice", tok);
	t_db_write(f, "UPDATE tokens SET created_at = created_at - 7200, "
		      "expires_at = strftime('%s', 'now') - 1");
	assert_errno(um_token_check(f->s, t_id(f, "alice"), tok), -EACCES);
	assert_errno(um_token_redeem(f->s, "alice", "a new long password"), -EACCES);
	assert_ok(um_token_list(f->s, &v, &n));
	assert_string_equal(um_token_state_name(v[0].state), "expired");
	um_token_list_free(v, n);
	/* an expired token is not "valid": revoke finds nothing */
	assert_errno(um_token_revoke(f->s, "alice"), -ESRCH);
}

static void test_revoke(void **state)
{
	struct fixture *f = *state;
	char tok[UM_TOKEN_MAX];

	issue(f, "alice", tok);
	assert_ok(um_token_revoke(f->s, "alice"));
	assert_errno(um_token_check(f->s, t_id(f, "alice"), tok), -EACCES);
	assert_errno(um_token_redeem(f->s, "alice", "a new long password"), -EACCES);
	assert_errno(um_token_revoke(f->s, "alice"), -ESRCH);
	assert_detail_has("no valid token");
	assert_errno(um_token_revoke(f->s, "nobody"), -ESRCH);
	assert_detail_has("nobody");
	assert_int_equal(t_count(f, "SELECT count(*) FROM audit WHERE action = 'token revoke'"), 1);
}

/* A password set by an administrator ends the outstanding token: it must
 * not stay a second way in. */
static void test_set_password_revokes(void **state)
{
	struct fixture *f = *state;
	char tok[UM_TOKEN_MAX];

	issue(f, "alice", tok);
	assert_ok(um_user_set_password(f->s, "alice", "a fresh long password"));
	assert_errno(um_token_check(f->s, t_id(f, "alice"), tok), -EACCES);
	assert_ok(um_user_authenticate(f->s, "alice", "a fresh long password"));
}

/* A redeem never waits long behind another writer and never half-happens. */
static void test_redeem_busy(void **state)
{
	struct fixture *f = *state;
	char tok[UM_TOKEN_MAX];
	struct timespec start;
	sqlite3 *hold;

	issue(f, "alice", tok);
	hold = t_hold_write_lock(f);
	clock_gettime(CLOCK_MONOTONIC, &start);
	assert_errno(um_token_redeem(f->s, "alice", "a new long password"), -EBUSY);
	assert_true(t_elapsed(&start) < 2.0);
	t_release_write_lock(hold);
	assert_ok(um_token_check(f->s, t_id(f, "alice"), tok));
	assert_ok(um_token_redeem(f->s, "alice", "a new long password"));
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, t_teardown)
	struct CMUnitTest tests[] = {
		T(test_format),		 T(test_stored_as_hash),
		T(test_check_forgiving), T(test_check_wrong),
		T(test_redeem),		 T(test_reissue_replaces),
		T(test_issue_errors),	 T(test_expired),
		T(test_revoke),		 T(test_set_password_revokes),
		T(test_redeem_busy),
	};

	t_tz("UTC");
	RUN_TESTS(tests);
}

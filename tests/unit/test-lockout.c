/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of lib/lockout.c: deny / fail_interval / unlock_time at their
 * boundaries, the sentence, unlock, success clearing the failures and
 * recording the last login, and the login-time writes giving up (-EBUSY)
 * on a busy store instead of waiting.
 */
#include "policy-helpers.h"

/* deny = 3 within 15 minutes, locked for 10 minutes after the last. */
#define CONF "[lockout]\ndeny = 3\nfail_interval = 15m\nunlock_time = 10m\n"
#define T0 ((time_t)1800000000)

static int setup(void **state)
{
	struct fixture *f;

	t_tz("UTC");
	f = t_store_with(CONF);
	t_add_user(f, "alice");
	t_add_user(f, "bob");
	*state = f;
	return 0;
}

static int setup_off(void **state)
{
	struct fixture *f;

	t_tz("UTC");
	f = t_store_with("[lockout]\ndeny = 0\n");
	t_add_user(f, "alice");
	*state = f;
	return 0;
}

static void fail_at(struct fixture *f, const char *name, time_t t)
{
	if (t_try(um_lockout_record_failure(f->s, t_id(f, name), "sshd", "192.0.2.7", t)) < 0)
		fail_msg("record failure: %s", um_error_text(t_last_err));
}

/* Failures at offsets from T0, then the question at T0 + at. */
static void test_boundaries(void **state _unused_)
{
	static const struct {
		const char *what;
		int fails[4]; /* offsets in seconds; -1 ends */
		int at;
		int locked;
	} cases[] = {
		{ "two failures are not enough", { 0, 1, -1 }, 2, 0 },
		{ "three within the interval lock", { 0, 1, 2, -1 }, 3, 1 },
		{ "locked up to unlock_time after the last", { 0, 1, 2, -1 }, 2 + 599, 1 },
		{ "unlocked exactly unlock_time after the last", { 0, 1, 2, -1 }, 2 + 600, 0 },
		/* the first failure leaves the interval exactly at 15 minutes */
		{ "spread over exactly fail_interval", { 0, 400, 899, -1 }, 900, 0 },
		{ "spread over just less", { 1, 400, 899, -1 }, 900, 1 },
		{ "old failures do not count", { 0, 100, 1000, -1 }, 1001, 0 },
	};

	for (size_t i = 0; i < UM_ELEMENTSOF(cases); i++) {
		struct fixture *f = t_store_with(CONF);
		int r;

		t_add_user(f, "alice");
		for (int k = 0; cases[i].fails[k] >= 0; k++)
			fail_at(f, "alice", T0 + cases[i].fails[k]);
		r = t_locked(f, "alice", T0 + cases[i].at);
		if (r != cases[i].locked)
			fail_msg("%s: locked = %d, want %d", cases[i].what, r, cases[i].locked);
		t_fixture_free(f);
	}
}

static void test_status_and_sentence(void **state)
{
	struct fixture *f = *state;
	struct um_lockout_status ls;

	assert_ok(um_lockout_status(f->s, t_id(f, "alice"), T0, &ls));
	assert_false(ls.locked);
	assert_int_equal(ls.failures, 0);
	assert_int_equal(ls.last_failure, 0);
	assert_string_equal(ls.message, "");

	fail_at(f, "alice", T0);
	fail_at(f, "alice", T0 + 10);
	fail_at(f, "alice", T0 + 20);
	assert_ok(um_lockout_status(f->s, t_id(f, "alice"), T0 + 20, &ls));
	assert_true(ls.locked);
	assert_int_equal(ls.failures, 3);
	assert_int_equal(ls.last_failure, T0 + 20);
	assert_int_equal(ls.locked_until, T0 + 620);
	assert_string_equal(ls.message, "Your account is locked after too many failed login "
					"attempts. Try again in 10 minutes.");
	/* minutes round up; one minute is singular */
	assert_ok(um_lockout_status(f->s, t_id(f, "alice"), T0 + 20 + 541, &ls));
	assert_string_equal(ls.message, "Your account is locked after too many failed login "
					"attempts. Try again in 1 minute.");
	assert_ok(um_lockout_status(f->s, t_id(f, "alice"), T0 + 20 + 539, &ls));
	assert_string_equal(ls.message, "Your account is locked after too many failed login "
					"attempts. Try again in 2 minutes.");
	/* the others are not affected */
	assert_int_equal(t_locked(f, "bob", T0 + 20), 0);
	assert_errno(um_lockout_unlock(f->s, "nobody"), -ESRCH);
	assert_detail_has("nobody");
	/* a login that resolved a user who is deleted before it writes */
	{
		int64_t gone = t_id(f, "bob");

		assert_ok(um_user_delete(f->s, "bob"));
		assert_errno(um_lockout_record_failure(f->s, gone, "sshd", NULL, T0), -ESRCH);
		assert_errno(um_login_record_success(f->s, gone, "sshd", NULL, T0, true), -ESRCH);
	}
	/* the failures carry service and host; nothing is audited for them */
	assert_int_equal(t_count(f, "SELECT count(*) FROM login_failures "
				    "WHERE service = 'sshd' AND rhost = '192.0.2.7'"),
			 3);
	assert_int_equal(t_count(f, "SELECT count(*) FROM audit WHERE action LIKE '%fail%'"), 0);
}

static void test_unlock(void **state)
{
	struct fixture *f = *state;
	struct um_status before = t_status(f);

	for (int i = 0; i < 5; i++)
		fail_at(f, "alice", T0 + i);
	fail_at(f, "bob", T0);
	assert_int_equal(t_locked(f, "alice", T0 + 5), 1);
	assert_ok(um_lockout_unlock(f->s, "alice"));
	assert_int_equal(t_locked(f, "alice", T0 + 5), 0);
	assert_int_equal(t_count(f, "SELECT count(*) FROM login_failures"), 1); /* bob's */
	assert_int_equal(t_count(f, "SELECT count(*) FROM audit WHERE action = 'user unlock' "
				    "AND detail = '5 failures cleared'"),
			 1);
	assert_ok(um_lockout_unlock(f->s, "alice")); /* nothing to clear: fine */
	assert_int_equal(t_status(f).generation, before.generation);
}

static void test_success(void **state)
{
	struct fixture *f = *state;
	struct um_user *u = NULL;

	fail_at(f, "alice", T0);
	fail_at(f, "alice", T0 + 1);
	assert_ok(um_login_record_success(f->s, t_id(f, "alice"), "sshd", "198.51.100.3", T0 + 2,
					  true));
	assert_int_equal(t_count(f, "SELECT count(*) FROM login_failures"), 0);
	/* the count starts again from zero */
	fail_at(f, "alice", T0 + 3);
	fail_at(f, "alice", T0 + 4);
	assert_int_equal(t_locked(f, "alice", T0 + 5), 0);

	assert_ok(um_user_get(f->s, "alice", &u));
	assert_int_equal(u->last_login_at, T0 + 2);
	assert_string_equal(u->last_login_service, "sshd");
	assert_string_equal(u->last_login_host, "198.51.100.3");
	um_user_free(u);
	/* A login that verified no password (an SSH key) keeps the count,
	 * and with it the lock. */
	fail_at(f, "alice", T0 + 6);
	assert_ok(um_login_record_success(f->s, t_id(f, "alice"), "sshd", NULL, T0 + 7, false));
	assert_int_equal(t_count(f, "SELECT count(*) FROM login_failures"), 3);
	assert_int_equal(t_locked(f, "alice", T0 + 8), 1);
	assert_ok(um_login_record_success(f->s, t_id(f, "alice"), "login", NULL, T0 + 9, true));
	assert_ok(um_user_get(f->s, "alice", &u));
	assert_string_equal(u->last_login_service, "login");
	assert_string_equal(u->last_login_host, "");
	um_user_free(u);
}

/* Failures that can never count again are pruned as new ones arrive. */
static void test_prune(void **state)
{
	struct fixture *f = *state;

	fail_at(f, "alice", T0);
	fail_at(f, "alice", T0 + 1);
	fail_at(f, "alice", T0 + 3600);
	assert_int_equal(t_count(f, "SELECT count(*) FROM login_failures"), 1);
}

static void test_off(void **state)
{
	struct fixture *f = *state;
	struct um_lockout_status ls;

	for (int i = 0; i < 50; i++)
		fail_at(f, "alice", T0 + i);
	assert_int_equal(t_locked(f, "alice", T0 + 50), 0);
	assert_ok(um_lockout_status(f->s, t_id(f, "alice"), T0 + 50, &ls));
	assert_false(ls.locked);
	assert_int_equal(ls.failures, 50);
}

/* A long umctl transaction holds the write lock: the module's writes give
 * up quickly with -EBUSY, record nothing, and the reads still answer. */
static void test_busy(void **state)
{
	struct fixture *f = *state;
	struct timespec start;
	sqlite3 *hold;
	struct um_user *u = NULL;

	fail_at(f, "alice", T0);
	hold = t_hold_write_lock(f);
	clock_gettime(CLOCK_MONOTONIC, &start);
	assert_errno(um_lockout_record_failure(f->s, t_id(f, "alice"), "sshd", NULL, T0 + 1),
		     -EBUSY);
	assert_errno(um_login_record_success(f->s, t_id(f, "alice"), "sshd", NULL, T0 + 2, true),
		     -EBUSY);
	assert_true(t_elapsed(&start) < 2.0); /* loosely: 2 x 250 ms */
	assert_int_equal(t_locked(f, "alice", T0 + 2), 0);
	/* an admin change still waits the long timeout: not tested here (5 s) */
	t_release_write_lock(hold);

	assert_int_equal(t_count(f, "SELECT count(*) FROM login_failures"), 1);
	assert_ok(um_user_get(f->s, "alice", &u));
	assert_int_equal(u->last_login_at, 0);
	um_user_free(u);
	/* and the connection is usable again, with its normal timeout */
	assert_ok(um_login_record_success(f->s, t_id(f, "alice"), "sshd", NULL, T0 + 3, true));
	assert_int_equal(t_count(f, "SELECT count(*) FROM login_failures"), 0);
}

static off_t file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_size : 0;
}

/*
 * Logins, each in a connection of its own as pam_umgmt opens them
 * (UM_STORE_LOGIN: no checkpoint when it closes), each writing its record:
 * the WAL is emptied every few dozen pages instead of growing (a login's
 * connection reads the whole WAL when it opens), and every record is there.
 */
static void test_login_connections_keep_the_wal_short(void **state)
{
	struct fixture *f = *state;
	char *wal = um_asprintf("%s-wal", f->truth);
	struct um_user *u = NULL;
	off_t biggest = 0;

	assert_non_null(wal);
	for (int i = 0; i < 300; i++) {
		char host[32];

		t_store_reopen(f, UM_STORE_WRITE | UM_STORE_LOGIN);
		snprintf(host, sizeof(host), "192.0.2.%d", i % 250);
		fail_at(f, "bob", T0 + 2 * i);
		assert_ok(um_login_record_success(f->s, t_id(f, "alice"), "sshd", host,
						  T0 + 2 * i + 1, true));
		um_store_close(f->s);
		f->s = NULL;
		if (file_size(wal) > biggest)
			biggest = file_size(wal);
	}
	/* 32 pages and the commit that crossed the mark, never hundreds */
	assert_true(biggest > 0);
	assert_true(biggest < 64 * 4096);
	t_store_reopen(f, UM_STORE_WRITE);
	assert_ok(um_user_get(f->s, "alice", &u));
	assert_int_equal(u->last_login_at, T0 + 599);
	assert_string_equal(u->last_login_host, "192.0.2.49");
	um_user_free(u);
	/* all of bob's failures: 10 minutes apart at most, none pruned */
	assert_int_equal(t_count(f, "SELECT count(*) FROM login_failures WHERE user_id = "
				    "(SELECT id FROM users WHERE name = 'bob')"),
			 300);
	free(wal);
}

/* A reader (umctl listing users) keeps the WAL from being emptied: the
 * logins that would empty it do not wait for the reader, they leave it to
 * a later login. */
static void test_login_wal_checkpoint_never_waits(void **state)
{
	struct fixture *f = *state;
	struct timespec start;
	sqlite3 *reader = NULL;
	struct um_user *u = NULL;

	t_store_reopen(f, UM_STORE_WRITE | UM_STORE_LOGIN);
	assert_int_equal(sqlite3_open_v2(f->truth, &reader, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(reader, "BEGIN; SELECT count(*) FROM users", NULL, NULL,
				      NULL),
			 SQLITE_OK);
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (int i = 0; i < 80; i++) {
		char host[32];

		snprintf(host, sizeof(host), "192.0.2.%d", i);
		assert_ok(um_login_record_success(f->s, t_id(f, "alice"), "sshd", host, T0 + i,
						  true));
	}
	/* loosely: 80 small commits, no 5 s busy wait among them */
	assert_true(t_elapsed(&start) < 3.0);
	sqlite3_exec(reader, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(reader);
	assert_ok(um_user_get(f->s, "alice", &u));
	assert_string_equal(u->last_login_host, "192.0.2.79");
	um_user_free(u);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, t_teardown)
	struct CMUnitTest tests[] = {
		cmocka_unit_test(test_boundaries),
		T(test_status_and_sentence),
		T(test_unlock),
		T(test_success),
		T(test_prune),
		cmocka_unit_test_setup_teardown(test_off, setup_off, t_teardown),
		T(test_busy),
		T(test_login_connections_keep_the_wal_short),
		T(test_login_wal_checkpoint_never_waits),
	};

	t_tz("UTC");
	RUN_TESTS(tests);
}

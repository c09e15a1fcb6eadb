/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the unit tests of the login policy (test-policy.c,
 * test-service.c, test-token.c, test-lockout.c). Header-only.
 */
#ifndef UMGMT_TEST_POLICY_HELPERS_H
#define UMGMT_TEST_POLICY_HELPERS_H

#include <time.h>

#include "helpers.h"

#include "umgmt/group.h"
#include "umgmt/absence.h"
#include "umgmt/account.h"
#include "umgmt/date.h"
#include "umgmt/lockout.h"
#include "umgmt/login.h"
#include "umgmt/service.h"
#include "umgmt/token.h"
#include "umgmt/user.h"

/* Dates are compared in UTC unless a test says otherwise. */
static inline void t_tz(const char *tz)
{
	setenv("TZ", tz, 1);
	tzset();
}

/* Unix time of a UTC date and time. */
static inline time_t t_utc(int y, int mo, int d, int h, int mi, int s)
{
	struct tm tm = { .tm_year = y - 1900,
			 .tm_mon = mo - 1,
			 .tm_mday = d,
			 .tm_hour = h,
			 .tm_min = mi,
			 .tm_sec = s };

	return timegm(&tm);
}

/* Runs sql on a second read-write connection to the truth (test setup
 * that the API does not offer, e.g. backdating a token). */
static inline void t_db_write(struct fixture *f, const char *sql)
{
	sqlite3 *db = NULL;
	char *err = NULL;

	if (sqlite3_open_v2(f->truth, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		fail_msg("open %s: %s", f->truth, db ? sqlite3_errmsg(db) : "?");
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("'%s': %s", sql, err ? err : "?");
	sqlite3_close(db);
}

static inline int64_t t_count(struct fixture *f, const char *sql)
{
	return t_file_int(f->truth, sql);
}

/* A second connection that holds the store's write lock until released:
 * a long umctl transaction, as the login-time writers meet it. */
static inline sqlite3 *t_hold_write_lock(struct fixture *f)
{
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(f->truth, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		fail_msg("open %s", f->truth);
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		fail_msg("BEGIN IMMEDIATE: %s", sqlite3_errmsg(db));
	return db;
}

static inline void t_release_write_lock(sqlite3 *db)
{
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db);
}

static inline double t_elapsed(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) + (now.tv_nsec - start->tv_nsec) / 1e9;
}

static inline void t_add_user(struct fixture *f, const char *name)
{
	if (t_try(um_user_add(f->s, name, NULL, NULL)) < 0)
		fail_msg("add %s: %s", name, um_error_text(t_last_err));
}

/* The row id of user name, or -ESRCH (with the core's detail). */
static inline int t_user_id(struct fixture *f, const char *name, int64_t *ret)
{
	struct um_login_user u = { 0 };
	int r = um_user_resolve(f->s, name, &u);

	*ret = u.id;
	um_login_user_clear(&u);
	return r;
}

/* The row id of user name, as a login resolves it. */
static inline int64_t t_id(struct fixture *f, const char *name)
{
	struct um_login_user u = { 0 };
	int64_t id;
	int r = um_user_resolve(f->s, name, &u);

	/* Not through t_try: it is called inside assert_errno()'s
	 * arguments and must not overwrite the error that asserts. */
	if (r < 0)
		fail_msg("resolve %s: %s", name, um_error_text(r));
	id = u.id;
	um_login_user_clear(&u);
	return id;
}

/* name's row as a login resolves it, for um_account_decide; valid until
 * the next call. */
static inline const struct um_login_user *t_login(struct fixture *f, const char *name)
{
	static struct um_login_user u;
	int r;

	um_login_user_clear(&u);
	r = um_user_resolve(f->s, name, &u);
	if (r < 0) /* not t_try: see t_id */
		fail_msg("resolve %s: %s", name, um_error_text(r));
	return &u;
}

/* 1 when name is locked out at now, 0 when not, or the error. */
static inline int t_locked(struct fixture *f, const char *name, time_t now)
{
	struct um_lockout_status ls;
	int r = um_lockout_status(f->s, t_id(f, name), now, &ls);

	return r < 0 ? r : ls.locked;
}

/* name's services as `umctl user show` words them: "sshd: granted to
 * group devs", ..., "other services: ...". Returns 0 or the error. */
static inline int t_user_services(struct fixture *f, const char *name, char ***ret, size_t *ret_n)
{
	struct um_service_access *v = NULL;
	char **out, why[128];
	size_t n = 0;
	int64_t id;
	int r = t_user_id(f, name, &id);

	if (r < 0)
		return r;
	r = um_service_access(f->s, id, &v, &n);
	if (r < 0)
		return r;
	out = calloc(n ? n : 1, sizeof(*out));
	assert_non_null(out);
	for (size_t i = 0; i < n; i++) {
		um_service_via_text(v[i].via, v[i].allowed, why, sizeof(why));
		out[i] = um_asprintf("%s: %s", v[i].service ? v[i].service : "other services", why);
		assert_non_null(out[i]);
	}
	um_service_access_free(v, n);
	*ret = out;
	*ret_n = n;
	return 0;
}

/* A store whose config has extra (sections/keys) on top of the base. */
static inline struct fixture *t_store_with(const char *extra)
{
	struct fixture *f = t_fixture_new();

	t_config(f, extra);
	t_store_up(f);
	return f;
}

#endif

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
#include "umgmt/policy.h"
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
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
			 .tm_hour = h, .tm_min = mi, .tm_sec = s };

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

/* A store whose config has extra (sections/keys) on top of the base. */
static inline struct fixture *t_store_with(const char *extra)
{
	struct fixture *f = t_fixture_new();

	t_config(f, extra);
	t_store_up(f);
	return f;
}

#endif

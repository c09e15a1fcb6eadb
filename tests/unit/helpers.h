/* SPDX-License-Identifier: MIT */
/*
 * Shared setup for the core's unit tests (cmocka).
 *
 * Every test gets a fresh temp directory (mkdtemp under $TMPDIR or /tmp)
 * holding a config file and a store directory; the config uses
 * libsodium's cheapest Argon2id cost (argon2_ops = 1, argon2_mem_kib = 8)
 * so that hashing takes microseconds. Nothing here needs root: the core
 * trusts files owned by the caller in a process that is not setuid.
 *
 * Header-only (static functions): each test-*.c is one program.
 */
#ifndef UMGMT_TEST_HELPERS_H
#define UMGMT_TEST_HELPERS_H

#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "umgmt/common.h"
#include "umgmt/config.h"
#include "umgmt/store.h"

#include "snapshot-read.h" /* lib/: what the snapshot serves */

/* The errno the last assert_errno() expected: the error whose detail
 * assert_detail_has() reads. */
static int t_last_err _unused_;
/* Keeps a call's result as the error to explain: if (t_try(f()) < 0)
 * fail_msg("%s", um_error_text(t_last_err)). */
#define t_try(expr) (t_last_err = (expr))
/* Asserts that a call returned the exact (negative) errno. */
#define assert_errno(expr, err) assert_int_equal((expr), (t_last_err = (err)))
/* Asserts success (0). */
#define assert_ok(expr) assert_int_equal((expr), 0)
/* Asserts that the detail recorded with the error of the last
 * assert_errno() contains needle (so it explains that error). */
#define assert_detail_has(needle)                                                                  \
	do {                                                                                       \
		const char *_d = um_error_detail(t_last_err);                                      \
		if (!strstr(_d, (needle)))                                                         \
			fail_msg("detail '%s' does not contain '%s'", _d, (needle));               \
	} while (0)

/*
 * Runs the group with TAP output: one "ok N - name" line per test. Tests
 * named test_root_* need root (they give files away with chown); run by
 * another user they are left out, with a "# skipped" comment line, rather
 * than reported as cmocka's "not ok # SKIP".
 */
static inline int t_run(struct CMUnitTest *tests, size_t n)
{
	size_t kept = 0;

	umask(022);
	cmocka_set_message_output(CM_OUTPUT_TAP);
	for (size_t i = 0; i < n; i++) {
		if (geteuid() != 0 && !strncmp(tests[i].name, "test_root_", 10)) {
			printf("# skipped (needs root): %s\n", tests[i].name);
			continue;
		}
		tests[kept++] = tests[i];
	}
	return _cmocka_run_group_tests("tests", tests, kept, NULL, NULL);
}
#define RUN_TESTS(tests) return t_run(tests, UM_ELEMENTSOF(tests))

#define BASE_CONFIG                                                                                \
	"[password]\n"                                                                             \
	"argon2_ops = 1\n"                                                                         \
	"argon2_mem_kib = 8\n"

struct fixture {
	char *dir;	 /* the temp root, removed at teardown */
	char *store_dir; /* <dir>/store */
	char *conf_path; /* <dir>/umgmt.conf */
	char *truth;	 /* <store_dir>/umgmt.db */
	char *snapshot;	 /* <store_dir>/directory.db */
	struct um_config *cfg;
	struct um_store *s;
};

static inline char *t_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *d;

	if (!base || !*base)
		base = "/tmp";
	d = um_asprintf("%s/umgmt-unit.XXXXXX", base);
	assert_non_null(d);
	if (!mkdtemp(d))
		fail_msg("mkdtemp(%s): %s", d, strerror(errno));
	return d;
}

static inline int t_rm_one(const char *path, const struct stat *st _unused_, int flag _unused_,
			   struct FTW *ftw _unused_)
{
	return remove(path);
}

static inline void t_rm_rf(const char *path)
{
	if (path)
		nftw(path, t_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static inline void t_write_file(const char *path, const char *content, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	size_t n = strlen(content);

	if (fd < 0)
		fail_msg("open(%s): %s", path, strerror(errno));
	assert_int_equal(write(fd, content, n), (ssize_t)n);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

/* The whole file in a malloc'd buffer (NUL-terminated as a courtesy). */
static inline char *t_read_file(const char *path, size_t *ret_len)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (!f)
		fail_msg("fopen(%s): %s", path, strerror(errno));
	do {
		if (len + 4096 + 1 > cap) {
			cap = (len + 4096 + 1) * 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		n = fread(buf + len, 1, 4096, f);
		len += n;
	} while (n > 0);
	fclose(f);
	buf[len] = '\0';
	if (ret_len)
		*ret_len = len;
	return buf;
}

static inline bool t_mem_has(const char *hay, size_t n, const char *needle)
{
	return memmem(hay, n, needle, strlen(needle)) != NULL;
}

/* Writes <dir>/umgmt.conf (mode 0600) pointing at <dir>/store with the
 * cheap Argon2 cost plus extra (more sections/keys; may be NULL) and
 * loads it into f->cfg. */
static inline void t_config(struct fixture *f, const char *extra)
{
	char *text = um_asprintf("[store]\ndir = %s\n" BASE_CONFIG "%s", f->store_dir,
				 extra ? extra : "");

	assert_non_null(text);
	t_write_file(f->conf_path, text, 0600);
	free(text);
	um_config_free(f->cfg);
	f->cfg = NULL;
	if (t_try(um_config_load(f->conf_path, &f->cfg)) < 0)
		fail_msg("config: %s", um_error_text(t_last_err));
}

static inline struct fixture *t_fixture_new(void)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->dir = t_tmpdir();
	f->store_dir = um_asprintf("%s/store", f->dir);
	f->conf_path = um_asprintf("%s/umgmt.conf", f->dir);
	f->truth = um_asprintf("%s/store/" UM_TRUTH_FILE, f->dir);
	f->snapshot = um_asprintf("%s/store/" UM_DIRECTORY_FILE, f->dir);
	assert_true(f->store_dir && f->conf_path && f->truth && f->snapshot);
	return f;
}

static inline void t_fixture_free(struct fixture *f)
{
	if (!f)
		return;
	um_store_close(f->s);
	um_config_free(f->cfg);
	t_rm_rf(f->dir);
	free(f->dir);
	free(f->store_dir);
	free(f->conf_path);
	free(f->truth);
	free(f->snapshot);
	free(f);
}

/* Creates the store and opens it for writing. */
static inline void t_store_up(struct fixture *f)
{
	if (t_try(um_store_init(f->cfg)) < 0)
		fail_msg("init: %s", um_error_text(t_last_err));
	if (t_try(um_store_open(f->cfg, UM_STORE_WRITE, &f->s)) < 0)
		fail_msg("open: %s", um_error_text(t_last_err));
}

/* Closes and reopens the store (e.g. after changing f->cfg). */
static inline void t_store_reopen(struct fixture *f, int flags)
{
	um_store_close(f->s);
	f->s = NULL;
	if (t_try(um_store_open(f->cfg, flags, &f->s)) < 0)
		fail_msg("reopen: %s", um_error_text(t_last_err));
}

/* cmocka setups: a fixture with a default config (no store yet), or with
 * an initialised store opened for writing. */
static inline int t_setup_config(void **state)
{
	struct fixture *f = t_fixture_new();

	t_config(f, NULL);
	*state = f;
	return 0;
}

static inline int t_setup_store(void **state)
{
	struct fixture *f = t_fixture_new();

	t_config(f, NULL);
	t_store_up(f);
	*state = f;
	return 0;
}

static inline int t_teardown(void **state)
{
	t_fixture_free(*state);
	*state = NULL;
	return 0;
}

/* Opens a database file read-only with the raw SQLite API. */
static inline sqlite3 *t_db_open(const char *path)
{
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		fail_msg("sqlite3_open(%s): %s", path, db ? sqlite3_errmsg(db) : "?");
	return db;
}

/* The first column of the first row of sql as an integer (-1: no row). */
static inline int64_t t_db_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int64_t v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("prepare '%s': %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* The first column of the first row of sql as malloc'd text (NULL: none). */
static inline char *t_db_text(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	char *v = NULL;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("prepare '%s': %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		v = strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return v;
}

static inline int64_t t_file_int(const char *path, const char *sql)
{
	sqlite3 *db = t_db_open(path);
	int64_t v = t_db_int(db, sql);

	sqlite3_close(db);
	return v;
}

/* What the published snapshot serves, as NSS sees it (overlay and base):
 * a user's uid, the members of a group, the number of users with
 * supplementary groups; -1 for a user or group it does not have. */
static inline int64_t t_snap_uid(struct fixture *f, const char *user)
{
	const struct um_snap *s;
	struct um_snapshot_file *file;
	struct um_dir_user u;
	int64_t r;

	assert_int_equal(um_snapshot_map(f->snapshot, &s, &file), 0);
	r = um_snap_user_by_name(s, user, strlen(user), &u) == 0 ? (int64_t)u.uid : -1;
	um_snapshot_unmap(file);
	return r;
}

static inline int64_t t_snap_nmem(struct fixture *f, const char *group)
{
	const struct um_snap *s;
	struct um_snapshot_file *file;
	struct um_dir_group g;
	int64_t r;

	assert_int_equal(um_snapshot_map(f->snapshot, &s, &file), 0);
	r = um_snap_group_by_name(s, group, strlen(group), &g) == 0 ? (int64_t)g.nmem : -1;
	um_snapshot_unmap(file);
	return r;
}

static inline int64_t t_snap_users_in_groups(struct fixture *f)
{
	const struct um_snap *s;
	struct um_snapshot_file *file;
	struct um_snap_cursor c = { 0 };
	struct um_dir_user u;
	int64_t n = 0;

	assert_int_equal(um_snapshot_map(f->snapshot, &s, &file), 0);
	while (um_snap_next_user(s, &c, &u) == 0)
		n += u.ngids > 0;
	um_snapshot_unmap(file);
	return n;
}

static inline uint64_t t_snap_generation(struct fixture *f)
{
	const struct um_snap *s;
	struct um_snapshot_file *file;
	uint64_t g;

	assert_int_equal(um_snapshot_map(f->snapshot, &s, &file), 0);
	g = s->generation;
	um_snapshot_unmap(file);
	return g;
}

/* name:uid:gid:gecos:home:shell:gid,gid of one user. */
static inline char *t_snap_user_line(const struct um_dir_user *u)
{
	char *s = um_asprintf("%.*s:%u:%u:%.*s:%.*s%.*s:%.*s:", (int)u->name_len, u->name, u->uid,
			      u->gid, (int)u->gecos_len, u->gecos, (int)u->dir_len, u->dir,
			      (int)u->dir_tail_len, u->dir_tail, (int)u->shell_len, u->shell);

	for (uint32_t i = 0; i < u->ngids; i++) {
		char *t = um_asprintf("%s%s%u", s, i ? "," : "", um_dir_user_gid(u, i));
		free(s);
		s = t;
	}
	return s;
}

/* name:gid:member,member of one group, its names copied into a buffer
 * of exactly members_len bytes. */
static inline char *t_snap_group_line(const struct um_dir_group *g)
{
	char *names = malloc(g->members_len + 1), **mem = calloc(g->nmem + 1, sizeof(*mem));
	char *s;

	assert_non_null(names);
	assert_non_null(mem);
	assert_ok(um_directory_group_members(g, names, g->members_len, mem));
	s = um_asprintf("%.*s:%u:", (int)g->name_len, g->name, g->gid);
	for (uint32_t i = 0; i < g->nmem; i++) {
		char *t = um_asprintf("%s%s%s", s, i ? "," : "", mem[i]);
		free(s);
		s = t;
	}
	free(names);
	free(mem);
	return s;
}

static inline void t_append_line(char **out, char *line)
{
	char *t = um_asprintf("%s%s\n", *out, line);

	free(*out);
	free(line);
	*out = t;
}

/* Everything s serves, as NSS sees it (overlay and base), in uid then gid
 * order (enumeration), each record also found as that very record by each
 * of its keys: the one text the snapshot tests compare. */
static inline char *t_snap_dump(const struct um_snap *s)
{
	struct um_snap_cursor c = { 0 };
	struct um_dir_user u, v;
	struct um_dir_group g, h;
	char *out = strdup("");
	int r;

	assert_non_null(out);
	while ((r = um_snap_next_user(s, &c, &u)) == 0) {
		assert_ok(um_snap_user_by_uid(s, u.uid, &v));
		assert_ptr_equal(v.name, u.name);
		assert_ok(um_snap_user_by_name(s, u.name, u.name_len, &v));
		assert_ptr_equal(v.name, u.name);
		t_append_line(&out, t_snap_user_line(&u));
	}
	assert_int_equal(r, -ESRCH);
	memset(&c, 0, sizeof(c));
	while ((r = um_snap_next_group(s, &c, &g)) == 0) {
		assert_ok(um_snap_group_by_gid(s, g.gid, &h));
		assert_ptr_equal(h.name, g.name);
		assert_ok(um_snap_group_by_name(s, g.name, g.name_len, &h));
		assert_ptr_equal(h.name, g.name);
		t_append_line(&out, t_snap_group_line(&g));
	}
	assert_int_equal(r, -ESRCH);
	return out;
}

static inline struct um_status t_status(struct fixture *f)
{
	struct um_status st;

	assert_ok(um_store_status(f->s, &st));
	return st;
}

#endif

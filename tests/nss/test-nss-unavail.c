/* SPDX-License-Identifier: MIT */
/*
 * libnss_umgmt.so.2 when there is no usable snapshot: every entry point
 * answers UNAVAIL (so `files` keeps the machine usable), never crashes,
 * never SUCCESS. Each case runs in a fresh child that loads the module
 * itself, so it starts with no state.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "nsstest.h"

enum { PWNAM, PWUID, GRNAM, GRGID, INITGR, PWENT, GRENT, N_CALLS };

struct outcome {
	enum nss_status status[N_CALLS];
	int err[N_CALLS];
	int fds_leaked;
};

static char *tmpdir;

static int setup(void **state __attribute__((unused)))
{
	tmpdir = make_temp_dir();
	return 0;
}

static int teardown(void **state __attribute__((unused)))
{
	remove_tree(tmpdir);
	free(tmpdir);
	return 0;
}

static void path_of(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", tmpdir, name);
}

static void call_all(struct nss_mod *m, struct outcome *o)
{
	static char buf[1 << 16];
	struct passwd pw;
	struct group gr;
	long start = 1, size = 4;
	gid_t *groups = calloc(4, sizeof(gid_t));

	o->status[PWNAM] = m->getpwnam_r("alice", &pw, buf, sizeof(buf), &o->err[PWNAM]);
	o->status[PWUID] = m->getpwuid_r(2000, &pw, buf, sizeof(buf), &o->err[PWUID]);
	o->status[GRNAM] = m->getgrnam_r("staff", &gr, buf, sizeof(buf), &o->err[GRNAM]);
	o->status[GRGID] = m->getgrgid_r(3000, &gr, buf, sizeof(buf), &o->err[GRGID]);
	o->status[INITGR] =
		m->initgroups_dyn("alice", 2000, &start, &size, &groups, 0, &o->err[INITGR]);
	m->setpwent(0);
	o->status[PWENT] = m->getpwent_r(&pw, buf, sizeof(buf), &o->err[PWENT]);
	m->endpwent();
	m->setgrent(0);
	o->status[GRENT] = m->getgrent_r(&gr, buf, sizeof(buf), &o->err[GRENT]);
	m->endgrent();
	free(groups);
}

/* Loads the module in a child pointed at path and calls everything. */
static struct outcome run_case(const char *path)
{
	struct outcome *shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE,
				      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(shared != MAP_FAILED);
	memset(shared, 0, sizeof(*shared));

	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct nss_mod m;
		alarm(20);
		setenv("UMGMT_DIRECTORY", path, 1);
		nss_mod_load(&m);
		int before = count_open_fds();
		call_all(&m, shared);
		shared->fds_leaked = count_open_fds() - before;
		_exit(0);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	struct outcome o = *shared;
	munmap(shared, sizeof(*shared));
	return o;
}

static void assert_all_unavail(const struct outcome *o, int want_err)
{
	for (int i = 0; i < N_CALLS; i++) {
		if (o->status[i] != NSS_STATUS_UNAVAIL || (want_err && o->err[i] != want_err))
			fail_msg("call %d: status %d errno %d, want UNAVAIL/%d", i, o->status[i],
				 o->err[i], want_err);
	}
	assert_int_equal(o->fds_leaked, 0);
}

static void test_missing(void **state __attribute__((unused)))
{
	char p[4096];

	path_of(p, sizeof(p), "no-such.db");
	struct outcome o = run_case(p);
	assert_all_unavail(&o, ENOENT);
	path_of(p, sizeof(p), "no-such-dir/directory.db");
	o = run_case(p);
	assert_all_unavail(&o, ENOENT);
}

static void write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	assert_int_equal(chmod(path, mode), 0);
}

static void test_garbage(void **state __attribute__((unused)))
{
	char p[4096], junk[8192];

	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (char)(i * 131 + 7);
	path_of(p, sizeof(p), "garbage.db");
	write_file(p, junk, sizeof(junk), 0644);
	struct outcome o = run_case(p);
	assert_all_unavail(&o, EIO);

	path_of(p, sizeof(p), "empty.db");
	write_file(p, "", 0, 0644);
	o = run_case(p);
	assert_all_unavail(&o, EIO);

	/* SQLite's magic, then junk */
	memcpy(junk, "SQLite format 3", 16);
	path_of(p, sizeof(p), "magic.db");
	write_file(p, junk, sizeof(junk), 0644);
	o = run_case(p);
	assert_all_unavail(&o, EIO);
}

static void test_not_ours(void **state __attribute__((unused)))
{
	char p[4096], tmp[4096];

	/* a valid SQLite file, another application_id */
	path_of(p, sizeof(p), "other.db");
	path_of(tmp, sizeof(tmp), "other.tmp");
	sqlite3 *db = snap_begin(tmp);
	snap_sql(db, "COMMIT");
	snap_sql(db, "PRAGMA application_id = 1234");
	snap_sql(db, "BEGIN");
	snap_end(db, tmp, p);
	struct outcome o = run_case(p);
	assert_all_unavail(&o, EIO);

	/* no application_id at all, a plain database */
	path_of(p, sizeof(p), "plain.db");
	db = NULL;
	assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
	snap_sql(db, "CREATE TABLE passwd(x); INSERT INTO passwd VALUES(1)");
	sqlite3_close(db);
	chmod(p, 0644);
	o = run_case(p);
	assert_all_unavail(&o, EIO);
}

static void test_wrong_format(void **state __attribute__((unused)))
{
	char p[4096], tmp[4096];

	/* a format from the future (1 and 2 are read) */
	path_of(p, sizeof(p), "format3.db");
	path_of(tmp, sizeof(tmp), "format3.tmp");
	sqlite3 *db = snap_begin(tmp);
	snap_sql(db, "UPDATE meta SET value = 3 WHERE key = 'format'");
	snap_user(db, 2000, 2000, "alice", "", "/home/alice", "/bin/sh");
	snap_end(db, tmp, p);
	struct outcome o = run_case(p);
	assert_all_unavail(&o, EIO);

	path_of(p, sizeof(p), "noformat.db");
	path_of(tmp, sizeof(tmp), "noformat.tmp");
	db = snap_begin(tmp);
	snap_sql(db, "DELETE FROM meta");
	snap_end(db, tmp, p);
	o = run_case(p);
	assert_all_unavail(&o, EIO);

	/* ours, right format, a table missing */
	path_of(p, sizeof(p), "notable.db");
	path_of(tmp, sizeof(tmp), "notable.tmp");
	db = snap_begin(tmp);
	snap_sql(db, "DROP TABLE grp");
	snap_end(db, tmp, p);
	o = run_case(p);
	assert_int_equal(o.status[GRNAM], NSS_STATUS_UNAVAIL);
	assert_int_equal(o.status[GRGID], NSS_STATUS_UNAVAIL);
	assert_int_equal(o.status[GRENT], NSS_STATUS_UNAVAIL);
	assert_int_equal(o.status[PWNAM], NSS_STATUS_NOTFOUND);
}

static void test_wal_file(void **state __attribute__((unused)))
{
	char p[4096], tmp[4096];

	path_of(p, sizeof(p), "wal.db");
	path_of(tmp, sizeof(tmp), "wal.tmp");
	sqlite3 *db = snap_begin(tmp);
	snap_user(db, 2000, 2000, "alice", "", "/home/alice", "/bin/sh");
	snap_sql(db, "COMMIT");
	snap_sql(db, "PRAGMA journal_mode = WAL");
	snap_sql(db, "BEGIN");
	snap_end(db, tmp, p);
	struct outcome o = run_case(p);
	assert_all_unavail(&o, EIO);
}

static void test_truncated(void **state __attribute__((unused)))
{
	char p[4096], full[4096];

	path_of(full, sizeof(full), "full.db");
	snap_write_standard(full);
	int fd = open(full, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	char page[1024];
	assert_int_equal(read(fd, page, sizeof(page)), (ssize_t)sizeof(page));
	close(fd);
	path_of(p, sizeof(p), "truncated.db");
	write_file(p, page, sizeof(page), 0644);
	struct outcome o = run_case(p);
	for (int i = 0; i < N_CALLS; i++)
		assert_int_not_equal(o.status[i], NSS_STATUS_SUCCESS);
	assert_int_equal(o.status[PWNAM], NSS_STATUS_UNAVAIL);
}

static void test_untrusted(void **state __attribute__((unused)))
{
	char p[4096];

	path_of(p, sizeof(p), "writable.db");
	snap_write_standard(p);
	assert_int_equal(chmod(p, 0666), 0);
	struct outcome o = run_case(p);
	assert_all_unavail(&o, EACCES);
	assert_int_equal(chmod(p, 0664), 0);
	o = run_case(p);
	assert_all_unavail(&o, EACCES);
	/* read-only is all a reader needs */
	assert_int_equal(chmod(p, 0444), 0);
	o = run_case(p);
	assert_int_equal(o.status[PWNAM], NSS_STATUS_SUCCESS);
	assert_int_equal(o.status[INITGR], NSS_STATUS_SUCCESS);
}

static void test_directory_as_path(void **state __attribute__((unused)))
{
	struct outcome o = run_case(tmpdir);

	assert_all_unavail(&o, 0);
}

/*
 * The B-tree reader (lib/directory.c) walks the file itself: damage in any
 * page must give errors, never a crash, a hang or a read outside the
 * mapping. 400 copies of the standard snapshot, each with a few random
 * bytes changed after the file header, each in a fresh child that looks
 * up everything and enumerates both databases to the end.
 */
static void walk_all(struct nss_mod *m)
{
	static char buf[1 << 21];
	struct passwd pw;
	struct group gr;
	int err;
	long start = 1, size = 4;
	gid_t *groups = calloc(4, sizeof(gid_t));

	for (int i = 0; std_user_names[i]; i++) {
		m->getpwnam_r(std_user_names[i], &pw, buf, sizeof(buf), &err);
		m->getpwuid_r(std_user_uids[i], &pw, buf, sizeof(buf), &err);
		start = 1;
		m->initgroups_dyn(std_user_names[i], 100, &start, &size, &groups, 0, &err);
	}
	for (int i = 0; std_group_names[i]; i++) {
		m->getgrnam_r(std_group_names[i], &gr, buf, sizeof(buf), &err);
		m->getgrgid_r(std_group_gids[i], &gr, buf, sizeof(buf), &err);
	}
	m->setpwent(0);
	for (int n = 0; n < 100 && m->getpwent_r(&pw, buf, sizeof(buf), &err) == NSS_STATUS_SUCCESS;
	     n++)
		;
	m->endpwent();
	m->setgrent(0);
	for (int n = 0; n < 100 && m->getgrent_r(&gr, buf, sizeof(buf), &err) == NSS_STATUS_SUCCESS;
	     n++)
		;
	m->endgrent();
	free(groups);
}

static void test_corrupt_pages(void **state __attribute__((unused)))
{
	char full[4096], p[4096];
	struct stat st;
	uint64_t x = 0x2545f4914f6cdd1dULL;

	path_of(full, sizeof(full), "pristine.db");
	snap_write_standard(full);
	assert_int_equal(stat(full, &st), 0);
	size_t len = (size_t)st.st_size;
	unsigned char *orig = malloc(len), *copy = malloc(len);
	int fd = open(full, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0 && orig && copy);
	assert_int_equal(read(fd, orig, len), (ssize_t)len);
	close(fd);
	path_of(p, sizeof(p), "corrupt.db");
	for (int round = 0; round < 400; round++) {
		memcpy(copy, orig, len);
		int n = 1 + round % 8;
		for (int k = 0; k < n; k++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			/* the interesting bytes: page headers and cell pointers */
			size_t at = round % 2 ? 100 + x % (len - 100)
					      : (x % (len / 4096)) * 4096 + (x >> 32) % 64;
			if (at < 100)
				at += 100;
			copy[at] = (unsigned char)(x >> 40);
		}
		write_file(p, copy, len, 0644);
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			struct nss_mod m;
			alarm(20);
			setenv("UMGMT_DIRECTORY", p, 1);
			nss_mod_load(&m);
			walk_all(&m);
			_exit(0);
		}
		int status;
		assert_int_equal(waitpid(pid, &status, 0), pid);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			fail_msg("round %d: the child died (status %#x)", round, status);
	}
	free(orig);
	free(copy);
}

/* A format 1 snapshot (the layout before the covering indexes: UNIQUE
 * name columns): the reader does not walk it itself but asks SQLite, with
 * the same answers, until the next publish rewrites it. */
#define OLD_SCHEMA                                                                                 \
	"PRAGMA application_id = 1970104164;\n"                                                    \
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID;\n"                          \
	"CREATE TABLE passwd(uid INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,\n"                \
	"  gid INTEGER NOT NULL, gecos TEXT NOT NULL, dir TEXT NOT NULL,\n"                        \
	"  shell TEXT NOT NULL);\n"                                                                \
	"CREATE TABLE grp(gid INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,\n"                   \
	"  nmem INTEGER NOT NULL, members TEXT NOT NULL);\n"                                       \
	"CREATE TABLE usergroups(name TEXT PRIMARY KEY, gids BLOB NOT NULL)\n"                     \
	"  WITHOUT ROWID;\n"

static int count_mem(char **mem)
{
	int n = 0;

	while (mem[n])
		n++;
	return n;
}

static void test_old_layout(void **state __attribute__((unused)))
{
	char p[4096];

	path_of(p, sizeof(p), "old-layout.db");
	snap_write_standard_schema(p, OLD_SCHEMA, 1);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		static char buf[1 << 21];
		struct nss_mod m;
		struct passwd pw;
		struct group gr;
		int err, r = 0, n = 0;
		long start = 1, size = 4;
		gid_t *groups = calloc(4, sizeof(gid_t));
		alarm(20);
		setenv("UMGMT_DIRECTORY", p, 1);
		nss_mod_load(&m);
		if (m.getpwnam_r("carol", &pw, buf, sizeof(buf), &err) != NSS_STATUS_SUCCESS ||
		    pw.pw_uid != 2002 || strlen(pw.pw_gecos) != LONG_GECOS_LEN)
			r |= 1;
		if (m.getpwuid_r(2001, &pw, buf, sizeof(buf), &err) != NSS_STATUS_SUCCESS ||
		    strcmp(pw.pw_name, "bob") != 0 || strcmp(pw.pw_gecos, "Bob,,,") != 0)
			r |= 2;
		if (m.getgrnam_r("staff", &gr, buf, sizeof(buf), &err) != NSS_STATUS_SUCCESS ||
		    gr.gr_gid != 3000 || count_mem(gr.gr_mem) != 2 ||
		    strcmp(gr.gr_mem[1], "bob") != 0)
			r |= 4;
		if (m.getgrgid_r(3001, &gr, buf, sizeof(buf), &err) != NSS_STATUS_SUCCESS ||
		    count_mem(gr.gr_mem) != BIG_GROUP_MEMBERS)
			r |= 8;
		if (m.initgroups_dyn("alice", 2000, &start, &size, &groups, 0, &err) !=
			    NSS_STATUS_SUCCESS ||
		    start != 4)
			r |= 16;
		if (m.getpwnam_r("ghost", &pw, buf, sizeof(buf), &err) != NSS_STATUS_NOTFOUND)
			r |= 32;
		m.setpwent(0);
		while (m.getpwent_r(&pw, buf, sizeof(buf), &err) == NSS_STATUS_SUCCESS)
			n++;
		m.endpwent();
		if (n != 5)
			r |= 64;
		_exit(r);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* No snapshot at first, then one is published: seen within a second. */
static void test_appears_later(void **state __attribute__((unused)))
{
	char p[4096];

	path_of(p, sizeof(p), "later.db");
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct nss_mod m;
		struct passwd pw;
		char buf[1024];
		int err, r = 0;
		alarm(20);
		setenv("UMGMT_DIRECTORY", p, 1);
		nss_mod_load(&m);
		if (m.getpwnam_r("alice", &pw, buf, sizeof(buf), &err) != NSS_STATUS_UNAVAIL)
			r |= 1;
		snap_write_standard(p);
		usleep(1100 * 1000);
		if (m.getpwnam_r("alice", &pw, buf, sizeof(buf), &err) != NSS_STATUS_SUCCESS)
			r |= 2;
		unlink(p); /* and gone again: UNAVAIL, not the old data */
		usleep(1100 * 1000);
		if (m.getpwnam_r("alice", &pw, buf, sizeof(buf), &err) != NSS_STATUS_UNAVAIL ||
		    err != ENOENT)
			r |= 4;
		_exit(r);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(int argc, char **argv)
{
	nsstest_handle_args(argc, argv);

	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_missing),	      cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_not_ours),      cmocka_unit_test(test_wrong_format),
		cmocka_unit_test(test_wal_file),      cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_untrusted),     cmocka_unit_test(test_directory_as_path),
		cmocka_unit_test(test_appears_later), cmocka_unit_test(test_corrupt_pages),
		cmocka_unit_test(test_old_layout),
	};
	return cmocka_run_group_tests_name("nss-unavail", tests, setup, teardown);
}

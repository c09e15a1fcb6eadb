/* SPDX-License-Identifier: MIT */
/* Helpers shared by the NSS tests (see nsstest.h). */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "directory-schema.h"
#include "nsstest.h"
#include "umgmt/store.h"

#define DIE(...)                                                                                   \
	do {                                                                                       \
		fprintf(stderr, "nsstest: " __VA_ARGS__);                                          \
		fputc('\n', stderr);                                                               \
		abort();                                                                           \
	} while (0)

const char *const std_user_names[] = { "alice", "bob", "carol", "dave", "zed", NULL };
const uint32_t std_user_uids[] = { 2000, 2001, 2002, 2003, 65533 };
const char *const std_group_names[] = { "users", "alice", "staff", "big", "empty", NULL };
const uint32_t std_group_gids[] = { 100, 2000, 3000, 3001, 3002 };

void snap_sql(sqlite3 *db, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		DIE("%s: %s", sql, err);
}

sqlite3 *snap_begin(const char *tmp_path)
{
	return snap_begin_schema(tmp_path, UM_DIRECTORY_SCHEMA_SQL, UM_DIRECTORY_FORMAT);
}

sqlite3 *snap_begin_schema(const char *tmp_path, const char *schema, int format)
{
	sqlite3 *db;
	char sql[128];

	unlink(tmp_path);
	if (sqlite3_open(tmp_path, &db) != SQLITE_OK)
		DIE("cannot create %s", tmp_path);
	snap_sql(db, "PRAGMA journal_mode = DELETE");
	snap_sql(db, schema);
	snap_sql(db, "BEGIN");
	snprintf(sql, sizeof(sql), "INSERT INTO meta VALUES('format', %d), ('generation', 1)",
		 format);
	snap_sql(db, sql);
	return db;
}

static sqlite3_stmt *prep(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		DIE("%s: %s", sql, sqlite3_errmsg(db));
	return st;
}

static void done(sqlite3 *db, sqlite3_stmt *st)
{
	if (sqlite3_step(st) != SQLITE_DONE)
		DIE("insert: %s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
}

void snap_user(sqlite3 *db, uint32_t uid, uint32_t gid, const char *name, const char *gecos,
	       const char *dir, const char *shell)
{
	sqlite3_stmt *st = prep(
		db,
		"INSERT INTO passwd(uid, gid, name, gecos, dir, shell) VALUES(?, ?, ?, ?, ?, ?)");

	sqlite3_bind_int64(st, 1, uid);
	sqlite3_bind_int64(st, 2, gid);
	sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, gecos, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, dir, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, shell, -1, SQLITE_STATIC);
	done(db, st);
}

void snap_group(sqlite3 *db, uint32_t gid, const char *name, const char *members, long nmem)
{
	sqlite3_stmt *st = prep(db, "INSERT INTO grp(gid, name, nmem, members) VALUES(?, ?, ?, ?)");

	sqlite3_bind_int64(st, 1, gid);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, nmem);
	sqlite3_bind_text(st, 4, members, -1, SQLITE_STATIC);
	done(db, st);
}

void snap_usergroups(sqlite3 *db, const char *name, const uint32_t *gids, size_t n)
{
	sqlite3_stmt *st = prep(db, "INSERT INTO usergroups(name, gids) VALUES(?, ?)");

	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	/* host byte order, as the format says */
	sqlite3_bind_blob(st, 2, n ? (const void *)gids : "", (int)(n * sizeof(uint32_t)),
			  SQLITE_TRANSIENT);
	done(db, st);
}

void snap_end(sqlite3 *db, const char *tmp_path, const char *path)
{
	snap_sql(db, "COMMIT");
	if (sqlite3_close(db) != SQLITE_OK)
		DIE("close %s", tmp_path);
	if (chmod(tmp_path, 0644) < 0)
		DIE("chmod %s: %s", tmp_path, strerror(errno));
	if (path && rename(tmp_path, path) < 0)
		DIE("rename %s: %s", tmp_path, strerror(errno));
}

static char *big_members(void)
{
	char *s = malloc(BIG_GROUP_MEMBERS * 7 + 1), *p = s;

	if (!s)
		DIE("out of memory");
	for (int i = 0; i < BIG_GROUP_MEMBERS; i++)
		p += sprintf(p, "%sm%05d", i ? "," : "", i);
	return s;
}

static void write_standard(const char *path, int version, const char *schema, int format)
{
	char tmp[4096], gecos[LONG_GECOS_LEN + 1];
	uint32_t carol_gids[200];
	const uint32_t alice_gids[] = { 3000, 3001, 3002 };
	const uint32_t bob_gids[] = { 100, 3000 };

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	sqlite3 *db = snap_begin_schema(tmp, schema, format);
	memset(gecos, 'c', LONG_GECOS_LEN);
	gecos[LONG_GECOS_LEN] = '\0';
	snap_user(db, 2000, 2000, "alice", version == 1 ? "Alice Liddell" : "Alice v2",
		  "/home/alice", "/bin/bash");
	snap_user(db, 2001, 100, "bob", "Bob,,,", "/home/bob", "/bin/sh");
	snap_user(db, 2002, 100, "carol", gecos, "/home/carol", "/bin/bash");
	snap_user(db, 2003, 100, "dave", "", "/home/dave", "/usr/sbin/nologin");
	snap_user(db, 65533, 100, "zed", "Zed", "/home/zed", "/bin/bash");
	if (version == 2)
		snap_user(db, 2004, 100, "frank", "Frank", "/home/frank", "/bin/bash");

	char *big = big_members();
	snap_group(db, 100, "users", "", 0);
	snap_group(db, 2000, "alice", "", 0);
	snap_group(db, 3000, "staff", "alice,bob", 2);
	snap_group(db, 3001, "big", big, BIG_GROUP_MEMBERS);
	snap_group(db, 3002, "empty", "", 0);
	free(big);

	for (size_t i = 0; i < 200; i++)
		carol_gids[i] = 4000 + (uint32_t)i;
	snap_usergroups(db, "alice", alice_gids, 3);
	snap_usergroups(db, "bob", bob_gids, 2);
	snap_usergroups(db, "carol", carol_gids, 200);
	snap_end(db, tmp, path);
}

void snap_write_standard(const char *path)
{
	write_standard(path, 1, UM_DIRECTORY_SCHEMA_SQL, UM_DIRECTORY_FORMAT);
}

void snap_write_standard_v2(const char *path)
{
	write_standard(path, 2, UM_DIRECTORY_SCHEMA_SQL, UM_DIRECTORY_FORMAT);
}

void snap_write_standard_schema(const char *path, const char *schema, int format)
{
	write_standard(path, 1, schema, format);
}

const char *nss_module_path(void)
{
	const char *p = getenv("UMGMT_NSS_MODULE");

	return p && *p ? p : "build/libnss_umgmt.so.2";
}

static void *sym(void *h, const char *name)
{
	void *p = dlsym(h, name);

	if (!p)
		DIE("%s: %s", name, dlerror());
	return p;
}

void nss_mod_load(struct nss_mod *m)
{
	m->handle = dlopen(nss_module_path(), RTLD_NOW | RTLD_LOCAL);
	if (!m->handle)
		DIE("dlopen %s: %s", nss_module_path(), dlerror());
	m->getpwnam_r = (pwnam_fn)sym(m->handle, "_nss_umgmt_getpwnam_r");
	m->getpwuid_r = (pwuid_fn)sym(m->handle, "_nss_umgmt_getpwuid_r");
	m->getgrnam_r = (grnam_fn)sym(m->handle, "_nss_umgmt_getgrnam_r");
	m->getgrgid_r = (grgid_fn)sym(m->handle, "_nss_umgmt_getgrgid_r");
	m->setpwent = (setent_fn)sym(m->handle, "_nss_umgmt_setpwent");
	m->setgrent = (setent_fn)sym(m->handle, "_nss_umgmt_setgrent");
	m->endpwent = (endent_fn)sym(m->handle, "_nss_umgmt_endpwent");
	m->endgrent = (endent_fn)sym(m->handle, "_nss_umgmt_endgrent");
	m->getpwent_r = (pwent_fn)sym(m->handle, "_nss_umgmt_getpwent_r");
	m->getgrent_r = (grent_fn)sym(m->handle, "_nss_umgmt_getgrent_r");
	m->initgroups_dyn = (initgr_fn)sym(m->handle, "_nss_umgmt_initgroups_dyn");
}

int count_open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		DIE("opendir /proc/self/fd");
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the DIR's own */
}

int count_mappings(const char *needle)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[8192];
	int n = 0;

	if (!f)
		DIE("open /proc/self/maps");
	while (fgets(line, sizeof(line), f))
		if (strstr(line, needle))
			n++;
	fclose(f);
	return n;
}

char *make_temp_dir(void)
{
	const char *t = getenv("TMPDIR");
	char *p;

	if (asprintf(&p, "%s/umgmt-nss.XXXXXX", t && *t ? t : "/tmp") < 0 || !mkdtemp(p))
		DIE("mkdtemp");
	chmod(p, 0755);
	return p;
}

void remove_tree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[4096];

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		if (unlink(p) < 0 && errno == EISDIR)
			remove_tree(p);
	}
	closedir(d);
	rmdir(dir);
}

void nsstest_handle_args(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--write-snapshot") == 0) {
		snap_write_standard(argv[2]);
		exit(0);
	}
}

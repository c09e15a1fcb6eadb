/* SPDX-License-Identifier: MIT */
/*
 * umgmt core: publishing the snapshot NSS reads.
 *
 * 1. take <store>/.publish.lock (flock), so publishers run one at a time
 *    and each reads the truth after the previous one renamed its file;
 * 2. create <store>/.directory.db.XXXXXX and either copy the published
 *    snapshot into it (copy-and-patch, when the truth's change log covers
 *    everything since that snapshot: see below) or give it the empty
 *    snapshot schema (rollback journal, journal_mode OFF while building: a
 *    failed build is simply deleted);
 * 3. ATTACH it to the truth's connection and, inside one read transaction
 *    (so it is one consistent view), fill it with the content statements
 *    below: for everything, or, in a copy, for the changed keys only;
 * 4. fsync it, chmod 0644, rename() over directory.db, fsync the directory;
 *    then trim the change log up to the generation just published.
 *
 * Readers therefore see the old snapshot or the new one, never a torn
 * one, and a crash leaves at worst a stale snapshot plus a temp file that
 * the next publish removes. The snapshot carries nothing secret by
 * construction: only the columns below are copied.
 */
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "directory-schema.h"
#include "publish.h"
#include "umgmt/config.h"

/* Aggregate um_pack_gids(gid): the ascending uint32 array of
 * usergroups.gids, in host byte order. */
struct gidvec {
	uint32_t *v;
	size_t n, cap;
};

static void pack_step(sqlite3_context *ctx, int argc _unused_, sqlite3_value **argv)
{
	struct gidvec *g = sqlite3_aggregate_context(ctx, sizeof(*g));

	if (!g)
		return sqlite3_result_error_nomem(ctx);
	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 8;
		uint32_t *nv = sqlite3_realloc64(g->v, cap * sizeof(*nv));

		if (!nv)
			return sqlite3_result_error_nomem(ctx);
		g->v = nv;
		g->cap = cap;
	}
	g->v[g->n++] = (uint32_t)sqlite3_value_int64(argv[0]);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void pack_final(sqlite3_context *ctx)
{
	struct gidvec *g = sqlite3_aggregate_context(ctx, 0);

	if (!g || !g->n) {
		sqlite3_result_zeroblob(ctx, 0);
		return;
	}
	qsort(g->v, g->n, sizeof(*g->v), cmp_u32);
	sqlite3_result_blob64(ctx, g->v, g->n * sizeof(*g->v), sqlite3_free);
}

/* Aggregate um_join_names(name): the non-NULL names joined by ',' in
 * BINARY collation order (what ORDER BY name gives), '' when none. One
 * sort per group in C instead of one correlated, sorted subquery per
 * group in SQL (with um_user_name() below, the full build of grp went
 * from 1.4 s to 0.25 s at 100k users, from 14 s to 4-6 s at 1M). */
struct namevec {
	struct namelen {
		const char *s; /* owned */
		size_t n;
	} * v;
	size_t n, cap, bytes;
};

static void join_step(sqlite3_context *ctx, int argc _unused_, sqlite3_value **argv)
{
	struct namevec *g = sqlite3_aggregate_context(ctx, sizeof(*g));
	const unsigned char *t = sqlite3_value_text(argv[0]);
	size_t n = (size_t)sqlite3_value_bytes(argv[0]);
	char *copy;

	if (!g)
		return sqlite3_result_error_nomem(ctx);
	if (!t) /* a group without members (LEFT JOIN) */
		return;
	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 16;
		struct namelen *nv = sqlite3_realloc64(g->v, cap * sizeof(*nv));

		if (!nv)
			return sqlite3_result_error_nomem(ctx);
		g->v = nv;
		g->cap = cap;
	}
	copy = sqlite3_malloc64(n + 1);
	if (!copy)
		return sqlite3_result_error_nomem(ctx);
	memcpy(copy, t, n + 1);
	g->v[g->n++] = (struct namelen){ .s = copy, .n = n };
	g->bytes += n + 1;
}

/* SQLite's BINARY collation: memcmp, then the shorter first. */
static int cmp_name(const void *a, const void *b)
{
	const struct namelen *x = a, *y = b;
	int c = memcmp(x->s, y->s, x->n < y->n ? x->n : y->n);

	return c ? c : (x->n > y->n) - (x->n < y->n);
}

static void join_final(sqlite3_context *ctx)
{
	struct namevec *g = sqlite3_aggregate_context(ctx, 0);
	char *out, *p;

	if (!g || !g->n) {
		sqlite3_result_text(ctx, "", 0, SQLITE_STATIC);
		return;
	}
	qsort(g->v, g->n, sizeof(*g->v), cmp_name);
	out = p = sqlite3_malloc64(g->bytes);
	for (size_t i = 0; i < g->n; i++) {
		if (out) {
			if (i)
				*p++ = ',';
			memcpy(p, g->v[i].s, g->v[i].n);
			p += g->v[i].n;
		}
		sqlite3_free((void *)g->v[i].s);
	}
	sqlite3_free(g->v);
	if (!out)
		return sqlite3_result_error_nomem(ctx);
	sqlite3_result_text64(ctx, out, g->bytes - 1, sqlite3_free, SQLITE_UTF8);
}

/* The first column of sql's first row, dflt when none or NULL. */
static int64_t db_int(sqlite3 *db, const char *sql, int64_t dflt)
{
	sqlite3_stmt *st = NULL;
	int64_t v = dflt;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* Function um_user_name(id): users.name of the user whose surrogate key
 * is id (NULL if none), as "JOIN main.users u ON u.id = id" would give.
 * A full build first loads every name with one sequential scan
 * (names_load), because a B-tree probe per membership was the whole cost
 * of building grp (5M random probes, 10 s at 1M users); a patch looks the
 * few members it needs up one by one. Valid within one publishing
 * transaction. */
#define NO_NAME UINT32_MAX
struct names {
	sqlite3 *db;
	sqlite3_stmt *lookup;
	char *arena; /* the names, NUL-terminated */
	size_t len, cap;
	uint32_t *off; /* off[id]: where id's name starts in arena, or NO_NAME */
	int64_t max_id;
};

static void user_name(sqlite3_context *ctx, int argc _unused_, sqlite3_value **argv)
{
	struct names *nm = sqlite3_user_data(ctx);
	int64_t id = sqlite3_value_int64(argv[0]);
	int rc;

	if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
		return sqlite3_result_null(ctx);
	if (nm->off) {
		if (id < 0 || id > nm->max_id || nm->off[id] == NO_NAME)
			return sqlite3_result_null(ctx);
		return sqlite3_result_text(ctx, nm->arena + nm->off[id], -1, SQLITE_STATIC);
	}
	if (!nm->lookup && sqlite3_prepare_v2(nm->db, "SELECT name FROM main.users WHERE id = ?1",
					      -1, &nm->lookup, NULL) != SQLITE_OK)
		return sqlite3_result_error(ctx, sqlite3_errmsg(nm->db), -1);
	sqlite3_bind_int64(nm->lookup, 1, id);
	rc = sqlite3_step(nm->lookup);
	if (rc == SQLITE_ROW)
		sqlite3_result_value(ctx, sqlite3_column_value(nm->lookup, 0));
	else if (rc == SQLITE_DONE)
		sqlite3_result_null(ctx);
	else
		sqlite3_result_error(ctx, sqlite3_errmsg(nm->db), -1);
	sqlite3_reset(nm->lookup);
}

/* Loads every user's name into nm, inside the publishing transaction.
 * Keys are handed out densely; if they are not (max(id) far above the
 * count), it leaves nm empty and um_user_name() queries instead. */
static int names_load(struct um_store *s, struct names *nm)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int64_t max_id = db_int(s->db.h, "SELECT ifnull(max(id), 0) FROM main.users", -1);
	int64_t n = db_int(s->db.h, "SELECT count(*) FROM main.users", -1);
	int r, rc;

	if (max_id < 0 || n < 0 || max_id > 4 * n + 65536)
		return 0;
	nm->off = malloc(((size_t)max_id + 1) * sizeof(*nm->off));
	if (!nm->off)
		return -ENOMEM;
	memset(nm->off, 0xff, ((size_t)max_id + 1) * sizeof(*nm->off));
	nm->max_id = max_id;
	r = um_db_prepare(&s->db, "SELECT id, name FROM main.users", &st);
	if (r < 0)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		size_t len = (size_t)sqlite3_column_bytes(st, 1) + 1;

		if (id < 0 || id > max_id)
			continue;
		if (nm->len + len > nm->cap) {
			size_t cap = (nm->cap ? nm->cap * 2 : 1 << 20) + len;
			char *na = cap < NO_NAME ? realloc(nm->arena, cap) : NULL;

			if (!na)
				return -ENOMEM;
			nm->arena = na;
			nm->cap = cap;
		}
		memcpy(nm->arena + nm->len, sqlite3_column_text(st, 1), len);
		nm->off[id] = (uint32_t)nm->len;
		nm->len += len;
	}
	return rc == SQLITE_DONE ? 0 : um_db_error(&s->db, rc, "read the users");
}

static void names_done(struct names *nm)
{
	sqlite3_finalize(nm->lookup);
	free(nm->arena);
	free(nm->off);
}

/* ------------------------------------------------------------------------
 * snapshot content — what the NSS module reads (directory-schema.h)
 *
 * What each snapshot table holds, defined once, as an INSERT ... SELECT
 * over the truth. The full build and the patch (copy-and-patch, below)
 * both run exactly these statements; they differ only in the key filter
 * that replaces the placeholder:
 *   {USERS}   a condition on u.uid (users whose rows must be written),
 *   {GROUPS}  a condition on g.gid (groups whose rows must be written);
 * "1" for the full build, "x IN (SELECT num FROM temp.um_dirty ...)" for
 * a patch. A patch first deletes the dirty keys' old rows (passwd and grp
 * by id, usergroups by the old and new names: see patch_delete). A new
 * table needs its statement here, a line in fill_full() and patch_delete,
 * and, if its rows depend on truth tables or columns the change log does
 * not watch, a trigger in lib/schema.c (tests/unit/test-publish.c compares
 * patched snapshots with full builds after every kind of change).
 * Helpers: um_join_names(name) joins member names in name order,
 * um_pack_gids(gid) packs usergroups.gids, um_user_name(users.id) is the
 * user's name (a join with users, without a B-tree probe per member in a
 * full build).
 * ---------------------------------------------------------------------- */
static const char snap_passwd[] =
	"INSERT INTO snap.passwd(uid, name, gid, gecos, dir, shell)\n"
	"  SELECT u.uid, u.name, u.gid, u.full_name, u.home, u.shell FROM main.users u\n"
	"  WHERE {USERS} ORDER BY u.uid";
static const char snap_grp[] =
	"INSERT INTO snap.grp(gid, name, nmem, members)\n"
	"  SELECT g.gid, g.name, count(m.user_id), um_join_names(um_user_name(m.user_id))\n"
	"  FROM main.groups g\n"
	"  LEFT JOIN main.group_members m ON m.group_id = g.id\n"
	"  WHERE {GROUPS} GROUP BY g.gid ORDER BY g.gid";
static const char snap_usergroups[] = "INSERT INTO snap.usergroups(name, gids)\n"
				      "  SELECT u.name, um_pack_gids(g.gid) FROM main.users u\n"
				      "  CROSS JOIN main.group_members m ON m.user_id = u.id\n"
				      "  JOIN main.groups g ON g.id = m.group_id\n"
				      "  WHERE {USERS} GROUP BY u.name ORDER BY u.name";
/* meta: generation and publication time; 'format' is written once by the
 * full build (a patch starts from a file of the same schema). */
static const char snap_meta[] =
	"INSERT OR REPLACE INTO snap.meta(key, value)\n"
	"  SELECT 'generation', value FROM main.meta WHERE key = 'generation';\n"
	"INSERT OR REPLACE INTO snap.meta(key, value) VALUES ('published_at', unixepoch());\n";
static const char snap_format[] =
	"INSERT INTO snap.meta(key, value) VALUES ('format', " UM_STR(UM_DIRECTORY_FORMAT) ")";
/* ---------------------------------------------------------------------- */

/* The content statement tmpl with {USERS} and {GROUPS} replaced by the
 * given conditions. Returns a malloc'd string or NULL. */
static char *content_sql(const char *tmpl, const char *users, const char *groups)
{
	const char *u = strstr(tmpl, "{USERS}"), *g = strstr(tmpl, "{GROUPS}");
	const char *at = u ? u : g, *with = u ? users : groups;

	if (!at)
		return strdup(tmpl);
	return um_asprintf("%.*s%s%s", (int)(at - tmpl), tmpl, with, at + (u ? 7 : 8));
}

/* Runs the content statement tmpl with the given filters. */
static int run_content(struct um_store *s, const char *tmpl, const char *users, const char *groups,
		       const char *what)
{
	_cleanup_free_ char *sql = content_sql(tmpl, users, groups);

	if (!sql)
		return -ENOMEM;
	return um_db_exec(&s->db, sql, what);
}

/* Fills the empty snapshot attached as snap with everything. */
static int fill_full(struct um_store *s)
{
	int r = um_db_exec(&s->db, snap_format, "fill the new snapshot");

	if (r >= 0)
		r = um_db_exec(&s->db, snap_meta, "fill the new snapshot");
	if (r >= 0)
		r = run_content(s, snap_passwd, "1", "1", "fill the snapshot's users");
	if (r >= 0)
		r = run_content(s, snap_grp, "1", "1", "fill the snapshot's groups");
	if (r >= 0)
		r = run_content(s, snap_usergroups, "1", "1", "fill the snapshot's memberships");
	return r;
}

/* Creates the empty snapshot schema in path through its own connection. */
static int create_snapshot_file(const char *path)
{
	sqlite3 *db = NULL;
	int rc;

	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db,
				  "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;"
				  "PRAGMA page_size = 4096;" UM_DIRECTORY_SCHEMA_SQL,
				  NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		um_fail(-EIO, "cannot create the snapshot %s: %s", path,
			db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
	sqlite3_close_v2(db);
	return rc == SQLITE_OK ? 0 : -EIO;
}

/* Removes temp files left by a publisher that crashed. Called under the
 * publish lock, so no live publisher owns them. */
static void remove_stale_temps(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, ".directory.db.", 14))
			unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
}

/* ---------------------------------------------------------------------
 * Copy-and-patch: when one user changes, the new snapshot is a copy of the
 * published one (copy_file_range: no row-by-row rewrite) in which only the
 * rows of the users and groups that the truth's change log (dir_changes,
 * lib/schema.c) names since the published generation are deleted and
 * written again, by the content statements above. It is taken only when
 * that is provably the same as a full build: the published file has this
 * build's format and exact schema, its generation G0 is not newer than the
 * truth's and not older than the log's trim mark (the log is complete
 * since G0). Otherwise, and when the log is long, a full build.
 * ------------------------------------------------------------------- */

/* A patch of more keys than this costs about what a full build of 100k
 * users does: rebuild instead. */
#define PATCH_MAX_KEYS 20000
/* Patches leave free pages behind; rebuild once a quarter of the file is. */
#define PATCH_MAX_FREE_PERCENT 25

static const char patch_dirty[] =
	"CREATE TEMP TABLE IF NOT EXISTS um_dirty_users(num INTEGER PRIMARY KEY);\n"
	"CREATE TEMP TABLE IF NOT EXISTS um_dirty_groups(num INTEGER PRIMARY KEY);\n"
	"DELETE FROM temp.um_dirty_users;\n"
	"DELETE FROM temp.um_dirty_groups;\n"
	"INSERT OR IGNORE INTO temp.um_dirty_users(num)\n"
	"  SELECT num FROM main.dir_changes WHERE gen > (SELECT value FROM snap.meta\n"
	"    WHERE key = 'generation') AND kind = 'user';\n"
	"INSERT OR IGNORE INTO temp.um_dirty_groups(num)\n"
	"  SELECT num FROM main.dir_changes WHERE gen > (SELECT value FROM snap.meta\n"
	"    WHERE key = 'generation') AND kind = 'group';\n";
/* The old rows of the dirty keys. usergroups is keyed by name: the user's
 * name in the old snapshot (it may have been renamed or deleted since) and
 * in the truth (a name given up by a user who is dirty as well). */
static const char patch_delete[] =
	"DELETE FROM snap.usergroups WHERE name IN (\n"
	"  SELECT name FROM snap.passwd WHERE uid IN (SELECT num FROM temp.um_dirty_users)\n"
	"  UNION ALL\n"
	"  SELECT name FROM main.users WHERE uid IN (SELECT num FROM temp.um_dirty_users));\n"
	"DELETE FROM snap.passwd WHERE uid IN (SELECT num FROM temp.um_dirty_users);\n"
	"DELETE FROM snap.grp WHERE gid IN (SELECT num FROM temp.um_dirty_groups);\n";
static const char patch_users[] = "u.uid IN (SELECT num FROM temp.um_dirty_users)";
static const char patch_groups[] = "g.gid IN (SELECT num FROM temp.um_dirty_groups)";
/* Whether the attached copy can be patched, checked again inside the
 * publishing transaction (so against the very state it patches). */
static const char patch_check[] =
	"SELECT s.value >= ifnull(t.value, s.value + 1) AND s.value <= g.value\n"
	"FROM snap.meta s, main.meta g LEFT JOIN main.meta t ON t.key = 'log_trimmed_upto'\n"
	"WHERE s.key = 'generation' AND g.key = 'generation'";

/* Patches the copy of the published snapshot attached as snap. Returns 1
 * when done, 0 when it cannot be patched after all (a full build must run
 * in a fresh file), or an error. */
static int fill_patch(struct um_store *s)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = um_db_prepare(&s->db, patch_check, &st), rc;

	if (r < 0)
		return r;
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return um_db_error(&s->db, rc, "read the snapshot's generation");
	if (rc == SQLITE_DONE || !sqlite3_column_int(st, 0))
		return 0;
	r = um_db_exec(&s->db, patch_dirty, "read the change log");
	if (r >= 0)
		r = um_db_exec(&s->db, patch_delete, "patch the snapshot");
	if (r >= 0)
		r = um_db_exec(&s->db, snap_meta, "patch the snapshot");
	if (r >= 0)
		r = run_content(s, snap_passwd, patch_users, patch_groups,
				"patch the snapshot's users");
	if (r >= 0)
		r = run_content(s, snap_grp, patch_users, patch_groups,
				"patch the snapshot's groups");
	if (r >= 0)
		r = run_content(s, snap_usergroups, patch_users, patch_groups,
				"patch the snapshot's memberships");
	return r < 0 ? r : 1;
}

/* The text of a database's schema, for comparing two files'. */
static char *schema_text(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	char *t = NULL;

	if (sqlite3_prepare_v2(db,
			       "SELECT group_concat(type || ' ' || name || ' ' || ifnull(sql, ''),"
			       " char(10)) FROM (SELECT * FROM sqlite_master ORDER BY type, name)",
			       -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		t = strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return t;
}

/* Whether the published snapshot at path can be the base of a patch: one
 * of this build's format and schema, not too fragmented, and of a
 * generation the truth's change log covers with at most PATCH_MAX_KEYS
 * entries. Publishers hold the publish lock, so the file cannot change
 * until it is copied. */
static bool can_patch(struct um_store *s, const char *path)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	_cleanup_free_ char *have = NULL, *want = NULL;
	sqlite3 *db = NULL, *mem = NULL;
	int64_t gen = -1, pages, free_pages;
	bool ok = false;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOFOLLOW, NULL) !=
		    SQLITE_OK ||
	    sqlite3_open_v2(":memory:", &mem, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
	    sqlite3_exec(mem, UM_DIRECTORY_SCHEMA_SQL, NULL, NULL, NULL) != SQLITE_OK)
		goto out;
	have = schema_text(db);
	want = schema_text(mem);
	pages = db_int(db, "PRAGMA page_count", 0);
	free_pages = db_int(db, "PRAGMA freelist_count", 0);
	gen = db_int(db, "SELECT value FROM meta WHERE key = 'generation'", -1);
	ok = have && want && !strcmp(have, want) &&
	     db_int(db, "PRAGMA application_id", 0) == UM_DIRECTORY_APPLICATION_ID &&
	     db_int(db, "SELECT value FROM meta WHERE key = 'format'", -1) == UM_DIRECTORY_FORMAT &&
	     gen >= 0 && free_pages * 100 <= pages * PATCH_MAX_FREE_PERCENT;
out:
	sqlite3_close_v2(db);
	sqlite3_close_v2(mem);
	if (!ok)
		return false;
	/* A first look at the log; the publishing transaction checks again. */
	if (um_db_prepare(
		    &s->db,
		    "SELECT (SELECT value FROM meta WHERE key = 'log_trimmed_upto') <= :gen\n"
		    "  AND (SELECT value FROM meta WHERE key = 'generation') >= :gen\n"
		    "  AND (SELECT count(*) FROM (SELECT 1 FROM dir_changes WHERE gen > :gen\n"
		    "    LIMIT " UM_STR(PATCH_MAX_KEYS) " + 1)) <= " UM_STR(PATCH_MAX_KEYS),
		    &st) < 0) {
		um_error_forget(0);
		return false;
	}
	return um_bind_int(st, ":gen", gen) >= 0 && sqlite3_step(st) == SQLITE_ROW &&
	       sqlite3_column_int(st, 0) == 1;
}

/* Copies the file at path into the empty file out. */
static int copy_snapshot(const char *path, int out)
{
	_cleanup_close_ int in = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	bool plain = false;
	char buf[1 << 16];
	ssize_t n;

	if (in < 0)
		return -errno;
	for (;;) {
		if (!plain) {
			n = copy_file_range(in, NULL, out, NULL, SIZE_MAX >> 2, 0);
			if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL ||
				      errno == EOPNOTSUPP)) {
				plain = true; /* both offsets are where the copy stopped */
				continue;
			}
		} else {
			n = read(in, buf, sizeof(buf));
			if (n > 0) {
				for (ssize_t done = 0, w; done < n; done += w) {
					w = write(out, buf + done, (size_t)(n - done));
					if (w < 0 && errno != EINTR)
						return -errno;
					if (w < 0)
						w = 0;
				}
			}
		}
		if (n == 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -errno;
	}
}

/* Fills the file tmp, attached to the truth's connection as snap, in one
 * read transaction of the truth: a patch when patch is set (tmp holds a
 * copy of the published snapshot), else a full build (tmp holds the empty
 * schema). Returns 1 when done, 0 when the patch was refused (tmp is then
 * to be thrown away), or an error; *ret_gen is the generation written. */
static int fill(struct um_store *s, const char *tmp, bool patch, int64_t *ret_gen)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	struct names nm = { .db = s->db.h };
	int r;

	r = um_db_prepare(&s->db, "ATTACH DATABASE :path AS snap", &st);
	if (r < 0)
		return r;
	if ((r = um_bind_text(st, ":path", tmp)) < 0)
		return r;
	r = um_db_exec_stmt(&s->db, st, "attach the new snapshot");
	if (r < 0)
		return r;
	/* A bigger page cache for this statement's indexes (the default 2 MiB
	 * makes the build spill and re-read pages): 64 MiB at most, taken
	 * only as pages are used, and given back below. */
	r = um_db_exec(&s->db,
		       "PRAGMA snap.journal_mode = OFF; PRAGMA snap.synchronous = OFF;"
		       " PRAGMA snap.cache_size = -65536; PRAGMA main.cache_size = -65536;"
		       " PRAGMA main.mmap_size = 4294967296",
		       "prepare the new snapshot");
	if (r >= 0 && sqlite3_create_function(s->db.h, "um_user_name", 1, SQLITE_UTF8, &nm,
					      user_name, NULL, NULL) != SQLITE_OK)
		r = um_db_error(&s->db, sqlite3_errcode(s->db.h), "publish");
	if (r >= 0)
		r = um_db_exec(&s->db, "BEGIN", "start publishing");
	if (r >= 0) {
		if (patch) {
			r = fill_patch(s);
		} else {
			r = names_load(s, &nm);
			if (r >= 0)
				r = fill_full(s);
			r = r < 0 ? r : 1;
		}
		if (r > 0) {
			*ret_gen =
				db_int(s->db.h,
				       "SELECT value FROM snap.meta WHERE key = 'generation'", 0);
			r = um_db_exec(&s->db, "COMMIT", "finish the new snapshot");
			r = r < 0 ? r : 1;
		}
		if (r <= 0)
			sqlite3_exec(s->db.h, "ROLLBACK", NULL, NULL, NULL);
	}
	/* DETACH even on failure: the truth's connection must stay clean. */
	if (sqlite3_exec(s->db.h, "DETACH DATABASE snap", NULL, NULL, NULL) != SQLITE_OK && r >= 0)
		r = um_db_error(&s->db, sqlite3_errcode(s->db.h), "detach the new snapshot");
	sqlite3_exec(s->db.h, "PRAGMA main.cache_size = -2000; PRAGMA main.mmap_size = 0", NULL,
		     NULL, NULL);
	/* nm dies here: so does the function that points to it */
	sqlite3_create_function(s->db.h, "um_user_name", 1, SQLITE_UTF8, NULL, NULL, NULL, NULL);
	names_done(&nm);
	return r;
}

/* Drops the change log up to gen, now published, and raises the trim mark
 * with it. Best effort, and never waits: a writer holding the store just
 * means the next publish trims. */
static void trim_log(struct um_store *s, int64_t gen)
{
	_cleanup_stmt_ sqlite3_stmt *del = NULL, *mark = NULL;
	bool ok;

	if (db_int(s->db.h, "SELECT EXISTS (SELECT 1 FROM dir_changes)", 0) == 0)
		return;
	sqlite3_busy_timeout(s->db.h, 0);
	if (sqlite3_exec(s->db.h, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK) {
		ok = um_db_prepare(&s->db, "DELETE FROM dir_changes WHERE gen <= :gen", &del) >=
			     0 &&
		     um_db_prepare(&s->db,
				   "UPDATE meta SET value = max(value, :gen)\n"
				   "WHERE key = 'log_trimmed_upto'",
				   &mark) >= 0;
		ok = ok && um_bind_int(del, ":gen", gen) >= 0 &&
		     um_bind_int(mark, ":gen", gen) >= 0 && sqlite3_step(del) == SQLITE_DONE &&
		     sqlite3_step(mark) == SQLITE_DONE;
		sqlite3_exec(s->db.h, ok ? "COMMIT" : "ROLLBACK", NULL, NULL, NULL);
		if (sqlite3_get_autocommit(s->db.h) == 0)
			sqlite3_exec(s->db.h, "ROLLBACK", NULL, NULL, NULL);
	}
	sqlite3_busy_timeout(s->db.h, UM_STORE_BUSY_TIMEOUT_MS);
	um_error_forget(0);
}

static int fsync_path(const char *path, int flags)
{
	_cleanup_close_ int fd = open(path, flags | O_CLOEXEC);

	if (fd < 0 || fsync(fd) < 0)
		return -EIO;
	return 0;
}

int um_publish(struct um_store *s)
{
	_cleanup_free_ char *lockpath = um_config_store_path(s->cfg, ".publish.lock");
	_cleanup_free_ char *tmp = um_config_store_path(s->cfg, ".directory.db.XXXXXX");
	_cleanup_close_ int lockfd = -1;
	int64_t gen = 0;
	int fd, r;

	if (!lockpath || !tmp)
		return -ENOMEM;
	if (s->db.in_tx)
		return um_fail(-EINVAL, "publish called inside a transaction");
	if (!(s->flags & UM_STORE_WRITE))
		return um_fail(-EACCES, "the store was opened read-only");
	r = sqlite3_create_function(s->db.h, "um_pack_gids", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
				    NULL, NULL, pack_step, pack_final);
	if (r == SQLITE_OK)
		r = sqlite3_create_function(s->db.h, "um_join_names", 1,
					    SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, NULL,
					    join_step, join_final);
	if (r != SQLITE_OK)
		return um_db_error(&s->db, r, "publish");

	lockfd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (lockfd < 0)
		return um_fail(errno == EACCES ? -EACCES : -EIO, "cannot open %s: %s", lockpath,
			       strerror(errno));
	if (flock(lockfd, LOCK_EX) < 0)
		return um_fail(-EIO, "cannot lock %s: %s", lockpath, strerror(errno));
	remove_stale_temps(s->cfg->store_dir);

	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return um_fail(errno == EACCES ? -EACCES : -EIO, "cannot create a file in %s: %s",
			       s->cfg->store_dir, strerror(errno));
	r = 0;
	if (can_patch(s, s->directory_path)) {
		/* Any failure to copy or patch falls back to a full build. */
		if (copy_snapshot(s->directory_path, fd) >= 0)
			r = fill(s, tmp, true, &gen);
		if (r < 0)
			um_error_forget(r);
		if (r <= 0 && ftruncate(fd, 0) < 0)
			r = um_fail(-EIO, "cannot truncate %s: %s", tmp, strerror(errno));
		else if (r < 0)
			r = 0;
	}
	close(fd);
	if (r == 0) {
		r = create_snapshot_file(tmp);
		if (r >= 0)
			r = fill(s, tmp, false, &gen);
	}
	if (r >= 0 && (chmod(tmp, 0644) < 0 || fsync_path(tmp, O_RDONLY) < 0))
		r = um_fail(-EIO, "cannot sync %s: %s", tmp, strerror(errno));
	if (r >= 0 && rename(tmp, s->directory_path) < 0)
		r = um_fail(-EIO, "cannot rename %s to %s: %s", tmp, s->directory_path,
			    strerror(errno));
	if (r < 0) {
		unlink(tmp);
		return r;
	}
	/* The rename itself must survive a crash. */
	fsync_path(s->cfg->store_dir, O_RDONLY | O_DIRECTORY);
	trim_log(s, gen);
	return 0;
}

static const char sql_bump_generation[] =
	"UPDATE meta SET value = value + 1 WHERE key = 'generation'";

int um_publish_commit(struct um_store *s)
{
	int r = um_db_exec(&s->db, sql_bump_generation, "record the change");

	if (r < 0) {
		um_db_rollback(&s->db);
		return r;
	}
	r = um_db_commit(&s->db);
	if (r < 0)
		return r;
	r = um_publish(s);
	if (r < 0)
		return um_fail(
			r,
			"the change was saved, but the directory snapshot could not be published (%s); 'umctl status' publishes it again",
			um_error_text(r));
	return 0;
}

/* The generation recorded in the published snapshot, 0 if unreadable. */
static uint64_t published_generation(const char *path, bool *ok)
{
	_cleanup_free_ char *uri = um_asprintf("file:%s?immutable=1", path);
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	uint64_t g = 0;

	*ok = false;
	if (!uri)
		return 0;
	if (sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'generation'", -1, &st,
			       NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW) {
		g = (uint64_t)sqlite3_column_int64(st, 0);
		*ok = true;
	}
	sqlite3_finalize(st);
	sqlite3_close_v2(db);
	return g;
}

int um_publish_generations(struct um_store *s, uint64_t *ret_truth, uint64_t *ret_published,
			   bool *ret_ok)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = um_db_prepare(&s->db, "SELECT value FROM meta WHERE key = 'generation'", &st);

	if (r >= 0)
		r = um_db_step(&s->db, st, "read the generation");
	if (r == 0)
		r = um_fail(-EBADMSG, "the store has no generation");
	if (r < 0)
		return r;
	*ret_truth = (uint64_t)sqlite3_column_int64(st, 0);
	*ret_published = published_generation(s->directory_path, ret_ok);
	return 0;
}

int um_publish_log_reset(struct um_store *s)
{
	return um_db_exec(
		&s->db,
		"DELETE FROM dir_changes;\n"
		"UPDATE meta SET value = (SELECT value + 1 FROM meta WHERE key = 'generation')\n"
		"WHERE key = 'log_trimmed_upto'",
		"reset the snapshot's change log");
}

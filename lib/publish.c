/* SPDX-License-Identifier: MIT */
/*
 * umgmt core: publishing the snapshot NSS reads.
 *
 * 1. take <store>/.publish.lock (flock), so publishers run one at a time
 *    and each reads the truth after the previous one renamed its file;
 * 2. create <store>/.directory.db.XXXXXX and give it the snapshot schema
 *    (rollback journal, journal_mode OFF while building: a failed build is
 *    simply deleted);
 * 3. ATTACH it to the truth's connection and fill it with INSERT ...
 *    SELECT inside one read transaction, so it is one consistent view;
 * 4. fsync it, chmod 0644, rename() over directory.db, fsync the directory.
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
#include "store-private.h"

/* Aggregate um_pack_gids(gid): the ascending uint32 array of
 * usergroups.gids, in host byte order. */
struct gidvec {
	uint32_t *v;
	size_t n, cap;
};

static void pack_step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
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

static const char sql_fill[] =
	"INSERT INTO snap.meta(key, value) VALUES ('format', " UM_STR(UM_DIRECTORY_FORMAT) ");\n"
	"INSERT INTO snap.meta(key, value)\n"
	"  SELECT 'generation', value FROM main.meta WHERE key = 'generation';\n"
	"INSERT INTO snap.meta(key, value) VALUES ('published_at', unixepoch());\n"
	"INSERT INTO snap.passwd(uid, name, gid, gecos, dir, shell)\n"
	"  SELECT uid, name, gid, full_name, home, shell FROM main.users ORDER BY uid;\n"
	"INSERT INTO snap.grp(gid, name, nmem, members)\n"
	"  SELECT g.gid, g.name,\n"
	"    (SELECT count(*) FROM main.group_members m WHERE m.group_id = g.id),\n"
	"    ifnull((SELECT group_concat(name, ',') FROM\n"
	"      (SELECT u.name AS name FROM main.group_members m\n"
	"       JOIN main.users u ON u.id = m.user_id\n"
	"       WHERE m.group_id = g.id ORDER BY u.name)), '')\n"
	"  FROM main.groups g ORDER BY g.gid;\n"
	"INSERT INTO snap.usergroups(name, gids)\n"
	"  SELECT u.name, um_pack_gids(g.gid) FROM main.users u\n"
	"  JOIN main.group_members m ON m.user_id = u.id\n"
	"  JOIN main.groups g ON g.id = m.group_id\n"
	"  GROUP BY u.id ORDER BY u.name;\n";

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

static int fill(struct um_store *s, const char *tmp)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	r = um_db_prepare(s, "ATTACH DATABASE :path AS snap", &st);
	if (r < 0)
		return r;
	um_bind_text(st, ":path", tmp);
	r = um_db_exec_stmt(s, st, "attach the new snapshot");
	if (r < 0)
		return r;
	r = um_db_exec(s, "PRAGMA snap.journal_mode = OFF; PRAGMA snap.synchronous = OFF",
		       "prepare the new snapshot");
	if (r >= 0)
		r = um_db_exec(s, "BEGIN", "start publishing");
	if (r >= 0) {
		r = um_db_exec(s, sql_fill, "fill the new snapshot");
		if (r >= 0)
			r = um_db_exec(s, "COMMIT", "finish the new snapshot");
		else
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	}
	/* DETACH even on failure: the truth's connection must stay clean. */
	if (sqlite3_exec(s->db, "DETACH DATABASE snap", NULL, NULL, NULL) != SQLITE_OK && r >= 0)
		r = um_db_error(s, sqlite3_errcode(s->db), "detach the new snapshot");
	return r;
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
	int fd, r;

	if (!lockpath || !tmp)
		return -ENOMEM;
	if (s->in_tx)
		return um_fail(-EINVAL, "publish called inside a transaction");
	if (!(s->flags & UM_STORE_WRITE))
		return um_fail(-EACCES, "the store was opened read-only");
	r = sqlite3_create_function(s->db, "um_pack_gids", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
				    NULL, NULL, pack_step, pack_final);
	if (r != SQLITE_OK)
		return um_db_error(s, r, "publish");

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
	close(fd);
	r = create_snapshot_file(tmp);
	if (r >= 0)
		r = fill(s, tmp);
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
	return 0;
}

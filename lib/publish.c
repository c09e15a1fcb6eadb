/* SPDX-License-Identifier: MIT */
/*
 * umgmt core: publishing the snapshot NSS reads (format 3,
 * lib/snapshot-format.h).
 *
 * 1. take <store>/.publish.lock (flock), so publishers run one at a time
 *    and each reads the truth after the previous one renamed its file;
 * 2. inside one read transaction of the truth (one consistent view),
 *    gather the content (publish-content.c): as a patch of the published
 *    snapshot when the truth's change log covers everything since it,
 *    else in full; and lay it out in memory (snapshot-write.c);
 * 3. write it to <store>/.directory.db.XXXXXX, fsync it, chmod 0644,
 *    rename() it over directory.db, fsync the directory; then trim the
 *    change log up to the generation just published.
 *
 * Readers therefore see the old snapshot or the new one, never a torn
 * one, and a crash leaves at worst a stale snapshot plus a temp file that
 * the next publish removes. The snapshot carries nothing secret by
 * construction: only the columns publish-content.c reads are in it.
 */
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "publish-private.h"
#include "publish.h"
#include "snapshot-format.h"
#include "snapshot-read.h"
#include "umgmt/config.h"
#include "umgmt/date.h"

_Static_assert(UM_SNAP_FORMAT == UM_DIRECTORY_FORMAT, "store.h says which format is written");

/* An overlay holds at most this many changed users and groups; past it,
 * the base is merged with the changes into a new standalone snapshot
 * (seconds at 1M users, once per this many changes). */
#define OVERLAY_MAX_KEYS 4096
/* A merge of more keys than this costs about what a full build does. */
#define PATCH_MAX_KEYS 20000

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

/* The published snapshot, mapped with its base (lib/directory.c). */
struct published {
	struct um_snapshot_file *file;
	const struct um_snap *snap;
	const struct um_snap *base; /* the snapshot itself if standalone */
	bool standalone;
};

static void published_unmap(struct published *p)
{
	um_snapshot_unmap(p->file);
	*p = (struct published){ 0 };
}

/* The path of the base of generation gen beside the snapshot. */
static char *base_path(struct um_store *s, uint64_t gen)
{
	return um_snapshot_base_path(s->directory_path, gen);
}

/* Maps the published snapshot and its base, if both are ones this build
 * reads and belong together. Returns true with *p filled. */
static bool published_map(struct um_store *s, struct published *p)
{
	int r;

	*p = (struct published){ 0 };
	r = um_snapshot_map(s->directory_path, &p->snap, &p->file);
	if (r < 0) {
		um_error_forget(r);
		return false;
	}
	p->standalone = !p->snap->base_generation;
	p->base = p->standalone ? p->snap : p->snap->under;
	return true;
}

/* The number of keys the change log names since generation gen, or -1 if
 * it may not name them all (trimmed past gen, or gen ahead of the truth). */
static int64_t log_keys_since(struct um_store *s, int64_t gen)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;

	if (um_db_prepare(
		    &s->db,
		    "SELECT CASE WHEN (SELECT value FROM meta WHERE key = 'log_trimmed_upto') <= :gen\n"
		    "  AND (SELECT value FROM meta WHERE key = 'generation') >= :gen\n"
		    "  THEN (SELECT count(*) FROM (SELECT DISTINCT kind, num FROM dir_changes\n"
		    "    WHERE gen > :gen LIMIT " UM_STR(PATCH_MAX_KEYS) " + 1))\n"
									 "  ELSE -1 END",
		    &st) < 0) {
		um_error_forget(0);
		return -1;
	}
	if (um_bind_int(st, ":gen", gen) < 0 || sqlite3_step(st) != SQLITE_ROW)
		return -1;
	return sqlite3_column_int64(st, 0);
}

/* What a publish writes. */
struct plan {
	uint8_t *image;
	size_t len;
	int64_t gen;	   /* of the truth, now published */
	uint64_t base_gen; /* an overlay over this base, or 0 */
	bool link_base;	   /* the published standalone becomes the base */
	int64_t trim_upto; /* the change log is needed after this */
};

/* Lays out the new snapshot from the truth, in one read transaction:
 * an overlay over the published base when few keys changed since it, a
 * standalone merged from the base and the changes when more did, else a
 * full build. Returns 0 with the plan (free plan->image), or an error. */
static int build(struct um_store *s, struct plan *pl, bool full)
{
	struct um_publish_content pc = { 0 };
	struct published pub;
	bool have;
	int64_t keys = -1;
	int r;

	/* A bigger page cache and a mapped truth while reading it whole. */
	r = um_db_exec(&s->db,
		       "PRAGMA main.cache_size = -65536; PRAGMA main.mmap_size = 4294967296;"
		       " BEGIN",
		       "start publishing");
	if (r < 0)
		return r;
	pl->gen = db_int(s->db.h, "SELECT value FROM meta WHERE key = 'generation'", 0);
	pl->trim_upto = pl->gen;
	have = !full && published_map(s, &pub);
	if (have && pub.base->generation <= INT64_MAX)
		keys = log_keys_since(s, (int64_t)pub.base->generation);
	r = 1;
	if (keys >= 0 && keys <= (s->limits_set ? s->overlay_max_keys : OVERLAY_MAX_KEYS)) {
		r = um_publish_content_overlay(&s->db, &pc, pub.base);
		if (r >= 0) {
			pl->base_gen = pub.base->generation;
			pl->link_base = pub.standalone;
			pl->trim_upto = (int64_t)pub.base->generation;
		}
	} else if (keys >= 0 && keys <= (s->limits_set ? s->merge_max_keys : PATCH_MAX_KEYS)) {
		/* merge the base with what changed since: a new standalone */
		r = um_publish_content_patch(&s->db, &pc, pub.base);
	}
	if (r == -EBADMSG) {
		/* the published snapshot is damaged: in full */
		um_error_forget(r);
		um_publish_content_free(&pc);
		pl->base_gen = 0;
		pl->link_base = false;
		pl->trim_upto = pl->gen;
		r = 1;
	}
	if (r > 0)
		r = um_publish_content_full(&s->db, &pc);
	if (r >= 0) {
		struct um_snap_content c = {
			.users = pc.users,
			.n_users = pc.n_users,
			.groups = pc.groups,
			.n_groups = pc.n_groups,
			.generation = (uint64_t)pl->gen,
			.published_at = (uint64_t)um_now(),
		};
		if (pl->base_gen) {
			c.base_generation = pl->base_gen;
			c.base_check = um_snap_check(pub.base);
			c.touched_uids = pc.touched_uids;
			c.n_touched_uids = pc.n_touched_uids;
			c.touched_gids = pc.touched_gids;
			c.n_touched_gids = pc.n_touched_gids;
		}
		r = um_snap_build(&c, &pl->image, &pl->len);
	}
	um_publish_content_free(&pc);
	if (have)
		published_unmap(&pub);
	sqlite3_exec(s->db.h, "ROLLBACK; PRAGMA main.cache_size = -2000; PRAGMA main.mmap_size = 0",
		     NULL, NULL, NULL);
	return r;
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

/*
 * Writes the image a page at a time. The page cache keeps a file in
 * folios as large as the writes that made them (ext4 since Linux 6.x), and
 * a fault maps a whole folio: a snapshot written in one 180 MB write()
 * made one getpwnam cost a process 4 MiB of mapped pages, where page-sized
 * writes cost it 0.18 MiB. The system calls cost ~0.1 s at 1M users, once
 * per full build; an overlay is a page or two.
 */
#define WRITE_CHUNK 4096
static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n < WRITE_CHUNK ? n : WRITE_CHUNK);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -errno ?: -EIO;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Removes the bases beside the snapshot other than keep (0: all). Under
 * the publish lock; a reader that still maps one keeps its pages. */
static void remove_old_bases(struct um_store *s, uint64_t keep)
{
	_cleanup_free_ char *dir = strdup(s->directory_path);
	char *slash = dir ? strrchr(dir, '/') : NULL;
	DIR *d;
	struct dirent *e;

	if (!slash)
		return;
	*slash = '\0';
	const char *file = slash + 1;
	size_t n = strlen(file);
	d = opendir(dir);
	if (!d)
		return;
	while ((e = readdir(d))) {
		char *end;
		if (strncmp(e->d_name, file, n) != 0 || strncmp(e->d_name + n, ".base.", 6) != 0)
			continue;
		unsigned long long g = strtoull(e->d_name + n + 6, &end, 10);
		if (*end == '\0' && g != keep)
			unlinkat(dirfd(d), e->d_name, 0);
	}
	closedir(d);
}

/* Makes the published standalone snapshot (of generation gen) the base of
 * the overlay about to be published: a second name for the same file. */
static int link_base(struct um_store *s, uint64_t gen)
{
	_cleanup_free_ char *bp = base_path(s, gen);

	if (!bp)
		return -ENOMEM;
	/* one left by an earlier publish that did not finish is replaced */
	if (link(s->directory_path, bp) < 0 &&
	    (errno != EEXIST || unlink(bp) < 0 || link(s->directory_path, bp) < 0))
		return um_fail(-EIO, "cannot link %s: %s", bp, strerror(errno));
	return fsync_path(s->cfg->store_dir, O_RDONLY | O_DIRECTORY);
}

int um_publish(struct um_store *s)
{
	_cleanup_free_ char *lockpath = um_config_store_path(s->cfg, ".publish.lock");
	_cleanup_free_ char *tmp = um_config_store_path(s->cfg, ".directory.db.XXXXXX");
	_cleanup_close_ int lockfd = -1, fd = -1;
	struct plan pl = { 0 };
	int r;

	if (!lockpath || !tmp)
		return -ENOMEM;
	if (s->db.in_tx)
		return um_fail(-EINVAL, "publish called inside a transaction");
	if (!(s->flags & UM_STORE_WRITE))
		return um_fail(-EACCES, "the store was opened read-only");

	lockfd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (lockfd < 0)
		return um_fail(errno == EACCES ? -EACCES : -EIO, "cannot open %s: %s", lockpath,
			       strerror(errno));
	if (flock(lockfd, LOCK_EX) < 0)
		return um_fail(-EIO, "cannot lock %s: %s", lockpath, strerror(errno));
	remove_stale_temps(s->cfg->store_dir);

	r = build(s, &pl, false);
	if (r >= 0 && pl.link_base)
		r = link_base(s, pl.base_gen);
	if (r >= 0) {
		fd = mkostemp(tmp, O_CLOEXEC);
		if (fd < 0)
			r = um_fail(errno == EACCES ? -EACCES : -EIO,
				    "cannot create a file in %s: %s", s->cfg->store_dir,
				    strerror(errno));
	}
	if (r >= 0 && (r = write_all(fd, pl.image, pl.len)) < 0)
		r = um_fail(-EIO, "cannot write %s: %s", tmp, strerror(-r));
	if (r >= 0 && (fchmod(fd, 0644) < 0 || fsync(fd) < 0))
		r = um_fail(-EIO, "cannot sync %s: %s", tmp, strerror(errno));
	if (r >= 0 && rename(tmp, s->directory_path) < 0)
		r = um_fail(-EIO, "cannot rename %s to %s: %s", tmp, s->directory_path,
			    strerror(errno));
	free(pl.image);
	if (r < 0) {
		if (fd >= 0)
			unlink(tmp);
		return r;
	}
	/* The rename itself must survive a crash. */
	fsync_path(s->cfg->store_dir, O_RDONLY | O_DIRECTORY);
	remove_old_bases(s, pl.base_gen);
	trim_log(s, pl.trim_upto);
	return 0;
}

void um_publish_set_limits(struct um_store *s, unsigned overlay_max, unsigned merge_max)
{
	s->limits_set = true;
	s->overlay_max_keys = overlay_max;
	s->merge_max_keys = merge_max < PATCH_MAX_KEYS ? merge_max : PATCH_MAX_KEYS;
}

int um_publish_full_image(struct um_store *s, uint8_t **ret, size_t *ret_len)
{
	struct plan pl = { 0 };
	int r = build(s, &pl, true);

	if (r < 0)
		return r;
	*ret = pl.image;
	*ret_len = pl.len;
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
static uint64_t published_generation(struct um_store *s, bool *ok)
{
	struct published pub;

	*ok = published_map(s, &pub);
	if (!*ok)
		return 0;
	uint64_t gen = pub.snap->generation;
	published_unmap(&pub);
	return gen;
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
	*ret_published = published_generation(s, ret_ok);
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

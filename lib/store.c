/* SPDX-License-Identifier: MIT */
/* umgmt core: creating, opening and trusting the truth; its status. */
#include <fcntl.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <time.h>

#include "audit.h"
#include "group-private.h"
#include "publish.h"
#include "schema.h"
#include "user-private.h"

static bool is_setuid(void)
{
	return getauxval(AT_SECURE) != 0;
}

/* The truth holds hashes and personal data: it must be root's (or, in a
 * process that is not setuid, the caller's) and private. */
static int check_truth_file(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return um_fail(-ENOENT,
				       "there is no store at %s; create one with 'umctl init'",
				       path);
		if (errno == EACCES)
			return um_fail(-EACCES, "%s: permission denied (umctl must run as root)",
				       path);
		return um_fail(-EIO, "%s: %s", path, strerror(errno));
	}
	if (!S_ISREG(st.st_mode))
		return um_fail(-EACCES, "%s is not a regular file", path);
	if (st.st_uid != 0 && (is_setuid() || st.st_uid != getuid()))
		return um_fail(-EACCES, "%s is owned by uid %u, not root; refusing to use it", path,
			       (unsigned)st.st_uid);
	if (st.st_mode & 077)
		return um_fail(-EACCES,
			       "%s is accessible by group or others (mode %04o); it must be 0600",
			       path, (unsigned)(st.st_mode & 07777));
	return 0;
}

static int check_store_dir(const char *dir)
{
	struct stat st;

	if (stat(dir, &st) < 0)
		return errno == ENOENT ? -ENOENT : um_fail(-EIO, "%s: %s", dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return um_fail(-EINVAL, "%s is not a directory", dir);
	if (st.st_uid != 0 && (is_setuid() || st.st_uid != getuid()))
		return um_fail(-EACCES, "store directory %s is owned by uid %u, not root", dir,
			       (unsigned)st.st_uid);
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return um_fail(-EACCES, "store directory %s is writable by group or others", dir);
	return 0;
}

static void store_free(struct um_store *s)
{
	if (!s)
		return;
	if (s->db.h)
		sqlite3_close_v2(s->db.h);
	free(s->truth_path);
	free(s->directory_path);
	free(s->actor);
	free(s);
}

void um_store_close(struct um_store *s)
{
	if (s && s->db.in_tx)
		um_db_rollback(&s->db);
	store_free(s);
}

static int store_new(const struct um_config *cfg, int flags, struct um_store **ret)
{
	struct um_store *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->cfg = cfg;
	s->flags = flags;
	s->db.writable = flags & UM_STORE_WRITE;
	s->truth_path = um_config_store_path(cfg, UM_TRUTH_FILE);
	s->directory_path = um_config_store_path(cfg, UM_DIRECTORY_FILE);
	s->actor = strdup("root");
	if (!s->truth_path || !s->directory_path || !s->actor) {
		store_free(s);
		return -ENOMEM;
	}
	*ret = s;
	return 0;
}

/*
 * The authorizer of a login's connection (UM_STORE_LOGIN): no change of
 * anything the snapshot copies, which is exactly what the change log's
 * triggers watch (schema.c). Checked when a statement is prepared.
 */
static int login_authorizer(void *data _unused_, int action, const char *a1, const char *a2,
			    const char *db, const char *trigger _unused_)
{
	static const char *const user_columns[] = { "name",	 "uid",	 "gid",
						    "full_name", "home", "shell" };

	if (!a1 || (db && strcmp(db, "main")))
		return SQLITE_OK;
	switch (action) {
	case SQLITE_INSERT:
	case SQLITE_DELETE:
		if (!strcmp(a1, "users") || !strcmp(a1, "groups") || !strcmp(a1, "group_members"))
			return SQLITE_DENY;
		return SQLITE_OK;
	case SQLITE_UPDATE:
		if (!strcmp(a1, "group_members"))
			return SQLITE_DENY;
		if (!strcmp(a1, "groups") && a2 && (!strcmp(a2, "name") || !strcmp(a2, "gid")))
			return SQLITE_DENY;
		if (!strcmp(a1, "users") && a2)
			for (size_t i = 0; i < UM_ELEMENTSOF(user_columns); i++)
				if (!strcmp(a2, user_columns[i]))
					return SQLITE_DENY;
		return SQLITE_OK;
	default:
		return SQLITE_OK;
	}
}

/* See open_db(). */
#define LOGIN_WAL_PAGES 32

/*
 * After a login's commit: once the WAL holds LOGIN_WAL_PAGES pages, copy
 * them into the store and empty the WAL (TRUNCATE). A plain (PASSIVE)
 * checkpoint would not do: the next login's connection rebuilds the WAL
 * index from the file and cannot tell that the frames were copied, so the
 * WAL would never start over and grow with every login. Best effort: a
 * checkpoint that meets another connection is simply tried again after
 * the next commit.
 */
static int login_wal_hook(void *data _unused_, sqlite3 *db, const char *name, int frames)
{
	if (frames < LOGIN_WAL_PAGES)
		return SQLITE_OK;
	/* Never wait for it: a TRUNCATE checkpoint waits for other writers
	 * and readers through the busy handler, and a login must not wait
	 * behind a long umctl transaction. */
	sqlite3_busy_timeout(db, 0);
	sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	sqlite3_busy_timeout(db, UM_STORE_BUSY_TIMEOUT_MS);
	return SQLITE_OK;
}

/* The oldest SQLite the schema needs: DROP COLUMN and RETURNING (v3). */
#define SQLITE_MIN_VERSION 3035000

static int open_db(struct um_store *s, bool create)
{
	int oflags = SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_FULLMUTEX;
	int rc;

	if (create)
		oflags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	else if (s->flags & UM_STORE_WRITE)
		oflags |= SQLITE_OPEN_READWRITE;
	else
		oflags |= SQLITE_OPEN_READONLY;
	if (sqlite3_libversion_number() < SQLITE_MIN_VERSION)
		return um_fail(-EBADMSG,
			       "SQLite %s is too old for the store: umgmt needs 3.35 or newer",
			       sqlite3_libversion());
	rc = sqlite3_open_v2(s->truth_path, &s->db.h, oflags, NULL);
	if (rc != SQLITE_OK)
		return um_db_error(&s->db, rc, "open the store");
	sqlite3_extended_result_codes(s->db.h, 1);
	sqlite3_busy_timeout(s->db.h, UM_STORE_BUSY_TIMEOUT_MS);
	/*
	 * A login's connection neither checkpoints nor deletes the WAL when it
	 * closes (each login would fsync the store and the next recreate the
	 * -wal and -shm files), and empties the WAL as soon as it holds
	 * LOGIN_WAL_PAGES pages instead of SQLite's 1000 (login_wal_hook): a
	 * connection that opens alone rebuilds the WAL index by reading the
	 * whole WAL, so a long WAL would cost every login. umctl's connections
	 * checkpoint when they close, as before.
	 */
	if (s->flags & UM_STORE_LOGIN) {
		sqlite3_db_config(s->db.h, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
		sqlite3_wal_hook(s->db.h, login_wal_hook, NULL);
	}
	/* Deleted personal data is overwritten, not left in free pages,
	 * whatever SQLite's compile-time default. */
	return um_db_exec(&s->db, "PRAGMA foreign_keys = ON; PRAGMA secure_delete = ON",
			  "configure the store connection");
}

static int user_version(struct um_store *s, int *ret)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = um_db_prepare(&s->db, "PRAGMA user_version", &st);

	if (r < 0)
		return r;
	if (sqlite3_step(st) != SQLITE_ROW)
		return um_db_error(&s->db, sqlite3_errcode(s->db.h), "read the schema version");
	*ret = sqlite3_column_int(st, 0);
	return 0;
}

int um_store_init(const struct um_config *cfg)
{
	_cleanup_(um_store_closep) struct um_store *s = NULL;
	_cleanup_close_ int fd = -1;
	struct stat st;
	int r;

	r = store_new(cfg, UM_STORE_WRITE, &s);
	if (r < 0)
		return r;
	if (mkdir(cfg->store_dir, 0755) == 0) {
		/* Whatever the umask: every user's NSS lookups must reach the
		 * snapshot inside. */
		if (chmod(cfg->store_dir, 0755) < 0)
			return um_fail(-EIO, "cannot chmod %s: %s", cfg->store_dir,
				       strerror(errno));
	} else if (errno != EEXIST) {
		return um_fail(errno == EACCES ? -EACCES : -EIO, "cannot create %s: %s",
			       cfg->store_dir, strerror(errno));
	}
	r = check_store_dir(cfg->store_dir);
	if (r < 0)
		return r;
	if (lstat(s->truth_path, &st) == 0)
		return um_fail(-EEXIST, "a store already exists at %s; nothing was changed",
			       s->truth_path);
	/* Create the file ourselves, private from the first byte, and fail
	 * if someone else created it meanwhile. */
	fd = open(s->truth_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return um_fail(errno == EEXIST ? -EEXIST : -EIO, "cannot create %s: %s",
			       s->truth_path, strerror(errno));
	r = open_db(s, true);
	if (r < 0)
		goto fail;
	r = um_db_exec(&s->db, "PRAGMA journal_mode = WAL", "switch the store to WAL mode");
	if (r < 0)
		goto fail;
	r = um_db_begin(&s->db);
	if (r < 0)
		goto fail;
	r = um_schema_migrate(&s->db, 0);
	if (r >= 0)
		r = um_audit(s, "init", "store", s->truth_path, 0, "");
	if (r < 0) {
		um_db_rollback(&s->db);
		goto fail;
	}
	r = um_publish_commit(s);
	if (r < 0)
		goto fail;
	return 0;
fail:
	/* Leave nothing half-made behind. */
	unlink(s->truth_path);
	return r;
}

/* Migrates the store forward, published, in one transaction. The version
 * is read again under the write lock: another opener may have migrated the
 * store while this one waited for it (then there is nothing to do). */
static int migrate(struct um_store *s)
{
	int r, v = 0;

	r = um_db_begin(&s->db);
	if (r < 0)
		return r;
	r = user_version(s, &v);
	if (r >= 0 && v >= UM_SCHEMA_VERSION) {
		um_db_rollback(&s->db);
		return 0;
	}
	if (r >= 0)
		r = um_schema_migrate(&s->db, v);
	if (r < 0) {
		um_db_rollback(&s->db);
		return r;
	}
	return um_publish_commit(s);
}

int um_store_open(const struct um_config *cfg, int flags, struct um_store **ret)
{
	_cleanup_(um_store_closep) struct um_store *s = NULL;
	int r, v = 0;

	r = store_new(cfg, flags, &s);
	if (r < 0)
		return r;
	r = check_store_dir(cfg->store_dir);
	if (r == -ENOENT)
		return um_fail(-ENOENT, "there is no store at %s; create one with 'umctl init'",
			       s->truth_path);
	if (r < 0)
		return r;
	r = check_truth_file(s->truth_path);
	if (r < 0)
		return r;
	r = open_db(s, false);
	if (r < 0)
		return r;
	r = user_version(s, &v);
	if (r < 0)
		return r;
	if (v > UM_SCHEMA_VERSION)
		return um_fail(
			-EBADMSG,
			"the store at %s has schema version %d, newer than this umgmt (%d); upgrade umgmt",
			s->truth_path, v, UM_SCHEMA_VERSION);
	if (v == 0)
		return um_fail(-EBADMSG, "%s is not an umgmt store (no schema)", s->truth_path);
	if (v < UM_SCHEMA_VERSION) {
		if (!(flags & UM_STORE_WRITE))
			return um_fail(
				-EBADMSG,
				"the store has schema version %d and needs migrating to %d; run a umctl command that changes something, as root",
				v, UM_SCHEMA_VERSION);
		r = migrate(s);
		if (r < 0)
			return r;
	}
	if ((flags & UM_STORE_WRITE) && !(flags & UM_STORE_LOGIN)) {
		r = um_change_log_start(&s->db);
		if (r < 0)
			return r;
	}
	if (flags & UM_STORE_LOGIN)
		sqlite3_set_authorizer(s->db.h, login_authorizer, NULL);
	*ret = UM_TAKE_PTR(s);
	return 0;
}

int um_store_set_actor(struct um_store *s, const char *actor)
{
	char *a = strdup(actor ? actor : "");

	if (!a)
		return -ENOMEM;
	free(s->actor);
	s->actor = a;
	return 0;
}

const struct um_config *um_store_config(const struct um_store *s)
{
	return s->cfg;
}

/* ---- status ---- */

int um_store_status(struct um_store *s, struct um_status *ret)
{
	struct um_status st = { .schema_version = UM_SCHEMA_VERSION };
	int r;

	r = um_publish_generations(s, &st.generation, &st.published_generation, &st.directory_ok);
	if (r >= 0)
		r = um_user_count(s, &st.users, &st.pending_approvals);
	if (r >= 0)
		r = um_group_count(s, &st.groups);
	if (r < 0)
		return r;
	*ret = st;
	return 0;
}

int um_store_publish(struct um_store *s)
{
	return um_publish(s);
}

int um_store_check(struct um_store *s)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = um_db_prepare(&s->db, "PRAGMA integrity_check", &st), rc;
	const char *t;

	if (r < 0)
		return r;
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		return um_db_error(&s->db, rc, "check the store");
	t = (const char *)sqlite3_column_text(st, 0);
	if (!t || strcmp(t, "ok"))
		return um_fail(-EBADMSG, "integrity check failed: %s", t ? t : "?");
	sqlite3_finalize(st);
	st = NULL;
	r = um_db_prepare(&s->db, "PRAGMA foreign_key_check", &st);
	if (r < 0)
		return r;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		return um_fail(-EBADMSG, "foreign key check failed in table %s",
			       sqlite3_column_text(st, 0));
	if (rc != SQLITE_DONE)
		return um_db_error(&s->db, rc, "check the store");
	return 0;
}

/* SPDX-License-Identifier: MIT */
/* umgmt core: opening the truth, transactions, ids, audit. */
#include <fcntl.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <time.h>

#include "store-private.h"
#include "umgmt/local.h"

int64_t um_now(void)
{
	return (int64_t)time(NULL);
}

int um_db_error(struct um_store *s, int rc, const char *what)
{
	const char *msg = s && s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc);

	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return um_fail(-EBUSY, "cannot %s: the store is locked by another change; try again",
			       what);
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return um_fail(-EACCES, "cannot %s: %s", what, msg);
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
	case SQLITE_SCHEMA:
	case SQLITE_FORMAT:
		return um_fail(-EBADMSG, "cannot %s: the store is damaged or not an umgmt store (%s)",
			       what, msg);
	case SQLITE_CANTOPEN:
		return um_fail(-EIO, "cannot %s: cannot open the store (%s)", what, msg);
	case SQLITE_CONSTRAINT:
		return um_fail(-EEXIST, "cannot %s: %s", what, msg);
	default:
		return um_fail(-EIO, "cannot %s: %s", what, msg);
	}
}

int um_db_prepare(struct um_store *s, const char *sql, sqlite3_stmt **ret)
{
	int rc = sqlite3_prepare_v2(s->db, sql, -1, ret, NULL);

	return rc == SQLITE_OK ? 0 : um_db_error(s, rc, "prepare a query");
}

int um_bind_text(sqlite3_stmt *st, const char *param, const char *v)
{
	int i = sqlite3_bind_parameter_index(st, param);

	if (i == 0)
		return -EINVAL;
	return (v ? sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st, i)) ==
			       SQLITE_OK ?
		       0 :
		       -ENOMEM;
}

int um_bind_int(sqlite3_stmt *st, const char *param, int64_t v)
{
	int i = sqlite3_bind_parameter_index(st, param);

	if (i == 0)
		return -EINVAL;
	return sqlite3_bind_int64(st, i, v) == SQLITE_OK ? 0 : -ENOMEM;
}

int um_db_exec_stmt(struct um_store *s, sqlite3_stmt *st, const char *what)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	return rc == SQLITE_DONE ? 0 : um_db_error(s, rc, what);
}

int um_db_exec(struct um_store *s, const char *sql, const char *what)
{
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : um_db_error(s, rc, what);
}

char *um_col_text(sqlite3_stmt *st, int col, bool null_ok)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	if (!t)
		return null_ok ? NULL : strdup("");
	return strdup((const char *)t);
}

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
			return um_fail(-ENOENT, "there is no store at %s; create one with 'umctl init'",
				       path);
		if (errno == EACCES)
			return um_fail(-EACCES, "%s: permission denied (umctl must run as root)", path);
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
	if (s->db)
		sqlite3_close_v2(s->db);
	free(s->truth_path);
	free(s->directory_path);
	free(s->actor);
	free(s);
}

void um_store_close(struct um_store *s)
{
	if (s && s->in_tx)
		um_tx_rollback(s);
	store_free(s);
}

static int store_new(const struct um_config *cfg, int flags, struct um_store **ret)
{
	struct um_store *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->cfg = cfg;
	s->flags = flags;
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
static int login_authorizer(void *data, int action, const char *a1, const char *a2,
			    const char *db, const char *trigger)
{
	static const char *const user_columns[] = { "name", "uid", "gid", "full_name", "home",
						    "shell" };

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
static int login_wal_hook(void *data, sqlite3 *db, const char *name, int frames)
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
	rc = sqlite3_open_v2(s->truth_path, &s->db, oflags, NULL);
	if (rc != SQLITE_OK)
		return um_db_error(s, rc, "open the store");
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, UM_STORE_BUSY_TIMEOUT_MS);
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
		sqlite3_db_config(s->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
		sqlite3_wal_hook(s->db, login_wal_hook, NULL);
	}
	/* Deleted personal data is overwritten, not left in free pages,
	 * whatever SQLite's compile-time default. */
	return um_db_exec(s, "PRAGMA foreign_keys = ON; PRAGMA secure_delete = ON",
			  "configure the store connection");
}

static int user_version(struct um_store *s, int *ret)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = um_db_prepare(s, "PRAGMA user_version", &st);

	if (r < 0)
		return r;
	if (sqlite3_step(st) != SQLITE_ROW)
		return um_db_error(s, sqlite3_errcode(s->db), "read the schema version");
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
			return um_fail(-EIO, "cannot chmod %s: %s", cfg->store_dir, strerror(errno));
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
	r = um_db_exec(s, "PRAGMA journal_mode = WAL", "switch the store to WAL mode");
	if (r < 0)
		goto fail;
	r = um_tx_begin(s);
	if (r < 0)
		goto fail;
	r = um_schema_migrate(s, 0);
	if (r >= 0)
		r = um_audit(s, "init", "store", s->truth_path, 0, "");
	if (r < 0) {
		um_tx_rollback(s);
		goto fail;
	}
	r = um_tx_commit(s, true);
	if (r < 0)
		goto fail;
	return 0;
fail:
	/* Leave nothing half-made behind. */
	unlink(s->truth_path);
	return r;
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
		return um_fail(-EBADMSG,
			       "the store at %s has schema version %d, newer than this umgmt (%d); upgrade umgmt",
			       s->truth_path, v, UM_SCHEMA_VERSION);
	if (v == 0)
		return um_fail(-EBADMSG, "%s is not an umgmt store (no schema)", s->truth_path);
	if (v < UM_SCHEMA_VERSION) {
		if (!(flags & UM_STORE_WRITE))
			return um_fail(-EBADMSG,
				       "the store has schema version %d and needs migrating to %d; run a umctl command that changes something, as root",
				       v, UM_SCHEMA_VERSION);
		r = um_tx_begin(s);
		if (r < 0)
			return r;
		r = um_schema_migrate(s, v);
		if (r < 0) {
			um_tx_rollback(s);
			return r;
		}
		r = um_tx_commit(s, true);
		if (r < 0)
			return r;
	}
	if ((flags & UM_STORE_WRITE) && !(flags & UM_STORE_LOGIN)) {
		r = um_change_log_start(s);
		if (r < 0)
			return r;
	}
	if (flags & UM_STORE_LOGIN)
		sqlite3_set_authorizer(s->db, login_authorizer, NULL);
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

int um_tx_begin(struct um_store *s)
{
	return um_tx_begin_sync(s, true);
}

int um_tx_begin_sync(struct um_store *s, bool durable)
{
	int r;

	if (!(s->flags & UM_STORE_WRITE))
		return um_fail(-EACCES, "the store was opened read-only");
	if (durable == s->sync_relaxed) {
		r = um_db_exec(s, durable ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL",
			       "start a change");
		if (r < 0)
			return r;
		s->sync_relaxed = !durable;
	}
	r = um_db_exec(s, "BEGIN IMMEDIATE", "start a change");
	if (r < 0)
		return r;
	s->in_tx = true;
	return 0;
}

void um_tx_rollback(struct um_store *s)
{
	if (!s->in_tx)
		return;
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	s->in_tx = false;
}

static const char sql_bump_generation[] =
	"UPDATE meta SET value = value + 1 WHERE key = 'generation'";

int um_tx_commit(struct um_store *s, bool publish)
{
	int r;

	if (publish) {
		r = um_db_exec(s, sql_bump_generation, "record the change");
		if (r < 0) {
			um_tx_rollback(s);
			return r;
		}
	}
	r = um_db_exec(s, "COMMIT", "save the change");
	if (r < 0) {
		um_tx_rollback(s);
		return r;
	}
	s->in_tx = false;
	if (!publish)
		return 0;
	r = um_publish(s);
	if (r < 0)
		return um_fail(r,
			       "the change was saved, but the directory snapshot could not be published (%s); 'umctl status' publishes it again",
			       um_error_text(r));
	return 0;
}

static const char sql_audit[] =
	"INSERT INTO audit(at, actor, action, target_kind, target, user_id, detail)\n"
	"VALUES (:at, :actor, :action, :kind, :target, :user_id, :detail)";

int um_audit(struct um_store *s, const char *action, const char *target_kind,
	     const char *target, int64_t user_id, const char *detail)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = um_db_prepare(s, sql_audit, &st);

	if (r < 0)
		return r;
	if (um_bind_int(st, ":at", um_now()) < 0 || um_bind_text(st, ":actor", s->actor) < 0 ||
	    um_bind_text(st, ":action", action) < 0 ||
	    um_bind_text(st, ":kind", target_kind) < 0 ||
	    um_bind_text(st, ":target", target ? target : "") < 0 ||
	    um_bind_text(st, ":detail", detail ? detail : "") < 0)
		return -ENOMEM;
	if (user_id > 0)
		um_bind_int(st, ":user_id", user_id);
	return um_db_exec_stmt(s, st, "write the audit record");
}

/* ---- ids ---- */

static bool id_is_reserved(uint32_t id)
{
	/* root, nobody, 16-bit -1, 32-bit -1 */
	return id == 0 || id == 65534 || id == 65535 || id == UINT32_MAX;
}

static const char sql_id_used[] = "SELECT 1 FROM used_ids WHERE kind = :kind AND num = :num";

static int id_used_in_store(struct um_store *s, const char *kind, uint32_t id, bool *ret)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = um_db_prepare(s, sql_id_used, &st), rc;

	if (r < 0)
		return r;
	um_bind_text(st, ":kind", kind);
	um_bind_int(st, ":num", id);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return um_db_error(s, rc, "look up an id");
	*ret = rc == SQLITE_ROW;
	return 0;
}

/* Why id cannot be a new uid (or gid): 0 when it can. */
static int id_conflict(struct um_store *s, const char *kind, uint32_t id, bool check_sub)
{
	bool is_uid = !strcmp(kind, "uid");
	_cleanup_free_ char *owner = NULL;
	bool used = false;
	int r;

	if (id_is_reserved(id))
		return um_fail(-EPERM, "%s %u is reserved by the system", kind, id);
	r = id_used_in_store(s, kind, id, &used);
	if (r < 0)
		return r;
	if (used)
		return um_fail(-EEXIST, "%s %u is or was in use in umgmt; ids are never reused", kind,
			       id);
	owner = is_uid ? um_local_uid_owner(id) : um_local_gid_owner(id);
	if (owner)
		return um_fail(-EEXIST, "%s %u belongs to local %s '%s' in %s", kind, id,
			       is_uid ? "user" : "group", owner,
			       is_uid ? UM_PASSWD_PATH : UM_GROUP_PATH);
	if (check_sub && (is_uid ? um_local_subuid_taken(id) : um_local_subgid_taken(id)))
		return um_fail(-EEXIST, "%s %u lies in a subordinate id range of %s", kind, id,
			       is_uid ? UM_SUBUID_PATH : UM_SUBGID_PATH);
	return 0;
}

int um_check_given_id(struct um_store *s, const char *kind, uint32_t id)
{
	int r;

	if (!strcmp(kind, "both")) {
		r = id_conflict(s, "uid", id, false);
		return r < 0 ? r : id_conflict(s, "gid", id, false);
	}
	return id_conflict(s, kind, id, false);
}

int um_mark_id_used(struct um_store *s, const char *kind, uint32_t id)
{
	static const char sql[] = "INSERT OR IGNORE INTO used_ids(kind, num) VALUES (:kind, :num)";
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = um_db_prepare(s, sql, &st);

	if (r < 0)
		return r;
	um_bind_text(st, ":kind", kind);
	um_bind_int(st, ":num", id);
	return um_db_exec_stmt(s, st, "record an id");
}

static const char sql_next_id[] =
	"SELECT max(num) FROM used_ids WHERE kind = :kind AND num BETWEEN :min AND :max";

static int next_candidate(struct um_store *s, const char *kind, uint32_t min, uint32_t max,
			  uint64_t *ret)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = um_db_prepare(s, sql_next_id, &st), rc;

	if (r < 0)
		return r;
	um_bind_text(st, ":kind", kind);
	um_bind_int(st, ":min", min);
	um_bind_int(st, ":max", max);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		return um_db_error(s, rc, "allocate an id");
	*ret = sqlite3_column_type(st, 0) == SQLITE_NULL ? min :
							    (uint64_t)sqlite3_column_int64(st, 0) + 1;
	return 0;
}

int um_alloc_id(struct um_store *s, const char *kind, uint32_t *ret)
{
	const struct um_config *c = s->cfg;
	bool both = !strcmp(kind, "both");
	bool uid = both || !strcmp(kind, "uid");
	uint32_t min = uid ? c->uid_min : c->gid_min, max = uid ? c->uid_max : c->gid_max;
	uint64_t cand, other;
	int r;

	if (both) {
		/* One number free on both sides: above both high-water marks. */
		min = c->uid_min > c->gid_min ? c->uid_min : c->gid_min;
		max = c->uid_max < c->gid_max ? c->uid_max : c->gid_max;
		r = next_candidate(s, "uid", min, max, &cand);
		if (r >= 0)
			r = next_candidate(s, "gid", min, max, &other);
		if (r < 0)
			return r;
		if (other > cand)
			cand = other;
	} else {
		r = next_candidate(s, kind, min, max, &cand);
		if (r < 0)
			return r;
	}
	/* Step over local and reserved ids (rare; the default range has none). */
	for (; cand <= max; cand++) {
		if (both)
			r = id_conflict(s, "uid", (uint32_t)cand, true);
		if (!both || r >= 0)
			r = id_conflict(s, both ? "gid" : kind, (uint32_t)cand, true);
		if (r >= 0)
			break;
		if (r != -EEXIST && r != -EPERM)
			return r;
	}
	um_error_forget(0);
	if (cand > max)
		return um_fail(-ENOSPC, "no free %s left in the configured range %u-%u",
			       both ? "id" : kind, min, max);
	*ret = (uint32_t)cand;
	return 0;
}

/* ---- status ---- */

static int count(struct um_store *s, const char *sql, uint64_t *ret)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = um_db_prepare(s, sql, &st), rc;

	if (r < 0)
		return r;
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		return um_db_error(s, rc, "read the store");
	*ret = (uint64_t)sqlite3_column_int64(st, 0);
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

int um_store_status(struct um_store *s, struct um_status *ret)
{
	struct um_status st = { .schema_version = UM_SCHEMA_VERSION };
	int r;

	r = count(s, "SELECT value FROM meta WHERE key = 'generation'", &st.generation);
	if (r >= 0)
		r = count(s, "SELECT count(*) FROM users", &st.users);
	if (r >= 0)
		r = count(s, "SELECT count(*) FROM groups", &st.groups);
	if (r >= 0)
		r = count(s, "SELECT count(*) FROM users WHERE approved = 0", &st.pending_approvals);
	if (r < 0)
		return r;
	st.published_generation = published_generation(s->directory_path, &st.directory_ok);
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
	int r = um_db_prepare(s, "PRAGMA integrity_check", &st), rc;
	const char *t;

	if (r < 0)
		return r;
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		return um_db_error(s, rc, "check the store");
	t = (const char *)sqlite3_column_text(st, 0);
	if (!t || strcmp(t, "ok"))
		return um_fail(-EBADMSG, "integrity check failed: %s", t ? t : "?");
	sqlite3_finalize(st);
	st = NULL;
	r = um_db_prepare(s, "PRAGMA foreign_key_check", &st);
	if (r < 0)
		return r;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		return um_fail(-EBADMSG, "foreign key check failed in table %s",
			       sqlite3_column_text(st, 0));
	if (rc != SQLITE_DONE)
		return um_db_error(s, rc, "check the store");
	return 0;
}

/* SPDX-License-Identifier: MIT */
/* umgmt core: the SQLite plumbing, a leaf (db.h). */
#include "db.h"

int um_db_error(struct um_db *db, int rc, const char *what)
{
	const char *msg = db && db->h ? sqlite3_errmsg(db->h) : sqlite3_errstr(rc);

	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return um_fail(-EBUSY,
			       "cannot %s: the store is locked by another change; try again", what);
	case SQLITE_NOMEM:
		return um_fail(-ENOMEM, "cannot %s: out of memory", what);
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return um_fail(-EACCES, "cannot %s: %s", what, msg);
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
	case SQLITE_SCHEMA:
	case SQLITE_FORMAT:
		return um_fail(-EBADMSG,
			       "cannot %s: the store is damaged or not an umgmt store (%s)", what,
			       msg);
	case SQLITE_CANTOPEN:
		return um_fail(-EIO, "cannot %s: cannot open the store (%s)", what, msg);
	case SQLITE_CONSTRAINT:
		return um_fail(-EEXIST, "cannot %s: %s", what, msg);
	default:
		return um_fail(-EIO, "cannot %s: %s", what, msg);
	}
}

int um_db_prepare(struct um_db *db, const char *sql, sqlite3_stmt **ret)
{
	int rc = sqlite3_prepare_v2(db->h, sql, -1, ret, NULL);

	return rc == SQLITE_OK ? 0 : um_db_error(db, rc, "prepare a query");
}

int um_db_prepare_cached(struct um_db *db, sqlite3_stmt **st, const char *sql)
{
	if (!*st)
		return um_db_prepare(db, sql, st);
	sqlite3_reset(*st);
	return 0;
}

static int bind_index(sqlite3_stmt *st, const char *param)
{
	int i = sqlite3_bind_parameter_index(st, param);

	return i > 0 ? i : um_fail(-EINVAL, "internal error: the query has no parameter %s", param);
}

int um_bind_text(sqlite3_stmt *st, const char *param, const char *v)
{
	int i = bind_index(st, param);

	if (i < 0)
		return i;
	return (v ? sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st, i)) ==
			       SQLITE_OK
		       ? 0
		       : -ENOMEM;
}

int um_bind_int(sqlite3_stmt *st, const char *param, int64_t v)
{
	int i = bind_index(st, param);

	if (i < 0)
		return i;
	return sqlite3_bind_int64(st, i, v) == SQLITE_OK ? 0 : -ENOMEM;
}

int um_db_exec_stmt(struct um_db *db, sqlite3_stmt *st, const char *what)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	return rc == SQLITE_DONE ? 0 : um_db_error(db, rc, what);
}

int um_db_step(struct um_db *db, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : um_db_error(db, rc, what);
}

int um_db_exec(struct um_db *db, const char *sql, const char *what)
{
	int rc = sqlite3_exec(db->h, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : um_db_error(db, rc, what);
}

int um_db_changes(struct um_db *db)
{
	return sqlite3_changes(db->h);
}

char *um_col_text(sqlite3_stmt *st, int col, bool null_ok)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	if (!t)
		return null_ok ? NULL : strdup("");
	return strdup((const char *)t);
}

int um_db_begin(struct um_db *db)
{
	return um_db_begin_sync(db, true);
}

int um_db_begin_sync(struct um_db *db, bool durable)
{
	int r;

	if (!db->writable)
		return um_fail(-EACCES, "the store was opened read-only");
	if (durable == db->sync_relaxed) {
		r = um_db_exec(db,
			       durable ? "PRAGMA synchronous = FULL"
				       : "PRAGMA synchronous = NORMAL",
			       "start a change");
		if (r < 0)
			return r;
		db->sync_relaxed = !durable;
	}
	r = um_db_exec(db, "BEGIN IMMEDIATE", "start a change");
	if (r < 0)
		return r;
	db->in_tx = true;
	return 0;
}

int um_db_begin_within(struct um_db *db, int timeout_ms, bool durable)
{
	int r;

	sqlite3_busy_timeout(db->h, timeout_ms);
	r = um_db_begin_sync(db, durable);
	sqlite3_busy_timeout(db->h, UM_STORE_BUSY_TIMEOUT_MS);
	return r;
}

void um_db_rollback(struct um_db *db)
{
	if (!db->in_tx)
		return;
	sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
	db->in_tx = false;
}

int um_db_commit(struct um_db *db)
{
	int r = um_db_exec(db, "COMMIT", "save the change");

	if (r < 0) {
		um_db_rollback(db);
		return r;
	}
	db->in_tx = false;
	return 0;
}

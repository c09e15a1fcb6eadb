/* SPDX-License-Identifier: MIT */
/*
 * umgmt core: the SQLite plumbing (db.c). Private to lib/.
 *
 * A leaf: it knows SQLite and the error convention (common.h), nothing of
 * stores, snapshots or the domain. Every domain file reaches SQLite
 * through these helpers and never maps a SQLite code itself.
 */
#ifndef UMGMT_DB_H
#define UMGMT_DB_H

#include <sqlite3.h>

#include "umgmt/common.h"

/* How long a writer waits for another writer before giving up (-EBUSY). */
#define UM_STORE_BUSY_TIMEOUT_MS 5000

/* One connection and its transaction state. */
struct um_db {
	sqlite3 *h;
	bool writable;	   /* opened read-write: transactions allowed */
	bool in_tx;	   /* between um_db_begin() and commit/rollback */
	bool sync_relaxed; /* PRAGMA synchronous = NORMAL (um_db_begin_sync) */
};

static inline void um_stmt_finalizep(sqlite3_stmt **st)
{
	if (*st)
		sqlite3_finalize(*st);
}
#define _cleanup_stmt_ _cleanup_(um_stmt_finalizep)

/* Maps a SQLite result code to our vocabulary, with a detail saying what
 * could not be done ("cannot <what>: ..."). The one such map. */
int um_db_error(struct um_db *db, int rc, const char *what) __attribute__((warn_unused_result));

/* Prepares sql. Returns 0 or a mapped error. */
int um_db_prepare(struct um_db *db, const char *sql, sqlite3_stmt **ret)
	__attribute__((warn_unused_result));

/* For a statement run once per row: prepares sql into *st the first time,
 * resets it on later calls (its parameters are then rebound by the
 * caller). The caller finalizes *st. Returns 0 or a mapped error. */
int um_db_prepare_cached(struct um_db *db, sqlite3_stmt **st, const char *sql)
	__attribute__((warn_unused_result));

/* Binds by parameter name (":name"); a NULL text binds NULL. Returns 0,
 * -EINVAL (the statement has no such parameter: a programming error,
 * never ignored), -ENOMEM. */
int um_bind_text(sqlite3_stmt *st, const char *param, const char *v)
	__attribute__((warn_unused_result));
int um_bind_int(sqlite3_stmt *st, const char *param, int64_t v) __attribute__((warn_unused_result));

/* Steps a statement that returns no row (or whose rows are ignored). */
int um_db_exec_stmt(struct um_db *db, sqlite3_stmt *st, const char *what)
	__attribute__((warn_unused_result));
/* Steps a statement expected to return a row: 1 (a row), 0 (none), or a
 * mapped error. */
int um_db_step(struct um_db *db, sqlite3_stmt *st, const char *what)
	__attribute__((warn_unused_result));
/* Runs literal SQL without parameters. */
int um_db_exec(struct um_db *db, const char *sql, const char *what)
	__attribute__((warn_unused_result));
/* The rows the last statement changed. */
int um_db_changes(struct um_db *db);

/* strdup of a text column, "" for NULL unless null_ok (then NULL). */
char *um_col_text(sqlite3_stmt *st, int col, bool null_ok);

/* BEGIN IMMEDIATE, durable. Returns 0, -EBUSY, -EIO, -EACCES (opened
 * read-only). */
int um_db_begin(struct um_db *db) __attribute__((warn_unused_result));
/* The same; with durable false, the commit is not fsynced (SQLite's
 * synchronous = NORMAL: a power loss may forget it, never corrupt the
 * store). Only for bookkeeping a login can afford to lose: the last login
 * and failure counts. Every um_db_begin() is durable again. */
int um_db_begin_sync(struct um_db *db, bool durable) __attribute__((warn_unused_result));
/* BEGIN IMMEDIATE waiting at most timeout_ms for another writer (a login
 * must not wait behind a long umctl transaction); durable as above. */
int um_db_begin_within(struct um_db *db, int timeout_ms, bool durable)
	__attribute__((warn_unused_result));
/* COMMIT. Returns 0 or an error (then rolled back). Committing a change
 * that the snapshot shows is um_publish_commit()'s (publish.h). */
int um_db_commit(struct um_db *db) __attribute__((warn_unused_result));
void um_db_rollback(struct um_db *db);
static inline void um_db_rollbackp(struct um_db **db)
{
	if (*db && (*db)->in_tx)
		um_db_rollback(*db);
}
/* Declares a guard that rolls the transaction back on any early return. */
#define UM_TX_GUARD(db) _cleanup_(um_db_rollbackp) struct um_db *_tx_guard = (db)

#endif

/* SPDX-License-Identifier: MIT */
/* umgmt core: what the domain files share about the store. Private. */
#ifndef UMGMT_STORE_PRIVATE_H
#define UMGMT_STORE_PRIVATE_H

#include <sqlite3.h>

#include "umgmt/store.h"

/* How long a writer waits for another writer before giving up (-EBUSY). */
#define UM_STORE_BUSY_TIMEOUT_MS 5000

struct um_store {
	sqlite3 *db;
	const struct um_config *cfg; /* borrowed: outlives the store */
	char *truth_path;
	char *directory_path;
	char *actor;
	int flags;
	bool in_tx;
	bool sync_relaxed; /* PRAGMA synchronous = NORMAL (um_tx_begin_sync) */
};

static inline void um_stmt_finalizep(sqlite3_stmt **st)
{
	if (*st)
		sqlite3_finalize(*st);
}
#define _cleanup_stmt_ _cleanup_(um_stmt_finalizep)

/* Maps a SQLite result code to our vocabulary, leaving a detail. */
int um_db_error(struct um_store *s, int rc, const char *what);

/* Prepares sql. Returns 0 or a mapped error. */
int um_db_prepare(struct um_store *s, const char *sql, sqlite3_stmt **ret);

/* Binds by parameter name (":name"); a NULL text binds NULL. */
int um_bind_text(sqlite3_stmt *st, const char *param, const char *v);
int um_bind_int(sqlite3_stmt *st, const char *param, int64_t v);

/* Steps a statement that returns no row (or whose rows are ignored). */
int um_db_exec_stmt(struct um_store *s, sqlite3_stmt *st, const char *what);
/* Runs literal SQL without parameters. */
int um_db_exec(struct um_store *s, const char *sql, const char *what);

/* strdup of a text column, "" for NULL unless null_ok (then NULL). */
char *um_col_text(sqlite3_stmt *st, int col, bool null_ok);

/* BEGIN IMMEDIATE. Returns 0, -EBUSY, -EIO, -EACCES (opened read-only). */
int um_tx_begin(struct um_store *s);
/* The same; with durable false, the commit is not fsynced (SQLite's
 * synchronous = NORMAL: a power loss may forget it, never corrupt the
 * store). Only for bookkeeping a login can afford to lose: the last login
 * and failure counts. Every um_tx_begin() is durable again. */
int um_tx_begin_sync(struct um_store *s, bool durable);
/* COMMIT; with publish, bumps the generation first and publishes a new
 * snapshot after the commit. Returns 0 or an error (rolled back). */
int um_tx_commit(struct um_store *s, bool publish);
void um_tx_rollback(struct um_store *s);
static inline void um_tx_rollbackp(struct um_store **s)
{
	if (*s && (*s)->in_tx)
		um_tx_rollback(*s);
}
/* Declares a guard that rolls the transaction back on any early return. */
#define UM_TX_GUARD(s) _cleanup_(um_tx_rollbackp) struct um_store *_tx_guard = (s)

/* Appends an audit record (inside the caller's transaction). user_id is
 * the user the record is about (0 = none): their name is blanked from it
 * when they are deleted. */
int um_audit(struct um_store *s, const char *action, const char *target_kind,
	     const char *target, int64_t user_id, const char *detail);

/* Allocates a fresh id in the config's range that was never used in the
 * store, is not in /etc/passwd or /etc/group or a subordinate range.
 * With both, the number is free as a uid and as a gid. kind: "uid", "gid",
 * or "both". Returns 0, -ENOSPC, -EIO. */
int um_alloc_id(struct um_store *s, const char *kind, uint32_t *ret);
/* Checks that an id chosen by the admin can be used: 0 or -EPERM
 * (reserved), -EEXIST (used now or before, or local). */
int um_check_given_id(struct um_store *s, const char *kind, uint32_t id);
/* Records id as used forever. */
int um_mark_id_used(struct um_store *s, const char *kind, uint32_t id);

int64_t um_now(void);

/* Publishes the snapshot (publish.c). */
int um_publish(struct um_store *s);

/* The schema (schema.c): creates or migrates to UM_SCHEMA_VERSION inside
 * the caller's transaction. */
int um_schema_migrate(struct um_store *s, int from_version);

/* The snapshot's change log (schema.c): start makes this connection's
 * TEMP triggers that log every change of what the snapshot shows into
 * dir_changes; stop drops them again (in a transaction: until it ends).
 * um_store_open() starts it for every connection that may write, except
 * a login's (UM_STORE_LOGIN), which can change none of those tables. */
int um_change_log_start(struct um_store *s);
int um_change_log_stop(struct um_store *s);

#endif

/* SPDX-License-Identifier: MIT */
/* umgmt core: what user.c, owner of the users table, offers the other
 * domain files. Private. */
#ifndef UMGMT_USER_PRIVATE_H
#define UMGMT_USER_PRIVATE_H

#include "store-private.h"
#include "umgmt/user.h"

/* The row id of umgmt user name. Returns 0, -ESRCH (with a detail naming
 * it), -EIO. */
int um_user_id(struct um_store *s, const char *name, int64_t *ret_id)
	__attribute__((warn_unused_result));

/* One new user row (um_user_add, import). id 0 lets SQLite choose it. */
struct um_user_row {
	int64_t id;
	const char *name;
	uint32_t uid;
	uint32_t gid;
	int64_t group_id; /* the primary group's row, 0 = a local group */
	enum um_user_kind kind;
	const char *full_name; /* NULL = "" */
	const char *email;     /* NULL = none */
	const char *home;
	const char *shell;
	bool approved;
	bool stamp_approval; /* approved: record now and the store's actor as who approved */
	int64_t created_at;
};
/* Inserts row. *cache (NULL at first; the caller finalizes it) keeps the
 * prepared statement for a caller that inserts many, NULL prepares it
 * each time. Returns 0 and the new row id (ret_id may be NULL), -EEXIST,
 * -EIO. */
int um_user_insert(struct um_store *s, sqlite3_stmt **cache, const struct um_user_row *row,
		   int64_t *ret_id) __attribute__((warn_unused_result));

/* Stores a new password hash for user_id (clearing a forced change),
 * inside the caller's transaction. Returns 0, -ESRCH, -EIO. */
int um_user_store_hash(struct um_store *s, int64_t user_id, const char *hash)
	__attribute__((warn_unused_result));

/* The name of one user whose primary group is group_id (the first by
 * name), or NULL. Returns 0, -EIO, -ENOMEM; *ret_name is the caller's. */
int um_user_primary_of(struct um_store *s, int64_t group_id, char **ret_name)
	__attribute__((warn_unused_result));

/* The row of user name alone (no groups, no last login). Returns 0,
 * -ESRCH, -EIO, -ENOMEM. */
int um_user_read(struct um_store *s, const char *name, struct um_user **ret)
	__attribute__((warn_unused_result));
/* The rows of every user (filter as um_user_list_filtered), by uid.
 * Returns 0, -EIO, -ENOMEM. */
int um_user_read_all(struct um_store *s, unsigned filter, const char *today, struct um_user ***ret,
		     size_t *ret_n) __attribute__((warn_unused_result));

/* Changes the columns spec names (rename, full_name, email, home, shell,
 * kind; the rest is ignored) of user id. *ret_directory_changed says
 * whether a column the snapshot shows changed. Returns 0, -EEXIST, -EIO. */
int um_user_update_row(struct um_store *s, int64_t id, const struct um_user_spec *spec,
		       bool *ret_directory_changed) __attribute__((warn_unused_result));
/* Moves user id to primary group gid (group_row 0: a local group).
 * Returns 0, -EIO. */
int um_user_set_primary_group(struct um_store *s, int64_t id, uint32_t gid, int64_t group_row)
	__attribute__((warn_unused_result));
/* Before a delete: reads the uid, clears the primary group link and the
 * e-mail address. Returns 0, -ESRCH, -EIO. */
int um_user_detach(struct um_store *s, int64_t id, uint32_t *ret_uid)
	__attribute__((warn_unused_result));
/* Deletes the row of user id (what references it cascades). Returns 0,
 * -EIO. */
int um_user_delete_row(struct um_store *s, int64_t id) __attribute__((warn_unused_result));

/* A named text parameter of a statement. */
struct um_param {
	const char *name; /* ":from" */
	const char *text; /* NULL binds NULL */
};

/*
 * One audited change to the rows of one user, the sequence that every
 * such admin command shares: BEGIN IMMEDIATE, resolve name, run sql once,
 * check that it changed a row, audit, COMMIT. sql binds :id (the user's
 * row id) and, where it names them, :now, :actor and the texts of params.
 * When the statement changes no row: with unchanged_err 0 it was a no-op
 * (0, nothing audited), else unchanged_err with unchanged_msg. What the
 * statement changes is never shown by NSS (it commits without publishing).
 */
struct um_user_change {
	const char *sql;
	struct um_param params[4];
	const char *action; /* the audit action, "user disable" */
	const char *detail; /* the audit detail, NULL = "" */
	int unchanged_err;
	const char *unchanged_msg;
};
/* Returns 0, -ESRCH, unchanged_err, -EBUSY, -EIO. */
int um_user_change(struct um_store *s, const char *name, const struct um_user_change *c)
	__attribute__((warn_unused_result));

#endif

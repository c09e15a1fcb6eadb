/* SPDX-License-Identifier: MIT */
/* umgmt core: what group.c, owner of the groups and group_members tables,
 * offers the other domain files (a user's private group, import). All of
 * these run inside the caller's transaction. Private. */
#ifndef UMGMT_GROUP_PRIVATE_H
#define UMGMT_GROUP_PRIVATE_H

#include "store-private.h"
#include "umgmt/group.h"

/* The row id and gid of umgmt group name; *ret_id = 0 when there is none.
 * Returns 0, -EIO. */
int um_group_find(struct um_store *s, const char *name, int64_t *ret_id, uint32_t *ret_gid)
	__attribute__((warn_unused_result));

/* One new group row. id 0 lets SQLite choose it (import chooses it). */
struct um_group_row {
	int64_t id;
	const char *name;
	uint32_t gid;
	const char *description; /* NULL = "" */
	int64_t created_at;
};
/* Inserts row. *cache (NULL at first; the caller finalizes it) keeps the
 * prepared statement for a caller that inserts many, NULL prepares it
 * each time. Returns 0 and the new row id (ret_id may be NULL), -EEXIST,
 * -EIO. */
int um_group_insert(struct um_store *s, sqlite3_stmt **cache, const struct um_group_row *row,
		    int64_t *ret_id) __attribute__((warn_unused_result));
/* Makes user_id a member of group_id (already one: 0). cache as above.
 * Returns 0, -EIO. */
int um_group_member_insert(struct um_store *s, sqlite3_stmt **cache, int64_t group_id,
			   int64_t user_id) __attribute__((warn_unused_result));

/* Marks group_id as the private group of user_id. Returns 0, -EIO. */
int um_group_set_private_of(struct um_store *s, int64_t group_id, int64_t user_id)
	__attribute__((warn_unused_result));
/* The row id of user_id's private group if it is still named name, else
 * 0. Returns 0, -EIO. */
int um_group_private_named(struct um_store *s, int64_t user_id, const char *name, int64_t *ret_id)
	__attribute__((warn_unused_result));
/* Renames the group of row id group_id. Returns 0, -EEXIST, -EIO. */
int um_group_rename_row(struct um_store *s, int64_t group_id, const char *name)
	__attribute__((warn_unused_result));
/* Deletes user_id's private group unless another user has it as primary
 * group (then it stays, as an ordinary group). *ret_deleted says whether
 * it went. Returns 0, -EIO. */
int um_group_delete_private(struct um_store *s, int64_t user_id, bool *ret_deleted)
	__attribute__((warn_unused_result));

/* The names of the groups user_id is a member of, sorted. *cache as
 * above. Returns 0, -EIO, -ENOMEM; *ret is the caller's (um_strv_free). */
int um_group_names_of(struct um_store *s, sqlite3_stmt **cache, int64_t user_id, char ***ret,
		      size_t *ret_n) __attribute__((warn_unused_result));

#endif

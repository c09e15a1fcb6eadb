/* SPDX-License-Identifier: MIT */
/*
 * umgmt core: uids, gids and users' row ids (id.c, owner of the used_ids
 * and row_ids tables). Private.
 *
 * A new id is the high-water mark of the range + 1: ids are never reused,
 * not even the highest one after a delete (used_ids remembers every id
 * ever handed out), and local (/etc/passwd, /etc/group) and subordinate
 * ids are stepped over.
 */
#ifndef UMGMT_ID_H
#define UMGMT_ID_H

#include "store-private.h"

enum um_id_kind {
	UM_ID_UID,
	UM_ID_GID,
	UM_ID_BOTH, /* one number free as a uid and as a gid */
};

/* The ids no umgmt user or group may have, whatever the range: root (0),
 * nobody and nogroup (65534), the 16-bit -1 (65535) and the 32-bit -1. */
bool um_id_is_reserved(uint64_t id);

/* Allocates a fresh id in the config's range: above the high-water mark,
 * not in /etc/passwd or /etc/group or a subordinate range. Returns 0,
 * -ENOSPC, -EIO. */
int um_id_alloc(struct um_store *s, enum um_id_kind kind, uint32_t *ret)
	__attribute__((warn_unused_result));
/* Checks that an id chosen by the admin can be used: 0 or -EPERM
 * (reserved), -EEXIST (used now or before, or local). */
int um_id_check_given(struct um_store *s, enum um_id_kind kind, uint32_t id)
	__attribute__((warn_unused_result));
/* Records id as used forever. *cache (NULL at first) keeps the prepared
 * statement for a caller that records many; the caller finalizes it.
 * Pass NULL to prepare it each time. Returns 0, -EIO. */
int um_id_mark_used(struct um_store *s, sqlite3_stmt **cache, enum um_id_kind kind, uint32_t id)
	__attribute__((warn_unused_result));

/* Reserves n (>= 1) new row ids of users, never handed out before, not
 * even after a delete: *ret_first ... *ret_first + n - 1. Inside the
 * caller's transaction. Returns 0, -EIO. */
int um_id_reserve_user_rows(struct um_store *s, int64_t n, int64_t *ret_first)
	__attribute__((warn_unused_result));

#endif

/* SPDX-License-Identifier: MIT */
/* umgmt core: what lockout.c, owner of the host-local login_failures
 * table, offers login.c. Private. */
#ifndef UMGMT_LOCKOUT_PRIVATE_H
#define UMGMT_LOCKOUT_PRIVATE_H

#include "store-private.h"
#include "umgmt/lockout.h"

/* Forgets user_id's failures, inside the caller's transaction. Returns
 * 0, -EIO. */
int um_lockout_forget(struct um_store *s, int64_t user_id) __attribute__((warn_unused_result));

#endif

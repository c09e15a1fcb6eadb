/* SPDX-License-Identifier: MIT */
/* umgmt core: what token.c, owner of the tokens table, offers user.c.
 * Private. */
#ifndef UMGMT_TOKEN_PRIVATE_H
#define UMGMT_TOKEN_PRIVATE_H

#include "store-private.h"
#include "umgmt/token.h"

/* Revokes every outstanding token of user_id (a new password was set),
 * inside the caller's transaction. Returns 0, -EIO. */
int um_token_revoke_all(struct um_store *s, int64_t user_id) __attribute__((warn_unused_result));

#endif

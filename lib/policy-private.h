/* SPDX-License-Identifier: MIT */
/* umgmt core: what policy.c, service.c, token.c and lockout.c share. Private. */
#ifndef UMGMT_POLICY_PRIVATE_H
#define UMGMT_POLICY_PRIVATE_H

#include "store-private.h"
#include "umgmt/policy.h"

/* The row id of umgmt user name. Returns 0 (found), -ESRCH (with a
 * detail naming it), -EIO. */
int um_policy_user_id(struct um_store *s, const char *name, int64_t *ret_id);

/* BEGIN IMMEDIATE waiting at most UM_LOGIN_BUSY_TIMEOUT_MS: for the
 * writes a login makes; durable as um_tx_begin_sync() says (false only
 * for the last login and failure counts, never for a token or a
 * password). Returns 0, -EBUSY, -EIO, -EACCES. */
int um_login_tx_begin(struct um_store *s, bool durable);

/*
 * Whether user user_id may use PAM service `service` (service.c): a
 * restricted record needs a grant (to the user, a group they are in,
 * their primary group, a role or their company), an open record admits,
 * no record: the [services] open list, else [services] default. Writes a
 * short why ("granted to group devs", "open", "restricted, no grant",
 * ...). Returns 1 (allowed), 0 (refused), -EIO.
 */
int um_service_reach(struct um_store *s, int64_t user_id, const char *service, char *why,
		     size_t why_size);

#endif

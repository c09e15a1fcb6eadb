/* SPDX-License-Identifier: MIT */
/*
 * umgmt core: the last login of each user (login.c, owner of the
 * host-local user_logins table). Private.
 *
 * Host-local: what a login writes for itself is never part of the
 * replicated truth (docs/DESIGN.md, "Tables").
 */
#ifndef UMGMT_LOGIN_PRIVATE_H
#define UMGMT_LOGIN_PRIVATE_H

#include "store-private.h"

/* user_id's last login: *ret_at 0 and the texts NULL when never. *cache
 * (NULL at first; the caller finalizes it) keeps the statement for a
 * listing. Returns 0, -EIO, -ENOMEM; the texts are the caller's. */
int um_login_last(struct um_store *s, sqlite3_stmt **cache, int64_t user_id, int64_t *ret_at,
		  char **ret_service, char **ret_host) __attribute__((warn_unused_result));

/* Every last login, for a listing: calls each(ctx, user_id, at, service,
 * host) once per user who ever logged in (the texts are valid during the
 * call); a negative return of each stops the walk and is returned.
 * Returns 0, -EIO, or each's error. */
int um_login_last_all(struct um_store *s,
		      int (*each)(void *ctx, int64_t user_id, int64_t at, const char *service,
				  const char *host),
		      void *ctx) __attribute__((warn_unused_result));

#endif

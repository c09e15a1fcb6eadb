/* SPDX-License-Identifier: MIT */
/*
 * umgmt core: what a login records for itself (login.c and lockout.c):
 * the last login and the failed attempts. Both tables are host-local.
 */
#ifndef UMGMT_LOGIN_PUBLIC_H
#define UMGMT_LOGIN_PUBLIC_H

#include <time.h>

#include "umgmt/common.h"
#include "umgmt/store.h"

/* How long the module's own writes wait for a busy store. */
#define UM_LOGIN_BUSY_TIMEOUT_MS 250

/* Records a successful login of user user_id (a row of um_user_resolve),
 * waiting at most UM_LOGIN_BUSY_TIMEOUT_MS for a busy store (then -EBUSY,
 * nothing recorded). With password_verified (a password or token was just
 * checked) the failures are cleared too; a login that proved nothing about
 * the password (an SSH key, su by root) leaves them, so it cannot hand a
 * password guesser fresh attempts. Returns 0, -ESRCH, -EBUSY, -EIO. */
int um_login_record_success(struct um_store *s, int64_t user_id, const char *service,
			    const char *rhost, time_t now, bool password_verified)
	__attribute__((warn_unused_result));

#endif

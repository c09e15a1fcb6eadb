/* SPDX-License-Identifier: MIT */
/*
 * umgmt core: the lockout after failed logins (lockout.c).
 *
 * Like pam_faillock: a user with at least [lockout] deny failures within
 * fail_interval is locked until unlock_time after the last of them. Key
 * logins are not affected.
 */
#ifndef UMGMT_LOCKOUT_H
#define UMGMT_LOCKOUT_H

#include <time.h>

#include "umgmt/common.h"
#include "umgmt/store.h"

struct um_lockout_status {
	unsigned failures;    /* failures within fail_interval */
	int64_t last_failure; /* unix seconds, 0 = none */
	bool locked;
	int64_t locked_until; /* unix seconds, 0 when not locked */
	/* When locked: "Your account is locked after too many failed login
	 * attempts. Try again in 10 minutes." (minutes rounded up; the
	 * sentence table's UM_SAY_LOCKED_FOR), else "". */
	char message[160];
};
/* Whether user user_id (a row id: um_user_resolve, um_user_get) is
 * locked out at now, with the numbers, for the auth phase and user show.
 * Returns 0, -EIO. */
int um_lockout_status(struct um_store *s, int64_t user_id, time_t now,
		      struct um_lockout_status *ret) __attribute__((warn_unused_result));

/* Records a failed attempt of user_id (rhost may be NULL) and prunes
 * failures too old to matter. Waits at most UM_LOGIN_BUSY_TIMEOUT_MS
 * (login.h) for a busy store, then returns -EBUSY and records nothing: the
 * caller logs and drops it, a login never waits behind a long umctl
 * transaction. Writes no audit record (the module's syslog has it).
 * Returns 0, -ESRCH (the user is gone), -EBUSY, -EIO. */
int um_lockout_record_failure(struct um_store *s, int64_t user_id, const char *service,
			      const char *rhost, time_t now) __attribute__((warn_unused_result));

/* umctl user unlock: deletes name's failures (audited, with how many).
 * Returns 0, -ESRCH, -EBUSY, -EIO. */
int um_lockout_unlock(struct um_store *s, const char *name) __attribute__((warn_unused_result));

#endif

/* SPDX-License-Identifier: MIT */
/*
 * umgmt core: the account decision of the PAM account phase (account.c):
 * who may log in, where and when. The answer and the sentence a refused
 * user reads are decided here (in the words of sentence.h), so that every
 * front end says the same thing.
 */
#ifndef UMGMT_ACCOUNT_H
#define UMGMT_ACCOUNT_H

#include <time.h>

#include "umgmt/common.h"
#include "umgmt/store.h"
#include "umgmt/user.h"

enum um_verdict {
	UM_ALLOW = 0,
	UM_DENY_DISABLED,
	UM_DENY_PENDING,
	UM_DENY_ABSENT,
	UM_DENY_EXPIRED,
	UM_DENY_SERVICE,
	UM_ALLOW_MUST_CHANGE, /* allowed, but the password must be changed now */
};

struct um_account_decision {
	enum um_verdict verdict;
	/* One plain sentence for the person logging in, e.g. "You are marked
	 * absent until 24 December." ("" for UM_ALLOW). */
	char message[256];
	/* A short reason for syslog, e.g. "absent until 2026-12-24". */
	char reason[128];
};

/*
 * Decides whether user u (resolved once by um_user_resolve) may use PAM
 * service `service` at time now, in this order (the first refusal wins):
 * enabled; approved (a pending user stays pending whatever
 * approval_required says now: switching approval off does not admit the
 * queue); not expired (expires_on <= today); not absent today; service
 * reachable (restricted record: a grant to the user or to a group they
 * are in, primary or supplementary; open record: yes; no record: the
 * [services] open list, else [services] default); then whether the
 * password must be changed (UM_ALLOW_MUST_CHANGE). Dates are local (TZ).
 * The lockout is not part of it: the auth phase asks um_lockout_status()
 * first. Returns 0 and the decision, -EINVAL (service name), -EIO,
 * -EBADMSG.
 */
int um_account_decide(struct um_store *s, const struct um_login_user *u, const char *service,
		      time_t now, struct um_account_decision *ret)
	__attribute__((warn_unused_result));

#endif

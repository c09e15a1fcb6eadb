/* SPDX-License-Identifier: MIT */
/*
 * umgmt core: the account decision (account.h). It reads the resolved
 * user row, the user's absences (absence.c) and service access
 * (service.c); it owns no table. See docs/POLICY.md.
 */
#include "umgmt/absence.h"
#include "umgmt/account.h"
#include "umgmt/date.h"
#include "umgmt/sentence.h"
#include "umgmt/service.h"
#include "umgmt/validate.h"

static void decide(struct um_account_decision *d, enum um_verdict v, enum um_sentence say,
		   const char *arg, const char *reason)
{
	d->verdict = v;
	snprintf(d->reason, sizeof(d->reason), "%s", reason);
	um_sentence_format(say, arg, d->message, sizeof(d->message));
}

int um_account_decide(struct um_store *s, const struct um_login_user *u, const char *service,
		      time_t now, struct um_account_decision *ret)
{
	struct um_account_decision d = { .verdict = UM_ALLOW };
	char today[11], until[11] = "", pretty[96], reason[128], why[96];
	int r;

	r = um_check_service_name(service);
	if (r < 0)
		return r;
	um_today(now, today);

	if (!u->enabled) {
		decide(&d, UM_DENY_DISABLED, UM_SAY_DISABLED, NULL, "disabled");
	} else if (!u->approved) {
		decide(&d, UM_DENY_PENDING, UM_SAY_PENDING, NULL, "pending approval");
	} else if (u->expires_on[0] && strcmp(u->expires_on, today) <= 0) {
		if (um_format_date(u->expires_on, today, true, pretty, sizeof(pretty)) < 0)
			return um_fail(-EBADMSG, "the user has a bad expiry date in the store");
		snprintf(reason, sizeof(reason), "expired on %s", u->expires_on);
		decide(&d, UM_DENY_EXPIRED, UM_SAY_EXPIRED, pretty, reason);
	} else if ((r = um_absence_today(s, u->id, today, until)) != 0) {
		if (r < 0)
			return r;
		if (!until[0]) {
			decide(&d, UM_DENY_ABSENT, UM_SAY_ABSENT, NULL,
			       "absent until further notice");
		} else {
			if (um_format_date(until, today, false, pretty, sizeof(pretty)) < 0)
				return um_fail(-EBADMSG,
					       "the user has a bad absence date in the store");
			snprintf(reason, sizeof(reason), "absent until %s", until);
			decide(&d, UM_DENY_ABSENT, UM_SAY_ABSENT_UNTIL, pretty, reason);
		}
	} else if ((r = um_service_reach(s, u->id, service, why, sizeof(why))) != 1) {
		if (r < 0)
			return r;
		snprintf(reason, sizeof(reason), "service %s: %s", service,
			 um_service_via_text(why, false, pretty, sizeof(pretty)));
		decide(&d, UM_DENY_SERVICE, UM_SAY_SERVICE, service, reason);
	} else if (u->must_change_password) {
		decide(&d, UM_ALLOW_MUST_CHANGE, UM_SAY_MUST_CHANGE, NULL,
		       "password change required");
	} else {
		snprintf(d.reason, sizeof(d.reason), "service %s: %s", service,
			 um_service_via_text(why, true, pretty, sizeof(pretty)));
	}
	*ret = d;
	return 0;
}

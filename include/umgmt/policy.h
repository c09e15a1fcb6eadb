/* SPDX-License-Identifier: MIT */
/*
 * umgmt core: who may log in, where and when.
 *
 * The account flags (enabled, approved, absences, expiry, a forced password
 * change), service access, one-time tokens and the lockout after failed
 * attempts. The PAM module asks the questions; the answers and the
 * sentence a refused user reads are decided here, so that every front end
 * says the same thing.
 *
 * Dates are local calendar dates "YYYY-MM-DD" (the machine's time zone,
 * TZ), inclusive at both ends.
 */
#ifndef UMGMT_POLICY_H
#define UMGMT_POLICY_H

#include <time.h>

#include "umgmt/common.h"
#include "umgmt/store.h"

/* ---- flags (umctl user disable|enable|approve|unapprove|absence) ---- */

/* Each returns 0, -ESRCH, -EBUSY, -EIO; a no-op change (disabling a
 * disabled user) is 0 as well and writes no audit record. Neither changes
 * the snapshot (NSS serves disabled and pending users as well: they own
 * files). Approving records approved_at and the actor. */
int um_user_set_enabled(struct um_store *s, const char *name, bool enabled);
int um_user_set_approved(struct um_store *s, const char *name, bool approved);

/* Parses "YYYY-MM-DD" strictly (a real calendar date, years 1970-9999).
 * Returns 0 or -EINVAL with a detail naming the text. Any ret_ may be
 * NULL. */
int um_parse_date(const char *text, int *ret_y, int *ret_m, int *ret_d);
/* The local date (localtime_r: TZ respected) of now as "YYYY-MM-DD". */
void um_today(time_t now, char out[11]);

/* A date "YYYY-MM-DD" in English whatever the locale: "24 December" when
 * it lies in the year of today (also "YYYY-MM-DD"), "3 January 2027"
 * otherwise, always with the year when with_year. Returns 0 or -EINVAL. */
int um_format_date(const char *date, const char *today, bool with_year, char *out,
		   size_t size);

/*
 * Adds an absence window [from, until] (until NULL = open-ended) with an
 * optional reason. Returns 0, -EINVAL (bad date, until before from, reason
 * with control characters), -ESRCH, -EBUSY, -EIO.
 */
int um_user_add_absence(struct um_store *s, const char *name, const char *from,
			const char *until, const char *reason);
/* Removes every absence of name. Returns 0, -ESRCH, -EBUSY, -EIO. */
int um_user_clear_absences(struct um_store *s, const char *name);

struct um_absence {
	char from[11];
	char until[11]; /* "" = open-ended */
	char *reason;   /* "" when none */
};
void um_absence_list_free(struct um_absence *v, size_t n);
/* The absences of name, ordered by start date. Returns 0, -ESRCH, -EIO,
 * -ENOMEM; free with um_absence_list_free. */
int um_user_list_absences(struct um_store *s, const char *name, struct um_absence **ret,
			  size_t *ret_n);

/*
 * Whether name is absent on the local date of now (for `user list
 * --absent` and the account decision). Windows that touch or overlap are
 * joined, so until is the last day of the whole stretch ("" when it is
 * open-ended). Returns 1 (absent; until filled), 0 (not absent), -ESRCH,
 * -EIO.
 */
int um_user_absent_until(struct um_store *s, const char *name, time_t now, char until[11]);

/* Sets (date) or clears (NULL) the expiry date: from that local date on,
 * the account is expired. Returns 0, -EINVAL, -ESRCH, -EBUSY, -EIO. */
int um_user_set_expiry(struct um_store *s, const char *name, const char *date);
/* Makes the next login change the password (cleared by any password
 * change, um_user_set_password or um_token_redeem). Returns 0, -ESRCH,
 * -EBUSY, -EIO. */
int um_user_expire_password(struct um_store *s, const char *name);

/* ---- services (umctl service ...) ---- */

struct um_service {
	char *name;
	bool restricted;
	char *description;
	char **grants; /* "user:alice", "group:devs", sorted */
	size_t n_grants;
};
void um_service_free(struct um_service *sv);
void um_service_list_free(struct um_service **v, size_t n);

/* A PAM service name: 1-64 of [A-Za-z0-9._+-], not starting with '.' or
 * '-'. Returns 0 or -EINVAL. */
int um_check_service_name(const char *name);

/* Adds a service record (description NULL = ""; printable, <= 255
 * bytes). Returns 0, -EINVAL, -EEXIST, -EBUSY, -EIO. */
int um_service_add(struct um_store *s, const char *name, bool restricted,
		   const char *description);
/* Changes restricted. Returns 0, -ESRCH, -EBUSY, -EIO. */
int um_service_set_restricted(struct um_store *s, const char *name, bool restricted);
/* Deletes the record and its grants. Returns 0, -ESRCH, -EBUSY, -EIO. */
int um_service_delete(struct um_store *s, const char *name);
/* Returns 0 and the record (free with um_service_free), -ESRCH, -EIO. */
int um_service_get(struct um_store *s, const char *name, struct um_service **ret);
/* Every record, by name. Returns 0, -EIO, -ENOMEM; free with
 * um_service_list_free. */
int um_service_list(struct um_store *s, struct um_service ***ret, size_t *ret_n);

enum um_grantee { UM_GRANT_USER, UM_GRANT_GROUP };
/* Grants/revokes a service to a user or group. Returns 0, -ESRCH (no such
 * service, user or group), -EEXIST (already granted) / -ESRCH (revoke: not
 * granted), -EBUSY, -EIO. */
int um_service_grant(struct um_store *s, const char *service, enum um_grantee kind,
		     const char *grantee);
int um_service_revoke(struct um_store *s, const char *service, enum um_grantee kind,
		      const char *grantee);

/* How user name may reach services, for `umctl user show`: one line per
 * service the user can reach, with why ("sshd: granted to group devs",
 * "login: open", "cron: open by configuration ([services] open)"), then
 * one line for every other service ("other services: allowed by default
 * ([services] default = allow)" or "... denied by default ..."). Restricted
 * services without a grant are left out. Returns 0, -ESRCH, -EIO, -ENOMEM;
 * the caller frees with um_strv_free. */
int um_user_services(struct um_store *s, const char *name, char ***ret, size_t *ret_n);
void um_strv_free(char **v, size_t n);

/* ---- the account decision (PAM account phase) ---- */

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
 * Decides whether user name may use PAM service `service` at time now, in
 * this order (the first refusal wins): enabled; approved (a pending user
 * stays pending whatever approval_required says now: switching approval
 * off does not admit the queue); not expired (expires_on <= today);
 * not absent today; service reachable (restricted record: a grant to the
 * user or to a group they are in, primary or supplementary; open record:
 * yes; no record: the [services] open list, else [services] default);
 * then whether the password must be changed (UM_ALLOW_MUST_CHANGE). Dates
 * are local (TZ). The lockout is not part of it: the auth phase asks
 * um_lockout_status() first. Returns 0 and the decision, -ESRCH (no such
 * umgmt user), -EINVAL (service name), -EIO, -EBADMSG.
 */
int um_account_decide(struct um_store *s, const char *name, const char *service, time_t now,
		      struct um_account_decision *ret);

/* ---- one-time tokens (activation and password reset) ---- */

#define UM_TOKEN_MAX 64

/*
 * Issues a one-time token for name, replacing (revoking) any earlier
 * unused one: random, typable (e.g. "K7QD-M2XH-9PFA-TR4C-WE6N": 20 of 31
 * symbols without 0 O 1 I L, about 99 bits), stored only as a BLAKE2b
 * hash, valid for ttl seconds (0 = the config's [tokens] ttl). purpose
 * is "activation" or "reset". Writes the token to out (a secret: wipe
 * it). Returns 0, -ESRCH, -EINVAL (ttl, purpose), -EBUSY, -EIO.
 */
int um_token_issue(struct um_store *s, const char *name, const char *purpose, int64_t ttl,
		   char out[UM_TOKEN_MAX]);

/*
 * Checks candidate as name's current token (case and dashes forgiven).
 * Does not burn it. Returns 0 (valid), -EACCES (wrong, expired, used or
 * revoked), -ESRCH, -EIO.
 */
int um_token_check(struct um_store *s, const char *name, const char *candidate);

/* Sets a new password (policy checked) and burns name's current token in
 * one transaction; clears password_must_change. Waits only briefly for a
 * busy store (it runs inside a login): -EBUSY means "try again", nothing
 * changed. Returns 0, -EINVAL (policy), -EACCES (no valid token any
 * more), -ESRCH, -EBUSY, -EIO. */
int um_token_redeem(struct um_store *s, const char *name, const char *password);

struct um_token_info {
	int64_t id;
	char *user;
	char *purpose;
	int64_t created_at;
	int64_t expires_at;
	char *state; /* "valid", "used", "expired", "revoked" */
};
void um_token_list_free(struct um_token_info *v, size_t n);
/* Every token ever issued to an existing user, newest first (never the
 * token itself). Returns 0, -EIO, -ENOMEM. */
int um_token_list(struct um_store *s, struct um_token_info **ret, size_t *ret_n);
/* Revokes every valid token of user name. Returns 0, -ESRCH (no valid
 * token), ... */
int um_token_revoke(struct um_store *s, const char *name);

/* ---- lockout (auth phase) ---- */

/* How long the module's own writes wait for a busy store. */
#define UM_LOGIN_BUSY_TIMEOUT_MS 250

/* True (1) when name is locked out at now: at least [lockout] deny
 * failures with at > now - fail_interval, the last one with at > now -
 * unlock_time. 0 when not (always with deny = 0), -ESRCH, -EIO. */
int um_lockout_is_locked(struct um_store *s, const char *name, time_t now);

struct um_lockout_status {
	unsigned failures;    /* failures within fail_interval */
	int64_t last_failure; /* unix seconds, 0 = none */
	bool locked;
	int64_t locked_until; /* unix seconds, 0 when not locked */
	/* When locked: "Your account is locked after too many failed login
	 * attempts. Try again in 10 minutes." (minutes rounded up), else "". */
	char message[160];
};
/* The same question with the numbers, for the auth phase and user show.
 * Returns 0, -ESRCH, -EIO. */
int um_lockout_status(struct um_store *s, const char *name, time_t now,
		      struct um_lockout_status *ret);

/* Records a failed attempt (rhost may be NULL) and prunes failures too old
 * to matter. Waits at most UM_LOGIN_BUSY_TIMEOUT_MS for a busy store, then
 * returns -EBUSY and records nothing: the caller logs and drops it, a
 * login never waits behind a long umctl transaction. Returns 0, -ESRCH,
 * -EBUSY, -EIO. */
int um_lockout_record_failure(struct um_store *s, const char *name, const char *service,
			      const char *rhost, time_t now);
/* Records a successful login (users.last_login_*), with the same short
 * wait and -EBUSY. With password_verified (a password or token was just
 * checked) the failures are cleared too; a login that proved nothing about
 * the password (an SSH key, su by root) leaves them, so it cannot hand a
 * password guesser fresh attempts. Returns 0, -ESRCH, -EBUSY, -EIO. */
int um_login_record_success(struct um_store *s, const char *name, const char *service,
			    const char *rhost, time_t now, bool password_verified);
/* umctl user unlock: deletes the failures (audited). Returns 0, -ESRCH,
 * -EBUSY, -EIO. */
int um_user_unlock(struct um_store *s, const char *name);

#endif

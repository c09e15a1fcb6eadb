/* SPDX-License-Identifier: MIT */
/*
 * pam_umgmt: the account phase (pam_acct_mgmt). It also runs for SSH
 * public-key logins, which never reach our auth: this is where access is
 * gated.
 *
 * In order: the name must be umgmt's; NSS must give it the store's uid
 * (the process about to be set up will run as what NSS says); then the
 * core decides (enabled, approved, absent, expired, service, a forced
 * password change), and a login with a one-time token must choose a new
 * password. Every refusal tells the user one sentence and logs why.
 */
#include <pwd.h>
#include <time.h>

#include "pam_umgmt.h"
#include "umgmt/account.h"
#include "umgmt/sentence.h"
#include "umgmt/user.h"

/* Every sentence the user reads is the core's (umgmt/sentence.h). */

/* Large enough for any sane passwd entry; grown on ERANGE up to this. */
#define PWBUF_MAX (1024 * 1024)

/*
 * Looks name up through NSS (getpwnam_r: the view every process of the
 * session will have) and compares its uid with uid. Returns 0 (the same),
 * -EPERM (another uid, *ret_nss_uid set), -ESRCH (NSS does not know the
 * name), -EIO (NSS failed), -ENOMEM.
 */
static int check_nss_uid(const char *name, uint32_t uid, uint32_t *ret_nss_uid)
{
	long hint = sysconf(_SC_GETPW_R_SIZE_MAX);
	size_t size = hint > 0 && hint < PWBUF_MAX ? (size_t)hint : 1024;

	for (;;) {
		_cleanup_free_ char *buf = malloc(size);
		struct passwd pw, *res = NULL;
		int e;

		if (!buf)
			return -ENOMEM;
		e = getpwnam_r(name, &pw, buf, size, &res);
		if (e == ERANGE && size < PWBUF_MAX) {
			size *= 2;
			continue;
		}
		/* POSIX lets "not found" come back as 0 with no result or as
		 * one of these. */
		if ((e == 0 && !res) || e == ENOENT || e == ESRCH)
			return -ESRCH;
		if (e != 0 || !res)
			return -EIO;
		if (pw.pw_uid != uid) {
			*ret_nss_uid = pw.pw_uid;
			return -EPERM;
		}
		return 0;
	}
}

static int verdict_code(enum um_verdict v)
{
	switch (v) {
	case UM_ALLOW:
		return PAM_SUCCESS;
	case UM_ALLOW_MUST_CHANGE:
		return PAM_NEW_AUTHTOK_REQD;
	case UM_DENY_EXPIRED:
		return PAM_ACCT_EXPIRED;
	case UM_DENY_DISABLED:
	case UM_DENY_PENDING:
	case UM_DENY_ABSENT:
	case UM_DENY_SERVICE:
		return PAM_PERM_DENIED;
	}
	/* A verdict this module does not know is a refusal. */
	return PAM_PERM_DENIED;
}

/* NSS and the store must agree on who the name is: a stale snapshot or
 * another directory's account with the same name never admits anyone. */
static int check_identity(struct umpam *ctx, const struct um_login_user *u)
{
	uint32_t nss_uid = 0;
	int err;

	err = check_nss_uid(ctx->user, u->uid, &nss_uid);
	switch (err) {
	case 0:
		return PAM_SUCCESS;
	case -EPERM:
		umpam_log(ctx, LOG_ERR,
			  "account of %s refused: uid mismatch between NSS and "
			  "store (NSS %u, store %u); service=%s rhost=%s",
			  ctx->user, nss_uid, u->uid, ctx->service, ctx->rhost);
		break;
	case -ESRCH:
		umpam_log(ctx, LOG_ERR,
			  "account of %s refused: uid mismatch between NSS and "
			  "store (NSS has no such user, store %u); service=%s rhost=%s",
			  ctx->user, u->uid, ctx->service, ctx->rhost);
		break;
	case -ENOMEM:
		return PAM_BUF_ERR;
	default:
		umpam_log(ctx, LOG_ERR,
			  "account of %s unavailable: NSS lookup failed; "
			  "service=%s rhost=%s",
			  ctx->user, ctx->service, ctx->rhost);
		return PAM_AUTHINFO_UNAVAIL;
	}
	umpam_say(ctx, PAM_ERROR_MSG, "%s", um_sentence(UM_SAY_UID_MISMATCH));
	return PAM_PERM_DENIED;
}

/*
 * May u log in now, on this service? Returns PAM_SUCCESS,
 * PAM_NEW_AUTHTOK_REQD, or the refusal's code, having told the user why
 * (umpam_say) and syslog the same.
 */
static int check_account(struct umpam *ctx, const struct um_login_user *u)
{
	struct um_account_decision d = {};
	int r, err;

	r = check_identity(ctx, u);
	if (r != PAM_SUCCESS)
		return r;

	err = um_account_decide(ctx->store, u, ctx->service_item, time(NULL), &d);
	r = umpam_code(ctx, err, UMPAM_STEP_LOOKUP);
	if (r != PAM_SUCCESS) {
		if (r != PAM_USER_UNKNOWN)
			umpam_log(ctx, LOG_ERR,
				  "account check unavailable: %s; service=%s "
				  "rhost=%s",
				  um_strerror(err), ctx->service, ctx->rhost);
		return r;
	}

	r = verdict_code(d.verdict);
	switch (r) {
	case PAM_SUCCESS:
		if (umpam_is_token_login(ctx)) {
			umpam_say(ctx, PAM_ERROR_MSG, "%s", um_sentence(UM_SAY_TOKEN_LOGIN));
			umpam_log(ctx, LOG_NOTICE,
				  "account of %s: new password required after "
				  "a one-time token login; service=%s rhost=%s",
				  ctx->user, ctx->service, ctx->rhost);
			return PAM_NEW_AUTHTOK_REQD;
		}
		umpam_debug(ctx, "account of %s is usable; service=%s rhost=%s", ctx->user,
			    ctx->service, ctx->rhost);
		return PAM_SUCCESS;
	case PAM_NEW_AUTHTOK_REQD:
		umpam_say(ctx, PAM_ERROR_MSG, "%s",
			  *d.message ? d.message : um_sentence(UM_SAY_MUST_CHANGE));
		umpam_log(ctx, LOG_NOTICE,
			  "account of %s: new password required: %s; "
			  "service=%s rhost=%s",
			  ctx->user, *d.reason ? d.reason : "password change enforced",
			  ctx->service, ctx->rhost);
		return r;
	default:
		if (*d.message)
			umpam_say(ctx, PAM_ERROR_MSG, "%s", d.message);
		umpam_log(ctx, LOG_NOTICE, "account of %s refused: %s; service=%s rhost=%s",
			  ctx->user, *d.reason ? d.reason : "refused by policy", ctx->service,
			  ctx->rhost);
		return r;
	}
}

UMPAM_EXPORT int pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	_cleanup_umpam_ struct umpam ctx = {};
	_cleanup_(um_login_user_clearp) struct um_login_user u = {};
	int r, err;

	r = umpam_begin(&ctx, pamh, UMPAM_ACCOUNT, flags, argc, argv);
	if (r != PAM_SUCCESS)
		return r;
	if (umpam_user_is_local(&ctx))
		return PAM_USER_UNKNOWN;

	r = umpam_open_store(&ctx, UM_STORE_READ);
	if (r != PAM_SUCCESS) {
		umpam_log(&ctx, LOG_ERR, "account check unavailable; service=%s rhost=%s",
			  ctx.service, ctx.rhost);
		return r;
	}

	err = um_user_resolve(ctx.store, ctx.user, &u);
	r = umpam_code(&ctx, err, UMPAM_STEP_LOOKUP);
	if (r == PAM_USER_UNKNOWN) {
		/* Every user of another directory passes here: not news. */
		umpam_debug(&ctx, "account check: not a umgmt user; service=%s", ctx.service);
		return r;
	}
	if (r != PAM_SUCCESS) {
		umpam_log(&ctx, LOG_ERR, "account check unavailable: %s; service=%s rhost=%s",
			  um_strerror(err), ctx.service, ctx.rhost);
		return r;
	}
	return check_account(&ctx, &u);
}

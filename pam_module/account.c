/* SPDX-License-Identifier: MIT */
/*
 * pam_umgmt: the account phase (pam_acct_mgmt). It also runs for SSH
 * public-key logins, which never reach our auth: this is where access is
 * gated.
 */
#include "pam_umgmt.h"
#include "umgmt/user.h"

/*
 * May u log in now, on this service? Returns PAM_SUCCESS or the denial's
 * code, having told the user why in one sentence (umpam_say) and syslog
 * the same. Today every umgmt user may; the checks of enabled, approved,
 * absence, service access and lockout go here, one after the other.
 */
static int check_account(struct umpam *ctx, const struct um_user *u)
{
	umpam_debug(ctx, "account of %s is usable; service=%s rhost=%s", u->name, ctx->service,
		    ctx->rhost);
	return PAM_SUCCESS;
}

UMPAM_EXPORT int pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	_cleanup_umpam_ struct umpam ctx = {};
	_cleanup_(um_user_freep) struct um_user *u = NULL;
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

	um_error_clear();
	err = um_user_get(ctx.store, ctx.user, &u);
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
	return check_account(&ctx, u);
}

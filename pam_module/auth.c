/* SPDX-License-Identifier: MIT */
/*
 * pam_umgmt: the auth phase (pam_authenticate, pam_setcred).
 */
#include "pam_umgmt.h"
#include "umgmt/user.h"

#define PASSWORD_PROMPT "Password: "

/*
 * The password to check, owned by PAM (the PAM_AUTHTOK item):
 *   use_first_pass  only the one an earlier module stored; none is a failure
 *   try_first_pass  the one an earlier module stored, else ask
 *   neither         ask, and store the answer for the modules after us
 */
static int get_password(struct umpam *ctx, const char **ret)
{
	_cleanup_secret_ char *answer = NULL;
	const void *item = NULL;
	int r;

	if (ctx->use_first_pass || ctx->try_first_pass) {
		r = pam_get_item(ctx->pamh, PAM_AUTHTOK, &item);
		if (r == PAM_SUCCESS && item) {
			*ret = item;
			return PAM_SUCCESS;
		}
		if (ctx->use_first_pass) {
			umpam_log(ctx, LOG_ERR, "use_first_pass: no password from an earlier "
				  "module; service=%s rhost=%s", ctx->service, ctx->rhost);
			return PAM_AUTH_ERR;
		}
	}

	r = umpam_ask_secret(ctx, PASSWORD_PROMPT, &answer);
	if (r != PAM_SUCCESS)
		return r;
	r = pam_set_item(ctx->pamh, PAM_AUTHTOK, answer);
	if (r != PAM_SUCCESS)
		return r;
	r = pam_get_item(ctx->pamh, PAM_AUTHTOK, &item);
	if (r != PAM_SUCCESS || !item)
		return PAM_SYSTEM_ERR;
	*ret = item;
	return PAM_SUCCESS;
}

UMPAM_EXPORT int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	_cleanup_umpam_ struct umpam ctx = {};
	const char *password = NULL;
	int r, err;

	r = umpam_begin(&ctx, pamh, UMPAM_AUTH, flags, argc, argv);
	if (r != PAM_SUCCESS)
		return r;
	if (umpam_user_is_local(&ctx))
		return PAM_USER_UNKNOWN;

	/* No point in collecting a secret we cannot check. */
	r = umpam_open_store(&ctx, UM_STORE_WRITE);
	if (r != PAM_SUCCESS) {
		umpam_log(&ctx, LOG_ERR, "authentication unavailable; service=%s rhost=%s",
			  ctx.service, ctx.rhost);
		return r;
	}

	r = get_password(&ctx, &password);
	if (r != PAM_SUCCESS)
		return r;

	/* The core spends the same Argon2id time on an unknown user and on
	 * a user without a password as on a wrong one. */
	um_error_clear();
	err = um_user_authenticate(ctx.store, ctx.user, password);
	r = umpam_code(&ctx, err, UMPAM_STEP_VERIFY);
	switch (r) {
	case PAM_SUCCESS:
		r = umpam_mark_authenticated(&ctx);
		if (r != PAM_SUCCESS)
			return r;
		umpam_log(&ctx, LOG_INFO, "authentication succeeded for %s; service=%s rhost=%s",
			  ctx.user, ctx.service, ctx.rhost);
		break;
	case PAM_AUTH_ERR:
		umpam_log(&ctx, LOG_NOTICE, "authentication failure for %s; service=%s rhost=%s",
			  ctx.user, ctx.service, ctx.rhost);
		break;
	case PAM_USER_UNKNOWN:
		/* The name may be a password typed into the wrong field. */
		umpam_log(&ctx, LOG_NOTICE, "authentication failure for an unknown user; "
			  "service=%s rhost=%s", ctx.service, ctx.rhost);
		break;
	default:
		umpam_log(&ctx, LOG_ERR, "authentication unavailable: %s; service=%s rhost=%s",
			  um_strerror(err), ctx.service, ctx.rhost);
		break;
	}
	return r;
}

/*
 * umgmt gives no credentials (no tickets, no keys), but sshd and login
 * treat a failing pam_setcred as fatal and Linux-PAM calls setcred of every
 * module that authenticate reached. So: PAM_SUCCESS for umgmt's users,
 * PAM_IGNORE for everyone else (it never changes the stack's result), and
 * PAM_CRED_UNAVAIL only when the store cannot say whose the user is.
 */
UMPAM_EXPORT int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	_cleanup_umpam_ struct umpam ctx = {};
	_cleanup_(um_user_freep) struct um_user *u = NULL;
	int r;

	r = umpam_begin(&ctx, pamh, UMPAM_SETCRED, flags, argc, argv);
	if (r != PAM_SUCCESS)
		return PAM_IGNORE;
	if (umpam_user_is_local(&ctx))
		return PAM_IGNORE;
	if (umpam_is_marked_authenticated(&ctx))
		return PAM_SUCCESS;

	/* Called without our authenticate (sshd after a public key). */
	r = umpam_open_store(&ctx, UM_STORE_READ);
	if (r != PAM_SUCCESS)
		return r;
	r = umpam_code(&ctx, um_user_get(ctx.store, ctx.user, &u), UMPAM_STEP_LOOKUP);
	if (r == PAM_USER_UNKNOWN)
		return PAM_IGNORE;
	return r;
}

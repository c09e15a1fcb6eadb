/* SPDX-License-Identifier: MIT */
/*
 * pam_umgmt: the auth phase (pam_authenticate, pam_setcred).
 *
 * The password is asked first, then the user's row is resolved (once: the
 * lockout, the verification, the token and the bookkeeping all take that
 * row), then the lockout is checked, then the password is verified and,
 * when it is wrong, tried as the user's one-time token. Failures count
 * towards the lockout; a success records the last login and forgets the
 * failures.
 */
#include <time.h>

#include "pam_umgmt.h"
#include "umgmt/lockout.h"
#include "umgmt/login.h"
#include "umgmt/password.h"
#include "umgmt/sentence.h"
#include "umgmt/token.h"
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
			umpam_log(ctx, LOG_ERR,
				  "use_first_pass: no password from an earlier "
				  "module; service=%s rhost=%s",
				  ctx->service, ctx->rhost);
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

/* A failed attempt counts towards the lockout. The store may be held by
 * a long umctl transaction: then the attempt is dropped (and logged)
 * rather than make the login wait. */
static void record_failure(struct umpam *ctx, const struct um_login_user *u, time_t now)
{
	int err;

	err = um_lockout_record_failure(ctx->store, u->id, ctx->service_item, ctx->rhost_item, now);
	if (err == -EBUSY)
		umpam_log(ctx, LOG_WARNING,
			  "failure not recorded: store busy; user=%s "
			  "service=%s rhost=%s",
			  ctx->user, ctx->service, ctx->rhost);
	else if (err < 0)
		umpam_log(ctx, LOG_ERR, "failure not recorded: %s; user=%s service=%s rhost=%s",
			  um_strerror(err), ctx->user, ctx->service, ctx->rhost);
}

/* The last login, and the failures forgotten; dropped when busy, too. */
static void record_success(struct umpam *ctx, const struct um_login_user *u, time_t now)
{
	int err;

	err = um_login_record_success(ctx->store, u->id, ctx->service_item, ctx->rhost_item, now,
				      true);
	if (err == -EBUSY)
		umpam_log(ctx, LOG_WARNING,
			  "last login not recorded: store busy; user=%s "
			  "service=%s rhost=%s",
			  ctx->user, ctx->service, ctx->rhost);
	else if (err < 0)
		umpam_log(ctx, LOG_ERR,
			  "last login not recorded: %s; user=%s service=%s "
			  "rhost=%s",
			  um_strerror(err), ctx->user, ctx->service, ctx->rhost);
}

/*
 * Checks password for user u: the password itself, else the user's
 * one-time token (accepted in its place once: *ret_token is set). Returns
 * 0, or the core errno of the password check (-EACCES, ...).
 */
static int verify(struct umpam *ctx, const struct um_login_user *u, const char *password,
		  bool *ret_token)
{
	int err, terr;

	*ret_token = false;
	err = um_user_verify(ctx->store, u, password);
	if (err != -EACCES)
		return err;
	terr = um_token_check(ctx->store, u->id, password);
	if (terr == 0) {
		*ret_token = true;
		return 0;
	}
	if (terr != -EACCES)
		umpam_log(ctx, LOG_ERR,
			  "cannot check for a one-time token: %s; service=%s "
			  "rhost=%s",
			  um_strerror(terr), ctx->service, ctx->rhost);
	return err;
}

UMPAM_EXPORT int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	_cleanup_umpam_ struct umpam ctx = {};
	_cleanup_(um_login_user_clearp) struct um_login_user u = {};
	struct um_lockout_status lock = {};
	const char *password = NULL;
	bool token = false;
	time_t now;
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

	/* Asked before anything is looked up: the prompts never tell
	 * whether the name exists or is locked. */
	r = get_password(&ctx, &password);
	if (r != PAM_SUCCESS)
		return r;

	/* One look at the user's row, for everything below. An unknown name
	 * costs the same Argon2id work as a wrong password. */
	err = um_user_resolve(ctx.store, ctx.user, &u);
	if (err == -ESRCH) {
		um_password_dummy_verify(ctx.config, password);
		/* ... and the token look-up a wrong password gets (row id 0 is
		 * nobody's). */
		(void)!um_token_check(ctx.store, 0, password);
		/* The name may be a password typed into the wrong field. */
		umpam_log(&ctx, LOG_NOTICE,
			  "authentication failure for an unknown user; "
			  "service=%s rhost=%s",
			  ctx.service, ctx.rhost);
		return PAM_USER_UNKNOWN;
	}

	/* The lock is checked before the password: a locked account refuses
	 * even the right one, so a guesser learns nothing. The same Argon2id
	 * work is spent all the same. */
	now = time(NULL);
	if (err == 0)
		err = um_lockout_status(ctx.store, u.id, now, &lock);
	if (err < 0 || lock.locked) {
		um_password_dummy_verify(ctx.config, password);
		if (err == 0) {
			umpam_say(&ctx, PAM_ERROR_MSG, "%s",
				  *lock.message ? lock.message : um_sentence(UM_SAY_LOCKED));
			umpam_log(&ctx, LOG_NOTICE,
				  "authentication refused for %s: account locked "
				  "after %u failures; service=%s rhost=%s",
				  ctx.user, lock.failures, ctx.service, ctx.rhost);
			return PAM_AUTH_ERR;
		}
		umpam_log(&ctx, LOG_ERR, "authentication unavailable: %s; service=%s rhost=%s",
			  um_strerror(err), ctx.service, ctx.rhost);
		return umpam_code(&ctx, err, UMPAM_STEP_STORE);
	}

	/* The core spends the same Argon2id time on a user without a
	 * password as on a wrong one. */
	err = verify(&ctx, &u, password, &token);
	r = umpam_code(&ctx, err, UMPAM_STEP_VERIFY);
	switch (r) {
	case PAM_SUCCESS:
		r = umpam_mark_authenticated(&ctx);
		if (r == PAM_SUCCESS && token)
			r = umpam_mark_token_login(&ctx);
		else if (r == PAM_SUCCESS)
			umpam_clear_token_login(&ctx); /* from an earlier auth */
		if (r != PAM_SUCCESS)
			return r;
		record_success(&ctx, &u, now);
		umpam_log(&ctx, LOG_INFO, "authentication succeeded for %s%s; service=%s rhost=%s",
			  ctx.user, token ? " with a one-time token" : "", ctx.service, ctx.rhost);
		break;
	case PAM_AUTH_ERR:
		umpam_log(&ctx, LOG_NOTICE, "authentication failure for %s; service=%s rhost=%s",
			  ctx.user, ctx.service, ctx.rhost);
		record_failure(&ctx, &u, now);
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
	_cleanup_(um_login_user_clearp) struct um_login_user u = {};
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
	r = umpam_code(&ctx, um_user_resolve(ctx.store, ctx.user, &u), UMPAM_STEP_LOOKUP);
	if (r == PAM_USER_UNKNOWN)
		return PAM_IGNORE;
	return r;
}

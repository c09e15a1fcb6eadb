/* SPDX-License-Identifier: MIT */
/*
 * pam_umgmt: the password phase (pam_chauthtok).
 *
 * In the Debian stack pam_unix stands before us; for a user it does not
 * know (one that NSS serves from umgmt) it answers PAM_USER_UNKNOWN without
 * asking anything, so we ask ourselves: the current password (unless root
 * calls), the new one and its retype, with pam_unix's own words. Like
 * pam_unix we print nothing on success: passwd(1) says it.
 *
 * After a login with a one-time token (auth's marker) the current password
 * is not asked, and a valid token is accepted as the current password: the
 * new one replaces the token (um_token_redeem()). A
 * forced change (umctl user passwd --expire: account answered
 * PAM_NEW_AUTHTOK_REQD, the application calls us with
 * PAM_CHANGE_EXPIRED_AUTHTOK) asks the current password even of a root
 * caller, as pam_unix does, and storing the new one lifts the flag.
 */
#include "pam_umgmt.h"
#include "umgmt/password.h"
#include "umgmt/sentence.h"
#include "umgmt/token.h"
#include "umgmt/user.h"

#define CURRENT_PROMPT "Current password: "
#define NEW_PROMPT "New password: "
#define RETYPE_PROMPT "Retype new password: "

/* Root changes anyone's password without knowing it, as with pam_unix;
 * but a login forcing an expired password to change (sshd runs as root)
 * asks for the current one. */
static bool caller_is_root(const struct umpam *ctx)
{
	return getuid() == 0 && !(ctx->flags & PAM_CHANGE_EXPIRED_AUTHTOK);
}

/* item's value (owned by PAM) when an earlier module set it; otherwise
 * asks with prompt and stores the answer there for later modules. */
static int get_item_or_ask(struct umpam *ctx, int item, const char *prompt, const char **ret)
{
	_cleanup_secret_ char *answer = NULL;
	const void *v = NULL;
	int r;

	r = pam_get_item(ctx->pamh, item, &v);
	if (r == PAM_SUCCESS && v) {
		*ret = v;
		return PAM_SUCCESS;
	}
	r = umpam_ask_secret(ctx, prompt, &answer);
	if (r != PAM_SUCCESS)
		return r;
	r = pam_set_item(ctx->pamh, item, answer);
	if (r != PAM_SUCCESS)
		return r;
	r = pam_get_item(ctx->pamh, item, &v);
	if (r != PAM_SUCCESS || !v)
		return PAM_SYSTEM_ERR;
	*ret = v;
	return PAM_SUCCESS;
}

/* The new password: PAM_AUTHTOK when an earlier module set it (it has
 * asked and compared already), else asked twice here. */
static int get_new_password(struct umpam *ctx, const char **ret)
{
	_cleanup_secret_ char *first = NULL;
	_cleanup_secret_ char *second = NULL;
	const void *v = NULL;
	int r;

	r = pam_get_item(ctx->pamh, PAM_AUTHTOK, &v);
	if (r == PAM_SUCCESS && v) {
		*ret = v;
		return PAM_SUCCESS;
	}

	r = umpam_ask_secret(ctx, NEW_PROMPT, &first);
	if (r == PAM_SUCCESS)
		r = umpam_ask_secret(ctx, RETYPE_PROMPT, &second);
	if (r != PAM_SUCCESS)
		return r == PAM_BUF_ERR ? r : PAM_AUTHTOK_ERR;
	if (strcmp(first, second) != 0) {
		umpam_say(ctx, PAM_ERROR_MSG, "%s", um_sentence(UM_SAY_PASSWORDS_DIFFER));
		return PAM_AUTHTOK_ERR;
	}

	r = pam_set_item(ctx->pamh, PAM_AUTHTOK, first);
	if (r != PAM_SUCCESS)
		return r;
	r = pam_get_item(ctx->pamh, PAM_AUTHTOK, &v);
	if (r != PAM_SUCCESS || !v)
		return PAM_SYSTEM_ERR;
	*ret = v;
	return PAM_SUCCESS;
}

/* Is the user ours, and the store usable? Nothing is asked. */
static int prelim_check(struct umpam *ctx)
{
	_cleanup_(um_login_user_clearp) struct um_login_user u = {};
	int r;

	r = umpam_open_store(ctx, UM_STORE_READ);
	if (r != PAM_SUCCESS)
		return r;
	r = umpam_code(ctx, um_user_resolve(ctx->store, ctx->user, &u), UMPAM_STEP_LOOKUP);
	if (r == PAM_USER_UNKNOWN)
		umpam_debug(ctx, "password: not a umgmt user");
	return r;
}

/* Tells the user why the new password was not stored, and logs it. */
static void report_failure(struct umpam *ctx, const char *name, int err)
{
	switch (err) {
	case -EINVAL:
		umpam_say(ctx, PAM_ERROR_MSG, "%s", um_error_text(err));
		umpam_log(ctx, LOG_NOTICE,
			  "password change for %s refused by the policy; "
			  "service=%s",
			  name, ctx->service);
		break;
	case -EBUSY:
		umpam_say(ctx, PAM_ERROR_MSG, "%s", um_sentence(UM_SAY_BUSY));
		umpam_log(ctx, LOG_WARNING,
			  "cannot change the password of %s: store busy; "
			  "service=%s",
			  name, ctx->service);
		break;
	default:
		umpam_log(ctx, LOG_ERR, "cannot change the password of %s: %s; service=%s", name,
			  um_strerror(err), ctx->service);
		break;
	}
}

/*
 * After a login with a one-time token, or with the token given as the
 * current password: the token is the proof; the new password is stored
 * and the token burnt in one transaction. A burn is never dropped: if the store stays busy the
 * change fails and the user is told to try again.
 */
static int redeem_token(struct umpam *ctx)
{
	const char *new = NULL;
	int r, err;

	r = get_new_password(ctx, &new);
	if (r != PAM_SUCCESS)
		return r;

	err = um_password_check_policy(um_store_config(ctx->store), ctx->user, new);
	if (err == 0) {
		err = um_token_redeem(ctx->store, ctx->user, new);
	}
	r = umpam_code(ctx, err, UMPAM_STEP_SET_PASSWORD);
	if (err == -EACCES) {
		umpam_say(ctx, PAM_ERROR_MSG, "%s", um_sentence(UM_SAY_TOKEN_GONE));
		umpam_log(ctx, LOG_NOTICE,
			  "password change for %s refused: the one-time token "
			  "is no longer valid; service=%s rhost=%s",
			  ctx->user, ctx->service, ctx->rhost);
		umpam_clear_token_login(ctx);
	} else if (r != PAM_SUCCESS) {
		report_failure(ctx, ctx->user, err);
	} else {
		umpam_clear_token_login(ctx);
		umpam_log(ctx, LOG_NOTICE,
			  "password set for %s with a one-time token; "
			  "service=%s rhost=%s",
			  ctx->user, ctx->service, ctx->rhost);
	}
	return r;
}

static int update_password(struct umpam *ctx)
{
	_cleanup_(um_login_user_clearp) struct um_login_user u = {};
	const char *old = NULL, *new = NULL;
	int r, err;

	r = umpam_open_store(ctx, UM_STORE_WRITE);
	if (r != PAM_SUCCESS)
		return r;
	err = um_user_resolve(ctx->store, ctx->user, &u);
	r = umpam_code(ctx, err, UMPAM_STEP_LOOKUP);
	if (r == PAM_USER_UNKNOWN)
		umpam_debug(ctx, "password: not a umgmt user");
	if (r != PAM_SUCCESS)
		return r;

	if (umpam_is_token_login(ctx))
		return redeem_token(ctx);

	if (!caller_is_root(ctx)) {
		r = get_item_or_ask(ctx, PAM_OLDAUTHTOK, CURRENT_PROMPT, &old);
		if (r != PAM_SUCCESS)
			return r;
		err = um_user_verify(ctx->store, &u, old);
		/* The one-time token stands for the current password here too:
		 * sshd's password method does not change an expired password
		 * in the login's PAM handle but runs passwd(1) as the user,
		 * which knows nothing of our marker. */
		if (err == -EACCES && um_token_check(ctx->store, u.id, old) == 0)
			return redeem_token(ctx);
		r = umpam_code(ctx, err, UMPAM_STEP_VERIFY);
		if (r != PAM_SUCCESS) {
			umpam_log(ctx, LOG_NOTICE,
				  "password change for %s refused: %s; "
				  "service=%s",
				  ctx->user,
				  r == PAM_AUTH_ERR ? "wrong current password" : um_strerror(err),
				  ctx->service);
			return r;
		}
	}

	r = get_new_password(ctx, &new);
	if (r != PAM_SUCCESS)
		return r;

	/* The core checks the policy again when it stores; asking first
	 * keeps "the password is refused" apart from "it could not be
	 * stored". Storing it also lifts a forced change
	 * (umctl user passwd --expire). */
	err = um_password_check_policy(um_store_config(ctx->store), ctx->user, new);
	if (err == 0) {
		err = um_user_set_password(ctx->store, ctx->user, new);
	}
	r = umpam_code(ctx, err, UMPAM_STEP_SET_PASSWORD);
	if (r != PAM_SUCCESS)
		report_failure(ctx, ctx->user, err);
	else
		umpam_log(ctx, LOG_NOTICE, "password changed for %s; service=%s rhost=%s",
			  ctx->user, ctx->service, ctx->rhost);
	return r;
}

UMPAM_EXPORT int pam_sm_chauthtok(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	_cleanup_umpam_ struct umpam ctx = {};
	int r;

	r = umpam_begin(&ctx, pamh, UMPAM_PASSWORD, flags, argc, argv);
	if (r != PAM_SUCCESS)
		return r;
	if (umpam_user_is_local(&ctx))
		return PAM_USER_UNKNOWN;

	if (flags & PAM_PRELIM_CHECK)
		return prelim_check(&ctx);
	if (flags & PAM_UPDATE_AUTHTOK)
		return update_password(&ctx);
	umpam_log(&ctx, LOG_ERR, "pam_chauthtok called without PRELIM_CHECK or UPDATE_AUTHTOK");
	return PAM_SERVICE_ERR;
}

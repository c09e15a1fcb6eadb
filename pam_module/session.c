/* SPDX-License-Identifier: MIT */
/*
 * pam_umgmt: the session phase (pam_open_session, pam_close_session).
 * Home directories belong to pam_mkhomedir.
 *
 * The last login is recorded by our auth when it verified the password or
 * token (a success there also forgets the failed attempts); a session
 * opened without it (sshd after a public key, su by root) records it here,
 * so that every way in shows up in `umctl user show`.
 */
#include <time.h>

#include "pam_umgmt.h"
#include "umgmt/login.h"
#include "umgmt/user.h"

/* Like auth's: a busy store drops the record rather than hold the login. */
static void record_login(struct umpam *ctx, int64_t user_id)
{
	int err;

	/* Not verified by our auth (an SSH key, su by root): the failures
	 * stay, so a key login cannot reset a password guesser's count. */
	err = um_login_record_success(ctx->store, user_id, ctx->service_item, ctx->rhost_item,
				      time(NULL), false);
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

/* PAM_SUCCESS for umgmt's users, PAM_IGNORE for everyone else, the
 * phase's error code when the store cannot tell. */
static int session(pam_handle_t *pamh, int flags, int argc, const char **argv, bool opening)
{
	_cleanup_umpam_ struct umpam ctx = {};
	_cleanup_(um_login_user_clearp) struct um_login_user u = {};
	int r, err;

	r = umpam_begin(&ctx, pamh, UMPAM_SESSION, flags, argc, argv);
	if (r != PAM_SUCCESS)
		return PAM_IGNORE;
	if (umpam_user_is_local(&ctx))
		return PAM_IGNORE;

	r = umpam_open_store(&ctx, opening ? UM_STORE_WRITE : UM_STORE_READ);
	if (r != PAM_SUCCESS)
		return r;
	err = um_user_resolve(ctx.store, ctx.user, &u);
	r = umpam_code(&ctx, err, UMPAM_STEP_LOOKUP);
	if (r == PAM_USER_UNKNOWN)
		return PAM_IGNORE;
	if (r != PAM_SUCCESS) {
		umpam_log(&ctx, LOG_ERR, "cannot %s the session: %s; service=%s",
			  opening ? "open" : "close", um_strerror(err), ctx.service);
		return r;
	}
	if (opening && !umpam_is_marked_authenticated(&ctx))
		record_login(&ctx, u.id);
	umpam_debug(&ctx, "session %s for %s; service=%s rhost=%s", opening ? "opened" : "closed",
		    ctx.user, ctx.service, ctx.rhost);
	return PAM_SUCCESS;
}

UMPAM_EXPORT int pam_sm_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	return session(pamh, flags, argc, argv, true);
}

UMPAM_EXPORT int pam_sm_close_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	return session(pamh, flags, argc, argv, false);
}

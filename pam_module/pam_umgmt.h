/* SPDX-License-Identifier: MIT */
/*
 * pam_umgmt: what the four phase files share (implemented in common.c).
 *
 * Each entry point fills a struct umpam with umpam_begin(), answers for
 * local users without touching the store, opens config and store for the
 * length of the call with umpam_open_store(), and lets the cleanup
 * attribute close everything on every return path. Every PAM code that
 * comes from a core errno is produced by umpam_code(), the one mapping.
 */
#ifndef PAM_UMGMT_H
#define PAM_UMGMT_H

#include <security/pam_modules.h>
#include <security/pam_ext.h>
#include <syslog.h>

#include "umgmt/common.h"
#include "umgmt/config.h"
#include "umgmt/store.h"

/* The module is built with -fvisibility=hidden; only the pam_sm_*
 * entry points carry this (and the version script lists only them). */
#define UMPAM_EXPORT __attribute__((visibility("default")))

#define UMPAM_DATA_AUTHENTICATED "pam_umgmt:authenticated"
/* Left by auth when the user gave a one-time token instead of a password:
 * account then answers PAM_NEW_AUTHTOK_REQD and the password phase
 * redeems the token instead of asking the current password. */
#define UMPAM_DATA_TOKEN_LOGIN "pam_umgmt:token_login"

/* Which PAM call is running: the same errno means different PAM codes in
 * different phases (a store failure is PAM_AUTHINFO_UNAVAIL in auth but
 * PAM_SESSION_ERR in a session call). */
enum umpam_phase {
	UMPAM_AUTH,
	UMPAM_SETCRED,
	UMPAM_ACCOUNT,
	UMPAM_PASSWORD,
	UMPAM_SESSION,
};

/* What the failing core call was doing: -EACCES is an untrusted file when
 * opening the store, but a wrong password when verifying one. */
enum umpam_step {
	UMPAM_STEP_STORE,	 /* um_config_load(), um_store_open() */
	UMPAM_STEP_LOOKUP,	 /* um_user_resolve(), um_account_decide() */
	UMPAM_STEP_VERIFY,	 /* um_user_verify(), um_token_check() */
	UMPAM_STEP_SET_PASSWORD, /* um_password_check_policy(), um_user_set_password(),
	                          * um_token_redeem() */
};

struct umpam {
	pam_handle_t *pamh;
	enum umpam_phase phase;
	int flags; /* the PAM flags of this call */
	bool debug;
	bool use_first_pass;
	bool try_first_pass;
	const char *config_path;  /* config=FILE (points into argv), NULL: default */
	const char *user;	  /* PAM_USER, owned by PAM */
	const char *service;	  /* PAM_SERVICE, "?" when unset: for logs */
	const char *rhost;	  /* PAM_RHOST, "?" when unset: for logs */
	const char *service_item; /* PAM_SERVICE as set, "" when unset: for the core */
	const char *rhost_item;	  /* PAM_RHOST as set, NULL when unset: for the core */
	struct um_config *config;
	struct um_store *store;
};

/*
 * Parses the module arguments (unknown ones are logged and ignored) and
 * gets PAM_USER (pam_get_user() may prompt for it). Returns PAM_SUCCESS,
 * PAM_USER_UNKNOWN for an empty name, or pam_get_user()'s failure code.
 * ctx must be released with umpam_end() whatever this returns.
 */
int umpam_begin(struct umpam *ctx, pam_handle_t *pamh, enum umpam_phase phase, int flags, int argc,
		const char **argv);

/* Closes the store and frees the config; safe on a zeroed ctx. */
void umpam_end(struct umpam *ctx);
static inline void umpam_endp(struct umpam *ctx)
{
	umpam_end(ctx);
}
#define _cleanup_umpam_ _cleanup_(umpam_endp)

/* True when /etc/passwd holds the user: such a name is never umgmt's and
 * is answered without opening the store (so root logs in even when the
 * store is broken). */
bool umpam_user_is_local(struct umpam *ctx);

/*
 * Loads the config and opens the store (flags as um_store_open()), with
 * "pam:<service>" as the audit actor. Failures are logged. Returns
 * PAM_SUCCESS or the phase's code for an unusable store or config.
 */
int umpam_open_store(struct umpam *ctx, int flags);

/* The one errno -> PAM code mapping. err 0 is PAM_SUCCESS. */
int umpam_code(const struct umpam *ctx, int err, enum umpam_step step);

/* syslog through pam_syslog (authpriv); debug messages only with "debug". */
void umpam_log(const struct umpam *ctx, int priority, const char *fmt, ...) _printf_(3, 4);
#define umpam_debug(ctx, ...)                                                                      \
	do {                                                                                       \
		if ((ctx)->debug)                                                                  \
			umpam_log(ctx, LOG_DEBUG, __VA_ARGS__);                                    \
	} while (0)

/* Shows the user one message (PAM_ERROR_MSG or PAM_TEXT_INFO), unless the
 * application passed PAM_SILENT. */
void umpam_say(const struct umpam *ctx, int style, const char *fmt, ...) _printf_(3, 4);

/*
 * Asks the user for a secret without echo. Returns PAM_SUCCESS and the
 * answer in *ret (wipe and free with um_secret_free()), PAM_CONV_ERR when
 * the conversation fails or gives no answer, PAM_BUF_ERR.
 */
int umpam_ask_secret(const struct umpam *ctx, const char *prompt, char **ret);

/* The "authenticated" marker auth leaves for setcred and session
 * (pam_set_data), naming the user it is for. */
int umpam_mark_authenticated(struct umpam *ctx);
bool umpam_is_marked_authenticated(struct umpam *ctx);

/* The "logged in with a one-time token" marker auth leaves for account and
 * password; cleared once the token is redeemed. */
int umpam_mark_token_login(struct umpam *ctx);
bool umpam_is_token_login(struct umpam *ctx);
void umpam_clear_token_login(struct umpam *ctx);

#endif

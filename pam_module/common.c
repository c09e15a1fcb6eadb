/* SPDX-License-Identifier: MIT */
/*
 * pam_umgmt: argument parsing, the errno -> PAM code mapping, config and
 * store opening, logging and conversation helpers shared by the phases.
 */
#include <stdarg.h>

#include "pam_umgmt.h"
#include "umgmt/local.h"

static const char *item_or(pam_handle_t *pamh, int item, const char *fallback)
{
	const void *v = NULL;

	if (pam_get_item(pamh, item, &v) != PAM_SUCCESS || !v || !*(const char *)v)
		return fallback;
	return v;
}

static void parse_args(struct umpam *ctx, int argc, const char **argv)
{
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (!a)
			continue;
		if (strcmp(a, "debug") == 0)
			ctx->debug = true;
		else if (strcmp(a, "use_first_pass") == 0)
			ctx->use_first_pass = true;
		else if (strcmp(a, "try_first_pass") == 0)
			ctx->try_first_pass = true;
		else if (strncmp(a, "config=", 7) == 0)
			ctx->config_path = a + 7;
		else
			pam_syslog(ctx->pamh, LOG_ERR, "ignoring unknown option: %s", a);
	}
}

int umpam_begin(struct umpam *ctx, pam_handle_t *pamh, enum umpam_phase phase, int flags, int argc,
		const char **argv)
{
	const char *user = NULL;
	int r;

	*ctx = (struct umpam){ .pamh = pamh, .phase = phase, .flags = flags };
	parse_args(ctx, argc, argv);
	ctx->service = item_or(pamh, PAM_SERVICE, "?");
	ctx->rhost = item_or(pamh, PAM_RHOST, "?");
	ctx->service_item = item_or(pamh, PAM_SERVICE, "");
	ctx->rhost_item = item_or(pamh, PAM_RHOST, NULL);

	r = pam_get_user(pamh, &user, NULL);
	if (r != PAM_SUCCESS) {
		umpam_log(ctx, LOG_ERR, "cannot determine the user name: %s",
			  pam_strerror(pamh, r));
		return r == PAM_CONV_AGAIN ? PAM_INCOMPLETE : r;
	}
	if (!user || !*user)
		return PAM_USER_UNKNOWN;
	ctx->user = user;
	return PAM_SUCCESS;
}

void umpam_end(struct umpam *ctx)
{
	um_store_close(ctx->store);
	ctx->store = NULL;
	um_config_free(ctx->config);
	ctx->config = NULL;
}

bool umpam_user_is_local(struct umpam *ctx)
{
	if (!um_local_user_exists(ctx->user))
		return false;
	/* A local name is public (/etc/passwd is world-readable): it may be
	 * logged, unlike a name that is nobody's. */
	umpam_debug(ctx, "%s is a local user, not umgmt's", ctx->user);
	return true;
}

int umpam_open_store(struct umpam *ctx, int flags)
{
	_cleanup_free_ char *actor = NULL;
	int r;

	if (ctx->config_path && !*ctx->config_path) {
		umpam_log(ctx, LOG_ERR, "option config= needs a file name");
		return umpam_code(ctx, -EINVAL, UMPAM_STEP_STORE);
	}

	r = um_config_load(ctx->config_path, &ctx->config);
	if (r < 0) {
		umpam_log(ctx, LOG_ERR, "cannot load configuration %s: %s",
			  ctx->config_path ? ctx->config_path : UM_CONFIG_PATH, um_error_text(r));
		return umpam_code(ctx, r, UMPAM_STEP_STORE);
	}

	r = um_store_open(ctx->config, flags | UM_STORE_LOGIN, &ctx->store);
	if (r < 0) {
		umpam_log(ctx, LOG_ERR, "cannot open the store in %s: %s", ctx->config->store_dir,
			  um_error_text(r));
		return umpam_code(ctx, r, UMPAM_STEP_STORE);
	}

	actor = um_asprintf("pam:%s", ctx->service);
	if (!actor)
		return umpam_code(ctx, -ENOMEM, UMPAM_STEP_STORE);
	r = um_store_set_actor(ctx->store, actor);
	if (r < 0)
		return umpam_code(ctx, r, UMPAM_STEP_STORE);
	return PAM_SUCCESS;
}

/*
 * The one place where a core errno becomes a PAM code. Whatever the core
 * answers that is not explicitly an answer about the user (no such user,
 * wrong password, refused password) means the store or config cannot be
 * used: that is never success, and it is the phase's "unavailable" code.
 */
int umpam_code(const struct umpam *ctx, int err, enum umpam_step step)
{
	if (err >= 0)
		return PAM_SUCCESS;
	if (err == -ENOMEM)
		return PAM_BUF_ERR;

	switch (step) {
	case UMPAM_STEP_STORE:
		break;
	case UMPAM_STEP_LOOKUP:
		if (err == -ESRCH)
			return PAM_USER_UNKNOWN;
		break;
	case UMPAM_STEP_VERIFY:
		if (err == -ESRCH)
			return PAM_USER_UNKNOWN;
		/* -EINVAL: a password the core will not even hash (too
		 * long) cannot be the right one. */
		if (err == -EACCES || err == -EINVAL)
			return PAM_AUTH_ERR;
		break;
	case UMPAM_STEP_SET_PASSWORD:
		if (err == -ESRCH)
			return PAM_USER_UNKNOWN;
		if (err == -EBUSY)
			return PAM_AUTHTOK_LOCK_BUSY;
		/* -EINVAL (policy) and every failure to write the new hash */
		return PAM_AUTHTOK_ERR;
	}

	switch (ctx->phase) {
	case UMPAM_SETCRED:
		return PAM_CRED_UNAVAIL;
	case UMPAM_SESSION:
		return PAM_SESSION_ERR;
	case UMPAM_PASSWORD:
		if (err == -EBUSY)
			return PAM_AUTHTOK_LOCK_BUSY;
		return PAM_AUTHINFO_UNAVAIL;
	case UMPAM_AUTH:
	case UMPAM_ACCOUNT:
		break;
	}
	return PAM_AUTHINFO_UNAVAIL;
}

void umpam_log(const struct umpam *ctx, int priority, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pam_vsyslog(ctx->pamh, priority, fmt, ap);
	va_end(ap);
}

void umpam_say(const struct umpam *ctx, int style, const char *fmt, ...)
{
	va_list ap;

	if (ctx->flags & PAM_SILENT)
		return;
	va_start(ap, fmt);
	/* A failing conversation cannot be reported any better than by the
	 * result code the caller returns anyway. */
	(void)pam_vprompt(ctx->pamh, style, NULL, fmt, ap);
	va_end(ap);
}

int umpam_ask_secret(const struct umpam *ctx, const char *prompt, char **ret)
{
	char *resp = NULL;
	int r;

	r = pam_prompt(ctx->pamh, PAM_PROMPT_ECHO_OFF, &resp, "%s", prompt);
	if (r != PAM_SUCCESS || !resp) {
		um_secret_free(resp);
		if (r == PAM_BUF_ERR)
			return r;
		return PAM_CONV_ERR;
	}
	*ret = resp;
	return PAM_SUCCESS;
}

static void free_data(pam_handle_t *pamh _unused_, void *data, int error_status _unused_)
{
	free(data);
}

/* Both markers hold the name they were set for. */
static int mark(struct umpam *ctx, const char *key)
{
	char *copy = um_strdup(ctx->user);
	int r;

	if (!copy)
		return PAM_BUF_ERR;
	r = pam_set_data(ctx->pamh, key, copy, free_data);
	if (r != PAM_SUCCESS)
		free(copy);
	return r;
}

static bool is_marked(struct umpam *ctx, const char *key)
{
	const void *data = NULL;

	if (pam_get_data(ctx->pamh, key, &data) != PAM_SUCCESS || !data)
		return false;
	/* A later module may have changed PAM_USER since. */
	return strcmp(data, ctx->user) == 0;
}

int umpam_mark_authenticated(struct umpam *ctx)
{
	return mark(ctx, UMPAM_DATA_AUTHENTICATED);
}

bool umpam_is_marked_authenticated(struct umpam *ctx)
{
	return is_marked(ctx, UMPAM_DATA_AUTHENTICATED);
}

int umpam_mark_token_login(struct umpam *ctx)
{
	return mark(ctx, UMPAM_DATA_TOKEN_LOGIN);
}

bool umpam_is_token_login(struct umpam *ctx)
{
	return is_marked(ctx, UMPAM_DATA_TOKEN_LOGIN);
}

void umpam_clear_token_login(struct umpam *ctx)
{
	/* Replacing the data runs free_data on the old copy. */
	(void)pam_set_data(ctx->pamh, UMPAM_DATA_TOKEN_LOGIN, NULL, NULL);
}

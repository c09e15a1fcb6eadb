/* SPDX-License-Identifier: MIT */
/* umctl: the user verbs (the login policy ones are in policy.c). */
#include <time.h>

#include "umgmt/validate.h"

#include "umctl.h"

static const char *const user_columns[] = { "name", "uid", "gid", "kind", "full_name", NULL };
static const char *const pending_columns[] = { "name", "uid", "kind", "full_name", "created_at",
					       NULL };
static const char *const absent_columns[] = { "name", "uid", "full_name", "absent_until", NULL };

/* Every field of a user, in the order of docs/umctl.md. */
static void emit_user(const struct um_user *u)
{
	out_str("name", u->name);
	out_u64("uid", u->uid);
	out_u64("gid", u->gid);
	out_str("group", u->group);
	out_str("kind", um_user_kind_to_string(u->kind));
	out_str("full_name", u->full_name ? u->full_name : "");
	out_str("email", u->email);
	out_str("home", u->home);
	out_str("shell", u->shell);
	out_bool("enabled", u->enabled);
	out_bool("approved", u->approved);
	out_bool("has_password", u->has_password);
	out_time("created_at", u->created_at);
	out_time("updated_at", u->updated_at);
	out_time("password_changed_at", u->password_changed_at);
	out_strv("groups", u->groups, u->n_groups);
	out_str("expires_on", u->expires_on);
	out_bool("must_change_password", u->must_change_password);
	if (u->last_login_at) {
		out_object_begin("last_login");
		out_time("at", u->last_login_at);
		out_str("service", u->last_login_service);
		/* "" in the store: a local login (no PAM_RHOST) */
		out_str("host", u->last_login_host && *u->last_login_host ? u->last_login_host :
									      NULL);
		out_object_end();
	} else {
		out_time("last_login", 0);
	}
}

/*
 * Checks and fills the fields of spec that the options set, the ones
 * common to add and edit. Returns 0 or an exit code after printing
 * "cannot <what>: reason".
 */
static int fill_spec(struct umctl_cmd *cmd, struct um_user_spec *spec, const char *what)
{
	const char *v;
	int r;

	spec->full_name = umctl_opt(cmd, "full-name");
	if (spec->full_name && (r = um_check_gecos(spec->full_name)) < 0)
		return umctl_fail(r, "%s", what);
	spec->email = umctl_opt(cmd, "email");
	if (spec->email && (r = um_check_email(spec->email)) < 0)
		return umctl_fail(r, "%s", what);
	spec->home = umctl_opt(cmd, "home");
	if (spec->home && (r = um_check_path("home directory", spec->home)) < 0)
		return umctl_fail(r, "%s", what);
	spec->shell = umctl_opt(cmd, "shell");
	if (spec->shell && (r = um_check_path("shell", spec->shell)) < 0)
		return umctl_fail(r, "%s", what);
	spec->group = umctl_opt(cmd, "group");
	if (spec->group && (r = um_check_name("group name", spec->group)) < 0)
		return umctl_fail(r, "%s", what);
	v = umctl_opt(cmd, "kind");
	if (v) {
		spec->kind = um_user_kind_from_string(v);
		if (spec->kind < 0)
			return umctl_fail_code(UMCTL_EX_DATAERR, what,
					       "unknown kind '%s' (person, robot or customer)", v);
	}
	return 0;
}

int umctl_cmd_user_add(struct umctl_cmd *cmd)
{
	_cleanup_(um_store_closep) struct um_store *s = NULL;
	_cleanup_(um_user_freep) struct um_user *u = NULL;
	_cleanup_free_ char *what = NULL;
	struct um_user_spec spec = UM_USER_SPEC_INIT;
	const char *name = cmd->args[0];
	struct umctl_token t;
	const char *uid;
	int r;

	what = um_asprintf("add user '%s'", name);
	if (!what)
		return umctl_fail(-ENOMEM, "add user");
	r = um_check_name("user name", name);
	if (r < 0)
		return umctl_fail(r, "%s", what);
	r = fill_spec(cmd, &spec, what);
	if (r)
		return r;
	uid = umctl_opt(cmd, "uid");
	if (uid) {
		uint64_t v;

		if (um_parse_u64(uid, 0, UINT32_MAX - 1, &v) < 0)
			return umctl_fail_code(UMCTL_EX_DATAERR, what,
					       "uid '%s' is not a number from 0 to %u", uid,
					       UINT32_MAX - 1);
		spec.uid = (int64_t)v;
	}

	r = umctl_open_store(cmd, UM_STORE_WRITE, &s, what);
	if (r)
		return r;
	r = um_user_add(s, name, &spec, &u);
	if (r < 0)
		return umctl_fail(r, "%s", what);

	/* A new user has no password: they choose one with an activation
	 * token, so that whoever adds them never knows it. */
	free(what);
	what = um_asprintf("issue an activation token for the new user '%s'", name);
	if (!what)
		return umctl_fail(-ENOMEM, "issue an activation token");
	r = umctl_issue_token(cmd, s, u, "activation", 0, what, &t);
	if (r) {
		umctl_note("user '%s' was added (uid %u) without a token; "
			   "run 'umctl user reset-password %s' to issue one",
			   name, (unsigned)u->uid, name);
		return r;
	}
	out_record_begin();
	emit_user(u);
	umctl_emit_token(&t);
	out_record_end();
	explicit_bzero(&t, sizeof(t));
	return 0;
}

/* user list [--pending] [--absent]: both filters together mean both. The
 * store selects the users; only the absent ones listed are asked until
 * when. */
int umctl_cmd_user_list(struct umctl_cmd *cmd)
{
	_cleanup_(um_store_closep) struct um_store *s = NULL;
	bool pending = umctl_flag(cmd, "pending"), absent = umctl_flag(cmd, "absent");
	time_t now = time(NULL);
	struct um_user **v = NULL;
	char today[11], *until = NULL;
	size_t n = 0;
	int r;

	r = umctl_open_store(cmd, UM_STORE_READ, &s, "list users");
	if (r)
		return r;
	um_today(now, today);
	r = um_user_list_filtered(s,
					  (pending ? UM_USER_LIST_PENDING : 0) |
						  (absent ? UM_USER_LIST_ABSENT : 0),
					  today, &v, &n);
	if (r < 0)
		return umctl_fail(r, "list users");
	/* Every absence is looked up before anything is printed. */
	if (absent) {
		until = calloc(n ? n : 1, 11);
		if (!until) {
			um_user_list_free(v, n);
			return umctl_fail(-ENOMEM, "list users");
		}
		for (size_t i = 0; i < n; i++) {
			r = um_user_absent_until(s, v[i]->name, now, until + 11 * i);
			if (r < 0) {
				free(until);
				um_user_list_free(v, n);
				return umctl_fail(r, "list users");
			}
		}
	}
	out_list_begin(absent ? absent_columns : pending ? pending_columns : user_columns);
	for (size_t i = 0; i < n; i++) {
		out_item_begin();
		emit_user(v[i]);
		if (absent)
			/* null: until further notice */
			out_str("absent_until", until[11 * i] ? until + 11 * i : NULL);
		out_item_end();
	}
	out_list_end();
	free(until);
	um_user_list_free(v, n);
	return 0;
}

int umctl_cmd_user_show(struct umctl_cmd *cmd)
{
	_cleanup_(um_store_closep) struct um_store *s = NULL;
	_cleanup_free_ char *what = NULL;
	_cleanup_(um_user_freep) struct um_user *u = NULL;
	struct umctl_user_policy policy;
	const char *name = cmd->args[0];
	int r;

	r = um_check_name("user name", name);
	if (r < 0)
		return umctl_fail(r, "show user '%s'", name);
	what = um_asprintf("show user '%s'", name);
	if (!what)
		return umctl_fail(-ENOMEM, "show user");
	r = umctl_open_store(cmd, UM_STORE_READ, &s, what);
	if (r)
		return r;
	r = um_user_get(s, name, &u);
	if (r < 0)
		return umctl_fail(r, "%s", what);
	r = umctl_user_policy_load(s, u, what, &policy);
	if (r)
		return r;
	out_record_begin();
	emit_user(u);
	umctl_user_policy_emit(&policy);
	out_record_end();
	umctl_user_policy_free(&policy);
	return 0;
}

/* True when an option of spec (not --expires / --no-expiry) was given. */
static bool edits_spec(const struct umctl_cmd *cmd)
{
	static const char *const spec_options[] = { "rename", "full-name", "email", "no-email",
						    "kind",   "home",      "shell", "group" };

	for (size_t i = 0; i < UM_ELEMENTSOF(spec_options); i++)
		if (umctl_opt(cmd, spec_options[i]))
			return true;
	return false;
}

int umctl_cmd_user_edit(struct umctl_cmd *cmd)
{
	_cleanup_(um_store_closep) struct um_store *s = NULL;
	_cleanup_free_ char *what = NULL;
	struct um_user_spec spec = UM_USER_SPEC_INIT;
	const char *name = cmd->args[0];
	const char *expires = umctl_opt(cmd, "expires");
	bool no_expiry = umctl_flag(cmd, "no-expiry");
	bool any = false;
	int r;

	for (size_t i = 0; i < UMCTL_MAX_OPTIONS; i++)
		any |= cmd->values[i] != NULL;
	if (!any)
		return umctl_usage_error("umctl user", "nothing to change: give at least one option");
	if (umctl_flag(cmd, "email") && umctl_flag(cmd, "no-email"))
		return umctl_usage_error("umctl user", "--email and --no-email exclude each other");
	if (expires && no_expiry)
		return umctl_usage_error("umctl user", "--expires and --no-expiry exclude each other");

	what = um_asprintf("edit user '%s'", name);
	if (!what)
		return umctl_fail(-ENOMEM, "edit user");
	r = um_check_name("user name", name);
	if (r < 0)
		return umctl_fail(r, "%s", what);
	r = fill_spec(cmd, &spec, what);
	if (r)
		return r;
	if (umctl_flag(cmd, "no-email"))
		spec.email = "";
	spec.rename = umctl_opt(cmd, "rename");
	if (spec.rename && (r = um_check_name("new user name", spec.rename)) < 0)
		return umctl_fail(r, "%s", what);
	if (expires && um_parse_date(expires, NULL, NULL, NULL) < 0)
		return umctl_fail_code(UMCTL_EX_DATAERR, what,
				       "--expires '%s' is not a date of the form YYYY-MM-DD",
				       expires);

	r = umctl_open_store(cmd, UM_STORE_WRITE, &s, what);
	if (r)
		return r;
	/* The core has no single call for both (two transactions): the
	 * edit goes first, since it is the one that can be refused for what
	 * it says (a taken name, ...); the expiry then fails only when the
	 * store does, and the message says what was already done. */
	if (edits_spec(cmd)) {
		r = um_user_edit(s, name, &spec);
		if (r < 0)
			return umctl_fail(r, "%s", what);
	}
	if (expires || no_expiry) {
		const char *now_named = spec.rename ? spec.rename : name;

		r = um_user_set_expiry(s, now_named, no_expiry ? NULL : expires);
		if (r < 0) {
			int code = umctl_fail(r, "%s", what);

			if (edits_spec(cmd))
				umctl_note("the other changes to '%s' were made before the failure",
					   now_named);
			return code;
		}
	}
	return 0;
}

int umctl_cmd_user_passwd(struct umctl_cmd *cmd)
{
	_cleanup_(um_store_closep) struct um_store *s = NULL;
	_cleanup_(um_user_freep) struct um_user *u = NULL;
	_cleanup_free_ char *what = NULL;
	const char *name = cmd->args[0];
	char pw[UM_PASSWORD_BUFFER];
	int r;

	if (umctl_flag(cmd, "expire") && umctl_flag(cmd, "stdin"))
		return umctl_usage_error("umctl user", "--expire and --stdin exclude each other");
	what = umctl_flag(cmd, "expire") ?
		       um_asprintf("expire the password of user '%s'", name) :
		       um_asprintf("set the password of user '%s'", name);
	if (!what)
		return umctl_fail(-ENOMEM, "set a password");
	r = um_check_name("user name", name);
	if (r < 0)
		return umctl_fail(r, "%s", what);
	r = umctl_open_store(cmd, UM_STORE_WRITE, &s, what);
	if (r)
		return r;
	/* --expire: the next login must choose a new password. */
	if (umctl_flag(cmd, "expire")) {
		r = um_user_expire_password(s, name);
		return r < 0 ? umctl_fail(r, "%s", what) : 0;
	}
	/* Ask for a password only for a user that exists. */
	r = um_user_get(s, name, &u);
	if (r < 0)
		return umctl_fail(r, "%s", what);

	r = umctl_read_password(umctl_flag(cmd, "stdin"), cmd->config, name, pw, sizeof(pw), what);
	if (r == 0) {
		r = um_user_set_password(s, name, pw);
		if (r < 0)
			r = umctl_fail(r, "%s", what);
	}
	explicit_bzero(pw, sizeof(pw));
	return r;
}

int umctl_cmd_user_delete(struct umctl_cmd *cmd)
{
	_cleanup_(um_store_closep) struct um_store *s = NULL;
	_cleanup_free_ char *what = NULL;
	const char *name = cmd->args[0];
	int r;

	r = um_check_name("user name", name);
	if (r < 0)
		return umctl_fail(r, "delete user '%s'", name);
	what = um_asprintf("delete user '%s'", name);
	if (!what)
		return umctl_fail(-ENOMEM, "delete user");
	r = umctl_open_store(cmd, UM_STORE_WRITE, &s, what);
	if (r)
		return r;
	r = um_user_delete(s, name);
	if (r < 0)
		return umctl_fail(r, "%s", what);
	return 0;
}

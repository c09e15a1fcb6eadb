/* SPDX-License-Identifier: MIT */
/* umctl: the user verbs (the login policy ones are in policy.c). */
#include <time.h>

#include "umgmt/validate.h"

#include "umctl.h"

static const char *const user_columns[] = { "name", "uid", "gid", "kind", "full_name", NULL };
static const char *const pending_columns[] = { "name",	    "uid",	  "kind",
					       "full_name", "created_at", NULL };
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
		out_str("host",
			u->last_login_host && *u->last_login_host ? u->last_login_host : NULL);
		out_object_end();
	} else {
		out_time("last_login", 0);
	}
}

/* Checks the fields common to add and edit and puts them in spec. */
static int fill_spec(const struct umctl_cmd *cmd, const struct user_field_opts *f,
		     struct um_user_spec *spec)
{
	int r;

	*spec = (struct um_user_spec)UM_USER_SPEC_INIT;
	spec->full_name = f->full_name;
	if (f->full_name && (r = um_check_gecos(f->full_name)) < 0)
		return umctl_fail(r, "%s", cmd->what);
	spec->email = f->email;
	if (f->email && (r = um_check_email(f->email)) < 0)
		return umctl_fail(r, "%s", cmd->what);
	spec->home = f->home;
	if (f->home && (r = um_check_path("home directory", f->home)) < 0)
		return umctl_fail(r, "%s", cmd->what);
	spec->shell = f->shell;
	if (f->shell && (r = um_check_path("shell", f->shell)) < 0)
		return umctl_fail(r, "%s", cmd->what);
	spec->group = f->group;
	if (f->group && (r = umctl_check_name(cmd, "group name", f->group)))
		return r;
	if (f->kind) {
		spec->kind = um_user_kind_from_string(f->kind);
		if (spec->kind < 0)
			return umctl_fail_code(UMCTL_EX_DATAERR, cmd->what,
					       "unknown kind '%s' (person, robot or customer)",
					       f->kind);
	}
	return 0;
}

int umctl_check_user_add(struct umctl_cmd *cmd)
{
	struct user_add_opts *o = &cmd->opts.user_add;
	uint64_t v;
	int r;

	r = umctl_check_user(cmd);
	if (!r)
		r = fill_spec(cmd, &o->fields, &o->spec);
	if (r)
		return r;
	if (o->uid) {
		if (um_parse_u64(o->uid, 0, UINT32_MAX - 1, &v) < 0)
			return umctl_fail_code(UMCTL_EX_DATAERR, cmd->what,
					       "uid '%s' is not a number from 0 to %u", o->uid,
					       UINT32_MAX - 1);
		o->spec.uid = (int64_t)v;
	}
	return 0;
}

int umctl_cmd_user_add(struct umctl_cmd *cmd)
{
	_cleanup_(um_user_freep) struct um_user *u = NULL;
	_cleanup_free_ char *what = NULL;
	const char *name = cmd->args[0];
	struct umctl_token t;
	int r;

	r = um_user_add(cmd->store, name, &cmd->opts.user_add.spec, &u);
	if (r < 0)
		return umctl_fail(r, "%s", cmd->what);

	/* A new user has no password: they choose one with an activation
	 * token, so that whoever adds them never knows it. */
	what = um_asprintf("issue an activation token for the new user '%s'", name);
	if (!what)
		return umctl_fail(-ENOMEM, "issue an activation token");
	r = umctl_issue_token(cmd, u, UM_TOKEN_ACTIVATION, 0, what, &t);
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
	bool pending = cmd->opts.user_list.pending, absent = cmd->opts.user_list.absent;
	time_t now = time(NULL);
	struct um_user **v = NULL;
	char today[11], *until = NULL;
	size_t n = 0;
	int r;

	um_today(now, today);
	r = um_user_list_filtered(cmd->store,
				  (pending ? UM_USER_LIST_PENDING : 0) |
					  (absent ? UM_USER_LIST_ABSENT : 0),
				  today, &v, &n);
	if (r < 0)
		return umctl_fail(r, "%s", cmd->what);
	/* Every absence is looked up before anything is printed. */
	if (absent) {
		until = calloc(n ? n : 1, 11);
		if (!until) {
			um_user_list_free(v, n);
			return umctl_fail(-ENOMEM, "%s", cmd->what);
		}
		for (size_t i = 0; i < n; i++) {
			r = um_absence_until(cmd->store, v[i]->name, now, until + 11 * i);
			if (r < 0) {
				free(until);
				um_user_list_free(v, n);
				return umctl_fail(r, "%s", cmd->what);
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
	_cleanup_(um_user_freep) struct um_user *u = NULL;
	struct umctl_user_policy policy;
	int r;

	r = um_user_get(cmd->store, cmd->args[0], &u);
	if (r < 0)
		return umctl_fail(r, "%s", cmd->what);
	r = umctl_user_policy_load(cmd->store, u, cmd->what, &policy);
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
static bool edits_spec(const struct user_edit_opts *o)
{
	const struct user_field_opts *f = &o->fields;

	return o->rename || f->full_name || f->email || o->no_email || f->kind || f->home ||
	       f->shell || f->group;
}

int umctl_check_user_edit(struct umctl_cmd *cmd)
{
	struct user_edit_opts *o = &cmd->opts.user_edit;
	int r;

	if (cmd->n_opts == 0)
		return umctl_usage_error("umctl user",
					 "nothing to change: give at least one option");
	if (o->fields.email && o->no_email)
		return umctl_usage_error("umctl user", "--email and --no-email exclude each other");
	if (o->expires && o->no_expiry)
		return umctl_usage_error("umctl user",
					 "--expires and --no-expiry exclude each other");

	r = umctl_check_user(cmd);
	if (!r)
		r = fill_spec(cmd, &o->fields, &o->spec);
	if (r)
		return r;
	if (o->no_email)
		o->spec.email = "";
	o->spec.rename = o->rename;
	if (o->rename && (r = umctl_check_name(cmd, "new user name", o->rename)))
		return r;
	if (o->expires && (r = um_parse_date(o->expires, NULL, NULL, NULL)) < 0)
		return umctl_fail_code(UMCTL_EX_DATAERR, cmd->what, "--expires %s",
				       um_error_detail(r));
	return 0;
}

int umctl_cmd_user_edit(struct umctl_cmd *cmd)
{
	const struct user_edit_opts *o = &cmd->opts.user_edit;
	const char *name = cmd->args[0];
	int r;

	/* The core has no single call for both (two transactions): the
	 * edit goes first, since it is the one that can be refused for what
	 * it says (a taken name, ...); the expiry then fails only when the
	 * store does, and the message says what was already done. */
	if (edits_spec(o)) {
		r = um_user_edit(cmd->store, name, &o->spec);
		if (r < 0)
			return umctl_fail(r, "%s", cmd->what);
	}
	if (o->expires || o->no_expiry) {
		const char *now_named = o->rename ? o->rename : name;

		r = um_user_set_expiry(cmd->store, now_named, o->no_expiry ? NULL : o->expires);
		if (r < 0) {
			int code = umctl_fail(r, "%s", cmd->what);

			if (edits_spec(o))
				umctl_note("the other changes to '%s' were made before the failure",
					   now_named);
			return code;
		}
	}
	return 0;
}

int umctl_check_user_passwd(struct umctl_cmd *cmd)
{
	const struct user_passwd_opts *o = &cmd->opts.user_passwd;
	int r;

	if (o->expire && o->from_stdin)
		return umctl_usage_error("umctl user", "--expire and --stdin exclude each other");
	if (o->expire && (r = umctl_what(cmd, "expire the password of user")))
		return r;
	return umctl_check_user(cmd);
}

int umctl_cmd_user_passwd(struct umctl_cmd *cmd)
{
	_cleanup_(um_user_freep) struct um_user *u = NULL;
	const struct user_passwd_opts *o = &cmd->opts.user_passwd;
	const char *name = cmd->args[0];
	char pw[UM_PASSWORD_BUFFER];
	int r;

	/* --expire: the next login must choose a new password. */
	if (o->expire) {
		r = um_user_expire_password(cmd->store, name);
		return r < 0 ? umctl_fail(r, "%s", cmd->what) : 0;
	}
	/* Ask for a password only for a user that exists. */
	r = um_user_get(cmd->store, name, &u);
	if (r < 0)
		return umctl_fail(r, "%s", cmd->what);

	r = umctl_read_password(o->from_stdin, cmd->config, name, pw, sizeof(pw), cmd->what);
	if (r == 0) {
		r = um_user_set_password(cmd->store, name, pw);
		if (r < 0)
			r = umctl_fail(r, "%s", cmd->what);
	}
	explicit_bzero(pw, sizeof(pw));
	return r;
}

int umctl_cmd_user_delete(struct umctl_cmd *cmd)
{
	int r = um_user_delete(cmd->store, cmd->args[0]);

	return r < 0 ? umctl_fail(r, "%s", cmd->what) : 0;
}

/* SPDX-License-Identifier: MIT */
/* umctl: the user verbs. */
#include "umgmt/validate.h"

#include "umctl.h"

static const char *const user_columns[] = { "name", "uid", "gid", "kind", "full_name", NULL };

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
	if (spec->full_name && (r = UM_CALL(um_check_gecos(spec->full_name))) < 0)
		return umctl_fail(r, "%s", what);
	spec->email = umctl_opt(cmd, "email");
	if (spec->email && (r = UM_CALL(um_check_email(spec->email))) < 0)
		return umctl_fail(r, "%s", what);
	spec->home = umctl_opt(cmd, "home");
	if (spec->home && (r = UM_CALL(um_check_path("home directory", spec->home))) < 0)
		return umctl_fail(r, "%s", what);
	spec->shell = umctl_opt(cmd, "shell");
	if (spec->shell && (r = UM_CALL(um_check_path("shell", spec->shell))) < 0)
		return umctl_fail(r, "%s", what);
	spec->group = umctl_opt(cmd, "group");
	if (spec->group && (r = UM_CALL(um_check_name("group name", spec->group))) < 0)
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
	const char *uid;
	int r;

	what = um_asprintf("add user '%s'", name);
	if (!what)
		return umctl_fail(-ENOMEM, "add user");
	r = UM_CALL(um_check_name("user name", name));
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
	r = UM_CALL(um_user_add(s, name, &spec, &u));
	if (r < 0)
		return umctl_fail(r, "%s", what);
	out_record_begin();
	emit_user(u);
	out_record_end();
	return 0;
}

int umctl_cmd_user_list(struct umctl_cmd *cmd)
{
	_cleanup_(um_store_closep) struct um_store *s = NULL;
	struct um_user **v = NULL;
	size_t n = 0;
	int r;

	r = umctl_open_store(cmd, UM_STORE_READ, &s, "list users");
	if (r)
		return r;
	r = UM_CALL(um_user_list(s, &v, &n));
	if (r < 0)
		return umctl_fail(r, "list users");
	out_list_begin(user_columns);
	for (size_t i = 0; i < n; i++) {
		out_item_begin();
		emit_user(v[i]);
		out_item_end();
	}
	out_list_end();
	um_user_list_free(v, n);
	return 0;
}

int umctl_cmd_user_show(struct umctl_cmd *cmd)
{
	_cleanup_(um_store_closep) struct um_store *s = NULL;
	_cleanup_free_ char *what = NULL;
	_cleanup_(um_user_freep) struct um_user *u = NULL;
	const char *name = cmd->args[0];
	int r;

	r = UM_CALL(um_check_name("user name", name));
	if (r < 0)
		return umctl_fail(r, "show user '%s'", name);
	what = um_asprintf("show user '%s'", name);
	if (!what)
		return umctl_fail(-ENOMEM, "show user");
	r = umctl_open_store(cmd, UM_STORE_READ, &s, what);
	if (r)
		return r;
	r = UM_CALL(um_user_get(s, name, &u));
	if (r < 0)
		return umctl_fail(r, "%s", what);
	out_record_begin();
	emit_user(u);
	out_record_end();
	return 0;
}

int umctl_cmd_user_edit(struct umctl_cmd *cmd)
{
	_cleanup_(um_store_closep) struct um_store *s = NULL;
	_cleanup_free_ char *what = NULL;
	struct um_user_spec spec = UM_USER_SPEC_INIT;
	const char *name = cmd->args[0];
	bool any = false;
	int r;

	for (size_t i = 0; i < UMCTL_MAX_OPTIONS; i++)
		any |= cmd->values[i] != NULL;
	if (!any)
		return umctl_usage_error("umctl user", "nothing to change: give at least one option");
	if (umctl_flag(cmd, "email") && umctl_flag(cmd, "no-email"))
		return umctl_usage_error("umctl user", "--email and --no-email exclude each other");

	what = um_asprintf("edit user '%s'", name);
	if (!what)
		return umctl_fail(-ENOMEM, "edit user");
	r = UM_CALL(um_check_name("user name", name));
	if (r < 0)
		return umctl_fail(r, "%s", what);
	r = fill_spec(cmd, &spec, what);
	if (r)
		return r;
	if (umctl_flag(cmd, "no-email"))
		spec.email = "";
	spec.rename = umctl_opt(cmd, "rename");
	if (spec.rename && (r = UM_CALL(um_check_name("new user name", spec.rename))) < 0)
		return umctl_fail(r, "%s", what);

	r = umctl_open_store(cmd, UM_STORE_WRITE, &s, what);
	if (r)
		return r;
	r = UM_CALL(um_user_edit(s, name, &spec));
	if (r < 0)
		return umctl_fail(r, "%s", what);
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

	what = um_asprintf("set the password of user '%s'", name);
	if (!what)
		return umctl_fail(-ENOMEM, "set a password");
	r = UM_CALL(um_check_name("user name", name));
	if (r < 0)
		return umctl_fail(r, "%s", what);
	r = umctl_open_store(cmd, UM_STORE_WRITE, &s, what);
	if (r)
		return r;
	/* Ask for a password only for a user that exists. */
	r = UM_CALL(um_user_get(s, name, &u));
	if (r < 0)
		return umctl_fail(r, "%s", what);

	r = umctl_read_password(umctl_flag(cmd, "stdin"), cmd->config, name, pw, sizeof(pw), what);
	if (r == 0) {
		r = UM_CALL(um_user_set_password(s, name, pw));
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

	r = UM_CALL(um_check_name("user name", name));
	if (r < 0)
		return umctl_fail(r, "delete user '%s'", name);
	what = um_asprintf("delete user '%s'", name);
	if (!what)
		return umctl_fail(-ENOMEM, "delete user");
	r = umctl_open_store(cmd, UM_STORE_WRITE, &s, what);
	if (r)
		return r;
	r = UM_CALL(um_user_delete(s, name));
	if (r < 0)
		return umctl_fail(r, "%s", what);
	return 0;
}

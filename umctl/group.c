/* SPDX-License-Identifier: MIT */
/* umctl: the group verbs. */
#include "umgmt/validate.h"

#include "umctl.h"

static const char *const group_columns[] = { "name", "gid", "members", "description", NULL };

static void emit_group(const struct um_group *g)
{
	out_str("name", g->name);
	out_u64("gid", g->gid);
	out_str("description", g->description ? g->description : "");
	out_str("private_of", g->private_of);
	out_strv("members", g->members, g->n_members);
	out_time("created_at", g->created_at);
}

int umctl_check_group(struct umctl_cmd *cmd)
{
	return umctl_check_name(cmd, "group name", cmd->args[0]);
}

int umctl_check_group_add(struct umctl_cmd *cmd)
{
	struct group_add_opts *o = &cmd->opts.group_add;
	uint64_t v;
	int r;

	r = umctl_check_group(cmd);
	if (r)
		return r;
	o->id = -1;
	if (o->gid) {
		if (um_parse_u64(o->gid, 0, UINT32_MAX - 1, &v) < 0)
			return umctl_fail_code(UMCTL_EX_DATAERR, cmd->what,
					       "gid '%s' is not a number from 0 to %u", o->gid,
					       UINT32_MAX - 1);
		o->id = (int64_t)v;
	}
	/* The description is the core's to check: it is not in /etc/group,
	 * and the text output escapes whatever it holds. */
	return 0;
}

int umctl_cmd_group_add(struct umctl_cmd *cmd)
{
	_cleanup_(um_group_freep) struct um_group *g = NULL;
	const struct group_add_opts *o = &cmd->opts.group_add;
	int r;

	r = um_group_add(cmd->store, cmd->args[0], o->id, o->description, &g);
	if (r < 0)
		return umctl_fail(r, "%s", cmd->what);
	out_record_begin();
	emit_group(g);
	out_record_end();
	return 0;
}

int umctl_cmd_group_list(struct umctl_cmd *cmd)
{
	struct um_group **v = NULL;
	size_t n = 0;
	int r;

	r = um_group_list(cmd->store, &v, &n);
	if (r < 0)
		return umctl_fail(r, "%s", cmd->what);
	out_list_begin(group_columns);
	for (size_t i = 0; i < n; i++) {
		out_item_begin();
		emit_group(v[i]);
		out_item_end();
	}
	out_list_end();
	um_group_list_free(v, n);
	return 0;
}

int umctl_cmd_group_show(struct umctl_cmd *cmd)
{
	_cleanup_(um_group_freep) struct um_group *g = NULL;
	int r;

	r = um_group_get(cmd->store, cmd->args[0], &g);
	if (r < 0)
		return umctl_fail(r, "%s", cmd->what);
	out_record_begin();
	emit_group(g);
	out_record_end();
	return 0;
}

int umctl_cmd_group_delete(struct umctl_cmd *cmd)
{
	int r = um_group_delete(cmd->store, cmd->args[0]);

	return r < 0 ? umctl_fail(r, "%s", cmd->what) : 0;
}

static bool is_member(const struct um_group *g, const char *user)
{
	for (size_t i = 0; i < g->n_members; i++)
		if (!strcmp(g->members[i], user))
			return true;
	return false;
}

/*
 * add-member and remove-member: every user is checked first (valid name,
 * listed once, exists, is or is not a member yet), so that a typo in the
 * third name changes nothing. The core changes one membership per
 * transaction, so a failure after the checks (a concurrent change) can
 * still leave the first users done: we then say exactly which.
 */
int umctl_check_group_members(struct umctl_cmd *cmd)
{
	char **users = cmd->args + 1;
	int r;

	r = umctl_check_group(cmd);
	if (r)
		return r;
	for (int i = 0; i < cmd->n_args - 1; i++) {
		r = umctl_check_name(cmd, "user name", users[i]);
		if (r)
			return r;
		for (int j = 0; j < i; j++)
			if (!strcmp(users[i], users[j]))
				return umctl_fail_code(UMCTL_EX_DATAERR, cmd->what,
						       "user '%s' is named twice", users[i]);
	}
	return 0;
}

static int change_members(struct umctl_cmd *cmd, bool add)
{
	_cleanup_(um_group_freep) struct um_group *g = NULL;
	struct um_store *s = cmd->store;
	const char *group = cmd->args[0];
	char **users = cmd->args + 1;
	int n = cmd->n_args - 1;
	int r;

	r = um_group_get(s, group, &g);
	if (r < 0)
		return umctl_fail(r, "%s", cmd->what);
	for (int i = 0; i < n; i++) {
		_cleanup_(um_user_freep) struct um_user *u = NULL;

		r = um_user_get(s, users[i], &u);
		if (r < 0)
			return umctl_fail(r, "%s", cmd->what);
		if (add && is_member(g, users[i]))
			return umctl_fail_code(UMCTL_EX_CANTCREAT, cmd->what,
					       "user '%s' is already a member", users[i]);
		if (!add && !is_member(g, users[i]))
			return umctl_fail_code(UMCTL_EX_NOUSER, cmd->what,
					       "user '%s' is not a member", users[i]);
	}

	for (int i = 0; i < n; i++) {
		r = add ? um_group_add_member(s, group, users[i])
			: um_group_remove_member(s, group, users[i]);
		if (r < 0) {
			int code =
				umctl_fail(r, "%s user '%s' %s group '%s'", add ? "add" : "remove",
					   users[i], add ? "to" : "from", group);
			if (i > 0) {
				fputs("umctl: note: these users were ", stderr);
				fputs(add ? "added before the failure:"
					  : "removed before the failure:",
				      stderr);
				for (int j = 0; j < i; j++) {
					fputc(' ', stderr);
					umctl_fputs_safe(users[j], stderr);
				}
				fputc('\n', stderr);
			}
			return code;
		}
	}
	return 0;
}

int umctl_cmd_group_add_member(struct umctl_cmd *cmd)
{
	return change_members(cmd, true);
}

int umctl_cmd_group_remove_member(struct umctl_cmd *cmd)
{
	return change_members(cmd, false);
}

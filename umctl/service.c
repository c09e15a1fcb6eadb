/* SPDX-License-Identifier: MIT */
/*
 * umctl: the service verbs. PAM service names are the services; a record
 * makes one open or restricted (then it needs grants), services without a
 * record follow [services] open and default (docs/POLICY.md).
 */
#include "umgmt/validate.h"

#include "umctl.h"

static void service_freep(struct um_service **sv)
{
	um_service_free(*sv);
}

static const char *const service_columns[] = { "name", "restricted", "grants", "description",
					       NULL };

static void emit_service(const struct um_service *sv)
{
	out_str("name", sv->name);
	out_bool("restricted", sv->restricted);
	out_str("description", sv->description ? sv->description : "");
	out_strv("grants", sv->grants, sv->n_grants);
}

int umctl_check_service(struct umctl_cmd *cmd)
{
	int r = um_check_service_name(cmd->args[0]);

	return r < 0 ? umctl_fail(r, "%s", cmd->what) : 0;
}

int umctl_cmd_service_add(struct umctl_cmd *cmd)
{
	_cleanup_(service_freep) struct um_service *sv = NULL;
	const struct service_add_opts *o = &cmd->opts.service_add;
	const char *name = cmd->args[0];
	int r;

	r = um_service_add(cmd->store, name, o->restricted, o->description);
	if (r >= 0)
		r = um_service_get(cmd->store, name, &sv);
	if (r < 0)
		return umctl_fail(r, "%s", cmd->what);
	out_record_begin();
	emit_service(sv);
	out_record_end();
	return 0;
}

int umctl_check_service_edit(struct umctl_cmd *cmd)
{
	const struct service_edit_opts *o = &cmd->opts.service_edit;

	if (o->restricted == o->open)
		return umctl_usage_error("umctl service", "give either --restricted or --open");
	return umctl_check_service(cmd);
}

int umctl_cmd_service_edit(struct umctl_cmd *cmd)
{
	int r = um_service_set_restricted(cmd->store, cmd->args[0],
					  cmd->opts.service_edit.restricted);

	return r < 0 ? umctl_fail(r, "%s", cmd->what) : 0;
}

int umctl_cmd_service_list(struct umctl_cmd *cmd)
{
	struct um_service **v = NULL;
	size_t n = 0;
	int r;

	r = um_service_list(cmd->store, &v, &n);
	if (r < 0)
		return umctl_fail(r, "%s", cmd->what);
	out_list_begin(service_columns);
	for (size_t i = 0; i < n; i++) {
		out_item_begin();
		emit_service(v[i]);
		out_item_end();
	}
	out_list_end();
	um_service_list_free(v, n);
	return 0;
}

int umctl_cmd_service_show(struct umctl_cmd *cmd)
{
	_cleanup_(service_freep) struct um_service *sv = NULL;
	int r;

	r = um_service_get(cmd->store, cmd->args[0], &sv);
	if (r < 0)
		return umctl_fail(r, "%s", cmd->what);
	out_record_begin();
	emit_service(sv);
	out_record_end();
	return 0;
}

int umctl_cmd_service_delete(struct umctl_cmd *cmd)
{
	int r = um_service_delete(cmd->store, cmd->args[0]);

	return r < 0 ? umctl_fail(r, "%s", cmd->what) : 0;
}

/* service grant|revoke NAME --user U | --group G */
int umctl_check_service_grant(struct umctl_cmd *cmd)
{
	const struct service_grant_opts *o = &cmd->opts.service_grant;
	int r;

	if (!o->user == !o->group)
		return umctl_usage_error("umctl service",
					 "give either --user USER or --group GROUP");
	r = umctl_check_service(cmd);
	if (r)
		return r;
	return o->user ? umctl_check_name(cmd, "user name", o->user)
		       : umctl_check_name(cmd, "group name", o->group);
}

static int change_grant(struct umctl_cmd *cmd, bool grant)
{
	const struct service_grant_opts *o = &cmd->opts.service_grant;
	const char *grantee = o->user ? o->user : o->group;
	enum um_grantee kind = o->user ? UM_GRANT_USER : UM_GRANT_GROUP;
	int r;

	r = grant ? um_service_grant(cmd->store, cmd->args[0], kind, grantee)
		  : um_service_revoke(cmd->store, cmd->args[0], kind, grantee);
	return r < 0 ? umctl_fail(r, "%s", cmd->what) : 0;
}

int umctl_cmd_service_grant(struct umctl_cmd *cmd)
{
	return change_grant(cmd, true);
}

int umctl_cmd_service_revoke(struct umctl_cmd *cmd)
{
	return change_grant(cmd, false);
}

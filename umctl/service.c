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

/* "<verb> service 'name'" for the messages, after checking the name;
 * returns NULL after printing why, with *code set. */
static char *service_what(const char *verb, const char *name, int *code)
{
	char *what = um_asprintf("%s service '%s'", verb, name);
	int r;

	if (!what) {
		*code = umctl_fail(-ENOMEM, "change a service");
		return NULL;
	}
	r = um_check_service_name(name);
	if (r < 0) {
		*code = umctl_fail(r, "%s", what);
		free(what);
		return NULL;
	}
	return what;
}

int umctl_cmd_service_add(struct umctl_cmd *cmd)
{
	_cleanup_(um_store_closep) struct um_store *s = NULL;
	_cleanup_(service_freep) struct um_service *sv = NULL;
	_cleanup_free_ char *what = NULL;
	const char *name = cmd->args[0];
	int r;

	what = service_what("add", name, &r);
	if (!what)
		return r;
	r = umctl_open_store(cmd, UM_STORE_WRITE, &s, what);
	if (r)
		return r;
	r = um_service_add(s, name, umctl_flag(cmd, "restricted"),
				   umctl_opt(cmd, "description"));
	if (r >= 0)
		r = um_service_get(s, name, &sv);
	if (r < 0)
		return umctl_fail(r, "%s", what);
	out_record_begin();
	emit_service(sv);
	out_record_end();
	return 0;
}

int umctl_cmd_service_edit(struct umctl_cmd *cmd)
{
	_cleanup_(um_store_closep) struct um_store *s = NULL;
	_cleanup_free_ char *what = NULL;
	const char *name = cmd->args[0];
	bool restricted = umctl_flag(cmd, "restricted"), open = umctl_flag(cmd, "open");
	int r;

	if (restricted == open)
		return umctl_usage_error("umctl service", "give either --restricted or --open");
	what = service_what("edit", name, &r);
	if (!what)
		return r;
	r = umctl_open_store(cmd, UM_STORE_WRITE, &s, what);
	if (r)
		return r;
	r = um_service_set_restricted(s, name, restricted);
	if (r < 0)
		return umctl_fail(r, "%s", what);
	return 0;
}

int umctl_cmd_service_list(struct umctl_cmd *cmd)
{
	_cleanup_(um_store_closep) struct um_store *s = NULL;
	struct um_service **v = NULL;
	size_t n = 0;
	int r;

	r = umctl_open_store(cmd, UM_STORE_READ, &s, "list services");
	if (r)
		return r;
	r = um_service_list(s, &v, &n);
	if (r < 0)
		return umctl_fail(r, "list services");
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
	_cleanup_(um_store_closep) struct um_store *s = NULL;
	_cleanup_(service_freep) struct um_service *sv = NULL;
	_cleanup_free_ char *what = NULL;
	const char *name = cmd->args[0];
	int r;

	what = service_what("show", name, &r);
	if (!what)
		return r;
	r = umctl_open_store(cmd, UM_STORE_READ, &s, what);
	if (r)
		return r;
	r = um_service_get(s, name, &sv);
	if (r < 0)
		return umctl_fail(r, "%s", what);
	out_record_begin();
	emit_service(sv);
	out_record_end();
	return 0;
}

int umctl_cmd_service_delete(struct umctl_cmd *cmd)
{
	_cleanup_(um_store_closep) struct um_store *s = NULL;
	_cleanup_free_ char *what = NULL;
	const char *name = cmd->args[0];
	int r;

	what = service_what("delete", name, &r);
	if (!what)
		return r;
	r = umctl_open_store(cmd, UM_STORE_WRITE, &s, what);
	if (r)
		return r;
	r = um_service_delete(s, name);
	if (r < 0)
		return umctl_fail(r, "%s", what);
	return 0;
}

/* service grant|revoke NAME --user U | --group G */
static int change_grant(struct umctl_cmd *cmd, bool grant)
{
	_cleanup_(um_store_closep) struct um_store *s = NULL;
	_cleanup_free_ char *what = NULL;
	const char *name = cmd->args[0];
	const char *user = umctl_opt(cmd, "user"), *group = umctl_opt(cmd, "group");
	const char *grantee = user ? user : group;
	enum um_grantee kind = user ? UM_GRANT_USER : UM_GRANT_GROUP;
	int r;

	if (!user == !group)
		return umctl_usage_error("umctl service", "give either --user USER or --group GROUP");
	what = service_what(grant ? "grant" : "revoke a grant of", name, &r);
	if (!what)
		return r;
	r = um_check_name(user ? "user name" : "group name", grantee);
	if (r < 0)
		return umctl_fail(r, "%s", what);
	r = umctl_open_store(cmd, UM_STORE_WRITE, &s, what);
	if (r)
		return r;
	r = grant ? um_service_grant(s, name, kind, grantee) :
		    um_service_revoke(s, name, kind, grantee);
	if (r < 0)
		return umctl_fail(r, "%s", what);
	return 0;
}

int umctl_cmd_service_grant(struct umctl_cmd *cmd)
{
	return change_grant(cmd, true);
}

int umctl_cmd_service_revoke(struct umctl_cmd *cmd)
{
	return change_grant(cmd, false);
}

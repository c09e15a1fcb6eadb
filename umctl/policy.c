/* SPDX-License-Identifier: MIT */
/*
 * umctl: the login policy verbs of user (disable, enable, approve,
 * unapprove, unlock, absence, reset-password) and the policy fields of
 * user show. The core decides and checks (policy.h); this file checks the
 * arguments before the store is opened, so that bad input changes nothing
 * and names itself.
 */
#include <time.h>

#include "umgmt/validate.h"

#include "umctl.h"

typedef int (*user_change)(struct um_store *s, const char *name);

/* A verb that changes one thing of the user args[0]. Prints nothing. */
static int change_user(struct umctl_cmd *cmd, user_change fn)
{
	int r = fn(cmd->store, cmd->args[0]);

	return r < 0 ? umctl_fail(r, "%s", cmd->what) : 0;
}

static int do_disable(struct um_store *s, const char *name)
{
	return um_user_set_enabled(s, name, false);
}

static int do_enable(struct um_store *s, const char *name)
{
	return um_user_set_enabled(s, name, true);
}

static int do_approve(struct um_store *s, const char *name)
{
	return um_user_set_approved(s, name, true);
}

static int do_unapprove(struct um_store *s, const char *name)
{
	return um_user_set_approved(s, name, false);
}

int umctl_cmd_user_disable(struct umctl_cmd *cmd)
{
	return change_user(cmd, do_disable);
}

int umctl_cmd_user_enable(struct umctl_cmd *cmd)
{
	return change_user(cmd, do_enable);
}

int umctl_cmd_user_approve(struct umctl_cmd *cmd)
{
	return change_user(cmd, do_approve);
}

int umctl_cmd_user_unapprove(struct umctl_cmd *cmd)
{
	return change_user(cmd, do_unapprove);
}

int umctl_cmd_user_unlock(struct umctl_cmd *cmd)
{
	return change_user(cmd, um_lockout_unlock);
}

/* umctl user absence NAME --from DATE [--until DATE] [--reason TEXT] | --clear */
int umctl_check_user_absence(struct umctl_cmd *cmd)
{
	const struct user_absence_opts *o = &cmd->opts.user_absence;
	int r;

	if (o->clear && (o->from || o->until || o->reason))
		return umctl_usage_error("umctl user",
					 "--clear excludes --from, --until and --reason");
	if (!o->clear && !o->from)
		return umctl_usage_error("umctl user", "give --from DATE (an absence) or --clear");

	if (o->clear && (r = umctl_what(cmd, "clear the absences of user")))
		return r;
	r = umctl_check_user(cmd);
	if (r)
		return r;
	if (o->from && (r = um_parse_date(o->from, NULL, NULL, NULL)) < 0)
		return umctl_fail_code(UMCTL_EX_DATAERR, cmd->what, "--from %s",
				       um_error_detail(r));
	if (o->until && (r = um_parse_date(o->until, NULL, NULL, NULL)) < 0)
		return umctl_fail_code(UMCTL_EX_DATAERR, cmd->what, "--until %s",
				       um_error_detail(r));
	/* Both are YYYY-MM-DD: the text order is the calendar's. */
	if (o->from && o->until && strcmp(o->until, o->from) < 0)
		return umctl_fail_code(UMCTL_EX_DATAERR, cmd->what,
				       "--until %s lies before --from %s", o->until, o->from);
	return 0;
}

int umctl_cmd_user_absence(struct umctl_cmd *cmd)
{
	const struct user_absence_opts *o = &cmd->opts.user_absence;
	const char *name = cmd->args[0];
	int r;

	r = o->clear ? um_absence_clear(cmd->store, name)
		     : um_absence_add(cmd->store, name, o->from, o->until, o->reason);
	if (r < 0)
		return umctl_fail(r, "%s", cmd->what);
	return 0;
}

/*
 * Checks the user name and the token lifetime of --ttl: N, Ns, Nm, Nh, Nd,
 * from 1 minute to 365 days (the core's bounds).
 */
int umctl_check_user_reset_password(struct umctl_cmd *cmd)
{
	struct user_reset_opts *o = &cmd->opts.user_reset;
	int r;

	r = umctl_check_user(cmd);
	if (r || !o->ttl)
		return r;
	r = um_parse_duration(o->ttl, 60, 365 * 86400, &o->ttl_seconds);
	if (r == -ERANGE)
		return umctl_fail_code(UMCTL_EX_DATAERR, cmd->what,
				       "--ttl '%s' is not between 1m and 365d", o->ttl);
	if (r < 0)
		return umctl_fail_code(
			UMCTL_EX_DATAERR, cmd->what,
			"--ttl '%s' is not a duration (N, Ns, Nm, Nh or Nd, e.g. 24h)", o->ttl);
	return 0;
}

int umctl_cmd_user_reset_password(struct umctl_cmd *cmd)
{
	_cleanup_(um_user_freep) struct um_user *u = NULL;
	struct umctl_token t;
	int r;

	r = um_user_get(cmd->store, cmd->args[0], &u);
	if (r < 0)
		return umctl_fail(r, "%s", cmd->what);
	r = umctl_issue_token(cmd, u, UM_TOKEN_RESET, cmd->opts.user_reset.ttl_seconds, cmd->what,
			      &t);
	if (r)
		return r;
	out_record_begin();
	out_str("user", u->name);
	out_str("purpose", um_token_purpose_name(UM_TOKEN_RESET));
	umctl_emit_token(&t);
	out_record_end();
	explicit_bzero(&t, sizeof(t));
	return 0;
}

/* ------------------------------------------------------------ user show */

void umctl_user_policy_free(struct umctl_user_policy *p)
{
	um_absence_list_free(p->absences, p->n_absences);
	um_service_access_free(p->services, p->n_services);
	*p = (struct umctl_user_policy){ 0 };
}

int umctl_user_policy_load(struct um_store *s, const struct um_user *u, const char *what,
			   struct umctl_user_policy *ret)
{
	struct umctl_user_policy p = { 0 };
	int r;

	r = um_absence_list(s, u->name, &p.absences, &p.n_absences);
	if (r >= 0)
		r = um_service_access(s, u->id, &p.services, &p.n_services);
	if (r >= 0)
		r = um_lockout_status(s, u->id, time(NULL), &p.lockout);
	if (r < 0) {
		umctl_user_policy_free(&p);
		return umctl_fail(r, "%s", what);
	}
	*ret = p;
	return 0;
}

void umctl_user_policy_emit(const struct umctl_user_policy *p)
{
	out_array_begin("absences");
	for (size_t i = 0; i < p->n_absences; i++) {
		const struct um_absence *a = &p->absences[i];

		out_object_begin(NULL);
		out_str("from", a->from);
		out_str("until", a->until[0] ? a->until : NULL);
		out_str("reason", a->reason && *a->reason ? a->reason : NULL);
		out_object_end();
	}
	out_array_end();
	/* "sshd: granted to group devs", ..., then "other services: ..." */
	out_array_begin("services");
	for (size_t i = 0; i < p->n_services; i++) {
		const struct um_service_access *a = &p->services[i];
		char why[128], line[256];

		um_service_via_text(a->via, a->allowed, why, sizeof(why));
		snprintf(line, sizeof(line), "%s: %s", a->service ? a->service : "other services",
			 why);
		out_str(NULL, line);
	}
	out_array_end();
	out_u64("failed_logins", p->lockout.failures);
	out_time("locked_until", p->lockout.locked ? p->lockout.locked_until : 0);
}

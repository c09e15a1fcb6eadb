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

/* A verb that takes a user name and changes one thing. Prints nothing. */
static int change_user(struct umctl_cmd *cmd, const char *verb, user_change fn)
{
	_cleanup_(um_store_closep) struct um_store *s = NULL;
	_cleanup_free_ char *what = NULL;
	const char *name = cmd->args[0];
	int r;

	what = um_asprintf("%s user '%s'", verb, name);
	if (!what)
		return umctl_fail(-ENOMEM, "%s user", verb);
	r = um_check_name("user name", name);
	if (r < 0)
		return umctl_fail(r, "%s", what);
	r = umctl_open_store(cmd, UM_STORE_WRITE, &s, what);
	if (r)
		return r;
	r = fn(s, name);
	if (r < 0)
		return umctl_fail(r, "%s", what);
	return 0;
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
	return change_user(cmd, "disable", do_disable);
}

int umctl_cmd_user_enable(struct umctl_cmd *cmd)
{
	return change_user(cmd, "enable", do_enable);
}

int umctl_cmd_user_approve(struct umctl_cmd *cmd)
{
	return change_user(cmd, "approve", do_approve);
}

int umctl_cmd_user_unapprove(struct umctl_cmd *cmd)
{
	return change_user(cmd, "unapprove", do_unapprove);
}

int umctl_cmd_user_unlock(struct umctl_cmd *cmd)
{
	return change_user(cmd, "unlock", um_user_unlock);
}

/* umctl user absence NAME --from DATE [--until DATE] [--reason TEXT] | --clear */
int umctl_cmd_user_absence(struct umctl_cmd *cmd)
{
	_cleanup_(um_store_closep) struct um_store *s = NULL;
	_cleanup_free_ char *what = NULL;
	const char *name = cmd->args[0];
	const char *from = umctl_opt(cmd, "from");
	const char *until = umctl_opt(cmd, "until");
	const char *reason = umctl_opt(cmd, "reason");
	bool clear = umctl_flag(cmd, "clear");
	int r;

	if (clear && (from || until || reason))
		return umctl_usage_error("umctl user",
					 "--clear excludes --from, --until and --reason");
	if (!clear && !from)
		return umctl_usage_error("umctl user", "give --from DATE (an absence) or --clear");

	what = clear ? um_asprintf("clear the absences of user '%s'", name) :
		       um_asprintf("add an absence of user '%s'", name);
	if (!what)
		return umctl_fail(-ENOMEM, "change an absence");
	r = um_check_name("user name", name);
	if (r < 0)
		return umctl_fail(r, "%s", what);
	if (from && um_parse_date(from, NULL, NULL, NULL) < 0)
		return umctl_fail_code(UMCTL_EX_DATAERR, what,
				       "--from '%s' is not a date of the form YYYY-MM-DD", from);
	if (until && um_parse_date(until, NULL, NULL, NULL) < 0)
		return umctl_fail_code(UMCTL_EX_DATAERR, what,
				       "--until '%s' is not a date of the form YYYY-MM-DD", until);
	/* Both are YYYY-MM-DD: the text order is the calendar's. */
	if (from && until && strcmp(until, from) < 0)
		return umctl_fail_code(UMCTL_EX_DATAERR, what,
				       "--until %s lies before --from %s", until, from);

	r = umctl_open_store(cmd, UM_STORE_WRITE, &s, what);
	if (r)
		return r;
	r = clear ? um_user_clear_absences(s, name) :
		    um_user_add_absence(s, name, from, until, reason);
	if (r < 0)
		return umctl_fail(r, "%s", what);
	return 0;
}

/*
 * Parses a token lifetime for --ttl: N, Ns, Nm, Nh, Nd, from 1 minute to
 * 365 days (the core's bounds). Returns 0 or an exit code after printing.
 */
static int parse_ttl(const char *text, const char *what, int64_t *ret)
{
	int r = um_parse_duration(text, 60, 365 * 86400, ret);

	if (r == -ERANGE)
		return umctl_fail_code(UMCTL_EX_DATAERR, what,
				       "--ttl '%s' is not between 1m and 365d", text);
	if (r < 0)
		return umctl_fail_code(UMCTL_EX_DATAERR, what,
				       "--ttl '%s' is not a duration (N, Ns, Nm, Nh or Nd, e.g. 24h)",
				       text);
	return 0;
}

int umctl_cmd_user_reset_password(struct umctl_cmd *cmd)
{
	_cleanup_(um_store_closep) struct um_store *s = NULL;
	_cleanup_(um_user_freep) struct um_user *u = NULL;
	_cleanup_free_ char *what = NULL;
	const char *name = cmd->args[0];
	const char *ttl_text = umctl_opt(cmd, "ttl");
	struct umctl_token t;
	int64_t ttl = 0;
	int r;

	what = um_asprintf("issue a reset token for user '%s'", name);
	if (!what)
		return umctl_fail(-ENOMEM, "issue a reset token");
	r = um_check_name("user name", name);
	if (r < 0)
		return umctl_fail(r, "%s", what);
	if (ttl_text) {
		r = parse_ttl(ttl_text, what, &ttl);
		if (r)
			return r;
	}
	r = umctl_open_store(cmd, UM_STORE_WRITE, &s, what);
	if (r)
		return r;
	r = um_user_get(s, name, &u);
	if (r < 0)
		return umctl_fail(r, "%s", what);
	r = umctl_issue_token(cmd, s, u, "reset", ttl, what, &t);
	if (r)
		return r;
	out_record_begin();
	out_str("user", u->name);
	out_str("purpose", "reset");
	umctl_emit_token(&t);
	out_record_end();
	explicit_bzero(&t, sizeof(t));
	return 0;
}

/* ------------------------------------------------------------ user show */

void umctl_user_policy_free(struct umctl_user_policy *p)
{
	um_absence_list_free(p->absences, p->n_absences);
	um_strv_free(p->services, p->n_services);
	*p = (struct umctl_user_policy){ 0 };
}

int umctl_user_policy_load(struct um_store *s, const struct um_user *u, const char *what,
			   struct umctl_user_policy *ret)
{
	struct umctl_user_policy p = { 0 };
	int r;

	r = um_user_list_absences(s, u->name, &p.absences, &p.n_absences);
	if (r >= 0)
		r = um_user_services(s, u->name, &p.services, &p.n_services);
	if (r >= 0)
		r = um_lockout_status(s, u->name, time(NULL), &p.lockout);
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
	out_array_begin("services");
	for (size_t i = 0; i < p->n_services; i++)
		out_str(NULL, p->services[i]);
	out_array_end();
	out_u64("failed_logins", p->lockout.failures);
	out_time("locked_until", p->lockout.locked ? p->lockout.locked_until : 0);
}

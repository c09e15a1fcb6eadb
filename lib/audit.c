/* SPDX-License-Identifier: MIT */
/* umgmt core: the audit trail, owner of the audit table. */
#include "audit.h"
#include "umgmt/date.h"

static const char sql_audit[] =
	"INSERT INTO audit(at, actor, action, target_kind, target, user_id, detail)\n"
	"VALUES (:at, :actor, :action, :kind, :target, :user_id, :detail)";

int um_audit(struct um_store *s, const char *action, const char *target_kind, const char *target,
	     int64_t user_id, const char *detail)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = um_db_prepare(&s->db, sql_audit, &st);

	if (r < 0)
		return r;
	if ((r = um_bind_int(st, ":at", um_now())) < 0 ||
	    (r = um_bind_text(st, ":actor", s->actor)) < 0 ||
	    (r = um_bind_text(st, ":action", action)) < 0 ||
	    (r = um_bind_text(st, ":kind", target_kind)) < 0 ||
	    (r = um_bind_text(st, ":target", target ? target : "")) < 0 ||
	    (r = um_bind_text(st, ":detail", detail ? detail : "")) < 0 ||
	    (user_id > 0 && (r = um_bind_int(st, ":user_id", user_id)) < 0))
		return r;
	return um_db_exec_stmt(&s->db, st, "write the audit record");
}

static const char sql_forget_user[] =
	"UPDATE audit SET target = '', detail = '' WHERE user_id = :id";
static const char sql_forget_group[] =
	"UPDATE audit SET target = '' WHERE target_kind = 'group' AND target = :name";

int um_audit_forget_user(struct um_store *s, int64_t user_id, const char *group_name)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	if (group_name) {
		r = um_db_prepare(&s->db, sql_forget_group, &st);
		if (r >= 0)
			r = um_bind_text(st, ":name", group_name);
		if (r >= 0)
			r = um_db_exec_stmt(&s->db, st, "scrub the audit trail");
		if (r < 0)
			return r;
		sqlite3_finalize(st);
		st = NULL;
	}
	r = um_db_prepare(&s->db, sql_forget_user, &st);
	if (r >= 0)
		r = um_bind_int(st, ":id", user_id);
	return r < 0 ? r : um_db_exec_stmt(&s->db, st, "scrub the audit trail");
}

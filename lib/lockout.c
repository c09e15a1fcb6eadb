/* SPDX-License-Identifier: MIT */
/*
 * umgmt core: the lockout after failed logins, owner of the host-local
 * login_failures table (lockout.h, lockout-private.h).
 *
 * The writes here are made by the PAM module during a login, so they wait
 * only UM_LOGIN_BUSY_TIMEOUT_MS for a busy store and then give up
 * (-EBUSY): losing one failure record is better than making every login
 * wait behind a long umctl transaction. They write no audit record (the
 * module's syslog has them); the admin's um_lockout_unlock does.
 */
#include "audit.h"
#include "lockout-private.h"
#include "user-private.h"
#include "umgmt/login.h"
#include "umgmt/sentence.h"

static const char sql_failures[] = "SELECT count(*), ifnull(max(at), 0) FROM login_failures\n"
				   "WHERE user_id = :id AND at > :since";

int um_lockout_status(struct um_store *s, int64_t user_id, time_t now,
		      struct um_lockout_status *ret)
{
	const struct um_config *c = s->cfg;
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	struct um_lockout_status ls = { 0 };
	int r;

	r = um_db_prepare(&s->db, sql_failures, &st);
	if (r >= 0)
		r = um_bind_int(st, ":id", user_id);
	if (r >= 0)
		r = um_bind_int(st, ":since", (int64_t)now - c->lockout_fail_interval);
	if (r >= 0)
		r = um_db_step(&s->db, st, "read the failed logins");
	if (r < 0)
		return r;
	ls.failures = (unsigned)sqlite3_column_int64(st, 0);
	ls.last_failure = sqlite3_column_int64(st, 1);
	if (c->lockout_deny > 0 && ls.failures >= c->lockout_deny &&
	    ls.last_failure > (int64_t)now - c->lockout_unlock_time) {
		int64_t left = ls.last_failure + c->lockout_unlock_time - (int64_t)now;
		int64_t minutes = (left + 59) / 60;
		char how_long[32];

		ls.locked = true;
		ls.locked_until = ls.last_failure + c->lockout_unlock_time;
		snprintf(how_long, sizeof(how_long), "%lld minute%s", (long long)minutes,
			 minutes == 1 ? "" : "s");
		um_sentence_format(UM_SAY_LOCKED_FOR, how_long, ls.message, sizeof(ls.message));
	}
	*ret = ls;
	return 0;
}

static const char sql_add_failure[] =
	"INSERT INTO login_failures(user_id, at, service, rhost) VALUES (:id, :at, :service, :rhost)";
/* Failures older than both windows can never count again. */
static const char sql_prune[] = "DELETE FROM login_failures WHERE user_id = :id AND at <= :before";

int um_lockout_record_failure(struct um_store *s, int64_t user_id, const char *service,
			      const char *rhost, time_t now)
{
	const struct um_config *c = s->cfg;
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int64_t keep;
	int r;

	r = um_db_begin_within(&s->db, UM_LOGIN_BUSY_TIMEOUT_MS, false);
	if (r < 0)
		return r;
	UM_TX_GUARD(&s->db);
	keep = c->lockout_fail_interval > c->lockout_unlock_time ? c->lockout_fail_interval
								 : c->lockout_unlock_time;
	r = um_db_prepare(&s->db, sql_prune, &st);
	if (r >= 0)
		r = um_bind_int(st, ":id", user_id);
	if (r >= 0)
		r = um_bind_int(st, ":before", (int64_t)now - keep);
	if (r >= 0)
		r = um_db_exec_stmt(&s->db, st, "forget old failed logins");
	if (r < 0)
		return r;
	sqlite3_finalize(st);
	st = NULL;
	r = um_db_prepare(&s->db, sql_add_failure, &st);
	if (r >= 0)
		r = um_bind_int(st, ":id", user_id);
	if (r >= 0)
		r = um_bind_int(st, ":at", (int64_t)now);
	if (r >= 0)
		r = um_bind_text(st, ":service", service ? service : "");
	if (r >= 0)
		r = um_bind_text(st, ":rhost", rhost ? rhost : "");
	if (r >= 0)
		r = um_db_exec_stmt(&s->db, st, "record the failed login");
	/* The user's row is gone (deleted since the login resolved it). */
	if (r == -EEXIST)
		return um_fail(-ESRCH, "the user is gone");
	if (r < 0)
		return r;
	return um_db_commit(&s->db);
}

static const char sql_clear_failures[] = "DELETE FROM login_failures WHERE user_id = :id";

int um_lockout_forget(struct um_store *s, int64_t user_id)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = um_db_prepare(&s->db, sql_clear_failures, &st);

	if (r >= 0)
		r = um_bind_int(st, ":id", user_id);
	return r < 0 ? r : um_db_exec_stmt(&s->db, st, "clear the failed logins");
}

int um_lockout_unlock(struct um_store *s, const char *name)
{
	char detail[48];
	int64_t id;
	int r;

	r = um_db_begin(&s->db);
	if (r < 0)
		return r;
	UM_TX_GUARD(&s->db);
	r = um_user_id(s, name, &id);
	if (r >= 0)
		r = um_lockout_forget(s, id);
	if (r < 0)
		return r;
	snprintf(detail, sizeof(detail), "%d failures cleared", um_db_changes(&s->db));
	r = um_audit(s, "user unlock", "user", name, id, detail);
	if (r < 0)
		return r;
	return um_db_commit(&s->db);
}

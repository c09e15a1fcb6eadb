/* SPDX-License-Identifier: MIT */
/*
 * umgmt core: the lockout after failed logins, and the last login.
 *
 * Like pam_faillock: a user with at least [lockout] deny failures within
 * fail_interval is locked until unlock_time after the last of them. The
 * writes here are made by the PAM module during a login, so they wait only
 * UM_LOGIN_BUSY_TIMEOUT_MS for a busy store and then give up (-EBUSY):
 * losing one failure record is better than making every login wait behind
 * a long umctl transaction. They write no audit record (the syslog of the
 * module has them); the admin's um_user_unlock does.
 */
#include "policy-private.h"

static const char sql_failures[] =
	"SELECT count(*), ifnull(max(at), 0) FROM login_failures\n"
	"WHERE user_id = :id AND at > :since";

int um_lockout_status(struct um_store *s, const char *name, time_t now,
		      struct um_lockout_status *ret)
{
	const struct um_config *c = s->cfg;
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	struct um_lockout_status ls = { 0 };
	int64_t id;
	int r, rc;

	r = um_policy_user_id(s, name, &id);
	if (r < 0)
		return r;
	r = um_db_prepare(s, sql_failures, &st);
	if (r < 0)
		return r;
	um_bind_int(st, ":id", id);
	um_bind_int(st, ":since", (int64_t)now - c->lockout_fail_interval);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		return um_db_error(s, rc, "read the failed logins");
	ls.failures = (unsigned)sqlite3_column_int64(st, 0);
	ls.last_failure = sqlite3_column_int64(st, 1);
	if (c->lockout_deny > 0 && ls.failures >= c->lockout_deny &&
	    ls.last_failure > (int64_t)now - c->lockout_unlock_time) {
		int64_t left = ls.last_failure + c->lockout_unlock_time - (int64_t)now;
		int64_t minutes = (left + 59) / 60;

		ls.locked = true;
		ls.locked_until = ls.last_failure + c->lockout_unlock_time;
		snprintf(ls.message, sizeof(ls.message),
			 "Your account is locked after too many failed login attempts. "
			 "Try again in %lld minute%s.",
			 (long long)minutes, minutes == 1 ? "" : "s");
	}
	*ret = ls;
	return 0;
}

int um_lockout_is_locked(struct um_store *s, const char *name, time_t now)
{
	struct um_lockout_status ls;
	int r = um_lockout_status(s, name, now, &ls);

	return r < 0 ? r : ls.locked;
}

static const char sql_add_failure[] =
	"INSERT INTO login_failures(user_id, at, service, rhost) VALUES (:id, :at, :service, :rhost)";
/* Failures older than both windows can never count again. */
static const char sql_prune[] = "DELETE FROM login_failures WHERE user_id = :id AND at <= :before";

int um_lockout_record_failure(struct um_store *s, const char *name, const char *service,
			      const char *rhost, time_t now)
{
	const struct um_config *c = s->cfg;
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int64_t id, keep;
	int r;

	r = um_login_tx_begin(s, false);
	if (r < 0)
		return r;
	UM_TX_GUARD(s);
	r = um_policy_user_id(s, name, &id);
	if (r < 0)
		return r;
	keep = c->lockout_fail_interval > c->lockout_unlock_time ? c->lockout_fail_interval :
								     c->lockout_unlock_time;
	r = um_db_prepare(s, sql_prune, &st);
	if (r < 0)
		return r;
	um_bind_int(st, ":id", id);
	um_bind_int(st, ":before", (int64_t)now - keep);
	r = um_db_exec_stmt(s, st, "forget old failed logins");
	sqlite3_finalize(st);
	st = NULL;
	if (r < 0)
		return r;
	r = um_db_prepare(s, sql_add_failure, &st);
	if (r < 0)
		return r;
	um_bind_int(st, ":id", id);
	um_bind_int(st, ":at", (int64_t)now);
	um_bind_text(st, ":service", service ? service : "");
	um_bind_text(st, ":rhost", rhost ? rhost : "");
	r = um_db_exec_stmt(s, st, "record the failed login");
	if (r < 0)
		return r;
	return um_tx_commit(s, false);
}

static const char sql_clear_failures[] = "DELETE FROM login_failures WHERE user_id = :id";
static const char sql_last_login[] =
	"UPDATE users SET last_login_at = :at, last_login_service = :service,\n"
	"  last_login_host = :rhost WHERE id = :id";

int um_login_record_success(struct um_store *s, const char *name, const char *service,
			    const char *rhost, time_t now, bool password_verified)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int64_t id;
	int r;

	r = um_login_tx_begin(s, false);
	if (r < 0)
		return r;
	UM_TX_GUARD(s);
	r = um_policy_user_id(s, name, &id);
	if (r < 0)
		return r;
	r = um_db_prepare(s, sql_last_login, &st);
	if (r < 0)
		return r;
	um_bind_int(st, ":at", (int64_t)now);
	um_bind_text(st, ":service", service ? service : "");
	um_bind_text(st, ":rhost", rhost ? rhost : "");
	um_bind_int(st, ":id", id);
	r = um_db_exec_stmt(s, st, "record the login");
	sqlite3_finalize(st);
	st = NULL;
	if (r < 0)
		return r;
	if (!password_verified)
		return um_tx_commit(s, false);
	r = um_db_prepare(s, sql_clear_failures, &st);
	if (r < 0)
		return r;
	um_bind_int(st, ":id", id);
	r = um_db_exec_stmt(s, st, "clear the failed logins");
	if (r < 0)
		return r;
	return um_tx_commit(s, false);
}

int um_user_unlock(struct um_store *s, const char *name)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	char detail[48];
	int64_t id;
	int r;

	r = um_tx_begin(s);
	if (r < 0)
		return r;
	UM_TX_GUARD(s);
	r = um_policy_user_id(s, name, &id);
	if (r < 0)
		return r;
	r = um_db_prepare(s, sql_clear_failures, &st);
	if (r < 0)
		return r;
	um_bind_int(st, ":id", id);
	r = um_db_exec_stmt(s, st, "clear the failed logins");
	if (r < 0)
		return r;
	snprintf(detail, sizeof(detail), "%d failures cleared", sqlite3_changes(s->db));
	r = um_audit(s, "user unlock", "user", name, id, detail);
	if (r < 0)
		return r;
	return um_tx_commit(s, false);
}

/* SPDX-License-Identifier: MIT */
/*
 * umgmt core: the last login, owner of the host-local user_logins table
 * (login.h, login-private.h). Written by the PAM module during a login:
 * the write waits only UM_LOGIN_BUSY_TIMEOUT_MS for a busy store and is
 * not fsynced (a power loss may forget the last few; they are
 * bookkeeping, not the truth).
 */
#include "lockout-private.h"
#include "login-private.h"
#include "umgmt/login.h"

static const char sql_record[] =
	"INSERT INTO user_logins(user_id, at, service, host) VALUES (:id, :at, :service, :host)\n"
	"ON CONFLICT (user_id) DO UPDATE SET at = excluded.at, service = excluded.service,\n"
	"  host = excluded.host";

int um_login_record_success(struct um_store *s, int64_t user_id, const char *service,
			    const char *rhost, time_t now, bool password_verified)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	r = um_db_begin_within(&s->db, UM_LOGIN_BUSY_TIMEOUT_MS, false);
	if (r < 0)
		return r;
	UM_TX_GUARD(&s->db);
	r = um_db_prepare(&s->db, sql_record, &st);
	if (r >= 0)
		r = um_bind_int(st, ":id", user_id);
	if (r >= 0)
		r = um_bind_int(st, ":at", (int64_t)now);
	if (r >= 0)
		r = um_bind_text(st, ":service", service ? service : "");
	if (r >= 0)
		r = um_bind_text(st, ":host", rhost ? rhost : "");
	if (r >= 0)
		r = um_db_exec_stmt(&s->db, st, "record the login");
	/* The user's row is gone (deleted since the login resolved it). */
	if (r == -EEXIST)
		r = um_fail(-ESRCH, "the user is gone");
	if (r >= 0 && password_verified)
		r = um_lockout_forget(s, user_id);
	if (r < 0)
		return r;
	return um_db_commit(&s->db);
}

static const char sql_last[] = "SELECT at, service, host FROM user_logins WHERE user_id = :id";

int um_login_last(struct um_store *s, sqlite3_stmt **cache, int64_t user_id, int64_t *ret_at,
		  char **ret_service, char **ret_host)
{
	_cleanup_stmt_ sqlite3_stmt *own = NULL;
	sqlite3_stmt **st = cache ? cache : &own;
	int r = um_db_prepare_cached(&s->db, st, sql_last);

	if (r >= 0)
		r = um_bind_int(*st, ":id", user_id);
	if (r >= 0)
		r = um_db_step(&s->db, *st, "read the last login");
	if (r < 0)
		return r;
	*ret_at = 0;
	*ret_service = *ret_host = NULL;
	if (r == 0)
		return 0;
	*ret_at = sqlite3_column_int64(*st, 0);
	*ret_service = um_col_text(*st, 1, false);
	*ret_host = um_col_text(*st, 2, false);
	if (!*ret_service || !*ret_host) {
		free(*ret_service);
		free(*ret_host);
		*ret_service = *ret_host = NULL;
		return -ENOMEM;
	}
	return 0;
}

static const char sql_all[] = "SELECT user_id, at, service, host FROM user_logins";

int um_login_last_all(struct um_store *s,
		      int (*each)(void *ctx, int64_t user_id, int64_t at, const char *service,
				  const char *host),
		      void *ctx)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = um_db_prepare(&s->db, sql_all, &st), rc;

	if (r < 0)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *service = sqlite3_column_text(st, 2);
		const unsigned char *host = sqlite3_column_text(st, 3);

		r = each(ctx, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
			 service ? (const char *)service : "", host ? (const char *)host : "");
		if (r < 0)
			return r;
	}
	return rc == SQLITE_DONE ? 0 : um_db_error(&s->db, rc, "read the last logins");
}

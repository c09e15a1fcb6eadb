/* SPDX-License-Identifier: MIT */
/*
 * umgmt core: the account flags (enabled, approved, absences, expiry, a
 * forced password change) and the account decision with the sentence a
 * refused user reads. Service access lives in service.c, tokens in
 * token.c, the lockout in lockout.c. See docs/POLICY.md.
 *
 * None of these flags is part of what NSS serves (a disabled user still
 * owns files), so the changes commit without publishing a snapshot.
 */
#include <time.h>

#include "policy-private.h"

/* ---- shared helpers ---- */

static const char sql_user_id[] = "SELECT id FROM users WHERE name = :name";

int um_policy_user_id(struct um_store *s, const char *name, int64_t *ret_id)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = um_db_prepare(s, sql_user_id, &st), rc;

	if (r < 0)
		return r;
	um_bind_text(st, ":name", name);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return um_fail(-ESRCH, "no umgmt user named '%s'", name ? name : "");
	if (rc != SQLITE_ROW)
		return um_db_error(s, rc, "look up the user");
	*ret_id = sqlite3_column_int64(st, 0);
	return 0;
}

int um_login_tx_begin(struct um_store *s, bool durable)
{
	int r;

	sqlite3_busy_timeout(s->db, UM_LOGIN_BUSY_TIMEOUT_MS);
	r = um_tx_begin_sync(s, durable);
	sqlite3_busy_timeout(s->db, UM_STORE_BUSY_TIMEOUT_MS);
	return r;
}

void um_strv_free(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

/* ---- dates ---- */

static const char *const month_names[] = {
	"January", "February", "March",     "April",   "May",      "June",
	"July",    "August",   "September", "October", "November", "December",
};

static bool is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

int um_parse_date(const char *text, int *ret_y, int *ret_m, int *ret_d)
{
	int y = 0, m = 0, d = 0;

	if (!text || strlen(text) != 10 || text[4] != '-' || text[7] != '-')
		goto bad;
	for (int i = 0; i < 10; i++) {
		if (i == 4 || i == 7)
			continue;
		if (text[i] < '0' || text[i] > '9')
			goto bad;
	}
	y = (text[0] - '0') * 1000 + (text[1] - '0') * 100 + (text[2] - '0') * 10 + (text[3] - '0');
	m = (text[5] - '0') * 10 + (text[6] - '0');
	d = (text[8] - '0') * 10 + (text[9] - '0');
	if (y < 1970 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
		goto bad;
	if (ret_y)
		*ret_y = y;
	if (ret_m)
		*ret_m = m;
	if (ret_d)
		*ret_d = d;
	return 0;
bad:
	return um_fail(-EINVAL, "'%s' is not a date of the form YYYY-MM-DD (e.g. 2026-12-24)",
		       text ? text : "");
}

void um_today(time_t now, char out[11])
{
	struct tm tm;

	if (!localtime_r(&now, &tm)) {
		snprintf(out, 11, "1970-01-01");
		return;
	}
	snprintf(out, 11, "%04u-%02u-%02u", (unsigned)(tm.tm_year + 1900) % 10000u,
		 (unsigned)(tm.tm_mon + 1) % 100u, (unsigned)tm.tm_mday % 100u);
}

int um_format_date(const char *date, const char *today, bool with_year, char *out, size_t size)
{
	int y, m, d, r;

	r = um_parse_date(date, &y, &m, &d);
	if (r < 0)
		return r;
	if (!today || strncmp(date, today, 4))
		with_year = true;
	if (with_year)
		snprintf(out, size, "%d %s %d", d, month_names[m - 1], y);
	else
		snprintf(out, size, "%d %s", d, month_names[m - 1]);
	return 0;
}

/* Days since 1970-01-01 of a valid date (H. Hinnant's days_from_civil). */
static int64_t day_number(const char *date)
{
	int y, m, d;

	if (um_parse_date(date, &y, &m, &d) < 0)
		return 0;
	y -= m <= 2;
	int64_t era = y / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* ---- flags ---- */

/* Runs one UPDATE of user name's row (sql binds :id, :now, and :v or
 * :actor when it has them) and audits it with action, unless it changed
 * nothing. */
static int update_user(struct um_store *s, const char *name, const char *sql, const char *v,
		       const char *action, const char *detail)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int64_t id;
	int r;

	r = um_tx_begin(s);
	if (r < 0)
		return r;
	UM_TX_GUARD(s);
	r = um_policy_user_id(s, name, &id);
	if (r < 0)
		return r;
	r = um_db_prepare(s, sql, &st);
	if (r < 0)
		return r;
	um_bind_int(st, ":id", id);
	um_bind_int(st, ":now", um_now());
	um_bind_text(st, ":v", v);
	um_bind_text(st, ":actor", s->actor);
	r = um_db_exec_stmt(s, st, "change the user");
	if (r < 0)
		return r;
	if (sqlite3_changes(s->db) == 0) {
		um_tx_rollback(s);
		return 0;
	}
	r = um_audit(s, action, "user", name, id, detail);
	if (r < 0)
		return r;
	return um_tx_commit(s, false);
}

int um_user_set_enabled(struct um_store *s, const char *name, bool enabled)
{
	return update_user(s, name,
			   enabled ? "UPDATE users SET enabled = 1, updated_at = :now\n"
				     "WHERE id = :id AND enabled = 0" :
				     "UPDATE users SET enabled = 0, updated_at = :now\n"
				     "WHERE id = :id AND enabled != 0",
			   NULL, enabled ? "user enable" : "user disable", "");
}

int um_user_set_approved(struct um_store *s, const char *name, bool approved)
{
	return update_user(s, name,
			   approved ? "UPDATE users SET approved = 1, approved_at = :now,\n"
				      "  approved_by = :actor, updated_at = :now\n"
				      "WHERE id = :id AND approved = 0" :
				      "UPDATE users SET approved = 0, approved_at = NULL,\n"
				      "  approved_by = NULL, updated_at = :now\n"
				      "WHERE id = :id AND approved != 0",
			   NULL, approved ? "user approve" : "user unapprove", "");
}

int um_user_set_expiry(struct um_store *s, const char *name, const char *date)
{
	_cleanup_free_ char *detail = NULL;
	int r;

	if (date && (r = um_parse_date(date, NULL, NULL, NULL)) < 0)
		return um_fail(r, "expiry date '%s' is not a date of the form YYYY-MM-DD", date);
	detail = um_asprintf("expires %s", date ? date : "never");
	if (!detail)
		return -ENOMEM;
	return update_user(s, name,
			   "UPDATE users SET expires_on = :v, updated_at = :now\n"
			   "WHERE id = :id AND expires_on IS NOT :v",
			   date, "user expiry", detail);
}

int um_user_expire_password(struct um_store *s, const char *name)
{
	return update_user(s, name,
			   "UPDATE users SET password_must_change = 1, updated_at = :now\n"
			   "WHERE id = :id AND password_must_change = 0",
			   NULL, "user expire password", "");
}

/* ---- absences ---- */

/* A reason is shown to admins only: printable, one line, <= 200 bytes. */
static int check_reason(const char *reason)
{
	if (strlen(reason) > 200)
		return um_fail(-EINVAL, "the reason is longer than 200 bytes");
	for (const char *p = reason; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return um_fail(-EINVAL, "the reason contains a control character");
	return 0;
}

static const char sql_add_absence[] =
	"INSERT INTO absences(user_id, starts_on, ends_on, reason, created_at)\n"
	"VALUES (:id, :from, :until, :reason, :now)";

int um_user_add_absence(struct um_store *s, const char *name, const char *from,
			const char *until, const char *reason)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	_cleanup_free_ char *detail = NULL;
	int64_t id;
	int r;

	if (um_parse_date(from, NULL, NULL, NULL) < 0)
		return um_fail(-EINVAL, "start date '%s' is not a date of the form YYYY-MM-DD",
			       from ? from : "");
	if (until && *until && um_parse_date(until, NULL, NULL, NULL) < 0)
		return um_fail(-EINVAL, "end date '%s' is not a date of the form YYYY-MM-DD", until);
	if (until && !*until)
		until = NULL;
	if (until && strcmp(until, from) < 0)
		return um_fail(-EINVAL, "the absence would end (%s) before it starts (%s)", until,
			       from);
	if (!reason)
		reason = "";
	r = check_reason(reason);
	if (r < 0)
		return r;
	detail = um_asprintf("%s..%s", from, until ? until : "");
	if (!detail)
		return -ENOMEM;

	r = um_tx_begin(s);
	if (r < 0)
		return r;
	UM_TX_GUARD(s);
	r = um_policy_user_id(s, name, &id);
	if (r < 0)
		return r;
	r = um_db_prepare(s, sql_add_absence, &st);
	if (r < 0)
		return r;
	um_bind_int(st, ":id", id);
	um_bind_text(st, ":from", from);
	um_bind_text(st, ":until", until);
	um_bind_text(st, ":reason", reason);
	um_bind_int(st, ":now", um_now());
	r = um_db_exec_stmt(s, st, "add the absence");
	if (r >= 0)
		r = um_audit(s, "user absence", "user", name, id, detail);
	if (r < 0)
		return r;
	return um_tx_commit(s, false);
}

int um_user_clear_absences(struct um_store *s, const char *name)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int64_t id;
	int r;

	r = um_tx_begin(s);
	if (r < 0)
		return r;
	UM_TX_GUARD(s);
	r = um_policy_user_id(s, name, &id);
	if (r < 0)
		return r;
	r = um_db_prepare(s, "DELETE FROM absences WHERE user_id = :id", &st);
	if (r < 0)
		return r;
	um_bind_int(st, ":id", id);
	r = um_db_exec_stmt(s, st, "clear the absences");
	if (r < 0)
		return r;
	if (sqlite3_changes(s->db) == 0)
		return 0; /* nothing to clear: no change, no audit */
	r = um_audit(s, "user absence clear", "user", name, id, "");
	if (r < 0)
		return r;
	return um_tx_commit(s, false);
}

void um_absence_list_free(struct um_absence *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i].reason);
	free(v);
}

static const char sql_absences[] =
	"SELECT starts_on, ifnull(ends_on, ''), reason FROM absences WHERE user_id = :id\n"
	"ORDER BY starts_on, id";

static int load_absences(struct um_store *s, int64_t id, struct um_absence **ret, size_t *ret_n)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	struct um_absence *v = NULL;
	size_t n = 0;
	int r, rc;

	r = um_db_prepare(s, sql_absences, &st);
	if (r < 0)
		return r;
	um_bind_int(st, ":id", id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct um_absence *nv = realloc(v, (n + 1) * sizeof(*nv));

		if (!nv) {
			um_absence_list_free(v, n);
			return -ENOMEM;
		}
		v = nv;
		memset(&v[n], 0, sizeof(v[n]));
		snprintf(v[n].from, sizeof(v[n].from), "%s", sqlite3_column_text(st, 0));
		snprintf(v[n].until, sizeof(v[n].until), "%s", sqlite3_column_text(st, 1));
		v[n].reason = um_col_text(st, 2, false);
		n++;
		if (!v[n - 1].reason) {
			um_absence_list_free(v, n);
			return -ENOMEM;
		}
	}
	if (rc != SQLITE_DONE) {
		um_absence_list_free(v, n);
		return um_db_error(s, rc, "read the absences");
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

int um_user_list_absences(struct um_store *s, const char *name, struct um_absence **ret,
			  size_t *ret_n)
{
	int64_t id;
	int r = um_policy_user_id(s, name, &id);

	return r < 0 ? r : load_absences(s, id, ret, ret_n);
}

/* Whether today lies in an absence of user id; until = the last day of the
 * joined stretch ("" = open-ended). Returns 1, 0, or an error. */
static int absent_until(struct um_store *s, int64_t id, const char *today, char until[11])
{
	struct um_absence *v = NULL;
	size_t n = 0;
	int64_t t = day_number(today), start = 0, end = 0;
	char last[11] = "";
	bool have = false;
	int r;

	r = load_absences(s, id, &v, &n);
	if (r < 0)
		return r;
	/* v is sorted by start: sweep, joining windows that overlap or touch
	 * (one ends on the 10th, the next starts on the 11th), until the
	 * stretch that holds today is complete. */
	for (size_t i = 0; i < n; i++) {
		int64_t a = day_number(v[i].from);
		int64_t b = v[i].until[0] ? day_number(v[i].until) : INT64_MAX;

		if (have && (end == INT64_MAX || a <= end + 1)) {
			if (b > end) {
				end = b;
				memcpy(last, v[i].until, sizeof(last));
			}
			continue;
		}
		if (have && start <= t && t <= end)
			break;
		start = a;
		end = b;
		memcpy(last, v[i].until, sizeof(last));
		have = true;
	}
	um_absence_list_free(v, n);
	if (!have || t < start || t > end)
		return 0;
	memcpy(until, last, sizeof(last));
	return 1;
}

int um_user_absent_until(struct um_store *s, const char *name, time_t now, char until[11])
{
	char today[11], u[11] = "";
	int64_t id;
	int r;

	r = um_policy_user_id(s, name, &id);
	if (r < 0)
		return r;
	um_today(now, today);
	r = absent_until(s, id, today, u);
	if (r == 1)
		memcpy(until, u, sizeof(u));
	return r;
}

/* ---- the account decision ---- */

static const char sql_decide[] =
	"SELECT id, enabled, approved, expires_on, password_must_change FROM users\n"
	"WHERE name = :name";

static int decide(struct um_account_decision *d, enum um_verdict v, const char *reason,
		  const char *fmt, ...) _printf_(4, 5);
static int decide(struct um_account_decision *d, enum um_verdict v, const char *reason,
		  const char *fmt, ...)
{
	va_list ap;

	d->verdict = v;
	snprintf(d->reason, sizeof(d->reason), "%s", reason);
	va_start(ap, fmt);
	vsnprintf(d->message, sizeof(d->message), fmt, ap);
	va_end(ap);
	return 0;
}

int um_account_decide(struct um_store *s, const char *name, const char *service, time_t now,
		      struct um_account_decision *ret)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	struct um_account_decision d = { .verdict = UM_ALLOW };
	char today[11], until[11] = "", pretty[48], reason[128], why[96];
	_cleanup_free_ char *expires_on = NULL;
	bool enabled, approved, must_change;
	int64_t id;
	int r, rc;

	r = um_check_service_name(service);
	if (r < 0)
		return r;
	r = um_db_prepare(s, sql_decide, &st);
	if (r < 0)
		return r;
	um_bind_text(st, ":name", name);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return um_fail(-ESRCH, "no umgmt user named '%s'", name ? name : "");
	if (rc != SQLITE_ROW)
		return um_db_error(s, rc, "read the user");
	id = sqlite3_column_int64(st, 0);
	enabled = sqlite3_column_int(st, 1);
	approved = sqlite3_column_int(st, 2);
	expires_on = um_col_text(st, 3, true);
	must_change = sqlite3_column_int(st, 4);
	if (sqlite3_column_type(st, 3) != SQLITE_NULL && !expires_on)
		return -ENOMEM;
	sqlite3_finalize(st);
	st = NULL;
	um_today(now, today);

	if (!enabled)
		decide(&d, UM_DENY_DISABLED, "disabled",
		       "Your account has been disabled. Please contact an administrator.");
	else if (!approved)
		decide(&d, UM_DENY_PENDING, "pending approval",
		       "Your account is waiting for approval by an administrator.");
	else if (expires_on && strcmp(expires_on, today) <= 0) {
		if (um_format_date(expires_on, today, true, pretty, sizeof(pretty)) < 0)
			return um_fail(-EBADMSG, "user '%s' has a bad expiry date in the store",
				       name);
		snprintf(reason, sizeof(reason), "expired on %s", expires_on);
		decide(&d, UM_DENY_EXPIRED, reason,
		       "Your account expired on %s. Please contact an administrator.", pretty);
	} else if ((r = absent_until(s, id, today, until)) != 0) {
		if (r < 0)
			return r;
		if (!until[0]) {
			decide(&d, UM_DENY_ABSENT, "absent until further notice",
			       "You are marked absent until further notice.");
		} else {
			um_format_date(until, today, false, pretty, sizeof(pretty));
			snprintf(reason, sizeof(reason), "absent until %s", until);
			decide(&d, UM_DENY_ABSENT, reason, "You are marked absent until %s.", pretty);
		}
	} else if ((r = um_service_reach(s, id, service, why, sizeof(why))) != 1) {
		if (r < 0)
			return r;
		snprintf(reason, sizeof(reason), "service %s: %s", service, why);
		decide(&d, UM_DENY_SERVICE, reason,
		       "You are not allowed to log in to this machine with %s.", service);
	} else if (must_change) {
		decide(&d, UM_ALLOW_MUST_CHANGE, "password change required",
		       "You are required to change your password immediately "
		       "(administrator enforced).");
	} else {
		snprintf(d.reason, sizeof(d.reason), "service %s: %s", service, why);
	}
	*ret = d;
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * umgmt core: long-term absences, owner of the absences table
 * (absence.h). An absent user is refused at login; NSS still serves them
 * (they own files), so nothing here publishes.
 */
#include "audit.h"
#include "user-private.h"
#include "umgmt/absence.h"
#include "umgmt/date.h"

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

int um_absence_add(struct um_store *s, const char *name, const char *from, const char *until,
		   const char *reason)
{
	_cleanup_free_ char *detail = NULL;
	int r;

	if ((r = um_parse_date(from, NULL, NULL, NULL)) < 0)
		return um_fail(r, "start date %s", um_error_detail(r));
	if (until && *until && (r = um_parse_date(until, NULL, NULL, NULL)) < 0)
		return um_fail(r, "end date %s", um_error_detail(r));
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
	return um_user_change(
		s, name,
		&(struct um_user_change){
			.sql = sql_add_absence,
			.params = { { ":from", from }, { ":until", until }, { ":reason", reason } },
			.action = "user absence",
			.detail = detail,
		});
}

int um_absence_clear(struct um_store *s, const char *name)
{
	/* Nothing to clear is no change and no audit record. */
	return um_user_change(s, name,
			      &(struct um_user_change){
				      .sql = "DELETE FROM absences WHERE user_id = :id",
				      .action = "user absence clear",
			      });
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

	r = um_db_prepare(&s->db, sql_absences, &st);
	if (r >= 0)
		r = um_bind_int(st, ":id", id);
	if (r < 0)
		return r;
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
		return um_db_error(&s->db, rc, "read the absences");
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

int um_absence_list(struct um_store *s, const char *name, struct um_absence **ret, size_t *ret_n)
{
	int64_t id;
	int r = um_user_id(s, name, &id);

	return r < 0 ? r : load_absences(s, id, ret, ret_n);
}

int um_absence_today(struct um_store *s, int64_t user_id, const char *today, char until[11])
{
	struct um_absence *v = NULL;
	size_t n = 0;
	int64_t t = um_date_day_number(today), start = 0, end = 0;
	char last[11] = "";
	bool have = false;
	int r;

	r = load_absences(s, user_id, &v, &n);
	if (r < 0)
		return r;
	/* v is sorted by start: sweep, joining windows that overlap or touch
	 * (one ends on the 10th, the next starts on the 11th), until the
	 * stretch that holds today is complete. */
	for (size_t i = 0; i < n; i++) {
		int64_t a = um_date_day_number(v[i].from);
		int64_t b = v[i].until[0] ? um_date_day_number(v[i].until) : INT64_MAX;

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

int um_absence_until(struct um_store *s, const char *name, time_t now, char until[11])
{
	char today[11], u[11] = "";
	int64_t id;
	int r;

	r = um_user_id(s, name, &id);
	if (r < 0)
		return r;
	um_today(now, today);
	r = um_absence_today(s, id, today, u);
	if (r == 1)
		memcpy(until, u, sizeof(u));
	return r;
}

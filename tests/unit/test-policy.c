/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of lib/policy.c: dates, the account flags (enabled,
 * approved, absences, expiry, forced password change) and the account
 * decision with every sentence a refused user reads. Time is always
 * passed in; TZ is UTC unless a test says otherwise.
 */
#include "policy-helpers.h"

/* 2026-06-15 12:00 UTC: "today" for most tests. */
#define NOW t_utc(2026, 6, 15, 12, 0, 0)

static int setup(void **state)
{
	t_tz("UTC");
	*state = t_store_with(NULL);
	t_add_user(*state, "alice");
	return 0;
}

static int setup_approval(void **state)
{
	t_tz("UTC");
	*state = t_store_with("[users]\napproval_required = yes\n");
	return 0;
}

static struct um_account_decision decide_at(struct fixture *f, const char *name,
					    const char *service, time_t now)
{
	struct um_account_decision d;

	memset(&d, 0x55, sizeof(d));
	if (t_try(um_account_decide(f->s, t_login(f, name), service, now, &d)) < 0)
		fail_msg("decide %s/%s: %s", name, service, um_error_text(t_last_err));
	return d;
}

static void assert_decision(struct fixture *f, const char *name, const char *service, time_t now,
			    enum um_verdict verdict, const char *message, const char *reason)
{
	struct um_account_decision d = decide_at(f, name, service, now);

	if (d.verdict != verdict)
		fail_msg("%s/%s: verdict %d, want %d (%s)", name, service, d.verdict, verdict,
			 d.message);
	assert_string_equal(d.message, message);
	if (reason && !strstr(d.reason, reason))
		fail_msg("reason '%s' lacks '%s'", d.reason, reason);
}

/* ---- dates ---- */

static void test_parse_date(void **state _unused_)
{
	static const struct {
		const char *text;
		int y, m, d; /* 0 = must fail */
	} cases[] = {
		{ "2026-12-24", 2026, 12, 24 }, { "1970-01-01", 1970, 1, 1 },
		{ "2024-02-29", 2024, 2, 29 },	{ "2000-02-29", 2000, 2, 29 },
		{ "9999-12-31", 9999, 12, 31 }, { "2026-02-29", 0, 0, 0 },
		{ "1900-02-29", 0, 0, 0 },	{ "2026-04-31", 0, 0, 0 },
		{ "2026-13-01", 0, 0, 0 },	{ "2026-00-10", 0, 0, 0 },
		{ "2026-01-00", 0, 0, 0 },	{ "1969-12-31", 0, 0, 0 },
		{ "2026-1-01", 0, 0, 0 },	{ "2026/01/01", 0, 0, 0 },
		{ "26-01-01", 0, 0, 0 },	{ "2026-01-01 ", 0, 0, 0 },
		{ " 2026-01-01", 0, 0, 0 },	{ "2026-01-0x", 0, 0, 0 },
		{ "+026-01-01", 0, 0, 0 },	{ "", 0, 0, 0 },
		{ "tomorrow", 0, 0, 0 },
	};

	for (size_t i = 0; i < UM_ELEMENTSOF(cases); i++) {
		int y = -1, m = -1, d = -1;
		int r = t_try(um_parse_date(cases[i].text, &y, &m, &d));

		if (cases[i].y == 0) {
			if (r != -EINVAL)
				fail_msg("'%s' parsed (%d)", cases[i].text, r);
			assert_detail_has(cases[i].text);
			assert_int_equal(y, -1); /* nothing written on failure */
		} else {
			if (r != 0)
				fail_msg("'%s' did not parse", cases[i].text);
			assert_int_equal(y, cases[i].y);
			assert_int_equal(m, cases[i].m);
			assert_int_equal(d, cases[i].d);
		}
	}
	assert_errno(um_parse_date(NULL, NULL, NULL, NULL), -EINVAL);
}

static void test_today_and_format(void **state _unused_)
{
	char today[11], out[48];

	t_tz("UTC");
	um_today(t_utc(2026, 12, 24, 23, 59, 59), today);
	assert_string_equal(today, "2026-12-24");
	um_today(t_utc(2027, 1, 3, 0, 0, 0), today);
	assert_string_equal(today, "2027-01-03");

	assert_ok(um_format_date("2026-12-24", "2026-06-15", false, out, sizeof(out)));
	assert_string_equal(out, "24 December");
	assert_ok(um_format_date("2027-01-03", "2026-06-15", false, out, sizeof(out)));
	assert_string_equal(out, "3 January 2027");
	assert_ok(um_format_date("2025-01-03", "2026-06-15", false, out, sizeof(out)));
	assert_string_equal(out, "3 January 2025");
	assert_ok(um_format_date("2026-12-01", "2026-06-15", true, out, sizeof(out)));
	assert_string_equal(out, "1 December 2026");
	assert_errno(um_format_date("2026-12-32", "2026-06-15", false, out, sizeof(out)), -EINVAL);
}

/* The account decision uses the machine's local date: at 2026-12-23 12:00
 * UTC it is already the 24th in New Zealand (UTC+13 in summer). */
static void test_local_dates(void **state)
{
	struct fixture *f = *state;
	time_t t = t_utc(2026, 12, 23, 12, 0, 0);
	char today[11];

	assert_ok(um_absence_add(f->s, "alice", "2026-12-24", "2026-12-26", NULL));

	t_tz("UTC");
	um_today(t, today);
	assert_string_equal(today, "2026-12-23");
	assert_decision(f, "alice", "login", t, UM_ALLOW, "", NULL);

	/* POSIX form of Pacific/Auckland: works without tzdata */
	t_tz("NZST-12NZDT,M9.5.0,M4.1.0/3");
	um_today(t, today);
	assert_string_equal(today, "2026-12-24");
	assert_decision(f, "alice", "login", t, UM_DENY_ABSENT,
			"You are marked absent until 26 December.", "absent until 2026-12-26");
	/* and the window ends on the local 26th as well */
	assert_decision(f, "alice", "login", t_utc(2026, 12, 26, 10, 59, 59), UM_DENY_ABSENT,
			"You are marked absent until 26 December.", NULL);
	assert_decision(f, "alice", "login", t_utc(2026, 12, 26, 11, 0, 0), UM_ALLOW, "", NULL);
	t_tz("UTC");
	assert_decision(f, "alice", "login", t_utc(2026, 12, 26, 11, 0, 0), UM_DENY_ABSENT,
			"You are marked absent until 26 December.", NULL);
}

/* ---- flags ---- */

static void test_flags(void **state)
{
	struct fixture *f = *state;
	struct um_status before = t_status(f);
	struct um_user *u = NULL;
	int64_t audit = t_count(f, "SELECT count(*) FROM audit");

	assert_ok(um_user_set_enabled(f->s, "alice", false));
	assert_ok(um_user_set_enabled(f->s, "alice", false)); /* no-op */
	assert_ok(um_user_get(f->s, "alice", &u));
	assert_false(u->enabled);
	um_user_free(u);
	assert_int_equal(t_count(f, "SELECT count(*) FROM audit WHERE action = 'user disable'"), 1);
	assert_ok(um_user_set_enabled(f->s, "alice", true));
	assert_ok(um_user_set_approved(f->s, "alice", false));
	assert_ok(um_user_set_approved(f->s, "alice", false));
	assert_ok(um_user_set_approved(f->s, "alice", true));
	assert_int_equal(t_count(f, "SELECT count(*) FROM audit"), audit + 4);
	assert_int_equal(t_count(f, "SELECT count(*) FROM users WHERE approved_by = 'root'"), 1);

	/* flags are not what NSS serves: no new snapshot */
	assert_int_equal(t_status(f).generation, before.generation);

	assert_errno(um_user_set_enabled(f->s, "nobody", false), -ESRCH);
	assert_detail_has("nobody");
	assert_errno(um_user_set_approved(f->s, "nobody", true), -ESRCH);
	assert_errno(um_user_expire_password(f->s, "nobody"), -ESRCH);
	assert_errno(um_user_set_expiry(f->s, "nobody", "2027-01-01"), -ESRCH);
	assert_errno(um_absence_add(f->s, "nobody", "2027-01-01", NULL, NULL), -ESRCH);
	assert_errno(um_absence_clear(f->s, "nobody"), -ESRCH);
	assert_int_equal(t_count(f, "SELECT count(*) FROM audit"), audit + 4);
}

/* ---- the decision: every sentence ---- */

static void test_sentences(void **state)
{
	struct fixture *f = *state;

	assert_decision(f, "alice", "sshd", NOW, UM_ALLOW, "", "allowed by default");

	assert_ok(um_user_set_enabled(f->s, "alice", false));
	assert_decision(f, "alice", "sshd", NOW, UM_DENY_DISABLED,
			"Your account has been disabled. Please contact an administrator.",
			"disabled");
	assert_ok(um_user_set_enabled(f->s, "alice", true));

	assert_ok(um_user_set_approved(f->s, "alice", false));
	assert_decision(f, "alice", "sshd", NOW, UM_DENY_PENDING,
			"Your account is waiting for approval by an administrator.", "pending");
	assert_ok(um_user_set_approved(f->s, "alice", true));

	assert_ok(um_user_set_expiry(f->s, "alice", "2026-06-01"));
	assert_decision(f, "alice", "sshd", NOW, UM_DENY_EXPIRED,
			"Your account expired on 1 June 2026. Please contact an administrator.",
			"expired on 2026-06-01");
	assert_ok(um_user_set_expiry(f->s, "alice", NULL));

	assert_ok(um_absence_add(f->s, "alice", "2026-06-10", "2026-12-24", "parental leave"));
	assert_decision(f, "alice", "sshd", NOW, UM_DENY_ABSENT,
			"You are marked absent until 24 December.", "absent until 2026-12-24");
	assert_ok(um_absence_clear(f->s, "alice"));

	assert_ok(um_absence_add(f->s, "alice", "2026-06-10", "2027-01-03", NULL));
	assert_decision(f, "alice", "sshd", NOW, UM_DENY_ABSENT,
			"You are marked absent until 3 January 2027.", "absent until 2027-01-03");
	assert_ok(um_absence_clear(f->s, "alice"));

	assert_ok(um_absence_add(f->s, "alice", "2026-06-15", NULL, NULL));
	assert_decision(f, "alice", "sshd", NOW, UM_DENY_ABSENT,
			"You are marked absent until further notice.", "further notice");
	assert_ok(um_absence_clear(f->s, "alice"));

	assert_ok(um_service_add(f->s, "sshd", true, NULL));
	assert_decision(f, "alice", "sshd", NOW, UM_DENY_SERVICE,
			"You are not allowed to log in to this machine with sshd.",
			"service sshd: restricted, no grant");
	assert_ok(um_service_delete(f->s, "sshd"));

	assert_ok(um_user_expire_password(f->s, "alice"));
	assert_decision(
		f, "alice", "sshd", NOW, UM_ALLOW_MUST_CHANGE,
		"You are required to change your password immediately (administrator enforced).",
		"password");
	assert_ok(um_user_set_password(f->s, "alice", "correct horse"));
	assert_decision(f, "alice", "sshd", NOW, UM_ALLOW, "", NULL);
}

/* The first refusal wins, in the documented order. */
static void test_order(void **state)
{
	struct fixture *f = *state;

	assert_ok(um_user_expire_password(f->s, "alice"));
	assert_ok(um_service_add(f->s, "sshd", true, NULL));
	assert_decision(f, "alice", "sshd", NOW, UM_DENY_SERVICE,
			"You are not allowed to log in to this machine with sshd.", NULL);
	assert_ok(um_absence_add(f->s, "alice", "2026-01-01", NULL, NULL));
	assert_decision(f, "alice", "sshd", NOW, UM_DENY_ABSENT,
			"You are marked absent until further notice.", NULL);
	assert_ok(um_user_set_expiry(f->s, "alice", "2026-06-15"));
	assert_decision(f, "alice", "sshd", NOW, UM_DENY_EXPIRED,
			"Your account expired on 15 June 2026. Please contact an administrator.",
			NULL);
	assert_ok(um_user_set_approved(f->s, "alice", false));
	assert_decision(f, "alice", "sshd", NOW, UM_DENY_PENDING,
			"Your account is waiting for approval by an administrator.", NULL);
	assert_ok(um_user_set_enabled(f->s, "alice", false));
	assert_decision(f, "alice", "sshd", NOW, UM_DENY_DISABLED,
			"Your account has been disabled. Please contact an administrator.", NULL);
}

static void test_decide_errors(void **state)
{
	struct fixture *f = *state;
	struct um_account_decision d;
	struct um_login_user u = { 0 };

	/* an unknown name stops at the one look-up a login makes */
	assert_errno(um_user_resolve(f->s, "nobody", &u), -ESRCH);
	assert_detail_has("nobody");
	assert_errno(um_account_decide(f->s, t_login(f, "alice"), "", NOW, &d), -EINVAL);
	assert_errno(um_account_decide(f->s, t_login(f, "alice"), "ss h", NOW, &d), -EINVAL);
	assert_detail_has("ss h");
	assert_errno(um_account_decide(f->s, t_login(f, "alice"), NULL, NOW, &d), -EINVAL);
}

/* ---- expiry ---- */

static void test_expiry(void **state)
{
	struct fixture *f = *state;
	struct um_user *u = NULL;

	assert_errno(um_user_set_expiry(f->s, "alice", "2026-02-30"), -EINVAL);
	assert_detail_has("2026-02-30");
	assert_errno(um_user_set_expiry(f->s, "alice", "next week"), -EINVAL);

	/* from the expiry date on (inclusive), the day before is fine */
	assert_ok(um_user_set_expiry(f->s, "alice", "2026-06-16"));
	assert_ok(um_user_get(f->s, "alice", &u));
	assert_string_equal(u->expires_on, "2026-06-16");
	um_user_free(u);
	assert_decision(f, "alice", "login", t_utc(2026, 6, 15, 23, 59, 59), UM_ALLOW, "", NULL);
	assert_decision(f, "alice", "login", t_utc(2026, 6, 16, 0, 0, 0), UM_DENY_EXPIRED,
			"Your account expired on 16 June 2026. Please contact an administrator.",
			NULL);
	/* the year is always given: it is a date in the past */
	assert_decision(f, "alice", "login", t_utc(2027, 3, 1, 0, 0, 0), UM_DENY_EXPIRED,
			"Your account expired on 16 June 2026. Please contact an administrator.",
			NULL);
	assert_ok(um_user_set_expiry(f->s, "alice", NULL));
	assert_ok(um_user_get(f->s, "alice", &u));
	assert_null(u->expires_on);
	um_user_free(u);
	assert_decision(f, "alice", "login", t_utc(2027, 3, 1, 0, 0, 0), UM_ALLOW, "", NULL);
	assert_int_equal(t_count(f, "SELECT count(*) FROM audit WHERE action = 'user expiry'"), 2);
}

/* ---- absences ---- */

static void test_absence_input(void **state)
{
	struct fixture *f = *state;
	static const struct {
		const char *from, *until, *reason, *detail;
	} bad[] = {
		{ "2026-13-01", NULL, NULL, "2026-13-01" },
		{ NULL, NULL, NULL, "start date" },
		{ "2026-06-01", "2026-06-31", NULL, "2026-06-31" },
		{ "2026-06-10", "2026-06-09", NULL, "before it starts" },
		{ "2026-06-10", NULL, "two\nlines", "control character" },
	};
	int64_t audit = t_count(f, "SELECT count(*) FROM audit");

	for (size_t i = 0; i < UM_ELEMENTSOF(bad); i++) {
		assert_errno(um_absence_add(f->s, "alice", bad[i].from, bad[i].until,
					    bad[i].reason),
			     -EINVAL);
		assert_detail_has(bad[i].detail);
	}
	assert_int_equal(t_count(f, "SELECT count(*) FROM absences"), 0);
	assert_int_equal(t_count(f, "SELECT count(*) FROM audit"), audit);
	/* a one-day absence; "" for until means open-ended, like NULL */
	assert_ok(um_absence_add(f->s, "alice", "2026-06-10", "2026-06-10", NULL));
	assert_ok(um_absence_add(f->s, "alice", "2026-09-01", "", "sabbatical"));
}

static void test_absence_windows(void **state)
{
	struct fixture *f = *state;
	struct um_absence *v = NULL;
	size_t n = 0;
	char until[11];

	assert_ok(um_absence_add(f->s, "alice", "2026-07-11", "2026-07-20", "b"));
	assert_ok(um_absence_add(f->s, "alice", "2026-07-01", "2026-07-10", "a"));
	assert_ok(um_absence_add(f->s, "alice", "2026-08-01", NULL, ""));

	assert_ok(um_absence_list(f->s, "alice", &v, &n));
	assert_int_equal(n, 3);
	assert_string_equal(v[0].from, "2026-07-01");
	assert_string_equal(v[0].until, "2026-07-10");
	assert_string_equal(v[0].reason, "a");
	assert_string_equal(v[1].from, "2026-07-11");
	assert_string_equal(v[2].until, "");
	assert_string_equal(v[2].reason, "");
	um_absence_list_free(v, n);

	const struct {
		time_t at;
		int absent;
		const char *until;
	} cases[] = {
		{ t_utc(2026, 6, 30, 23, 59, 59), 0, NULL },
		{ t_utc(2026, 7, 1, 0, 0, 0), 1, "2026-07-20" }, /* windows that touch join */
		{ t_utc(2026, 7, 10, 12, 0, 0), 1, "2026-07-20" },
		{ t_utc(2026, 7, 20, 23, 59, 59), 1, "2026-07-20" },
		{ t_utc(2026, 7, 21, 0, 0, 0), 0, NULL }, /* back without admin action */
		{ t_utc(2026, 7, 31, 0, 0, 0), 0, NULL },
		{ t_utc(2026, 8, 1, 0, 0, 0), 1, "" },
		{ t_utc(2030, 1, 1, 0, 0, 0), 1, "" },
	};
	for (size_t i = 0; i < UM_ELEMENTSOF(cases); i++) {
		int r;

		strcpy(until, "x");
		r = um_absence_until(f->s, "alice", cases[i].at, until);
		if (r != cases[i].absent)
			fail_msg("case %zu: absent %d, want %d", i, r, cases[i].absent);
		if (r == 1)
			assert_string_equal(until, cases[i].until);
	}
	assert_decision(f, "alice", "login", t_utc(2026, 7, 5, 0, 0, 0), UM_DENY_ABSENT,
			"You are marked absent until 20 July.", NULL);

	/* an overlapping open-ended window swallows the rest */
	assert_ok(um_absence_add(f->s, "alice", "2026-07-15", NULL, NULL));
	assert_int_equal(um_absence_until(f->s, "alice", t_utc(2026, 7, 5, 0, 0, 0), until), 1);
	assert_string_equal(until, "");
	assert_int_equal(um_absence_until(f->s, "alice", t_utc(2026, 7, 25, 0, 0, 0), until), 1);

	assert_ok(um_absence_clear(f->s, "alice"));
	assert_ok(um_absence_clear(f->s, "alice")); /* nothing left: still fine */
	assert_ok(um_absence_list(f->s, "alice", &v, &n));
	assert_int_equal(n, 0);
	um_absence_list_free(v, n);
	assert_int_equal(um_absence_until(f->s, "alice", t_utc(2026, 8, 5, 0, 0, 0), until), 0);
	assert_errno(um_absence_list(f->s, "nobody", &v, &n), -ESRCH);
	assert_errno(um_absence_until(f->s, "nobody", NOW, until), -ESRCH);
	assert_int_equal(t_count(f, "SELECT count(*) FROM audit WHERE action = 'user absence'"), 4);
	assert_int_equal(t_count(f,
				 "SELECT count(*) FROM audit WHERE action = 'user absence clear'"),
			 1);
}

/* ---- forced password change ---- */

static void test_must_change(void **state)
{
	struct fixture *f = *state;
	struct um_user *u = NULL;

	assert_ok(um_user_expire_password(f->s, "alice"));
	assert_ok(um_user_expire_password(f->s, "alice"));
	assert_ok(um_user_get(f->s, "alice", &u));
	assert_true(u->must_change_password);
	um_user_free(u);
	assert_int_equal(
		t_count(f, "SELECT count(*) FROM audit WHERE action = 'user expire password'"), 1);
	assert_ok(um_user_set_password(f->s, "alice", "a long password"));
	assert_ok(um_user_get(f->s, "alice", &u));
	assert_false(u->must_change_password);
	assert_null(u->last_login_service);
	assert_int_equal(u->last_login_at, 0);
	um_user_free(u);
}

/* ---- approval ---- */

static void test_approval(void **state)
{
	struct fixture *f = *state;
	struct um_user *u = NULL;

	t_add_user(f, "bob");
	assert_ok(um_user_get(f->s, "bob", &u));
	assert_false(u->approved);
	um_user_free(u);
	assert_int_equal(t_status(f).pending_approvals, 1);
	assert_decision(f, "bob", "login", NOW, UM_DENY_PENDING,
			"Your account is waiting for approval by an administrator.", NULL);

	/* switching approval off does not admit the queue (docs/POLICY.md) */
	t_config(f, NULL);
	t_store_reopen(f, UM_STORE_WRITE);
	assert_decision(f, "bob", "login", NOW, UM_DENY_PENDING,
			"Your account is waiting for approval by an administrator.", NULL);
	assert_ok(um_user_set_approved(f->s, "bob", true));
	assert_decision(f, "bob", "login", NOW, UM_ALLOW, "", NULL);
	assert_int_equal(t_status(f).pending_approvals, 0);
	/* users created while approval is off are approved */
	t_add_user(f, "carol");
	assert_decision(f, "carol", "login", NOW, UM_ALLOW, "", NULL);
}

static void expect_list(struct fixture *f, unsigned filter, const char *today, const char *want)
{
	struct um_user **v = NULL;
	size_t n = 0;
	char got[256] = "";

	assert_ok(um_user_list_filtered(f->s, filter, today, &v, &n));
	for (size_t i = 0; i < n; i++) {
		if (i)
			strcat(got, " ");
		strcat(got, v[i]->name);
	}
	um_user_list_free(v, n);
	assert_string_equal(got, want);
}

/* The store selects pending and absent users (umctl user list --pending,
 * --absent), in uid order; both flags mean both. */
static void test_list_filtered(void **state)
{
	struct fixture *f = *state;

	t_add_user(f, "bob");
	t_add_user(f, "carol");
	t_add_user(f, "dave");
	assert_ok(um_user_set_approved(f->s, "bob", false));
	assert_ok(um_user_set_approved(f->s, "dave", false));
	assert_ok(um_absence_add(f->s, "carol", "2026-06-10", "2026-06-15", NULL));
	assert_ok(um_absence_add(f->s, "dave", "2026-06-16", NULL, NULL));
	assert_ok(um_absence_add(f->s, "alice", "2026-01-01", "2026-01-31", NULL));

	expect_list(f, 0, NULL, "alice bob carol dave");
	expect_list(f, UM_USER_LIST_PENDING, NULL, "bob dave");
	/* windows are inclusive local dates */
	expect_list(f, UM_USER_LIST_ABSENT, "2026-06-15", "carol");
	expect_list(f, UM_USER_LIST_ABSENT, "2026-06-16", "dave");
	expect_list(f, UM_USER_LIST_ABSENT, "2026-06-09", "");
	expect_list(f, UM_USER_LIST_ABSENT, "2099-01-01", "dave");
	expect_list(f, UM_USER_LIST_ABSENT | UM_USER_LIST_PENDING, "2026-06-16", "dave");
	expect_list(f, UM_USER_LIST_ABSENT | UM_USER_LIST_PENDING, "2026-06-15", "");
	assert_errno(um_user_list_filtered(f->s, UM_USER_LIST_ABSENT, NULL, NULL, NULL), -EINVAL);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, t_teardown)
	struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_date),
		cmocka_unit_test(test_today_and_format),
		T(test_local_dates),
		T(test_flags),
		T(test_sentences),
		T(test_order),
		T(test_decide_errors),
		T(test_expiry),
		T(test_absence_input),
		T(test_absence_windows),
		T(test_must_change),
		T(test_list_filtered),
		cmocka_unit_test_setup_teardown(test_approval, setup_approval, t_teardown),
	};

	t_tz("UTC");
	RUN_TESTS(tests);
}

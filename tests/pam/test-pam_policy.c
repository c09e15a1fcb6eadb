/* SPDX-License-Identifier: MIT */
/*
 * pam_umgmt.so and the login rules (issue 3), through pam_wrapper and
 * libpamtest: for every refusal the PAM code, the exact sentence the user
 * reads (and none under PAM_SILENT) and the syslog line; the uid check
 * against NSS; one-time tokens; the lockout; a forced password change; and
 * a store held busy by another writer.
 *
 * Run by tests/pam/run.sh (see test-pam_umgmt.c for the mechanics). This
 * program writes, in UMGMT_PAM_TESTDIR, its own store pstore/ and the
 * configs the service files name:
 *   p-good.conf      defaults ([services] default = allow)
 *   p-approval.conf  approval_required = yes
 *   p-deny.conf      [services] default = deny (open: the built-in list)
 *   p-lockout.conf   [lockout] deny = 3, fail_interval = 15m, unlock_time = 10m
 * Services: pol (p-good, sets PAM_RHOST from the environment first),
 * pol_approval, pol_restricted, pol_lockout, cron and pol_closed (p-deny),
 * pol_debian (Debian's stack). The users and their uids are those run.sh
 * puts in nss_wrapper's passwd file.
 */
#include <sqlite3.h>
#include <time.h>

#include "pamtest.h"

#include "umgmt/config.h"
#include "umgmt/group.h"
#include "umgmt/absence.h"
#include "umgmt/account.h"
#include "umgmt/date.h"
#include "umgmt/lockout.h"
#include "umgmt/login.h"
#include "umgmt/service.h"
#include "umgmt/token.h"
#include "umgmt/store.h"
#include "umgmt/user.h"

#define PW "a fine password 1"
#define NEW_PW "a new password 22"
#define RHOST "203.0.113.7"

/* The module's own sentences (pam_module/); every other is the core's,
 * as docs/PAM.md and the issue state them. */
#define MSG_UID_MISMATCH                                                                           \
	"Your account cannot be used on this machine right now. "                                  \
	"Please contact an administrator."
#define MSG_TOKEN_LOGIN                                                                            \
	"You logged in with a one-time token: you are required to choose a new password now."
#define MSG_MUST_CHANGE                                                                            \
	"You are required to change your password immediately (administrator enforced)."
#define MSG_DISABLED "Your account has been disabled. Please contact an administrator."
#define MSG_PENDING "Your account is waiting for approval by an administrator."
#define MSG_LOCKED                                                                                 \
	"Your account is locked after too many failed login attempts. Try again in 10 minutes."
#define MSG_BUSY "The account database is busy; please try again."

static const struct {
	const char *name;
	int64_t uid;
	bool password;
} users[] = {
	{ "pat", 60101, true }, { "dan", 60102, true },	  { "pen", 60103, true },
	{ "abe", 60104, true }, { "exa", 60105, true },	  { "sam", 60106, true },
	{ "gus", 60107, true }, { "tom", 60108, false },  { "tex", 60109, false },
	{ "lou", 60110, true }, { "mia", 60111, true },	  { "bea", 60112, true },
	{ "odd", 60113, true }, { "ghost", 60114, true }, { "tim", 60115, false },
};

/* ------------------------------------------------------------ fixtures */

/* The configs, loaded once each: a store keeps pointing at its config. */
static struct {
	const char *name;
	struct um_config *cfg;
} configs[8];

static struct um_config *config(const char *name)
{
	size_t i;

	for (i = 0; i < UM_ELEMENTSOF(configs) && configs[i].name; i++)
		if (strcmp(configs[i].name, name) == 0)
			return configs[i].cfg;
	assert_true(i < UM_ELEMENTSOF(configs));
	_cleanup_free_ char *path = path_in_testdir(name);
	assert_int_equal(um_config_load(path, &configs[i].cfg), 0);
	configs[i].name = name;
	return configs[i].cfg;
}

/* The store, opened for the length of a test to change it. */
static struct um_store *open_store(const char *conf)
{
	struct um_store *s = NULL;

	assert_int_equal(um_store_open(config(conf), UM_STORE_WRITE, &s), 0);
	assert_int_equal(um_store_set_actor(s, "test"), 0);
	return s;
}

/*
 * Runs one core call, which names the store S, on a store opened just for
 * it. A connection held open across a PAM call would pin the module's
 * closed descriptors (SQLite defers closing a file while another
 * connection of the process holds a lock on it) and fail run()'s check.
 */
#define CHANGE(conf, call)                                                                         \
	do {                                                                                       \
		struct um_store *S = open_store(conf);                                             \
		int r_ = (call);                                                                   \
		if (r_ < 0)                                                                        \
			fail_msg("%s: %s", #call, um_error_text(r_));                              \
		um_store_close(S);                                                                 \
	} while (0)

static int teardown(void **state __attribute__((unused)))
{
	for (size_t i = 0; i < UM_ELEMENTSOF(configs); i++)
		um_config_free(configs[i].cfg);
	return 0;
}

static int setup(void **state __attribute__((unused)))
{
	_cleanup_(um_store_closep) struct um_store *s = NULL;
	_cleanup_(um_store_closep) struct um_store *approval = NULL;

	if (pamtest_init() < 0)
		return -1;
	write_config("p-good.conf", "pstore", "");
	write_config("p-approval.conf", "pstore", "\n[users]\napproval_required = yes\n");
	write_config("p-deny.conf", "pstore", "\n[services]\ndefault = deny\n");
	write_config("p-lockout.conf", "pstore",
		     "\n[lockout]\ndeny = 3\nfail_interval = 15m\nunlock_time = 10m\n");

	assert_int_equal(um_store_init(config("p-good.conf")), 0);
	s = open_store("p-good.conf");
	approval = open_store("p-approval.conf");
	for (size_t i = 0; i < UM_ELEMENTSOF(users); i++) {
		struct um_user_spec spec = UM_USER_SPEC_INIT;
		/* pen is created while approval is required: pending */
		struct um_store *via = strcmp(users[i].name, "pen") == 0 ? approval : s;

		int r;

		spec.uid = users[i].uid;
		r = um_user_add(via, users[i].name, &spec, NULL);
		if (r < 0)
			fail_msg("add %s: %s", users[i].name, um_error_text(r));
		if (users[i].password)
			assert_int_equal(um_user_set_password(s, users[i].name, PW), 0);
	}
	assert_int_equal(um_group_add(s, "ops", 60300, NULL, NULL), 0);
	assert_int_equal(um_group_add_member(s, "ops", "gus"), 0);
	setenv("PAM_RHOST", RHOST, 1);
	return 0;
}

/* ------------------------------------------------------------ helpers */

/* "YYYY-MM-DD" of today + days (local time, as the core reckons). */
static void day(int days, char out[11])
{
	um_today(time(NULL) + (time_t)days * 86400, out);
}

/* "24 December" (with_year: "24 December 2026"), as the core words dates. */
static void words(const char *ymd, bool with_year, char *out, size_t n)
{
	static const char *const months[] = { "January",   "February", "March",	   "April",
					      "May",	   "June",     "July",	   "August",
					      "September", "October",  "November", "December" };
	int y, m, d;

	assert_int_equal(um_parse_date(ymd, &y, &m, &d), 0);
	if (with_year)
		snprintf(out, n, "%d %s %d", d, months[m - 1], y);
	else
		snprintf(out, n, "%d %s", d, months[m - 1]);
}

static bool this_year(const char *ymd)
{
	char today[11];

	day(0, today);
	return strncmp(today, ymd, 4) == 0;
}

/*
 * The account phase alone (as after an SSH public key) of user on service
 * answers code; msg is the one sentence the user reads (NULL: none), and
 * nothing under PAM_SILENT, which still logs the refusal.
 */
static void assert_account(const char *service, const char *user, int code, const char *msg)
{
	struct pam_testcase loud[] = { pam_test(PAMTEST_ACCOUNT, code) };
	struct pam_testcase quiet[] = { pam_test_flags(PAMTEST_ACCOUNT, code, PAM_SILENT) };
	_cleanup_free_ char *logline = um_asprintf("account of %s refused: ", user);
	_cleanup_free_ char *where = um_asprintf("service=%s ", service);
	struct outcome o;

	RUN(service, user, NULL, loud, &o);
	assert_string_equal(o.err[0], msg ? msg : "");
	assert_string_equal(o.err[1], "");
	assert_string_equal(o.info[0], "");
	if (code == PAM_PERM_DENIED || code == PAM_ACCT_EXPIRED) {
		assert_logged(&o, logline);
		assert_logged(&o, where);
	}
	if (strcmp(service, "pol") == 0 && code != PAM_SUCCESS)
		assert_logged(&o, "rhost=" RHOST);
	outcome_free(&o);

	if (!msg)
		return;
	RUN(service, user, NULL, quiet, &o);
	assert_string_equal(o.err[0], "");
	if (code == PAM_PERM_DENIED || code == PAM_ACCT_EXPIRED)
		assert_logged(&o, logline);
	outcome_free(&o);
}

/* auth alone on service: pw gives expected; msg as in assert_account. */
static void assert_auth(const char *service, const char *user, const char *pw, int expected,
			const char *msg)
{
	const char *answers[] = { pw, NULL };
	struct pam_testcase cases[] = { pam_test(PAMTEST_AUTHENTICATE, expected) };
	struct outcome o;

	RUN(service, user, answers, cases, &o);
	assert_string_equal(o.err[0], msg ? msg : "");
	assert_not_logged(&o, pw);
	outcome_free(&o);
}

/* ------------------------------------------------------------ the flags */

static void test_allowed(void **state __attribute__((unused)))
{
	const char *answers[] = { PW, NULL };
	struct pam_testcase cases[] = {
		pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS),
		pam_test(PAMTEST_ACCOUNT, PAM_SUCCESS),
		pam_test(PAMTEST_SETCRED, PAM_SUCCESS),
		pam_test(PAMTEST_OPEN_SESSION, PAM_SUCCESS),
		pam_test(PAMTEST_CLOSE_SESSION, PAM_SUCCESS),
	};
	struct outcome o;

	RUN("pol", "pat", answers, cases, &o);
	assert_string_equal(o.err[0], "");
	assert_logged(&o, "authentication succeeded for pat; service=pol rhost=" RHOST);
	outcome_free(&o);
	/* as after an SSH key: account and a session, no auth */
	assert_account("pol", "pat", PAM_SUCCESS, NULL);
}

static void test_disabled(void **state __attribute__((unused)))
{
	CHANGE("p-good.conf", um_user_set_enabled(S, "dan", false));
	assert_account("pol", "dan", PAM_PERM_DENIED, MSG_DISABLED);
	/* every service: also one with no record and default = deny's open list */
	assert_account("cron", "dan", PAM_PERM_DENIED, MSG_DISABLED);
	/* the password is still right; the account phase is what refuses */
	assert_auth("pol", "dan", PW, PAM_SUCCESS, NULL);

	CHANGE("p-good.conf", um_user_set_enabled(S, "dan", true));
	assert_account("pol", "dan", PAM_SUCCESS, NULL);
}

static void test_pending(void **state __attribute__((unused)))
{
	assert_account("pol_approval", "pen", PAM_PERM_DENIED, MSG_PENDING);
	CHANGE("p-approval.conf", um_user_set_approved(S, "pen", true));
	assert_account("pol_approval", "pen", PAM_SUCCESS, NULL);
	/* users created before approval was switched on stay approved */
	assert_account("pol_approval", "pat", PAM_SUCCESS, NULL);
}

static void test_absent(void **state __attribute__((unused)))
{
	char from[11], until[11], w[64], msg[256];

	/* today .. in three days */
	day(0, from);
	day(3, until);
	CHANGE("p-good.conf", um_absence_add(S, "abe", from, until, "holiday"));
	words(until, !this_year(until), w, sizeof(w));
	snprintf(msg, sizeof(msg), "You are marked absent until %s.", w);
	assert_account("pol", "abe", PAM_PERM_DENIED, msg);

	/* open-ended */
	CHANGE("p-good.conf", um_absence_clear(S, "abe"));
	CHANGE("p-good.conf", um_absence_add(S, "abe", from, NULL, NULL));
	assert_account("pol", "abe", PAM_PERM_DENIED,
		       "You are marked absent until further notice.");

	/* a window in the past: in again, with no admin action */
	CHANGE("p-good.conf", um_absence_clear(S, "abe"));
	day(-10, from);
	day(-5, until);
	CHANGE("p-good.conf", um_absence_add(S, "abe", from, until, NULL));
	assert_account("pol", "abe", PAM_SUCCESS, NULL);
	/* and one in the future does not refuse today either */
	day(5, from);
	day(9, until);
	CHANGE("p-good.conf", um_absence_add(S, "abe", from, until, NULL));
	assert_account("pol", "abe", PAM_SUCCESS, NULL);
}

static void test_expired(void **state __attribute__((unused)))
{
	char date[11], w[64], msg[256];

	day(0, date);
	CHANGE("p-good.conf", um_user_set_expiry(S, "exa", date));
	words(date, true, w, sizeof(w));
	snprintf(msg, sizeof(msg), "Your account expired on %s. Please contact an administrator.",
		 w);
	assert_account("pol", "exa", PAM_ACCT_EXPIRED, msg);

	day(1, date);
	CHANGE("p-good.conf", um_user_set_expiry(S, "exa", date));
	assert_account("pol", "exa", PAM_SUCCESS, NULL);
	CHANGE("p-good.conf", um_user_set_expiry(S, "exa", NULL));
	assert_account("pol", "exa", PAM_SUCCESS, NULL);
}

/* ------------------------------------------------------------ services */

static void test_restricted_service(void **state __attribute__((unused)))
{
	const char *msg = "You are not allowed to log in to this machine with pol_restricted.";

	CHANGE("p-good.conf", um_service_add(S, "pol_restricted", true, "test"));
	assert_account("pol_restricted", "sam", PAM_PERM_DENIED, msg);
	assert_account("pol_restricted", "gus", PAM_PERM_DENIED, msg);
	/* other services stay open (default = allow) */
	assert_account("pol", "sam", PAM_SUCCESS, NULL);

	CHANGE("p-good.conf", um_service_grant(S, "pol_restricted", UM_GRANT_USER, "sam"));
	assert_account("pol_restricted", "sam", PAM_SUCCESS, NULL);
	assert_account("pol_restricted", "gus", PAM_PERM_DENIED, msg);

	CHANGE("p-good.conf", um_service_grant(S, "pol_restricted", UM_GRANT_GROUP, "ops"));
	assert_account("pol_restricted", "gus", PAM_SUCCESS, NULL);

	CHANGE("p-good.conf", um_service_revoke(S, "pol_restricted", UM_GRANT_USER, "sam"));
	assert_account("pol_restricted", "sam", PAM_PERM_DENIED, msg);
}

static void test_default_deny(void **state __attribute__((unused)))
{
	/* cron is in the built-in [services] open list: it runs the account
	 * phase behind the scenes and must keep working */
	assert_account("cron", "pat", PAM_SUCCESS, NULL);
	assert_account("pol_closed", "pat", PAM_PERM_DENIED,
		       "You are not allowed to log in to this machine with pol_closed.");
}

/* ------------------------------------------------------------ identity */

static void test_uid_mismatch(void **state __attribute__((unused)))
{
	struct outcome o;
	struct pam_testcase cases[] = { pam_test(PAMTEST_ACCOUNT, PAM_PERM_DENIED) };

	/* NSS says odd is 60199, the store 60113 */
	assert_account("pol", "odd", PAM_PERM_DENIED, MSG_UID_MISMATCH);
	RUN("pol", "odd", NULL, cases, &o);
	assert_logged(&o, "uid mismatch between NSS and store (NSS 60199, store 60113)");
	outcome_free(&o);

	/* NSS does not know ghost at all */
	assert_account("pol", "ghost", PAM_PERM_DENIED, MSG_UID_MISMATCH);
	RUN("pol", "ghost", NULL, cases, &o);
	assert_logged(&o, "uid mismatch between NSS and store (NSS has no such user");
	outcome_free(&o);
}

/* ------------------------------------------------------------ tokens */

static void issue(const char *user, int64_t ttl, char token[UM_TOKEN_MAX])
{
	_cleanup_(um_store_closep) struct um_store *s = open_store("p-good.conf");

	CHANGE("p-good.conf", um_token_issue(S, user, UM_TOKEN_RESET, ttl, token));
}

static void check_token_login(const char *service, const char *user)
{
	char token[UM_TOKEN_MAX];
	const char *answers[] = { token, NEW_PW, NEW_PW, NULL };
	struct pam_testcase cases[] = {
		pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS),
		pam_test(PAMTEST_ACCOUNT, PAM_NEW_AUTHTOK_REQD),
		pam_test_flags(PAMTEST_CHAUTHTOK, PAM_SUCCESS, PAM_CHANGE_EXPIRED_AUTHTOK),
		/* the same handle once the password is set: in */
		pam_test(PAMTEST_ACCOUNT, PAM_SUCCESS),
	};
	struct outcome o;

	issue(user, 3600, token);
	RUN(service, user, answers, cases, &o);
	assert_string_equal(o.err[0], MSG_TOKEN_LOGIN);
	assert_string_equal(o.err[1], "");
	assert_logged(&o, "with a one-time token");
	assert_not_logged(&o, token);
	assert_not_logged(&o, NEW_PW);
	outcome_free(&o);

	/* burnt: the token is refused like a wrong password; the new
	 * password works and needs no change */
	assert_auth("pol", user, token, PAM_AUTH_ERR, NULL);
	assert_auth("pol", user, NEW_PW, PAM_SUCCESS, NULL);
	assert_account("pol", user, PAM_SUCCESS, NULL);
	explicit_bzero(token, sizeof(token));
}

static void test_token_login(void **state __attribute__((unused)))
{
	/* no old password is asked, even as nobody: the token is the proof */
	check_token_login("pol", "tom");
}

/* The same through Debian's stack: pam_unix fails first and keeps the
 * answer, we take it (try_first_pass) and the stack passes our
 * PAM_NEW_AUTHTOK_REQD on. */
static void test_token_login_debian_stack(void **state __attribute__((unused)))
{
	check_token_login("pol_debian", "tom");
}

/*
 * sshd's password method does not change an expired password in the
 * login's handle: it runs passwd(1) as the user, a new handle without our
 * marker, which asks the current password. The token stands for it.
 */
static void test_token_as_current_password(void **state __attribute__((unused)))
{
	char token[UM_TOKEN_MAX];
	const char *answers[] = { token, "third password 33", "third password 33", NULL };
	struct pam_testcase expired[] = {
		pam_test_flags(PAMTEST_CHAUTHTOK, PAM_SUCCESS, PAM_CHANGE_EXPIRED_AUTHTOK),
	};
	struct pam_testcase plain_change[] = { pam_test(PAMTEST_CHAUTHTOK, PAM_SUCCESS) };
	struct outcome o;

	issue("tom", 3600, token);
	RUN("pol", "tom", answers, expired, &o);
	assert_string_equal(o.err[0], "");
	assert_logged(&o, "password set for tom with a one-time token");
	outcome_free(&o);
	assert_auth("pol", "tom", token, PAM_AUTH_ERR, NULL);
	assert_auth("pol", "tom", "third password 33", PAM_SUCCESS, NULL);

	/* passwd run by the user (not root: root is not asked at all) */
	if (getuid() != 0) {
		issue("tom", 3600, token);
		RUN("pol", "tom", answers, plain_change, &o);
		assert_logged(&o, "password set for tom with a one-time token");
		outcome_free(&o);
		assert_auth("pol", "tom", token, PAM_AUTH_ERR, NULL);
	}
	explicit_bzero(token, sizeof(token));
}

static void test_token_expired(void **state __attribute__((unused)))
{
	char token[UM_TOKEN_MAX];

	issue("tex", 60, token);
	/* No clock to turn: the token is made older than its lifetime. */
	{
		_cleanup_free_ char *path = path_in_testdir("pstore/umgmt.db");
		sqlite3 *db = NULL;

		assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL),
				 SQLITE_OK);
		assert_int_equal(sqlite3_exec(db,
					      "UPDATE tokens SET expires_at = created_at - 1 "
					      "WHERE user_id = (SELECT id FROM users "
					      "WHERE name = 'tex')",
					      NULL, NULL, NULL),
				 SQLITE_OK);
		assert_int_equal(sqlite3_changes(db), 1);
		assert_int_equal(sqlite3_close(db), SQLITE_OK);
	}
	assert_auth("pol", "tex", token, PAM_AUTH_ERR, NULL);
	explicit_bzero(token, sizeof(token));
}

/* A conversation of our own for a handle libpamtest handed over (its own
 * conversation data is gone): answers every hidden prompt with NEW_PW and
 * keeps the last error message. */
static char last_error[PAM_MAX_MSG_SIZE + 1];

static int own_conv(int n, const struct pam_message **msg, struct pam_response **resp,
		    void *data __attribute__((unused)))
{
	struct pam_response *r = calloc((size_t)n, sizeof(*r));

	if (!r)
		return PAM_BUF_ERR;
	for (int i = 0; i < n; i++) {
		if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF)
			r[i].resp = strdup(NEW_PW);
		else if (msg[i]->msg_style == PAM_ERROR_MSG)
			snprintf(last_error, sizeof(last_error), "%s", msg[i]->msg);
	}
	*resp = r;
	return PAM_SUCCESS;
}

/* The token is revoked between auth and the password change. */
static void test_token_revoked_before_redeem(void **state __attribute__((unused)))
{
	char token[UM_TOKEN_MAX];
	const char *answers[] = { token, NULL };
	struct pam_testcase cases[] = {
		pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS),
		pam_test(PAMTEST_KEEPHANDLE, PAM_SUCCESS),
	};
	const struct pam_conv conv = { .conv = own_conv };
	struct outcome o;
	pam_handle_t *ph;

	issue("tim", 3600, token);
	RUN("pol", "tim", answers, cases, &o);
	outcome_free(&o);
	ph = cases[1].case_out.ph;
	assert_non_null(ph);
	{
		_cleanup_(um_store_closep) struct um_store *s = open_store("p-good.conf");

		CHANGE("p-good.conf", um_token_revoke(S, "tim"));
	}
	assert_int_equal(pam_set_item(ph, PAM_CONV, &conv), PAM_SUCCESS);
	last_error[0] = '\0';
	assert_int_equal(pam_chauthtok(ph, PAM_CHANGE_EXPIRED_AUTHTOK), PAM_AUTHTOK_ERR);
	assert_string_equal(last_error, "Your one-time token is no longer valid; please ask an "
					"administrator for a new one.");
	pam_end(ph, PAM_SUCCESS);
	assert_auth("pol", "tim", NEW_PW, PAM_AUTH_ERR, NULL);
	explicit_bzero(token, sizeof(token));
}

/* ------------------------------------------------------------ lockout */

static void test_lockout(void **state __attribute__((unused)))
{
	for (int i = 0; i < 3; i++)
		assert_auth("pol_lockout", "lou", "wrong guess", PAM_AUTH_ERR, NULL);
	/* locked: even the right password, and the user is told */
	assert_auth("pol_lockout", "lou", PW, PAM_AUTH_ERR, MSG_LOCKED);
	{
		const char *answers[] = { PW, NULL };
		struct pam_testcase quiet[] = {
			pam_test_flags(PAMTEST_AUTHENTICATE, PAM_AUTH_ERR, PAM_SILENT),
		};
		struct outcome o;

		RUN("pol_lockout", "lou", answers, quiet, &o);
		assert_string_equal(o.err[0], "");
		assert_logged(&o, "authentication refused for lou: account locked");
		outcome_free(&o);
	}
	/* a public-key login is not affected (account phase only) */
	assert_account("pol_lockout", "lou", PAM_SUCCESS, NULL);

	{
		_cleanup_(um_store_closep) struct um_store *s = open_store("p-lockout.conf");

		CHANGE("p-good.conf", um_lockout_unlock(S, "lou"));
	}
	assert_auth("pol_lockout", "lou", PW, PAM_SUCCESS, NULL);
}

/* A success forgets the failures before it. */
static void test_lockout_reset_by_success(void **state __attribute__((unused)))
{
	for (int i = 0; i < 2; i++)
		assert_auth("pol_lockout", "pat", "wrong guess", PAM_AUTH_ERR, NULL);
	assert_auth("pol_lockout", "pat", PW, PAM_SUCCESS, NULL);
	for (int i = 0; i < 2; i++)
		assert_auth("pol_lockout", "pat", "wrong guess", PAM_AUTH_ERR, NULL);
	assert_auth("pol_lockout", "pat", PW, PAM_SUCCESS, NULL);
}

/* ------------------------------------------------------------ forced change */

static void test_must_change(void **state __attribute__((unused)))
{
	/* the password to log in, then (a forced change asks it even of a
	 * root caller, as pam_unix does) the current one, the new one twice */
	const char *answers[] = { PW, PW, NEW_PW, NEW_PW, NULL };
	struct pam_testcase cases[] = {
		pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS),
		pam_test(PAMTEST_ACCOUNT, PAM_NEW_AUTHTOK_REQD),
		pam_test_flags(PAMTEST_CHAUTHTOK, PAM_SUCCESS, PAM_CHANGE_EXPIRED_AUTHTOK),
		pam_test(PAMTEST_ACCOUNT, PAM_SUCCESS),
	};
	struct outcome o;

	CHANGE("p-good.conf", um_user_expire_password(S, "mia"));
	/* an SSH key login is sent to change it too */
	assert_account("pol", "mia", PAM_NEW_AUTHTOK_REQD, MSG_MUST_CHANGE);

	RUN("pol", "mia", answers, cases, &o);
	assert_string_equal(o.err[0], MSG_MUST_CHANGE);
	assert_string_equal(o.err[1], "");
	assert_logged(&o, "password changed for mia");
	outcome_free(&o);
	assert_auth("pol", "mia", NEW_PW, PAM_SUCCESS, NULL);
	assert_account("pol", "mia", PAM_SUCCESS, NULL);
}

/* ------------------------------------------------------------ busy store */

/* Another connection holds the write lock, as a long umctl transaction. */
static sqlite3 *hold_store(void)
{
	_cleanup_free_ char *path = path_in_testdir("pstore/umgmt.db");
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	/* it also pins the module's closed descriptors until released */
	pamtest_check_fds = false;
	return db;
}

static void release_store(sqlite3 *db)
{
	assert_int_equal(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
	pamtest_check_fds = true;
}

/* Not a speed test: a login must give up on a busy store after its own
 * short wait (250 ms), not after the administrators' 5 s busy timeout.
 * Anything under 4 s tells the two apart, with room for a loaded machine. */
#define NOT_THE_ADMIN_TIMEOUT 4.0

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void test_busy_store_login(void **state __attribute__((unused)))
{
	const char *wrong[] = { "wrong guess", NULL };
	const char *right[] = { PW, NULL };
	struct pam_testcase fail[] = { pam_test(PAMTEST_AUTHENTICATE, PAM_AUTH_ERR) };
	struct pam_testcase ok[] = {
		pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS),
		pam_test(PAMTEST_ACCOUNT, PAM_SUCCESS),
		pam_test(PAMTEST_OPEN_SESSION, PAM_SUCCESS),
	};
	struct timespec t0;
	struct outcome o;
	sqlite3 *db = hold_store();

	/* deny = 3 on pol_lockout: three dropped failures lock nothing */
	for (int i = 0; i < 3; i++) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		RUN("pol_lockout", "bea", wrong, fail, &o);
		if (seconds_since(&t0) > NOT_THE_ADMIN_TIMEOUT)
			fail_msg("a failed login waited %.1f s behind a busy store",
				 seconds_since(&t0));
		assert_logged(&o, "failure not recorded: store busy");
		outcome_free(&o);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	RUN("pol_lockout", "bea", right, ok, &o);
	if (seconds_since(&t0) > NOT_THE_ADMIN_TIMEOUT)
		fail_msg("a login waited %.1f s behind a busy store", seconds_since(&t0));
	assert_logged(&o, "last login not recorded: store busy");
	outcome_free(&o);
	release_store(db);

	for (int i = 0; i < 2; i++)
		assert_auth("pol_lockout", "bea", "wrong guess", PAM_AUTH_ERR, NULL);
	assert_auth("pol_lockout", "bea", PW, PAM_SUCCESS, NULL);
}

/* A token burn is never dropped: the change fails, "try again", and the
 * token stays valid. */
static void test_busy_store_token(void **state __attribute__((unused)))
{
	char token[UM_TOKEN_MAX];
	const char *answers[] = { token, NEW_PW, NEW_PW, NULL };
	struct pam_testcase cases[] = {
		pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS),
		pam_test(PAMTEST_ACCOUNT, PAM_NEW_AUTHTOK_REQD),
		pam_test_flags(PAMTEST_CHAUTHTOK, PAM_AUTHTOK_LOCK_BUSY,
			       PAM_CHANGE_EXPIRED_AUTHTOK),
	};
	struct timespec t0;
	struct outcome o;
	sqlite3 *db;

	issue("tim", 3600, token);
	db = hold_store();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	RUN("pol", "tim", answers, cases, &o);
	if (seconds_since(&t0) > NOT_THE_ADMIN_TIMEOUT)
		fail_msg("a token login waited %.1f s behind a busy store", seconds_since(&t0));
	release_store(db);
	assert_string_equal(o.err[0], MSG_TOKEN_LOGIN);
	assert_string_equal(o.err[1], MSG_BUSY);
	assert_logged(&o, "store busy");
	outcome_free(&o);

	/* nothing changed: the token still opens the door once */
	check_token_login("pol", "tim");
	explicit_bzero(token, sizeof(token));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_allowed),
		cmocka_unit_test(test_disabled),
		cmocka_unit_test(test_pending),
		cmocka_unit_test(test_absent),
		cmocka_unit_test(test_expired),
		cmocka_unit_test(test_restricted_service),
		cmocka_unit_test(test_default_deny),
		cmocka_unit_test(test_uid_mismatch),
		cmocka_unit_test(test_token_login),
		cmocka_unit_test(test_token_login_debian_stack),
		cmocka_unit_test(test_token_as_current_password),
		cmocka_unit_test(test_token_expired),
		cmocka_unit_test(test_token_revoked_before_redeem),
		cmocka_unit_test(test_lockout),
		cmocka_unit_test(test_lockout_reset_by_success),
		cmocka_unit_test(test_must_change),
		cmocka_unit_test(test_busy_store_login),
		cmocka_unit_test(test_busy_store_token),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("pam_policy", tests, setup, teardown);
}

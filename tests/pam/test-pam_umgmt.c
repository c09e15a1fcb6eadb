/* SPDX-License-Identifier: MIT */
/*
 * pam_umgmt.so through pam_wrapper and libpamtest: the return codes of
 * every phase, the messages the user sees, and what goes to syslog.
 *
 * Run by tests/pam/run.sh, which preloads libpam_wrapper.so (and
 * libnss_wrapper.so, so pam_unix in the Debian stack finds the umgmt
 * users as NSS would serve them), writes the service files and sets
 * UMGMT_PAM_TESTDIR to a fresh directory. The service files name these
 * configs in that directory, which this program writes:
 *   good.conf     a store in store/ holding alice, bob, carol, dave, erin
 *   bad.conf      an unknown key
 *   garbage.conf  a store directory whose umgmt.db is not a database
 *   missing.conf  a store directory that does not exist
 *
 * Every PAM call runs with stdout and stderr captured: stdout must stay
 * empty, and stderr may hold only pam_wrapper's echo of pam_syslog()
 * (lines "PWRAP_..."), which the tests read to check what is logged.
 * UMGMT_PAM_SHOW_LOG=1 in the environment prints every captured log.
 */
#include "pamtest.h"
#include "umgmt/common.h"
#include "umgmt/config.h"
#include "umgmt/password.h"
#include "umgmt/store.h"
#include "umgmt/user.h"

#define ALICE_PW "correct horse 1"
#define CAROL_PW "carol-old-pass"
#define DAVE_PW "dave-old-pass"
#define ERIN_PW "erin-old-pass"
#define UNKNOWN "mallory" /* in neither the store nor /etc/passwd */

/* ------------------------------------------------------------ fixtures */

/* The uid is the one tests/pam/run.sh gives the name in nss_wrapper's
 * passwd file: the account phase checks that NSS and the store agree. */
static void add_user(struct um_store *s, const char *name, int64_t uid, const char *pw)
{
	struct um_user_spec spec = UM_USER_SPEC_INIT;

	spec.uid = uid;
	assert_int_equal(um_user_add(s, name, &spec, NULL), 0);
	if (pw)
		assert_int_equal(um_user_set_password(s, name, pw), 0);
}

static int setup(void **state _unused_)
{
	_cleanup_(um_config_freep) struct um_config *cfg = NULL;
	_cleanup_(um_store_closep) struct um_store *s = NULL;
	_cleanup_free_ char *good = NULL;

	if (pamtest_init() < 0)
		return -1;

	write_config("good.conf", "store", "");
	write_config("bad.conf", "store", "no_such_key = 1\n");
	write_config("garbage.conf", "garbage", "");
	write_config("missing.conf", "missing", "");
	_cleanup_free_ char *garbage = path_in_testdir("garbage");
	assert_int_equal(mkdir(garbage, 0755), 0);
	write_file("garbage/umgmt.db", 0600, "this is not an SQLite database, %s\n", "not at all");

	good = path_in_testdir("good.conf");
	assert_int_equal(um_config_load(good, &cfg), 0);
	assert_int_equal(um_store_init(cfg), 0);
	assert_int_equal(um_store_open(cfg, UM_STORE_WRITE, &s), 0);
	assert_int_equal(um_store_set_actor(s, "test"), 0);
	add_user(s, "alice", 60001, ALICE_PW);
	add_user(s, "bob", 60002, NULL);
	add_user(s, "carol", 60003, CAROL_PW);
	add_user(s, "dave", 60004, DAVE_PW);
	add_user(s, "erin", 60005, ERIN_PW);
	return 0;
}

/* A password authenticates user through the plain service, or not. */
static void assert_password(const char *user, const char *pw, int expected)
{
	const char *answers[] = { pw, NULL };
	struct pam_testcase cases[] = { pam_test(PAMTEST_AUTHENTICATE, expected) };
	struct outcome o;

	RUN("umgmt", user, answers, cases, &o);
	outcome_free(&o);
}

/* ------------------------------------------------------------ auth */

static void test_right_password(void **state _unused_)
{
	const char *answers[] = { ALICE_PW, NULL };
	struct pam_testcase cases[] = {
		pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS),
		pam_test(PAMTEST_ACCOUNT, PAM_SUCCESS),
		pam_test(PAMTEST_SETCRED, PAM_SUCCESS),
		pam_test(PAMTEST_OPEN_SESSION, PAM_SUCCESS),
		pam_test(PAMTEST_CLOSE_SESSION, PAM_SUCCESS),
	};
	struct outcome o;

	RUN("umgmt", "alice", answers, cases, &o);
	assert_logged(&o, "authentication succeeded for alice");
	assert_not_logged(&o, ALICE_PW);
	assert_string_equal(o.err[0], "");
	outcome_free(&o);
}

static void test_wrong_password(void **state _unused_)
{
	const char *answers[] = { "not the password", NULL };
	struct pam_testcase cases[] = { pam_test(PAMTEST_AUTHENTICATE, PAM_AUTH_ERR) };
	struct outcome o;

	RUN("umgmt", "alice", answers, cases, &o);
	assert_logged(&o, "authentication failure for alice");
	assert_not_logged(&o, "not the password");
	outcome_free(&o);
}

static void test_user_without_password(void **state _unused_)
{
	const char *answers[] = { "anything at all", NULL };
	struct pam_testcase cases[] = {
		pam_test(PAMTEST_AUTHENTICATE, PAM_AUTH_ERR),
		/* the account itself is fine (an SSH key could open it) */
		pam_test(PAMTEST_ACCOUNT, PAM_SUCCESS),
	};
	struct outcome o;

	RUN("umgmt", "bob", answers, cases, &o);
	outcome_free(&o);
}

static void test_unknown_user(void **state _unused_)
{
	const char *answers[] = { "mallory-secret", NULL };
	struct pam_testcase cases[] = {
		pam_test(PAMTEST_AUTHENTICATE, PAM_USER_UNKNOWN),
		pam_test(PAMTEST_ACCOUNT, PAM_USER_UNKNOWN),
		pam_test(PAMTEST_CHAUTHTOK, PAM_USER_UNKNOWN),
	};
	struct outcome o;

	RUN("umgmt", UNKNOWN, answers, cases, &o);
	/* The name may be a password typed into the login field. */
	assert_not_logged(&o, UNKNOWN);
	assert_not_logged(&o, "mallory-secret");
	assert_logged(&o, "authentication failure for an unknown user");
	outcome_free(&o);
}

/* root and every /etc/passwd name are answered without the store: with
 * the store garbage, missing or the config broken, root still gets
 * USER_UNKNOWN (so pam_unix lets it in) while a umgmt name is refused. */
static void check_broken_store(const char *service)
{
	const char *root_pw[] = { "whatever", NULL };
	struct pam_testcase root_cases[] = {
		pam_test(PAMTEST_AUTHENTICATE, PAM_USER_UNKNOWN),
		pam_test(PAMTEST_ACCOUNT, PAM_USER_UNKNOWN),
		pam_test(PAMTEST_CHAUTHTOK, PAM_USER_UNKNOWN),
	};
	const char *alice_pw[] = { ALICE_PW, NULL };
	struct pam_testcase alice_cases[] = {
		pam_test(PAMTEST_AUTHENTICATE, PAM_AUTHINFO_UNAVAIL),
		pam_test(PAMTEST_ACCOUNT, PAM_AUTHINFO_UNAVAIL),
	};
	struct pam_testcase alice_cred[] = { pam_test(PAMTEST_SETCRED, PAM_CRED_UNAVAIL) };
	struct pam_testcase alice_session[] = {
		pam_test(PAMTEST_OPEN_SESSION, PAM_SESSION_ERR),
	};
	struct outcome o;

	RUN(service, "root", root_pw, root_cases, &o);
	/* not even an error about the store: it was never looked at */
	assert_not_logged(&o, "SYSLOG");
	outcome_free(&o);

	RUN(service, "alice", alice_pw, alice_cases, &o);
	assert_not_logged(&o, ALICE_PW);
	outcome_free(&o);
	RUN(service, "alice", NULL, alice_cred, &o);
	outcome_free(&o);
	RUN(service, "alice", NULL, alice_session, &o);
	outcome_free(&o);
}

static void test_root_with_garbage_store(void **state _unused_)
{
	check_broken_store("umgmt_garbage");
}

static void test_root_with_missing_store(void **state _unused_)
{
	check_broken_store("umgmt_missing");
}

static void test_bad_config(void **state _unused_)
{
	struct outcome o;

	check_broken_store("umgmt_badconf");

	/* The error goes to syslog (and names the key), never to stdout or
	 * stderr of the host process: run() asserts both stay clean. */
	const char *alice_pw[] = { ALICE_PW, NULL };
	struct pam_testcase cases[] = { pam_test(PAMTEST_AUTHENTICATE, PAM_AUTHINFO_UNAVAIL) };
	RUN("umgmt_badconf", "alice", alice_pw, cases, &o);
	assert_logged(&o, "cannot load configuration");
	assert_logged(&o, "no_such_key");
	outcome_free(&o);
}

static void test_unknown_argument_is_ignored(void **state _unused_)
{
	const char *answers[] = { ALICE_PW, NULL };
	struct pam_testcase cases[] = { pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS) };
	struct outcome o;

	RUN("umgmt_unknown_arg", "alice", answers, cases, &o);
	assert_logged(&o, "ignoring unknown option: frobnicate");
	outcome_free(&o);
}

/* ------------------------------------------------------------ first pass */

/* pam_set_items.so stands before us and sets PAM_AUTHTOK from the
 * environment, as pam_unix does with the password it asked for. */
static void test_try_first_pass(void **state _unused_)
{
	const char *answers[] = { ALICE_PW, NULL };
	struct pam_testcase ok[] = { pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS) };
	struct pam_testcase bad[] = { pam_test(PAMTEST_AUTHENTICATE, PAM_AUTH_ERR) };
	struct outcome o;

	/* the token is used: no prompt is answered */
	setenv("PAM_AUTHTOK", ALICE_PW, 1);
	RUN("umgmt_try", "alice", NULL, ok, &o);
	outcome_free(&o);

	/* a wrong token fails; we do not ask again */
	setenv("PAM_AUTHTOK", "wrong", 1);
	RUN("umgmt_try", "alice", NULL, bad, &o);
	outcome_free(&o);

	/* no token: we ask */
	unsetenv("PAM_AUTHTOK");
	RUN("umgmt_try", "alice", answers, ok, &o);
	outcome_free(&o);
}

static void test_use_first_pass(void **state _unused_)
{
	const char *answers[] = { ALICE_PW, NULL };
	struct pam_testcase ok[] = { pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS) };
	struct pam_testcase bad[] = { pam_test(PAMTEST_AUTHENTICATE, PAM_AUTH_ERR) };
	struct outcome o;

	setenv("PAM_AUTHTOK", ALICE_PW, 1);
	RUN("umgmt_use", "alice", NULL, ok, &o);
	outcome_free(&o);

	/* no token: never ask, fail */
	unsetenv("PAM_AUTHTOK");
	RUN("umgmt_use", "alice", answers, bad, &o);
	assert_logged(&o, "use_first_pass");
	outcome_free(&o);
}

/* ------------------------------------------------------------ setcred */

static void test_setcred(void **state _unused_)
{
	/* Without our authenticate (sshd after a public key): the store
	 * says whose the user is. PAM_IGNORE of the only module makes
	 * libpam answer PAM_PERM_DENIED. */
	struct pam_testcase ours[] = { pam_test(PAMTEST_SETCRED, PAM_SUCCESS) };
	struct pam_testcase not_ours[] = { pam_test(PAMTEST_SETCRED, PAM_PERM_DENIED) };
	struct outcome o;

	RUN("umgmt", "alice", NULL, ours, &o);
	outcome_free(&o);
	RUN("umgmt", UNKNOWN, NULL, not_ours, &o);
	outcome_free(&o);
	RUN("umgmt", "root", NULL, not_ours, &o);
	outcome_free(&o);
	/* the same for sessions */
	struct pam_testcase sess_ours[] = {
		pam_test(PAMTEST_OPEN_SESSION, PAM_SUCCESS),
		pam_test(PAMTEST_CLOSE_SESSION, PAM_SUCCESS),
	};
	struct pam_testcase sess_not_ours[] = {
		pam_test(PAMTEST_OPEN_SESSION, PAM_PERM_DENIED),
		pam_test(PAMTEST_CLOSE_SESSION, PAM_PERM_DENIED),
	};
	RUN("umgmt", "bob", NULL, sess_ours, &o);
	outcome_free(&o);
	RUN("umgmt", "root", NULL, sess_not_ours, &o);
	outcome_free(&o);
}

/* ------------------------------------------------------------ chauthtok */

/* Root changes a password without the current one (pam_unix does the
 * same); anyone else must give it first. */
static bool needs_current(void)
{
	return getuid() != 0;
}

static void test_chauthtok_sets_password(void **state _unused_)
{
	const char *as_root[] = { "carol-new-pass-1", "carol-new-pass-1", NULL };
	const char *as_user[] = { CAROL_PW, "carol-new-pass-1", "carol-new-pass-1", NULL };
	struct pam_testcase cases[] = { pam_test(PAMTEST_CHAUTHTOK, PAM_SUCCESS) };
	struct outcome o;

	RUN("umgmt", "carol", needs_current() ? as_user : as_root, cases, &o);
	assert_string_equal(o.err[0], "");
	assert_string_equal(o.info[0], "");
	assert_logged(&o, "password changed for carol");
	assert_not_logged(&o, "carol-new-pass-1");
	outcome_free(&o);

	assert_password("carol", "carol-new-pass-1", PAM_SUCCESS);
	assert_password("carol", CAROL_PW, PAM_AUTH_ERR);
}

static void test_chauthtok_mismatch(void **state _unused_)
{
	const char *as_root[] = { "dave-new-pass-1", "dave-new-pass-2", NULL };
	const char *as_user[] = { DAVE_PW, "dave-new-pass-1", "dave-new-pass-2", NULL };
	struct pam_testcase cases[] = { pam_test(PAMTEST_CHAUTHTOK, PAM_AUTHTOK_ERR) };
	struct outcome o;

	RUN("umgmt", "dave", needs_current() ? as_user : as_root, cases, &o);
	assert_string_equal(o.err[0], "Sorry, passwords do not match.");
	outcome_free(&o);
	assert_password("dave", DAVE_PW, PAM_SUCCESS);
}

static void test_chauthtok_too_short(void **state _unused_)
{
	_cleanup_(um_config_freep) struct um_config *cfg = NULL;
	_cleanup_free_ char *good = path_in_testdir("good.conf");
	_cleanup_free_ char *expected = NULL;
	const char *as_root[] = { "short", "short", NULL };
	const char *as_user[] = { DAVE_PW, "short", "short", NULL };
	struct pam_testcase cases[] = { pam_test(PAMTEST_CHAUTHTOK, PAM_AUTHTOK_ERR) };
	struct outcome o;

	/* The sentence is the core's, word for word. */
	assert_int_equal(um_config_load(good, &cfg), 0);
	assert_int_equal(um_password_check_policy(cfg, "dave", "short"), -EINVAL);
	expected = um_strdup(um_error_detail(-EINVAL));
	assert_non_null(expected);
	assert_true(strstr(expected, "8") != NULL);

	RUN("umgmt", "dave", needs_current() ? as_user : as_root, cases, &o);
	assert_string_equal(o.err[0], expected);
	assert_logged(&o, "refused by the policy");
	assert_not_logged(&o, "short\n");
	outcome_free(&o);
	assert_password("dave", DAVE_PW, PAM_SUCCESS);
}

static void test_chauthtok_wrong_current(void **state _unused_)
{
	const char *answers[] = { "not dave's password", "dave-new-pass-9", "dave-new-pass-9",
				  NULL };
	struct pam_testcase cases[] = { pam_test(PAMTEST_CHAUTHTOK, PAM_AUTH_ERR) };
	struct outcome o;

	if (!needs_current())
		skip(); /* root is never asked (run.sh runs us again as nobody) */
	RUN("umgmt", "dave", answers, cases, &o);
	assert_logged(&o, "wrong current password");
	assert_not_logged(&o, "not dave's password");
	outcome_free(&o);
	assert_password("dave", DAVE_PW, PAM_SUCCESS);
}

/* A new password an earlier module asked for (PAM_AUTHTOK) is used as
 * is: nothing is asked. */
static void test_chauthtok_uses_authtok(void **state _unused_)
{
	const char *as_user[] = { ERIN_PW, NULL };
	struct pam_testcase cases[] = { pam_test(PAMTEST_CHAUTHTOK, PAM_SUCCESS) };
	struct outcome o;

	setenv("PAM_AUTHTOK", "erin-new-pass-1", 1);
	RUN("umgmt_try", "erin", needs_current() ? as_user : NULL, cases, &o);
	unsetenv("PAM_AUTHTOK");
	outcome_free(&o);
	assert_password("erin", "erin-new-pass-1", PAM_SUCCESS);
}

/* ------------------------------------------------------------ Debian stack */

/* common-auth/-account/-password/-session as pam-auth-update writes them
 * with our lines (docs/PAM.md): pam_unix first, then us. */
static void test_debian_stack(void **state _unused_)
{
	const char *alice_pw[] = { ALICE_PW, NULL };
	struct pam_testcase login[] = {
		pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS),
		pam_test(PAMTEST_ACCOUNT, PAM_SUCCESS),
		pam_test(PAMTEST_SETCRED, PAM_SUCCESS),
		pam_test(PAMTEST_OPEN_SESSION, PAM_SUCCESS),
		pam_test(PAMTEST_CLOSE_SESSION, PAM_SUCCESS),
	};
	const char *wrong[] = { "not the password", NULL };
	struct pam_testcase denied[] = { pam_test(PAMTEST_AUTHENTICATE, PAM_AUTH_ERR) };
	struct outcome o;

	/* pam_unix asks once, fails (the user is not its), keeps the
	 * password; we take it with try_first_pass and ask nothing. */
	RUN("umgmt_debian", "alice", alice_pw, login, &o);
	outcome_free(&o);

	RUN("umgmt_debian", "alice", wrong, denied, &o);
	outcome_free(&o);
	RUN("umgmt_debian", UNKNOWN, wrong, denied, &o);
	outcome_free(&o);
	/* root stays pam_unix's: a wrong password is refused by it, we
	 * are not asked to decide */
	RUN("umgmt_debian", "root", wrong, denied, &o);
	outcome_free(&o);
}

static void test_debian_stack_chauthtok(void **state _unused_)
{
	const char *as_root[] = { "erin-newer-pass", "erin-newer-pass", NULL };
	const char *as_user[] = { "erin-new-pass-1", "erin-newer-pass", "erin-newer-pass", NULL };
	struct pam_testcase cases[] = { pam_test(PAMTEST_CHAUTHTOK, PAM_SUCCESS) };
	const char *mismatch[] = { "erin-newest-1", "erin-newest-2", NULL };
	struct pam_testcase refused[] = { pam_test(PAMTEST_CHAUTHTOK, PAM_AUTHTOK_ERR) };
	struct outcome o;

	RUN("umgmt_debian", "erin", needs_current() ? as_user : as_root, cases, &o);
	outcome_free(&o);
	assert_password("erin", "erin-newer-pass", PAM_SUCCESS);

	/* our refusal is "ignored" by [success=1 default=ignore], and
	 * pam_deny then fails the stack: still a failure */
	if (!needs_current()) {
		RUN("umgmt_debian", "erin", mismatch, refused, &o);
		assert_string_equal(o.err[0], "Sorry, passwords do not match.");
		outcome_free(&o);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_right_password),
		cmocka_unit_test(test_wrong_password),
		cmocka_unit_test(test_user_without_password),
		cmocka_unit_test(test_unknown_user),
		cmocka_unit_test(test_root_with_garbage_store),
		cmocka_unit_test(test_root_with_missing_store),
		cmocka_unit_test(test_bad_config),
		cmocka_unit_test(test_unknown_argument_is_ignored),
		cmocka_unit_test(test_try_first_pass),
		cmocka_unit_test(test_use_first_pass),
		cmocka_unit_test(test_setcred),
		cmocka_unit_test(test_chauthtok_sets_password),
		cmocka_unit_test(test_chauthtok_mismatch),
		cmocka_unit_test(test_chauthtok_too_short),
		cmocka_unit_test(test_chauthtok_wrong_current),
		cmocka_unit_test(test_chauthtok_uses_authtok),
		cmocka_unit_test(test_debian_stack),
		cmocka_unit_test(test_debian_stack_chauthtok),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("pam_umgmt", tests, setup, NULL);
}

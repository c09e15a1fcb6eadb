/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of lib/service.c: service records, grants to users and
 * groups (supplementary and primary), the [services] open list and
 * default, and what `user show` lists.
 */
#include "policy-helpers.h"
#include "umgmt/validate.h"

#define NOW t_utc(2026, 6, 15, 12, 0, 0)

static int setup(void **state)
{
	struct fixture *f;

	t_tz("UTC");
	f = t_store_with(NULL);
	t_add_user(f, "alice");
	t_add_user(f, "bob");
	*state = f;
	return 0;
}

static int setup_deny(void **state)
{
	struct fixture *f;

	t_tz("UTC");
	f = t_store_with("[services]\ndefault = deny\nopen = cron sudo\n");
	t_add_user(f, "alice");
	*state = f;
	return 0;
}

static enum um_verdict verdict(struct fixture *f, const char *user, const char *service)
{
	struct um_account_decision d;

	if (t_try(um_account_decide(f->s, t_login(f, user), service, NOW, &d)) < 0)
		fail_msg("decide: %s", um_error_text(t_last_err));
	if (d.verdict == UM_DENY_SERVICE) {
		char want[160];

		snprintf(want, sizeof(want),
			 "You are not allowed to log in to this machine with %s.", service);
		assert_string_equal(d.message, want);
	}
	return d.verdict;
}

static void test_service_names(void **state _unused_)
{
	static const char *const good[] = { "sshd",	"login",	"systemd-user",
					    "polkit-1", "gdm-password", "su-l",
					    "a",	"x.y_z+1",	"SSHD" };
	static const char *const bad[] = {
		"",	 ".x",	"-x",
		"a b",	 "a/b", "a:b",
		"ssh\n", "é",	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	};

	for (size_t i = 0; i < UM_ELEMENTSOF(good); i++)
		if (um_check_service_name(good[i]) != 0)
			fail_msg("'%s' refused", good[i]);
	for (size_t i = 0; i < UM_ELEMENTSOF(bad); i++) {
		if (t_try(um_check_service_name(bad[i])) != -EINVAL)
			fail_msg("'%s' accepted", bad[i]);
		assert_detail_has("service name");
	}
	assert_errno(um_check_service_name(NULL), -EINVAL);
}

static void test_records(void **state)
{
	struct fixture *f = *state;
	struct um_status before = t_status(f);
	struct um_service *sv = NULL, **v = NULL;
	size_t n = 0;

	assert_ok(um_service_add(f->s, "sshd", true, "remote logins"));
	assert_ok(um_service_add(f->s, "login", false, NULL));
	assert_errno(um_service_add(f->s, "sshd", false, NULL), -EEXIST);
	assert_detail_has("sshd");
	assert_errno(um_service_add(f->s, "bad name", false, NULL), -EINVAL);
	assert_errno(um_service_add(f->s, "x", false, "two\nlines"), -EINVAL);

	assert_ok(um_service_get(f->s, "sshd", &sv));
	assert_string_equal(sv->name, "sshd");
	assert_true(sv->restricted);
	assert_string_equal(sv->description, "remote logins");
	assert_int_equal(sv->n_grants, 0);
	um_service_free(sv);
	assert_errno(um_service_get(f->s, "telnet", &sv), -ESRCH);
	assert_detail_has("telnet");

	assert_ok(um_service_set_restricted(f->s, "sshd", false));
	assert_ok(um_service_set_restricted(f->s, "sshd", false)); /* no-op */
	assert_errno(um_service_set_restricted(f->s, "telnet", true), -ESRCH);

	assert_ok(um_service_list(f->s, &v, &n));
	assert_int_equal(n, 2);
	assert_string_equal(v[0]->name, "login");
	assert_false(v[0]->restricted);
	assert_string_equal(v[0]->description, "");
	assert_string_equal(v[1]->name, "sshd");
	assert_false(v[1]->restricted);
	um_service_list_free(v, n);

	assert_ok(um_service_delete(f->s, "login"));
	assert_errno(um_service_delete(f->s, "login"), -ESRCH);

	/* add, edit (one real change), delete: audited; no new snapshot */
	assert_int_equal(t_count(f, "SELECT count(*) FROM audit WHERE target_kind = 'service'"), 4);
	assert_int_equal(t_status(f).generation, before.generation);
}

static void test_grants(void **state)
{
	struct fixture *f = *state;
	struct um_service *sv = NULL;
	assert_ok(um_group_add(f->s, "devs", -1, NULL, NULL));
	assert_ok(um_group_add_member(f->s, "devs", "bob"));
	assert_ok(um_service_add(f->s, "sshd", true, NULL));

	assert_int_equal(verdict(f, "alice", "sshd"), UM_DENY_SERVICE);
	assert_int_equal(verdict(f, "bob", "sshd"), UM_DENY_SERVICE);

	assert_ok(um_service_grant(f->s, "sshd", UM_GRANT_USER, "alice"));
	assert_errno(um_service_grant(f->s, "sshd", UM_GRANT_USER, "alice"), -EEXIST);
	assert_detail_has("alice");
	assert_ok(um_service_grant(f->s, "sshd", UM_GRANT_GROUP, "devs"));
	assert_int_equal(verdict(f, "alice", "sshd"), UM_ALLOW);
	assert_int_equal(verdict(f, "bob", "sshd"), UM_ALLOW);

	assert_ok(um_service_get(f->s, "sshd", &sv));
	assert_int_equal(sv->n_grants, 2);
	assert_string_equal(sv->grants[0], "group:devs");
	assert_string_equal(sv->grants[1], "user:alice");
	um_service_free(sv);

	/* errors name what is missing and change nothing */
	assert_errno(um_service_grant(f->s, "telnet", UM_GRANT_USER, "alice"), -ESRCH);
	assert_detail_has("telnet");
	assert_errno(um_service_grant(f->s, "sshd", UM_GRANT_USER, "nobody"), -ESRCH);
	assert_detail_has("nobody");
	assert_errno(um_service_grant(f->s, "sshd", UM_GRANT_GROUP, "nogroup"), -ESRCH);
	assert_detail_has("nogroup");
	assert_errno(um_service_grant(f->s, "bad name", UM_GRANT_USER, "alice"), -EINVAL);
	assert_errno(um_service_revoke(f->s, "sshd", UM_GRANT_USER, "bob"), -ESRCH);
	assert_detail_has("bob");

	assert_ok(um_service_revoke(f->s, "sshd", UM_GRANT_USER, "alice"));
	assert_ok(um_service_revoke(f->s, "sshd", UM_GRANT_GROUP, "devs"));
	assert_int_equal(verdict(f, "alice", "sshd"), UM_DENY_SERVICE);
	assert_int_equal(verdict(f, "bob", "sshd"), UM_DENY_SERVICE);

	/* the primary (private) group counts too */
	assert_ok(um_service_grant(f->s, "sshd", UM_GRANT_GROUP, "alice"));
	assert_int_equal(verdict(f, "alice", "sshd"), UM_ALLOW);
	assert_int_equal(verdict(f, "bob", "sshd"), UM_DENY_SERVICE);

	/* a group membership ending ends the access */
	assert_ok(um_service_grant(f->s, "sshd", UM_GRANT_GROUP, "devs"));
	assert_int_equal(verdict(f, "bob", "sshd"), UM_ALLOW);
	assert_ok(um_group_remove_member(f->s, "devs", "bob"));
	assert_int_equal(verdict(f, "bob", "sshd"), UM_DENY_SERVICE);

	/* deleting the service deletes its grants; an open record admits */
	assert_ok(um_service_delete(f->s, "sshd"));
	assert_int_equal(t_count(f, "SELECT count(*) FROM service_grants"), 0);
	assert_ok(um_service_add(f->s, "sshd", false, NULL));
	assert_int_equal(verdict(f, "bob", "sshd"), UM_ALLOW);
	assert_int_equal(t_count(f, "SELECT count(*) FROM audit WHERE action = 'service grant'"),
			 4);
	assert_int_equal(t_count(f, "SELECT count(*) FROM audit WHERE action = 'service revoke'"),
			 2);
}

/* [services] default = deny with open = cron sudo. */
static void test_default_deny(void **state)
{
	struct fixture *f = *state;
	struct um_account_decision d;

	assert_int_equal(verdict(f, "alice", "sshd"), UM_DENY_SERVICE);
	assert_int_equal(verdict(f, "alice", "login"), UM_DENY_SERVICE);
	assert_int_equal(verdict(f, "alice", "cron"), UM_ALLOW);
	assert_int_equal(verdict(f, "alice", "sudo"), UM_ALLOW);
	assert_ok(um_account_decide(f->s, t_login(f, "alice"), "cron", NOW, &d));
	assert_non_null(strstr(d.reason, "open by configuration"));
	assert_ok(um_account_decide(f->s, t_login(f, "alice"), "sshd", NOW, &d));
	assert_non_null(strstr(d.reason, "denied by default"));

	/* a record wins over the list and the default */
	assert_ok(um_service_add(f->s, "cron", true, NULL));
	assert_int_equal(verdict(f, "alice", "cron"), UM_DENY_SERVICE);
	assert_ok(um_service_add(f->s, "sshd", false, NULL));
	assert_int_equal(verdict(f, "alice", "sshd"), UM_ALLOW);
	/* the flags still apply on open services */
	assert_ok(um_user_set_enabled(f->s, "alice", false));
	assert_int_equal(verdict(f, "alice", "sudo"), UM_DENY_DISABLED);
}

static void assert_lines(char **v, size_t n, const char *const *want, size_t n_want)
{
	for (size_t i = 0; i < n && i < n_want; i++)
		if (strcmp(v[i], want[i]))
			fail_msg("line %zu: '%s', want '%s'", i, v[i], want[i]);
	assert_int_equal(n, n_want);
}

static void test_user_services(void **state)
{
	struct fixture *f = *state;
	char **v = NULL;
	size_t n = 0;

	assert_ok(um_group_add(f->s, "devs", -1, NULL, NULL));
	assert_ok(um_group_add_member(f->s, "devs", "bob"));
	assert_ok(um_service_add(f->s, "sshd", true, NULL));
	assert_ok(um_service_add(f->s, "gdm-password", true, NULL));
	assert_ok(um_service_add(f->s, "login", false, NULL));
	assert_ok(um_service_grant(f->s, "sshd", UM_GRANT_GROUP, "devs"));
	assert_ok(um_service_grant(f->s, "sshd", UM_GRANT_USER, "bob"));

	assert_ok(t_user_services(f, "bob", &v, &n));
	const char *const bob[] = {
		"login: open",
		"sshd: granted to user bob",
		"systemd-user: open by configuration ([services] open)",
		"cron: open by configuration ([services] open)",
		"sudo: open by configuration ([services] open)",
		"polkit-1: open by configuration ([services] open)",
		"other services: allowed by default ([services] default = allow)",
	};
	assert_lines(v, n, bob, UM_ELEMENTSOF(bob));
	um_strv_free(v, n);

	assert_ok(t_user_services(f, "alice", &v, &n));
	const char *const alice[] = {
		"login: open",
		"systemd-user: open by configuration ([services] open)",
		"cron: open by configuration ([services] open)",
		"sudo: open by configuration ([services] open)",
		"polkit-1: open by configuration ([services] open)",
		"other services: allowed by default ([services] default = allow)",
	};
	assert_lines(v, n, alice, UM_ELEMENTSOF(alice));
	um_strv_free(v, n);

	assert_ok(um_service_revoke(f->s, "sshd", UM_GRANT_USER, "bob"));
	assert_ok(um_service_add(f->s, "cron", true, NULL));
	assert_ok(t_user_services(f, "bob", &v, &n));
	assert_string_equal(v[1], "sshd: granted to group devs");
	assert_string_equal(v[2], "systemd-user: open by configuration ([services] open)");
	assert_string_equal(v[3], "sudo: open by configuration ([services] open)"); /* cron gone */
	um_strv_free(v, n);

	assert_errno(t_user_services(f, "nobody", &v, &n), -ESRCH);
}

static void test_user_services_deny(void **state)
{
	struct fixture *f = *state;
	char **v = NULL;
	size_t n = 0;

	assert_ok(t_user_services(f, "alice", &v, &n));
	assert_int_equal(n, 3);
	assert_string_equal(v[0], "cron: open by configuration ([services] open)");
	assert_string_equal(v[2], "other services: denied by default ([services] default = deny)");
	um_strv_free(v, n);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, t_teardown)
#define D(fn) cmocka_unit_test_setup_teardown(fn, setup_deny, t_teardown)
	struct CMUnitTest tests[] = {
		cmocka_unit_test(test_service_names),
		T(test_records),
		T(test_grants),
		D(test_default_deny),
		T(test_user_services),
		D(test_user_services_deny),
	};

	t_tz("UTC");
	RUN_TESTS(tests);
}

/* SPDX-License-Identifier: MIT */
/* Unit tests of lib/config.c: defaults, every key, strict errors with lines. */
#include "helpers.h"

static int setup(void **state)
{
	*state = t_fixture_new();
	return 0;
}

/* Writes text as the fixture's config file with mode and loads it. */
static int load(struct fixture *f, const char *text, mode_t mode, struct um_config **ret)
{
	t_write_file(f->conf_path, text, mode);
	return um_config_load(f->conf_path, ret);
}

static void assert_defaults(const struct um_config *c)
{
	assert_string_equal(c->store_dir, "/var/lib/umgmt");
	assert_int_equal(c->uid_min, 1879048192u);
	assert_int_equal(c->uid_max, 2147352575u);
	assert_int_equal(c->gid_min, 1879048192u);
	assert_int_equal(c->gid_max, 2147352575u);
	assert_string_equal(c->home_template, "/home/%u");
	assert_string_equal(c->default_shell, "/bin/bash");
	assert_true(c->user_private_groups);
	assert_string_equal(c->default_group, "users");
	assert_false(c->approval_required);
	assert_int_equal(c->argon2_opslimit, 2);
	assert_int_equal(c->argon2_memlimit, 65536ull * 1024);
	assert_int_equal(c->password_min_length, 8);
	assert_int_equal(c->default_service_policy, UM_SERVICE_ALLOW);
	assert_int_equal(c->n_open_services, 4);
	assert_string_equal(c->open_services[0], "systemd-user");
	assert_string_equal(c->open_services[1], "cron");
	assert_string_equal(c->open_services[2], "sudo");
	assert_string_equal(c->open_services[3], "polkit-1");
	assert_true(um_config_service_is_open(c, "cron"));
	assert_false(um_config_service_is_open(c, "sshd"));
	assert_int_equal(c->token_ttl, 24 * 3600);
	assert_string_equal(c->notify_command, "");
	assert_int_equal(c->lockout_deny, 5);
	assert_int_equal(c->lockout_fail_interval, 15 * 60);
	assert_int_equal(c->lockout_unlock_time, 10 * 60);
}

static void test_defaults(void **state _unused_)
{
	struct um_config *c = NULL;

	assert_ok(um_config_defaults(&c));
	assert_string_equal(c->path, "");
	assert_defaults(c);
	um_config_free(c);
	um_config_free(NULL);
}

static void test_empty_file_is_defaults(void **state)
{
	struct fixture *f = *state;
	struct um_config *c = NULL;

	assert_ok(load(f, "", 0600, &c));
	assert_string_equal(c->path, f->conf_path);
	assert_defaults(c);
	um_config_free(c);

	/* comments, blank lines and empty known sections change nothing */
	assert_ok(
		load(f, "# a comment\n; another\n\n   \n[store]\n[ids]\n  # indented\n", 0600, &c));
	assert_defaults(c);
	um_config_free(c);
}

static void test_every_key(void **state)
{
	struct fixture *f = *state;
	struct um_config *c = NULL;

	assert_ok(load(f,
		       "[store]\n"
		       "dir = /srv/umgmt\n"
		       "[ids]\n"
		       "uid_min = 5000\n"
		       "uid_max = 5999\n"
		       "gid_min = 6000\n"
		       "gid_max = 6999\n"
		       "[users]\n"
		       "home = /export/home/%u\n"
		       "shell = /bin/zsh\n"
		       "private_groups = no\n"
		       "default_group = staff\n"
		       "approval_required = yes\n"
		       "[password]\n"
		       "min_length = 12\n"
		       "argon2_ops = 3\n"
		       "argon2_mem_kib = 16\n"
		       "[services]\n"
		       "default = deny\n"
		       "open = cron, atd  sshd,cron\n"
		       "[tokens]\n"
		       "ttl = 7d\n"
		       "notify_command = /usr/sbin/sendmail -t\n"
		       "[lockout]\n"
		       "deny = 3\n"
		       "fail_interval = 1h\n"
		       "unlock_time = 90\n",
		       0600, &c));
	assert_string_equal(c->store_dir, "/srv/umgmt");
	assert_int_equal(c->uid_min, 5000);
	assert_int_equal(c->uid_max, 5999);
	assert_int_equal(c->gid_min, 6000);
	assert_int_equal(c->gid_max, 6999);
	assert_string_equal(c->home_template, "/export/home/%u");
	assert_string_equal(c->default_shell, "/bin/zsh");
	assert_false(c->user_private_groups);
	assert_string_equal(c->default_group, "staff");
	assert_true(c->approval_required);
	assert_int_equal(c->password_min_length, 12);
	assert_int_equal(c->argon2_opslimit, 3);
	assert_int_equal(c->argon2_memlimit, 16 * 1024);
	assert_int_equal(c->default_service_policy, UM_SERVICE_DENY);
	/* separators are spaces and commas; a repeated name counts once */
	assert_int_equal(c->n_open_services, 3);
	assert_string_equal(c->open_services[0], "cron");
	assert_string_equal(c->open_services[1], "atd");
	assert_string_equal(c->open_services[2], "sshd");
	assert_int_equal(c->token_ttl, 7 * 86400);
	assert_string_equal(c->notify_command, "/usr/sbin/sendmail -t");
	assert_int_equal(c->lockout_deny, 3);
	assert_int_equal(c->lockout_fail_interval, 3600);
	assert_int_equal(c->lockout_unlock_time, 90);
	um_config_free(c);

	/* an empty open list and lockout off are valid */
	assert_ok(load(f, "[services]\nopen =\n[lockout]\ndeny = 0\n[tokens]\nnotify_command =\n",
		       0600, &c));
	assert_int_equal(c->n_open_services, 0);
	assert_false(um_config_service_is_open(c, "cron"));
	assert_int_equal(c->lockout_deny, 0);
	assert_string_equal(c->notify_command, "");
	um_config_free(c);
}

/* um_parse_duration (lib/util.c), the parser behind every duration key. */
static void test_parse_duration(void **state _unused_)
{
	static const struct {
		const char *text;
		int want;
		int64_t secs;
	} cases[] = {
		{ "0", 0, 0 },
		{ "90", 0, 90 },
		{ "90s", 0, 90 },
		{ "15m", 0, 900 },
		{ "24h", 0, 86400 },
		{ "7d", 0, 604800 },
		{ "", -EINVAL, 0 },
		{ "h", -EINVAL, 0 },
		{ "1.5h", -EINVAL, 0 },
		{ "1h30m", -EINVAL, 0 },
		{ "-5m", -EINVAL, 0 },
		{ "+5m", -EINVAL, 0 },
		{ " 5m", -EINVAL, 0 },
		{ "5m ", -EINVAL, 0 },
		{ "5 m", -EINVAL, 0 },
		{ "5M", -EINVAL, 0 },
		{ "5w", -EINVAL, 0 },
		{ "05m", -EINVAL, 0 },
		{ "0x10", -EINVAL, 0 },
		{ "99999999999999999999d", -ERANGE, 0 },
		{ "106751991167301d", -ERANGE, 0 }, /* overflows int64 seconds */
		{ "366d", -ERANGE, 0 },		    /* above max */
	};

	for (size_t i = 0; i < UM_ELEMENTSOF(cases); i++) {
		int64_t v = -1;
		int r = um_parse_duration(cases[i].text, 0, 365 * 86400, &v);

		if (r != cases[i].want)
			fail_msg("'%s': got %d, want %d", cases[i].text, r, cases[i].want);
		if (r == 0 && v != cases[i].secs)
			fail_msg("'%s': got %lld s", cases[i].text, (long long)v);
		if (r < 0 && v != -1)
			fail_msg("'%s': wrote the result on failure", cases[i].text);
	}
	/* bounds are inclusive */
	int64_t v;
	assert_ok(um_parse_duration("1m", 60, 120, &v));
	assert_ok(um_parse_duration("2m", 60, 120, &v));
	assert_errno(um_parse_duration("59", 60, 120, &v), -ERANGE);
	assert_errno(um_parse_duration("121s", 60, 120, &v), -ERANGE);
}

static void test_value_forms(void **state)
{
	static const char *const yes[] = { "yes", "true", "on", "1", "YES", "True" };
	static const char *const no[] = { "no", "false", "off", "0", "NO", "Off" };
	struct fixture *f = *state;
	struct um_config *c = NULL;
	char text[256];

	for (size_t i = 0; i < UM_ELEMENTSOF(yes); i++) {
		snprintf(text, sizeof(text), "[users]\napproval_required = %s\n", yes[i]);
		assert_ok(load(f, text, 0600, &c));
		assert_true(c->approval_required);
		um_config_free(c);
		snprintf(text, sizeof(text), "[users]\nprivate_groups = %s\n", no[i]);
		assert_ok(load(f, text, 0600, &c));
		assert_false(c->user_private_groups);
		um_config_free(c);
	}
	/* spaces around '=' and at the ends of a line are not part of the
	 * value (as in every INI reader); a quoted value keeps them (below) */
	assert_ok(load(f, "  [ users ]  \n\tprivate_groups=no   \n  shell   =   /bin/sh\t\n", 0600,
		       &c));
	assert_false(c->user_private_groups);
	assert_string_equal(c->default_shell, "/bin/sh");
	um_config_free(c);
	/* bounds are inclusive */
	assert_ok(load(f,
		       "[ids]\nuid_min = 1\nuid_max = 4294967294\n"
		       "[password]\nmin_length = 1024\nargon2_ops = 32\nargon2_mem_kib = 8\n",
		       0600, &c));
	assert_int_equal(c->uid_min, 1);
	assert_int_equal(c->uid_max, 4294967294u);
	assert_int_equal(c->password_min_length, 1024);
	assert_int_equal(c->argon2_opslimit, 32);
	assert_int_equal(c->argon2_memlimit, 8 * 1024);
	um_config_free(c);
	assert_ok(load(f, "[ids]\nuid_min = 7\nuid_max = 7\n", 0600, &c)); /* min == max */
	um_config_free(c);
}

struct bad_case {
	const char *text;
	const char *where; /* ":LINE:" expected in the detail, or NULL */
	const char *what;  /* another substring expected (key, section) */
};

static const struct bad_case bad[] = {
	/* unknown keys and sections */
	{ "[store]\ndir = /x\ncolour = red\n", ":3:", "colour" },
	{ "[users]\n\n\nhomedir = /home/%u\n", ":4:", "homedir" },
	{ "[frobs]\nx = 1\n", ":2:", "frobs" },
	{ "[frobs]\n", NULL, "[frobs]" },
	{ "[ids]\nuid_min = 5000\n[Frobs]\n", NULL, "frobs" },
	/* numbers: no octal, no sign, no junk, no overflow, in range */
	{ "[ids]\nuid_min = 010\n", ":2:", "uid_min" },
	{ "[ids]\n# comment\n\nuid_max = 4294967296\n", ":4:", "uid_max" },
	{ "[ids]\nuid_min = 18446744073709551616\n", ":2:", "uid_min" },
	{ "[ids]\ngid_min = 0\n", ":2:", "gid_min" },
	{ "[ids]\ngid_max = 4294967295\n", ":2:", "gid_max" },
	{ "[ids]\nuid_min = -5\n", ":2:", "uid_min" },
	{ "[ids]\nuid_min = +5\n", ":2:", "uid_min" },
	{ "[ids]\nuid_min = 0x1000\n", ":2:", "uid_min" },
	{ "[ids]\nuid_min = 1000x\n", ":2:", "uid_min" },
	{ "[ids]\nuid_min = 1 000\n", ":2:", "uid_min" },
	{ "[ids]\nuid_min =\n", ":2:", "uid_min" },
	{ "[password]\nmin_length = 0\n", ":2:", "min_length" },
	{ "[password]\nmin_length = 1025\n", ":2:", "min_length" },
	{ "[password]\nargon2_ops = 0\n", ":2:", "argon2_ops" },
	{ "[password]\nargon2_ops = 33\n", ":2:", "argon2_ops" },
	{ "[password]\nargon2_mem_kib = 7\n", ":2:", "argon2_mem_kib" },
	{ "[password]\nargon2_mem_kib = 4194305\n", ":2:", "argon2_mem_kib" },
	{ "[password]\nargon2_mem_kib = 08\n", ":2:", "argon2_mem_kib" },
	/* booleans and enums */
	{ "[users]\nprivate_groups = \"yes \"\n", ":2:", "private_groups" },
	{ "[users]\nprivate_groups = maybe\n", ":2:", "private_groups" },
	{ "[users]\napproval_required = yess\n", ":2:", "approval_required" },
	{ "[users]\napproval_required = y\n", ":2:", "approval_required" },
	{ "[users]\napproval_required =\n", ":2:", "approval_required" },
	{ "[services]\ndefault = maybe\n", ":2:", "default" },
	/* the issue 3 keys */
	{ "[services]\nopen = cron -bad\n", ":2:", "open" },
	{ "[services]\nopen = cron/sudo\n", ":2:", "open" },
	{ "[services]\nopen = .hidden\n", ":2:", "open" },
	{ "[tokens]\nttl = 59s\n", ":2:", "ttl" },
	{ "[tokens]\nttl = 366d\n", ":2:", "ttl" },
	{ "[tokens]\nttl = 1h30m\n", ":2:", "ttl" },
	{ "[tokens]\nttl = 24 h\n", ":2:", "ttl" },
	{ "[tokens]\nttl =\n", ":2:", "ttl" },
	{ "[tokens]\nnotify_command = sendmail -t\n", ":2:", "notify_command" },
	{ "[lockout]\ndeny = 1001\n", ":2:", "deny" },
	{ "[lockout]\ndeny = -1\n", ":2:", "deny" },
	{ "[lockout]\nfail_interval = 0\n", ":2:", "fail_interval" },
	{ "[lockout]\nfail_interval = 31d\n", ":2:", "fail_interval" },
	{ "[lockout]\nunlock_time = 10x\n", ":2:", "unlock_time" },
	{ "[lockout]\nfrobs = 1\n", ":2:", "frobs" },
	{ "[tokens]\nexpiry = 1h\n", ":2:", "expiry" },
	/* paths and names */
	{ "[store]\ndir = var/lib/umgmt\n", ":2:", "dir" },
	{ "[store]\ndir = /a:b\n", ":2:", "dir" },
	{ "[store]\ndir = /var/../etc\n", ":2:", "dir" },
	{ "[users]\nhome = /home/user\n", ":2:", "home" },
	{ "[users]\nhome = /home/%x\n", ":2:", "home" },
	{ "[users]\nhome = home/%u\n", ":2:", "home" },
	{ "[users]\nhome = /home/%u%\n", ":2:", "home" },
	{ "[users]\nshell = bash\n", ":2:", "shell" },
	{ "[users]\ndefault_group = Users\n", ":2:", "default_group" },
	{ "[users]\ndefault_group = 100\n", ":2:", "default_group" },
	/* structure */
	{ "[ids]\nuid_min = 5000\nuid_min = 6000\n", ":3:", "uid_min" },
	{ "[ids]\nuid_min = 5000\n[ids]\nuid_min = 6000\n", ":4:", "uid_min" },
	{ "[ids]\nuid_min = 5000\nUID_MIN = 6000\n", ":3:", "uid_min" },
	{ "dir = /x\n[store]\n", ":1:", "dir" },
	{ "# comment\n\nuid_min = 5\n", ":3:", "uid_min" },
	{ "[store\ndir = /x\n", ":1:", "[store" },
	{ "[store] junk\n", ":1:", NULL },
	{ "[]\n", ":1:", NULL },
	{ "[store]\njust some words\n", ":2:", "just some words" },
	{ "[store]\n= /x\n", ":2:", NULL },
	/* cross-key checks */
	{ "[ids]\nuid_min = 6000\nuid_max = 5000\n", ":2:", "uid_min" },
	{ "[ids]\ngid_max = 5000\ngid_min = 6000\n", ":3:", "gid_min" },
	{ "[ids]\nuid_min = 2147352576\n", ":2:", "uid_max" },
};

static void test_bad_configs(void **state)
{
	struct fixture *f = *state;

	for (size_t i = 0; i < UM_ELEMENTSOF(bad); i++) {
		struct um_config *c = (struct um_config *)0x1;
		int r = load(f, bad[i].text, 0600, &c);
		const char *d = um_error_detail(r);

		if (r != -EINVAL)
			fail_msg("bad config %zu (%s) gave %d, expected -EINVAL", i, bad[i].text,
				 r);
		/* nothing handed out on failure */
		assert_ptr_equal(c, (struct um_config *)0x1);
		if (!strstr(d, f->conf_path))
			fail_msg("bad config %zu: detail '%s' does not name the file", i, d);
		if (bad[i].where) {
			char want[PATH_MAX + 16];

			snprintf(want, sizeof(want), "%s%s", f->conf_path, bad[i].where);
			if (!strstr(d, want))
				fail_msg("bad config %zu: detail '%s' lacks '%s'", i, d, want);
		}
		if (bad[i].what && !strstr(d, bad[i].what))
			fail_msg("bad config %zu: detail '%s' lacks '%s'", i, d, bad[i].what);
	}
}

static void test_overlong_line(void **state)
{
	struct fixture *f = *state;
	size_t n = 10000;
	char *text = malloc(n + 64);
	struct um_config *c = NULL;

	assert_non_null(text);
	strcpy(text, "[store]\ndir = /");
	memset(text + strlen(text), 'a', n);
	strcpy(text + strlen("[store]\ndir = /") + n, "\n");
	assert_errno(load(f, text, 0600, &c), -EINVAL);
	assert_detail_has(":2:");
	assert_null(c);
	free(text);
}

static void test_missing_explicit_file(void **state)
{
	struct fixture *f = *state;
	struct um_config *c = NULL;

	assert_errno(um_config_load(f->conf_path, &c), -ENOENT);
	assert_null(c);
	assert_detail_has(f->conf_path);
}

static void test_untrusted_modes(void **state)
{
	static const struct {
		mode_t mode;
		int err;
	} modes[] = {
		{ 0600, 0 },	   { 0644, 0 },	      { 0400, 0 },
		{ 0444, 0 },	   { 0620, -EACCES }, { 0602, -EACCES },
		{ 0664, -EACCES }, { 0666, -EACCES }, { 0777, -EACCES },
	};
	struct fixture *f = *state;

	for (size_t i = 0; i < UM_ELEMENTSOF(modes); i++) {
		struct um_config *c = NULL;
		int r = t_try(load(f, "[users]\nshell = /bin/sh\n", modes[i].mode, &c));

		if (r != modes[i].err)
			fail_msg("mode %04o gave %d, expected %d", (unsigned)modes[i].mode, r,
				 modes[i].err);
		if (r < 0) {
			assert_null(c);
			assert_detail_has(f->conf_path);
		}
		um_config_free(c);
		/* let the next round rewrite it */
		chmod(f->conf_path, 0600);
	}
}

static void test_not_a_regular_file(void **state)
{
	struct fixture *f = *state;
	struct um_config *c = NULL;

	assert_int_equal(mkdir(f->conf_path, 0755), 0);
	assert_errno(um_config_load(f->conf_path, &c), -EACCES);
	assert_null(c);
}

static void test_root_foreign_owner(void **state)
{
	struct fixture *f = *state;
	struct um_config *c = NULL;

	if (geteuid() != 0) {
		/* only root can give a file away; as another user the
		 * owner check is covered by the store's tests */
		skip();
	}
	t_write_file(f->conf_path, "", 0644);
	assert_int_equal(chown(f->conf_path, 65534, 65534), 0);
	assert_errno(um_config_load(f->conf_path, &c), -EACCES);
	assert_detail_has("owned by uid 65534");
	assert_null(c);
}

static void test_home_for_and_store_path(void **state)
{
	struct fixture *f = *state;
	struct um_config *c = NULL;
	char *s;

	assert_ok(load(f, "[store]\ndir = /srv/um\n[users]\nhome = /h/%%/%u/x-%u\n", 0600, &c));
	s = um_config_home_for(c, "alice");
	assert_string_equal(s, "/h/%/alice/x-alice");
	free(s);
	s = um_config_store_path(c, "umgmt.db");
	assert_string_equal(s, "/srv/um/umgmt.db");
	free(s);
	um_config_free(c);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, t_teardown)
	struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		T(test_empty_file_is_defaults),
		T(test_every_key),
		T(test_value_forms),
		cmocka_unit_test(test_parse_duration),
		T(test_bad_configs),
		T(test_overlong_line),
		T(test_missing_explicit_file),
		T(test_untrusted_modes),
		T(test_not_a_regular_file),
		T(test_root_foreign_owner),
		T(test_home_for_and_store_path),
	};

	RUN_TESTS(tests);
}

/* SPDX-License-Identifier: MIT */
/*
 * libnss_umgmt.so.2 reached through glibc's own calls (getpwnam_r,
 * getgrouplist, getpwent...) under cwrap's nss_wrapper, next to a "files"
 * database of local accounts.
 *
 * Run it plainly: it writes a snapshot and the wrapper's passwd/group files
 * into a temp dir, then re-runs itself with LD_PRELOAD=libnss_wrapper.so
 * and NSS_WRAPPER_MODULE_SO_PATH=$UMGMT_NSS_MODULE.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "nsstest.h"

static void test_getpwnam(void **state __attribute__((unused)))
{
	struct passwd pw, *res = NULL;
	char buf[1024];

	assert_int_equal(getpwnam_r("alice", &pw, buf, sizeof(buf), &res), 0);
	assert_ptr_equal(res, &pw);
	assert_int_equal(pw.pw_uid, 2000);
	assert_string_equal(pw.pw_passwd, "*");
	assert_string_equal(pw.pw_gecos, "Alice Liddell");

	/* the local account still comes from files */
	assert_int_equal(getpwnam_r("localuser", &pw, buf, sizeof(buf), &res), 0);
	assert_ptr_equal(res, &pw);
	assert_int_equal(pw.pw_uid, 1500);

	assert_int_equal(getpwuid_r(2001, &pw, buf, sizeof(buf), &res), 0);
	assert_ptr_equal(res, &pw);
	assert_string_equal(pw.pw_name, "bob");

	struct passwd *p = getpwnam("zed");
	assert_non_null(p);
	assert_int_equal(p->pw_uid, 65533);
}

/* A miss: glibc returns 0 with a NULL result, nss_wrapper ENOENT. */
static void assert_miss(int r)
{
	if (r != 0 && r != ENOENT)
		fail_msg("a miss returned %d", r);
}

static void test_misses(void **state __attribute__((unused)))
{
	struct passwd pw, *res = &pw;
	struct group gr, *gres = &gr;
	char buf[1024];

	assert_miss(getpwnam_r("ghost", &pw, buf, sizeof(buf), &res));
	assert_null(res);
	res = &pw;
	assert_miss(getpwuid_r(4242, &pw, buf, sizeof(buf), &res));
	assert_null(res);
	assert_miss(getgrnam_r("ghosts", &gr, buf, sizeof(buf), &gres));
	assert_null(gres);
}

static void test_erange(void **state __attribute__((unused)))
{
	struct passwd pw, *res = NULL;
	struct group gr, *gres = NULL;
	char buf[8];

	assert_int_equal(getpwnam_r("alice", &pw, buf, sizeof(buf), &res), ERANGE);
	assert_null(res);
	assert_int_equal(getgrnam_r("staff", &gr, buf, sizeof(buf), &gres), ERANGE);
	assert_null(gres);
}

static void test_groups(void **state __attribute__((unused)))
{
	struct group gr, *res = NULL;
	size_t len = 1024;
	char *buf = malloc(len);
	int r;

	assert_int_equal(getgrnam_r("staff", &gr, buf, len, &res), 0);
	assert_ptr_equal(res, &gr);
	assert_int_equal(gr.gr_gid, 3000);
	assert_string_equal(gr.gr_mem[0], "alice");
	assert_string_equal(gr.gr_mem[1], "bob");
	assert_null(gr.gr_mem[2]);

	while ((r = getgrgid_r(3001, &gr, buf, len, &res)) == ERANGE)
		buf = realloc(buf, len *= 2);
	assert_int_equal(r, 0);
	assert_ptr_equal(res, &gr);
	size_t n = 0;
	while (gr.gr_mem[n])
		n++;
	assert_int_equal(n, BIG_GROUP_MEMBERS);
	free(buf);

	struct group *g = getgrnam("localgrp");
	assert_non_null(g);
	assert_int_equal(g->gr_gid, 1500);
}

static void test_grouplist(void **state __attribute__((unused)))
{
	gid_t groups[64];
	int n = 64;

	assert_true(getgrouplist("alice", 2000, groups, &n) >= 0);
	bool primary = false, staff = false;
	for (int i = 0; i < n; i++) {
		primary |= groups[i] == 2000;
		staff |= groups[i] == 3000;
	}
	assert_true(primary);
	assert_true(staff);
}

static void test_enumeration(void **state __attribute__((unused)))
{
	struct passwd *p;
	bool alice = false, bob = false, local = false;

	setpwent();
	while ((p = getpwent())) {
		alice |= strcmp(p->pw_name, "alice") == 0;
		bob |= strcmp(p->pw_name, "bob") == 0;
		local |= strcmp(p->pw_name, "localuser") == 0;
	}
	endpwent();
	assert_true(alice && bob && local);

	struct group *g;
	bool staff = false;
	setgrent();
	while ((g = getgrent()))
		staff |= strcmp(g->gr_name, "staff") == 0;
	endgrent();
	assert_true(staff);
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "we");

	if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

/* Prepares the wrapped environment and runs ourselves in it. */
static int run_wrapped(char **argv)
{
	char *dir = make_temp_dir(), p[4096];
	char *module = realpath(nss_module_path(), NULL);

	if (!module) {
		fprintf(stderr, "test-nss-wrapper: no module at %s\n", nss_module_path());
		return 1;
	}
	snprintf(p, sizeof(p), "%s/directory.db", dir);
	snap_write_standard(p);
	setenv("UMGMT_DIRECTORY", p, 1);
	snprintf(p, sizeof(p), "%s/passwd", dir);
	write_text(p, "localuser:x:1500:1500:Local User:/home/localuser:/bin/sh\n");
	setenv("NSS_WRAPPER_PASSWD", p, 1);
	snprintf(p, sizeof(p), "%s/group", dir);
	write_text(p, "localgrp:x:1500:localuser\n");
	setenv("NSS_WRAPPER_GROUP", p, 1);
	setenv("NSS_WRAPPER_MODULE_SO_PATH", module, 1);
	setenv("NSS_WRAPPER_MODULE_FN_PREFIX", "umgmt", 1);
	setenv("NSS_WRAPPER_DISABLE_DEEPBIND", "1", 1);
	setenv("LD_PRELOAD", "libnss_wrapper.so", 1);
	/* an ASan build must tolerate the preloaded wrapper */
	const char *asan = getenv("ASAN_OPTIONS");
	char *opts = NULL;
	if (asprintf(&opts, "%s%sverify_asan_link_order=0", asan ? asan : "", asan ? ":" : "") > 0)
		setenv("ASAN_OPTIONS", opts, 1);
	free(opts);

	pid_t pid = fork();
	if (pid == 0) {
		execv("/proc/self/exe", argv);
		_exit(127);
	}
	int status = 1;
	waitpid(pid, &status, 0);
	remove_tree(dir);
	free(dir);
	free(module);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

int main(int argc, char **argv)
{
	nsstest_handle_args(argc, argv);
	if (!getenv("NSS_WRAPPER_MODULE_SO_PATH"))
		return run_wrapped(argv);

	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_getpwnam),  cmocka_unit_test(test_misses),
		cmocka_unit_test(test_erange),	  cmocka_unit_test(test_groups),
		cmocka_unit_test(test_grouplist), cmocka_unit_test(test_enumeration),
	};
	return cmocka_run_group_tests_name("nss-wrapper", tests, NULL, NULL);
}

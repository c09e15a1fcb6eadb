/* SPDX-License-Identifier: MIT */
/*
 * libnss_umgmt.so.2 called directly (dlopen + _nss_umgmt_*), the way glibc
 * calls it: hits, misses, ERANGE, enumeration, initgroups_dyn, errno,
 * threads, fork, closed fds, and a snapshot replaced while in use.
 *
 * The module is $UMGMT_NSS_MODULE (tests/nss/run.sh sets it); the snapshot
 * is written into a temp dir and found through $UMGMT_DIRECTORY.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <sys/stat.h>

#include "nsstest.h"

static struct nss_mod M;
static char *tmpdir;
static char snap_path[4096];

static int setup(void **state __attribute__((unused)))
{
	tmpdir = make_temp_dir();
	snprintf(snap_path, sizeof(snap_path), "%s/directory.db", tmpdir);
	snap_write_standard(snap_path);
	setenv("UMGMT_DIRECTORY", snap_path, 1);
	nss_mod_load(&M);
	return 0;
}

static int teardown(void **state __attribute__((unused)))
{
	remove_tree(tmpdir);
	free(tmpdir);
	return 0;
}

/* getpwnam_r with a buffer grown on ERANGE, as glibc does. */
static enum nss_status pwnam(const char *name, struct passwd *pw, char **buf, int *err)
{
	size_t len = 64;
	enum nss_status s;

	for (;;) {
		*buf = realloc(*buf, len);
		s = M.getpwnam_r(name, pw, *buf, len, err);
		if (s != NSS_STATUS_TRYAGAIN || *err != ERANGE)
			return s;
		len *= 2;
	}
}

static enum nss_status grnam(const char *name, struct group *gr, char **buf, int *err)
{
	size_t len = 64;
	enum nss_status s;

	for (;;) {
		*buf = realloc(*buf, len);
		s = M.getgrnam_r(name, gr, *buf, len, err);
		if (s != NSS_STATUS_TRYAGAIN || *err != ERANGE)
			return s;
		len *= 2;
	}
}

static size_t count_mem(char **mem)
{
	size_t n = 0;

	while (mem[n])
		n++;
	return n;
}

/* ------------------------------------------------------------- lookups */

static void test_getpwnam_hit(void **state __attribute__((unused)))
{
	struct passwd pw;
	char buf[1024];
	int err = 0;

	assert_int_equal(M.getpwnam_r("alice", &pw, buf, sizeof(buf), &err), NSS_STATUS_SUCCESS);
	assert_string_equal(pw.pw_name, "alice");
	assert_string_equal(pw.pw_passwd, "*");
	assert_int_equal(pw.pw_uid, 2000);
	assert_int_equal(pw.pw_gid, 2000);
	assert_string_equal(pw.pw_gecos, "Alice Liddell");
	assert_string_equal(pw.pw_dir, "/home/alice");
	assert_string_equal(pw.pw_shell, "/bin/bash");
	/* every string lives in the caller's buffer */
	assert_true(pw.pw_name >= buf && pw.pw_shell < buf + sizeof(buf));

	assert_int_equal(M.getpwnam_r("dave", &pw, buf, sizeof(buf), &err), NSS_STATUS_SUCCESS);
	assert_string_equal(pw.pw_gecos, "");
	assert_string_equal(pw.pw_shell, "/usr/sbin/nologin");
}

static void test_getpwuid_hit(void **state __attribute__((unused)))
{
	struct passwd pw;
	char buf[1024];
	int err = 0;

	assert_int_equal(M.getpwuid_r(2001, &pw, buf, sizeof(buf), &err), NSS_STATUS_SUCCESS);
	assert_string_equal(pw.pw_name, "bob");
	assert_string_equal(pw.pw_gecos, "Bob,,,");
	assert_int_equal(pw.pw_gid, 100);
	assert_int_equal(M.getpwuid_r(65533, &pw, buf, sizeof(buf), &err), NSS_STATUS_SUCCESS);
	assert_string_equal(pw.pw_name, "zed");
}

static void test_misses(void **state __attribute__((unused)))
{
	struct passwd pw;
	struct group gr;
	char buf[1024];
	int err;

	const char *names[] = { "nobody-here", "", "ALICE", "alice ", "alic", "alice%", "a'b" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		err = 0;
		assert_int_equal(M.getpwnam_r(names[i], &pw, buf, sizeof(buf), &err),
				 NSS_STATUS_NOTFOUND);
		assert_int_equal(err, ENOENT);
		err = 0;
		assert_int_equal(M.getgrnam_r(names[i], &gr, buf, sizeof(buf), &err),
				 NSS_STATUS_NOTFOUND);
		assert_int_equal(err, ENOENT);
	}
	const uint32_t ids[] = { 0, 1, 1999, 65534, 4000000000u, (uint32_t)-1 };
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		err = 0;
		assert_int_equal(M.getpwuid_r(ids[i], &pw, buf, sizeof(buf), &err),
				 NSS_STATUS_NOTFOUND);
		assert_int_equal(err, ENOENT);
		err = 0;
		assert_int_equal(M.getgrgid_r(ids[i], &gr, buf, sizeof(buf), &err),
				 NSS_STATUS_NOTFOUND);
		assert_int_equal(err, ENOENT);
	}
	/* a miss is a miss whatever the buffer */
	err = 0;
	assert_int_equal(M.getpwnam_r("nobody-here", &pw, buf, 0, &err), NSS_STATUS_NOTFOUND);
	assert_int_equal(err, ENOENT);
}

static void test_long_gecos(void **state __attribute__((unused)))
{
	struct passwd pw;
	char *buf = NULL;
	int err = 0;

	assert_int_equal(pwnam("carol", &pw, &buf, &err), NSS_STATUS_SUCCESS);
	assert_int_equal(strlen(pw.pw_gecos), LONG_GECOS_LEN);
	assert_true(strspn(pw.pw_gecos, "c") == LONG_GECOS_LEN);
	assert_string_equal(pw.pw_dir, "/home/carol");
	free(buf);
}

static void test_getgr_hit(void **state __attribute__((unused)))
{
	struct group gr;
	char buf[1024];
	int err = 0;

	assert_int_equal(M.getgrnam_r("staff", &gr, buf, sizeof(buf), &err), NSS_STATUS_SUCCESS);
	assert_string_equal(gr.gr_name, "staff");
	assert_string_equal(gr.gr_passwd, "*");
	assert_int_equal(gr.gr_gid, 3000);
	assert_int_equal(count_mem(gr.gr_mem), 2);
	assert_string_equal(gr.gr_mem[0], "alice");
	assert_string_equal(gr.gr_mem[1], "bob");
	assert_true((uintptr_t)gr.gr_mem % _Alignof(char *) == 0);

	assert_int_equal(M.getgrgid_r(3003, &gr, buf, sizeof(buf), &err), NSS_STATUS_SUCCESS);
	assert_string_equal(gr.gr_name, "empty");
	assert_non_null(gr.gr_mem);
	assert_null(gr.gr_mem[0]);

	assert_int_equal(M.getgrgid_r(100, &gr, buf, sizeof(buf), &err), NSS_STATUS_SUCCESS);
	assert_string_equal(gr.gr_name, "users");
	assert_int_equal(count_mem(gr.gr_mem), 1);
	assert_string_equal(gr.gr_mem[0], "bob");
}

/* The pointer array must be aligned whatever the buffer's alignment. */
static void test_getgr_unaligned_buffer(void **state __attribute__((unused)))
{
	struct group gr;
	char raw[1024 + 16];
	int err = 0;

	for (size_t off = 0; off < 16; off++) {
		char *buf = raw + off;
		assert_int_equal(M.getgrnam_r("staff", &gr, buf, 1024, &err), NSS_STATUS_SUCCESS);
		assert_true((uintptr_t)gr.gr_mem % _Alignof(char *) == 0);
		assert_true((char *)gr.gr_mem >= buf && (char *)gr.gr_mem < buf + 1024);
		assert_string_equal(gr.gr_mem[1], "bob");
		assert_null(gr.gr_mem[2]);
	}
}

static void test_big_group(void **state __attribute__((unused)))
{
	struct group gr;
	char *buf = NULL;
	int err = 0;

	assert_int_equal(grnam("big", &gr, &buf, &err), NSS_STATUS_SUCCESS);
	assert_int_equal(gr.gr_gid, 3001);
	assert_int_equal(count_mem(gr.gr_mem), BIG_GROUP_MEMBERS);
	/* in uid order: alice (2000), then m00001 (100001)... */
	assert_string_equal(gr.gr_mem[0], "alice");
	assert_string_equal(gr.gr_mem[1], "m00001");
	assert_string_equal(gr.gr_mem[12345], "m12345");
	assert_string_equal(gr.gr_mem[BIG_GROUP_MEMBERS - 1], "m49999");

	/* every member is a user of its own, with big among its groups */
	struct passwd pw;
	long start = 1, size = 1;
	gid_t *groups = malloc(sizeof(gid_t));
	groups[0] = 100;
	assert_int_equal(M.getpwnam_r("m49999", &pw, buf, 1024, &err), NSS_STATUS_SUCCESS);
	assert_int_equal(pw.pw_uid, M_UID_BASE + 49999);
	assert_string_equal(pw.pw_dir, "/home/m49999");
	assert_int_equal(M.initgroups_dyn("m12345", 100, &start, &size, &groups, 0, &err),
			 NSS_STATUS_SUCCESS);
	assert_int_equal(start, 2);
	assert_int_equal(groups[1], 3001);
	free(groups);
	free(buf);
}

/* Every buffer size short of the need is ERANGE + TRYAGAIN; the need works. */
static void test_erange_passwd(void **state __attribute__((unused)))
{
	struct passwd pw;
	char buf[256];
	int err;
	size_t need = strlen("alice") + 1 + 2 + strlen("Alice Liddell") + 1 +
		      strlen("/home/alice") + 1 + strlen("/bin/bash") + 1;

	for (size_t len = 0; len < need; len++) {
		err = 0;
		assert_int_equal(M.getpwnam_r("alice", &pw, buf, len, &err), NSS_STATUS_TRYAGAIN);
		assert_int_equal(err, ERANGE);
		err = 0;
		assert_int_equal(M.getpwuid_r(2000, &pw, buf, len, &err), NSS_STATUS_TRYAGAIN);
		assert_int_equal(err, ERANGE);
	}
	assert_int_equal(M.getpwnam_r("alice", &pw, buf, need, &err), NSS_STATUS_SUCCESS);
	assert_string_equal(pw.pw_shell, "/bin/bash");
}

static void test_erange_group(void **state __attribute__((unused)))
{
	struct group gr;
	char *buf = malloc(256);
	int err;
	size_t ok = 0;

	assert_non_null(buf);
	/* buf from malloc is aligned: need = 3 pointers + strings */
	size_t need = 3 * sizeof(char *) + strlen("staff") + 1 + 2 + strlen("alice,bob") + 1;
	for (size_t len = 0; len <= need; len++) {
		err = 0;
		enum nss_status s = M.getgrnam_r("staff", &gr, buf, len, &err);
		if (len < need) {
			assert_int_equal(s, NSS_STATUS_TRYAGAIN);
			assert_int_equal(err, ERANGE);
		} else {
			assert_int_equal(s, NSS_STATUS_SUCCESS);
			ok++;
		}
	}
	assert_int_equal(ok, 1);
	err = 0;
	assert_int_equal(M.getgrgid_r(3001, &gr, buf, 256, &err), NSS_STATUS_TRYAGAIN);
	assert_int_equal(err, ERANGE);
	free(buf);
}

/* ----------------------------------------------------------- enumeration */

static void test_enum_passwd(void **state __attribute__((unused)))
{
	struct passwd pw;
	char *buf = malloc(8192), name[16];
	uint32_t uid;
	int err;
	size_t n = 0;

	assert_non_null(buf);
	assert_int_equal(M.setpwent(0), NSS_STATUS_SUCCESS);
	for (;;) {
		/* a too-small buffer first: must not advance */
		err = 0;
		enum nss_status s = M.getpwent_r(&pw, buf, 4, &err);
		if (s == NSS_STATUS_NOTFOUND)
			break;
		assert_int_equal(s, NSS_STATUS_TRYAGAIN);
		assert_int_equal(err, ERANGE);
		err = 0;
		assert_int_equal(M.getpwent_r(&pw, buf, 8192, &err), NSS_STATUS_SUCCESS);
		assert_true(n < STD_USERS);
		std_user(n, name, &uid);
		assert_string_equal(pw.pw_name, name);
		assert_int_equal(pw.pw_uid, uid);
		n++;
	}
	assert_int_equal(n, STD_USERS);
	/* after the end: NOTFOUND, again */
	err = 0;
	assert_int_equal(M.getpwent_r(&pw, buf, 8192, &err), NSS_STATUS_NOTFOUND);
	assert_int_equal(err, ENOENT);
	/* setpwent restarts */
	assert_int_equal(M.setpwent(1), NSS_STATUS_SUCCESS);
	assert_int_equal(M.getpwent_r(&pw, buf, 8192, &err), NSS_STATUS_SUCCESS);
	assert_string_equal(pw.pw_name, "alice");
	assert_int_equal(M.getpwent_r(&pw, buf, 8192, &err), NSS_STATUS_SUCCESS);
	assert_string_equal(pw.pw_name, "bob");
	assert_int_equal(M.endpwent(), NSS_STATUS_SUCCESS);
	/* getpwent without setpwent starts at the beginning */
	assert_int_equal(M.getpwent_r(&pw, buf, 8192, &err), NSS_STATUS_SUCCESS);
	assert_string_equal(pw.pw_name, "alice");
	assert_int_equal(M.endpwent(), NSS_STATUS_SUCCESS);
	free(buf);
}

static void test_enum_group(void **state __attribute__((unused)))
{
	struct group gr;
	size_t len = 16, n = 0, retries = 0;
	char *buf = malloc(len), name[16];
	uint32_t gid;
	int err;

	assert_non_null(buf);
	assert_int_equal(M.setgrent(0), NSS_STATUS_SUCCESS);
	for (;;) {
		err = 0;
		enum nss_status s = M.getgrent_r(&gr, buf, len, &err);
		if (s == NSS_STATUS_TRYAGAIN && err == ERANGE) {
			buf = realloc(buf, len *= 2);
			assert_non_null(buf);
			retries++;
			continue;
		}
		if (s == NSS_STATUS_NOTFOUND)
			break;
		assert_int_equal(s, NSS_STATUS_SUCCESS);
		assert_true(n < STD_GROUPS);
		std_group(n, name, &gid);
		assert_string_equal(gr.gr_name, name);
		assert_int_equal(gr.gr_gid, gid);
		if (gr.gr_gid == 3001)
			assert_int_equal(count_mem(gr.gr_mem), BIG_GROUP_MEMBERS);
		if (gr.gr_gid == 3000)
			assert_int_equal(count_mem(gr.gr_mem), 2);
		if (gr.gr_gid == 3003)
			assert_int_equal(count_mem(gr.gr_mem), 0);
		if (gr.gr_gid >= CAROL_GID_BASE) {
			assert_int_equal(count_mem(gr.gr_mem), 1);
			assert_string_equal(gr.gr_mem[0], "carol");
		}
		n++;
	}
	assert_int_equal(n, STD_GROUPS);
	assert_true(retries > 0);
	assert_int_equal(M.getgrent_r(&gr, buf, len, &err), NSS_STATUS_NOTFOUND);
	assert_int_equal(M.endgrent(), NSS_STATUS_SUCCESS);
	free(buf);
}

/* Two enumerations (passwd and group) are independent. */
static void test_enum_interleaved(void **state __attribute__((unused)))
{
	struct passwd pw;
	struct group gr;
	char *buf = malloc(1 << 20);
	int err;

	assert_int_equal(M.setpwent(0), NSS_STATUS_SUCCESS);
	assert_int_equal(M.setgrent(0), NSS_STATUS_SUCCESS);
	assert_int_equal(M.getpwent_r(&pw, buf, 1 << 20, &err), NSS_STATUS_SUCCESS);
	assert_int_equal(M.getgrent_r(&gr, buf, 1 << 20, &err), NSS_STATUS_SUCCESS);
	assert_string_equal(gr.gr_name, "users");
	assert_int_equal(M.getpwent_r(&pw, buf, 1 << 20, &err), NSS_STATUS_SUCCESS);
	assert_string_equal(pw.pw_name, "bob");
	/* lookups in between do not disturb the cursor */
	assert_int_equal(M.getpwnam_r("zed", &pw, buf, 1 << 20, &err), NSS_STATUS_SUCCESS);
	assert_int_equal(M.getpwent_r(&pw, buf, 1 << 20, &err), NSS_STATUS_SUCCESS);
	assert_string_equal(pw.pw_name, "carol");
	M.endpwent();
	M.endgrent();
	free(buf);
}

/* ------------------------------------------------------------ initgroups */

static void test_initgroups_growth(void **state __attribute__((unused)))
{
	long start = 1, size = 1;
	gid_t *groups = malloc(sizeof(gid_t));
	int err = 0;

	groups[0] = 2000;
	assert_int_equal(M.initgroups_dyn("alice", 2000, &start, &size, &groups, 0, &err),
			 NSS_STATUS_SUCCESS);
	assert_int_equal(start, 4);
	assert_true(size >= 4);
	assert_int_equal(groups[0], 2000);
	assert_int_equal(groups[1], 3000);
	assert_int_equal(groups[2], 3001);
	assert_int_equal(groups[3], 3002);
	free(groups);

	/* 200 groups from a small array */
	start = 1;
	size = 2;
	groups = malloc(2 * sizeof(gid_t));
	groups[0] = 100;
	assert_int_equal(M.initgroups_dyn("carol", 100, &start, &size, &groups, -1, &err),
			 NSS_STATUS_SUCCESS);
	assert_int_equal(start, 201);
	for (long i = 1; i < start; i++)
		assert_int_equal(groups[i], 4000 + i - 1);
	free(groups);
}

static void test_initgroups_skip_and_dups(void **state __attribute__((unused)))
{
	long start = 1, size = 8;
	gid_t *groups = calloc(8, sizeof(gid_t));
	int err = 0;

	/* bob's list holds his primary group 100: skipped */
	groups[0] = 100;
	assert_int_equal(M.initgroups_dyn("bob", 100, &start, &size, &groups, 0, &err),
			 NSS_STATUS_SUCCESS);
	assert_int_equal(start, 2);
	assert_int_equal(groups[1], 3000);

	/* already there (another service added it): not twice */
	start = 2;
	groups[0] = 2000;
	groups[1] = 3001;
	assert_int_equal(M.initgroups_dyn("alice", 2000, &start, &size, &groups, 0, &err),
			 NSS_STATUS_SUCCESS);
	assert_int_equal(start, 4);
	assert_int_equal(groups[2], 3000);
	assert_int_equal(groups[3], 3002);
	assert_int_equal(size, 8);
	free(groups);
}

static void test_initgroups_limit(void **state __attribute__((unused)))
{
	long start = 1, size = 1;
	gid_t *groups = malloc(sizeof(gid_t));
	int err = 0;

	groups[0] = 2000;
	assert_int_equal(M.initgroups_dyn("alice", 2000, &start, &size, &groups, 2, &err),
			 NSS_STATUS_SUCCESS);
	assert_int_equal(start, 2);
	assert_int_equal(size, 2);
	assert_int_equal(groups[1], 3000);
	free(groups);

	start = 1;
	size = 1;
	groups = malloc(sizeof(gid_t));
	groups[0] = 100;
	assert_int_equal(M.initgroups_dyn("carol", 100, &start, &size, &groups, 50, &err),
			 NSS_STATUS_SUCCESS);
	assert_int_equal(start, 50);
	assert_int_equal(size, 50);
	free(groups);
}

static void test_initgroups_none(void **state __attribute__((unused)))
{
	long start = 1, size = 4;
	gid_t *groups = calloc(4, sizeof(gid_t));
	int err = 0;

	groups[0] = 100;
	/* dave has no supplementary group; ghost is not ours */
	assert_int_equal(M.initgroups_dyn("dave", 100, &start, &size, &groups, 0, &err),
			 NSS_STATUS_NOTFOUND);
	assert_int_equal(err, ENOENT);
	assert_int_equal(M.initgroups_dyn("ghost", 100, &start, &size, &groups, 0, &err),
			 NSS_STATUS_NOTFOUND);
	assert_int_equal(start, 1);
	assert_int_equal(size, 4);
	free(groups);
}

/* ----------------------------------------------------------------- errno */

static void test_errno_preserved(void **state __attribute__((unused)))
{
	struct passwd pw;
	struct group gr;
	char buf[1024];
	int err = 777;
	long start = 1, size = 4;
	gid_t *groups = calloc(4, sizeof(gid_t));

	errno = 12345;
	assert_int_equal(M.getpwnam_r("alice", &pw, buf, sizeof(buf), &err), NSS_STATUS_SUCCESS);
	assert_int_equal(errno, 12345);
	assert_int_equal(err, 777); /* untouched on success */
	assert_int_equal(M.getgrgid_r(3000, &gr, buf, sizeof(buf), &err), NSS_STATUS_SUCCESS);
	assert_int_equal(errno, 12345);
	assert_int_equal(M.initgroups_dyn("alice", 2000, &start, &size, &groups, 0, &err),
			 NSS_STATUS_SUCCESS);
	assert_int_equal(errno, 12345);
	assert_int_equal(M.setpwent(0), NSS_STATUS_SUCCESS);
	assert_int_equal(M.getpwent_r(&pw, buf, sizeof(buf), &err), NSS_STATUS_SUCCESS);
	assert_int_equal(M.endpwent(), NSS_STATUS_SUCCESS);
	assert_int_equal(errno, 12345);
	/* a miss reports through *errnop; errno is the caller's */
	assert_int_equal(M.getpwnam_r("ghost", &pw, buf, sizeof(buf), &err), NSS_STATUS_NOTFOUND);
	assert_int_equal(err, ENOENT);
	assert_int_equal(errno, 12345);
	/* glibc passes &errno: then the error must land there */
	assert_int_equal(M.getpwnam_r("alice", &pw, buf, 3, &errno), NSS_STATUS_TRYAGAIN);
	assert_int_equal(errno, ERANGE);
	free(groups);
}

/* --------------------------------------------------------------- threads */

struct hammer {
	unsigned seed;
	int failures;
	long lookups;
};

static void *hammer_thread(void *arg)
{
	struct hammer *h = arg;
	char *buf = malloc(1 << 20);
	struct passwd pw;
	struct group gr;
	int err;

	for (int i = 0; i < 3000; i++) {
		unsigned k = (unsigned)rand_r(&h->seed);
		size_t u = k % N_NAMED_USERS, g = (k / N_NAMED_USERS) % N_NAMED_GROUPS;
		bool ok;
		switch (k % 4) {
		case 0:
			ok = M.getpwnam_r(std_user_names[u], &pw, buf, 1 << 20, &err) ==
				     NSS_STATUS_SUCCESS &&
			     pw.pw_uid == std_user_uids[u];
			break;
		case 1:
			ok = M.getpwuid_r(std_user_uids[u], &pw, buf, 1 << 20, &err) ==
				     NSS_STATUS_SUCCESS &&
			     strcmp(pw.pw_name, std_user_names[u]) == 0;
			break;
		case 2:
			ok = M.getgrnam_r(std_group_names[g], &gr, buf, 1 << 20, &err) ==
				     NSS_STATUS_SUCCESS &&
			     gr.gr_gid == std_group_gids[g];
			break;
		default:
			ok = M.getgrgid_r(std_group_gids[g], &gr, buf, 1 << 20, &err) ==
				     NSS_STATUS_SUCCESS &&
			     strcmp(gr.gr_name, std_group_names[g]) == 0;
			if (ok && gr.gr_gid == 3001)
				ok = count_mem(gr.gr_mem) == BIG_GROUP_MEMBERS;
			break;
		}
		if (!ok)
			h->failures++;
		h->lookups++;
		if (M.getpwnam_r("ghost", &pw, buf, 1 << 20, &err) != NSS_STATUS_NOTFOUND)
			h->failures++;
	}
	free(buf);
	return NULL;
}

static void test_threads(void **state __attribute__((unused)))
{
	pthread_t t[8];
	struct hammer h[8];

	for (unsigned i = 0; i < 8; i++) {
		h[i] = (struct hammer){ .seed = i * 7919 + 1 };
		assert_int_equal(pthread_create(&t[i], NULL, hammer_thread, &h[i]), 0);
	}
	for (unsigned i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(h[i].failures, 0);
		assert_int_equal(h[i].lookups, 3000);
	}
}

/* ------------------------------------------------------------ fork, fds */

static int child_lookups(void)
{
	struct passwd pw;
	struct group gr;
	char *buf = malloc(1 << 20);
	int err, bad = 0;

	if (M.getpwnam_r("alice", &pw, buf, 1 << 20, &err) != NSS_STATUS_SUCCESS ||
	    pw.pw_uid != 2000)
		bad |= 1;
	if (M.getgrgid_r(3001, &gr, buf, 1 << 20, &err) != NSS_STATUS_SUCCESS ||
	    count_mem(gr.gr_mem) != BIG_GROUP_MEMBERS)
		bad |= 2;
	if (M.setpwent(0) != NSS_STATUS_SUCCESS ||
	    M.getpwent_r(&pw, buf, 1 << 20, &err) != NSS_STATUS_SUCCESS ||
	    strcmp(pw.pw_name, "alice") != 0)
		bad |= 4;
	M.endpwent();
	if (M.getpwnam_r("ghost", &pw, buf, 1 << 20, &err) != NSS_STATUS_NOTFOUND)
		bad |= 8;
	free(buf);
	return bad;
}

static int wait_child(pid_t pid)
{
	int status;

	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status))
		fprintf(stderr, "child: signal %d\n", WTERMSIG(status));
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void test_fork_child(void **state __attribute__((unused)))
{
	struct passwd pw;
	char buf[1024];
	int err;

	assert_int_equal(M.getpwnam_r("alice", &pw, buf, sizeof(buf), &err), NSS_STATUS_SUCCESS);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(child_lookups());
	assert_int_equal(wait_child(pid), 0);
}

static volatile bool stop_hammer;

static void *busy_thread(void *arg __attribute__((unused)))
{
	char *buf = malloc(1 << 20);
	struct group gr;
	int err;

	while (!__atomic_load_n(&stop_hammer, __ATOMIC_RELAXED))
		M.getgrgid_r(3001, &gr, buf, 1 << 20, &err);
	free(buf);
	return NULL;
}

/* Forks while other threads are inside the module, holding pool slots. */
static void test_fork_while_busy(void **state __attribute__((unused)))
{
	pthread_t t[4];

	stop_hammer = false;
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, busy_thread, NULL), 0);
	for (int round = 0; round < 20; round++) {
		usleep(2000);
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			alarm(20); /* a deadlock fails the test instead of hanging it */
			_exit(child_lookups());
		}
		assert_int_equal(wait_child(pid), 0);
	}
	__atomic_store_n(&stop_hammer, true, __ATOMIC_RELAXED);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
}

static void test_no_fd_kept(void **state __attribute__((unused)))
{
	struct passwd pw;
	struct group gr;
	char *buf = malloc(1 << 20);
	int err;
	int before = count_open_fds();

	for (int i = 0; i < 100; i++) {
		M.getpwnam_r("alice", &pw, buf, 1 << 20, &err);
		M.getgrnam_r("big", &gr, buf, 1 << 20, &err);
		M.setgrent(0);
		M.getgrent_r(&gr, buf, 1 << 20, &err);
	}
	/* an enumeration in progress holds no fd either */
	assert_int_equal(count_open_fds(), before);
	M.endgrent();
	assert_int_equal(count_open_fds(), before);
	/* the snapshot is mapped read-only and shared, once */
	assert_int_equal(count_mappings(snap_path), 1);
	free(buf);
}

/* A host that closes every fd (closefrom before exec, daemons) must not
 * break the module: it holds none. */
static void test_host_closes_fds(void **state __attribute__((unused)))
{
	struct passwd pw;
	char buf[1024];
	int err;

	assert_int_equal(M.getpwnam_r("alice", &pw, buf, sizeof(buf), &err), NSS_STATUS_SUCCESS);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		alarm(20);
#ifdef SYS_close_range
		if (syscall(SYS_close_range, 3, ~0U, 0) < 0)
#endif
			for (int fd = 3; fd < 65536; fd++)
				close(fd);
		/* the host then opens files of its own at low numbers */
		int fd = dup(2);
		int r = child_lookups();
		if (fcntl(fd, F_GETFD) < 0)
			r |= 16;
		_exit(r);
	}
	assert_int_equal(wait_child(pid), 0);
}

/* ------------------------------------------------------- a new snapshot */

/* A mapped snapshot made writable by others in place (chmod, no new
 * inode) stops being trusted at the next look at the path. */
static void test_snapshot_chmod_seen(void **state __attribute__((unused)))
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid != 0) {
		assert_int_equal(wait_child(pid), 0);
		return;
	}
	alarm(30);
	char path[4096], *buf = malloc(1 << 16);
	struct passwd pw;
	int err, r = 0;
	snprintf(path, sizeof(path), "%s/chmodded.db", tmpdir);
	snap_write_standard(path);
	setenv("UMGMT_DIRECTORY", path, 1);
	usleep(1100 * 1000);
	if (M.getpwnam_r("alice", &pw, buf, 1 << 16, &err) != NSS_STATUS_SUCCESS)
		r |= 1;
	if (chmod(path, 0666) < 0)
		r |= 2;
	usleep(1100 * 1000);
	if (M.getpwnam_r("alice", &pw, buf, 1 << 16, &err) != NSS_STATUS_UNAVAIL || err != EACCES)
		r |= 4;
	_exit(r);
}

static void test_snapshot_replaced(void **state __attribute__((unused)))
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid != 0) {
		assert_int_equal(wait_child(pid), 0);
		return;
	}
	/* In a child: its own path, so the parent's tests keep their data. */
	alarm(30);
	char path[4096], *buf = malloc(1 << 20);
	struct passwd pw;
	int err, r = 0;
	snprintf(path, sizeof(path), "%s/replaced.db", tmpdir);
	snap_write_standard(path);
	setenv("UMGMT_DIRECTORY", path, 1);
	usleep(1100 * 1000); /* the path is looked at at most once a second */
	if (M.getpwnam_r("frank", &pw, buf, 1 << 20, &err) != NSS_STATUS_NOTFOUND)
		r |= 1;
	if (M.getpwnam_r("alice", &pw, buf, 1 << 20, &err) != NSS_STATUS_SUCCESS ||
	    strcmp(pw.pw_gecos, "Alice Liddell") != 0)
		r |= 2;
	M.setpwent(0);		      /* an enumeration started now keeps the old snapshot */
	snap_write_standard_v2(path); /* a new inode renamed into place */
	usleep(1100 * 1000);
	if (M.getpwnam_r("frank", &pw, buf, 1 << 20, &err) != NSS_STATUS_SUCCESS ||
	    pw.pw_uid != 2004)
		r |= 4;
	if (M.getpwnam_r("alice", &pw, buf, 1 << 20, &err) != NSS_STATUS_SUCCESS ||
	    strcmp(pw.pw_gecos, "Alice v2") != 0)
		r |= 8;
	size_t n = 0;
	while (M.getpwent_r(&pw, buf, 1 << 20, &err) == NSS_STATUS_SUCCESS)
		n++;
	if (n != STD_USERS) /* the old snapshot: no frank */
		r |= 16;
	/* the old snapshot is pinned by the enumeration, the new by the pool */
	if (count_mappings(path) != 2)
		r |= 32;
	M.endpwent();
	/* superseded, unreferenced: unmapped */
	if (count_mappings(path) != 1)
		r |= 64;
	free(buf);
	_exit(r);
}

int main(int argc, char **argv)
{
	nsstest_handle_args(argc, argv);

	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_getpwnam_hit),
		cmocka_unit_test(test_getpwuid_hit),
		cmocka_unit_test(test_misses),
		cmocka_unit_test(test_long_gecos),
		cmocka_unit_test(test_getgr_hit),
		cmocka_unit_test(test_getgr_unaligned_buffer),
		cmocka_unit_test(test_big_group),
		cmocka_unit_test(test_erange_passwd),
		cmocka_unit_test(test_erange_group),
		cmocka_unit_test(test_enum_passwd),
		cmocka_unit_test(test_enum_group),
		cmocka_unit_test(test_enum_interleaved),
		cmocka_unit_test(test_initgroups_growth),
		cmocka_unit_test(test_initgroups_skip_and_dups),
		cmocka_unit_test(test_initgroups_limit),
		cmocka_unit_test(test_initgroups_none),
		cmocka_unit_test(test_errno_preserved),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_fork_child),
		cmocka_unit_test(test_fork_while_busy),
		cmocka_unit_test(test_no_fd_kept),
		cmocka_unit_test(test_host_closes_fds),
		cmocka_unit_test(test_snapshot_replaced),
		cmocka_unit_test(test_snapshot_chmod_seen),
	};
	return cmocka_run_group_tests_name("nss-module", tests, setup, teardown);
}

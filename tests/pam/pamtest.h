/* SPDX-License-Identifier: MIT */
/*
 * What the PAM test programs share: writing the files of the test
 * directory, and run(), which drives one pamtest run with stdout and
 * stderr captured and checks that the module printed nothing, logged only
 * through pam_syslog and left no descriptor behind.
 *
 * Each program includes this once; helpers it does not use are fine
 * (_unused_).
 */
#ifndef UMGMT_TESTS_PAMTEST_H
#define UMGMT_TESTS_PAMTEST_H

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpamtest.h>
#include <security/pam_appl.h>

#include "umgmt/common.h"

/* UMGMT_PAM_TESTDIR, set by pamtest_init(). */
static char testdir[4096];

/* run() checks that no descriptor was left behind, unless a test turns
 * this off (while it holds the store locked itself, SQLite keeps closed
 * descriptors of that file open until the lock is released). */
static bool pamtest_check_fds = true;

/*
 * Reads UMGMT_PAM_TESTDIR (tests/pam/run.sh sets it) into testdir and
 * lets nss_wrapper open its files now: it keeps them open from the first
 * lookup on, which run() would otherwise count as a leaked descriptor.
 * Returns 0 or -1 (not run by run.sh).
 */
_unused_ static int pamtest_init(void)
{
	const char *dir = getenv("UMGMT_PAM_TESTDIR");

	if (!dir || !*dir || strlen(dir) >= sizeof(testdir)) {
		fprintf(stderr, "UMGMT_PAM_TESTDIR is not set: run tests/pam/run.sh BUILDDIR\n");
		return -1;
	}
	strcpy(testdir, dir);
	(void)getpwnam("root");
	(void)getgrnam("root");
	return 0;
}

_unused_ static void write_file(const char *name, mode_t mode, const char *fmt, ...) _printf_(3, 4);
_unused_ static void write_file(const char *name, mode_t mode, const char *fmt, ...)
{
	char path[4200];
	va_list ap;
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", testdir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	assert_true(fd >= 0);
	assert_int_equal(fchmod(fd, mode), 0);
	f = fdopen(fd, "we");
	assert_non_null(f);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	assert_int_equal(fclose(f), 0);
}

_unused_ static void write_config(const char *name, const char *store, const char *extra)
{
	write_file(name, 0600,
		   "[store]\ndir = %s/%s\n\n"
		   "[password]\nmin_length = 8\nargon2_ops = 1\nargon2_mem_kib = 8\n%s",
		   testdir, store, extra);
}

_unused_ static char *path_in_testdir(const char *name)
{
	char *p = um_asprintf("%s/%s", testdir, name);

	assert_non_null(p);
	return p;
}

/* What one pamtest run gave, beyond the return codes. */
struct outcome {
	char err[8][PAM_MAX_MSG_SIZE + 1]; /* PAM_ERROR_MSG texts, in order */
	char info[8][PAM_MAX_MSG_SIZE + 1];
	char *log; /* captured stderr */
};

_unused_ static void outcome_free(struct outcome *o)
{
	free(o->log);
	o->log = NULL;
}

_unused_ static char *slurp(int fd)
{
	struct stat st;
	char *buf;
	ssize_t n;

	assert_int_equal(fstat(fd, &st), 0);
	buf = calloc(1, (size_t)st.st_size + 1);
	assert_non_null(buf);
	n = pread(fd, buf, (size_t)st.st_size, 0);
	assert_int_equal(n, st.st_size);
	return buf;
}

/* Every line of text comes from pam_wrapper (its echo of pam_syslog). */
_unused_ static void assert_only_pwrap_lines(const char *text)
{
	const char *line = text;

	while (*line) {
		const char *end = strchrnul(line, '\n');

		if (end > line && strncmp(line, "PWRAP_", 6) != 0)
			fail_msg("unexpected output: %.*s", (int)(end - line), line);
		line = *end ? end + 1 : end;
	}
}

_unused_ static int count_fds(void)
{
	int n = 0;

	for (int fd = 0; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			n++;
	return n;
}

/*
 * Runs cases as user on service, answering ECHO_OFF prompts from answers
 * (NULL-terminated; NULL: no answer at all), with stdout/stderr captured.
 * Asserts that every case returned what it expects.
 */
_unused_ static void run(const char *service, const char *user, const char **answers,
			 struct pam_testcase *cases, size_t n, struct outcome *o)
{
	static const char *none[] = { NULL };
	char *err_ptrs[8], *info_ptrs[8];
	struct pamtest_conv_data conv = {
		.in_echo_off = answers ? answers : none,
		.in_echo_on = none,
		.out_err = err_ptrs,
		.out_info = info_ptrs,
	};
	char tmpl_out[] = "/tmp/umgmt-pam-out-XXXXXX", tmpl_err[] = "/tmp/umgmt-pam-err-XXXXXX";
	int out_fd, err_fd, saved_out, saved_err, fds_before, fds_after;
	enum pamtest_err perr;
	_cleanup_free_ char *out_text = NULL;

	memset(o, 0, sizeof(*o));
	for (size_t i = 0; i < 8; i++) {
		err_ptrs[i] = o->err[i];
		info_ptrs[i] = o->info[i];
	}

	out_fd = mkostemp(tmpl_out, O_CLOEXEC);
	err_fd = mkostemp(tmpl_err, O_CLOEXEC);
	assert_true(out_fd >= 0 && err_fd >= 0);
	unlink(tmpl_out);
	unlink(tmpl_err);
	fflush(stdout);
	fflush(stderr);
	saved_out = dup(STDOUT_FILENO);
	saved_err = dup(STDERR_FILENO);
	assert_true(saved_out >= 0 && saved_err >= 0);
	dup2(out_fd, STDOUT_FILENO);
	dup2(err_fd, STDERR_FILENO);
	/* pam_wrapper echoes LOG_NOTICE..LOG_DEBUG only at its debug level. */
	setenv("PAM_WRAPPER_DEBUGLEVEL", "2", 1);

	fds_before = count_fds();
	perr = _pamtest(service, user, &conv, cases, n, NULL);
	fds_after = count_fds();

	unsetenv("PAM_WRAPPER_DEBUGLEVEL");
	fflush(stdout);
	fflush(stderr);
	dup2(saved_out, STDOUT_FILENO);
	dup2(saved_err, STDERR_FILENO);
	close(saved_out);
	close(saved_err);

	out_text = slurp(out_fd);
	o->log = slurp(err_fd);
	close(out_fd);
	close(err_fd);

	if (getenv("UMGMT_PAM_SHOW_LOG"))
		fprintf(stderr, "--- %s as %s:\n%s", service, user, o->log);
	if (perr != PAMTEST_ERR_OK) {
		const struct pam_testcase *bad = _pamtest_failed_case(cases, n);

		fprintf(stderr, "--- captured log:\n%s--- end\n", o->log);
		if (bad)
			fail_msg("%s as %s: operation %d returned %d (%s), expected %d (%s)",
				 service, user, bad->pam_operation, bad->op_rv,
				 pam_strerror(NULL, bad->op_rv), bad->expected_rv,
				 pam_strerror(NULL, bad->expected_rv));
		fail_msg("%s as %s: %s", service, user, pamtest_strerror(perr));
	}
	assert_string_equal(out_text, "");
	assert_only_pwrap_lines(o->log);
	/* The module and the store it opened leave no descriptor behind.
	 * (Not checked with pam_unix in the stack: nss_wrapper keeps its
	 * passwd file open once pam_unix has looked a user up.) */
	if (pamtest_check_fds && fds_after != fds_before && strcmp(service, "umgmt_debian") != 0) {
		for (int fd = 0; fd < 1024; fd++) {
			char link[64], target[512] = "";

			if (fcntl(fd, F_GETFD) < 0)
				continue;
			snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
			if (readlink(link, target, sizeof(target) - 1) < 0)
				strcpy(target, "?");
			fprintf(stderr, "# fd %d: %s\n", fd, target);
		}
		fail_msg("%s as %s: %d descriptors open before, %d after", service, user,
			 fds_before, fds_after);
	}
}

#define RUN(service, user, answers, cases, o)                                                      \
	run(service, user, answers, cases, UM_ELEMENTSOF(cases), o)

_unused_ static void assert_logged(const struct outcome *o, const char *text)
{
	if (!strstr(o->log, text))
		fail_msg("log lacks \"%s\":\n%s", text, o->log);
}

_unused_ static void assert_not_logged(const struct outcome *o, const char *text)
{
	if (strstr(o->log, text))
		fail_msg("log has \"%s\":\n%s", text, o->log);
}

#endif

/* SPDX-License-Identifier: MIT */
/*
 * umctl: reading a new password, from the terminal (twice, without echo)
 * or as one line from standard input (--stdin, for scripts).
 *
 * The password goes into the caller's fixed buffer only: no stdio buffer,
 * no realloc leaving copies behind, and the caller wipes it. A signal that
 * arrives while echo is off restores the terminal before it takes effect,
 * as readpassphrase(3) does, so ^C never leaves a shell without echo.
 */
#include <fcntl.h>
#include <signal.h>
#include <termios.h>

#include "umctl.h"

static volatile sig_atomic_t caught;

static void on_signal(int sig)
{
	caught = sig;
}

static const int tty_signals[] = { SIGALRM, SIGHUP,  SIGINT,  SIGPIPE, SIGQUIT,
				   SIGTERM, SIGTSTP, SIGTTIN, SIGTTOU };

enum read_result {
	READ_OK,
	READ_EMPTY,
	READ_TOO_LONG,
	READ_NUL,
	READ_ERROR,
	READ_INTERRUPTED,
};

/* Reads one line from fd into buf (NUL-terminated, without its newline).
 * A line longer than size - 1 is consumed to its end and reported. */
static enum read_result read_line(int fd, char *buf, size_t size, bool stop_at_cr)
{
	size_t len = 0;
	bool too_long = false, nul = false;

	for (;;) {
		char c;
		ssize_t n = read(fd, &c, 1);

		if (n < 0 && errno == EINTR) {
			if (caught)
				return READ_INTERRUPTED;
			continue;
		}
		if (n < 0)
			return READ_ERROR;
		if (n == 0)
			break;
		if (c == '\n' || (stop_at_cr && c == '\r'))
			break;
		if (c == '\0')
			nul = true;
		if (len + 1 < size)
			buf[len++] = c;
		else
			too_long = true;
	}
	buf[len] = '\0';
	if (nul)
		return READ_NUL;
	if (too_long)
		return READ_TOO_LONG;
	if (len == 0)
		return READ_EMPTY;
	return READ_OK;
}

static int read_result_fail(enum read_result rr, const char *what)
{
	switch (rr) {
	case READ_OK:
		return 0;
	case READ_EMPTY:
		return umctl_fail_code(UMCTL_EX_DATAERR, what, "the password is empty");
	case READ_TOO_LONG:
		return umctl_fail_code(UMCTL_EX_DATAERR, what,
				       "the password is longer than %d bytes", UM_PASSWORD_MAX);
	case READ_NUL:
		return umctl_fail_code(UMCTL_EX_DATAERR, what, "the password contains a NUL byte");
	case READ_INTERRUPTED:
		return umctl_fail_code(UMCTL_EX_FAILURE, what, "interrupted");
	case READ_ERROR:
	default:
		return umctl_fail_code(UMCTL_EX_IOERR, what, "cannot read the password: %s",
				       strerror(errno));
	}
}

/* Asks on the terminal fd with echo off. flush: discard what was typed
 * before the prompt (the interactive dialogue); not for --stdin, where a
 * paste may well arrive before we turn echo off. */
static enum read_result ask(int fd, const char *prompt, bool flush, char *buf, size_t size)
{
	struct sigaction sa = { .sa_handler = on_signal }, old[UM_ELEMENTSOF(tty_signals)];
	struct termios saved, quiet;
	enum read_result rr;
	bool restore;

	caught = 0;
	/* No SA_RESTART: read() must return so that we can restore the
	 * terminal before the signal's own action. */
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < UM_ELEMENTSOF(tty_signals); i++)
		sigaction(tty_signals[i], &sa, &old[i]);

	/* Echo goes off before the prompt appears: whoever answers the
	 * prompt (a person, expect(1)) must not race the switch. */
	restore = tcgetattr(fd, &saved) == 0;
	if (restore) {
		quiet = saved;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
		tcsetattr(fd, flush ? TCSAFLUSH : TCSANOW, &quiet);
	}
	if (write(fd, prompt, strlen(prompt)) < 0) {
		/* nothing to do: the read below reports a dead terminal */
	}
	rr = read_line(fd, buf, size, true);
	if (restore)
		tcsetattr(fd, flush ? TCSAFLUSH : TCSANOW, &saved);
	if (write(fd, "\n", 1) < 0) {
		/* the newline the user typed was not echoed; cosmetic */
	}

	for (size_t i = 0; i < UM_ELEMENTSOF(tty_signals); i++)
		sigaction(tty_signals[i], &old[i], NULL);
	if (caught) {
		explicit_bzero(buf, size);
		raise(caught);
	}
	return rr;
}

int umctl_read_password(bool from_stdin, const struct um_config *cfg, const char *user, char *buf,
			size_t size, const char *what)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *prompt = NULL;
	char again[UM_PASSWORD_BUFFER];
	enum read_result rr;
	int r;

	if (from_stdin) {
		/* Standard input may be a terminal (someone typing or pasting):
		 * then echo goes off too, without a prompt. */
		if (isatty(STDIN_FILENO))
			rr = ask(STDIN_FILENO, "", false, buf, size);
		else
			rr = read_line(STDIN_FILENO, buf, size, false);
		if (rr != READ_OK)
			explicit_bzero(buf, size);
		return read_result_fail(rr, what);
	}

	fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return umctl_fail_code(UMCTL_EX_USAGE, what,
				       "there is no terminal to ask for the password on; "
				       "use --stdin to read it from standard input");

	prompt = um_asprintf("New password for %s: ", user);
	if (!prompt)
		return umctl_fail(-ENOMEM, "%s", what);
	rr = ask(fd, prompt, true, buf, size);
	if (rr != READ_OK) {
		explicit_bzero(buf, size);
		return read_result_fail(rr, what);
	}
	/* Say what is wrong with it before asking to type it again. */
	r = um_password_check_policy(cfg, user, buf);
	if (r < 0) {
		explicit_bzero(buf, size);
		return umctl_fail(r, "%s", what);
	}
	rr = ask(fd, "Retype new password: ", true, again, sizeof(again));
	if (rr == READ_OK && strcmp(buf, again) != 0) {
		explicit_bzero(again, sizeof(again));
		explicit_bzero(buf, size);
		return umctl_fail_code(UMCTL_EX_DATAERR, what, "Passwords do not match");
	}
	explicit_bzero(again, sizeof(again));
	if (rr != READ_OK) {
		explicit_bzero(buf, size);
		return read_result_fail(rr, what);
	}
	return 0;
}

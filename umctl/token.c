/* SPDX-License-Identifier: MIT */
/*
 * umctl: one-time tokens. Issuing one (user add, user reset-password) and
 * handing it over: mailed through [tokens] notify_command when the user
 * has an e-mail address, else printed for the administrator to pass on
 * privately. The token travels to the mailer on its standard input only:
 * never on a command line (ps(1) shows those to everyone), never in the
 * environment. Also token list and token revoke.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include "umgmt/validate.h"

#include "umctl.h"

/* "2026-05-02 12:00:00 UTC": local time, for people. */
static void format_local(int64_t t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!localtime_r(&tt, &tm) || strftime(buf, size, "%Y-%m-%d %H:%M:%S %Z", &tm) == 0)
		snprintf(buf, size, "@%lld", (long long)t);
}

/* The host name as the mail shows it: printable ASCII of a host name only. */
static void host_name(char *buf, size_t size)
{
	if (gethostname(buf, size) < 0 || !*buf)
		snprintf(buf, size, "localhost");
	buf[size - 1] = '\0';
	for (char *p = buf; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '.' || *p == '-'))
			*p = '_';
}

/* An address we put into a header as it is: printable ASCII, no space,
 * no angle brackets (the core checked it when it was set; this keeps a
 * header injection out even if the store says otherwise). */
static bool is_plain_address(const char *a)
{
	if (!*a || strlen(a) > 254)
		return false;
	for (const unsigned char *p = (const unsigned char *)a; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f || *p == '<' || *p == '>' || *p == ',')
			return false;
	return true;
}

/*
 * The message, RFC 5322 with LF line ends (what sendmail -t takes on a
 * pipe). A secret: the caller wipes and frees it. NULL on ENOMEM.
 */
static char *compose(const struct um_user *u, bool activation, const char *token,
		     int64_t expires_at, size_t *ret_len)
{
	char host[256], expires[64], date[64];
	time_t now = time(NULL);
	struct tm tm;
	char *buf = NULL;
	size_t size = 0;
	FILE *f;

	host_name(host, sizeof(host));
	format_local(expires_at, expires, sizeof(expires));
	/* RFC 5322 date; the C locale (main) keeps the names English. */
	if (!localtime_r(&now, &tm) ||
	    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z", &tm) == 0)
		date[0] = '\0';

	f = open_memstream(&buf, &size);
	if (!f)
		return NULL;
	fprintf(f, "To: %s\n", u->email);
	if (activation)
		fprintf(f, "Subject: Your new account %s on %s\n", u->name, host);
	else
		fprintf(f, "Subject: Password reset for %s on %s\n", u->name, host);
	if (*date)
		fprintf(f, "Date: %s\n", date);
	fputs("Auto-Submitted: auto-generated\n"
	      "MIME-Version: 1.0\n"
	      "Content-Type: text/plain; charset=us-ascii\n"
	      "Content-Transfer-Encoding: 7bit\n"
	      "\n",
	      f);
	fprintf(f, "Hello %s,\n\n", u->name);
	if (activation)
		fprintf(f,
			"an account with the user name %s was created for you on %s.\n"
			"To activate it, use this one-time token:\n\n",
			u->name, host);
	else
		fprintf(f,
			"a password reset was requested for your account %s on %s.\n"
			"Your one-time token:\n\n",
			u->name, host);
	fprintf(f, "    %s\n\n", token);
	fprintf(f,
		"Log in with this token as your password; you will be asked to\n"
		"choose a new password. The token works once and expires at\n"
		"%s.\n\n"
		"If you did not expect this message, please tell your administrator.\n",
		expires);
	if (fclose(f) != 0) {
		if (buf) {
			explicit_bzero(buf, size);
			free(buf);
		}
		return NULL;
	}
	*ret_len = size;
	return buf;
}

/* Writes all of buf to fd; false on error (EPIPE when the command quit). */
static bool write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		buf += n;
		len -= (size_t)n;
	}
	return true;
}

/*
 * Runs `/bin/sh -c notify_command` with msg on its standard input, its
 * standard output joined to our standard error (a mailer's chatter must
 * not end up in our JSON), and UMGMT_USER, UMGMT_EMAIL, UMGMT_PURPOSE in
 * its environment. Returns 0, or -1 with a reason in why.
 */
static int run_notify(const char *command, const struct um_user *u, const char *purpose,
		      const char *msg, size_t len, char *why, size_t why_size)
{
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;
	int pfd[2], status;
	bool written;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) < 0) {
		snprintf(why, why_size, "cannot create a pipe: %s", strerror(errno));
		return -1;
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		snprintf(why, why_size, "cannot start it: %s", strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (pid == 0) {
		if (dup2(pfd[0], STDIN_FILENO) < 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
			_exit(127);
		setenv("UMGMT_USER", u->name, 1);
		setenv("UMGMT_EMAIL", u->email, 1);
		setenv("UMGMT_PURPOSE", purpose, 1);
		execl("/bin/sh", "sh", "-c", command, (char *)NULL);
		_exit(127);
	}
	close(pfd[0]);
	/* A command that exits without reading must not kill us. */
	sigemptyset(&ign.sa_mask);
	sigaction(SIGPIPE, &ign, &old);
	written = write_all(pfd[1], msg, len);
	close(pfd[1]);
	sigaction(SIGPIPE, &old, NULL);

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			snprintf(why, why_size, "cannot wait for it: %s", strerror(errno));
			return -1;
		}
	if (WIFSIGNALED(status)) {
		snprintf(why, why_size, "it was killed by signal %d", WTERMSIG(status));
		return -1;
	}
	if (WEXITSTATUS(status) != 0) {
		snprintf(why, why_size, "it exited with status %d", WEXITSTATUS(status));
		return -1;
	}
	if (!written) {
		snprintf(why, why_size, "it did not read the whole message");
		return -1;
	}
	return 0;
}

int umctl_issue_token(struct umctl_cmd *cmd, const struct um_user *u, enum um_token_purpose kind,
		      int64_t ttl, const char *what, struct umctl_token *ret)
{
	const char *purpose = um_token_purpose_name(kind);
	struct um_store *s = cmd->store;
	const char *command = cmd->config->notify_command;
	bool activation = kind == UM_TOKEN_ACTIVATION;
	bool mail = command && *command && u->email && *u->email;
	char expires[64], why[160];
	int64_t before = (int64_t)time(NULL);
	_cleanup_secret_ char *msg = NULL;
	size_t len = 0;
	int r;

	*ret = (struct umctl_token){ 0 };
	if (ttl == 0)
		ttl = cmd->config->token_ttl;
	r = um_token_issue(s, u->name, kind, ttl, ret->token);
	if (r < 0)
		return umctl_fail(r, "%s", what);
	/* The core stamps it a moment after `before`: never promise longer. */
	ret->expires_at = before + ttl;
	format_local(ret->expires_at, expires, sizeof(expires));

	if (!mail) {
		umctl_warn("this %s token lets whoever holds it set the password of '%s': "
			   "hand it over privately; it works once and expires at %s",
			   purpose, u->name, expires);
		return 0;
	}

	if (!is_plain_address(u->email)) {
		snprintf(why, sizeof(why), "the e-mail address '%s' cannot be put in a mail header",
			 u->email);
	} else {
		msg = compose(u, activation, ret->token, ret->expires_at, &len);
		if (!msg) {
			explicit_bzero(ret->token, sizeof(ret->token));
			return umctl_fail(-ENOMEM, "%s", what);
		}
		if (run_notify(command, u, purpose, msg, len, why, sizeof(why)) == 0) {
			explicit_bzero(msg, len);
			explicit_bzero(ret->token, sizeof(ret->token));
			ret->sent_to = u->email;
			umctl_note("the %s token of '%s' was mailed to %s; it expires at %s",
				   purpose, u->name, u->email, expires);
			return 0;
		}
		explicit_bzero(msg, len);
	}
	/* Not delivered: nobody may hold a token we cannot account for. */
	explicit_bzero(ret->token, sizeof(ret->token));
	r = um_token_revoke(s, u->name);
	return umctl_fail_code(UMCTL_EX_FAILURE, what,
			       "[tokens] notify_command failed: %s; the token %s", why,
			       r < 0 ? "could NOT be revoked: run 'umctl token revoke' now"
				     : "was revoked");
}

void umctl_emit_token(const struct umctl_token *t)
{
	out_str("token", t->sent_to ? NULL : t->token);
	out_time("token_expires_at", t->expires_at);
	out_str("token_sent_to", t->sent_to);
}

/* ------------------------------------------------------------ token verbs */

static const char *const token_columns[] = { "id",	   "user",	 "purpose", "state",
					     "created_at", "expires_at", NULL };

int umctl_cmd_token_list(struct umctl_cmd *cmd)
{
	struct um_token_info *v = NULL;
	size_t n = 0;
	int r;

	r = um_token_list(cmd->store, &v, &n);
	if (r < 0)
		return umctl_fail(r, "%s", cmd->what);
	out_list_begin(token_columns);
	for (size_t i = 0; i < n; i++) {
		out_item_begin();
		out_u64("id", (uint64_t)v[i].id);
		out_str("user", v[i].user);
		out_str("purpose", um_token_purpose_name(v[i].purpose));
		out_str("state", um_token_state_name(v[i].state));
		out_time("created_at", v[i].created_at);
		out_time("expires_at", v[i].expires_at);
		out_item_end();
	}
	out_list_end();
	um_token_list_free(v, n);
	return 0;
}

int umctl_cmd_token_revoke(struct umctl_cmd *cmd)
{
	int r = um_token_revoke(cmd->store, cmd->args[0]);

	return r < 0 ? umctl_fail(r, "%s", cmd->what) : 0;
}

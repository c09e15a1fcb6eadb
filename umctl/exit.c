/* SPDX-License-Identifier: MIT */
/*
 * umctl: the one place where an errno becomes an exit code, and the one
 * shape of an error message ("umctl: cannot add user 'bob': reason").
 */
#include <pwd.h>

#include "umgmt/validate.h"

#include "umctl.h"

int umctl_exit_code(enum umctl_phase phase, int err)
{
	if (err >= 0)
		return UMCTL_EX_OK;
	/* Whatever goes wrong while reading the configuration is a
	 * configuration problem (missing, untrusted, bad key or value),
	 * except running out of memory. */
	if (phase == UMCTL_PHASE_CONFIG)
		return err == -ENOMEM ? UMCTL_EX_FAILURE : UMCTL_EX_CONFIG;

	switch (-err) {
	case EINVAL:
	case ERANGE: /* a number out of range, from um_parse_u64() */
		return UMCTL_EX_DATAERR;
	case ESRCH:
		return UMCTL_EX_NOUSER;
	case ENOENT:
	case EBADMSG:
		return UMCTL_EX_UNAVAILABLE; /* no store, or an unreadable one */
	case EEXIST:
	case ENOSPC:
		return UMCTL_EX_CANTCREAT;
	case EIO:
		return UMCTL_EX_IOERR;
	case EBUSY:
		return UMCTL_EX_TEMPFAIL;
	case EACCES:
	case EPERM:
		return UMCTL_EX_NOPERM;
	default:
		return UMCTL_EX_FAILURE;
	}
}

void umctl_fputs_safe(const char *s, FILE *f)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '\n':
			fputs("\\n", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(f, "\\x%02x", *p);
			else
				fputc(*p, f);
		}
	}
}

static void print_line(const char *prefix, const char *what, const char *reason)
{
	fputs("umctl: ", stderr);
	if (prefix)
		fputs(prefix, stderr);
	umctl_fputs_safe(what, stderr);
	if (reason) {
		fputs(": ", stderr);
		umctl_fputs_safe(reason, stderr);
	}
	fputc('\n', stderr);
}

int umctl_fail(int err, const char *what_fmt, ...)
{
	_cleanup_free_ char *what = NULL;
	const char *reason = um_error_text(err);
	va_list ap;

	va_start(ap, what_fmt);
	if (vasprintf(&what, what_fmt, ap) < 0)
		what = NULL;
	va_end(ap);
	print_line("cannot ", what ? what : "do that", reason);
	return umctl_exit_code(UMCTL_PHASE_RUN, err);
}

int umctl_fail_code(int code, const char *what, const char *reason_fmt, ...)
{
	_cleanup_free_ char *reason = NULL;
	va_list ap;

	va_start(ap, reason_fmt);
	if (vasprintf(&reason, reason_fmt, ap) < 0)
		reason = NULL;
	va_end(ap);
	print_line("cannot ", what, reason ? reason : "out of memory");
	return code;
}

int umctl_usage_error(const char *help_cmd, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	print_line(NULL, msg ? msg : "usage error", NULL);
	fprintf(stderr, "Try '%s --help'.\n", help_cmd);
	return UMCTL_EX_USAGE;
}

void umctl_note(const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (msg)
		print_line("note: ", msg, NULL);
}

/* "root", "alice via sudo", or "uid 1234" for the audit trail. The
 * SUDO_USER variable is only believed when sudo made us root. */
static char *actor_name(void)
{
	const char *sudo_user = getenv("SUDO_USER");
	struct passwd *pw = getpwuid(getuid());

	if (getuid() == 0 && sudo_user && *sudo_user)
		return um_asprintf("%s via sudo", sudo_user);
	if (pw && pw->pw_name)
		return um_strdup(pw->pw_name);
	return um_asprintf("uid %u", (unsigned)getuid());
}

int umctl_open_store(struct umctl_cmd *cmd, int flags, struct um_store **ret, const char *what)
{
	_cleanup_free_ char *truth = NULL;
	_cleanup_free_ char *actor = NULL;
	struct um_store *s = NULL;
	int r;

	r = um_store_open(cmd->config, flags, &s);
	if (r == -ENOENT) {
		truth = um_config_store_path(cmd->config, UM_TRUTH_FILE);
		return umctl_fail_code(umctl_exit_code(UMCTL_PHASE_STORE, r), what,
				       "there is no store at %s; run 'umctl init' to create it",
				       truth ? truth : cmd->config->store_dir);
	}
	if (r < 0) {
		return umctl_fail_code(umctl_exit_code(UMCTL_PHASE_STORE, r), what,
				       "the store is unusable: %s", um_error_text(r));
	}
	if (flags & UM_STORE_WRITE) {
		actor = actor_name();
		if (!actor || um_store_set_actor(s, actor) < 0) {
			um_store_close(s);
			return umctl_fail(-ENOMEM, "%s", what);
		}
	}
	*ret = s;
	return 0;
}

int umctl_what(struct umctl_cmd *cmd, const char *what)
{
	char *s = cmd->n_args > 0 ? um_asprintf("%s '%s'", what, cmd->args[0]) : um_strdup(what);

	if (!s)
		return umctl_fail(-ENOMEM, "%s", what);
	free(cmd->what);
	cmd->what = s;
	return 0;
}

int umctl_check_name(const struct umctl_cmd *cmd, const char *kind, const char *name)
{
	int r = um_check_name(kind, name);

	return r < 0 ? umctl_fail(r, "%s", cmd->what) : 0;
}

int umctl_check_user(struct umctl_cmd *cmd)
{
	return umctl_check_name(cmd, "user name", cmd->args[0]);
}

void umctl_warn(const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (msg)
		print_line("warning: ", msg, NULL);
}

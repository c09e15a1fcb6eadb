/* SPDX-License-Identifier: MIT */
/*
 * umctl: the command line. One two-level table (noun, then verb) below
 * drives the dispatch, the setup that each verb declares (its options, the
 * store) and the help; names match exactly, never by prefix (an
 * abbreviation that works today breaks when a verb is added).
 *
 *   umctl [--config FILE] [--json] NOUN VERB [ARGS] [OPTIONS]
 *
 * Global options may stand anywhere; a verb's options follow the verb;
 * "--" ends the options, so that a name starting with '-' can be passed
 * (and then refused by the validation, with its reason).
 */
#include <locale.h>

#include "umctl.h"

/* ------------------------------------------------------------ the table */

/*
 * A verb's options: name, metavariable (NULL: a flag), help, and the type
 * and place of the field that the parser sets in the verb's options
 * struct (umctl.h).
 */
static const struct umctl_option user_add_options[] = {
	{ "full-name", "TEXT", "full name (GECOS): UTF-8, no ':', ',' or newline", UMCTL_OPT_STRING,
	  offsetof(struct user_add_opts, fields.full_name) },
	{ "email", "ADDR", "e-mail address (private: never served by NSS)", UMCTL_OPT_STRING,
	  offsetof(struct user_add_opts, fields.email) },
	{ "kind", "KIND", "person (the default), robot or customer", UMCTL_OPT_STRING,
	  offsetof(struct user_add_opts, fields.kind) },
	{ "uid", "N", "the uid (default: the highest ever used in [ids], plus one)",
	  UMCTL_OPT_STRING, offsetof(struct user_add_opts, uid) },
	{ "group", "GROUP", "primary group (default: a private group named after the user)",
	  UMCTL_OPT_STRING, offsetof(struct user_add_opts, fields.group) },
	{ "home", "DIR", "home directory (default: [users] home, /home/NAME)", UMCTL_OPT_STRING,
	  offsetof(struct user_add_opts, fields.home) },
	{ "shell", "PATH", "login shell (default: [users] shell)", UMCTL_OPT_STRING,
	  offsetof(struct user_add_opts, fields.shell) },
	{ NULL, NULL, NULL, 0, 0 },
};

static const struct umctl_option user_edit_options[] = {
	{ "rename", "NEW", "rename the user (the uid stays)", UMCTL_OPT_STRING,
	  offsetof(struct user_edit_opts, rename) },
	{ "full-name", "TEXT", "set the full name (\"\" clears it)", UMCTL_OPT_STRING,
	  offsetof(struct user_edit_opts, fields.full_name) },
	{ "email", "ADDR", "set the e-mail address", UMCTL_OPT_STRING,
	  offsetof(struct user_edit_opts, fields.email) },
	{ "no-email", NULL, "remove the e-mail address", UMCTL_OPT_FLAG,
	  offsetof(struct user_edit_opts, no_email) },
	{ "kind", "KIND", "person, robot or customer", UMCTL_OPT_STRING,
	  offsetof(struct user_edit_opts, fields.kind) },
	{ "home", "DIR", "set the home directory (nothing is moved)", UMCTL_OPT_STRING,
	  offsetof(struct user_edit_opts, fields.home) },
	{ "shell", "PATH", "set the login shell", UMCTL_OPT_STRING,
	  offsetof(struct user_edit_opts, fields.shell) },
	{ "group", "GROUP", "set the primary group", UMCTL_OPT_STRING,
	  offsetof(struct user_edit_opts, fields.group) },
	{ "expires", "DATE", "the account expires from DATE (YYYY-MM-DD, local) on",
	  UMCTL_OPT_STRING, offsetof(struct user_edit_opts, expires) },
	{ "no-expiry", NULL, "the account never expires", UMCTL_OPT_FLAG,
	  offsetof(struct user_edit_opts, no_expiry) },
	{ NULL, NULL, NULL, 0, 0 },
};

static const struct umctl_option user_passwd_options[] = {
	{ "stdin", NULL, "read the password as one line from standard input", UMCTL_OPT_FLAG,
	  offsetof(struct user_passwd_opts, from_stdin) },
	{ "expire", NULL, "make the next login choose a new password (asks for none)",
	  UMCTL_OPT_FLAG, offsetof(struct user_passwd_opts, expire) },
	{ NULL, NULL, NULL, 0, 0 },
};

static const struct umctl_option user_list_options[] = {
	{ "pending", NULL, "only users waiting for approval", UMCTL_OPT_FLAG,
	  offsetof(struct user_list_opts, pending) },
	{ "absent", NULL, "only users absent today, with the last day of the absence",
	  UMCTL_OPT_FLAG, offsetof(struct user_list_opts, absent) },
	{ NULL, NULL, NULL, 0, 0 },
};

static const struct umctl_option user_absence_options[] = {
	{ "from", "DATE", "first day of the absence (YYYY-MM-DD, local)", UMCTL_OPT_STRING,
	  offsetof(struct user_absence_opts, from) },
	{ "until", "DATE", "last day (inclusive; default: until further notice)", UMCTL_OPT_STRING,
	  offsetof(struct user_absence_opts, until) },
	{ "reason", "TEXT", "why (for administrators; the user is not told)", UMCTL_OPT_STRING,
	  offsetof(struct user_absence_opts, reason) },
	{ "clear", NULL, "remove every absence of the user", UMCTL_OPT_FLAG,
	  offsetof(struct user_absence_opts, clear) },
	{ NULL, NULL, NULL, 0, 0 },
};

static const struct umctl_option user_reset_options[] = {
	{ "ttl", "DURATION", "lifetime of the token: N[smhd], 1m to 365d (default [tokens] ttl)",
	  UMCTL_OPT_STRING, offsetof(struct user_reset_opts, ttl) },
	{ NULL, NULL, NULL, 0, 0 },
};

static const struct umctl_option service_add_options[] = {
	{ "restricted", NULL, "only users and groups with a grant may use it", UMCTL_OPT_FLAG,
	  offsetof(struct service_add_opts, restricted) },
	{ "description", "TEXT", "what the service is", UMCTL_OPT_STRING,
	  offsetof(struct service_add_opts, description) },
	{ NULL, NULL, NULL, 0, 0 },
};

static const struct umctl_option service_edit_options[] = {
	{ "restricted", NULL, "only users and groups with a grant may use it", UMCTL_OPT_FLAG,
	  offsetof(struct service_edit_opts, restricted) },
	{ "open", NULL, "every user may use it", UMCTL_OPT_FLAG,
	  offsetof(struct service_edit_opts, open) },
	{ NULL, NULL, NULL, 0, 0 },
};

static const struct umctl_option service_grant_options[] = {
	{ "user", "USER", "a user", UMCTL_OPT_STRING, offsetof(struct service_grant_opts, user) },
	{ "group", "GROUP", "a group: its members, primary and supplementary", UMCTL_OPT_STRING,
	  offsetof(struct service_grant_opts, group) },
	{ NULL, NULL, NULL, 0, 0 },
};

static const struct umctl_option group_add_options[] = {
	{ "gid", "N", "the gid (default: the highest ever used in [ids], plus one)",
	  UMCTL_OPT_STRING, offsetof(struct group_add_opts, gid) },
	{ "description", "TEXT", "what the group is for", UMCTL_OPT_STRING,
	  offsetof(struct group_add_opts, description) },
	{ NULL, NULL, NULL, 0, 0 },
};

static const struct umctl_option import_options[] = {
	{ "passwd", "FILE", "users in passwd(5) format", UMCTL_OPT_STRING,
	  offsetof(struct import_opts, passwd) },
	{ "group", "FILE", "groups and their members in group(5) format", UMCTL_OPT_STRING,
	  offsetof(struct import_opts, group) },
	{ NULL, NULL, NULL, 0, 0 },
};

/*
 * The verbs: name, ARGS for the help, min and max argument count, options,
 * what it needs open, its <what> for "umctl: cannot <what> 'ARG': ...",
 * the check that runs before the store is opened (may be NULL), the run,
 * and the summary for the help.
 */
static const struct umctl_verb init_verbs[] = {
	{ NULL, "", 0, 0, NULL, UMCTL_STORE_NONE, "create the store", NULL, umctl_cmd_init,
	  "create the store (refuses if one exists)" },
};

static const struct umctl_verb status_verbs[] = {
	{ NULL, "", 0, 0, NULL, UMCTL_STORE_READ, "read the store's status", NULL, umctl_cmd_status,
	  "show the store's state; republish a snapshot that is behind" },
};

static const struct umctl_verb import_verbs[] = {
	{ NULL, "", 0, 0, import_options, UMCTL_STORE_WRITE, "import", umctl_check_import,
	  umctl_cmd_import, "load users and groups from passwd/group files, all or nothing" },
};

static const struct umctl_verb user_verbs[] = {
	{ "add", "NAME", 1, 1, user_add_options, UMCTL_STORE_WRITE, "add user",
	  umctl_check_user_add, umctl_cmd_user_add, "add a user and print it" },
	{ "list", "", 0, 0, user_list_options, UMCTL_STORE_READ, "list users", NULL,
	  umctl_cmd_user_list, "list users" },
	{ "show", "NAME", 1, 1, NULL, UMCTL_STORE_READ, "show user", umctl_check_user,
	  umctl_cmd_user_show, "show every field of a user" },
	{ "edit", "NAME", 1, 1, user_edit_options, UMCTL_STORE_WRITE, "edit user",
	  umctl_check_user_edit, umctl_cmd_user_edit, "change a user" },
	{ "passwd", "NAME", 1, 1, user_passwd_options, UMCTL_STORE_WRITE,
	  "set the password of user", umctl_check_user_passwd, umctl_cmd_user_passwd,
	  "set a user's password (asks twice on the terminal)" },
	{ "delete", "NAME", 1, 1, NULL, UMCTL_STORE_WRITE, "delete user", umctl_check_user,
	  umctl_cmd_user_delete,
	  "delete a user at once, without asking (the uid is never reused)" },
	{ "disable", "NAME", 1, 1, NULL, UMCTL_STORE_WRITE, "disable user", umctl_check_user,
	  umctl_cmd_user_disable, "refuse new logins of a user (open sessions continue)" },
	{ "enable", "NAME", 1, 1, NULL, UMCTL_STORE_WRITE, "enable user", umctl_check_user,
	  umctl_cmd_user_enable, "allow a disabled user again" },
	{ "approve", "NAME", 1, 1, NULL, UMCTL_STORE_WRITE, "approve user", umctl_check_user,
	  umctl_cmd_user_approve, "approve a user waiting for approval" },
	{ "unapprove", "NAME", 1, 1, NULL, UMCTL_STORE_WRITE, "unapprove user", umctl_check_user,
	  umctl_cmd_user_unapprove, "put a user back in the approval queue" },
	{ "unlock", "NAME", 1, 1, NULL, UMCTL_STORE_WRITE, "unlock user", umctl_check_user,
	  umctl_cmd_user_unlock, "forget a user's failed logins, ending a lockout" },
	{ "absence", "NAME", 1, 1, user_absence_options, UMCTL_STORE_WRITE,
	  "add an absence of user", umctl_check_user_absence, umctl_cmd_user_absence,
	  "mark a user absent (no logins) for some days, or clear that" },
	{ "reset-password", "NAME", 1, 1, user_reset_options, UMCTL_STORE_WRITE,
	  "issue a reset token for user", umctl_check_user_reset_password,
	  umctl_cmd_user_reset_password,
	  "issue a one-time token to choose a new password (mailed or printed)" },
	{ NULL, NULL, 0, 0, NULL, 0, NULL, NULL, NULL, NULL },
};

static const struct umctl_verb service_verbs[] = {
	{ "add", "NAME", 1, 1, service_add_options, UMCTL_STORE_WRITE, "add service",
	  umctl_check_service, umctl_cmd_service_add,
	  "add a service record (a PAM service name) and print it" },
	{ "edit", "NAME", 1, 1, service_edit_options, UMCTL_STORE_WRITE, "edit service",
	  umctl_check_service_edit, umctl_cmd_service_edit, "make a service restricted or open" },
	{ "list", "", 0, 0, NULL, UMCTL_STORE_READ, "list services", NULL, umctl_cmd_service_list,
	  "list the service records" },
	{ "show", "NAME", 1, 1, NULL, UMCTL_STORE_READ, "show service", umctl_check_service,
	  umctl_cmd_service_show, "show a service and its grants" },
	{ "delete", "NAME", 1, 1, NULL, UMCTL_STORE_WRITE, "delete service", umctl_check_service,
	  umctl_cmd_service_delete, "delete a service record and its grants" },
	{ "grant", "NAME", 1, 1, service_grant_options, UMCTL_STORE_WRITE, "grant service",
	  umctl_check_service_grant, umctl_cmd_service_grant,
	  "let a user or group use a restricted service" },
	{ "revoke", "NAME", 1, 1, service_grant_options, UMCTL_STORE_WRITE,
	  "revoke a grant of service", umctl_check_service_grant, umctl_cmd_service_revoke,
	  "take a grant back" },
	{ NULL, NULL, 0, 0, NULL, 0, NULL, NULL, NULL, NULL },
};

static const struct umctl_verb token_verbs[] = {
	{ "list", "", 0, 0, NULL, UMCTL_STORE_READ, "list tokens", NULL, umctl_cmd_token_list,
	  "list activation and reset tokens (never the tokens themselves)" },
	{ "revoke", "USER", 1, 1, NULL, UMCTL_STORE_WRITE, "revoke the token of", umctl_check_user,
	  umctl_cmd_token_revoke, "revoke the valid token of a user" },
	{ NULL, NULL, 0, 0, NULL, 0, NULL, NULL, NULL, NULL },
};

static const struct umctl_verb group_verbs[] = {
	{ "add", "NAME", 1, 1, group_add_options, UMCTL_STORE_WRITE, "add group",
	  umctl_check_group_add, umctl_cmd_group_add, "add a group and print it" },
	{ "list", "", 0, 0, NULL, UMCTL_STORE_READ, "list groups", NULL, umctl_cmd_group_list,
	  "list all groups" },
	{ "show", "NAME", 1, 1, NULL, UMCTL_STORE_READ, "show group", umctl_check_group,
	  umctl_cmd_group_show, "show a group and its members" },
	{ "delete", "NAME", 1, 1, NULL, UMCTL_STORE_WRITE, "delete group", umctl_check_group,
	  umctl_cmd_group_delete, "delete a group (refused while it is a user's primary group)" },
	{ "add-member", "GROUP USER...", 2, -1, NULL, UMCTL_STORE_WRITE, "add members to group",
	  umctl_check_group_members, umctl_cmd_group_add_member,
	  "add users to a group (all checked before any is added)" },
	{ "remove-member", "GROUP USER...", 2, -1, NULL, UMCTL_STORE_WRITE,
	  "remove members from group", umctl_check_group_members, umctl_cmd_group_remove_member,
	  "remove users from a group (all checked before any is removed)" },
	{ NULL, NULL, 0, 0, NULL, 0, NULL, NULL, NULL, NULL },
};

static const struct umctl_verb snapshot_verbs[] = {
	{ "verify", "", 0, 0, NULL, UMCTL_STORE_READ, "verify the snapshot", NULL,
	  umctl_cmd_snapshot_verify,
	  "check every checksum, table and membership of the snapshot, and its generation" },
	{ "dump", "", 0, 0, NULL, UMCTL_STORE_READ, "dump the snapshot", NULL,
	  umctl_cmd_snapshot_dump, "print every user and group the snapshot serves, as NSS does" },
	{ NULL, NULL, 0, 0, NULL, 0, NULL, NULL, NULL, NULL },
};

static const struct umctl_noun nouns[] = {
	{ "init", "create the store", init_verbs },
	{ "status", "show the store's state", status_verbs },
	{ "import", "load passwd/group files in one change", import_verbs },
	{ "user", "manage users", user_verbs },
	{ "group", "manage groups and their members", group_verbs },
	{ "service", "manage which PAM services users may log in with", service_verbs },
	{ "token", "manage one-time activation and reset tokens", token_verbs },
	{ "snapshot", "check and show the snapshot that NSS serves", snapshot_verbs },
	{ NULL, NULL, NULL },
};

struct global_option {
	const char *name;
	const char *arg;
	const char *help;
};

static const struct global_option global_options[] = {
	{ "config", "FILE", "read FILE instead of " UM_CONFIG_PATH },
	{ "json", NULL, "print JSON instead of text" },
	{ "help", NULL, "show this help (also: umctl NOUN --help, umctl NOUN VERB --help)" },
	{ "version", NULL, "show the version" },
};

/* ------------------------------------------------------------ lookup */

static bool is_command(const struct umctl_noun *n)
{
	return n->verbs[0].name == NULL;
}

static const struct umctl_noun *find_noun(const char *name)
{
	for (const struct umctl_noun *n = nouns; n->name; n++)
		if (!strcmp(n->name, name))
			return n;
	return NULL;
}

static const struct umctl_verb *find_verb(const struct umctl_noun *n, const char *name)
{
	if (is_command(n))
		return NULL;
	for (const struct umctl_verb *v = n->verbs; v->name; v++)
		if (!strcmp(v->name, name))
			return v;
	return NULL;
}

static const struct umctl_option *find_option(const struct umctl_verb *v, const char *name)
{
	if (!v || !v->options)
		return NULL;
	for (const struct umctl_option *o = v->options; o->name; o++)
		if (!strcmp(o->name, name))
			return o;
	return NULL;
}

/* ------------------------------------------------------------ help */

/* "umctl user add NAME [OPTIONS]" without the "umctl ". malloc'd. */
static char *synopsis(const struct umctl_noun *n, const struct umctl_verb *v)
{
	return um_asprintf("%s%s%s%s%s%s", n->name, v->name ? " " : "", v->name ? v->name : "",
			   *v->args ? " " : "", v->args, v->options ? " [OPTIONS]" : "");
}

static char *option_synopsis(const char *name, const char *arg)
{
	return um_asprintf("--%s%s%s", name, arg ? " " : "", arg ? arg : "");
}

static size_t options_width(const struct umctl_option *o)
{
	size_t w = 0;

	for (; o && o->name; o++) {
		size_t l = strlen(o->name) + 2 + (o->arg ? strlen(o->arg) + 1 : 0);
		if (l > w)
			w = l;
	}
	return w;
}

static void print_options(FILE *f, const char *indent, const struct umctl_option *o, size_t w)
{
	for (; o && o->name; o++) {
		_cleanup_free_ char *s = option_synopsis(o->name, o->arg);

		fprintf(f, "%s%-*s  %s\n", indent, (int)w, s ? s : o->name, o->help);
	}
}

static void print_globals(FILE *f)
{
	size_t w = 0;

	for (size_t i = 0; i < UM_ELEMENTSOF(global_options); i++) {
		size_t l = strlen(global_options[i].name) + 2 +
			   (global_options[i].arg ? strlen(global_options[i].arg) + 1 : 0);
		if (l > w)
			w = l;
	}
	fputs("\nGlobal options (anywhere on the line):\n", f);
	for (size_t i = 0; i < UM_ELEMENTSOF(global_options); i++) {
		_cleanup_free_ char *s =
			option_synopsis(global_options[i].name, global_options[i].arg);

		fprintf(f, "  %-*s  %s\n", (int)w, s ? s : "", global_options[i].help);
	}
}

static void help_top(FILE *f)
{
	size_t w = strlen("help [NOUN [VERB]]");

	for (const struct umctl_noun *n = nouns; n->name; n++)
		for (const struct umctl_verb *v = n->verbs; v == n->verbs || v->name; v++) {
			_cleanup_free_ char *s = synopsis(n, v);
			if (s && strlen(s) > w)
				w = strlen(s);
			if (!v->name)
				break;
		}

	fputs("Usage: umctl [--config FILE] [--json] NOUN VERB [ARGUMENTS] [OPTIONS]\n"
	      "\n"
	      "Manage the users and groups of umgmt, which the system sees through\n"
	      "the NSS module and which log in through the PAM module.\n"
	      "\n"
	      "Commands:\n",
	      f);
	for (const struct umctl_noun *n = nouns; n->name; n++)
		for (const struct umctl_verb *v = n->verbs; v == n->verbs || v->name; v++) {
			_cleanup_free_ char *s = synopsis(n, v);

			fprintf(f, "  %-*s  %s\n", (int)w, s ? s : n->name, v->summary);
			if (!v->name)
				break;
		}
	fprintf(f, "  %-*s  %s\n", (int)w, "help [NOUN [VERB]]", "show the help of a command");
	print_globals(f);
	fputs("\nRun 'umctl NOUN --help' for the options of each verb. Exit codes and\n"
	      "JSON keys are described in umctl(8).\n",
	      f);
}

static void help_verb(FILE *f, const struct umctl_noun *n, const struct umctl_verb *v)
{
	_cleanup_free_ char *s = synopsis(n, v);

	fprintf(f, "Usage: umctl %s\n\n%c%s.\n", s ? s : n->name,
		v->summary[0] >= 'a' && v->summary[0] <= 'z' ? v->summary[0] - 32 : v->summary[0],
		v->summary + 1);
	if (v->options) {
		fputs("\nOptions:\n", f);
		print_options(f, "  ", v->options, options_width(v->options));
	}
	print_globals(f);
}

static void help_noun(FILE *f, const struct umctl_noun *n)
{
	if (is_command(n)) {
		help_verb(f, n, &n->verbs[0]);
		return;
	}
	fprintf(f, "Usage: umctl %s VERB [ARGUMENTS] [OPTIONS]\n\n%c%s.\n\nVerbs:\n", n->name,
		n->summary[0] - 32, n->summary + 1);
	for (const struct umctl_verb *v = n->verbs; v->name; v++) {
		_cleanup_free_ char *s = synopsis(n, v);

		fprintf(f, "  umctl %s\n      %s\n", s ? s : v->name, v->summary);
		print_options(f, "      ", v->options, options_width(v->options));
	}
	print_globals(f);
}

static const char *verb_names(const struct umctl_noun *n, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (const struct umctl_verb *v = n->verbs; v->name; v++)
		len += (size_t)snprintf(buf + len, len < size ? size - len : 0, "%s%s",
					v == n->verbs ? "" : ", ", v->name);
	return buf;
}

/* ------------------------------------------------------------ parsing */

static bool streq(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

static const char *help_command(const struct umctl_noun *n, char *buf, size_t size)
{
	snprintf(buf, size, "umctl%s%s", n ? " " : "", n ? n->name : "");
	return buf;
}

/* What the command line asks for instead of running a verb. */
struct request {
	bool help;	      /* --help, -h */
	bool version;	      /* --version */
	bool help_command;    /* umctl help [NOUN [VERB]] */
	const char *topic[2]; /* its NOUN and VERB */
	int n_topic;
};

/* Sets the field of the verb's option o: a flag, or a string from value
 * ("--name=value") or else the next argument. */
static int set_option(struct umctl_cmd *cmd, const struct umctl_option *o, const char *value,
		      char **argv, int argc, int *i, const char *hc)
{
	void *field = (char *)&cmd->opts + o->offset;
	bool *flag = field;
	const char **string = field;

	if (o->type == UMCTL_OPT_FLAG ? *flag : *string != NULL)
		return umctl_usage_error(hc, "option '--%s' is given twice", o->name);
	if (o->type == UMCTL_OPT_FLAG) {
		if (value)
			return umctl_usage_error(hc, "option '--%s' takes no value", o->name);
		*flag = true;
	} else {
		if (!value && *i + 1 >= argc)
			return umctl_usage_error(hc, "option '--%s' needs a value (%s)", o->name,
						 o->arg);
		/* value points into argv, which lives on. */
		*string = value ? value : argv[++*i];
	}
	cmd->n_opts++;
	return 0;
}

/* argv[*i], "--name" or "--name=value": a global option or one of the
 * verb's (never one of the verb's before the verb). */
static int parse_option(struct umctl_cmd *cmd, struct request *req, char **argv, int argc, int *i)
{
	const char *a = argv[*i] + 2, *eq = strchr(a, '='), *value = eq ? eq + 1 : NULL;
	_cleanup_free_ char *name = eq ? strndup(a, (size_t)(eq - a)) : um_strdup(a);
	const struct umctl_option *o;
	char hc[64];

	if (!name) {
		fputs("umctl: out of memory\n", stderr);
		return UMCTL_EX_FAILURE;
	}
	help_command(cmd->noun, hc, sizeof(hc));
	if (streq(name, "help") || streq(name, "version") || streq(name, "json")) {
		if (value)
			return umctl_usage_error(hc, "option '--%s' takes no value", name);
		if (streq(name, "help"))
			req->help = true;
		else if (streq(name, "version"))
			req->version = true;
		else
			cmd->json = true;
		return 0;
	}
	if (streq(name, "config")) {
		if (!value && *i + 1 >= argc)
			return umctl_usage_error(hc, "option '--config' needs a value");
		cmd->config_path = value ? value : argv[++*i];
		return 0;
	}
	o = find_option(cmd->verb, name);
	if (o)
		return set_option(cmd, o, value, argv, argc, i, hc);
	if (cmd->noun && !cmd->verb)
		return umctl_usage_error(hc,
					 "unknown option '--%s' (a verb's options follow the verb)",
					 name);
	if (cmd->verb)
		return umctl_usage_error(hc, "unknown option '--%s' for 'umctl %s%s%s'", name,
					 cmd->noun->name, cmd->verb->name ? " " : "",
					 cmd->verb->name ? cmd->verb->name : "");
	return umctl_usage_error(hc, "unknown option '--%s'", name);
}

/* A word that is no option: the topic of help, the noun, the verb, or
 * one of the verb's arguments. */
static int parse_word(struct umctl_cmd *cmd, struct request *req, char *a)
{
	char hc[64], vb[256];

	if (req->help_command) {
		if (req->n_topic >= 2)
			return umctl_usage_error("umctl help", "too many arguments");
		req->topic[req->n_topic++] = a;
		return 0;
	}
	if (!cmd->noun) {
		if (streq(a, "help")) {
			req->help_command = true;
			return 0;
		}
		cmd->noun = find_noun(a);
		if (!cmd->noun)
			return umctl_usage_error("umctl", "unknown command '%s'", a);
		if (is_command(cmd->noun))
			cmd->verb = &cmd->noun->verbs[0];
		return 0;
	}
	if (!cmd->verb) {
		cmd->verb = find_verb(cmd->noun, a);
		if (!cmd->verb)
			return umctl_usage_error(help_command(cmd->noun, hc, sizeof(hc)),
						 "unknown verb '%s' for '%s' (verbs: %s)", a,
						 cmd->noun->name,
						 verb_names(cmd->noun, vb, sizeof(vb)));
		return 0;
	}
	cmd->args[cmd->n_args++] = a;
	return 0;
}

/* The whole command line, up to a --help or --version. */
static int parse_line(struct umctl_cmd *cmd, struct request *req, char **argv, int argc)
{
	bool options_done = false;
	char hc[64];
	int r = 0;

	for (int i = 1; i < argc && !r && !req->help && !req->version; i++) {
		char *a = argv[i];

		if (options_done || a[0] != '-' || a[1] == '\0')
			r = parse_word(cmd, req, a);
		else if (streq(a, "--"))
			options_done = true;
		else if (streq(a, "-h"))
			req->help = true;
		else if (a[1] != '-')
			r = umctl_usage_error(help_command(cmd->noun, hc, sizeof(hc)),
					      "unknown option '%s'", a);
		else
			r = parse_option(cmd, req, argv, argc, &i);
	}
	return r;
}

/* umctl help [NOUN [VERB]] */
static int run_help(const char *const *topic, int n_topic)
{
	const struct umctl_noun *n;
	const struct umctl_verb *v;
	char hc[64];

	if (n_topic == 0) {
		help_top(stdout);
		return out_finish();
	}
	n = find_noun(topic[0]);
	if (!n)
		return umctl_usage_error("umctl", "unknown command '%s'", topic[0]);
	if (n_topic == 1) {
		help_noun(stdout, n);
		return out_finish();
	}
	v = find_verb(n, topic[1]);
	if (!v || n_topic > 2)
		return umctl_usage_error(help_command(n, hc, sizeof(hc)),
					 "unknown verb '%s' for '%s'", topic[1], n->name);
	help_verb(stdout, n, v);
	return out_finish();
}

/* --version, umctl help ..., --help. */
static int answer(const struct umctl_cmd *cmd, const struct request *req)
{
	if (req->version)
		printf("umctl (umgmt) %s\n", UMGMT_VERSION);
	else if (req->help_command)
		return run_help(req->topic, req->n_topic);
	else if (!cmd->noun)
		help_top(stdout);
	else if (!cmd->verb)
		help_noun(stdout, cmd->noun);
	else
		help_verb(stdout, cmd->noun, cmd->verb);
	return out_finish();
}

/* A command, with a verb if it needs one, and as many arguments as it takes. */
static int check_line(const struct umctl_cmd *cmd)
{
	const struct umctl_verb *v = cmd->verb;
	_cleanup_free_ char *s = NULL;
	char hc[64], vb[256];

	if (!cmd->noun) {
		help_top(stderr);
		return UMCTL_EX_USAGE;
	}
	help_command(cmd->noun, hc, sizeof(hc));
	if (!v)
		return umctl_usage_error(hc, "'%s' needs a verb: %s", cmd->noun->name,
					 verb_names(cmd->noun, vb, sizeof(vb)));
	if (cmd->n_args >= v->min_args && (v->max_args < 0 || cmd->n_args <= v->max_args))
		return 0;
	s = synopsis(cmd->noun, v);
	return umctl_usage_error(hc, "%s; usage: umctl %s",
				 cmd->n_args < v->min_args ? "missing argument"
							   : "too many arguments",
				 s ? s : cmd->noun->name);
}

static int load_config(struct umctl_cmd *cmd)
{
	int r;

	r = um_config_load(cmd->config_path, &cmd->config);
	if (r < 0) {
		const char *detail = um_error_detail(r);
		const char *path = cmd->config_path ? cmd->config_path : UM_CONFIG_PATH;

		if (*detail)
			return umctl_fail_code(umctl_exit_code(UMCTL_PHASE_CONFIG, r),
					       "load the configuration", "%s", detail);
		return umctl_fail_code(umctl_exit_code(UMCTL_PHASE_CONFIG, r),
				       "load the configuration", "%s: %s", path,
				       r == -ENOENT ? "no such file" : um_strerror(r));
	}
	return 0;
}

/*
 * What the verb's table entry declares: its <what>, its check, the store
 * (with the actor for the audit trail when it writes), then the verb
 * itself; the store is closed after it.
 */
static int run_verb(struct umctl_cmd *cmd)
{
	const struct umctl_verb *v = cmd->verb;
	int r;

	r = umctl_what(cmd, v->what);
	if (!r && v->check)
		r = v->check(cmd);
	if (!r && v->store != UMCTL_STORE_NONE)
		r = umctl_open_store(cmd,
				     v->store == UMCTL_STORE_WRITE ? UM_STORE_WRITE : UM_STORE_READ,
				     &cmd->store, cmd->what);
	if (!r)
		r = v->run(cmd);
	um_store_close(cmd->store);
	cmd->store = NULL;
	free(cmd->what);
	cmd->what = NULL;
	return r;
}

int main(int argc, char **argv)
{
	_cleanup_free_ char **args = NULL;
	struct umctl_cmd cmd = { 0 };
	struct request req = { 0 };
	int r, r2;

	/* Byte-exact output: no locale-dependent formatting of anything. */
	setlocale(LC_ALL, "C");

	cmd.args = args = calloc((size_t)argc + 1, sizeof(*args));
	if (!args) {
		fputs("umctl: out of memory\n", stderr);
		return UMCTL_EX_FAILURE;
	}
	r = parse_line(&cmd, &req, argv, argc);
	if (r)
		return r;
	if (req.version || req.help_command || req.help)
		return answer(&cmd, &req);
	r = check_line(&cmd);
	if (r)
		return r;
	r = load_config(&cmd);
	if (r)
		return r;
	out_init(cmd.json);
	r = run_verb(&cmd);
	r2 = out_finish();
	um_config_free(cmd.config);
	return r ? r : r2;
}

/* SPDX-License-Identifier: MIT */
/*
 * umctl: the command line. One two-level table (noun, then verb) below
 * drives both the dispatch and the help; names match exactly, never by
 * prefix (an abbreviation that works today breaks when a verb is added).
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

static const struct umctl_option user_add_options[] = {
	{ "full-name", "TEXT", "full name (GECOS): UTF-8, no ':', ',' or newline" },
	{ "email", "ADDR", "e-mail address (private: never served by NSS)" },
	{ "kind", "KIND", "person (the default), robot or customer" },
	{ "uid", "N", "the uid (default: the lowest never used one in [ids])" },
	{ "group", "GROUP", "primary group (default: a private group named after the user)" },
	{ "home", "DIR", "home directory (default: [users] home, /home/NAME)" },
	{ "shell", "PATH", "login shell (default: [users] shell)" },
	{ NULL, NULL, NULL },
};

static const struct umctl_option user_edit_options[] = {
	{ "rename", "NEW", "rename the user (the uid stays)" },
	{ "full-name", "TEXT", "set the full name (\"\" clears it)" },
	{ "email", "ADDR", "set the e-mail address" },
	{ "no-email", NULL, "remove the e-mail address" },
	{ "kind", "KIND", "person, robot or customer" },
	{ "home", "DIR", "set the home directory (nothing is moved)" },
	{ "shell", "PATH", "set the login shell" },
	{ "group", "GROUP", "set the primary group" },
	{ "expires", "DATE", "the account expires from DATE (YYYY-MM-DD, local) on" },
	{ "no-expiry", NULL, "the account never expires" },
	{ NULL, NULL, NULL },
};

static const struct umctl_option user_passwd_options[] = {
	{ "stdin", NULL, "read the password as one line from standard input" },
	{ "expire", NULL, "make the next login choose a new password (asks for none)" },
	{ NULL, NULL, NULL },
};

static const struct umctl_option user_list_options[] = {
	{ "pending", NULL, "only users waiting for approval" },
	{ "absent", NULL, "only users absent today, with the last day of the absence" },
	{ NULL, NULL, NULL },
};

static const struct umctl_option user_absence_options[] = {
	{ "from", "DATE", "first day of the absence (YYYY-MM-DD, local)" },
	{ "until", "DATE", "last day (inclusive; default: until further notice)" },
	{ "reason", "TEXT", "why (for administrators; the user is not told)" },
	{ "clear", NULL, "remove every absence of the user" },
	{ NULL, NULL, NULL },
};

static const struct umctl_option user_reset_options[] = {
	{ "ttl", "DURATION", "lifetime of the token: N[smhd], 1m to 365d (default [tokens] ttl)" },
	{ NULL, NULL, NULL },
};

static const struct umctl_option service_add_options[] = {
	{ "restricted", NULL, "only users and groups with a grant may use it" },
	{ "description", "TEXT", "what the service is" },
	{ NULL, NULL, NULL },
};

static const struct umctl_option service_edit_options[] = {
	{ "restricted", NULL, "only users and groups with a grant may use it" },
	{ "open", NULL, "every user may use it" },
	{ NULL, NULL, NULL },
};

static const struct umctl_option service_grant_options[] = {
	{ "user", "USER", "a user" },
	{ "group", "GROUP", "a group: its members, primary and supplementary" },
	{ NULL, NULL, NULL },
};

static const struct umctl_option group_add_options[] = {
	{ "gid", "N", "the gid (default: the lowest free one in [ids])" },
	{ "description", "TEXT", "what the group is for" },
	{ NULL, NULL, NULL },
};

static const struct umctl_verb init_verbs[] = {
	{ NULL, "", 0, 0, NULL, umctl_cmd_init, "create the store (refuses if one exists)" },
};

static const struct umctl_verb status_verbs[] = {
	{ NULL, "", 0, 0, NULL, umctl_cmd_status,
	  "show the store's state; republish a snapshot that is behind" },
};

static const struct umctl_verb user_verbs[] = {
	{ "add", "NAME", 1, 1, user_add_options, umctl_cmd_user_add,
	  "add a user and print it" },
	{ "list", "", 0, 0, user_list_options, umctl_cmd_user_list, "list users" },
	{ "show", "NAME", 1, 1, NULL, umctl_cmd_user_show, "show every field of a user" },
	{ "edit", "NAME", 1, 1, user_edit_options, umctl_cmd_user_edit, "change a user" },
	{ "passwd", "NAME", 1, 1, user_passwd_options, umctl_cmd_user_passwd,
	  "set a user's password (asks twice on the terminal)" },
	{ "delete", "NAME", 1, 1, NULL, umctl_cmd_user_delete,
	  "delete a user at once, without asking (the uid is never reused)" },
	{ "disable", "NAME", 1, 1, NULL, umctl_cmd_user_disable,
	  "refuse new logins of a user (open sessions continue)" },
	{ "enable", "NAME", 1, 1, NULL, umctl_cmd_user_enable, "allow a disabled user again" },
	{ "approve", "NAME", 1, 1, NULL, umctl_cmd_user_approve,
	  "approve a user waiting for approval" },
	{ "unapprove", "NAME", 1, 1, NULL, umctl_cmd_user_unapprove,
	  "put a user back in the approval queue" },
	{ "unlock", "NAME", 1, 1, NULL, umctl_cmd_user_unlock,
	  "forget a user's failed logins, ending a lockout" },
	{ "absence", "NAME", 1, 1, user_absence_options, umctl_cmd_user_absence,
	  "mark a user absent (no logins) for some days, or clear that" },
	{ "reset-password", "NAME", 1, 1, user_reset_options, umctl_cmd_user_reset_password,
	  "issue a one-time token to choose a new password (mailed or printed)" },
	{ NULL, NULL, 0, 0, NULL, NULL, NULL },
};

static const struct umctl_verb service_verbs[] = {
	{ "add", "NAME", 1, 1, service_add_options, umctl_cmd_service_add,
	  "add a service record (a PAM service name) and print it" },
	{ "edit", "NAME", 1, 1, service_edit_options, umctl_cmd_service_edit,
	  "make a service restricted or open" },
	{ "list", "", 0, 0, NULL, umctl_cmd_service_list, "list the service records" },
	{ "show", "NAME", 1, 1, NULL, umctl_cmd_service_show, "show a service and its grants" },
	{ "delete", "NAME", 1, 1, NULL, umctl_cmd_service_delete,
	  "delete a service record and its grants" },
	{ "grant", "NAME", 1, 1, service_grant_options, umctl_cmd_service_grant,
	  "let a user or group use a restricted service" },
	{ "revoke", "NAME", 1, 1, service_grant_options, umctl_cmd_service_revoke,
	  "take a grant back" },
	{ NULL, NULL, 0, 0, NULL, NULL, NULL },
};

static const struct umctl_verb token_verbs[] = {
	{ "list", "", 0, 0, NULL, umctl_cmd_token_list,
	  "list activation and reset tokens (never the tokens themselves)" },
	{ "revoke", "USER", 1, 1, NULL, umctl_cmd_token_revoke,
	  "revoke the valid token of a user" },
	{ NULL, NULL, 0, 0, NULL, NULL, NULL },
};

static const struct umctl_verb group_verbs[] = {
	{ "add", "NAME", 1, 1, group_add_options, umctl_cmd_group_add, "add a group and print it" },
	{ "list", "", 0, 0, NULL, umctl_cmd_group_list, "list all groups" },
	{ "show", "NAME", 1, 1, NULL, umctl_cmd_group_show, "show a group and its members" },
	{ "delete", "NAME", 1, 1, NULL, umctl_cmd_group_delete,
	  "delete a group (refused while it is a user's primary group)" },
	{ "add-member", "GROUP USER...", 2, -1, NULL, umctl_cmd_group_add_member,
	  "add users to a group (all checked before any is added)" },
	{ "remove-member", "GROUP USER...", 2, -1, NULL, umctl_cmd_group_remove_member,
	  "remove users from a group (all checked before any is removed)" },
	{ NULL, NULL, 0, 0, NULL, NULL, NULL },
};

static const struct umctl_option import_options[] = {
	{ "passwd", "FILE", "users in passwd(5) format" },
	{ "group", "FILE", "groups and their members in group(5) format" },
	{ NULL, NULL, NULL },
};

static const struct umctl_verb import_verbs[] = {
	{ NULL, "", 0, 0, import_options, umctl_cmd_import,
	  "load users and groups from passwd/group files, all or nothing" },
};

static const struct umctl_noun nouns[] = {
	{ "init", "create the store", init_verbs },
	{ "status", "show the store's state", status_verbs },
	{ "import", "load passwd/group files in one change", import_verbs },
	{ "user", "manage users", user_verbs },
	{ "group", "manage groups and their members", group_verbs },
	{ "service", "manage which PAM services users may log in with", service_verbs },
	{ "token", "manage one-time activation and reset tokens", token_verbs },
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

static ssize_t find_option(const struct umctl_verb *v, const char *name)
{
	if (!v || !v->options)
		return -1;
	for (size_t i = 0; v->options[i].name; i++)
		if (!strcmp(v->options[i].name, name))
			return (ssize_t)i;
	return -1;
}

const char *umctl_opt(const struct umctl_cmd *cmd, const char *name)
{
	ssize_t i = find_option(cmd->verb, name);

	if (i < 0) {
		fprintf(stderr, "umctl: internal error: option --%s is not in the table\n", name);
		abort();
	}
	return cmd->values[i];
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

/* umctl help [NOUN [VERB]] */
static int run_help(char **topic, int n_topic)
{
	const struct umctl_noun *n;
	const struct umctl_verb *v;

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
		return umctl_usage_error(n->name, "unknown verb '%s' for '%s'", topic[1], n->name);
	help_verb(stdout, n, v);
	return out_finish();
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

int main(int argc, char **argv)
{
	struct umctl_cmd cmd = { 0 };
	_cleanup_free_ char **pos = NULL;
	const char *help_topic[2];
	int n_help_topic = 0;
	bool help_noun_seen = false, want_help = false, options_done = false;
	char hc[64], vb[256];
	int n_pos = 0, r, r2;

	/* Byte-exact output: no locale-dependent formatting of anything. */
	setlocale(LC_ALL, "C");

	pos = calloc((size_t)argc + 1, sizeof(*pos));
	if (!pos) {
		fputs("umctl: out of memory\n", stderr);
		return UMCTL_EX_FAILURE;
	}

	for (int i = 1; i < argc && !want_help; i++) {
		char *a = argv[i];

		if (!options_done && a[0] == '-' && a[1] != '\0') {
			_cleanup_free_ char *name = NULL;
			const char *value = NULL;
			ssize_t k;

			if (streq(a, "--")) {
				options_done = true;
				continue;
			}
			if (streq(a, "-h")) {
				want_help = true;
				continue;
			}
			if (a[1] != '-')
				return umctl_usage_error(help_command(cmd.noun, hc, sizeof(hc)),
							 "unknown option '%s'", a);
			/* --name=value: value points into argv, which lives on. */
			const char *eq = strchr(a + 2, '=');
			name = eq ? strndup(a + 2, (size_t)(eq - (a + 2))) : um_strdup(a + 2);
			if (!name) {
				fputs("umctl: out of memory\n", stderr);
				return UMCTL_EX_FAILURE;
			}
			if (eq)
				value = eq + 1;

			if (streq(name, "help") || streq(name, "version") || streq(name, "json")) {
				if (value)
					return umctl_usage_error(
						help_command(cmd.noun, hc, sizeof(hc)),
						"option '--%s' takes no value", name);
				if (streq(name, "help"))
					want_help = true;
				else if (streq(name, "json"))
					cmd.json = true;
				else {
					printf("umctl (umgmt) %s\n", UMGMT_VERSION);
					return out_finish();
				}
				continue;
			}
			if (streq(name, "config")) {
				if (!value && i + 1 >= argc)
					return umctl_usage_error(
						help_command(cmd.noun, hc, sizeof(hc)),
						"option '--config' needs a value");
				cmd.config_path = value ? value : argv[++i];
				continue;
			}

			k = find_option(cmd.verb, name);
			if (k < 0) {
				if (cmd.noun && !cmd.verb)
					return umctl_usage_error(
						help_command(cmd.noun, hc, sizeof(hc)),
						"unknown option '--%s' (a verb's options follow the verb)",
						name);
				if (cmd.verb)
					return umctl_usage_error(
						help_command(cmd.noun, hc, sizeof(hc)),
						"unknown option '--%s' for 'umctl %s%s%s'", name,
						cmd.noun->name, cmd.verb->name ? " " : "",
						cmd.verb->name ? cmd.verb->name : "");
				return umctl_usage_error(help_command(cmd.noun, hc, sizeof(hc)),
							 "unknown option '--%s'", name);
			}
			const struct umctl_option *o = &cmd.verb->options[k];
			if (cmd.values[k])
				return umctl_usage_error(help_command(cmd.noun, hc, sizeof(hc)),
							 "option '--%s' is given twice", name);
			if (o->arg) {
				if (!value) {
					if (i + 1 >= argc)
						return umctl_usage_error(
							help_command(cmd.noun, hc, sizeof(hc)),
							"option '--%s' needs a value (%s)", name,
							o->arg);
					value = argv[++i];
				}
				cmd.values[k] = value;
			} else {
				if (value)
					return umctl_usage_error(
						help_command(cmd.noun, hc, sizeof(hc)),
						"option '--%s' takes no value", name);
				cmd.values[k] = "";
			}
			continue;
		}

		/* a positional argument */
		if (help_noun_seen) {
			if (n_help_topic >= 2)
				return umctl_usage_error("umctl help", "too many arguments");
			help_topic[n_help_topic++] = a;
			continue;
		}
		if (!cmd.noun) {
			if (streq(a, "help")) {
				help_noun_seen = true;
				continue;
			}
			cmd.noun = find_noun(a);
			if (!cmd.noun)
				return umctl_usage_error("umctl", "unknown command '%s'", a);
			if (is_command(cmd.noun))
				cmd.verb = &cmd.noun->verbs[0];
			continue;
		}
		if (!cmd.verb) {
			cmd.verb = find_verb(cmd.noun, a);
			if (!cmd.verb)
				return umctl_usage_error(help_command(cmd.noun, hc, sizeof(hc)),
							 "unknown verb '%s' for '%s' (verbs: %s)", a,
							 cmd.noun->name,
							 verb_names(cmd.noun, vb, sizeof(vb)));
			continue;
		}
		pos[n_pos++] = a;
	}

	if (help_noun_seen)
		return run_help((char **)help_topic, n_help_topic);
	if (want_help) {
		if (!cmd.noun)
			help_top(stdout);
		else if (!cmd.verb)
			help_noun(stdout, cmd.noun);
		else
			help_verb(stdout, cmd.noun, cmd.verb);
		return out_finish();
	}
	if (!cmd.noun) {
		help_top(stderr);
		return UMCTL_EX_USAGE;
	}
	if (!cmd.verb)
		return umctl_usage_error(help_command(cmd.noun, hc, sizeof(hc)),
					 "'%s' needs a verb: %s", cmd.noun->name,
					 verb_names(cmd.noun, vb, sizeof(vb)));
	if (n_pos < cmd.verb->min_args || (cmd.verb->max_args >= 0 && n_pos > cmd.verb->max_args)) {
		_cleanup_free_ char *s = synopsis(cmd.noun, cmd.verb);

		return umctl_usage_error(help_command(cmd.noun, hc, sizeof(hc)), "%s; usage: umctl %s",
					 n_pos < cmd.verb->min_args ? "missing argument" :
								      "too many arguments",
					 s ? s : cmd.noun->name);
	}
	cmd.args = pos;
	cmd.n_args = n_pos;

	r = load_config(&cmd);
	if (r)
		return r;
	out_init(cmd.json);
	r = cmd.verb->run(&cmd);
	r2 = out_finish();
	um_config_free(cmd.config);
	return r ? r : r2;
}

/* SPDX-License-Identifier: MIT */
/*
 * umctl: the pieces shared by the command files (private to umctl/).
 *
 * main.c holds the two-level command table (noun, then verb) that drives
 * both dispatch and the generated help. Each verb declares there its
 * positional arguments, its options (bound to the fields of its options
 * struct below), whether it needs the store, and the words of its error
 * messages; the dispatcher parses the options into the struct, loads the
 * configuration, runs the verb's check, opens the store, runs the verb and
 * closes the store again.
 */
#ifndef UMCTL_H
#define UMCTL_H

#include "umgmt/common.h"
#include "umgmt/config.h"
#include "umgmt/store.h"
#include "umgmt/user.h"
#include "umgmt/group.h"
#include "umgmt/password.h"
#include "umgmt/absence.h"
#include "umgmt/date.h"
#include "umgmt/lockout.h"
#include "umgmt/service.h"
#include "umgmt/token.h"

#ifndef UMGMT_VERSION
#define UMGMT_VERSION "0.1.0"
#endif

/* sysexits(3) values; <sysexits.h> spells the same numbers. */
enum {
	UMCTL_EX_OK = 0,
	UMCTL_EX_FAILURE = 1,
	UMCTL_EX_USAGE = 64,
	UMCTL_EX_DATAERR = 65,
	UMCTL_EX_NOUSER = 67,
	UMCTL_EX_UNAVAILABLE = 69,
	UMCTL_EX_CANTCREAT = 73,
	UMCTL_EX_IOERR = 74,
	UMCTL_EX_TEMPFAIL = 75,
	UMCTL_EX_NOPERM = 77,
	UMCTL_EX_CONFIG = 78,
};

/*
 * The options of the verbs that have any, one struct a verb (or a pair of
 * verbs), each field bound to its option by the table in main.c: a flag
 * is false and a string NULL when it was not given. A field that no
 * option sets is the verb's check's to fill, for its run.
 */
struct user_field_opts { /* user add and user edit */
	const char *full_name, *email, *kind, *group, *home, *shell;
};

struct user_add_opts {
	struct user_field_opts fields;
	const char *uid;
	struct um_user_spec spec; /* from the options, by the check */
};

struct user_edit_opts {
	struct user_field_opts fields;
	const char *rename, *expires;
	bool no_email, no_expiry;
	struct um_user_spec spec; /* from the options, by the check */
};

struct user_list_opts {
	bool pending, absent;
};

struct user_passwd_opts {
	bool from_stdin, expire;
};

struct user_absence_opts {
	const char *from, *until, *reason;
	bool clear;
};

struct user_reset_opts {
	const char *ttl;
	int64_t ttl_seconds; /* from ttl, by the check; 0: [tokens] ttl */
};

struct service_add_opts {
	bool restricted;
	const char *description;
};

struct service_edit_opts {
	bool restricted, open;
};

struct service_grant_opts { /* service grant and service revoke */
	const char *user, *group;
};

struct group_add_opts {
	const char *gid, *description;
	int64_t id; /* from gid, by the check; -1: the lowest free one */
};

struct import_opts {
	const char *passwd, *group;
};

/* What an option's field is. */
enum umctl_opt_type {
	UMCTL_OPT_FLAG,	  /* bool, "--name" */
	UMCTL_OPT_STRING, /* const char *, "--name VALUE" or "--name=VALUE" */
};

/* One option of a verb, bound to a field of the verb's options struct. */
struct umctl_option {
	const char *name; /* without the leading "--" */
	const char *arg;  /* metavariable for the help, NULL for a flag */
	const char *help;
	enum umctl_opt_type type;
	size_t offset; /* offsetof(struct ..._opts, field) */
};

/* What a verb needs open before it runs. */
enum umctl_store_need {
	UMCTL_STORE_NONE,  /* no store (init) */
	UMCTL_STORE_READ,  /* the store, read only */
	UMCTL_STORE_WRITE, /* the store, for writing, with the actor set */
};

struct umctl_cmd;
typedef int (*umctl_handler)(struct umctl_cmd *cmd);

struct umctl_verb {
	const char *name; /* NULL for a noun that is a command itself */
	const char *args; /* positional arguments for the help, "" if none */
	int min_args;
	int max_args;			    /* -1: no limit */
	const struct umctl_option *options; /* NULL-name terminated, may be NULL */
	enum umctl_store_need store;
	const char *what;    /* for "umctl: cannot <what> '<first argument>': ..." */
	umctl_handler check; /* may be NULL: checks the arguments, before the
	                      * store is opened */
	umctl_handler run;
	const char *summary; /* one line, lowercase, no final period */
};

struct umctl_noun {
	const char *name;
	const char *summary;
	const struct umctl_verb *verbs; /* NULL-name terminated; or, for a
	                                 * command without verbs, one entry
	                                 * whose name is NULL */
};

/* What the command line said, and what the dispatcher set up for it,
 * handed to the verb's check and run. */
struct umctl_cmd {
	const struct umctl_noun *noun;
	const struct umctl_verb *verb;
	const char *config_path; /* NULL: the default */
	bool json;
	char **args; /* positional arguments */
	int n_args;
	int n_opts; /* how many of the verb's options were given */
	union {	    /* the verb's options, as its table binds them */
		struct user_add_opts user_add;
		struct user_edit_opts user_edit;
		struct user_list_opts user_list;
		struct user_passwd_opts user_passwd;
		struct user_absence_opts user_absence;
		struct user_reset_opts user_reset;
		struct service_add_opts service_add;
		struct service_edit_opts service_edit;
		struct service_grant_opts service_grant;
		struct group_add_opts group_add;
		struct import_opts import;
	} opts;
	struct um_config *config; /* loaded before the check runs */
	char *what;		  /* the verb's what, with the first argument */
	struct um_store *store;	  /* open for run when the verb needs it */
};

/* --- exit.c: the one errno -> exit code mapping, and error messages --- */

enum umctl_phase {
	UMCTL_PHASE_CONFIG, /* loading the configuration file */
	UMCTL_PHASE_STORE,  /* opening the store */
	UMCTL_PHASE_RUN,    /* everything after */
};

/* The exit code for a negative errno of the core's vocabulary. */
int umctl_exit_code(enum umctl_phase phase, int err);

/*
 * Prints "umctl: cannot <what>: <reason>" on stderr, reason being the
 * core's detail sentence when it left one, else um_strerror(err).
 * Returns the exit code for err (in the run phase).
 */
int umctl_fail(int err, const char *what_fmt, ...) _printf_(2, 3);

/* Prints "umctl: cannot <what>: <reason>" with a reason of our own and
 * returns code. */
int umctl_fail_code(int code, const char *what, const char *reason_fmt, ...) _printf_(3, 4);

/* Prints "umctl: <message>" and a hint to the help on stderr; returns 64. */
int umctl_usage_error(const char *help_cmd, const char *fmt, ...) _printf_(2, 3);

/* Prints "umctl: note: <message>" on stderr. */
void umctl_note(const char *fmt, ...) _printf_(1, 2);
/* Prints "umctl: warning: <message>" on stderr. */
void umctl_warn(const char *fmt, ...) _printf_(1, 2);

/* Writes s to f with control characters shown as C escapes, so that a
 * hostile name cannot move the cursor of the terminal reading it. */
void umctl_fputs_safe(const char *s, FILE *f);

/*
 * Opens the store for the command (flags as for um_store_open) and sets
 * the actor for the audit trail. On failure prints
 * "umctl: cannot <what>: ..." (a missing store says to run umctl init)
 * and returns the exit code; returns 0 on success.
 */
int umctl_open_store(struct umctl_cmd *cmd, int flags, struct um_store **ret, const char *what);

/*
 * Sets cmd->what, the <what> of the command's messages: what, followed by
 * the first argument in quotes when there is one ("add user 'bob'"). The
 * dispatcher sets it from the table; a check may say it otherwise. Returns
 * 0 or an exit code after printing why.
 */
int umctl_what(struct umctl_cmd *cmd, const char *what);

/* Checks name with um_check_name(kind, name); returns 0 or an exit code
 * after printing "umctl: cannot <cmd->what>: ...". */
int umctl_check_name(const struct umctl_cmd *cmd, const char *kind, const char *name);

/* --- output.c: one emitter for aligned text and JSON --- */

/* Columns of a text table: keys of the fields to show, in order; the
 * header is the key upper-cased with '_' as ' '. NULL-terminated. */
void out_init(bool json);
bool out_is_json(void);

/* A record: text prints "key: value" lines (aligned, '_' shown as ' ');
 * JSON prints one object. */
void out_record_begin(void);
void out_record_end(void);

/* A list of records: text prints an aligned table of the given columns
 * (other fields are JSON only); JSON prints an array of objects. */
void out_list_begin(const char *const *columns);
void out_item_begin(void);
void out_item_end(void);
void out_list_end(void);

/* Fields of the current record or item. */
void out_str(const char *key, const char *v); /* NULL: null / "-" */
void out_u64(const char *key, uint64_t v);
void out_bool(const char *key, bool v);			  /* true/false, yes/no */
void out_time(const char *key, int64_t t);		  /* ISO 8601 UTC; 0: null / "never" */
void out_strv(const char *key, char *const *v, size_t n); /* array, "a,b" */

/*
 * Nested values inside a record or list item. key names the field; NULL
 * inside an array makes an element (out_str(NULL, v) for a string). JSON:
 * an object / an array. Text: an object is one line "key=value ..."; an
 * array shows one element per line, aligned under the first; tables leave
 * nested values out (they are JSON only there). Two levels at most.
 */
void out_object_begin(const char *key);
void out_object_end(void);
void out_array_begin(const char *key);
void out_array_end(void);

/* Appends the JSON form of s (quoted, escaped) to f. Exposed for tests. */
void out_json_string(FILE *f, const char *s);

/* Flushes stdout; returns 0, or the exit code for a failed write after
 * printing why. */
int out_finish(void);

/*
 * --- command handlers ---
 *
 * umctl_check_*: a verb's check, run before the store is opened, so that
 * bad input changes nothing and names itself; umctl_cmd_*: its run, with
 * cmd->store open when the table says so. Each returns 0 or an exit code
 * after printing why.
 */

int umctl_cmd_init(struct umctl_cmd *cmd);
int umctl_cmd_status(struct umctl_cmd *cmd);
int umctl_check_import(struct umctl_cmd *cmd); /* import.c */
int umctl_cmd_import(struct umctl_cmd *cmd);

int umctl_check_user(struct umctl_cmd *cmd); /* exit.c: args[0] is a user name */
int umctl_check_user_add(struct umctl_cmd *cmd);
int umctl_cmd_user_add(struct umctl_cmd *cmd);
int umctl_cmd_user_list(struct umctl_cmd *cmd);
int umctl_cmd_user_show(struct umctl_cmd *cmd);
int umctl_check_user_edit(struct umctl_cmd *cmd);
int umctl_cmd_user_edit(struct umctl_cmd *cmd);
int umctl_check_user_passwd(struct umctl_cmd *cmd);
int umctl_cmd_user_passwd(struct umctl_cmd *cmd);
int umctl_cmd_user_delete(struct umctl_cmd *cmd);
/* policy.c: the login policy verbs of user */
int umctl_cmd_user_disable(struct umctl_cmd *cmd);
int umctl_cmd_user_enable(struct umctl_cmd *cmd);
int umctl_cmd_user_approve(struct umctl_cmd *cmd);
int umctl_cmd_user_unapprove(struct umctl_cmd *cmd);
int umctl_cmd_user_unlock(struct umctl_cmd *cmd);
int umctl_check_user_absence(struct umctl_cmd *cmd);
int umctl_cmd_user_absence(struct umctl_cmd *cmd);
int umctl_check_user_reset_password(struct umctl_cmd *cmd);
int umctl_cmd_user_reset_password(struct umctl_cmd *cmd);

/* service.c */
int umctl_check_service(struct umctl_cmd *cmd); /* args[0] is a service name */
int umctl_cmd_service_add(struct umctl_cmd *cmd);
int umctl_check_service_edit(struct umctl_cmd *cmd);
int umctl_cmd_service_edit(struct umctl_cmd *cmd);
int umctl_cmd_service_list(struct umctl_cmd *cmd);
int umctl_cmd_service_show(struct umctl_cmd *cmd);
int umctl_cmd_service_delete(struct umctl_cmd *cmd);
int umctl_check_service_grant(struct umctl_cmd *cmd); /* grant and revoke */
int umctl_cmd_service_grant(struct umctl_cmd *cmd);
int umctl_cmd_service_revoke(struct umctl_cmd *cmd);

/* token.c */
int umctl_cmd_token_list(struct umctl_cmd *cmd);
int umctl_cmd_token_revoke(struct umctl_cmd *cmd);

/* group.c */
int umctl_check_group(struct umctl_cmd *cmd); /* args[0] is a group name */
int umctl_check_group_add(struct umctl_cmd *cmd);
int umctl_cmd_group_add(struct umctl_cmd *cmd);
int umctl_cmd_group_list(struct umctl_cmd *cmd);
int umctl_cmd_group_show(struct umctl_cmd *cmd);
int umctl_cmd_group_delete(struct umctl_cmd *cmd);
int umctl_check_group_members(struct umctl_cmd *cmd); /* add-member and remove-member */
int umctl_cmd_group_add_member(struct umctl_cmd *cmd);
int umctl_cmd_group_remove_member(struct umctl_cmd *cmd);

/* snapshot.c: the published snapshot, read-only */
int umctl_cmd_snapshot_verify(struct umctl_cmd *cmd);
int umctl_cmd_snapshot_dump(struct umctl_cmd *cmd);

/* A token handed over by umctl_issue_token(). */
struct umctl_token {
	char token[UM_TOKEN_MAX]; /* the secret; "" when it was mailed */
	int64_t expires_at;	  /* unix seconds (at the latest a second early) */
	const char *sent_to;	  /* the address it was mailed to, or NULL */
};

/*
 * token.c: issues a one-time token in cmd->store (kind UM_TOKEN_ACTIVATION
 * or UM_TOKEN_RESET, ttl seconds, 0 = the config's) for user u and hands it over:
 * piped as a mail to [tokens] notify_command when that is set and u has an
 * e-mail address, else left in ret->token for the caller to print, with a
 * warning on stderr to hand it over privately. A token that could not be
 * mailed is revoked again. Returns 0 or an exit code after printing why
 * ("cannot <what>: ..."). The caller wipes ret with explicit_bzero.
 */
int umctl_issue_token(struct umctl_cmd *cmd, const struct um_user *u, enum um_token_purpose kind,
		      int64_t ttl, const char *what, struct umctl_token *ret);
/* The fields token, token_expires_at, token_sent_to of the current record. */
void umctl_emit_token(const struct umctl_token *t);

/* policy.c: the login policy of a user that user show adds to the user's
 * own fields (absences, reachable services, failed logins, lock). Read
 * completely before anything is printed, so that a failure never cuts a
 * JSON record in half. */
struct umctl_user_policy {
	struct um_absence *absences;
	size_t n_absences;
	struct um_service_access *services;
	size_t n_services;
	struct um_lockout_status lockout;
};
/* Returns 0 or an exit code after printing why ("cannot <what>: ..."). */
int umctl_user_policy_load(struct um_store *s, const struct um_user *u, const char *what,
			   struct umctl_user_policy *ret);
void umctl_user_policy_emit(const struct umctl_user_policy *p);
void umctl_user_policy_free(struct umctl_user_policy *p);

/* --- passwd.c --- */

/* A password buffer: the longest password, its newline and a NUL. */
#define UM_PASSWORD_BUFFER (UM_PASSWORD_MAX + 2)

/*
 * Reads a new password into buf (size bytes, wiped by the caller with
 * explicit_bzero). From stdin: one line, the newline stripped. Otherwise
 * from /dev/tty, twice, without echo. Returns 0 or an exit code after
 * printing why ("cannot <what>: ...").
 */
int umctl_read_password(bool from_stdin, const struct um_config *cfg, const char *user, char *buf,
			size_t size, const char *what);

#endif

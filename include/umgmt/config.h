/* SPDX-License-Identifier: MIT */
/*
 * umgmt core: /etc/umgmt/umgmt.conf.
 *
 * The file is read with iniparser; every value is read as a string and
 * parsed by our own strict parsers. An unknown section or key, a value that
 * does not parse, or a file that is not owned by root (or, in a process
 * that is not setuid, by the caller) or is group/world-writable is an
 * error naming the file, the line and the key.
 */
#ifndef UMGMT_CONFIG_H
#define UMGMT_CONFIG_H

#include <sys/types.h>

#include "umgmt/common.h"

#ifndef UM_CONFIG_PATH
#define UM_CONFIG_PATH "/etc/umgmt/umgmt.conf"
#endif

#ifndef UM_STORE_DIR
#define UM_STORE_DIR "/var/lib/umgmt"
#endif

/* Where the NSS module looks for the snapshot: fixed at compile time. */
#ifndef UM_DIRECTORY_PATH
#define UM_DIRECTORY_PATH UM_STORE_DIR "/directory.db"
#endif

/* The environment variable a test may set to point the NSS module (and
 * umctl status) at another snapshot; ignored in setuid/setgid processes
 * (read with secure_getenv()). */
#define UM_DIRECTORY_ENV "UMGMT_DIRECTORY"

#define UM_TRUTH_FILE "umgmt.db"
#define UM_DIRECTORY_FILE "directory.db"

/* [services] open by default: the services that run the account phase
 * behind the scenes for a user who is already in (docs/POLICY.md). */
#define UM_DEFAULT_OPEN_SERVICES "systemd-user cron sudo polkit-1"

enum um_service_policy {
	UM_SERVICE_ALLOW = 0, /* services without a record are open */
	UM_SERVICE_DENY = 1,  /* services without a record are closed */
};

struct um_config {
	char *path;	  /* the file this was read from ("" = defaults) */
	char *store_dir;  /* [store] dir */
	uint32_t uid_min; /* [ids] uid_min .. uid_max */
	uint32_t uid_max;
	uint32_t gid_min; /* [ids] gid_min .. gid_max */
	uint32_t gid_max;
	char *home_template;	      /* [users] home, "%u" = user name */
	char *default_shell;	      /* [users] shell */
	bool user_private_groups;     /* [users] private_groups */
	char *default_group;	      /* [users] default_group, when private_groups = no */
	bool approval_required;	      /* [users] approval_required */
	uint64_t argon2_opslimit;     /* [password] argon2_ops */
	uint64_t argon2_memlimit;     /* [password] argon2_mem_kib * 1024 */
	uint32_t password_min_length; /* [password] min_length */
	enum um_service_policy default_service_policy; /* [services] default */
	/* [services] open: PAM services that are open when they have no
	 * record, even with default = deny (see docs/POLICY.md). */
	char **open_services;
	size_t n_open_services;
	int64_t token_ttl;	       /* [tokens] ttl, seconds */
	char *notify_command;	       /* [tokens] notify_command, "" = off (never NULL) */
	uint32_t lockout_deny;	       /* [lockout] deny, 0 = no lockout */
	int64_t lockout_fail_interval; /* [lockout] fail_interval, seconds */
	int64_t lockout_unlock_time;   /* [lockout] unlock_time, seconds */
};

/* True when service is in c->open_services. */
bool um_config_service_is_open(const struct um_config *c, const char *service);

/*
 * Loads path (or UM_CONFIG_PATH when path is NULL). A missing file at the
 * default path yields the built-in defaults; a missing file that was named
 * explicitly is -ENOENT. Returns 0 and a config the caller frees with
 * um_config_free(), or -ENOENT, -EACCES (owner/mode not trusted), -EINVAL
 * (unknown key, bad value, syntax error: the detail names file, line, key),
 * -ENOMEM.
 */
int um_config_load(const char *path, struct um_config **ret) __attribute__((warn_unused_result));

/* The built-in defaults, as um_config_load() of an empty file gives. */
int um_config_defaults(struct um_config **ret) __attribute__((warn_unused_result));

void um_config_free(struct um_config *c);
static inline void um_config_freep(struct um_config **c)
{
	um_config_free(*c);
}

/* The home directory for user name under c->home_template; malloc'd. */
char *um_config_home_for(const struct um_config *c, const char *name);

/* Path of a file inside the store directory; malloc'd, NULL on ENOMEM. */
char *um_config_store_path(const struct um_config *c, const char *file);

#endif

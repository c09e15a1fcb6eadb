/* SPDX-License-Identifier: MIT */
/*
 * umgmt core: users.
 *
 * A user has a surrogate key (id) that never changes, a name that can
 * (rename), and a uid that is never reused, even after the user is
 * deleted. Every function below that changes something runs in its own
 * transaction, writes an audit record and publishes a new snapshot when
 * what NSS serves changed.
 */
#ifndef UMGMT_USER_H
#define UMGMT_USER_H

#include "umgmt/common.h"
#include "umgmt/store.h"

enum um_user_kind {
	UM_KIND_PERSON = 0,
	UM_KIND_ROBOT = 1,
	UM_KIND_CUSTOMER = 2,
};

/* "person", "robot", "customer" */
const char *um_user_kind_to_string(enum um_user_kind k);
/* Returns the kind, or -EINVAL. */
int um_user_kind_from_string(const char *s);

struct um_user {
	int64_t id;
	char *name;
	uint32_t uid;
	uint32_t gid;
	char *group; /* primary group's name */
	enum um_user_kind kind;
	char *full_name; /* "" when none */
	char *email;	 /* NULL when none */
	char *home;
	char *shell;
	bool enabled;
	bool approved;
	bool has_password;
	int64_t created_at; /* unix seconds */
	int64_t updated_at;
	int64_t password_changed_at; /* 0 = never */
	char **groups;		     /* supplementary group names, sorted */
	size_t n_groups;
	/* login policy (account.h, login.h) */
	char *expires_on;	   /* "YYYY-MM-DD", NULL = never expires */
	bool must_change_password; /* the next login must change it */
	int64_t last_login_at;	   /* unix seconds, 0 = never */
	char *last_login_service;  /* NULL = never */
	char *last_login_host;	   /* "" = local, NULL = never */
};

void um_user_free(struct um_user *u);
static inline void um_user_freep(struct um_user **u)
{
	um_user_free(*u);
}
void um_user_list_free(struct um_user **v, size_t n);

/*
 * What to set. NULL / -1 means "default" for add and "unchanged" for edit.
 */
struct um_user_spec {
	const char *full_name;
	const char *email; /* edit: "" clears it */
	const char *home;
	const char *shell;
	const char *group;  /* primary group (add: only without private groups,
	                      * or to override; edit: move to this group) */
	const char *rename; /* edit only */
	int kind;	    /* enum um_user_kind, -1 = default/unchanged */
	int64_t uid;	    /* add only: -1 = allocate */
};
#define UM_USER_SPEC_INIT                                                                          \
	{                                                                                          \
		.kind = -1, .uid = -1                                                              \
	}

/*
 * Adds user name. With private groups on, a group of the same name and
 * number is created with it. The user is created enabled, approved unless
 * the config requires approval, and without a password.
 * Returns 0 (and the new user in *ret when ret is not NULL), -EINVAL (bad
 * name or field: detail), -EEXIST (name or uid taken, in the store or in
 * /etc/passwd, /etc/group), -EPERM (uid 0 or a reserved id), -ESRCH (the
 * named primary group does not exist), -ENOSPC (id range full), -EBUSY,
 * -EIO.
 */
int um_user_add(struct um_store *s, const char *name, const struct um_user_spec *spec,
		struct um_user **ret) __attribute__((warn_unused_result));

/* Changes what spec sets. Returns 0, -ESRCH, -EINVAL, -EEXIST (rename to
 * a taken name), -EBUSY, -EIO. */
int um_user_edit(struct um_store *s, const char *name, const struct um_user_spec *spec)
	__attribute__((warn_unused_result));

/*
 * Deletes user name, their memberships, their private group (if no other
 * user has it as primary group) and every personal record; the audit
 * keeps its entries with the name blanked. The uid is never handed out
 * again. Returns 0, -ESRCH, -EBUSY, -EIO.
 */
int um_user_delete(struct um_store *s, const char *name) __attribute__((warn_unused_result));

/* Returns 0 and the user in *ret (free with um_user_free), -ESRCH, -EIO. */
int um_user_get(struct um_store *s, const char *name, struct um_user **ret)
	__attribute__((warn_unused_result));

/* All users ordered by uid. Returns 0, -EIO, -ENOMEM. */
int um_user_list(struct um_store *s, struct um_user ***ret, size_t *ret_n)
	__attribute__((warn_unused_result));

enum {
	UM_USER_LIST_PENDING = 1 << 0, /* waiting for approval */
	UM_USER_LIST_ABSENT = 1 << 1,  /* in an absence window on the local date today */
};

/*
 * The users that every filter flag given selects (all when 0), ordered by
 * uid, selected by the store (a site of a million users lists its few
 * pending ones without loading the rest). today is the local date
 * ("YYYY-MM-DD", um_today()) for UM_USER_LIST_ABSENT. Returns 0, -EIO,
 * -ENOMEM.
 */
int um_user_list_filtered(struct um_store *s, unsigned filter, const char *today,
			  struct um_user ***ret, size_t *ret_n) __attribute__((warn_unused_result));

/*
 * Sets the password of name (the policy of um_password_check_policy() is
 * checked) and revokes any unused activation or reset token of theirs.
 * Returns 0, -ESRCH, -EINVAL (policy: detail), -EBUSY, -EIO.
 */
int um_user_set_password(struct um_store *s, const char *name, const char *password)
	__attribute__((warn_unused_result));

/*
 * Verifies password for name. The same Argon2id work is spent whether the
 * user exists, has no password, or typed a wrong one. On success, a hash
 * made with outdated parameters is replaced (best effort: a busy store is
 * not an error). Returns 0, -EACCES (wrong password or none set), -ESRCH
 * (no such umgmt user), -EIO.
 */
int um_user_authenticate(struct um_store *s, const char *name, const char *password)
	__attribute__((warn_unused_result));

/* ---- the login flags (umctl user disable|enable|approve|unapprove) ---- */

/* Each returns 0, -ESRCH, -EBUSY, -EIO; a no-op change (disabling a
 * disabled user) is 0 as well and writes no audit record. Neither changes
 * the snapshot (NSS serves disabled and pending users as well: they own
 * files). Approving records approved_at and the actor. */
int um_user_set_enabled(struct um_store *s, const char *name, bool enabled)
	__attribute__((warn_unused_result));
int um_user_set_approved(struct um_store *s, const char *name, bool approved)
	__attribute__((warn_unused_result));
/* Sets (date "YYYY-MM-DD") or clears (NULL) the expiry date: from that
 * local date on, the account is expired. Returns 0, -EINVAL, -ESRCH,
 * -EBUSY, -EIO. */
int um_user_set_expiry(struct um_store *s, const char *name, const char *date)
	__attribute__((warn_unused_result));
/* Makes the next login change the password (cleared by any password
 * change, um_user_set_password or um_token_redeem). Returns 0, -ESRCH,
 * -EBUSY, -EIO. */
int um_user_expire_password(struct um_store *s, const char *name)
	__attribute__((warn_unused_result));

/* The number of users and of those waiting for approval, read from
 * indexes (never the table's rows). Returns 0, -EIO. */
int um_user_count(struct um_store *s, uint64_t *ret_users, uint64_t *ret_pending)
	__attribute__((warn_unused_result));

/* ---- a login: the user's row, resolved once ---- */

/*
 * What a login needs of its user, read in one query by um_user_resolve()
 * and handed to the lockout, token, account and bookkeeping calls, so
 * that a login never looks the name up twice.
 */
struct um_login_user {
	int64_t id; /* the row id the other calls take */
	uint32_t uid;
	bool enabled;
	bool approved;
	bool must_change_password;
	char expires_on[11]; /* "YYYY-MM-DD", "" = never expires */
	char *hash;	     /* the password hash, NULL = none; a secret */
};
/* Wipes and frees the hash; the struct may be reused. NULL is fine. */
void um_login_user_clear(struct um_login_user *u);
static inline void um_login_user_clearp(struct um_login_user *u)
{
	um_login_user_clear(u);
}

/* Resolves name. Returns 0 (clear it with um_login_user_clear), -ESRCH
 * (no such umgmt user), -EIO, -ENOMEM. */
int um_user_resolve(struct um_store *s, const char *name, struct um_login_user *ret)
	__attribute__((warn_unused_result));

/* Checks password against u's hash in constant time; a user without a
 * password (or with a hash that cannot be read) costs the same Argon2id
 * work as a wrong password. On success an outdated hash is re-hashed
 * (best effort, a busy store only delays it). Returns 0, -EACCES, -EIO. */
int um_user_verify(struct um_store *s, const struct um_login_user *u, const char *password)
	__attribute__((warn_unused_result));

#endif

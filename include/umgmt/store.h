/* SPDX-License-Identifier: MIT */
/*
 * umgmt core: the store.
 *
 * <store_dir>/umgmt.db      0600 root, WAL: the truth.
 * <store_dir>/directory.db  0644 root, rollback journal: the snapshot of
 *                           what NSS serves, published after each commit
 *                           that changed it (temp file, fsync, rename).
 *
 * Every write runs inside BEGIN IMMEDIATE ... COMMIT; the domain functions
 * (user.h, group.h) open and close their own transaction and publish.
 */
#ifndef UMGMT_STORE_H
#define UMGMT_STORE_H

#include "umgmt/common.h"
#include "umgmt/config.h"

struct um_store;

/* The schema version this build writes and reads (PRAGMA user_version). */
#define UM_SCHEMA_VERSION 3
/* The snapshot format this build writes and the NSS module reads. */
#define UM_DIRECTORY_FORMAT 3

enum {
	UM_STORE_READ = 0,	 /* read only (status, list, show) */
	UM_STORE_WRITE = 1 << 0, /* read and write */
	/*
	 * With UM_STORE_WRITE: a login's connection (pam_umgmt). It may
	 * record failures and logins, burn tokens and set passwords, and is
	 * refused (-EACCES) any change of what the snapshot shows (users'
	 * names, ids, GECOS, homes and shells, groups, memberships), so it
	 * needs no change log; and it leaves the checkpoint of its writes to
	 * the next connection that is not a login's. Both keep a login's
	 * store open and close cheap.
	 */
	UM_STORE_LOGIN = 1 << 1,
};

/*
 * Creates the store directory (0755), the truth (0600) and a first
 * snapshot (0644). Returns 0, -EEXIST if a truth already exists there
 * (nothing is touched), -EACCES, -EIO.
 */
int um_store_init(const struct um_config *cfg) __attribute__((warn_unused_result));

/*
 * Opens the truth. The file must be owned by root (or, in a process that
 * is not setuid, by the caller) and not group/world accessible. A store
 * of an older schema is migrated forward when opened for writing;
 * a newer one is refused (-EBADMSG). Returns 0, -ENOENT (no store: run
 * umctl init), -EACCES, -EBADMSG, -EBUSY, -EIO.
 */
int um_store_open(const struct um_config *cfg, int flags, struct um_store **ret)
	__attribute__((warn_unused_result));
void um_store_close(struct um_store *s);
static inline void um_store_closep(struct um_store **s)
{
	um_store_close(*s);
}

/* Who is making changes, for the audit trail ("root", "alice via sudo",
 * "pam:sshd"). Copied. */
int um_store_set_actor(struct um_store *s, const char *actor) __attribute__((warn_unused_result));

const struct um_config *um_store_config(const struct um_store *s);

struct um_status {
	int schema_version;
	uint64_t generation;	       /* bumped by every committed change */
	uint64_t published_generation; /* generation in directory.db, 0 if none */
	bool directory_ok;	       /* snapshot present and readable */
	uint64_t users;
	uint64_t groups;
	uint64_t pending_approvals;
};

/* Fills ret. Returns 0, -EIO. */
int um_store_status(struct um_store *s, struct um_status *ret) __attribute__((warn_unused_result));

/*
 * Publishes a new snapshot from the truth, atomically. Needed by hand only
 * after a crash between commit and publish (um_store_status() shows the
 * snapshot behind). Returns 0, -EIO, -EACCES.
 */
int um_store_publish(struct um_store *s) __attribute__((warn_unused_result));

/* Runs SQLite's integrity and foreign key checks. Returns 0 or -EBADMSG
 * (detail says what is wrong), -EIO. */
int um_store_check(struct um_store *s) __attribute__((warn_unused_result));

#endif

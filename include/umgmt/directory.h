/* SPDX-License-Identifier: MIT */
/*
 * umgmt core: reading the published snapshot (directory.db).
 *
 * This is the only part of the core the NSS module uses. It needs neither
 * libsodium nor iniparser and no configuration file: the snapshot lives at
 * the compile-time UM_DIRECTORY_PATH, or (only in processes that are not
 * setuid/setgid, read with secure_getenv()) at $UMGMT_DIRECTORY.
 *
 * Readers borrow a connection from a small process-wide pool
 * (um_directory_acquire), look records up through it and give it back
 * (um_directory_release). Every string a lookup returns points into the
 * mapped snapshot or the connection's own memory, is not NUL-terminated
 * (use the lengths) and stays valid until the next lookup on the same
 * connection or its release: copy it out before that. Enumeration uses its own connection
 * (struct um_directory_iter) so that it never holds a pool slot.
 *
 * Everything here is thread-safe and fork-safe; nothing here keeps a file
 * descriptor open, prints, or exits. See lib/directory.c for the design.
 *
 * Errors (the common.h vocabulary): -ESRCH no such user/group, -ENOENT no
 * snapshot, -EACCES snapshot not trusted (owner/mode), -EBADMSG not an
 * umgmt snapshot of a format we read / bad data, -EIO other SQLite or
 * system failures, -ENOMEM.
 */
#ifndef UMGMT_DIRECTORY_H
#define UMGMT_DIRECTORY_H

#include <stddef.h>
#include <stdint.h>

/* Only macros are taken from config.h: including it links nothing. */
#include "umgmt/config.h"

/* One passwd row. Strings are NOT NUL-terminated (they usually point
 * straight into the mapped snapshot): use the *_len byte counts. */
struct um_dir_user {
	uint32_t uid;
	uint32_t gid;
	const char *name;
	const char *gecos;
	const char *dir;
	const char *shell;
	size_t name_len;
	size_t gecos_len;
	size_t dir_len;
	size_t shell_len;
};

/* One group row. members is the supplementary members' names joined by
 * ',' ("" when none), members_len its length in bytes; nmem is their
 * count. A lookup (um_directory_group_by_*) leaves members NULL and sets
 * only members_len: the caller sizes its buffer first and then has them
 * copied straight into it with um_directory_group_members() (a 50,000
 * member list is 650 KB: never copied twice, never for a buffer that turns
 * out too small). Enumeration sets members. */
struct um_dir_group {
	uint32_t gid;
	uint32_t nmem;
	const char *name;
	const char *members;
	size_t name_len;
	size_t members_len;
};

struct um_directory; /* a pooled connection, lent to one thread */

/*
 * Sets up the pool and registers its fork handlers (done by the first
 * acquire anyway). A caller that holds locks of its own around directory
 * calls calls this from its constructor and only then registers its own
 * pthread_atfork() handlers, so that its prepare handler runs before ours.
 */
void um_directory_init(void);

/*
 * Lends the calling thread a connection to the current snapshot (noticing
 * a newly published snapshot at most once a second). Returns 0, -ENOENT,
 * -EACCES, -EBADMSG, -EIO, -ENOMEM. Give it back with um_directory_release().
 */
int um_directory_acquire(struct um_directory **ret);

/* Gives a connection back to the pool; accepts NULL. */
void um_directory_release(struct um_directory *d);
static inline void um_directory_releasep(struct um_directory **d)
{
	um_directory_release(*d);
}

/* Look-ups. Return 0 and fill ret, or -ESRCH, -EBADMSG, -EIO, -ENOMEM. */
int um_directory_user_by_name(struct um_directory *d, const char *name, struct um_dir_user *ret);
int um_directory_user_by_uid(struct um_directory *d, uint32_t uid, struct um_dir_user *ret);
int um_directory_group_by_name(struct um_directory *d, const char *name, struct um_dir_group *ret);
int um_directory_group_by_gid(struct um_directory *d, uint32_t gid, struct um_dir_group *ret);

/*
 * Copies the members of the group the last successful group lookup on d
 * found (members_len bytes) and a NUL to dest, which must hold
 * members_len + 1 bytes. Returns 0, -EBADMSG, -EIO, -ENOMEM.
 */
int um_directory_group_members(struct um_directory *d, char *dest);

/*
 * Calls fn for each supplementary gid of user name, in ascending order,
 * until fn returns non-zero. Returns 0 when every gid was visited, fn's
 * return value if it stopped early (fn must return a value > 0 to stop,
 * or a negative errno to fail), -ESRCH if the user has no supplementary
 * group (or is not in the snapshot), -EBADMSG, -EIO.
 */
int um_directory_user_gids(struct um_directory *d, const char *name,
			   int (*fn)(uint32_t gid, void *userdata), void *userdata);

/*
 * Enumeration of all users (ordered by uid) or all groups (ordered by gid),
 * on a private connection that keeps seeing the snapshot that was current
 * when it was created (a consistent listing even if a new one is published
 * meanwhile). Not thread-safe by itself: the caller serialises.
 */
enum um_directory_kind {
	UM_DIRECTORY_USERS,
	UM_DIRECTORY_GROUPS,
};

struct um_directory_iter;

/* Returns 0, -ENOENT, -EACCES, -EBADMSG, -EIO, -ENOMEM. */
int um_directory_iter_new(enum um_directory_kind kind, struct um_directory_iter **ret);

/*
 * The entry at the cursor, stepping to the next row only if the previous
 * one was consumed (um_directory_iter_consume): a caller whose buffer was
 * too small simply asks again and gets the same entry. The kind must match
 * the iterator's. Returns 0, -ESRCH at the end (and again after it), -EINVAL
 * (wrong kind), -EBADMSG, -EIO, -ENOMEM.
 */
int um_directory_iter_user(struct um_directory_iter *it, struct um_dir_user *ret);
int um_directory_iter_group(struct um_directory_iter *it, struct um_dir_group *ret);

/* Marks the entry at the cursor as delivered. */
void um_directory_iter_consume(struct um_directory_iter *it);

/* Frees it and its connection; accepts NULL. */
void um_directory_iter_free(struct um_directory_iter *it);
static inline void um_directory_iter_freep(struct um_directory_iter **it)
{
	um_directory_iter_free(*it);
}

#endif

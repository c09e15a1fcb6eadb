/* SPDX-License-Identifier: MIT */
/*
 * umgmt core: reading the published snapshot (directory.db).
 *
 * This is the only part of the core the NSS module uses. It needs neither
 * libsodium nor iniparser and no configuration file: the snapshot lives at
 * the compile-time UM_DIRECTORY_PATH, or (only in processes that are not
 * setuid/setgid, read with secure_getenv()) at $UMGMT_DIRECTORY.
 *
 * Readers borrow a connection (a hold on the current mapping) from a
 * small process-wide pool (um_directory_acquire), look records up through
 * it and give it back (um_directory_release). Every string a lookup
 * returns points into the mapped snapshot, is not NUL-terminated (use the
 * lengths) and stays valid until the connection's release: copy it out
 * before that. Enumeration uses its own connection
 * (struct um_directory_iter) so that it never holds a pool slot.
 *
 * Everything here is thread-safe and fork-safe; nothing here keeps a file
 * descriptor open, prints, or exits. See lib/directory.c for the design.
 *
 * Errors (the common.h vocabulary): -ESRCH no such user/group, -ENOENT no
 * snapshot, -EACCES snapshot not trusted (owner/mode), -EBADMSG not an
 * umgmt snapshot of a format we read, or a damaged record, -EIO other
 * system failures, -ENOMEM.
 */
#ifndef UMGMT_DIRECTORY_H
#define UMGMT_DIRECTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Only macros are taken from config.h: including it links nothing. */
#include "umgmt/config.h"

/* One passwd row. Strings are NOT NUL-terminated (they point straight
 * into the mapped snapshot): use the *_len byte counts. The home is dir
 * followed by dir_tail (the snapshot keeps "/home/" once and the name
 * once: pack them one after the other). */
struct um_dir_user {
	uint32_t uid;
	uint32_t gid;
	uint32_t ngids; /* supplementary gids, ascending: um_dir_user_gid() */
	const char *name;
	const char *gecos;
	const char *dir;
	const char *dir_tail;
	const char *shell;
	size_t name_len;
	size_t gecos_len;
	size_t dir_len;
	size_t dir_tail_len;
	size_t shell_len;
	const unsigned char *gids; /* little-endian uint32s, any alignment */
};

/* The i-th supplementary gid of u (i < u->ngids). */
static inline uint32_t um_dir_user_gid(const struct um_dir_user *u, uint32_t i)
{
	const unsigned char *p = u->gids + 4 * (size_t)i;

	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* One group row; nmem is the count of its members, members_len the bytes
 * their names take. The caller sizes its buffer and has them copied
 * straight into it with um_directory_group_members() (a 50,000 member
 * list is 500 KB: never copied twice, never into a buffer too small). */
struct um_dir_group {
	uint32_t gid;
	uint32_t nmem;
	const char *name;
	size_t name_len;
	size_t members_len; /* bytes of the members' names, a NUL each */
	const void *snap_;  /* private: where the record is */
	uint32_t rec_, size_;
	bool checked_; /* its CRC was checked (else um_directory_group_members() does) */
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
 * Copies g's members' names, each with a NUL, into dest[0..len) (one
 * copy of g->members_len bytes) and points mem[0..nmem) at them,
 * mem[nmem] = NULL. g must come from a lookup on a connection still held,
 * or from an iterator not yet freed. The group record's CRC is checked
 * here, before anything of it is served (a look-up checks only its bounds
 * and key, so that a caller growing its buffer pays no checksum per try).
 * Returns 0, -ERANGE (dest too small), or -EBADMSG (damaged). On failure
 * dest and mem hold garbage.
 */
int um_directory_group_members(const struct um_dir_group *g, char *dest, size_t len, char **mem);

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

/* SPDX-License-Identifier: MIT */
/*
 * umgmt core: reading a snapshot image (format 3) in memory, for the
 * publisher (patching the published snapshot), `umctl snapshot` and the
 * fuzz harness. The NSS side of the same code is include/umgmt/directory.h;
 * both live in lib/directory.c. Private to the core.
 */
#ifndef UMGMT_SNAPSHOT_READ_H
#define UMGMT_SNAPSHOT_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "umgmt/directory.h"

/* A snapshot image whose header and pool were checked (um_snap_open). */
struct um_snap {
	const uint8_t *base;
	size_t size;
	uint32_t format;
	uint64_t generation, published_at;
	uint32_t n_users, n_groups, uslots, gslots;
	uint32_t pool, pool_len, pool_count;
	uint32_t users, users_end;
	uint32_t groups, groups_end;
	uint32_t ubn, ubu, gbn, gbg; /* the tables */
	/* an overlay: its base's generation and header checksum, its touched
	 * ids, and (set by whoever maps the base) the base itself: under */
	uint64_t base_generation;
	uint32_t base_check;
	uint32_t touched_uids, n_touched_uids; /* offset of the first, count */
	uint32_t touched_gids, n_touched_gids;
	const struct um_snap *under;
};

/*
 * Maps the snapshot file at path, and its base if it is an overlay, read
 * only, and checks both headers and that they belong together (a file
 * owned by root or by the caller, not group/world-writable). *ret_snap is
 * valid until um_snapshot_unmap(*ret). Returns 0, -ENOENT, -EACCES,
 * -EBADMSG (with a detail), -EIO, -ENOMEM.
 */
struct um_snapshot_file;
int um_snapshot_map(const char *path, const struct um_snap **ret_snap,
		    struct um_snapshot_file **ret) __attribute__((warn_unused_result));
void um_snapshot_unmap(struct um_snapshot_file *f);
/* The path of the base file of an overlay (malloc'd), for messages. */
char *um_snapshot_base_path(const char *path, uint64_t base_generation);

/* The header checksum of the image (what an overlay records of its base). */
uint32_t um_snap_check(const struct um_snap *s);

/* Whether the overlay s answers for uid / gid itself. */
bool um_snap_touched_uid(const struct um_snap *s, uint32_t uid);
bool um_snap_touched_gid(const struct um_snap *s, uint32_t gid);

/* Checks the header (magic, format, checksum, file size, sections) and
 * the pool of the size bytes at base. Returns 0, or -EBADMSG with a
 * detail saying what is wrong. */
int um_snap_open(const void *base, size_t size, struct um_snap *ret)
	__attribute__((warn_unused_result));

/* The user record at offset off, its checksum checked; *next is the
 * offset after it. Returns 0 or -EBADMSG. */
int um_snap_user_at(const struct um_snap *s, uint32_t off, struct um_dir_user *u, uint32_t *next)
	__attribute__((warn_unused_result));

/* The same for a group record. */
int um_snap_group_at(const struct um_snap *s, uint32_t off, struct um_dir_group *g, uint32_t *next)
	__attribute__((warn_unused_result));

/* Look-ups through the tables, and through s->under for what an overlay
 * does not answer itself. Return 0, -ESRCH, -EBADMSG. A user is checked
 * whole (its CRC); a group's bounds and key only: its CRC is checked by
 * um_directory_group_members(), before its members are served. */
int um_snap_user_by_name(const struct um_snap *s, const char *name, size_t len,
			 struct um_dir_user *ret) __attribute__((warn_unused_result));
int um_snap_user_by_uid(const struct um_snap *s, uint32_t uid, struct um_dir_user *ret)
	__attribute__((warn_unused_result));
int um_snap_group_by_name(const struct um_snap *s, const char *name, size_t len,
			  struct um_dir_group *ret) __attribute__((warn_unused_result));
int um_snap_group_by_gid(const struct um_snap *s, uint32_t gid, struct um_dir_group *ret)
	__attribute__((warn_unused_result));

/*
 * Enumeration of an image and its base in uid (gid) order, overlaid: a
 * cursor starts zeroed; each call gives the next record, 0, or -ESRCH at
 * the end, or -EBADMSG.
 */
struct um_snap_cursor {
	uint32_t at, base_at; /* next record offsets (0: not started) */
	bool have, base_have; /* the records looked ahead */
	struct um_dir_user u, base_u;
	struct um_dir_group g, base_g;
};
int um_snap_next_user(const struct um_snap *s, struct um_snap_cursor *c, struct um_dir_user *ret)
	__attribute__((warn_unused_result));
int um_snap_next_group(const struct um_snap *s, struct um_snap_cursor *c, struct um_dir_group *ret)
	__attribute__((warn_unused_result));

/*
 * Checks everything: every record's checksum, that records are in order
 * and their references inside the file, that each table finds every
 * record by its key and holds nothing else, that group member lists and
 * users' gid lists agree. Calls report once per problem found (at most
 * max_reports times). Returns the number of problems (0: sound).
 */
unsigned um_snap_verify(const struct um_snap *s, void (*report)(void *ud, const char *problem),
			void *ud, unsigned max_reports);

#endif

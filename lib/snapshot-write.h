/* SPDX-License-Identifier: MIT */
/*
 * umgmt core: laying out a snapshot (format 3, snapshot-format.h) from
 * its content. Private to the core; publish.c and the tests' snapshot
 * builders use it. No SQLite: it turns arrays into bytes.
 */
#ifndef UMGMT_SNAPSHOT_WRITE_H
#define UMGMT_SNAPSHOT_WRITE_H

#include <stddef.h>
#include <stdint.h>

/* One user. The home is home followed by home_tail (either may be
 * empty): a snapshot being patched gives its derived homes in two parts.
 * gids: ngids supplementary gids as little-endian uint32s, ascending. */
struct um_snap_user_in {
	uint32_t id; /* the truth's users.id: the publisher maps memberships with it; not written */
	uint32_t uid;
	uint32_t gid;
	uint32_t ngids;
	const unsigned char *gids;
	const char *name, *gecos, *home, *home_tail, *shell;
	size_t name_len, gecos_len, home_len, home_tail_len, shell_len;
};

/* One group. Its members are given either as ordinals (indexes into the
 * content's users, ascending: their names are taken from there), or, when
 * names is set, laid out already: nmem lengths and the names each with
 * its NUL (names_len bytes), in uid order (an overlay's, or a group taken
 * from the published snapshot as it is). */
struct um_snap_group_in {
	uint32_t gid;
	const char *name;
	size_t name_len;
	const uint32_t *members;
	size_t nmem;
	const uint8_t *lens;
	const char *names;
	size_t names_len;
};

/* What a snapshot holds: users in ascending uid order, groups in ascending
 * gid order (each id at most once). */
struct um_snap_content {
	const struct um_snap_user_in *users;
	size_t n_users;
	const struct um_snap_group_in *groups;
	size_t n_groups;
	uint64_t generation;
	uint64_t published_at;
	/* An overlay (base_generation != 0): over the base of that generation
	 * and header checksum base_check; touched ids ascending. */
	uint64_t base_generation;
	uint32_t base_check;
	const uint32_t *touched_uids, *touched_gids;
	size_t n_touched_uids, n_touched_gids;
};

/*
 * Lays c out as a format-3 snapshot in a malloc'd buffer (*ret, *ret_len
 * bytes; free() it). The same content always gives the same bytes (a
 * home given in two pieces counts as derived only when its parent is the
 * first piece whole, as the publisher gives it).
 * Returns 0, -EINVAL (out of order, a member that is no user, or a string
 * too long for the format: the detail names the record), -EFBIG (over 4
 * GiB), -ENOMEM.
 */
int um_snap_build(const struct um_snap_content *c, uint8_t **ret, size_t *ret_len)
	__attribute__((warn_unused_result));

#endif

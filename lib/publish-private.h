/* SPDX-License-Identifier: MIT */
/*
 * umgmt core: publish.c's helpers, what a snapshot holds
 * (publish-content.c). Private.
 */
#ifndef UMGMT_PUBLISH_PRIVATE_H
#define UMGMT_PUBLISH_PRIVATE_H

#include "db.h"
#include "snapshot-write.h"

/* A snapshot's content and the memory behind it. */
struct um_publish_content {
	struct um_snap_user_in *users;
	size_t n_users;
	struct um_snap_group_in *groups;
	size_t n_groups;
	uint32_t *members;		       /* the member lists */
	unsigned char *gids;		       /* the users' gid lists (full build) */
	struct block *arena;		       /* strings read from the truth */
	uint32_t *touched_uids, *touched_gids; /* overlay */
	size_t n_touched_uids, n_touched_gids;
};

/* Reads everything from the truth, inside the caller's read transaction.
 * Returns 0, -EIO, -EBADMSG, -ENOMEM. */
int um_publish_content_full(struct um_db *db, struct um_publish_content *pc)
	__attribute__((warn_unused_result));

struct um_snap;
/* The content of the standalone snapshot base with the rows the change
 * log names since its generation read again from the truth (strings point
 * into base: keep it mapped until the image is built). Returns 0,
 * -EBADMSG (the base is damaged: build in full), -EIO, -ENOMEM. */
int um_publish_content_patch(struct um_db *db, struct um_publish_content *pc,
			     const struct um_snap *base) __attribute__((warn_unused_result));

/* The overlay over base: the users and groups the change log names since
 * base's generation, read from the truth, and those ids as touched.
 * Returns 0, -EIO, -ENOMEM. */
int um_publish_content_overlay(struct um_db *db, struct um_publish_content *pc,
			       const struct um_snap *base) __attribute__((warn_unused_result));

/* Frees what pc holds (and unmaps pc->old). */
void um_publish_content_free(struct um_publish_content *pc);

#endif

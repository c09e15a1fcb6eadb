/* SPDX-License-Identifier: MIT */
/*
 * umgmt core: publishing the snapshot (publish.c, owner of the meta and
 * dir_changes tables: the generation and the snapshot's change log).
 * Private.
 */
#ifndef UMGMT_PUBLISH_H
#define UMGMT_PUBLISH_H

#include "store-private.h"

/*
 * Commits a change that the snapshot shows (users' names, ids, GECOS,
 * homes and shells, groups, memberships): bumps the generation, COMMITs
 * (rolled back on failure), then publishes a new snapshot. A change NSS
 * does not see commits with um_db_commit() instead. Returns 0, or an
 * error: before the COMMIT nothing was saved; after it the change is
 * saved and the detail says that only the snapshot is behind.
 */
int um_publish_commit(struct um_store *s) __attribute__((warn_unused_result));

/* Publishes a new snapshot from the truth (outside a transaction).
 * Returns 0, -EIO, -EACCES, -EBUSY. */
int um_publish(struct um_store *s) __attribute__((warn_unused_result));

/* The truth's generation and the published snapshot's (0 and *ret_ok
 * false when the snapshot is missing or unreadable). Returns 0, -EIO. */
int um_publish_generations(struct um_store *s, uint64_t *ret_truth, uint64_t *ret_published,
			   bool *ret_ok) __attribute__((warn_unused_result));

/* For a bulk change that writes no change log (import): empties the log
 * and marks it as not covering this commit, so that the next publish
 * rebuilds the snapshot whole. Inside the caller's transaction. Returns
 * 0, -EIO. */
int um_publish_log_reset(struct um_store *s) __attribute__((warn_unused_result));

/* For tests and benchmarks: the most changed keys an overlay holds (0:
 * none, every publish merges or builds in full) and a merge takes (at
 * most the default). */
void um_publish_set_limits(struct um_store *s, unsigned overlay_max, unsigned merge_max);

/* For tests: the image a full build would publish now, without writing
 * anything (free() it). Returns 0 or an error. */
int um_publish_full_image(struct um_store *s, uint8_t **ret, size_t *ret_len)
	__attribute__((warn_unused_result));

#endif

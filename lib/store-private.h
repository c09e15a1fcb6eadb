/* SPDX-License-Identifier: MIT */
/* umgmt core: the opened store, as the domain files see it. Private. */
#ifndef UMGMT_STORE_PRIVATE_H
#define UMGMT_STORE_PRIVATE_H

#include "db.h"
#include "umgmt/store.h"

struct um_store {
	struct um_db db;
	const struct um_config *cfg; /* borrowed: outlives the store */
	char *truth_path;
	char *directory_path;
	char *actor;
	int flags;
	/* publish.c: overlay and merge limits, when a test or benchmark set
	 * them (um_publish_set_limits()); else the defaults */
	bool limits_set;
	unsigned overlay_max_keys, merge_max_keys;
};

#endif

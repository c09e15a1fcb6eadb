/* SPDX-License-Identifier: MIT */
/*
 * umgmt core: groups and memberships.
 */
#ifndef UMGMT_GROUP_H
#define UMGMT_GROUP_H

#include "umgmt/common.h"
#include "umgmt/store.h"

struct um_group {
	int64_t id;
	char *name;
	uint32_t gid;
	char *description; /* "" when none */
	char *private_of;  /* user name when this is a user private group */
	char **members;	   /* supplementary members' names, sorted */
	size_t n_members;
	int64_t created_at;
};

void um_group_free(struct um_group *g);
static inline void um_group_freep(struct um_group **g)
{
	um_group_free(*g);
}
void um_group_list_free(struct um_group **v, size_t n);

/* Adds group name with gid (-1 = allocate). Returns 0 (group in *ret if
 * ret not NULL), -EINVAL, -EEXIST (name or gid taken here or in
 * /etc/group), -EPERM (gid 0), -ENOSPC, -EBUSY, -EIO. */
int um_group_add(struct um_store *s, const char *name, int64_t gid, const char *description,
		 struct um_group **ret) __attribute__((warn_unused_result));

/* Deletes group name. Refused with -EPERM while it is some user's primary
 * group (the detail names one). Returns 0, -ESRCH, -EPERM, -EBUSY, -EIO. */
int um_group_delete(struct um_store *s, const char *name) __attribute__((warn_unused_result));

int um_group_get(struct um_store *s, const char *name, struct um_group **ret)
	__attribute__((warn_unused_result));
/* All groups ordered by gid. */
int um_group_list(struct um_store *s, struct um_group ***ret, size_t *ret_n)
	__attribute__((warn_unused_result));

/* Returns 0, -ESRCH (no such group or user: detail says which), -EEXIST
 * (already a member), -EBUSY, -EIO. */
int um_group_add_member(struct um_store *s, const char *group, const char *user)
	__attribute__((warn_unused_result));
/* Returns 0, -ESRCH (no such group or user, or not a member), -EBUSY, -EIO. */
int um_group_remove_member(struct um_store *s, const char *group, const char *user)
	__attribute__((warn_unused_result));

/* The number of groups. Returns 0, -EIO. */
int um_group_count(struct um_store *s, uint64_t *ret) __attribute__((warn_unused_result));

#endif

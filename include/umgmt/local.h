/* SPDX-License-Identifier: MIT */
/*
 * umgmt core: the machine's own accounts.
 *
 * umgmt names and ids never collide with /etc/passwd and /etc/group, and a
 * name that /etc/passwd holds is never umgmt's. These files are read
 * directly (fgetpwent_r/fgetgrent_r), never through NSS, so the NSS module
 * cannot recurse into itself and the PAM module can answer for local
 * users without opening the store.
 */
#ifndef UMGMT_LOCAL_H
#define UMGMT_LOCAL_H

#include "umgmt/common.h"

#ifndef UM_PASSWD_PATH
#define UM_PASSWD_PATH "/etc/passwd"
#endif
#ifndef UM_GROUP_PATH
#define UM_GROUP_PATH "/etc/group"
#endif
#ifndef UM_SUBUID_PATH
#define UM_SUBUID_PATH "/etc/subuid"
#endif
#ifndef UM_SUBGID_PATH
#define UM_SUBGID_PATH "/etc/subgid"
#endif

/* True when /etc/passwd has an entry named name. A missing or unreadable
 * file answers false. */
bool um_local_user_exists(const char *name);
bool um_local_group_exists(const char *name);

/* The gid of local group name in /etc/group. Returns 0 or -ESRCH. */
int um_local_group_gid(const char *name, uint32_t *ret);

/* Owner of uid/gid in /etc/passwd (/etc/group), or NULL; malloc'd name. */
char *um_local_uid_owner(uint32_t uid);
char *um_local_gid_owner(uint32_t gid);

/* True when id lies in a subordinate range of /etc/subuid (/etc/subgid). */
bool um_local_subuid_taken(uint32_t id);
bool um_local_subgid_taken(uint32_t id);

#endif

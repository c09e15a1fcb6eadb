/* SPDX-License-Identifier: MIT */
/*
 * umgmt core: bulk import of passwd(5)/group(5) files.
 *
 * Loads users and groups exported from another system (or generated) in
 * one transaction with one publish. Every line is checked before anything
 * is written; the first bad line refuses the whole import and the store is
 * left exactly as it was.
 */
#ifndef UMGMT_IMPORT_H
#define UMGMT_IMPORT_H

#include "umgmt/common.h"
#include "umgmt/store.h"

struct um_import_result {
	uint64_t users;	  /* users added */
	uint64_t groups;  /* groups added */
	uint64_t members; /* memberships added */
};

/*
 * Imports passwd_path (name:passwd:uid:gid:gecos:home:shell lines) and
 * group_path (name:passwd:gid:member,member,... lines); either may be
 * NULL, not both.
 *
 * - Names, the full name (the first GECOS subfield: later subfields such
 *   as room and phone are not kept), home and shell are checked like
 *   um_user_add() checks them; uids and gids strictly as decimals.
 * - Given ids are kept: the config's id range does not apply, but a uid or
 *   gid that is reserved (0, 65534, 65535), used now or ever before in the
 *   store, used in /etc/passwd or /etc/group, or given twice in the files
 *   is refused, and so is a name taken in the store, in /etc/passwd
 *   (users) or /etc/group (groups), or twice in the files.
 * - A user's primary gid must be a group of the group file, of the store
 *   or of /etc/group. Members must be users of the passwd file or of the
 *   store.
 * - Imported users are enabled, approved and have no password; the
 *   password field of both files is ignored.
 *
 * Returns 0 and the counts in *ret (when ret is not NULL), or -EINVAL (a
 * bad line: the detail reads "FILE:LINE: what is wrong"), -EEXIST (a name
 * or id taken; same detail form), -EPERM (a reserved id), -ENOENT/-EIO
 * (a file cannot be read), -EBUSY, -ENOMEM, or the errors of publishing.
 */
int um_import(struct um_store *s, const char *passwd_path, const char *group_path,
	      struct um_import_result *ret) __attribute__((warn_unused_result));

#endif

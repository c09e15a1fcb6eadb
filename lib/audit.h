/* SPDX-License-Identifier: MIT */
/* umgmt core: the audit trail (audit.c, owner of the audit table). Private. */
#ifndef UMGMT_AUDIT_H
#define UMGMT_AUDIT_H

#include "store-private.h"

/* Appends an audit record (inside the caller's transaction), by the
 * store's actor. user_id is the user the record is about (0 = none): their
 * name is blanked from it when they are deleted. Returns 0, -EIO, -ENOMEM. */
int um_audit(struct um_store *s, const char *action, const char *target_kind, const char *target,
	     int64_t user_id, const char *detail) __attribute__((warn_unused_result));

/* For a deleted user (inside the caller's transaction): blanks target and
 * detail of every record about user_id, and the target of the records
 * about their private group group_name (NULL: none). The trail keeps what
 * happened, not who it happened to. Returns 0, -EIO. */
int um_audit_forget_user(struct um_store *s, int64_t user_id, const char *group_name)
	__attribute__((warn_unused_result));

#endif

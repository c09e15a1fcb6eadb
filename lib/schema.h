/* SPDX-License-Identifier: MIT */
/* umgmt core: the truth's schema and its migrations (schema.c). Private. */
#ifndef UMGMT_SCHEMA_H
#define UMGMT_SCHEMA_H

#include "db.h"

/* Creates or migrates to UM_SCHEMA_VERSION inside the caller's
 * transaction. Returns 0, -EIO, -EBADMSG. */
int um_schema_migrate(struct um_db *db, int from_version) __attribute__((warn_unused_result));

/*
 * The snapshot's change log: start makes this connection's TEMP triggers
 * that log every change of what the snapshot shows into dir_changes; stop
 * drops them again (in a transaction: until it ends). um_store_open()
 * starts it for every connection that may write, except a login's
 * (UM_STORE_LOGIN), which can change none of those tables.
 */
int um_change_log_start(struct um_db *db) __attribute__((warn_unused_result));
int um_change_log_stop(struct um_db *db) __attribute__((warn_unused_result));

#endif

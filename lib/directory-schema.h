/* SPDX-License-Identifier: MIT */
/*
 * The snapshot (directory.db) format, shared by its writer (publish.c) and
 * its reader (directory.c). Private to the core.
 *
 * The snapshot holds exactly what NSS serves and nothing else: no hash, no
 * token, no e-mail address, no flag. It is a rollback-journal SQLite file
 * (never WAL) written once, fsynced and renamed into place; nobody ever
 * writes to it again, so readers may open it immutable.
 *
 *   meta(key, value)         'format' = UM_DIRECTORY_FORMAT,
 *                            'generation' = the truth's generation
 *   passwd                   one row per user: uid is the rowid, name is
 *                            unique; passwd field is always "*"
 *   grp                      one row per group: gid is the rowid; members is
 *                            the supplementary members' names joined by ','
 *                            in name order ('' when none), nmem their count
 *                            (names cannot contain ',')
 *   usergroups               one row per user with at least one
 *                            supplementary group: gids is a packed array of
 *                            uint32 in host byte order, ascending
 *
 * application_id identifies the file as an umgmt snapshot.
 */
#ifndef UMGMT_DIRECTORY_SCHEMA_H
#define UMGMT_DIRECTORY_SCHEMA_H

#define UM_DIRECTORY_APPLICATION_ID 0x756d6764 /* "umgd" */

#define UM_DIRECTORY_SCHEMA_SQL                                                          \
	"PRAGMA application_id = 1970104164;\n"                                          \
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID;\n"               \
	"CREATE TABLE passwd(uid INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,\n"     \
	"  gid INTEGER NOT NULL, gecos TEXT NOT NULL, dir TEXT NOT NULL,\n"             \
	"  shell TEXT NOT NULL);\n"                                                      \
	"CREATE TABLE grp(gid INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,\n"        \
	"  nmem INTEGER NOT NULL, members TEXT NOT NULL);\n"                             \
	"CREATE TABLE usergroups(name TEXT PRIMARY KEY, gids BLOB NOT NULL)\n"          \
	"  WITHOUT ROWID;\n"

#endif

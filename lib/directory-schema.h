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
 *   passwd                   one row per user: uid is the rowid; names are
 *                            unique (the truth guarantees it); the passwd
 *                            field is always "*". passwd_by_name is a
 *                            covering index (every column but the rowid uid
 *                            is in it), so a lookup by name is one B-tree
 *                            probe, like a lookup by uid. Deliberately not
 *                            UNIQUE: SQLite's planner would then pick the
 *                            unique autoindex and probe the table a second
 *                            time (15.5k instead of 9k instructions a hit).
 *   grp                      one row per group: gid is the rowid; members is
 *                            the supplementary members' names joined by ','
 *                            in name order ('' when none), nmem their count
 *                            (names cannot contain ','); grp_by_name covers
 *                            (name, nmem): the reader fetches members only
 *                            once it knows they fit the caller's buffer,
 *                            straight into it (sqlite3_blob_read)
 *   usergroups               one row per user with at least one
 *                            supplementary group: gids is a packed array of
 *                            uint32 in host byte order, ascending
 *
 * Format 1 snapshots written before the covering indexes (UNIQUE name
 * columns instead) are still read correctly, only with one more probe per
 * name lookup: the reader's SQL does not depend on the indexes.
 *
 * application_id identifies the file as an umgmt snapshot.
 */
#ifndef UMGMT_DIRECTORY_SCHEMA_H
#define UMGMT_DIRECTORY_SCHEMA_H

#define UM_DIRECTORY_APPLICATION_ID 0x756d6764 /* "umgd" */

/*
 * Each object's CREATE statement, exactly as SQLite keeps it in
 * sqlite_schema.sql: the reader compares them before it walks these
 * B-trees itself (lib/directory.c), so a snapshot of any other layout is
 * read through SQLite instead.
 */
#define UM_DIRECTORY_SQL_PASSWD                                                                    \
	"CREATE TABLE passwd(uid INTEGER PRIMARY KEY, name TEXT NOT NULL,\n"                       \
	"  gid INTEGER NOT NULL, gecos TEXT NOT NULL, dir TEXT NOT NULL,\n"                        \
	"  shell TEXT NOT NULL)"
#define UM_DIRECTORY_SQL_PASSWD_BY_NAME                                                            \
	"CREATE INDEX passwd_by_name ON passwd(name, gid, gecos, dir, shell)"
#define UM_DIRECTORY_SQL_GRP                                                                       \
	"CREATE TABLE grp(gid INTEGER PRIMARY KEY, name TEXT NOT NULL,\n"                          \
	"  nmem INTEGER NOT NULL, members TEXT NOT NULL)"
#define UM_DIRECTORY_SQL_GRP_BY_NAME "CREATE INDEX grp_by_name ON grp(name, nmem)"
#define UM_DIRECTORY_SQL_USERGROUPS                                                                \
	"CREATE TABLE usergroups(name TEXT PRIMARY KEY, gids BLOB NOT NULL)\n"                     \
	"  WITHOUT ROWID"

#define UM_DIRECTORY_SCHEMA_SQL                                                                    \
	"PRAGMA application_id = 1970104164;\n"                                                    \
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID;\n" UM_DIRECTORY_SQL_PASSWD  \
	";\n" UM_DIRECTORY_SQL_PASSWD_BY_NAME ";\n" UM_DIRECTORY_SQL_GRP                           \
	";\n" UM_DIRECTORY_SQL_GRP_BY_NAME ";\n" UM_DIRECTORY_SQL_USERGROUPS ";\n"

#endif

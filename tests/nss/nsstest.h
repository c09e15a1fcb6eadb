/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the NSS tests: writing snapshots in the format of
 * lib/directory-schema.h, loading the built module, counting fds.
 */
#ifndef UMGMT_NSSTEST_H
#define UMGMT_NSSTEST_H

#include <grp.h>
#include <nss.h>
#include <pwd.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* ---- writing snapshots ---- */

/* Creates tmp_path with the snapshot schema and meta (format, generation 1)
 * inside an open transaction. Aborts on failure (a broken test setup). */
sqlite3 *snap_begin(const char *tmp_path);
/* The same with another schema and meta.format (e.g. format 1's layout). */
sqlite3 *snap_begin_schema(const char *tmp_path, const char *schema, int format);
void snap_user(sqlite3 *db, uint32_t uid, uint32_t gid, const char *name, const char *gecos,
	       const char *dir, const char *shell);
/* members: "a,b,c" ("" for none); nmem is stored as given. */
void snap_group(sqlite3 *db, uint32_t gid, const char *name, const char *members, long nmem);
void snap_usergroups(sqlite3 *db, const char *name, const uint32_t *gids, size_t n);
void snap_sql(sqlite3 *db, const char *sql);
/* Commits, closes, chmods 0644 and renames tmp_path to path (if path is
 * not NULL). */
void snap_end(sqlite3 *db, const char *tmp_path, const char *path);

/* The standard fixture (see nsstest.c); atomically replaces path. */
void snap_write_standard(const char *path);
/* A second generation of it: alice's gecos changed, user frank added. */
void snap_write_standard_v2(const char *path);
/* The standard fixture in another schema of the same tables. */
void snap_write_standard_schema(const char *path, const char *schema, int format);

#define BIG_GROUP_MEMBERS 50000
#define LONG_GECOS_LEN 4000
extern const char *const std_user_names[]; /* in uid order, NULL-ended */
extern const uint32_t std_user_uids[];
extern const char *const std_group_names[]; /* in gid order, NULL-ended */
extern const uint32_t std_group_gids[];

/* ---- the module ---- */

typedef enum nss_status (*pwnam_fn)(const char *, struct passwd *, char *, size_t, int *);
typedef enum nss_status (*pwuid_fn)(uid_t, struct passwd *, char *, size_t, int *);
typedef enum nss_status (*grnam_fn)(const char *, struct group *, char *, size_t, int *);
typedef enum nss_status (*grgid_fn)(gid_t, struct group *, char *, size_t, int *);
typedef enum nss_status (*setent_fn)(int);
typedef enum nss_status (*endent_fn)(void);
typedef enum nss_status (*pwent_fn)(struct passwd *, char *, size_t, int *);
typedef enum nss_status (*grent_fn)(struct group *, char *, size_t, int *);
typedef enum nss_status (*initgr_fn)(const char *, gid_t, long *, long *, gid_t **, long, int *);

struct nss_mod {
	void *handle;
	pwnam_fn getpwnam_r;
	pwuid_fn getpwuid_r;
	grnam_fn getgrnam_r;
	grgid_fn getgrgid_r;
	setent_fn setpwent, setgrent;
	endent_fn endpwent, endgrent;
	pwent_fn getpwent_r;
	grent_fn getgrent_r;
	initgr_fn initgroups_dyn;
};

/* The module path: $UMGMT_NSS_MODULE, else build/libnss_umgmt.so.2. */
const char *nss_module_path(void);
/* dlopens the module and resolves every entry point; aborts on failure. */
void nss_mod_load(struct nss_mod *m);

/* ---- process helpers ---- */

int count_open_fds(void);
/* Lines of /proc/self/maps whose path contains needle. */
int count_mappings(const char *needle);
/* mkdtemp under $TMPDIR (or /tmp); the result is static per call site. */
char *make_temp_dir(void);
void remove_tree(const char *dir);

/* If argv asks for it ("--write-snapshot PATH"), writes the standard
 * snapshot and exits; tests/nss/run.sh uses it for getent/id. */
void nsstest_handle_args(int argc, char **argv);

#endif

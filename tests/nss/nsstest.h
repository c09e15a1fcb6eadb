/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the NSS tests: writing snapshots (format 3, laid out
 * by the core's own um_snap_build), loading the built module, counting fds.
 */
#ifndef UMGMT_NSSTEST_H
#define UMGMT_NSSTEST_H

#include <grp.h>
#include <nss.h>
#include <pwd.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* ---- writing snapshots ---- */

/* Users and groups collected in memory, in any order. */
struct snap;

/* A new, empty snapshot. Every helper here aborts on failure (a broken
 * test setup, never a result). */
struct snap *snap_new(void);
void snap_free(struct snap *s);
void snap_user(struct snap *s, uint32_t uid, uint32_t gid, const char *name, const char *gecos,
	       const char *dir, const char *shell);
/* members: user names, "a,b,c" ("" for none). In format 3 every member is
 * a user: each must be added with snap_user() (before or after). A user's
 * supplementary gids are the groups that name it, as publish derives them. */
void snap_group(struct snap *s, uint32_t gid, const char *name, const char *members);
/* Lays s out (um_snap_build): a malloc'd image of *ret_len bytes. */
uint8_t *snap_image(const struct snap *s, size_t *ret_len);
/* Writes len bytes to path the way publish does: path.tmp, mode 0644,
 * renamed over path (a new inode). */
void snap_write_image(const char *path, const void *data, size_t len);
/* snap_image() + snap_write_image(); frees s. */
void snap_write(struct snap *s, const char *path);

/*
 * The standard fixture, in uid order: the named users alice (2000), bob,
 * carol (a LONG_GECOS_LEN gecos), dave (no supplementary group) and zed
 * (65533), then the users m00001..m(m_users), uid M_UID_BASE + n, who
 * with alice make up group big. Groups, in gid order: users (100: bob),
 * alice (2000: none), staff (3000: alice, bob), big (3001), proj (3002:
 * alice), empty (3003: none), then CAROL_GROUPS groups g4000.. (carol).
 * So alice's supplementary gids are 3000 3001 3002, bob's 100 3000,
 * carol's 4000..4199. Version 2: alice's gecos changed, frank (2004)
 * added.
 */
struct snap *snap_standard(int version, unsigned m_users);
/* The standard fixture, BIG_GROUP_MEMBERS members in big; atomically
 * replaces path. */
void snap_write_standard(const char *path);
/* Its second version. */
void snap_write_standard_v2(const char *path);

#define BIG_GROUP_MEMBERS 50000 /* alice and m00001..m49999 */
#define M_USERS (BIG_GROUP_MEMBERS - 1)
#define M_UID_BASE 100000u
#define CAROL_GROUPS 200
#define CAROL_GID_BASE 4000u
#define LONG_GECOS_LEN 4000
#define N_NAMED_USERS 5
#define N_NAMED_GROUPS 6
#define STD_USERS (N_NAMED_USERS + M_USERS)
#define STD_GROUPS (N_NAMED_GROUPS + CAROL_GROUPS)
extern const char *const std_user_names[]; /* the named ones, in uid order, NULL-ended */
extern const uint32_t std_user_uids[];
extern const char *const std_group_names[]; /* the named ones, in gid order, NULL-ended */
extern const uint32_t std_group_gids[];
/* The n-th user (n < STD_USERS) or group (n < STD_GROUPS) of the
 * standard fixture in enumeration order: its name (in name[16]) and id. */
void std_user(size_t n, char *name, uint32_t *uid);
void std_group(size_t n, char *name, uint32_t *gid);

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
/* mkdtemp under $TMPDIR (or /tmp), mode 0755; malloc'd: free it. */
char *make_temp_dir(void);
void remove_tree(const char *dir);

/* If argv asks for it ("--write-snapshot PATH"), writes the standard
 * snapshot and exits; tests/nss/run.sh uses it for getent/id. */
void nsstest_handle_args(int argc, char **argv);

#endif

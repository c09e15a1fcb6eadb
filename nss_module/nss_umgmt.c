/* SPDX-License-Identifier: MIT */
/*
 * libnss_umgmt.so.2: glibc's passwd, group and initgroups entry points over
 * the snapshot reader (lib/directory.c). Thin glue: look the record up,
 * pack it into the caller's buffer, translate the result in one place.
 *
 * The glibc contract, as implemented here:
 * - SUCCESS: the caller's errno is left as it was.
 * - a miss: NOTFOUND, *errnop = ENOENT.
 * - the caller's buffer is too small: TRYAGAIN, *errnop = ERANGE; glibc
 *   retries with a bigger buffer, and an enumeration does not move, so the
 *   retry gets the same entry.
 * - no snapshot: UNAVAIL, *errnop = ENOENT; a snapshot that is corrupt, not
 *   ours, of another format or not trusted: UNAVAIL, *errnop = EIO (EACCES
 *   for an untrusted one). With "passwd: files umgmt" the machine keeps
 *   working from /etc/passwd.
 * - out of memory: TRYAGAIN, *errnop = ENOMEM.
 * On failure errno is restored before *errnop is written, so a caller that
 * passes &errno (glibc does) sees the error.
 *
 * Never prints, never exits, never calls getpw*()/getgr*() (no NSS
 * recursion), keeps no file descriptor.
 */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <nss.h>
#include <pthread.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "pack.h"
#include "umgmt/directory.h"

#pragma GCC visibility push(default)
NSS_DECLARE_MODULE_FUNCTIONS(umgmt)
#pragma GCC visibility pop

/* The one place where our errors become NSS statuses. */
static enum nss_status finish(int r, int saved_errno, int *errnop)
{
	enum nss_status status;
	int e;

	switch (r) {
	case 0:
		errno = saved_errno;
		return NSS_STATUS_SUCCESS;
	case -ESRCH:
		status = NSS_STATUS_NOTFOUND;
		e = ENOENT;
		break;
	case -ERANGE:
		status = NSS_STATUS_TRYAGAIN;
		e = ERANGE;
		break;
	case -ENOMEM:
		status = NSS_STATUS_TRYAGAIN;
		e = ENOMEM;
		break;
	case -ENOENT:
		status = NSS_STATUS_UNAVAIL;
		e = ENOENT;
		break;
	case -EACCES:
		status = NSS_STATUS_UNAVAIL;
		e = EACCES;
		break;
	default:
		status = NSS_STATUS_UNAVAIL;
		e = EIO;
		break;
	}
	errno = saved_errno;
	*errnop = e;
	return status;
}

/* ---------------------------------------------------------------- passwd */

static int user_lookup(const char *name, uid_t uid, struct passwd *pw, char *buf, size_t len)
{
	_cleanup_(um_directory_releasep) struct um_directory *d = NULL;
	struct um_dir_user u;
	int r;

	if ((r = um_directory_acquire(&d)) < 0)
		return r;
	r = name ? um_directory_user_by_name(d, name, &u) : um_directory_user_by_uid(d, uid, &u);
	if (r < 0)
		return r;
	return pack_passwd(&u, pw, buf, len);
}

enum nss_status _nss_umgmt_getpwnam_r(const char *name, struct passwd *pw, char *buf, size_t len,
				      int *errnop)
{
	int saved = errno;

	if (!name || !*name)
		return finish(-ESRCH, saved, errnop);
	return finish(user_lookup(name, 0, pw, buf, len), saved, errnop);
}

enum nss_status _nss_umgmt_getpwuid_r(uid_t uid, struct passwd *pw, char *buf, size_t len,
				      int *errnop)
{
	int saved = errno;

	if (uid == (uid_t)-1)
		return finish(-ESRCH, saved, errnop);
	return finish(user_lookup(NULL, uid, pw, buf, len), saved, errnop);
}

/* ----------------------------------------------------------------- group */

static int group_lookup(const char *name, gid_t gid, struct group *gr, char *buf, size_t len)
{
	_cleanup_(um_directory_releasep) struct um_directory *d = NULL;
	struct um_dir_group g;
	int r;

	if ((r = um_directory_acquire(&d)) < 0)
		return r;
	r = name ? um_directory_group_by_name(d, name, &g) : um_directory_group_by_gid(d, gid, &g);
	if (r < 0)
		return r;
	return pack_group(&g, gr, buf, len);
}

enum nss_status _nss_umgmt_getgrnam_r(const char *name, struct group *gr, char *buf, size_t len,
				      int *errnop)
{
	int saved = errno;

	if (!name || !*name)
		return finish(-ESRCH, saved, errnop);
	return finish(group_lookup(name, 0, gr, buf, len), saved, errnop);
}

enum nss_status _nss_umgmt_getgrgid_r(gid_t gid, struct group *gr, char *buf, size_t len,
				      int *errnop)
{
	int saved = errno;

	if (gid == (gid_t)-1)
		return finish(-ESRCH, saved, errnop);
	return finish(group_lookup(NULL, gid, gr, buf, len), saved, errnop);
}

/* ----------------------------------------------------------- enumeration */

/*
 * One enumeration per database per process, as glibc expects (it
 * serialises set/get/end itself, but a host may call the module directly).
 * The iterator owns its own connection, so a long listing holds no pool
 * slot and sees one consistent snapshot.
 */
struct enumeration {
	pthread_mutex_t lock;
	enum um_directory_kind kind;
	struct um_directory_iter *it; /* NULL: not started */
};

static struct enumeration pwent = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.kind = UM_DIRECTORY_USERS,
};
static struct enumeration grent = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.kind = UM_DIRECTORY_GROUPS,
};

static void enum_begin(struct enumeration *e)
{
	pthread_mutex_lock(&e->lock);
}

static void enum_end(struct enumeration *e)
{
	pthread_mutex_unlock(&e->lock);
}

/*
 * fork() while another thread is enumerating: fork waits for the call in
 * progress (prepare takes both locks), so the child never inherits a lock
 * held by a thread it does not have and gets a consistent cursor, as with
 * nss_files' FILE.
 * The reader's handlers are registered first so that ours run before its
 * (our locks are taken before its locks, as in enum_next).
 */
static void enum_atfork_prepare(void)
{
	pthread_mutex_lock(&pwent.lock);
	pthread_mutex_lock(&grent.lock);
}

static void enum_atfork_parent(void)
{
	pthread_mutex_unlock(&grent.lock);
	pthread_mutex_unlock(&pwent.lock);
}

static void enum_atfork_child(void)
{
	pthread_mutex_init(&grent.lock, NULL);
	pthread_mutex_init(&pwent.lock, NULL);
}

__attribute__((constructor)) static void nss_umgmt_init(void)
{
	um_directory_init();
	pthread_atfork(enum_atfork_prepare, enum_atfork_parent, enum_atfork_child);
}

static enum nss_status enum_set(struct enumeration *e)
{
	int saved = errno, r;

	enum_begin(e);
	um_directory_iter_free(e->it);
	e->it = NULL;
	r = um_directory_iter_new(e->kind, &e->it);
	enum_end(e);
	/* glibc ignores the status of setXXent; errno must not change. */
	errno = saved;
	return r < 0 ? NSS_STATUS_UNAVAIL : NSS_STATUS_SUCCESS;
}

static enum nss_status enum_stop(struct enumeration *e)
{
	int saved = errno;

	enum_begin(e);
	um_directory_iter_free(e->it);
	e->it = NULL;
	enum_end(e);
	errno = saved;
	return NSS_STATUS_SUCCESS;
}

/* The entry at the cursor, packed; the cursor moves only on success. */
static int enum_next(struct enumeration *e, void *result, char *buf, size_t len)
{
	int r = 0;

	if (!e->it)
		r = um_directory_iter_new(e->kind, &e->it); /* getXXent without setXXent */
	if (r < 0)
		return r;
	if (e->kind == UM_DIRECTORY_USERS) {
		struct um_dir_user u;
		if ((r = um_directory_iter_user(e->it, &u)) == 0)
			r = pack_passwd(&u, result, buf, len);
	} else {
		struct um_dir_group g;
		if ((r = um_directory_iter_group(e->it, &g)) == 0)
			r = pack_group(&g, result, buf, len);
	}
	if (r == 0)
		um_directory_iter_consume(e->it);
	return r;
}

static enum nss_status enum_get(struct enumeration *e, void *result, char *buf, size_t len,
				int *errnop)
{
	int saved = errno, r;

	enum_begin(e);
	r = enum_next(e, result, buf, len);
	enum_end(e);
	return finish(r, saved, errnop);
}

enum nss_status _nss_umgmt_setpwent(int stayopen _unused_)
{
	return enum_set(&pwent);
}

enum nss_status _nss_umgmt_getpwent_r(struct passwd *pw, char *buf, size_t len, int *errnop)
{
	return enum_get(&pwent, pw, buf, len, errnop);
}

enum nss_status _nss_umgmt_endpwent(void)
{
	return enum_stop(&pwent);
}

enum nss_status _nss_umgmt_setgrent(int stayopen _unused_)
{
	return enum_set(&grent);
}

enum nss_status _nss_umgmt_getgrent_r(struct group *gr, char *buf, size_t len, int *errnop)
{
	return enum_get(&grent, gr, buf, len, errnop);
}

enum nss_status _nss_umgmt_endgrent(void)
{
	return enum_stop(&grent);
}

/* ------------------------------------------------------------ initgroups */

struct gid_list {
	gid_t skip;
	long *start;
	long *size;
	gid_t **groupsp;
	long limit;
	bool added;
	bool full;
};

/* Appends gid the way glibc's own backends do: not the primary group, not
 * twice, growing the array by doubling but never beyond limit (> 0). */
static int add_gid(uint32_t gid, void *userdata)
{
	struct gid_list *l = userdata;
	gid_t *groups = *l->groupsp;

	if ((gid_t)gid == l->skip)
		return 0;
	for (long i = 0; i < *l->start; i++)
		if (groups[i] == (gid_t)gid)
			return 0;
	if (*l->start >= *l->size) {
		if (l->limit > 0 && *l->size >= l->limit) {
			l->full = true;
			return 1;
		}
		if (*l->size > LONG_MAX / 2 / (long)sizeof(gid_t))
			return -ENOMEM;
		long newsize = *l->size > 0 ? 2 * *l->size : 16;
		if (l->limit > 0 && newsize > l->limit)
			newsize = l->limit;
		groups = realloc(groups, (size_t)newsize * sizeof(gid_t));
		if (!groups)
			return -ENOMEM;
		*l->groupsp = groups;
		*l->size = newsize;
	}
	groups[(*l->start)++] = (gid_t)gid;
	l->added = true;
	return 0;
}

static int user_groups(const char *user, struct gid_list *l)
{
	_cleanup_(um_directory_releasep) struct um_directory *d = NULL;
	int r;

	if ((r = um_directory_acquire(&d)) < 0)
		return r;
	r = um_directory_user_gids(d, user, add_gid, l);
	if (r < 0)
		return r;
	return l->added || l->full ? 0 : -ESRCH;
}

enum nss_status _nss_umgmt_initgroups_dyn(const char *user, gid_t group, long *start, long *size,
					  gid_t **groupsp, long limit, int *errnop)
{
	struct gid_list l = {
		.skip = group,
		.start = start,
		.size = size,
		.groupsp = groupsp,
		.limit = limit,
	};
	int saved = errno;

	if (!user || !*user || !start || !size || !groupsp)
		return finish(-ESRCH, saved, errnop);
	return finish(user_groups(user, &l), saved, errnop);
}

/* SPDX-License-Identifier: MIT */
/*
 * umgmt core: the snapshot reader behind libnss_umgmt.so.2.
 *
 * Design, and why:
 *
 * - Where. The snapshot is at the compile-time UM_DIRECTORY_PATH. A test
 *   may point a process elsewhere with $UMGMT_DIRECTORY, read with
 *   secure_getenv() so that a setuid/setgid program (su, passwd, a screen
 *   locker's helper) never takes the path from its caller. No config file,
 *   so no iniparser; no libsodium. The file is trusted only if it is a
 *   regular file owned by root (or by the caller, when the path came from
 *   the environment) and not group/world-writable: otherwise whoever can
 *   write it could hand out uid 0.
 *
 * - No file descriptor is ever kept. The snapshot is opened O_CLOEXEC,
 *   fstat()ed, mmap()ed read-only (MAP_SHARED, the page cache is shared
 *   with every other process) and the descriptor is closed at once. SQLite
 *   then gets the mapping through sqlite3_deserialize(...READONLY) on a
 *   ":memory:" connection, so SQLite holds no descriptor either: a host
 *   that closes all its fds (closefrom before exec, daemons sanitising
 *   their fds) cannot break us or make us write into one of its files, and
 *   nothing leaks into children. With PRAGMA mmap_size set, memdb hands out
 *   pages straight from the mapping (zero-copy); the page cache per
 *   connection is kept tiny. This is safe because the publisher never
 *   writes a snapshot in place: it writes a temp file and rename()s it, so
 *   the inode we mapped never changes under us (a root who truncates it in
 *   place would make readers fault; nobody else can).
 *
 * - New snapshots. Publishing renames a new inode into place. At most once
 *   a second per process (CLOCK_MONOTONIC_COARSE, read through the vDSO,
 *   so the check costs no system call in between) one thread stat()s the
 *   path and compares st_dev/st_ino/st_size/st_mtim with the mapping's; if
 *   they differ it maps the new file, which becomes current. A long-lived
 *   process may thus answer from a snapshot up to one second old. That
 *   never lets anyone in: PAM decides from the truth, not from NSS. A
 *   missing or broken snapshot is likewise cached for a second, so a
 *   lookup storm costs one stat() a second.
 *
 * - Threads. A pool of POOL_SLOTS connections, each behind its own mutex.
 *   A thread prefers "its" slot (a thread-local index handed out round
 *   robin), trylocks it, then tries the others, and only then blocks on
 *   its own: readers are never serialised behind one global lock. The
 *   global lock guards only the current mapping pointer and reference
 *   counts and is never held across SQLite calls.
 *
 * - Pinning. Mappings are reference counted (the pool's "current" plus
 *   every connection on it). When a new snapshot becomes current, idle
 *   connections on older ones are closed at once and busy ones when they
 *   are released, so an idle process pins at most one superseded snapshot
 *   (the one that was current at its last lookup) plus what an unfinished
 *   enumeration holds until endpwent()/endgrent().
 *
 * - Fork. SQLite's own global mutexes (its allocator's, among others) are
 *   not fork-safe: a child forked while another thread was inside SQLite
 *   may deadlock on its first SQLite call. So the pthread_atfork() prepare
 *   handler quiesces the module: it takes the refresh lock, every slot and
 *   the global lock (waiting for in-flight lookups, which take
 *   microseconds), and the child re-initialises them all. No thread of ours
 *   is inside SQLite at the fork, the child inherits a consistent state,
 *   and every connection stays valid in the child (the mapping and
 *   SQLite's memory are copied with it); the child never shares a
 *   connection with its parent, since each has its own copy. Callers that
 *   keep their own locks around directory calls (the NSS enumeration) call
 *   um_directory_init() first and register their handlers after ours, so
 *   that their prepare handler runs first (lock order: theirs, then ours).
 *
 * - Verification. Before SQLite sees the bytes we check the SQLite magic,
 *   the rollback-journal format bytes (a WAL file cannot be deserialised)
 *   and application_id = UM_DIRECTORY_APPLICATION_ID in the header; the
 *   first connection on a mapping then checks meta.format =
 *   UM_DIRECTORY_FORMAT and the verdict is cached on the mapping. Any
 *   failure is -EBADMSG, which the NSS module turns into UNAVAIL so that
 *   `files` keeps the machine usable.
 */
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>

#include "directory-schema.h"
#include "umgmt/common.h"
#include "umgmt/directory.h"
#include "umgmt/store.h" /* UM_DIRECTORY_FORMAT (a macro only) */

#define POOL_SLOTS 4
#define CHECK_INTERVAL_NS 1000000000LL
#define MIN_SNAPSHOT_SIZE 512 /* one page of the smallest page size */

enum stmt_id {
	ST_USER_BY_NAME,
	ST_USER_BY_UID,
	ST_GROUP_BY_NAME,
	ST_GROUP_BY_GID,
	ST_USER_GIDS,
	ST_ALL_USERS,
	ST_ALL_GROUPS,
	N_STMT,
};

static const char *const stmt_sql[N_STMT] = {
	[ST_USER_BY_NAME] = "SELECT uid, gid, name, gecos, dir, shell FROM passwd WHERE name = ?1",
	[ST_USER_BY_UID] = "SELECT uid, gid, name, gecos, dir, shell FROM passwd WHERE uid = ?1",
	[ST_GROUP_BY_NAME] = "SELECT gid, nmem, name, members FROM grp WHERE name = ?1",
	[ST_GROUP_BY_GID] = "SELECT gid, nmem, name, members FROM grp WHERE gid = ?1",
	[ST_USER_GIDS] = "SELECT gids FROM usergroups WHERE name = ?1",
	[ST_ALL_USERS] = "SELECT uid, gid, name, gecos, dir, shell FROM passwd ORDER BY uid",
	[ST_ALL_GROUPS] = "SELECT gid, nmem, name, members FROM grp ORDER BY gid",
};

/* Per-connection settings: pages come zero-copy from the mapping (memdb
 * clamps mmap_size to the snapshot), so SQLite's own cache stays tiny;
 * nothing may ever spill to a temp file. */
static const char conn_pragmas[] = "PRAGMA mmap_size = 2147418112;"
				   "PRAGMA cache_size = -64;"
				   "PRAGMA temp_store = MEMORY;"
				   "PRAGMA query_only = 1;"
				   "PRAGMA trusted_schema = 0;";

struct mapping {
	void *addr;
	size_t size;
	dev_t dev;
	ino_t ino;
	struct timespec mtim;
	unsigned refs; /* under pool.lock */
	int verdict;   /* under pool.lock: 0 unknown, 1 good, < 0 why not */
};

struct conn {
	sqlite3 *db;
	struct mapping *map;
	sqlite3_stmt *st[N_STMT];
};

struct um_directory {
	pthread_mutex_t lock;
	struct conn *conn;
};

struct um_directory_iter {
	struct conn *conn;
	sqlite3_stmt *st;
	enum um_directory_kind kind;
	bool pending; /* the row at the cursor has not been consumed */
	bool done;
};

static struct {
	pthread_mutex_t lock;         /* current, error, checked, refs, verdicts */
	pthread_mutex_t refresh_lock; /* one thread stats and maps at a time */
	struct mapping *current;      /* written under lock, read atomically */
	int error;                    /* why current is NULL */
	bool checked;                 /* a check ever completed */
	_Atomic int64_t next_check;   /* CLOCK_MONOTONIC_COARSE, ns */
	struct um_directory slots[POOL_SLOTS];
} pool;

static pthread_once_t pool_once = PTHREAD_ONCE_INIT;
static atomic_uint next_slot;
static __thread int my_slot = -1;

static void lock(pthread_mutex_t *m)
{
	pthread_mutex_lock(m);
}

static void unlock(pthread_mutex_t *m)
{
	pthread_mutex_unlock(m);
}

static struct mapping *load_current(void)
{
	return __atomic_load_n(&pool.current, __ATOMIC_ACQUIRE);
}

static void init_locks(void)
{
	pthread_mutex_init(&pool.lock, NULL);
	pthread_mutex_init(&pool.refresh_lock, NULL);
	for (size_t i = 0; i < POOL_SLOTS; i++)
		pthread_mutex_init(&pool.slots[i].lock, NULL);
}

/* Lock order: refresh_lock, slots in index order, pool.lock. */
static void atfork_prepare(void)
{
	lock(&pool.refresh_lock);
	for (size_t i = 0; i < POOL_SLOTS; i++)
		lock(&pool.slots[i].lock);
	lock(&pool.lock);
}

static void atfork_parent(void)
{
	unlock(&pool.lock);
	for (size_t i = POOL_SLOTS; i-- > 0;)
		unlock(&pool.slots[i].lock);
	unlock(&pool.refresh_lock);
}

/* The child's only thread is the one that forked and holds every lock. */
static void atfork_child(void)
{
	init_locks();
}

static void pool_init(void)
{
	init_locks();
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
}

void um_directory_init(void)
{
	pthread_once(&pool_once, pool_init);
}

static int64_t now_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC_COARSE, &ts) < 0)
		clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static const char *snapshot_path(bool *from_env)
{
	const char *p = secure_getenv(UM_DIRECTORY_ENV);

	*from_env = p && p[0] == '/';
	return *from_env ? p : UM_DIRECTORY_PATH;
}

/* Drops a reference; the caller holds pool.lock. */
static void mapping_unref_locked(struct mapping *m)
{
	if (!m || --m->refs > 0)
		return;
	munmap(m->addr, m->size);
	free(m);
}

static void mapping_unref(struct mapping *m)
{
	if (!m)
		return;
	lock(&pool.lock);
	mapping_unref_locked(m);
	unlock(&pool.lock);
}

static bool same_file(const struct mapping *m, const struct stat *st)
{
	return m->dev == st->st_dev && m->ino == st->st_ino && (off_t)m->size == st->st_size &&
	       m->mtim.tv_sec == st->st_mtim.tv_sec && m->mtim.tv_nsec == st->st_mtim.tv_nsec;
}

static int errno_to_um(int e)
{
	switch (e) {
	case ENOENT:
	case ENOTDIR:
		return -ENOENT;
	case EACCES:
	case EPERM:
		return -EACCES;
	case ENOMEM:
		return -ENOMEM;
	default:
		return -EIO;
	}
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Checks the SQLite header before SQLite sees the bytes: magic, rollback
 * journal format (18/19 = 1; a WAL file cannot be deserialised) and our
 * application_id (offset 68). */
static int check_header(const unsigned char *h)
{
	if (memcmp(h, "SQLite format 3", 16) != 0)
		return um_fail(-EBADMSG, "the snapshot is not an SQLite database");
	if (h[18] != 1 || h[19] != 1)
		return um_fail(-EBADMSG, "the snapshot is not in rollback-journal format");
	if (be32(h + 68) != UM_DIRECTORY_APPLICATION_ID)
		return um_fail(-EBADMSG, "the file is not an umgmt snapshot");
	return 0;
}

/* Maps the snapshot at path. Returns 0 and a mapping with one reference,
 * or -ENOENT, -EACCES, -EBADMSG, -EIO, -ENOMEM. Keeps no descriptor. */
static int mapping_new(const char *path, bool from_env, struct mapping **ret)
{
	_cleanup_close_ int fd = -1;
	struct stat st;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return um_fail(errno_to_um(errno), "cannot open %s: %m", path);
	if (fstat(fd, &st) < 0)
		return um_fail(-EIO, "cannot stat %s: %m", path);
	if (!S_ISREG(st.st_mode))
		return um_fail(-EBADMSG, "%s is not a regular file", path);
	if (!(st.st_uid == 0 || (from_env && st.st_uid == geteuid())) ||
	    (st.st_mode & (S_IWGRP | S_IWOTH)))
		return um_fail(-EACCES, "%s is not trusted (owner or mode)", path);
	if (st.st_size < MIN_SNAPSHOT_SIZE || (uint64_t)st.st_size > SIZE_MAX / 2)
		return um_fail(-EBADMSG, "%s has an impossible size", path);

	void *addr = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (addr == MAP_FAILED)
		return um_fail(errno_to_um(errno), "cannot map %s: %m", path);
	int r = check_header(addr);
	if (r < 0) {
		munmap(addr, (size_t)st.st_size);
		return r;
	}

	struct mapping *m = calloc(1, sizeof(*m));
	if (!m) {
		munmap(addr, (size_t)st.st_size);
		return -ENOMEM;
	}
	*m = (struct mapping){
		.addr = addr,
		.size = (size_t)st.st_size,
		.dev = st.st_dev,
		.ino = st.st_ino,
		.mtim = st.st_mtim,
		.refs = 1,
	};
	*ret = m;
	return 0;
}

static void conn_free(struct conn *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < N_STMT; i++)
		sqlite3_finalize(c->st[i]);
	sqlite3_close(c->db);
	mapping_unref(c->map);
	free(c);
}

static int sqlite_to_um(sqlite3 *db, int rc, const char *what)
{
	switch (rc & 0xff) {
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
	case SQLITE_ERROR:  /* no such table/column: not our schema */
	case SQLITE_FORMAT:
	case SQLITE_CANTOPEN:
	case SQLITE_MISMATCH:
		return um_fail(-EBADMSG, "bad snapshot (%s): %s", what,
			       db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
	default:
		return um_fail(-EIO, "snapshot %s: %s", what,
			       db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
	}
}

static int conn_stmt(struct conn *c, enum stmt_id id, sqlite3_stmt **ret)
{
	if (!c->st[id]) {
		int rc = sqlite3_prepare_v3(c->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
					    &c->st[id], NULL);
		if (rc != SQLITE_OK)
			return sqlite_to_um(c->db, rc, "prepare");
	}
	*ret = c->st[id];
	return 0;
}

/* The snapshot's meta.format must be the one this build reads. */
static int conn_verify(struct conn *c)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(c->db, "SELECT value FROM meta WHERE key = 'format'", -1,
				    &st, NULL);
	if (rc != SQLITE_OK)
		return sqlite_to_um(c->db, rc, "meta");
	rc = sqlite3_step(st);
	int r;
	if (rc == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(st, 0);
		char want[16];
		snprintf(want, sizeof(want), "%d", UM_DIRECTORY_FORMAT);
		r = v && strcmp(v, want) == 0
			    ? 0
			    : um_fail(-EBADMSG, "snapshot format %s, this build reads %s",
				      v ? v : "NULL", want);
	} else if (rc == SQLITE_DONE) {
		r = um_fail(-EBADMSG, "the snapshot has no format");
	} else {
		r = sqlite_to_um(c->db, rc, "meta");
	}
	sqlite3_finalize(st);
	return r;
}

/* Opens a connection over m (taking a reference on it). Returns 0, or
 * -EBADMSG, -EIO, -ENOMEM. */
static int conn_new(struct mapping *m, struct conn **ret)
{
	struct conn *c = calloc(1, sizeof(*c));
	int rc, r, verdict;

	if (!c)
		return -ENOMEM;
	lock(&pool.lock);
	m->refs++;
	verdict = m->verdict;
	unlock(&pool.lock);
	c->map = m;
	if (verdict < 0) {
		r = verdict;
		goto fail;
	}

	rc = sqlite3_open_v2(":memory:", &c->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
			     NULL);
	if (rc != SQLITE_OK) {
		r = sqlite_to_um(c->db, rc, "open");
		goto fail;
	}
	sqlite3_db_config(c->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	/* memdb never writes to a READONLY buffer (and PROT_READ makes sure). */
	rc = sqlite3_deserialize(c->db, "main", (unsigned char *)m->addr, (sqlite3_int64)m->size,
				 (sqlite3_int64)m->size, SQLITE_DESERIALIZE_READONLY);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(c->db, conn_pragmas, NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		r = sqlite_to_um(c->db, rc, "open");
		goto fail;
	}
	if (verdict == 0) {
		r = conn_verify(c);
		lock(&pool.lock);
		m->verdict = r < 0 ? r : 1;
		unlock(&pool.lock);
		if (r < 0)
			goto fail;
	}
	*ret = c;
	return 0;
fail:
	conn_free(c);
	return r;
}

/* Makes m (NULL: none, because of err) the current mapping and closes idle
 * connections on older ones, so they stop pinning them. */
static void set_current(struct mapping *m, int err)
{
	lock(&pool.lock);
	struct mapping *old = pool.current;
	__atomic_store_n(&pool.current, m, __ATOMIC_RELEASE);
	pool.error = err;
	pool.checked = true;
	mapping_unref_locked(old);
	unlock(&pool.lock);

	for (size_t i = 0; i < POOL_SLOTS; i++) {
		struct um_directory *s = &pool.slots[i];
		if (pthread_mutex_trylock(&s->lock) != 0)
			continue; /* busy: retired at release */
		if (s->conn && s->conn->map != m) {
			conn_free(s->conn);
			s->conn = NULL;
		}
		unlock(&s->lock);
	}
}

/* Looks at the path (the caller holds refresh_lock). */
static void check_snapshot(void)
{
	bool from_env;
	const char *path = snapshot_path(&from_env);
	struct stat st;
	struct mapping *m = NULL;

	if (stat(path, &st) < 0) {
		set_current(NULL, um_fail(errno_to_um(errno), "cannot stat %s: %m", path));
		return;
	}
	lock(&pool.lock);
	bool same = pool.current && same_file(pool.current, &st);
	unlock(&pool.lock);
	if (same)
		return;

	int r = mapping_new(path, from_env, &m);
	set_current(r < 0 ? NULL : m, r);
}

/* Notices a new snapshot at most once per CHECK_INTERVAL_NS. */
static void refresh(void)
{
	int64_t now = now_ns();

	if (now < atomic_load(&pool.next_check))
		return;
	lock(&pool.lock);
	bool have_verdict = pool.checked;
	unlock(&pool.lock);
	if (have_verdict) {
		/* Someone else is checking: use what we have meanwhile. */
		if (pthread_mutex_trylock(&pool.refresh_lock) != 0)
			return;
	} else {
		lock(&pool.refresh_lock);
	}
	if (now >= atomic_load(&pool.next_check)) {
		check_snapshot();
		atomic_store(&pool.next_check, now_ns() + CHECK_INTERVAL_NS);
	}
	unlock(&pool.refresh_lock);
}

/* Returns 0 and a referenced current mapping, or why there is none. */
static int current_ref(struct mapping **ret)
{
	int r;

	refresh();
	lock(&pool.lock);
	struct mapping *m = pool.current;
	if (!m) {
		r = pool.error < 0 ? pool.error : -EIO;
	} else if (m->verdict < 0) {
		r = m->verdict;
	} else {
		m->refs++;
		*ret = m;
		r = 0;
	}
	unlock(&pool.lock);
	return r;
}

int um_directory_acquire(struct um_directory **ret)
{
	struct mapping *m = NULL;
	struct um_directory *s = NULL;
	int r;

	um_directory_init();
	r = current_ref(&m);
	if (r < 0)
		return r;

	if (my_slot < 0)
		my_slot = (int)(atomic_fetch_add(&next_slot, 1) % POOL_SLOTS);
	for (size_t k = 0; k < POOL_SLOTS && !s; k++) {
		struct um_directory *c = &pool.slots[((size_t)my_slot + k) % POOL_SLOTS];
		if (pthread_mutex_trylock(&c->lock) == 0)
			s = c;
	}
	if (!s) {
		s = &pool.slots[my_slot];
		lock(&s->lock);
	}
	if (s->conn && s->conn->map != m) {
		conn_free(s->conn);
		s->conn = NULL;
	}
	if (!s->conn)
		r = conn_new(m, &s->conn);
	mapping_unref(m); /* the connection holds its own */
	if (r < 0) {
		unlock(&s->lock);
		return r;
	}
	*ret = s;
	return 0;
}

void um_directory_release(struct um_directory *d)
{
	if (!d)
		return;
	if (d->conn) {
		for (size_t i = 0; i < N_STMT; i++)
			if (d->conn->st[i])
				sqlite3_reset(d->conn->st[i]);
		/* Superseded while we used it: do not keep it pinned. */
		if (d->conn->map != load_current()) {
			conn_free(d->conn);
			d->conn = NULL;
		}
	}
	unlock(&d->lock);
}

static int col_id(sqlite3_stmt *st, int col, uint32_t *ret)
{
	sqlite3_int64 v = sqlite3_column_int64(st, col);

	if (sqlite3_column_type(st, col) != SQLITE_INTEGER || v < 0 || v >= UINT32_MAX)
		return um_fail(-EBADMSG, "bad id in the snapshot");
	*ret = (uint32_t)v;
	return 0;
}

static int col_text(sqlite3_stmt *st, int col, const char **ret, size_t *ret_len)
{
	const char *s = (const char *)sqlite3_column_text(st, col);

	if (!s)
		return sqlite3_errcode(sqlite3_db_handle(st)) == SQLITE_NOMEM
			       ? -ENOMEM
			       : um_fail(-EBADMSG, "NULL text in the snapshot");
	/* An embedded NUL would end the C string early: use what C sees. */
	*ret_len = strnlen(s, (size_t)sqlite3_column_bytes(st, col));
	*ret = s;
	return 0;
}

static int fill_user(sqlite3_stmt *st, struct um_dir_user *u)
{
	int r;

	if ((r = col_id(st, 0, &u->uid)) < 0 || (r = col_id(st, 1, &u->gid)) < 0 ||
	    (r = col_text(st, 2, &u->name, &u->name_len)) < 0 ||
	    (r = col_text(st, 3, &u->gecos, &u->gecos_len)) < 0 ||
	    (r = col_text(st, 4, &u->dir, &u->dir_len)) < 0 ||
	    (r = col_text(st, 5, &u->shell, &u->shell_len)) < 0)
		return r;
	return 0;
}

static int fill_group(sqlite3_stmt *st, struct um_dir_group *g)
{
	int r;
	sqlite3_int64 n = sqlite3_column_int64(st, 1);

	if ((r = col_id(st, 0, &g->gid)) < 0 || (r = col_text(st, 2, &g->name, &g->name_len)) < 0 ||
	    (r = col_text(st, 3, &g->members, &g->members_len)) < 0)
		return r;
	g->nmem = n < 0 || n > UINT32_MAX ? 0 : (uint32_t)n;
	return 0;
}

/* Runs lookup statement id with one parameter (text if name, else id) and
 * leaves it on its row. Returns 0, -ESRCH, or an error. */
static int lookup(struct um_directory *d, enum stmt_id id, const char *name, uint32_t num,
		  sqlite3_stmt **ret)
{
	sqlite3_stmt *st;
	int r = conn_stmt(d->conn, id, &st);

	if (r < 0)
		return r;
	sqlite3_reset(st);
	int rc = name ? sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC)
		      : sqlite3_bind_int64(st, 1, num);
	if (rc != SQLITE_OK)
		return sqlite_to_um(d->conn->db, rc, "bind");
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return -ESRCH;
	if (rc != SQLITE_ROW)
		return sqlite_to_um(d->conn->db, rc, "lookup");
	*ret = st;
	return 0;
}

int um_directory_user_by_name(struct um_directory *d, const char *name, struct um_dir_user *ret)
{
	sqlite3_stmt *st;
	int r;

	if (!name)
		return -EINVAL;
	if ((r = lookup(d, ST_USER_BY_NAME, name, 0, &st)) < 0)
		return r;
	return fill_user(st, ret);
}

int um_directory_user_by_uid(struct um_directory *d, uint32_t uid, struct um_dir_user *ret)
{
	sqlite3_stmt *st;
	int r;

	if ((r = lookup(d, ST_USER_BY_UID, NULL, uid, &st)) < 0)
		return r;
	return fill_user(st, ret);
}

int um_directory_group_by_name(struct um_directory *d, const char *name,
			       struct um_dir_group *ret)
{
	sqlite3_stmt *st;
	int r;

	if (!name)
		return -EINVAL;
	if ((r = lookup(d, ST_GROUP_BY_NAME, name, 0, &st)) < 0)
		return r;
	return fill_group(st, ret);
}

int um_directory_group_by_gid(struct um_directory *d, uint32_t gid, struct um_dir_group *ret)
{
	sqlite3_stmt *st;
	int r;

	if ((r = lookup(d, ST_GROUP_BY_GID, NULL, gid, &st)) < 0)
		return r;
	return fill_group(st, ret);
}

int um_directory_user_gids(struct um_directory *d, const char *name,
			   int (*fn)(uint32_t gid, void *userdata), void *userdata)
{
	sqlite3_stmt *st;
	int r;

	if (!name || !fn)
		return -EINVAL;
	if ((r = lookup(d, ST_USER_GIDS, name, 0, &st)) < 0)
		return r;
	const unsigned char *p = sqlite3_column_blob(st, 0);
	size_t n = (size_t)sqlite3_column_bytes(st, 0);
	if (n % sizeof(uint32_t))
		return um_fail(-EBADMSG, "bad gid list in the snapshot");
	if (n > 0 && !p)
		return -ENOMEM;
	/* The blob may sit anywhere in a page: read it bytewise. */
	for (size_t i = 0; i < n; i += sizeof(uint32_t)) {
		uint32_t gid;
		memcpy(&gid, p + i, sizeof(gid));
		if ((r = fn(gid, userdata)) != 0)
			return r;
	}
	return 0;
}

int um_directory_iter_new(enum um_directory_kind kind, struct um_directory_iter **ret)
{
	struct mapping *m = NULL;
	struct um_directory_iter *it;
	int r;

	if (kind != UM_DIRECTORY_USERS && kind != UM_DIRECTORY_GROUPS)
		return -EINVAL;
	um_directory_init();
	if ((r = current_ref(&m)) < 0)
		return r;
	it = calloc(1, sizeof(*it));
	if (!it) {
		mapping_unref(m);
		return -ENOMEM;
	}
	it->kind = kind;
	r = conn_new(m, &it->conn);
	mapping_unref(m);
	if (r >= 0)
		r = conn_stmt(it->conn, kind == UM_DIRECTORY_USERS ? ST_ALL_USERS : ST_ALL_GROUPS,
			      &it->st);
	if (r < 0) {
		um_directory_iter_free(it);
		return r;
	}
	*ret = it;
	return 0;
}

/* Moves to the next row unless the current one is still pending. */
static int iter_row(struct um_directory_iter *it)
{
	if (it->done)
		return -ESRCH;
	if (it->pending)
		return 0;
	int rc = sqlite3_step(it->st);
	if (rc == SQLITE_ROW) {
		it->pending = true;
		return 0;
	}
	if (rc == SQLITE_DONE) {
		it->done = true;
		sqlite3_reset(it->st);
		return -ESRCH;
	}
	sqlite3_reset(it->st); /* would restart: stop instead */
	it->done = true;
	return sqlite_to_um(it->conn->db, rc, "enumeration");
}

int um_directory_iter_user(struct um_directory_iter *it, struct um_dir_user *ret)
{
	int r;

	if (it->kind != UM_DIRECTORY_USERS)
		return -EINVAL;
	if ((r = iter_row(it)) < 0)
		return r;
	return fill_user(it->st, ret);
}

int um_directory_iter_group(struct um_directory_iter *it, struct um_dir_group *ret)
{
	int r;

	if (it->kind != UM_DIRECTORY_GROUPS)
		return -EINVAL;
	if ((r = iter_row(it)) < 0)
		return r;
	return fill_group(it->st, ret);
}

void um_directory_iter_consume(struct um_directory_iter *it)
{
	it->pending = false;
}

void um_directory_iter_free(struct um_directory_iter *it)
{
	if (!it)
		return;
	conn_free(it->conn); /* finalizes it->st too */
	free(it);
}

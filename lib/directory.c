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
 * - Reading. When the snapshot's schema objects are exactly the ones this
 *   build writes (format 2), lookups and enumeration walk its B-trees in
 *   the mapping themselves, without SQLite (see "The hit path" below: no
 *   allocation, no lock, no SQLite connection at all); a format 1
 *   snapshot is read through SQLite, one read transaction held per
 *   connection and statements prepared once.
 *
 * - Verification. Before SQLite sees the bytes we check the SQLite magic,
 *   the rollback-journal format bytes (a WAL file cannot be deserialised)
 *   and application_id = UM_DIRECTORY_APPLICATION_ID in the header; the
 *   first connection on a mapping then checks meta.format (the current
 *   UM_DIRECTORY_FORMAT, or 1) and the verdict is cached on the mapping. Any
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
	/* Not the members: see um_directory_group_members(). */
	[ST_GROUP_BY_NAME] = "SELECT gid, nmem, name FROM grp WHERE name = ?1",
	[ST_GROUP_BY_GID] = "SELECT gid, nmem, name FROM grp WHERE gid = ?1",
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

/* ------------------------------------------------------------------------
 * The hit path: reading the snapshot's B-trees straight from the mapping.
 *
 * SQLite costs ~8k instructions a lookup here, and worse, it frees and
 * allocates a register's memory for every column of every lookup
 * (sqlite3_reset releases them; the system library is built without
 * lookaside), and each allocation takes SQLite's global memory-statistics
 * mutex: two threads doing lookups slowed each other down (CPU time per
 * lookup +50 %, measured with bench/threads.c). The snapshot is an
 * immutable file in SQLite's documented format
 * (https://www.sqlite.org/fileformat2.html) and these tables are fixed, so
 * a lookup walks the B-tree itself: no allocation, no lock, no SQLite
 * call. Only when the schema objects are exactly the ones this build
 * writes (their CREATE statements compared at connection time), the file
 * is UTF-8 and the page geometry is sane; otherwise (an older snapshot)
 * every call goes through SQLite as before. Every offset read from the
 * file is bounds-checked: a corrupt snapshot gives -EBADMSG, never a read
 * outside the mapping; descents are bounded by BT_MAX_DEPTH and overflow
 * chains by the page count, so a cycle cannot hang a process.
 * ---------------------------------------------------------------------- */

#define BT_MAX_DEPTH 20

enum bt_root { BT_PASSWD, BT_PASSWD_BY_NAME, BT_GRP, BT_GRP_BY_NAME, BT_USERGROUPS, BT_N };

static const char *const bt_object[BT_N][2] = {
	[BT_PASSWD] = { "passwd", UM_DIRECTORY_SQL_PASSWD },
	[BT_PASSWD_BY_NAME] = { "passwd_by_name", UM_DIRECTORY_SQL_PASSWD_BY_NAME },
	[BT_GRP] = { "grp", UM_DIRECTORY_SQL_GRP },
	[BT_GRP_BY_NAME] = { "grp_by_name", UM_DIRECTORY_SQL_GRP_BY_NAME },
	[BT_USERGROUPS] = { "usergroups", UM_DIRECTORY_SQL_USERGROUPS },
};

struct bt {
	const uint8_t *base;
	uint64_t npages;
	uint32_t psz, usable;
	uint32_t max_table, max_index, min_local; /* on-page payload limits */
	uint32_t root[BT_N];
};

/* A B-tree page, header parsed. */
struct bt_page {
	const uint8_t *p, *end; /* the page, end of its usable part */
	const uint8_t *cellptr; /* the cell pointer array */
	uint32_t right;		/* interior: the right-most child */
	unsigned ncell;
	uint8_t type; /* 2 interior index, 5 interior table, 10 leaf index, 13 leaf table */
};

/* A cell's payload: nlocal bytes on the page, the rest on overflow pages. */
struct bt_payload {
	const uint8_t *local;
	uint64_t total;
	uint32_t nlocal;
	uint32_t ovfl;
};

/* A record field: serial type, offset and length in the payload. */
struct bt_field {
	uint64_t type;
	uint64_t off;
	uint32_t len;
};

/* Where text fields that are not on the page are copied (per connection,
 * kept: no allocation once it is big enough). */
struct bt_scratch {
	uint8_t *buf;
	size_t cap;
};

/* In-order walk over a table B-tree's leaf cells (enumeration). */
struct bt_cursor {
	uint64_t pg[BT_MAX_DEPTH];
	unsigned idx[BT_MAX_DEPTH];
	int depth;	 /* -1: at the end */
	uint64_t visits; /* pages entered: a sound tree enters each once */
};

struct conn {
	sqlite3 *db;
	struct mapping *map;
	sqlite3_stmt *st[N_STMT];
	sqlite3_blob *members; /* grp.members of the last group looked up */
	int active;	       /* the statement left on a row, or -1 */
	bool fast;	       /* lookups walk the B-trees (struct bt) */
	struct bt bt;
	struct bt_scratch scratch;
	/* fast: the members of the last group looked up */
	bool mem_fast;
	struct bt_payload mem_pl;
	struct bt_field mem_f;
};

/* One cache line each: two threads on neighbouring slots must not bounce
 * a shared line on every lock and unlock (false sharing). */
struct um_directory {
	pthread_mutex_t lock;
	struct conn *conn;
} __attribute__((aligned(64)));

struct um_directory_iter {
	struct conn *conn;
	sqlite3_stmt *st; /* not fast */
	enum um_directory_kind kind;
	bool pending; /* the row at the cursor has not been consumed */
	bool done;
	/* fast: the B-tree cursor and the row at it */
	struct bt_cursor cur;
	struct bt_payload pl;
	int64_t rowid;
};

static struct {
	pthread_mutex_t lock;		       /* current, error, checked, refs, verdicts */
	pthread_mutex_t refresh_lock;	       /* one thread stats and maps at a time */
	struct mapping *current;	       /* written under lock, read atomically */
	int error;			       /* why current is NULL */
	bool checked;			       /* a check ever completed */
	_Atomic int64_t next_check;	       /* CLOCK_MONOTONIC_COARSE, ns */
	struct um_directory slots[POOL_SLOTS]; /* cache-line aligned */
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
	sqlite3_blob_close(c->members);
	free(c->scratch.buf);
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
	case SQLITE_ERROR: /* no such table/column: not our schema */
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

static int bt_bad(void)
{
	return um_fail(-EBADMSG, "corrupt snapshot (B-tree)");
}

/* Reads a varint at p (< end). Returns its length, or 0 past end. */
static unsigned bt_varint(const uint8_t *p, const uint8_t *end, uint64_t *v)
{
	uint64_t x = 0;

	for (unsigned i = 0; i < 8; i++) {
		if (p + i >= end)
			return 0;
		x = (x << 7) | (p[i] & 0x7f);
		if (!(p[i] & 0x80)) {
			*v = x;
			return i + 1;
		}
	}
	if (p + 8 >= end)
		return 0;
	*v = (x << 8) | p[8];
	return 9;
}

/* Sets up b over the mapping; false if the geometry is not one we walk. */
static bool bt_init(struct bt *b, const uint8_t *h, size_t size)
{
	uint32_t psz = (uint32_t)h[16] << 8 | h[17];

	if (psz == 1)
		psz = 65536;
	if (psz < 512 || (psz & (psz - 1)) || h[20] > psz - 480 || be32(h + 56) != 1 /* UTF-8 */)
		return false;
	b->base = h;
	b->psz = psz;
	b->usable = psz - h[20];
	b->npages = size / psz;
	/* the file format's limits on how much payload stays on the page */
	b->max_table = b->usable - 35;
	b->max_index = (b->usable - 12) * 64 / 255 - 23;
	b->min_local = (b->usable - 12) * 32 / 255 - 23;
	return true;
}

static int bt_load(const struct bt *b, uint64_t pgno, struct bt_page *g)
{
	if (pgno < 1 || pgno > b->npages)
		return bt_bad();
	g->p = b->base + (pgno - 1) * b->psz;
	g->end = g->p + b->usable;
	const uint8_t *h = g->p + (pgno == 1 ? 100 : 0);
	g->type = h[0];
	bool interior = g->type == 2 || g->type == 5;
	if (!interior && g->type != 10 && g->type != 13)
		return bt_bad();
	g->ncell = (unsigned)h[3] << 8 | h[4];
	g->cellptr = h + (interior ? 12 : 8);
	g->right = interior ? be32(h + 8) : 0;
	if (g->cellptr + 2 * (size_t)g->ncell > g->end)
		return bt_bad();
	return 0;
}

/* Cell i of g, or NULL if its pointer is out of bounds. */
static const uint8_t *bt_cell(const struct bt_page *g, unsigned i)
{
	unsigned off = (unsigned)g->cellptr[2 * i] << 8 | g->cellptr[2 * i + 1];
	const uint8_t *c = g->p + off;

	return c >= g->cellptr + 2 * (size_t)g->ncell && c < g->end ? c : NULL;
}

/* Child pointer of interior cell i (4 bytes at the cell's start). */
static int bt_child(const struct bt_page *g, unsigned i, uint64_t *ret)
{
	if (i == g->ncell) {
		*ret = g->right;
		return 0;
	}
	const uint8_t *c = bt_cell(g, i);
	if (!c || c + 4 > g->end)
		return bt_bad();
	*ret = be32(c);
	return 0;
}

/* Parses the payload of cell c (table leaf: also its rowid). */
static int bt_payload(const struct bt *b, const struct bt_page *g, const uint8_t *c,
		      struct bt_payload *pl, int64_t *rowid)
{
	uint64_t total, key;
	unsigned n;

	if (g->type == 2)
		c += 4; /* the child pointer */
	if (c >= g->end || !(n = bt_varint(c, g->end, &total)))
		return bt_bad();
	c += n;
	if (g->type == 13) {
		if (!(n = bt_varint(c, g->end, &key)))
			return bt_bad();
		c += n;
		if (rowid)
			*rowid = (int64_t)key;
	}
	if (total > INT32_MAX || total > b->npages * b->usable)
		return bt_bad(); /* more than the file holds */
	/* How much of it is on the page: the file format's formula. */
	uint64_t x = g->type == 13 ? b->max_table : b->max_index, m = b->min_local, local = total;
	if (total > x) {
		uint64_t k = m + (total - m) % (b->usable - 4);
		local = k <= x ? k : m;
	}
	if (c + local + (local < total ? 4 : 0) > g->end)
		return bt_bad();
	pl->local = c;
	pl->total = total;
	pl->nlocal = (uint32_t)local;
	pl->ovfl = local < total ? be32(c + local) : 0;
	return 0;
}

/* Copies payload bytes [off, off + len) to dest, following the overflow
 * chain as far as needed. */
static int bt_copy(const struct bt *b, const struct bt_payload *pl, uint64_t off, uint64_t len,
		   uint8_t *dest)
{
	if (off + len > pl->total)
		return bt_bad();
	if (off < pl->nlocal) {
		uint64_t n = len < pl->nlocal - off ? len : pl->nlocal - off;
		memcpy(dest, pl->local + off, n);
		dest += n, off += n, len -= n;
	}
	uint64_t pos = pl->nlocal, pgno = pl->ovfl, chunk = b->usable - 4;
	for (uint64_t hops = 0; len > 0; hops++) {
		if (pgno < 1 || pgno > b->npages || hops > b->npages)
			return bt_bad();
		const uint8_t *p = b->base + (pgno - 1) * b->psz;
		uint64_t here = pl->total - pos < chunk ? pl->total - pos : chunk;
		if (off < pos + here) {
			uint64_t n = pos + here - off < len ? pos + here - off : len;
			memcpy(dest, p + 4 + (off - pos), n);
			dest += n, off += n, len -= n;
		}
		pos += here;
		pgno = be32(p);
	}
	return 0;
}

static uint32_t serial_len(uint64_t t)
{
	static const uint8_t fixed[12] = { 0, 1, 2, 3, 4, 6, 8, 8, 0, 0, 0, 0 };

	return t < 12 ? fixed[t] : (uint32_t)((t - 12) / 2);
}

/* Decodes the record header (which must be on the page) into nf fields. */
static int bt_fields(const struct bt_payload *pl, struct bt_field *f, unsigned nf)
{
	uint64_t hlen, t;
	unsigned n = bt_varint(pl->local, pl->local + pl->nlocal, &hlen);
	const uint8_t *h, *hend;

	if (!n || hlen > pl->nlocal || hlen < n)
		return bt_bad();
	h = pl->local + n, hend = pl->local + hlen;
	uint64_t off = hlen;
	for (unsigned i = 0; i < nf; i++) {
		if (h >= hend || !(n = bt_varint(h, hend, &t)) || t == 10 || t == 11 ||
		    t > 2ULL * INT32_MAX)
			return bt_bad();
		h += n;
		f[i] = (struct bt_field){ .type = t, .off = off, .len = serial_len(t) };
		off += f[i].len;
		if (off > pl->total)
			return bt_bad();
	}
	return 0;
}

/* An integer field (types 1-6, 8, 9), or -1. An index record's last
 * field (the rowid) may be on an overflow page when a gecos is long. */
static int64_t bt_int(const struct bt *b, const struct bt_payload *pl, const struct bt_field *f)
{
	uint8_t tmp[8];
	const uint8_t *p;

	if (f->type == 8 || f->type == 9)
		return (int64_t)f->type - 8;
	if (f->type == 0 || f->type == 7 || f->type >= 12)
		return -1;
	if (f->off + f->len <= pl->nlocal)
		p = pl->local + f->off;
	else if (bt_copy(b, pl, f->off, f->len, tmp) == 0)
		p = tmp;
	else
		return -1;
	int64_t v = (int8_t)p[0];
	for (uint32_t i = 1; i < f->len; i++)
		v = (int64_t)((uint64_t)v << 8 | p[i]);
	return v;
}

static int bt_id(const struct bt *b, const struct bt_payload *pl, const struct bt_field *f,
		 uint32_t *ret)
{
	int64_t v = bt_int(b, pl, f);

	if (v < 0 || v >= UINT32_MAX)
		return um_fail(-EBADMSG, "bad id in the snapshot");
	*ret = (uint32_t)v;
	return 0;
}

static int scratch_reserve(struct bt_scratch *s, size_t n)
{
	if (n <= s->cap)
		return 0;
	size_t cap = s->cap ? s->cap : 4096;
	while (cap < n)
		cap *= 2;
	uint8_t *p = realloc(s->buf, cap);
	if (!p)
		return -ENOMEM;
	s->buf = p;
	s->cap = cap;
	return 0;
}

/* Points out[i]/len[i] at text fields idx[0..n) of the record: on the
 * page if they are there, else copied to the scratch buffer, which is
 * grown once for the row before any pointer into it is handed out. */
static int bt_texts(const struct bt *b, struct bt_scratch *s, const struct bt_payload *pl,
		    const struct bt_field *f, const unsigned *idx, unsigned n, const char **out,
		    size_t *len)
{
	size_t need = 0;
	int r;

	for (unsigned i = 0; i < n; i++) {
		const struct bt_field *x = &f[idx[i]];
		if (x->type < 13 || !(x->type & 1))
			return um_fail(-EBADMSG, "bad text in the snapshot");
		if (x->off + x->len > pl->nlocal)
			need += x->len;
	}
	if (need && (r = scratch_reserve(s, need)) < 0)
		return r;
	size_t used = 0;
	for (unsigned i = 0; i < n; i++) {
		const struct bt_field *x = &f[idx[i]];
		len[i] = x->len;
		if (x->off + x->len <= pl->nlocal) {
			out[i] = (const char *)pl->local + x->off;
			continue;
		}
		if ((r = bt_copy(b, pl, x->off, x->len, s->buf + used)) < 0)
			return r;
		out[i] = (const char *)s->buf + used;
		used += x->len;
	}
	return 0;
}

/* Finds rowid key in the table B-tree at root. Returns 0, -ESRCH, -EBADMSG. */
static int bt_table_find(const struct bt *b, uint32_t root, int64_t key, struct bt_payload *pl)
{
	uint64_t pgno = root;

	for (unsigned depth = 0; depth < BT_MAX_DEPTH; depth++) {
		struct bt_page g;
		int r = bt_load(b, pgno, &g);
		if (r < 0)
			return r;
		unsigned lo = 0, hi = g.ncell;
		if (g.type == 5) {
			/* first cell whose key (the largest rowid on its left) >= key */
			while (lo < hi) {
				unsigned mid = (lo + hi) / 2;
				const uint8_t *c = bt_cell(&g, mid);
				uint64_t k;
				if (!c || c + 4 >= g.end || !bt_varint(c + 4, g.end, &k))
					return bt_bad();
				if ((int64_t)k < key)
					lo = mid + 1;
				else
					hi = mid;
			}
			if ((r = bt_child(&g, lo, &pgno)) < 0)
				return r;
			continue;
		}
		if (g.type != 13)
			return bt_bad();
		while (lo < hi) {
			unsigned mid = (lo + hi) / 2;
			const uint8_t *c = bt_cell(&g, mid);
			uint64_t n, k;
			unsigned l;
			if (!c || !(l = bt_varint(c, g.end, &n)) || !bt_varint(c + l, g.end, &k))
				return bt_bad();
			if ((int64_t)k == key)
				return bt_payload(b, &g, c, pl, NULL);
			if ((int64_t)k < key)
				lo = mid + 1;
			else
				hi = mid;
		}
		return -ESRCH;
	}
	return bt_bad();
}

/* Compares the first field of an index cell's record with key (BINARY
 * collation; NULL and numbers sort before text, blobs after). */
static int bt_cmp_first(const struct bt *b, const struct bt_page *g, const uint8_t *c,
			const char *key, size_t klen, struct bt_payload *pl, int *cmp)
{
	struct bt_field f;
	uint8_t tmp[256];
	const uint8_t *s;
	int r;

	if ((r = bt_payload(b, g, c, pl, NULL)) < 0 || (r = bt_fields(pl, &f, 1)) < 0)
		return r;
	if (f.type < 12) {
		*cmp = -1;
		return 0;
	}
	if (!(f.type & 1)) {
		*cmp = 1;
		return 0;
	}
	if (f.off + f.len <= pl->nlocal) {
		s = pl->local + f.off;
	} else if (f.len <= sizeof(tmp)) {
		if ((r = bt_copy(b, pl, f.off, f.len, tmp)) < 0)
			return r;
		s = tmp;
	} else {
		return bt_bad(); /* a 256+ byte name: not ours */
	}
	size_t n = f.len < klen ? f.len : klen;
	int d = memcmp(s, key, n);
	*cmp = d ? d : f.len < klen ? -1 : f.len > klen;
	return 0;
}

/* Finds the entry whose first field is key in the index B-tree at root
 * (names are unique: the first equal entry is the one). */
static int bt_index_find(const struct bt *b, uint32_t root, const char *key, size_t klen,
			 struct bt_payload *pl)
{
	uint64_t pgno = root;

	for (unsigned depth = 0; depth < BT_MAX_DEPTH; depth++) {
		struct bt_page g;
		int r = bt_load(b, pgno, &g);
		if (r < 0)
			return r;
		if (g.type != 2 && g.type != 10)
			return bt_bad();
		unsigned lo = 0, hi = g.ncell;
		while (lo < hi) {
			unsigned mid = (lo + hi) / 2;
			const uint8_t *c = bt_cell(&g, mid);
			int cmp = 0;
			if (!c)
				return bt_bad();
			if ((r = bt_cmp_first(b, &g, c, key, klen, pl, &cmp)) < 0)
				return r;
			if (cmp == 0)
				return 0; /* pl is this cell's payload */
			if (cmp < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (g.type == 10)
			return -ESRCH;
		if ((r = bt_child(&g, lo, &pgno)) < 0)
			return r;
	}
	return bt_bad();
}

static void bt_cursor_init(struct bt_cursor *cur, uint32_t root)
{
	cur->depth = 0;
	cur->pg[0] = root;
	cur->idx[0] = 0;
	cur->visits = 1;
}

/* The next leaf cell's payload and rowid. Returns 0, -ESRCH at the end. */
static int bt_cursor_next(const struct bt *b, struct bt_cursor *cur, struct bt_payload *pl,
			  int64_t *rowid)
{
	for (unsigned steps = 0; cur->depth >= 0; steps++) {
		struct bt_page g;
		int r = bt_load(b, cur->pg[cur->depth], &g);
		unsigned *i = &cur->idx[cur->depth];
		if (r < 0)
			return r;
		if (g.type == 13) {
			if (*i < g.ncell) {
				const uint8_t *c = bt_cell(&g, (*i)++);
				return c ? bt_payload(b, &g, c, pl, rowid) : bt_bad();
			}
		} else if (g.type == 5) {
			if (*i <= g.ncell) {
				uint64_t child;
				if ((r = bt_child(&g, (*i)++, &child)) < 0)
					return r;
				/* Depth bounds one path; pages pointing back at
				 * each other could still make the walk endless. */
				if (cur->depth + 1 >= BT_MAX_DEPTH || ++cur->visits > b->npages)
					return bt_bad();
				cur->depth++;
				cur->pg[cur->depth] = child;
				cur->idx[cur->depth] = 0;
				continue;
			}
		} else {
			return bt_bad();
		}
		cur->depth--; /* this page is done */
	}
	return -ESRCH;
}

#define BT_META_SQL "CREATE TABLE meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID"

/* Whether text field f of the record is exactly the string want. */
static bool bt_text_is(const struct bt *b, const struct bt_payload *pl, const struct bt_field *f,
		       const char *want)
{
	size_t n = strlen(want);
	char tmp[512];

	if (f->type < 13 || !(f->type & 1) || f->len != n || n > sizeof(tmp))
		return false;
	if (f->off + f->len <= pl->nlocal)
		return memcmp(pl->local + f->off, want, n) == 0;
	return bt_copy(b, pl, f->off, f->len, (uint8_t *)tmp) == 0 && memcmp(tmp, want, n) == 0;
}

/*
 * Opens c for the B-tree path without SQLite: finds our objects in
 * sqlite_schema (the table B-tree on page 1: type, name, tbl_name,
 * rootpage, sql), requires each to be exactly the object this build
 * creates, and reads meta.format, which must be UM_DIRECTORY_FORMAT. A
 * process then never opens an SQLite connection at all (no schema parse:
 * ~0.4 M instructions and SQLite's heap saved per process). Returns false
 * for anything else (an older snapshot, damage), and SQLite decides.
 */
static bool bt_open(struct conn *c)
{
	struct bt *b = &c->bt;
	struct bt_cursor cur;
	struct bt_payload pl;
	struct bt_field f[5];
	uint32_t meta = 0, found = 0;
	int64_t rowid;

	if (!bt_init(b, c->map->addr, c->map->size))
		return false;
	bt_cursor_init(&cur, 1);
	for (int r; (r = bt_cursor_next(b, &cur, &pl, &rowid)) != -ESRCH;) {
		if (r < 0 || bt_fields(&pl, f, 5) < 0)
			return false;
		int64_t root = bt_int(b, &pl, &f[3]);
		if (root < 1 || (uint64_t)root > b->npages)
			continue; /* views, triggers: none of ours */
		if (bt_text_is(b, &pl, &f[1], "meta")) {
			if (!bt_text_is(b, &pl, &f[4], BT_META_SQL))
				return false;
			meta = (uint32_t)root;
			continue;
		}
		for (unsigned i = 0; i < BT_N; i++) {
			if (!bt_text_is(b, &pl, &f[1], bt_object[i][0]))
				continue;
			if (!bt_text_is(b, &pl, &f[4], bt_object[i][1]))
				return false;
			b->root[i] = (uint32_t)root;
			found |= 1u << i;
		}
	}
	if (!meta || found != (1u << BT_N) - 1)
		return false;
	/* meta is WITHOUT ROWID (an index B-tree): (key, value) */
	if (bt_index_find(b, meta, "format", 6, &pl) < 0 || bt_fields(&pl, f, 2) < 0 ||
	    bt_int(b, &pl, &f[1]) != UM_DIRECTORY_FORMAT)
		return false;
	c->fast = true;
	return true;
}

/* passwd_by_name: (name, gid, gecos, dir, shell, uid);
 * passwd: (NULL for the rowid uid, name, gid, gecos, dir, shell). */
static int bt_user(struct conn *c, const struct bt_payload *pl, bool by_name, int64_t rowid,
		   struct um_dir_user *u)
{
	struct bt_field f[6];
	const unsigned idx_by_name[4] = { 0, 2, 3, 4 }, idx_table[4] = { 1, 3, 4, 5 };
	const char *s[4];
	size_t len[4];
	int r;

	if ((r = bt_fields(pl, f, 6)) < 0)
		return r;
	if (by_name) {
		if ((r = bt_id(&c->bt, pl, &f[5], &u->uid)) < 0 ||
		    (r = bt_id(&c->bt, pl, &f[1], &u->gid)) < 0)
			return r;
	} else {
		if (rowid < 0 || rowid >= UINT32_MAX)
			return bt_bad();
		u->uid = (uint32_t)rowid;
		if ((r = bt_id(&c->bt, pl, &f[2], &u->gid)) < 0)
			return r;
	}
	if ((r = bt_texts(&c->bt, &c->scratch, pl, f, by_name ? idx_by_name : idx_table, 4, s,
			  len)) < 0)
		return r;
	u->name = s[0], u->name_len = len[0];
	u->gecos = s[1], u->gecos_len = len[1];
	u->dir = s[2], u->dir_len = len[2];
	u->shell = s[3], u->shell_len = len[3];
	return 0;
}

/* grp: (NULL for the rowid gid, name, nmem, members). With members: both
 * texts as pointers; without: members are left for
 * um_directory_group_members(), which copies them from the file. */
static int bt_group(struct conn *c, const struct bt_payload *pl, int64_t rowid, bool with_members,
		    struct um_dir_group *g)
{
	struct bt_field f[4];
	const unsigned idx[2] = { 1, 3 };
	const char *s[2];
	size_t len[2];
	int r;

	if ((r = bt_fields(pl, f, 4)) < 0)
		return r;
	int64_t n = bt_int(&c->bt, pl, &f[2]);
	if (rowid < 0 || rowid >= UINT32_MAX || n < 0 || n > UINT32_MAX || f[3].type < 13 ||
	    !(f[3].type & 1))
		return bt_bad();
	g->gid = (uint32_t)rowid;
	g->nmem = (uint32_t)n;
	if ((r = bt_texts(&c->bt, &c->scratch, pl, f, idx, with_members ? 2 : 1, s, len)) < 0)
		return r;
	g->name = s[0], g->name_len = len[0];
	g->members = with_members ? s[1] : NULL;
	g->members_len = f[3].len;
	if (!with_members) {
		c->mem_pl = *pl;
		c->mem_f = f[3];
		c->mem_fast = true;
	}
	return 0;
}

static int bt_group_by_gid(struct conn *c, uint32_t gid, struct um_dir_group *g)
{
	struct bt_payload pl;
	int r = bt_table_find(&c->bt, c->bt.root[BT_GRP], gid, &pl);

	return r < 0 ? r : bt_group(c, &pl, gid, false, g);
}

/* grp_by_name: (name, nmem, gid); then the row itself for the members. */
static int bt_group_by_name(struct conn *c, const char *name, struct um_dir_group *g)
{
	struct bt_payload pl;
	struct bt_field f[3];
	uint32_t gid = 0;
	int r;

	if ((r = bt_index_find(&c->bt, c->bt.root[BT_GRP_BY_NAME], name, strlen(name), &pl)) < 0 ||
	    (r = bt_fields(&pl, f, 3)) < 0 || (r = bt_id(&c->bt, &pl, &f[2], &gid)) < 0)
		return r;
	r = bt_group_by_gid(c, gid, g);
	return r == -ESRCH ? bt_bad() : r; /* the index points at no row */
}

/* usergroups (WITHOUT ROWID, an index B-tree): (name, gids). */
static int bt_user_gids(struct conn *c, const char *name, const uint8_t **ret, size_t *ret_len)
{
	struct bt_payload pl;
	struct bt_field f[2];
	int r;

	if ((r = bt_index_find(&c->bt, c->bt.root[BT_USERGROUPS], name, strlen(name), &pl)) < 0 ||
	    (r = bt_fields(&pl, f, 2)) < 0)
		return r;
	if (f[1].type < 12 || (f[1].type & 1))
		return um_fail(-EBADMSG, "bad gid list in the snapshot");
	*ret_len = f[1].len;
	if (f[1].off + f[1].len <= pl.nlocal) {
		*ret = pl.local + f[1].off;
		return 0;
	}
	if ((r = scratch_reserve(&c->scratch, f[1].len)) < 0 ||
	    (r = bt_copy(&c->bt, &pl, f[1].off, f[1].len, c->scratch.buf)) < 0)
		return r;
	*ret = c->scratch.buf;
	return 0;
}

/*
 * The snapshot's meta.format must be one this build reads: the current
 * one, or format 1 (the same tables without the covering indexes and with
 * UNIQUE name columns), read through SQLite, so that a reader upgraded
 * before the next publish keeps answering. The publisher always writes the
 * current format, and rebuilds (never patches) a snapshot of another one.
 */
#define UM_DIRECTORY_FORMAT_OLDEST 1

static int conn_verify(struct conn *c)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(c->db, "SELECT value FROM meta WHERE key = 'format'", -1, &st,
				    NULL);
	if (rc != SQLITE_OK)
		return sqlite_to_um(c->db, rc, "meta");
	rc = sqlite3_step(st);
	int r;
	if (rc == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(st, 0);
		char want[16], oldest[16];
		snprintf(want, sizeof(want), "%d", UM_DIRECTORY_FORMAT);
		snprintf(oldest, sizeof(oldest), "%d", UM_DIRECTORY_FORMAT_OLDEST);
		r = v && (strcmp(v, want) == 0 || strcmp(v, oldest) == 0)
			    ? 0
			    : um_fail(-EBADMSG, "snapshot format %s, this build reads %s..%s",
				      v ? v : "NULL", oldest, want);
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
	c->active = -1;
	lock(&pool.lock);
	m->refs++;
	verdict = m->verdict;
	unlock(&pool.lock);
	c->map = m;
	if (verdict < 0) {
		r = verdict;
		goto fail;
	}
	if (bt_open(c)) {
		if (verdict == 0) {
			lock(&pool.lock);
			m->verdict = 1;
			unlock(&pool.lock);
		}
		*ret = c;
		return 0;
	}

	/* Not a snapshot we walk ourselves (format 1, or damaged): SQLite. */
	rc = sqlite3_open_v2(":memory:", &c->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
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
	/*
	 * One read transaction for the connection's whole life (the verify
	 * below takes its shared lock, COMMIT never comes): the bytes under
	 * it never change, and every lookup then skips beginning and ending a
	 * transaction, reading page 1 and checking the schema cookie, and
	 * SQLite keeps its page headers instead of freeing and allocating
	 * them per statement. Measured: ~1.5k of 15k instructions a hit.
	 */
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(c->db, "BEGIN", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		r = sqlite_to_um(c->db, rc, "open");
		goto fail;
	}
	r = conn_verify(c); /* also opens the read transaction */
	if (verdict == 0) {
		lock(&pool.lock);
		m->verdict = r < 0 ? r : 1;
		unlock(&pool.lock);
	}
	if (r < 0)
		goto fail;
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

/* Locks a pool slot: the thread's own if free, else any free one, else
 * waits for its own. */
static struct um_directory *slot_lock(void)
{
	if (my_slot < 0)
		my_slot = (int)(atomic_fetch_add(&next_slot, 1) % POOL_SLOTS);
	for (size_t k = 0; k < POOL_SLOTS; k++) {
		struct um_directory *c = &pool.slots[((size_t)my_slot + k) % POOL_SLOTS];
		if (pthread_mutex_trylock(&c->lock) == 0)
			return c;
	}
	lock(&pool.slots[my_slot].lock);
	return &pool.slots[my_slot];
}

int um_directory_acquire(struct um_directory **ret)
{
	struct mapping *m = NULL;
	struct um_directory *s;
	int r;

	um_directory_init();
	refresh();
	s = slot_lock();
	/*
	 * The hit path: the slot's connection is on the current mapping. It
	 * holds its own reference, so the mapping cannot go away and pointer
	 * equality means the very same one: no global lock, no shared counter
	 * written, nothing but this slot's own line.
	 */
	if (s->conn && s->conn->map == load_current()) {
		*ret = s;
		return 0;
	}
	r = current_ref(&m);
	if (r < 0) {
		unlock(&s->lock);
		return r;
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
		/* Only the statement used (resetting unused ones costs too). */
		if (d->conn->active >= 0) {
			sqlite3_reset(d->conn->st[d->conn->active]);
			d->conn->active = -1;
		}
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

/* gid, nmem, name and, if with_members, members (column 3). */
static int fill_group(sqlite3_stmt *st, struct um_dir_group *g, bool with_members)
{
	int r;
	sqlite3_int64 n = sqlite3_column_int64(st, 1);

	if ((r = col_id(st, 0, &g->gid)) < 0 || (r = col_text(st, 2, &g->name, &g->name_len)) < 0)
		return r;
	if (n < 0 || n > UINT32_MAX)
		return um_fail(-EBADMSG, "bad member count in the snapshot");
	g->nmem = (uint32_t)n;
	g->members = NULL;
	g->members_len = 0;
	if (with_members)
		return col_text(st, 3, &g->members, &g->members_len);
	return 0;
}

/* Points the connection's blob handle at grp.members of gid; sets g's
 * members_len (bytes, without NUL). */
static int members_seek(struct conn *c, struct um_dir_group *g)
{
	int rc = c->members ? sqlite3_blob_reopen(c->members, g->gid)
			    : sqlite3_blob_open(c->db, "main", "grp", "members", g->gid, 0,
						&c->members);

	if (rc != SQLITE_OK) {
		/* A failed handle is aborted for good: start over next time. */
		int r = sqlite_to_um(c->db, rc, "members");
		sqlite3_blob_close(c->members);
		c->members = NULL;
		return r;
	}
	int n = sqlite3_blob_bytes(c->members);
	if (n < 0)
		return um_fail(-EBADMSG, "bad member list in the snapshot");
	g->members_len = (size_t)n;
	return 0;
}

int um_directory_group_members(struct um_directory *d, char *dest)
{
	struct conn *c = d->conn;

	if (c->fast) {
		int r = c->mem_fast ? bt_copy(&c->bt, &c->mem_pl, c->mem_f.off, c->mem_f.len,
					      (uint8_t *)dest)
				    : -EINVAL;
		if (r == 0)
			dest[c->mem_f.len] = '\0';
		return r;
	}
	int n = c->members ? sqlite3_blob_bytes(c->members) : 0;

	if (n > 0) {
		int rc = sqlite3_blob_read(c->members, dest, n, 0);
		if (rc != SQLITE_OK)
			return sqlite_to_um(c->db, rc, "members");
	}
	dest[n] = '\0';
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
	if (d->conn->active >= 0)
		sqlite3_reset(d->conn->st[d->conn->active]);
	d->conn->active = (int)id;
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
	if (d->conn->fast) {
		struct bt_payload pl;
		r = bt_index_find(&d->conn->bt, d->conn->bt.root[BT_PASSWD_BY_NAME], name,
				  strlen(name), &pl);
		return r < 0 ? r : bt_user(d->conn, &pl, true, 0, ret);
	}
	if ((r = lookup(d, ST_USER_BY_NAME, name, 0, &st)) < 0)
		return r;
	return fill_user(st, ret);
}

int um_directory_user_by_uid(struct um_directory *d, uint32_t uid, struct um_dir_user *ret)
{
	sqlite3_stmt *st;
	int r;

	if (d->conn->fast) {
		struct bt_payload pl;
		r = bt_table_find(&d->conn->bt, d->conn->bt.root[BT_PASSWD], uid, &pl);
		return r < 0 ? r : bt_user(d->conn, &pl, false, uid, ret);
	}
	if ((r = lookup(d, ST_USER_BY_UID, NULL, uid, &st)) < 0)
		return r;
	return fill_user(st, ret);
}

int um_directory_group_by_name(struct um_directory *d, const char *name, struct um_dir_group *ret)
{
	sqlite3_stmt *st;
	int r;

	if (!name)
		return -EINVAL;
	d->conn->mem_fast = false;
	if (d->conn->fast)
		return bt_group_by_name(d->conn, name, ret);
	if ((r = lookup(d, ST_GROUP_BY_NAME, name, 0, &st)) < 0 ||
	    (r = fill_group(st, ret, false)) < 0)
		return r;
	return members_seek(d->conn, ret);
}

int um_directory_group_by_gid(struct um_directory *d, uint32_t gid, struct um_dir_group *ret)
{
	sqlite3_stmt *st;
	int r;

	d->conn->mem_fast = false;
	if (d->conn->fast)
		return bt_group_by_gid(d->conn, gid, ret);
	if ((r = lookup(d, ST_GROUP_BY_GID, NULL, gid, &st)) < 0 ||
	    (r = fill_group(st, ret, false)) < 0)
		return r;
	return members_seek(d->conn, ret);
}

int um_directory_user_gids(struct um_directory *d, const char *name,
			   int (*fn)(uint32_t gid, void *userdata), void *userdata)
{
	sqlite3_stmt *st;
	int r;

	const unsigned char *p = NULL;
	size_t n = 0;

	if (!name || !fn)
		return -EINVAL;
	if (d->conn->fast) {
		if ((r = bt_user_gids(d->conn, name, &p, &n)) < 0)
			return r;
	} else {
		if ((r = lookup(d, ST_USER_GIDS, name, 0, &st)) < 0)
			return r;
		p = sqlite3_column_blob(st, 0);
		n = (size_t)sqlite3_column_bytes(st, 0);
	}
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
	if (r >= 0 && it->conn->fast)
		bt_cursor_init(&it->cur,
			       it->conn->bt.root[kind == UM_DIRECTORY_USERS ? BT_PASSWD : BT_GRP]);
	else if (r >= 0)
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
	if (it->conn->fast) {
		int r = bt_cursor_next(&it->conn->bt, &it->cur, &it->pl, &it->rowid);
		if (r < 0) {
			it->done = true; /* the end, or a corrupt file: stop either way */
			return r;
		}
		it->pending = true;
		return 0;
	}
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
	if (it->conn->fast)
		return bt_user(it->conn, &it->pl, false, it->rowid, ret);
	return fill_user(it->st, ret);
}

int um_directory_iter_group(struct um_directory_iter *it, struct um_dir_group *ret)
{
	int r;

	if (it->kind != UM_DIRECTORY_GROUPS)
		return -EINVAL;
	if ((r = iter_row(it)) < 0)
		return r;
	if (it->conn->fast)
		return bt_group(it->conn, &it->pl, it->rowid, true, ret);
	return fill_group(it->st, ret, true);
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

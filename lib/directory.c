/* SPDX-License-Identifier: MIT */
/*
 * umgmt core: the snapshot reader behind libnss_umgmt.so.2.
 *
 * Self-contained: libc and pthreads only (no SQLite, no libsodium, no
 * configuration file). The format is lib/snapshot-format.h (docs/NSS.md).
 *
 * Design, and why:
 *
 * - Where. The snapshot is at the compile-time UM_DIRECTORY_PATH. A test
 *   may point a process elsewhere with $UMGMT_DIRECTORY, read with
 *   secure_getenv() so that a setuid/setgid program (su, passwd, a screen
 *   locker's helper) never takes the path from its caller. The file is
 *   trusted only if it is a regular file owned by root (or by the caller,
 *   when the path came from the environment) and not group/world-writable:
 *   otherwise whoever can write it could hand out uid 0.
 *
 * - No file descriptor is ever kept. The snapshot is opened O_CLOEXEC,
 *   fstat()ed, mmap()ed read-only (MAP_SHARED: the page cache is shared
 *   with every other process) and the descriptor is closed at once: a
 *   host that closes all its fds cannot break us, and nothing leaks into
 *   children. The publisher never writes a snapshot in place (temp file,
 *   rename), so the inode we mapped never changes under us (a root who
 *   truncates it in place would make readers fault; nobody else can).
 *
 * - Checked once, then trusted as far as it was checked. At map time the
 *   header (magic, format, its checksum, the file size: a truncated file
 *   is refused), the bounds of every section and the pool are checked;
 *   the verdict is cached with the mapping. Every record is checked again
 *   (bounds and checksum) each time it is served, and every offset read
 *   from the file is bounds-checked before use; probes are bounded by the
 *   table size. A damaged record answers -EBADMSG (NSS: UNAVAIL), never
 *   wrong data, never a read outside the mapping.
 *
 * - The hit path: a hash of the name (or a mix of the id), one or two
 *   8-byte slots, the record, its checksum, done. No allocation, no
 *   system call, no lock but the slot's own uncontended mutex.
 *
 * - New snapshots. Publishing renames a new inode into place. At most once
 *   a second per process (CLOCK_MONOTONIC_COARSE, read through the vDSO,
 *   so the check costs no system call in between) one thread stat()s the
 *   path and compares st_dev/st_ino/st_size/st_mtim/st_ctim with the mapping's; if
 *   they differ it maps the new file, which becomes current. A long-lived
 *   process may thus answer from a snapshot up to one second old. That
 *   never lets anyone in: PAM decides from the truth, not from NSS. A
 *   missing or broken snapshot is likewise cached for a second, so a
 *   lookup storm costs one stat() a second.
 *
 * - Threads. A pool of POOL_SLOTS holds on the current mapping, each
 *   behind its own mutex (one cache line each). A thread prefers "its"
 *   slot (a thread-local index handed out round robin), trylocks it, then
 *   tries the others, and only then blocks on its own: readers are never
 *   serialised behind one global lock. The global lock guards only the
 *   current mapping pointer and reference counts.
 *
 * - Pinning. Mappings are reference counted (the pool's "current" plus
 *   every slot and iterator on it). When a new snapshot becomes current,
 *   idle slots on older ones let go at once and busy ones when they are
 *   released, so an idle process pins at most the current snapshot plus
 *   what an unfinished enumeration holds until endpwent()/endgrent().
 *
 * - Fork. The pthread_atfork() prepare handler takes the refresh lock,
 *   every slot and the global lock (waiting for in-flight lookups, which
 *   take nanoseconds), and the child re-initialises them: the child never
 *   inherits a lock held by a thread that does not exist there. Callers
 *   that keep their own locks around directory calls (the NSS
 *   enumeration) call um_directory_init() first and register their
 *   handlers after ours, so that their prepare handler runs first (lock
 *   order: theirs, then ours).
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>

#include "snapshot-format.h"
#include "snapshot-read.h"
#include "umgmt/common.h"
#include "umgmt/directory.h"

#define POOL_SLOTS 4
#define CHECK_INTERVAL_NS 1000000000LL

/* ------------------------------------------------------------------------
 * CRC-32C (Castagnoli), the format's checksum: with the SSE 4.2 crc32
 * instruction where the CPU has it (8 bytes an instruction), else a table.
 * ---------------------------------------------------------------------- */

static uint32_t crc_table[256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;
static bool crc_hw;
static bool crc_ready; /* read with acquire: set once crc_init() is done */

static void crc_init_shift(void);

static void crc_init(void)
{
	crc_init_shift();
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0x82f63b78u : c >> 1;
		crc_table[i] = c;
	}
#if defined(__x86_64__)
	__builtin_cpu_init();
	crc_hw = __builtin_cpu_supports("sse4.2");
#endif
	__atomic_store_n(&crc_ready, true, __ATOMIC_RELEASE);
}

static uint32_t crc_sw(uint32_t c, const uint8_t *p, size_t n)
{
	while (n--)
		c = crc_table[(c ^ *p++) & 0xff] ^ (c >> 8);
	return c;
}

/*
 * CRC registers are linear over GF(2): the register after A then B is the
 * register after A "shifted" over |B| zero bytes (multiplied by x^(8|B|)
 * modulo the polynomial) xor the register of B alone from zero. So a long
 * buffer is cut in three and the three run at once: the crc32 instruction
 * takes 3 cycles but issues one a cycle, so one chain leaves it two-thirds
 * idle (a 50,000-member group, 550 KB: 3x faster).
 */
#define CRC_POLY 0x82f63b78u
static uint32_t crc_x2n[32]; /* x^(2^k) mod P, reflected */

/* a * b modulo P, both reflected (bit 31 is x^0). */
static uint32_t crc_mul(uint32_t a, uint32_t b)
{
	uint32_t m = 1u << 31, p = 0;

	for (;;) {
		if (a & m) {
			p ^= b;
			if ((a & (m - 1)) == 0)
				break;
		}
		m >>= 1;
		b = b & 1 ? (b >> 1) ^ CRC_POLY : b >> 1;
	}
	return p;
}

/* The register c shifted over n zero bytes. */
static uint32_t crc_shift(uint32_t c, size_t n)
{
	uint32_t x = 1u << 31; /* x^0 */

	for (unsigned k = 3; n; n >>= 1, k++) /* x^(8n): bit j of n is x^(2^(j+3)) */
		if (n & 1)
			x = crc_mul(crc_x2n[k & 31], x);
	return crc_mul(x, c);
}

static void crc_init_shift(void)
{
	uint32_t p = 1u << 30; /* x^1 */

	for (int k = 0; k < 32; k++) {
		crc_x2n[k] = p;
		p = crc_mul(p, p);
	}
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) static uint64_t crc_x86_run(uint64_t c, const uint8_t *p,
							      size_t n)
{
	uint64_t w;

	for (; n >= 8; p += 8, n -= 8) {
		memcpy(&w, p, 8);
		c = __builtin_ia32_crc32di(c, w);
	}
	for (; n; n--)
		c = __builtin_ia32_crc32qi((uint32_t)c, *p++);
	return c;
}

#define CRC_3WAY_MIN 4096
__attribute__((target("sse4.2"))) static uint32_t crc_x86(uint32_t c, const uint8_t *p, size_t n)
{
	if (n >= CRC_3WAY_MIN) {
		size_t third = n / 3 & ~(size_t)7;
		uint64_t a = c, b = 0, d = 0, w;
		const uint8_t *pb = p + third, *pd = p + 2 * third;

		for (size_t i = 0; i < third; i += 8) {
			memcpy(&w, p + i, 8);
			a = __builtin_ia32_crc32di(a, w);
			memcpy(&w, pb + i, 8);
			b = __builtin_ia32_crc32di(b, w);
			memcpy(&w, pd + i, 8);
			d = __builtin_ia32_crc32di(d, w);
		}
		c = crc_shift(crc_shift((uint32_t)a, third) ^ (uint32_t)b, third) ^ (uint32_t)d;
		p += 3 * third;
		n -= 3 * third;
	}
	return (uint32_t)crc_x86_run(c, p, n);
}
#endif

uint32_t um_snap_crc(uint32_t seed, const void *data, size_t n)
{
	uint32_t c = ~seed;

	if (!__atomic_load_n(&crc_ready, __ATOMIC_ACQUIRE))
		pthread_once(&crc_once, crc_init);
#if defined(__x86_64__)
	if (crc_hw)
		return ~crc_x86(c, data, n);
#endif
	return ~crc_sw(c, data, n);
}

/* ------------------------------------------------------------------------
 * The format: checking and decoding an image in memory.
 * ---------------------------------------------------------------------- */

static int bad(const char *what)
{
	return um_fail(-EBADMSG, "the snapshot is damaged: %s", what);
}

/* Whether [off, off + len) lies in [lo, hi), in 64-bit arithmetic. */
static bool inside(uint64_t off, uint64_t len, uint64_t lo, uint64_t hi)
{
	return off >= lo && off <= hi && len <= hi - off;
}

static int section(const uint8_t *h, size_t size, unsigned at, uint32_t *ret_off, uint32_t *ret_end)
{
	uint32_t off = um_rd32(h + at), len = um_rd32(h + at + 4);

	if (off % 4 || !inside(off, len, UM_SNAP_HEADER_SIZE, size))
		return bad("a section lies outside the file");
	*ret_off = off;
	*ret_end = off + len;
	return 0;
}

static int table(const uint8_t *h, size_t size, unsigned at, uint32_t slots, uint32_t *ret)
{
	uint32_t off = um_rd32(h + at);

	if (off % 4 || !inside(off, 8 * (uint64_t)slots, UM_SNAP_HEADER_SIZE, size))
		return bad("a table lies outside the file");
	*ret = off;
	return 0;
}

int um_snap_open(const void *base, size_t size, struct um_snap *ret)
{
	const uint8_t *h = base;
	struct um_snap s = { .base = h, .size = size };
	int r;

	if (size < UM_SNAP_HEADER_SIZE || memcmp(h, UM_SNAP_MAGIC, 8) != 0)
		return um_fail(-EBADMSG, "the file is not an umgmt snapshot");
	s.format = um_rd32(h + UM_SNAP_H_FORMAT);
	if (s.format < UM_SNAP_FORMAT_OLDEST || s.format > UM_SNAP_FORMAT)
		return um_fail(-EBADMSG, "the snapshot has format %u; this reader reads %u to %u",
			       s.format, UM_SNAP_FORMAT_OLDEST, UM_SNAP_FORMAT);
	if (um_rd32(h + UM_SNAP_H_HEADER_SIZE) != UM_SNAP_HEADER_SIZE ||
	    um_rd32(h + UM_SNAP_H_CHECK) != um_snap_crc(UM_SNAP_SEED_HEADER, h, UM_SNAP_H_CHECK))
		return bad("the header's checksum does not match");
	if (um_rd64(h + UM_SNAP_H_FILE_SIZE) != size)
		return um_fail(-EBADMSG, "the snapshot is %zu bytes but its header says %llu", size,
			       (unsigned long long)um_rd64(h + UM_SNAP_H_FILE_SIZE));
	s.generation = um_rd64(h + UM_SNAP_H_GENERATION);
	s.published_at = um_rd64(h + UM_SNAP_H_PUBLISHED_AT);
	s.n_users = um_rd32(h + UM_SNAP_H_N_USERS);
	s.n_groups = um_rd32(h + UM_SNAP_H_N_GROUPS);
	s.uslots = um_rd32(h + UM_SNAP_H_USER_SLOTS);
	s.gslots = um_rd32(h + UM_SNAP_H_GROUP_SLOTS);
	if (s.uslots <= s.n_users || s.gslots <= s.n_groups)
		return bad("a table is too small for its records");
	uint32_t pool_end;
	if ((r = section(h, size, UM_SNAP_H_POOL, &s.pool, &pool_end)) < 0 ||
	    (r = section(h, size, UM_SNAP_H_USERS, &s.users, &s.users_end)) < 0 ||
	    (r = section(h, size, UM_SNAP_H_GROUPS, &s.groups, &s.groups_end)) < 0 ||
	    (r = table(h, size, UM_SNAP_H_USER_BY_NAME, s.uslots, &s.ubn)) < 0 ||
	    (r = table(h, size, UM_SNAP_H_USER_BY_UID, s.uslots, &s.ubu)) < 0 ||
	    (r = table(h, size, UM_SNAP_H_GROUP_BY_NAME, s.gslots, &s.gbn)) < 0 ||
	    (r = table(h, size, UM_SNAP_H_GROUP_BY_GID, s.gslots, &s.gbg)) < 0)
		return r;
	s.base_generation = um_rd64(h + UM_SNAP_H_BASE_GENERATION);
	s.base_check = um_rd32(h + UM_SNAP_H_BASE_CHECK);
	if (s.base_generation) {
		uint32_t t, t_end;
		if ((r = section(h, size, UM_SNAP_H_TOUCHED, &t, &t_end)) < 0)
			return r;
		if (t_end - t < 8)
			return bad("the touched ids are cut short");
		s.n_touched_uids = um_rd32(h + t);
		if (s.n_touched_uids > (t_end - t - 8) / 4)
			return bad("the touched ids are cut short");
		s.touched_uids = t + 4;
		s.touched_gids = s.touched_uids + 4 * s.n_touched_uids + 4;
		s.n_touched_gids = um_rd32(h + s.touched_gids - 4);
		if (s.n_touched_gids > (t_end - s.touched_gids) / 4)
			return bad("the touched ids are cut short");
	} else if (um_rd32(h + UM_SNAP_H_TOUCHED + 4) != 0) {
		return bad("a standalone snapshot with touched ids");
	}
	s.pool_len = pool_end - s.pool;
	if (s.pool_len < 4 || um_rd32(h + UM_SNAP_H_POOL_CHECK) !=
				      um_snap_crc(UM_SNAP_SEED_POOL, h + s.pool, s.pool_len))
		return bad("the string pool's checksum does not match");
	s.pool_count = um_rd32(h + s.pool);
	if (s.pool_count > UM_SNAP_INLINE || s.pool_count > (s.pool_len - 4) / 4)
		return bad("the string pool is too short");
	for (uint32_t i = 0; i < s.pool_count; i++) {
		uint32_t o = um_rd32(h + s.pool + 4 + 4 * i);
		if (!inside(o, 2, 0, s.pool_len) ||
		    !inside(o + 2, um_rd16(h + s.pool + o) + 1u, 0, s.pool_len))
			return bad("a pool string lies outside the pool");
	}
	*ret = s;
	return 0;
}

/* Pool string i (checked at open: i < pool_count is all it takes). */
static bool pool_str(const struct um_snap *s, uint32_t i, const char **p, size_t *n)
{
	if (i >= s->pool_count)
		return false;
	uint32_t o = s->pool + um_rd32(s->base + s->pool + 4 + 4 * i);
	*n = um_rd16(s->base + o);
	*p = (const char *)s->base + o + 2;
	return true;
}

uint32_t um_snap_check(const struct um_snap *s)
{
	return um_rd32(s->base + UM_SNAP_H_CHECK);
}

/* Whether the ascending u32 array at off (n of them) holds k. */
static bool holds(const struct um_snap *s, uint32_t off, uint32_t n, uint32_t k)
{
	uint32_t lo = 0, hi = n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2, v = um_rd32(s->base + off + 4 * (size_t)mid);
		if (v == k)
			return true;
		if (v < k)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

bool um_snap_touched_uid(const struct um_snap *s, uint32_t uid)
{
	return s->n_touched_uids && holds(s, s->touched_uids, s->n_touched_uids, uid);
}

bool um_snap_touched_gid(const struct um_snap *s, uint32_t gid)
{
	return s->n_touched_gids && holds(s, s->touched_gids, s->n_touched_gids, gid);
}

/* The user record at off, its checksum checked. */
static inline int user_at(const struct um_snap *s, uint32_t off, struct um_dir_user *u,
			  uint32_t *next)
{
	const uint8_t *b = s->base, *r = b + off;
	uint64_t end, q;

	if (off % 4 || !inside(off, UM_SNAP_U_GIDS, s->users, s->users_end))
		return bad("a user record lies outside its section");
	uint32_t ngids = um_rd32(r + UM_SNAP_U_NGIDS);
	uint16_t gecos_len = um_rd16(r + UM_SNAP_U_GECOS_LEN),
		 dir_len = um_rd16(r + UM_SNAP_U_DIR_LEN);
	uint16_t shell = um_rd16(r + UM_SNAP_U_SHELL), prefix = um_rd16(r + UM_SNAP_U_DIR_PREFIX);

	q = (uint64_t)off + UM_SNAP_U_GIDS + 4 * (uint64_t)ngids;
	u->gids = r + UM_SNAP_U_GIDS;
	u->name = (const char *)b + q;
	u->name_len = r[UM_SNAP_U_NAME_LEN];
	q += u->name_len + 1u;
	u->gecos = (const char *)b + q;
	u->gecos_len = gecos_len;
	q += gecos_len + 1u;
	if (dir_len != UM_SNAP_DIR_DERIVED) {
		u->dir = (const char *)b + q;
		u->dir_len = dir_len;
		q += dir_len + 1u;
	}
	if (shell == UM_SNAP_INLINE) {
		if (!inside(q, 2, s->users, s->users_end))
			return bad("a user record overruns its section");
		u->shell_len = um_rd16(b + q);
		u->shell = (const char *)b + q + 2;
		q += 2 + u->shell_len + 1;
	}
	end = (q + 3) & ~(uint64_t)3;
	if (!inside(off, end - off, s->users, s->users_end))
		return bad("a user record overruns its section");
	if (um_rd32(r) != um_snap_crc(UM_SNAP_SEED_USER, r + 4, (size_t)(end - off - 4)))
		return bad("a user record's checksum does not match");
	if (shell != UM_SNAP_INLINE && !pool_str(s, shell, &u->shell, &u->shell_len))
		return bad("a user's shell is not in the pool");
	if (dir_len == UM_SNAP_DIR_DERIVED) {
		if (!pool_str(s, prefix, &u->dir, &u->dir_len))
			return bad("a user's home is not in the pool");
		u->dir_tail = u->name;
		u->dir_tail_len = u->name_len;
	} else {
		u->dir_tail = u->dir + u->dir_len;
		u->dir_tail_len = 0;
	}
	u->uid = um_rd32(r + UM_SNAP_U_UID);
	u->gid = um_rd32(r + UM_SNAP_U_GID);
	u->ngids = ngids;
	if (next)
		*next = (uint32_t)end;
	return 0;
}

int um_snap_user_at(const struct um_snap *s, uint32_t off, struct um_dir_user *u, uint32_t *next)
{
	return user_at(s, off, u, next);
}

/*
 * The group record at off, its bounds checked; its CRC only if check. A
 * look-up defers the CRC to um_directory_group_members(), which a caller
 * reaches only once its buffer is big enough: a caller whose buffer is too
 * small (glibc starts with 1 KiB and doubles) is told so without a
 * checksum of a 550 KB record per try, and nothing of the record is served
 * before its CRC is checked.
 */
static int group_at(const struct um_snap *s, uint32_t off, struct um_dir_group *g, uint32_t *next,
		    bool check)
{
	const uint8_t *r = s->base + off;
	uint64_t end;

	if (off % 4 || !inside(off, UM_SNAP_G_LENS, s->groups, s->groups_end))
		return bad("a group record lies outside its section");
	uint32_t nmem = um_rd32(r + UM_SNAP_G_NMEM), mlen = um_rd32(r + UM_SNAP_G_MEMBERS_LEN);
	uint16_t name_len = um_rd16(r + UM_SNAP_G_NAME_LEN);

	end = ((uint64_t)off + UM_SNAP_G_LENS + nmem + name_len + 1 + mlen + 3) & ~(uint64_t)3;
	if (!inside(off, end - off, s->groups, s->groups_end))
		return bad("a group record overruns its section");
	if (check && um_rd32(r) != um_snap_crc(UM_SNAP_SEED_GROUP, r + 4, (size_t)(end - off - 4)))
		return bad("a group record's checksum does not match");
	g->gid = um_rd32(r + UM_SNAP_G_GID);
	g->nmem = nmem;
	g->members_len = mlen;
	g->name = (const char *)r + UM_SNAP_G_LENS + nmem;
	g->name_len = name_len;
	g->snap_ = s;
	g->rec_ = off;
	g->size_ = (uint32_t)(end - off);
	g->checked_ = check;
	if (next)
		*next = (uint32_t)end;
	return 0;
}

int um_snap_group_at(const struct um_snap *s, uint32_t off, struct um_dir_group *g, uint32_t *next)
{
	return group_at(s, off, g, next, true);
}

static int group_head_at(const struct um_snap *s, uint32_t off, struct um_dir_group *g,
			 uint32_t *next)
{
	return group_at(s, off, g, next, false);
}

/*
 * The record's CRC is checked here if the look-up deferred it (group_at):
 * then its lengths and names are the writer's. Still, no pointer may leave the
 * caller's buffer whatever the bytes: the lengths must add up to
 * members_len and the last byte must be a NUL, so that every name ends
 * inside dest.
 */
int um_directory_group_members(const struct um_dir_group *g, char *dest, size_t len, char **mem)
{
	const struct um_snap *s = g->snap_;
	const uint8_t *lens = s->base + g->rec_ + UM_SNAP_G_LENS;
	const char *names = g->name + g->name_len + 1;
	size_t at = 0;

	if (g->members_len > len)
		return -ERANGE;
	if (!g->checked_ &&
	    um_rd32(s->base + g->rec_) !=
		    um_snap_crc(UM_SNAP_SEED_GROUP, s->base + g->rec_ + 4, g->size_ - 4))
		return bad("a group record's checksum does not match");
	memcpy(dest, names, g->members_len);
	for (uint32_t i = 0; i < g->nmem; i++) {
		mem[i] = dest + at;
		at += lens[i] + 1u;
	}
	mem[g->nmem] = NULL;
	if (at != g->members_len || (at && dest[at - 1] != '\0'))
		return bad("a group's member list");
	return 0;
}

/* A record of ~80 bytes spans two cache lines: ask for the second while
 * the first is fetched, so that a lookup on a cold part of a big file
 * waits for one miss there, not two in a row. A prefetch never faults,
 * whatever the offset. */
#define RECORD_PREFETCH(s, ref) __builtin_prefetch((s)->base + (size_t)(ref) + 64)

/* Probes table t (slots slots) for key, starting at start; calls found on
 * each slot whose key matches until it returns <= 0 (0: the record is the
 * one). Returns 0, -ESRCH, or found's error. */
#define PROBE(s, t, slots, key, start, found)                                                      \
	do {                                                                                       \
		uint32_t i_ = (start);                                                             \
		for (uint32_t n_ = 0; n_ < (slots); n_++) {                                        \
			const uint8_t *sl_ = (s)->base + (t) + 8 * (size_t)i_;                     \
			uint32_t ref_ = um_rd32(sl_ + 4);                                          \
			if (ref_ == 0)                                                             \
				return -ESRCH;                                                     \
			if (um_rd32(sl_) == (key)) {                                               \
				RECORD_PREFETCH(s, ref_);                                          \
				int r_ = found(ref_);                                              \
				if (r_ <= 0)                                                       \
					return r_;                                                 \
			}                                                                          \
			i_ = i_ + 1 == (slots) ? 0 : i_ + 1;                                       \
		}                                                                                  \
		return -ESRCH;                                                                     \
	} while (0)

/*
 * The key of the record a slot points at, read before the record's CRC is
 * computed, so that only the record that is the answer is checksummed (a
 * crafted table of slots all pointing at one big record of another key
 * would otherwise cost a CRC of it per slot). Bounds-checked like the
 * record itself; false when the slot points outside the section.
 */
static inline bool user_name_at(const struct um_snap *s, uint32_t off, const char **name,
				size_t *len)
{
	const uint8_t *r = s->base + off;

	if (off % 4 || !inside(off, UM_SNAP_U_GIDS, s->users, s->users_end))
		return false;
	uint64_t at = (uint64_t)off + UM_SNAP_U_GIDS + 4 * (uint64_t)um_rd32(r + UM_SNAP_U_NGIDS);
	*len = r[UM_SNAP_U_NAME_LEN];
	if (!inside(at, *len, s->users, s->users_end))
		return false;
	*name = (const char *)s->base + at;
	return true;
}

static inline bool group_name_at(const struct um_snap *s, uint32_t off, const char **name,
				 size_t *len)
{
	const uint8_t *r = s->base + off;

	if (off % 4 || !inside(off, UM_SNAP_G_LENS, s->groups, s->groups_end))
		return false;
	uint64_t at = (uint64_t)off + UM_SNAP_G_LENS + um_rd32(r + UM_SNAP_G_NMEM);
	*len = um_rd16(r + UM_SNAP_G_NAME_LEN);
	if (!inside(at, *len, s->groups, s->groups_end))
		return false;
	*name = (const char *)s->base + at;
	return true;
}

/* An id slot whose record holds another id is damage, not a collision. */
static inline bool id_at(const struct um_snap *s, uint32_t off, uint32_t lo, uint32_t hi,
			 uint32_t id)
{
	return off % 4 == 0 && inside(off, 8, lo, hi) && um_rd32(s->base + off + 4) == id;
}

/*
 * A probe by name. A slot whose name hash matches but whose record holds
 * another name is a collision, or a record whose name was damaged: the
 * first such record is checked (its CRC) only if no record answers, so a
 * damaged name gives UNAVAIL, not NOTFOUND, at the cost of one CRC for the
 * rare miss that meets a colliding hash.
 */
#define PROBE_NAME(s, t, slots, name, len, name_at, record_at, check_at, ret, scratch)             \
	do {                                                                                       \
		uint32_t h_ = um_snap_hash(UM_SNAP_SEED_NAME, name, len);                          \
		uint32_t i_ = um_snap_slot(h_, slots), suspect_ = 0;                               \
		for (uint32_t n_ = 0; n_ < (slots); n_++) {                                        \
			const uint8_t *sl_ = (s)->base + (t) + 8 * (size_t)i_;                     \
			uint32_t ref_ = um_rd32(sl_ + 4);                                          \
			const char *nm_;                                                           \
			size_t nl_;                                                                \
			if (ref_ == 0)                                                             \
				break;                                                             \
			if (um_rd32(sl_) == h_) {                                                  \
				RECORD_PREFETCH(s, ref_);                                          \
				if (!name_at(s, ref_, &nm_, &nl_))                                 \
					return bad("a table points outside its records");          \
				if (nl_ == (len) && !memcmp(nm_, name, len))                       \
					return record_at(s, ref_, ret, NULL);                      \
				if (!suspect_)                                                     \
					suspect_ = ref_;                                           \
			}                                                                          \
			i_ = i_ + 1 == (slots) ? 0 : i_ + 1;                                       \
		}                                                                                  \
		if (suspect_ && check_at(s, suspect_, scratch, NULL) < 0)                          \
			return -EBADMSG;                                                           \
		return -ESRCH;                                                                     \
	} while (0)

static int one_user_by_name(const struct um_snap *s, const char *name, size_t len,
			    struct um_dir_user *ret)
{
	struct um_dir_user scratch;

	PROBE_NAME(s, s->ubn, s->uslots, name, len, user_name_at, user_at, user_at, ret, &scratch);
}

static int one_user_by_uid(const struct um_snap *s, uint32_t uid, struct um_dir_user *ret)
{
#define USER_UID(ref)                                                                              \
	(!id_at(s, ref, s->users, s->users_end, uid) ? bad("a uid slot points at another user")    \
						     : user_at(s, ref, ret, NULL))
	PROBE(s, s->ubu, s->uslots, uid, um_snap_slot(um_snap_mix(uid), s->uslots), USER_UID);
#undef USER_UID
}

static int one_group_by_name(const struct um_snap *s, const char *name, size_t len,
			     struct um_dir_group *ret)
{
	struct um_dir_group scratch;

	PROBE_NAME(s, s->gbn, s->gslots, name, len, group_name_at, group_head_at, um_snap_group_at,
		   ret, &scratch);
}

static int one_group_by_gid(const struct um_snap *s, uint32_t gid, struct um_dir_group *ret)
{
#define GROUP_GID(ref)                                                                             \
	(!id_at(s, ref, s->groups, s->groups_end, gid) ? bad("a gid slot points at another group") \
						       : group_head_at(s, ref, ret, NULL))
	PROBE(s, s->gbg, s->gslots, gid, um_snap_slot(um_snap_mix(gid), s->gslots), GROUP_GID);
#undef GROUP_GID
}

/*
 * Through an overlay: a name is looked for in the overlay, then in the
 * base, whose answer counts only if the overlay does not answer for its
 * id; an id is answered by the overlay if touched, else by the base.
 */
int um_snap_user_by_name(const struct um_snap *s, const char *name, size_t len,
			 struct um_dir_user *ret)
{
	int r = one_user_by_name(s, name, len, ret);

	if (r != -ESRCH || !s->base_generation)
		return r;
	if (!s->under)
		return bad("an overlay without its base");
	r = one_user_by_name(s->under, name, len, ret);
	return r == 0 && um_snap_touched_uid(s, ret->uid) ? -ESRCH : r;
}

int um_snap_user_by_uid(const struct um_snap *s, uint32_t uid, struct um_dir_user *ret)
{
	if (!s->base_generation || um_snap_touched_uid(s, uid))
		return one_user_by_uid(s, uid, ret);
	if (!s->under)
		return bad("an overlay without its base");
	return one_user_by_uid(s->under, uid, ret);
}

int um_snap_group_by_name(const struct um_snap *s, const char *name, size_t len,
			  struct um_dir_group *ret)
{
	int r = one_group_by_name(s, name, len, ret);

	if (r != -ESRCH || !s->base_generation)
		return r;
	if (!s->under)
		return bad("an overlay without its base");
	r = one_group_by_name(s->under, name, len, ret);
	if (r == 0 && um_snap_touched_gid(s, ret->gid))
		return -ESRCH;
	return r;
}

int um_snap_group_by_gid(const struct um_snap *s, uint32_t gid, struct um_dir_group *ret)
{
	if (!s->base_generation || um_snap_touched_gid(s, gid))
		return one_group_by_gid(s, gid, ret);
	if (!s->under)
		return bad("an overlay without its base");
	return one_group_by_gid(s->under, gid, ret);
}

/* Enumeration: the overlay's records and the base's untouched ones,
 * merged in id order. */
int um_snap_next_user(const struct um_snap *s, struct um_snap_cursor *c, struct um_dir_user *ret)
{
	const struct um_snap *b = s->base_generation ? s->under : NULL;
	int r;

	if (s->base_generation && !b)
		return bad("an overlay without its base");
	if (!c->at) {
		c->at = s->users;
		c->base_at = b ? b->users : 0;
	}
	if (!c->have && c->at < s->users_end) {
		if ((r = um_snap_user_at(s, c->at, &c->u, &c->at)) < 0)
			return r;
		c->have = true;
	}
	while (b && !c->base_have && c->base_at < b->users_end) {
		if ((r = um_snap_user_at(b, c->base_at, &c->base_u, &c->base_at)) < 0)
			return r;
		c->base_have = !um_snap_touched_uid(s, c->base_u.uid);
	}
	if (c->base_have && (!c->have || c->base_u.uid < c->u.uid)) {
		*ret = c->base_u;
		c->base_have = false;
		return 0;
	}
	if (!c->have)
		return -ESRCH;
	*ret = c->u;
	c->have = false;
	return 0;
}

int um_snap_next_group(const struct um_snap *s, struct um_snap_cursor *c, struct um_dir_group *ret)
{
	const struct um_snap *b = s->base_generation ? s->under : NULL;
	int r;

	if (s->base_generation && !b)
		return bad("an overlay without its base");
	if (!c->at) {
		c->at = s->groups;
		c->base_at = b ? b->groups : 0;
	}
	if (!c->have && c->at < s->groups_end) {
		if ((r = um_snap_group_at(s, c->at, &c->g, &c->at)) < 0)
			return r;
		c->have = true;
	}
	while (b && !c->base_have && c->base_at < b->groups_end) {
		if ((r = um_snap_group_at(b, c->base_at, &c->base_g, &c->base_at)) < 0)
			return r;
		c->base_have = !um_snap_touched_gid(s, c->base_g.gid);
	}
	if (c->base_have && (!c->have || c->base_g.gid < c->g.gid)) {
		*ret = c->base_g;
		c->base_have = false;
		return 0;
	}
	if (!c->have)
		return -ESRCH;
	*ret = c->g;
	c->have = false;
	return 0;
}

/* ------------------------------------------------------------------------
 * The process: mappings, the pool of holds, refresh, fork.
 * ---------------------------------------------------------------------- */

struct mapping {
	struct um_snap snap;
	struct um_snap base; /* when snap is an overlay */
	void *addr, *base_addr;
	size_t size, base_size;
	dev_t dev;
	ino_t ino;
	struct timespec mtim, ctim; /* ctim: a chmod or chown is seen too */
	unsigned refs;		    /* under pool.lock */
};

/* One cache line each: two threads on neighbouring slots must not bounce
 * a shared line on every lock and unlock (false sharing). */
struct um_directory {
	pthread_mutex_t lock;
	struct mapping *map; /* holds a reference */
} __attribute__((aligned(64)));

struct um_directory_iter {
	struct mapping *map; /* holds a reference */
	enum um_directory_kind kind;
	struct um_snap_cursor cur;
	bool pending; /* the record at the cursor has not been consumed */
	bool done;
	struct um_dir_user u;
	struct um_dir_group g;
};

static struct {
	pthread_mutex_t lock;		       /* current, error, checked, refs */
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

static void mapping_free(struct mapping *m)
{
	if (m->base_addr)
		munmap(m->base_addr, m->base_size);
	if (m->addr)
		munmap(m->addr, m->size);
	free(m);
}

/* Drops a reference; the caller holds pool.lock. */
static void mapping_unref_locked(struct mapping *m)
{
	if (!m || --m->refs > 0)
		return;
	mapping_free(m);
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
	       m->mtim.tv_sec == st->st_mtim.tv_sec && m->mtim.tv_nsec == st->st_mtim.tv_nsec &&
	       m->ctim.tv_sec == st->st_ctim.tv_sec && m->ctim.tv_nsec == st->st_ctim.tv_nsec;
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

/* Maps the file at path read-only if it may be trusted. Returns 0, or
 * -ENOENT, -EACCES, -EBADMSG, -EIO. Keeps no descriptor. */
static int map_file(const char *path, bool from_env, void **ret, struct stat *st)
{
	_cleanup_close_ int fd = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return um_fail(errno_to_um(errno), "cannot open %s: %m", path);
	if (fstat(fd, st) < 0)
		return um_fail(-EIO, "cannot stat %s: %m", path);
	if (!S_ISREG(st->st_mode))
		return um_fail(-EBADMSG, "%s is not a regular file", path);
	if (!(st->st_uid == 0 || (from_env && st->st_uid == geteuid())) ||
	    (st->st_mode & (S_IWGRP | S_IWOTH)))
		return um_fail(-EACCES, "%s is not trusted (owner or mode)", path);
	if (st->st_size < UM_SNAP_HEADER_SIZE || (uint64_t)st->st_size > UM_SNAP_MAX_SIZE)
		return um_fail(-EBADMSG, "%s has an impossible size", path);
	void *addr = mmap(NULL, (size_t)st->st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (addr == MAP_FAILED)
		return um_fail(errno_to_um(errno), "cannot map %s: %m", path);
	*ret = addr;
	return 0;
}

/* Maps the base of the overlay m->snap (path.base.GENERATION) and checks
 * that it is the very one the overlay was made over. */
static int map_base(struct mapping *m, const char *path, bool from_env)
{
	char base_path[4096];
	struct stat st;
	int r;

	/* the same name as um_snapshot_base_path(), without allocating */
	if ((size_t)snprintf(base_path, sizeof(base_path), "%s.base.%llu", path,
			     (unsigned long long)m->snap.base_generation) >= sizeof(base_path))
		return um_fail(-EBADMSG, "the snapshot's path is too long");
	r = map_file(base_path, from_env, &m->base_addr, &st);
	if (r < 0)
		return r == -ENOENT
			       ? um_fail(-EBADMSG, "the snapshot's base %s is missing", base_path)
			       : r;
	m->base_size = (size_t)st.st_size;
	r = um_snap_open(m->base_addr, m->base_size, &m->base);
	if (r < 0)
		return r;
	if (m->base.base_generation || m->base.generation != m->snap.base_generation ||
	    um_snap_check(&m->base) != m->snap.base_check)
		return um_fail(-EBADMSG, "%s is not the base the snapshot was made over",
			       base_path);
	m->snap.under = &m->base;
	return 0;
}

/* Maps the snapshot at path (and its base) and checks it. Returns 0 and a
 * mapping with one reference, or -ENOENT, -EACCES, -EBADMSG, -EIO,
 * -ENOMEM. Keeps no descriptor. */
static int mapping_new(const char *path, bool from_env, struct mapping **ret)
{
	struct mapping *m = calloc(1, sizeof(*m));
	struct stat st;
	int r;

	if (!m)
		return -ENOMEM;
	r = map_file(path, from_env, &m->addr, &st);
	if (r < 0) {
		free(m);
		return r;
	}
	m->size = (size_t)st.st_size;
	m->dev = st.st_dev;
	m->ino = st.st_ino;
	m->mtim = st.st_mtim;
	m->ctim = st.st_ctim;
	m->refs = 1;
	r = um_snap_open(m->addr, m->size, &m->snap);
	if (r >= 0 && m->snap.base_generation)
		r = map_base(m, path, from_env);
	if (r < 0) {
		mapping_free(m);
		return r;
	}
	*ret = m;
	return 0;
}

struct um_snapshot_file {
	struct mapping *m;
};

int um_snapshot_map(const char *path, const struct um_snap **ret_snap,
		    struct um_snapshot_file **ret)
{
	struct um_snapshot_file *f = malloc(sizeof(*f));
	int r;

	if (!f)
		return -ENOMEM;
	r = mapping_new(path, true, &f->m);
	if (r < 0) {
		free(f);
		return r;
	}
	*ret_snap = &f->m->snap;
	*ret = f;
	return 0;
}

void um_snapshot_unmap(struct um_snapshot_file *f)
{
	if (!f)
		return;
	mapping_free(f->m);
	free(f);
}

char *um_snapshot_base_path(const char *path, uint64_t base_generation)
{
	return um_asprintf("%s.base.%llu", path, (unsigned long long)base_generation);
}

/* Makes m (NULL: none, because of err) the current mapping and lets idle
 * slots on older ones go, so they stop pinning them. */
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
			continue; /* busy: let go at release */
		if (s->map && s->map != m) {
			mapping_unref(s->map);
			s->map = NULL;
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

	if (now < atomic_load_explicit(&pool.next_check, memory_order_relaxed))
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
	 * The hit path: the slot holds the current mapping. Its reference
	 * keeps the mapping alive, so pointer equality means the very same
	 * one: no global lock, no shared counter written, nothing but this
	 * slot's own line.
	 */
	if (s->map && s->map == load_current()) {
		*ret = s;
		return 0;
	}
	r = current_ref(&m);
	if (r < 0) {
		unlock(&s->lock);
		return r;
	}
	mapping_unref(s->map);
	s->map = m; /* the slot keeps the reference current_ref took */
	*ret = s;
	return 0;
}

void um_directory_release(struct um_directory *d)
{
	if (!d)
		return;
	/* Superseded while we used it: do not keep it pinned. */
	if (d->map && d->map != load_current()) {
		mapping_unref(d->map);
		d->map = NULL;
	}
	unlock(&d->lock);
}

int um_directory_user_by_name(struct um_directory *d, const char *name, struct um_dir_user *ret)
{
	if (!name)
		return -EINVAL;
	return um_snap_user_by_name(&d->map->snap, name, strlen(name), ret);
}

int um_directory_user_by_uid(struct um_directory *d, uint32_t uid, struct um_dir_user *ret)
{
	return um_snap_user_by_uid(&d->map->snap, uid, ret);
}

int um_directory_group_by_name(struct um_directory *d, const char *name, struct um_dir_group *ret)
{
	if (!name)
		return -EINVAL;
	return um_snap_group_by_name(&d->map->snap, name, strlen(name), ret);
}

int um_directory_group_by_gid(struct um_directory *d, uint32_t gid, struct um_dir_group *ret)
{
	return um_snap_group_by_gid(&d->map->snap, gid, ret);
}

int um_directory_user_gids(struct um_directory *d, const char *name,
			   int (*fn)(uint32_t gid, void *userdata), void *userdata)
{
	struct um_dir_user u;
	int r;

	if (!name || !fn)
		return -EINVAL;
	r = um_directory_user_by_name(d, name, &u);
	if (r < 0)
		return r;
	if (u.ngids == 0)
		return -ESRCH;
	for (uint32_t i = 0; i < u.ngids; i++)
		if ((r = fn(um_dir_user_gid(&u, i), userdata)) != 0)
			return r;
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
	*it = (struct um_directory_iter){ .map = m, .kind = kind };
	*ret = it;
	return 0;
}

/* The record at the cursor: the pending one, or the next. */
static int iter_step(struct um_directory_iter *it)
{
	int r;

	if (it->done)
		return -ESRCH;
	if (it->pending)
		return 0;
	r = it->kind == UM_DIRECTORY_USERS ? um_snap_next_user(&it->map->snap, &it->cur, &it->u)
					   : um_snap_next_group(&it->map->snap, &it->cur, &it->g);
	if (r < 0) {
		it->done = true; /* the end, or a damaged record: stop either way */
		return r;
	}
	it->pending = true;
	return 0;
}

int um_directory_iter_user(struct um_directory_iter *it, struct um_dir_user *ret)
{
	int r;

	if (it->kind != UM_DIRECTORY_USERS)
		return -EINVAL;
	if ((r = iter_step(it)) < 0)
		return r;
	*ret = it->u;
	return 0;
}

int um_directory_iter_group(struct um_directory_iter *it, struct um_dir_group *ret)
{
	int r;

	if (it->kind != UM_DIRECTORY_GROUPS)
		return -EINVAL;
	if ((r = iter_step(it)) < 0)
		return r;
	*ret = it->g;
	return 0;
}

void um_directory_iter_consume(struct um_directory_iter *it)
{
	it->pending = false;
}

void um_directory_iter_free(struct um_directory_iter *it)
{
	if (!it)
		return;
	mapping_unref(it->map);
	free(it);
}

/* SPDX-License-Identifier: MIT */
/*
 * The snapshot (directory.db), format 3: shared by its writer
 * (snapshot-write.c) and its reader (directory.c). Private to the core.
 * docs/NSS.md describes it byte by byte; this header is the definition.
 *
 * An immutable file, written whole by publish (temp file, fsync, rename)
 * and mapped read-only by every process that looks a name up. Everything
 * in it is public, as /etc/passwd and /etc/group are: names, ids, GECOS,
 * homes, shells, memberships. No hash, no token, no e-mail, no flag.
 *
 * All integers are little-endian; every section and record starts at a
 * multiple of 4 bytes; offsets are bytes from the start of the file (so a
 * snapshot is at most 4 GiB: about 30 million users).
 *
 *   header     160 bytes (offsets below), its own checksum last
 *   pool       the strings many users share (shells, the parent of homes):
 *              u32 count, u32 offset[count] (from the pool's start), then
 *              each string as u16 length, bytes, NUL
 *   users      user records in uid order (UM_SNAP_U_*)
 *   groups     group records in gid order (UM_SNAP_G_*), each with its
 *              members' names inline, laid out as the caller's buffer
 *              wants them: one copy, no parsing
 *   4 tables   user by name, user by uid, group by name, group by gid:
 *              open addressing, slots = count + count / 4 + 1 (at least
 *              8), 8 bytes each {u32 key, u32 record offset; 0 = empty}.
 *              key: the uid or gid, or um_snap_hash(UM_SNAP_SEED_NAME,
 *              name) for the name tables. A key k starts at slot
 *              (k' * slots) >> 32 (k' = um_snap_mix(k) for ids, k for name
 *              hashes) and probes linearly, wrapping, at most slots times.
 *   touched    overlays only (below)
 *
 * Overlays. A snapshot is standalone (base generation 0) or an overlay
 * over a standalone base, the file <path>.base.<base generation> beside
 * it, whose header checksum it records. An overlay holds the users and
 * groups changed since its base, and a touched section: u32 count, the
 * touched uids ascending, u32 count, the touched gids ascending. A touched
 * id is answered by the overlay only (absent there: deleted); any other
 * by the base. Publishing one change then writes a file the size of the
 * change, not of the directory.
 *
 * Checksums: CRC-32C (Castagnoli; um_snap_crc, lib/directory.c, in
 * hardware where the CPU has it), seeded per kind of record. They catch
 * damage (a torn or corrupted page, a stray write), not forgery: a forger
 * would need to write a root-owned file. The header's covers its first 156
 * bytes; the pool's the whole pool; a record's its bytes after the
 * checksum. The reader checks the checksum of every record it serves each
 * time it serves it: a damaged record answers UNAVAIL, never wrong data.
 */
#ifndef UMGMT_SNAPSHOT_FORMAT_H
#define UMGMT_SNAPSHOT_FORMAT_H

#include <endian.h>
#include <stdint.h>
#include <string.h>

#define UM_SNAP_MAGIC "UMGMTDIR"
#define UM_SNAP_FORMAT 3
/* The oldest format this build's reader serves (UM_SNAP_FORMAT - 1 from
 * format 4 on: a host may run new modules over its old snapshot until its
 * next publish). Format 2 (SQLite) was never released. */
#define UM_SNAP_FORMAT_OLDEST 3
#define UM_SNAP_HEADER_SIZE 160
#define UM_SNAP_MAX_SIZE UINT32_MAX

/* header: byte offsets */
enum {
	UM_SNAP_H_MAGIC = 0,		 /* 8 bytes */
	UM_SNAP_H_FORMAT = 8,		 /* u32 */
	UM_SNAP_H_HEADER_SIZE = 12,	 /* u32, 160 */
	UM_SNAP_H_GENERATION = 16,	 /* u64: the truth's generation */
	UM_SNAP_H_PUBLISHED_AT = 24,	 /* u64: unix seconds */
	UM_SNAP_H_FILE_SIZE = 32,	 /* u64: a shorter file is refused */
	UM_SNAP_H_N_USERS = 40,		 /* u32 */
	UM_SNAP_H_N_GROUPS = 44,	 /* u32 */
	UM_SNAP_H_USER_SLOTS = 48,	 /* u32: slots of each user table */
	UM_SNAP_H_GROUP_SLOTS = 52,	 /* u32: slots of each group table */
	UM_SNAP_H_POOL = 56,		 /* u32 offset, u32 length */
	UM_SNAP_H_USERS = 64,		 /* u32 offset, u32 length */
	UM_SNAP_H_GROUPS = 72,		 /* u32 offset, u32 length */
	UM_SNAP_H_USER_BY_NAME = 80,	 /* u32 offset of the table */
	UM_SNAP_H_USER_BY_UID = 84,	 /* u32 */
	UM_SNAP_H_GROUP_BY_NAME = 88,	 /* u32 */
	UM_SNAP_H_GROUP_BY_GID = 92,	 /* u32 */
	UM_SNAP_H_POOL_CHECK = 96,	 /* u32 */
	UM_SNAP_H_BASE_CHECK = 100,	 /* u32: the base's header checksum */
	UM_SNAP_H_BASE_GENERATION = 104, /* u64: 0, or the generation of the base */
	UM_SNAP_H_TOUCHED = 112,	 /* u32 offset, u32 length (overlays) */
	UM_SNAP_H_RESERVED = 120,	 /* 36 bytes of zeros */
	UM_SNAP_H_CHECK = 156,		 /* u32: um_snap_crc of bytes 0..155 */
};

/*
 * A user record:
 *   0  u32 check        um_snap_crc(UM_SNAP_SEED_USER, bytes 4..end)
 *   4  u32 uid
 *   8  u32 gid
 *   12 u32 ngids        supplementary gids, ascending
 *   16 u16 gecos_len
 *   18 u16 dir_len      UM_SNAP_DIR_DERIVED: home = pool[dir_prefix] + name
 *   20 u16 shell        pool index, or UM_SNAP_INLINE: inline after the home
 *   22 u16 dir_prefix   pool index (when the home is derived)
 *   24 u8  name_len
 *   25 3 zero bytes
 *   28 u32 gids[ngids]
 *   then name NUL, gecos NUL, [home NUL], [shell: u16 length, bytes, NUL],
 *   zeros to 4
 */
enum {
	UM_SNAP_U_CHECK = 0,
	UM_SNAP_U_UID = 4,
	UM_SNAP_U_GID = 8,
	UM_SNAP_U_NGIDS = 12,
	UM_SNAP_U_GECOS_LEN = 16,
	UM_SNAP_U_DIR_LEN = 18,
	UM_SNAP_U_SHELL = 20,
	UM_SNAP_U_DIR_PREFIX = 22,
	UM_SNAP_U_NAME_LEN = 24,
	UM_SNAP_U_GIDS = 28,
};
#define UM_SNAP_DIR_DERIVED 0xffff
#define UM_SNAP_INLINE 0xffff
/* Longest string a record holds (dir_len and the shell's length). */
#define UM_SNAP_STRING_MAX 0xfffe

/*
 * A group record:
 *   0  u32 check        um_snap_crc(UM_SNAP_SEED_GROUP, bytes 4..end)
 *   4  u32 gid
 *   8  u32 nmem
 *   12 u32 members_len  bytes of the member names below, NULs included
 *   16 u16 name_len
 *   18 u16 zero
 *   20 u8  lens[nmem]   each member's name length
 *   then name NUL, the members' names each with its NUL (in uid order),
 *   zeros to 4
 */
enum {
	UM_SNAP_G_CHECK = 0,
	UM_SNAP_G_GID = 4,
	UM_SNAP_G_NMEM = 8,
	UM_SNAP_G_MEMBERS_LEN = 12,
	UM_SNAP_G_NAME_LEN = 16,
	UM_SNAP_G_LENS = 20,
};

#define UM_SNAP_SEED_HEADER 0x68656164u
#define UM_SNAP_SEED_POOL 0x706f6f6cu
#define UM_SNAP_SEED_USER 0x75736572u
#define UM_SNAP_SEED_GROUP 0x67727570u
#define UM_SNAP_SEED_NAME 0x6e616d65u

static inline uint16_t um_rd16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return le16toh(v);
}

static inline uint32_t um_rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return le32toh(v);
}

static inline uint64_t um_rd64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return le64toh(v);
}

static inline void um_wr16(uint8_t *p, uint16_t v)
{
	v = htole16(v);
	memcpy(p, &v, sizeof(v));
}

static inline void um_wr32(uint8_t *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, sizeof(v));
}

static inline void um_wr64(uint8_t *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, sizeof(v));
}

/* The slot where key k starts probing, in a table of n slots. */
static inline uint32_t um_snap_slot(uint32_t k, uint32_t n)
{
	return (uint32_t)(((uint64_t)k * n) >> 32);
}

/* Spreads an id over 32 bits (murmur3's finaliser), so that ids in any
 * pattern start at slots spread over the table. */
static inline uint32_t um_snap_mix(uint32_t k)
{
	k ^= k >> 16;
	k *= 0x85ebca6bu;
	k ^= k >> 13;
	k *= 0xc2b2ae35u;
	k ^= k >> 16;
	return k;
}

/* Slots of a table of n keys: load at most 2/3 (at 4/5 a miss probed 13
 * slots on average and cost twice a hit). */
static inline uint32_t um_snap_slots(uint32_t n)
{
	uint64_t s = (uint64_t)n + n / 2 + 1;

	return s < 8 ? 8 : (uint32_t)s;
}

/* CRC-32C of n bytes, seeded (lib/directory.c). */
uint32_t um_snap_crc(uint32_t seed, const void *data, size_t n);

/*
 * The hash of names in the tables: 8 bytes a step (a multiply and a
 * shift), then a final mix. Fast on short strings; it spreads names,
 * nothing more.
 */
static inline uint32_t um_snap_hash(uint32_t seed, const void *data, size_t n)
{
	const uint8_t *p = data;
	uint64_t h = ((uint64_t)seed << 32 | seed) ^ (n * 0x9e3779b97f4a7c15ull);
	uint64_t w;

	for (; n >= 8; p += 8, n -= 8) {
		memcpy(&w, p, 8);
		h = (h ^ le64toh(w)) * 0xff51afd7ed558ccdull;
		h ^= h >> 29;
	}
	if (n) {
		/* the last n bytes as one little-endian word, without a loop:
		 * overlapping loads (bytes before p are the data's own when it
		 * was at least 8 long) */
		if (p - (const uint8_t *)data >= 8) {
			memcpy(&w, p + n - 8, 8);
			w = le64toh(w) >> (8 * (8 - n));
		} else if (n >= 4) {
			uint32_t lo, hi;
			memcpy(&lo, p, 4);
			memcpy(&hi, p + n - 4, 4);
			w = (uint64_t)le32toh(lo) | (uint64_t)le32toh(hi) << (8 * (n - 4));
		} else {
			w = (uint64_t)p[0] | (uint64_t)p[n / 2] << (8 * (n / 2)) |
			    (uint64_t)p[n - 1] << (8 * (n - 1));
		}
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 29;
	}
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 32;
	return (uint32_t)h;
}

#endif

/* SPDX-License-Identifier: MIT */
/*
 * What the fuzz harness knows of the layout (lib/snapshot-format.h):
 * where each record ends, so that the checksums of a mutated image can be
 * recomputed (fix_checksums()) and the mutation carried past them to the
 * bounds checks behind. Shared by fuzz-snapshot.c and make-seeds.c, which
 * checks that fixing a real snapshot changes no byte of it: when the
 * format changes, make-seeds (and so the fuzz layer) fails until this
 * file follows, rather than the harness silently stopping at the
 * checksums.
 *
 * Header-only: each of the two is one program.
 */
#ifndef UMGMT_FUZZ_FIX_CHECKSUMS_H
#define UMGMT_FUZZ_FIX_CHECKSUMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "snapshot-format.h"

/* Whether [off, off + len) lies in [lo, hi), without wrapping. */
static bool fx_within(uint64_t off, uint64_t len, uint64_t lo, uint64_t hi)
{
	return off >= lo && off <= hi && len <= hi - off;
}

/* The section [*lo, *hi) the header at b names at h, if it lies in the
 * size bytes after the header. */
static bool fx_section(const uint8_t *b, size_t size, unsigned h, uint32_t *lo, uint32_t *hi)
{
	uint32_t off = um_rd32(b + h), len = um_rd32(b + h + 4);

	if (!fx_within(off, len, UM_SNAP_HEADER_SIZE, size))
		return false;
	*lo = off;
	*hi = off + len;
	return true;
}

/* The end of the user record at off, as the layout says; 0 if it does not
 * end by end. */
static uint64_t fx_user_end(const uint8_t *b, uint32_t off, uint32_t end)
{
	const uint8_t *r = b + off;
	uint64_t q = (uint64_t)off + UM_SNAP_U_GIDS + 4 * (uint64_t)um_rd32(r + UM_SNAP_U_NGIDS);

	q += r[UM_SNAP_U_NAME_LEN] + 1u;
	q += um_rd16(r + UM_SNAP_U_GECOS_LEN) + 1u;
	if (um_rd16(r + UM_SNAP_U_DIR_LEN) != UM_SNAP_DIR_DERIVED)
		q += um_rd16(r + UM_SNAP_U_DIR_LEN) + 1u;
	if (um_rd16(r + UM_SNAP_U_SHELL) == UM_SNAP_INLINE) {
		if (!fx_within(q, 2, off, end))
			return 0;
		q += 2 + um_rd16(b + q) + 1u;
	}
	q = (q + 3) & ~(uint64_t)3;
	return q <= end ? q : 0;
}

static uint64_t fx_group_end(const uint8_t *b, uint32_t off, uint32_t end)
{
	const uint8_t *r = b + off;
	uint64_t q = (uint64_t)off + UM_SNAP_G_LENS + um_rd32(r + UM_SNAP_G_NMEM) +
		     um_rd16(r + UM_SNAP_G_NAME_LEN) + 1u + um_rd32(r + UM_SNAP_G_MEMBERS_LEN);

	q = (q + 3) & ~(uint64_t)3;
	return q <= end ? q : 0;
}

/*
 * Rewrites the file size and every checksum the reader checks (user and
 * group records, the pool, the header) of the size bytes at b, walking
 * the sections where the header places them; a part that does not fit is
 * left as it is. base, when not NULL, is the image that follows, already
 * fixed: an overlay is made to name it as its base.
 */
static void fix_checksums(uint8_t *b, size_t size, const uint8_t *base, size_t base_size)
{
	uint32_t lo, hi;
	uint64_t off, end;

	if (size < UM_SNAP_HEADER_SIZE)
		return;
	um_wr64(b + UM_SNAP_H_FILE_SIZE, size);
	if (fx_section(b, size, UM_SNAP_H_USERS, &lo, &hi))
		for (off = lo; off % 4 == 0 && fx_within(off, UM_SNAP_U_GIDS, lo, hi) &&
			       (end = fx_user_end(b, (uint32_t)off, hi)) != 0;
		     off = end)
			um_wr32(b + off,
				um_snap_crc(UM_SNAP_SEED_USER, b + off + 4, end - off - 4));
	if (fx_section(b, size, UM_SNAP_H_GROUPS, &lo, &hi))
		for (off = lo; off % 4 == 0 && fx_within(off, UM_SNAP_G_LENS, lo, hi) &&
			       (end = fx_group_end(b, (uint32_t)off, hi)) != 0;
		     off = end)
			um_wr32(b + off,
				um_snap_crc(UM_SNAP_SEED_GROUP, b + off + 4, end - off - 4));
	if (fx_section(b, size, UM_SNAP_H_POOL, &lo, &hi))
		um_wr32(b + UM_SNAP_H_POOL_CHECK, um_snap_crc(UM_SNAP_SEED_POOL, b + lo, hi - lo));
	if (base && base_size >= UM_SNAP_HEADER_SIZE && um_rd64(b + UM_SNAP_H_BASE_GENERATION)) {
		um_wr64(b + UM_SNAP_H_BASE_GENERATION, um_rd64(base + UM_SNAP_H_GENERATION));
		um_wr32(b + UM_SNAP_H_BASE_CHECK, um_rd32(base + UM_SNAP_H_CHECK));
	}
	um_wr32(b + UM_SNAP_H_CHECK, um_snap_crc(UM_SNAP_SEED_HEADER, b, UM_SNAP_H_CHECK));
}

#endif

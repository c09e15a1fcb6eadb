/* SPDX-License-Identifier: MIT */
/*
 * umgmt core: checking a snapshot image (format 3) whole, for `umctl
 * snapshot verify` (snapshot-read.h). The reader (directory.c) checks
 * what it serves as it serves it; this checks everything at once against
 * the format's definition (snapshot-format.h) and says what is wrong.
 *
 * Design, and why:
 *
 * - Data, not words on a terminal: each problem is one short sentence
 *   naming the record ("user alice (uid 2000): record checksum does not
 *   match"), handed to the caller's report callback. Nothing is printed.
 *   Problems of an overlay's base start with "base: ".
 *
 * - From the format, image by image. The reader's look-ups go through an
 *   overlay to its base, and a table must be verified in its own image:
 *   so the extents of records and the probing of the tables are written
 *   here again from the format's rules (table_lookup() probes as PROBE in
 *   directory.c does). Every record is then also decoded by the reader's
 *   own um_snap_user_at()/um_snap_group_at(): a record this file accepts
 *   and the reader refuses is a problem too.
 *
 * - Bounded work. A walk steps from record to record and stops after as
 *   many records as the header announces; a table is scanned once; every
 *   look-up probes at most the table's slots, and all look-ups share a
 *   budget of PROBE_BUDGET probes a slot, so that a table damaged into one
 *   long chain is still checked in linear time (a sound table needs about
 *   two probes a key). Memory: 5 bytes per record for the walks, 4 per
 *   user for the membership check, 8 per membership an overlay touches.
 *
 * - A damaged record is reported once; the checks that would read its
 *   fields (tables, memberships) skip it rather than report what follows
 *   from the damage. A damaged record whose lengths may be what is wrong
 *   (the next record is not where they say) ends the walk, and the checks
 *   that need the whole section are skipped: the cut is the problem.
 *
 * - Memberships as NSS serves them: a group lists its members by name
 *   (getgrnam()), a user its groups by gid (initgroups()). Every name a
 *   group lists must be a user, in uid order, whose gid list has the
 *   group; every gid a user lists must be a group that lists the user.
 *   For an overlay, the view merged with its base: no name both in the
 *   overlay and, under an id the overlay leaves to the base, in the base;
 *   and the memberships that the overlay's changes touch (the base alone
 *   was checked as a standalone image).
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "snapshot-format.h"
#include "snapshot-read.h"
#include "umgmt/common.h"

#define NAME_SHOWN 64	/* bytes of a name shown in a problem */
#define PROBE_BUDGET 64 /* probes a slot, for all look-ups of an image */

/* The caller's callback, and the count. */
struct verify {
	void (*report)(void *ud, const char *problem);
	void *ud;
	unsigned max, count;
	const char *prefix; /* "" or "base: " */
	uint64_t budget;    /* probes left for the cross checks' look-ups */
	bool cut;	    /* a look-up ran out of them */
};

static void problem(struct verify *v, const char *fmt, ...) _printf_(2, 3);
static void problem(struct verify *v, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	if (v->count < UINT_MAX)
		v->count++;
	if (v->count > v->max || !v->report)
		return;
	n = snprintf(buf, sizeof(buf), "%s", v->prefix);
	if (n < 0 || (size_t)n >= sizeof(buf))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	va_end(ap);
	v->report(v->ud, buf);
}

/* Whether [off, off + len) lies in [lo, hi), in 64-bit arithmetic. */
static bool inside(uint64_t off, uint64_t len, uint64_t lo, uint64_t hi)
{
	return off >= lo && off <= hi && len <= hi - off;
}

static uint64_t pad4(uint64_t n)
{
	return (n + 3) & ~(uint64_t)3;
}

static int shown(size_t n)
{
	return (int)(n > NAME_SHOWN ? NAME_SHOWN : n);
}

/*
 * Which offsets of a section start a record, and the index of each: one
 * bit per 4 bytes (records start 4-aligned) and, per 512 bits, the count
 * of the starts before, so that a table slot's offset becomes a record
 * index in constant time (a search by halves over a million offsets was
 * most of the time of a check).
 */
struct starts {
	uint64_t *bits;
	uint32_t *before; /* starts before each block of 8 words */
	uint32_t lo, nbits;
};

static void starts_free(struct starts *st)
{
	free(st->bits);
	free(st->before);
}

/* Marks the n ascending offsets rec[] of the section [lo, hi). */
static bool starts_make(struct starts *st, uint32_t lo, uint32_t hi, const uint32_t *rec,
			uint32_t n)
{
	size_t words = ((size_t)(hi - lo) / 4 + 63) / 64 + 1;
	uint32_t count = 0;

	st->lo = lo;
	st->nbits = (hi - lo) / 4;
	st->bits = calloc(words, sizeof(*st->bits));
	st->before = calloc(words / 8 + 1, sizeof(*st->before));
	if (!st->bits || !st->before)
		return false;
	for (uint32_t k = 0; k < n; k++) {
		uint32_t b = (rec[k] - lo) / 4;
		st->bits[b / 64] |= 1ull << (b % 64);
	}
	for (size_t w = 0; w < words; w++) {
		if (w % 8 == 0)
			st->before[w / 8] = count;
		count += (uint32_t)__builtin_popcountll(st->bits[w]);
	}
	return true;
}

/* The index of the record that starts at offset ref, or -1. */
static int64_t record_at(const struct starts *st, uint32_t ref)
{
	uint32_t b, w;
	int64_t k;

	if (ref < st->lo || (ref - st->lo) % 4 || (b = (ref - st->lo) / 4) >= st->nbits)
		return -1;
	w = b / 64;
	if (!(st->bits[w] >> (b % 64) & 1))
		return -1;
	k = st->before[w / 8];
	for (uint32_t i = w & ~7u; i < w; i++)
		k += __builtin_popcountll(st->bits[i]);
	return k + __builtin_popcountll(st->bits[w] & ((1ull << (b % 64)) - 1));
}

/* ------------------------------------------------------------------------
 * One image, and what its walks found.
 * ---------------------------------------------------------------------- */

enum {
	REC_BAD = 1 << 0,	     /* damaged: none of its fields is used */
	REC_GIDS_UNORDERED = 1 << 1, /* a user whose gid list does not ascend */
	REC_MEMBERS_BAD = 1 << 2,    /* a group whose member list is malformed */
};

struct image {
	const struct um_snap *s;
	bool overlay;
	/* users: k -> record offset (ascending) and flags */
	uint32_t *urec;
	uint8_t *uflag;
	uint32_t nu;
	bool users_whole; /* the section was walked to its end */
	/* groups: the same */
	uint32_t *grec;
	uint8_t *gflag;
	uint32_t ng;
	bool groups_whole;
	bool groups_unordered;		/* a gid out of order: no membership cursor */
	struct starts ustarts, gstarts; /* offset -> k, for the tables */
	bool tables_sound;		/* no table problem: look-ups can be trusted */
};

static void image_free(struct image *im)
{
	free(im->urec);
	free(im->uflag);
	free(im->grec);
	free(im->gflag);
	starts_free(&im->ustarts);
	starts_free(&im->gstarts);
}

/* Where the user record at off ends, from its lengths, if it lies inside
 * its section (its checksum unchecked). */
static bool user_extent(const struct um_snap *s, uint32_t off, uint32_t *ret_end)
{
	const uint8_t *b = s->base, *r = b + off;
	uint64_t q;

	if (off % 4 || !inside(off, UM_SNAP_U_GIDS, s->users, s->users_end))
		return false;
	q = (uint64_t)off + UM_SNAP_U_GIDS + 4 * (uint64_t)um_rd32(r + UM_SNAP_U_NGIDS);
	q += r[UM_SNAP_U_NAME_LEN] + 1u;
	q += um_rd16(r + UM_SNAP_U_GECOS_LEN) + 1u;
	if (um_rd16(r + UM_SNAP_U_DIR_LEN) != UM_SNAP_DIR_DERIVED)
		q += um_rd16(r + UM_SNAP_U_DIR_LEN) + 1u;
	if (um_rd16(r + UM_SNAP_U_SHELL) == UM_SNAP_INLINE) {
		if (!inside(q, 2, s->users, s->users_end))
			return false;
		q += 2 + um_rd16(b + q) + 1u;
	}
	q = pad4(q);
	if (!inside(off, q - off, s->users, s->users_end))
		return false;
	*ret_end = (uint32_t)q;
	return true;
}

static bool user_sums(const struct um_snap *s, uint32_t off, uint32_t end)
{
	const uint8_t *r = s->base + off;

	return um_rd32(r) == um_snap_crc(UM_SNAP_SEED_USER, r + 4, end - off - 4);
}

static bool group_extent(const struct um_snap *s, uint32_t off, uint32_t *ret_end)
{
	const uint8_t *r = s->base + off;
	uint64_t q;

	if (off % 4 || !inside(off, UM_SNAP_G_LENS, s->groups, s->groups_end))
		return false;
	q = (uint64_t)off + UM_SNAP_G_LENS + um_rd32(r + UM_SNAP_G_NMEM) +
	    um_rd16(r + UM_SNAP_G_NAME_LEN) + 1 + um_rd32(r + UM_SNAP_G_MEMBERS_LEN);
	q = pad4(q);
	if (!inside(off, q - off, s->groups, s->groups_end))
		return false;
	*ret_end = (uint32_t)q;
	return true;
}

static bool group_sums(const struct um_snap *s, uint32_t off, uint32_t end)
{
	const uint8_t *r = s->base + off;

	return um_rd32(r) == um_snap_crc(UM_SNAP_SEED_GROUP, r + 4, end - off - 4);
}

/* The fields of walked records (of records whose extent was checked). */
static const uint8_t *urec(const struct image *im, uint32_t k)
{
	return im->s->base + im->urec[k];
}

static uint32_t user_uid(const struct image *im, uint32_t k)
{
	return um_rd32(urec(im, k) + UM_SNAP_U_UID);
}

static uint32_t user_ngids(const struct image *im, uint32_t k)
{
	return um_rd32(urec(im, k) + UM_SNAP_U_NGIDS);
}

static uint32_t user_gid_at(const struct image *im, uint32_t k, uint32_t i)
{
	return um_rd32(urec(im, k) + UM_SNAP_U_GIDS + 4 * (size_t)i);
}

static void user_name(const struct image *im, uint32_t k, const char **p, size_t *n)
{
	const uint8_t *r = urec(im, k);

	*n = r[UM_SNAP_U_NAME_LEN];
	*p = (const char *)r + UM_SNAP_U_GIDS + 4 * (size_t)um_rd32(r + UM_SNAP_U_NGIDS);
}

/* Whether user k's (ascending) gid list holds gid. */
static bool user_lists(const struct image *im, uint32_t k, uint32_t gid)
{
	uint32_t lo = 0, hi = user_ngids(im, k);

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2, v = user_gid_at(im, k, mid);
		if (v == gid)
			return true;
		if (v < gid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static const uint8_t *grec(const struct image *im, uint32_t k)
{
	return im->s->base + im->grec[k];
}

static uint32_t group_gid(const struct image *im, uint32_t k)
{
	return um_rd32(grec(im, k) + UM_SNAP_G_GID);
}

static uint32_t group_nmem(const struct image *im, uint32_t k)
{
	return um_rd32(grec(im, k) + UM_SNAP_G_NMEM);
}

static void group_name(const struct image *im, uint32_t k, const char **p, size_t *n)
{
	const uint8_t *r = grec(im, k);

	*n = um_rd16(r + UM_SNAP_G_NAME_LEN);
	*p = (const char *)r + UM_SNAP_G_LENS + um_rd32(r + UM_SNAP_G_NMEM);
}

/* Steps through the member names of group k (a group whose member list
 * was found well formed): start with at = 0. */
static void member_next(const struct image *im, uint32_t k, uint32_t i, size_t *at, const char **p,
			size_t *n)
{
	const uint8_t *r = grec(im, k);
	uint32_t nmem = um_rd32(r + UM_SNAP_G_NMEM);
	const char *names =
		(const char *)r + UM_SNAP_G_LENS + nmem + um_rd16(r + UM_SNAP_G_NAME_LEN) + 1;

	*n = r[UM_SNAP_G_LENS + i];
	*p = names + *at;
	*at += *n + 1;
}

/* "user alice (uid 2000)", for the messages about user k. */
static void who_user(const struct image *im, uint32_t k, char *buf, size_t size)
{
	const char *p;
	size_t n;

	user_name(im, k, &p, &n);
	snprintf(buf, size, "user %.*s (uid %u)", shown(n), p, user_uid(im, k));
}

static void who_group(const struct image *im, uint32_t k, char *buf, size_t size)
{
	const char *p;
	size_t n;

	group_name(im, k, &p, &n);
	snprintf(buf, size, "group %.*s (gid %u)", shown(n), p, group_gid(im, k));
}

/* What a passwd or group line cannot hold in a field: a NUL, a newline,
 * a ':' (and in a user name a ',': member lists are split on it).
 * Returns the name of the first such character, or NULL. */
static const char *unfit(const char *p, size_t n, bool user_name_field)
{
	for (size_t i = 0; i < n; i++) {
		switch (p[i]) {
		case '\0':
			return "a NUL";
		case '\n':
			return "a newline";
		case ':':
			return "a ':'";
		case ',':
			if (user_name_field)
				return "a ','";
			break;
		}
	}
	return NULL;
}

/* ------------------------------------------------------------------------
 * The header and the layout of the sections.
 * ---------------------------------------------------------------------- */

struct span {
	const char *what;
	uint64_t off, end;
};

static void check_layout(struct verify *v, const struct um_snap *s)
{
	const uint8_t *h = s->base;
	struct span sp[8];
	size_t n = 0, m = 0;

	for (unsigned i = UM_SNAP_H_RESERVED; i < UM_SNAP_H_CHECK; i++)
		if (h[i]) {
			problem(v, "the header's reserved bytes are not zero");
			break;
		}
	if (s->base_generation && s->base_generation >= s->generation)
		problem(v, "the overlay's generation %llu is not after its base's %llu",
			(unsigned long long)s->generation, (unsigned long long)s->base_generation);

	/* Sections may not overlap (the reader would not notice). */
	sp[n++] = (struct span){ "string pool", s->pool, (uint64_t)s->pool + s->pool_len };
	sp[n++] = (struct span){ "users", s->users, s->users_end };
	sp[n++] = (struct span){ "groups", s->groups, s->groups_end };
	sp[n++] = (struct span){ "user-by-name table", s->ubn, s->ubn + 8 * (uint64_t)s->uslots };
	sp[n++] = (struct span){ "user-by-uid table", s->ubu, s->ubu + 8 * (uint64_t)s->uslots };
	sp[n++] = (struct span){ "group-by-name table", s->gbn, s->gbn + 8 * (uint64_t)s->gslots };
	sp[n++] = (struct span){ "group-by-gid table", s->gbg, s->gbg + 8 * (uint64_t)s->gslots };
	if (s->base_generation) {
		uint32_t t = um_rd32(h + UM_SNAP_H_TOUCHED),
			 tl = um_rd32(h + UM_SNAP_H_TOUCHED + 4);
		sp[n++] = (struct span){ "touched ids", t, (uint64_t)t + tl };
	}
	for (size_t i = 0; i < n; i++) { /* by start, the empty ones left out */
		if (sp[i].end == sp[i].off)
			continue;
		struct span x = sp[i];
		size_t j = m++;
		for (; j > 0 && sp[j - 1].off > x.off; j--)
			sp[j] = sp[j - 1];
		sp[j] = x;
	}
	for (size_t i = 1; i < m; i++)
		if (sp[i].off < sp[i - 1].end)
			problem(v, "the %s and the %s overlap in the file", sp[i - 1].what,
				sp[i].what);

	/* An overlay's touched ids: each list strictly ascending (the reader
	 * searches them by halves). */
	for (uint32_t i = 1; i < s->n_touched_uids; i++)
		if (um_rd32(h + s->touched_uids + 4 * (size_t)i) <=
		    um_rd32(h + s->touched_uids + 4 * (size_t)(i - 1))) {
			problem(v, "the touched uids are not in ascending order");
			break;
		}
	for (uint32_t i = 1; i < s->n_touched_gids; i++)
		if (um_rd32(h + s->touched_gids + 4 * (size_t)i) <=
		    um_rd32(h + s->touched_gids + 4 * (size_t)(i - 1))) {
			problem(v, "the touched gids are not in ascending order");
			break;
		}
}

/* ------------------------------------------------------------------------
 * The walks.
 * ---------------------------------------------------------------------- */

/* The checks of user k's record (at off, to end), whose checksum
 * matched; returns its flags. */
static uint8_t check_user(struct verify *v, struct image *im, uint32_t k, uint32_t off,
			  uint32_t end)
{
	const struct um_snap *s = im->s;
	const uint8_t *r = s->base + off;
	struct um_dir_user u;
	const char *name, *why;
	size_t name_len;
	uint32_t next;
	char who[128];
	int e;

	im->urec[k] = off;
	who_user(im, k, who, sizeof(who));
	user_name(im, k, &name, &name_len);
	if (um_rd16(r + UM_SNAP_U_SHELL) != UM_SNAP_INLINE &&
	    um_rd16(r + UM_SNAP_U_SHELL) >= s->pool_count) {
		problem(v, "%s: its shell is not in the string pool", who);
		return REC_BAD;
	}
	if (um_rd16(r + UM_SNAP_U_DIR_LEN) == UM_SNAP_DIR_DERIVED &&
	    um_rd16(r + UM_SNAP_U_DIR_PREFIX) >= s->pool_count) {
		problem(v, "%s: its home is not in the string pool", who);
		return REC_BAD;
	}
	/* What the reader makes of it. */
	if ((e = um_snap_user_at(s, off, &u, &next)) < 0) {
		problem(v, "%s: the reader refuses it (%s)", who, um_error_text(e));
		um_error_forget(e);
		return REC_BAD;
	}
	if (next != end) {
		problem(v, "%s: the reader ends the record at offset %u, not %u", who, next, end);
		return REC_BAD;
	}

	uint8_t flags = 0;
	if (name_len == 0)
		problem(v, "the user record at offset %u (uid %u) has an empty name", off, u.uid);
	if ((why = unfit(name, name_len, true)))
		problem(v, "%s: its name holds %s", who, why);
	if ((why = unfit(u.gecos, u.gecos_len, false)))
		problem(v, "%s: its GECOS field holds %s", who, why);
	if ((why = unfit(u.dir, u.dir_len, false)) ||
	    (why = unfit(u.dir_tail, u.dir_tail_len, false)))
		problem(v, "%s: its home holds %s", who, why);
	if ((why = unfit(u.shell, u.shell_len, false)))
		problem(v, "%s: its shell holds %s", who, why);
	for (uint32_t i = 1; i < u.ngids; i++)
		if (um_dir_user_gid(&u, i) <= um_dir_user_gid(&u, i - 1)) {
			problem(v, "%s: its group list is not in ascending order", who);
			flags |= REC_GIDS_UNORDERED;
			break;
		}
	if (im->overlay && !um_snap_touched_uid(s, u.uid))
		problem(v, "%s: the overlay holds it, but its uid is not among the touched ids",
			who);
	return flags;
}

static void walk_users(struct verify *v, struct image *im)
{
	const struct um_snap *s = im->s;
	uint32_t cap = (s->users_end - s->users) / UM_SNAP_U_GIDS;
	uint32_t off = s->users, k = 0, prev_uid = 0;
	bool have_prev = false;

	if (cap > s->n_users)
		cap = s->n_users;
	im->urec = calloc((size_t)cap + 1, sizeof(*im->urec));
	im->uflag = calloc((size_t)cap + 1, 1);
	if (!im->urec || !im->uflag) {
		problem(v, "the users were not checked: out of memory");
		return;
	}
	while (off < s->users_end) {
		uint32_t end, e2;
		uint8_t flags;
		char who[128];

		if (k == cap) {
			problem(v, "the users section holds more records than the header's %u",
				s->n_users);
			break;
		}
		if (!user_extent(s, off, &end)) {
			problem(v,
				"the user record at offset %u overruns the users section; the records after it were not checked",
				off);
			im->nu = k;
			return;
		}
		im->urec[k] = off;
		if (user_sums(s, off, end)) {
			flags = check_user(v, im, k, off, end);
		} else {
			who_user(im, k, who, sizeof(who));
			problem(v, "%s: record checksum does not match", who);
			flags = REC_BAD;
			/* Its lengths may be what is damaged: go on only if
			 * the next record is where they say. */
			if (end < s->users_end &&
			    !(user_extent(s, end, &e2) && user_sums(s, end, e2))) {
				problem(v,
					"the user records after offset %u cannot be told apart; they were not checked",
					off);
				im->uflag[k++] = REC_BAD;
				im->nu = k;
				return;
			}
		}
		if (!(flags & REC_BAD)) {
			uint32_t uid = user_uid(im, k);
			if (have_prev && uid <= prev_uid) {
				who_user(im, k, who, sizeof(who));
				problem(v, "%s: out of uid order (after uid %u)", who, prev_uid);
			}
			have_prev = true;
			prev_uid = uid;
		}
		im->uflag[k++] = flags;
		off = end;
	}
	im->nu = k;
	im->users_whole = true;
	if (k != s->n_users)
		problem(v, "the users section holds %u records; the header says %u", k, s->n_users);
}

/* The checks of group k's record, whose checksum matched. */
static uint8_t check_group(struct verify *v, struct image *im, uint32_t k, uint32_t off,
			   uint32_t end)
{
	const struct um_snap *s = im->s;
	const uint8_t *r = s->base + off;
	uint32_t nmem = um_rd32(r + UM_SNAP_G_NMEM), mlen = um_rd32(r + UM_SNAP_G_MEMBERS_LEN);
	struct um_dir_group g;
	const char *name, *why;
	size_t name_len;
	uint32_t next;
	char who[128];
	int e;

	im->grec[k] = off;
	who_group(im, k, who, sizeof(who));
	group_name(im, k, &name, &name_len);
	if ((e = um_snap_group_at(s, off, &g, &next)) < 0) {
		problem(v, "%s: the reader refuses it (%s)", who, um_error_text(e));
		um_error_forget(e);
		return REC_BAD;
	}
	if (next != end) {
		problem(v, "%s: the reader ends the record at offset %u, not %u", who, next, end);
		return REC_BAD;
	}
	if (name_len == 0)
		problem(v, "the group record at offset %u (gid %u) has an empty name", off, g.gid);
	if ((why = unfit(name, name_len, false)))
		problem(v, "%s: its name holds %s", who, why);
	if (im->overlay && !um_snap_touched_gid(s, g.gid))
		problem(v, "%s: the overlay holds it, but its gid is not among the touched ids",
			who);

	/* The member list, as um_directory_group_members() reads it: the
	 * lengths add up to members_len, each name followed by its NUL. */
	const char *names = name + name_len + 1;
	uint64_t at = 0;
	for (uint32_t i = 0; i < nmem; i++) {
		size_t n = r[UM_SNAP_G_LENS + i];
		if (at + n + 1 > mlen || names[at + n] != '\0') {
			problem(v, "%s: its member list is malformed", who);
			return REC_MEMBERS_BAD;
		}
		if (n == 0 || (why = unfit(names + at, n, true))) {
			problem(v, "%s: its member %u has %s", who, i + 1,
				n == 0 ? "an empty name" : why);
			return REC_MEMBERS_BAD;
		}
		at += n + 1;
	}
	if (at != mlen) {
		problem(v, "%s: its member list is malformed", who);
		return REC_MEMBERS_BAD;
	}
	return 0;
}

static void walk_groups(struct verify *v, struct image *im)
{
	const struct um_snap *s = im->s;
	uint32_t cap = (s->groups_end - s->groups) / UM_SNAP_G_LENS;
	uint32_t off = s->groups, k = 0, prev_gid = 0;
	bool have_prev = false;

	if (cap > s->n_groups)
		cap = s->n_groups;
	im->grec = calloc((size_t)cap + 1, sizeof(*im->grec));
	im->gflag = calloc((size_t)cap + 1, 1);
	if (!im->grec || !im->gflag) {
		problem(v, "the groups were not checked: out of memory");
		return;
	}
	while (off < s->groups_end) {
		uint32_t end, e2;
		uint8_t flags;
		char who[128];

		if (k == cap) {
			problem(v, "the groups section holds more records than the header's %u",
				s->n_groups);
			break;
		}
		if (!group_extent(s, off, &end)) {
			problem(v,
				"the group record at offset %u overruns the groups section; the records after it were not checked",
				off);
			im->ng = k;
			return;
		}
		im->grec[k] = off;
		if (group_sums(s, off, end)) {
			flags = check_group(v, im, k, off, end);
		} else {
			who_group(im, k, who, sizeof(who));
			problem(v, "%s: record checksum does not match", who);
			flags = REC_BAD;
			if (end < s->groups_end &&
			    !(group_extent(s, end, &e2) && group_sums(s, end, e2))) {
				problem(v,
					"the group records after offset %u cannot be told apart; they were not checked",
					off);
				im->gflag[k++] = REC_BAD;
				im->ng = k;
				return;
			}
		}
		if (!(flags & REC_BAD)) {
			uint32_t gid = group_gid(im, k);
			if (have_prev && gid <= prev_gid) {
				who_group(im, k, who, sizeof(who));
				problem(v, "%s: out of gid order (after gid %u)", who, prev_gid);
				im->groups_unordered = true;
			}
			have_prev = true;
			prev_gid = gid;
		}
		im->gflag[k++] = flags;
		off = end;
	}
	im->ng = k;
	im->groups_whole = true;
	if (k != s->n_groups)
		problem(v, "the groups section holds %u records; the header says %u", k,
			s->n_groups);
}

/* ------------------------------------------------------------------------
 * The tables.
 * ---------------------------------------------------------------------- */

enum table { USER_BY_NAME, USER_BY_UID, GROUP_BY_NAME, GROUP_BY_GID };

static const char *const table_name[] = {
	[USER_BY_NAME] = "user-by-name",
	[USER_BY_UID] = "user-by-uid",
	[GROUP_BY_NAME] = "group-by-name",
	[GROUP_BY_GID] = "group-by-gid",
};

/* What a look-up looks for: a name, or an id. */
struct want {
	const char *name;
	size_t len;
	uint32_t id;
};

struct table_view {
	uint32_t off, slots;
	const uint32_t *rec;
	const struct starts *starts;
	const uint8_t *flag;
	uint32_t n;
	bool by_name, of_users;
};

static struct table_view view(const struct image *im, enum table t)
{
	const struct um_snap *s = im->s;
	bool users = t == USER_BY_NAME || t == USER_BY_UID;

	return (struct table_view){
		.off = t == USER_BY_NAME    ? s->ubn
		       : t == USER_BY_UID   ? s->ubu
		       : t == GROUP_BY_NAME ? s->gbn
					    : s->gbg,
		.slots = users ? s->uslots : s->gslots,
		.rec = users ? im->urec : im->grec,
		.starts = users ? &im->ustarts : &im->gstarts,
		.flag = users ? im->uflag : im->gflag,
		.n = users ? im->nu : im->ng,
		.by_name = t == USER_BY_NAME || t == GROUP_BY_NAME,
		.of_users = users,
	};
}

static struct want want_record(const struct image *im, enum table t, uint32_t k)
{
	struct want w = { 0 };

	switch (t) {
	case USER_BY_NAME:
		user_name(im, k, &w.name, &w.len);
		break;
	case USER_BY_UID:
		w.id = user_uid(im, k);
		break;
	case GROUP_BY_NAME:
		group_name(im, k, &w.name, &w.len);
		break;
	case GROUP_BY_GID:
		w.id = group_gid(im, k);
		break;
	}
	return w;
}

static uint32_t key_of(const struct table_view *tv, const struct want *w)
{
	return tv->by_name ? um_snap_hash(UM_SNAP_SEED_NAME, w->name, w->len) : w->id;
}

static void who_record(const struct image *im, const struct table_view *tv, uint32_t k, char *buf,
		       size_t size)
{
	if (tv->of_users)
		who_user(im, k, buf, size);
	else
		who_group(im, k, buf, size);
}

/*
 * A look-up of w through table t, as the reader does it (PROBE in
 * directory.c): from the key's slot, linearly, wrapping, at most slots
 * probes, ending at an empty slot, at the first slot of the key whose
 * record is the one, or at a slot of the key whose record the reader
 * would refuse. Returns the record's index, -1 when the look-up finds
 * nothing, -2 when *budget ran out, -3 when it ends at a damaged record.
 * self: the index of the record looked for, when the caller knows it (a
 * slot that points at it is found without a search), else -1.
 */
static int64_t table_lookup(const struct image *im, enum table t, const struct want *w,
			    int64_t self, uint64_t *budget)
{
	struct table_view tv = view(im, t);
	const uint8_t *b = im->s->base;
	uint32_t key = key_of(&tv, w);
	uint32_t i = um_snap_slot(tv.by_name ? key : um_snap_mix(key), tv.slots);

	for (uint32_t n = 0; n < tv.slots; n++) {
		const uint8_t *sl = b + tv.off + 8 * (size_t)i;
		uint32_t ref = um_rd32(sl + 4);

		if (*budget == 0)
			return -2;
		--*budget;
		if (ref == 0)
			return -1;
		if (um_rd32(sl) == key) {
			if (self >= 0 && ref == tv.rec[self])
				return self;
			int64_t k = record_at(tv.starts, ref);
			/* the reader stops there, refusing it */
			if (k < 0)
				return -1;
			if (tv.flag[k] & REC_BAD)
				return -3;
			struct want x = want_record(im, t, (uint32_t)k);
			if (tv.by_name ? x.len == w->len && memcmp(x.name, w->name, x.len) == 0
				       : x.id == w->id)
				return k;
		}
		i = i + 1 == tv.slots ? 0 : i + 1;
	}
	return -1;
}

/* Every slot points at a record of its key, as many as there are
 * records; every record is found by its key. Returns whether all is
 * well. */
static bool check_table(struct verify *v, const struct image *im, enum table t)
{
	struct table_view tv = view(im, t);
	const uint8_t *b = im->s->base;
	uint64_t budget = (uint64_t)PROBE_BUDGET * tv.slots;
	uint32_t occupied = 0;
	unsigned before = v->count;
	char who[128];

	for (uint32_t i = 0; i < tv.slots; i++) {
		const uint8_t *sl = b + tv.off + 8 * (size_t)i;
		uint32_t ref = um_rd32(sl + 4);
		int64_t k;

		if (ref == 0)
			continue;
		occupied++;
		k = record_at(tv.starts, ref);
		if (k < 0) {
			problem(v, "the %s table's slot %u points at no %s record", table_name[t],
				i, tv.of_users ? "user" : "group");
			continue;
		}
		if (tv.flag[k] & REC_BAD)
			continue;
		struct want w = want_record(im, t, (uint32_t)k);
		if (um_rd32(sl) != key_of(&tv, &w)) {
			who_record(im, &tv, (uint32_t)k, who, sizeof(who));
			problem(v, "the %s table's slot %u points at %s under another key",
				table_name[t], i, who);
		}
	}
	if (occupied != tv.n)
		problem(v, "the %s table holds %u entries for %u %s", table_name[t], occupied, tv.n,
			tv.of_users ? "users" : "groups");

	for (uint32_t k = 0; k < tv.n; k++) {
		if (tv.flag[k] & REC_BAD)
			continue;
		struct want w = want_record(im, t, k);
		int64_t found = table_lookup(im, t, &w, k, &budget);
		if (found == -2) {
			problem(v,
				"the %s table's probe chains are too long to check (over %u probes a slot)",
				table_name[t], PROBE_BUDGET);
			return false;
		}
		if (found != (int64_t)k) {
			who_record(im, &tv, k, who, sizeof(who));
			problem(v, "%s: the %s table does not lead to it", who, table_name[t]);
		}
	}
	return v->count == before;
}

/* Look-ups for the cross checks: the record's index, -1 (none) or -3
 * (a damaged record, reported already: the check that needs it is
 * skipped). They share a budget; one that runs out finds nothing, and
 * that is said once. */
static int64_t find(struct verify *v, const struct image *im, enum table t, const char *name,
		    size_t len, uint32_t id)
{
	struct want w = { .name = name, .len = len, .id = id };
	int64_t k = table_lookup(im, t, &w, -1, &v->budget);

	if (k == -2 && !v->cut) {
		v->cut = true;
		problem(v,
			"look-ups through the tables took too long: the memberships were not all checked");
	}
	return k == -2 ? -1 : k;
}

/* ------------------------------------------------------------------------
 * Memberships.
 * ---------------------------------------------------------------------- */

/* User k's gid list has gid, whose group (index g of gim, or -1: none)
 * does not list the user. */
static void user_lists_wrong(struct verify *v, const struct image *uim, uint32_t k,
			     const struct image *gim, int64_t g, uint32_t gid)
{
	const char *p;
	size_t n;
	char who[128];

	if (g == -3 || (g >= 0 && (gim->gflag[g] & REC_MEMBERS_BAD)))
		return; /* the group is damaged: said */
	who_user(uim, k, who, sizeof(who));
	if (g < 0) {
		problem(v, "%s: its group list has gid %u, which is no group", who, gid);
		return;
	}
	group_name(gim, (uint32_t)g, &p, &n);
	problem(v, "%s: its group list has gid %u (%.*s), which does not list it", who, gid,
		shown(n), p);
}

static void group_lists_wrong(struct verify *v, const struct image *gim, uint32_t g,
			      const struct image *uim, uint32_t k)
{
	char gw[128], uw[128];

	who_group(gim, g, gw, sizeof(gw));
	who_user(uim, k, uw, sizeof(uw));
	problem(v, "%s lists %s, whose group list does not have it", gw, uw);
}

static void group_lists_nobody(struct verify *v, const struct image *gim, uint32_t g, const char *p,
			       size_t n)
{
	char gw[128];

	who_group(gim, g, gw, sizeof(gw));
	problem(v, "%s lists %.*s, who is no user", gw, shown(n), p);
}

static void group_unordered(struct verify *v, const struct image *gim, uint32_t g)
{
	char gw[128];

	who_group(gim, g, gw, sizeof(gw));
	problem(v, "%s: its members are not in uid order", gw);
}

/*
 * A standalone image: every name a group lists is a user, in uid order,
 * whose gid list has the group, and every gid a user lists is a group
 * that lists it. Groups are walked in gid order and each user's gids
 * ascend, so one cursor per user (pos) steps through its gid list as the
 * groups that list the user go by: linear in the memberships.
 */
static void check_memberships(struct verify *v, const struct image *im)
{
	_cleanup_free_ uint32_t *pos = calloc((size_t)im->nu + 1, sizeof(*pos));

	if (!pos) {
		problem(v, "the memberships were not checked: out of memory");
		return;
	}
	for (uint32_t g = 0; g < im->ng; g++) {
		if (im->gflag[g] & (REC_BAD | REC_MEMBERS_BAD))
			continue;
		uint32_t gid = group_gid(im, g), nmem = group_nmem(im, g), prev = 0;
		bool said_order = false;
		size_t at = 0;
		for (uint32_t i = 0; i < nmem; i++) {
			const char *p;
			size_t n;
			member_next(im, g, i, &at, &p, &n);
			int64_t m = find(v, im, USER_BY_NAME, p, n, 0);
			if (m < 0) {
				if (m == -1 && !v->cut)
					group_lists_nobody(v, im, g, p, n);
				continue;
			}
			uint32_t k = (uint32_t)m, uid = user_uid(im, k);
			if (i > 0 && uid <= prev && !said_order) {
				group_unordered(v, im, g);
				said_order = true;
			}
			if (i > 0 && uid == prev)
				continue; /* listed twice */
			prev = uid;
			if (im->uflag[k] & REC_GIDS_UNORDERED)
				continue;
			uint32_t ng = user_ngids(im, k);
			while (pos[k] < ng && user_gid_at(im, k, pos[k]) < gid) {
				uint32_t x = user_gid_at(im, k, pos[k]++);
				user_lists_wrong(v, im, k, im,
						 find(v, im, GROUP_BY_GID, NULL, 0, x), x);
			}
			if (pos[k] < ng && user_gid_at(im, k, pos[k]) == gid)
				pos[k]++;
			else
				group_lists_wrong(v, im, g, im, k);
		}
	}
	for (uint32_t k = 0; k < im->nu; k++) {
		if (im->uflag[k] & (REC_BAD | REC_GIDS_UNORDERED))
			continue;
		for (uint32_t ng = user_ngids(im, k); pos[k] < ng;) {
			uint32_t x = user_gid_at(im, k, pos[k]++);
			user_lists_wrong(v, im, k, im, find(v, im, GROUP_BY_GID, NULL, 0, x), x);
		}
	}
}

/* (uid, gid) memberships found from the groups' side, for the users'. */
struct pairs {
	uint64_t *v;
	size_t n, cap;
	bool failed;
};

static void pairs_add(struct pairs *p, uint32_t uid, uint32_t gid)
{
	if (p->n == p->cap) {
		size_t nc = p->cap ? 2 * p->cap : 256;
		uint64_t *nv = realloc(p->v, nc * sizeof(*nv));
		if (!nv) {
			p->failed = true;
			return;
		}
		p->v = nv;
		p->cap = nc;
	}
	p->v[p->n++] = (uint64_t)uid << 32 | gid;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static bool pairs_have(const struct pairs *p, uint32_t uid, uint32_t gid)
{
	uint64_t k = (uint64_t)uid << 32 | gid;

	return p->n && bsearch(&k, p->v, p->n, sizeof(*p->v), cmp_u64) != NULL;
}

/* A user of the merged view: the image it is in and its index there. */
struct user_ref {
	const struct image *im;
	uint32_t k;
};

/* The user NSS finds by name through the overlay (getpwnam()): the
 * overlay's, else the base's unless the overlay answers for its uid.
 * Returns 1, 0 (no such user) or -1 (a damaged record, reported). */
static int merged_user(struct verify *v, const struct image *ov, const struct image *bs,
		       const char *p, size_t n, struct user_ref *ret)
{
	int64_t k = find(v, ov, USER_BY_NAME, p, n, 0);

	if (k == -3)
		return -1;
	if (k >= 0) {
		*ret = (struct user_ref){ ov, (uint32_t)k };
		return 1;
	}
	k = find(v, bs, USER_BY_NAME, p, n, 0);
	if (k == -3)
		return -1;
	if (k < 0 || um_snap_touched_uid(ov->s, user_uid(bs, (uint32_t)k)))
		return 0;
	*ret = (struct user_ref){ bs, (uint32_t)k };
	return 1;
}

/*
 * An overlay over its base, as NSS serves them together. The base was
 * checked by itself: what remains is what the overlay's changes touch.
 */
static void check_merged(struct verify *v, const struct image *ov, const struct image *bs)
{
	const struct um_snap *s = ov->s;
	struct pairs pr = { 0 };
	char who[128];

	/* A name in the overlay and in the base under an id the overlay
	 * leaves to it: getpwnam() and getpwent() would disagree. */
	for (uint32_t k = 0; k < ov->nu; k++) {
		const char *p;
		size_t n;
		if (ov->uflag[k] & REC_BAD)
			continue;
		user_name(ov, k, &p, &n);
		int64_t b = find(v, bs, USER_BY_NAME, p, n, 0);
		if (b >= 0 && !um_snap_touched_uid(s, user_uid(bs, (uint32_t)b))) {
			who_user(ov, k, who, sizeof(who));
			problem(v,
				"%s is also in the base, as uid %u, which the overlay leaves to it",
				who, user_uid(bs, (uint32_t)b));
		}
	}
	for (uint32_t g = 0; g < ov->ng; g++) {
		const char *p;
		size_t n;
		if (ov->gflag[g] & REC_BAD)
			continue;
		group_name(ov, g, &p, &n);
		int64_t b = find(v, bs, GROUP_BY_NAME, p, n, 0);
		if (b >= 0 && !um_snap_touched_gid(s, group_gid(bs, (uint32_t)b))) {
			who_group(ov, g, who, sizeof(who));
			problem(v,
				"%s is also in the base, as gid %u, which the overlay leaves to it",
				who, group_gid(bs, (uint32_t)b));
		}
	}

	/* The overlay's groups: every member a user of the merged view, in
	 * uid order, whose gid list has the group. */
	for (uint32_t g = 0; g < ov->ng; g++) {
		if (ov->gflag[g] & (REC_BAD | REC_MEMBERS_BAD))
			continue;
		uint32_t gid = group_gid(ov, g), nmem = group_nmem(ov, g), prev = 0;
		bool said_order = false;
		size_t at = 0;
		for (uint32_t i = 0; i < nmem; i++) {
			struct user_ref u;
			const char *p;
			size_t n;
			member_next(ov, g, i, &at, &p, &n);
			int found = merged_user(v, ov, bs, p, n, &u);
			if (found <= 0) {
				if (found == 0 && !v->cut)
					group_lists_nobody(v, ov, g, p, n);
				continue;
			}
			uint32_t uid = user_uid(u.im, u.k);
			if (i > 0 && uid <= prev && !said_order) {
				group_unordered(v, ov, g);
				said_order = true;
			}
			if (i > 0 && uid == prev)
				continue; /* listed twice */
			prev = uid;
			if (u.im->uflag[u.k] & REC_GIDS_UNORDERED)
				continue;
			if (user_lists(u.im, u.k, gid))
				pairs_add(&pr, uid, gid);
			else
				group_lists_wrong(v, ov, g, u.im, u.k);
		}
	}
	/* The base's groups that the overlay leaves alone: a member the
	 * overlay answers for must still be a user, listing the group. */
	for (uint32_t g = 0; g < bs->ng; g++) {
		if ((bs->gflag[g] & (REC_BAD | REC_MEMBERS_BAD)) ||
		    um_snap_touched_gid(s, group_gid(bs, g)))
			continue;
		uint32_t gid = group_gid(bs, g), nmem = group_nmem(bs, g);
		size_t at = 0;
		for (uint32_t i = 0; i < nmem; i++) {
			struct user_ref u;
			const char *p;
			size_t n;
			member_next(bs, g, i, &at, &p, &n);
			int64_t b = find(v, bs, USER_BY_NAME, p, n, 0);
			if (b == -3 ||
			    (b >= 0 && !um_snap_touched_uid(s, user_uid(bs, (uint32_t)b))))
				continue; /* the base's own business, checked */
			int found = merged_user(v, ov, bs, p, n, &u);
			if (found <= 0) {
				if (found == 0 && !v->cut)
					group_lists_nobody(v, bs, g, p, n);
				continue;
			}
			if (u.im->uflag[u.k] & REC_GIDS_UNORDERED)
				continue;
			if (user_lists(u.im, u.k, gid))
				pairs_add(&pr, user_uid(u.im, u.k), gid);
			else
				group_lists_wrong(v, bs, g, u.im, u.k);
		}
	}
	if (pr.failed) {
		problem(v, "the memberships were not checked: out of memory");
		free(pr.v);
		return;
	}
	if (pr.n)
		qsort(pr.v, pr.n, sizeof(*pr.v), cmp_u64);

	/* The users' side: every gid of the overlay's users; the gids the
	 * overlay answers for, of the base's users it leaves alone. */
	for (uint32_t k = 0; k < ov->nu; k++) {
		if (ov->uflag[k] & (REC_BAD | REC_GIDS_UNORDERED))
			continue;
		uint32_t uid = user_uid(ov, k);
		for (uint32_t i = 0, ng = user_ngids(ov, k); i < ng; i++) {
			uint32_t gid = user_gid_at(ov, k, i);
			const struct image *gim = um_snap_touched_gid(s, gid) ? ov : bs;
			int64_t g = find(v, gim, GROUP_BY_GID, NULL, 0, gid);
			if ((g < 0 || !pairs_have(&pr, uid, gid)) && !v->cut)
				user_lists_wrong(v, ov, k, gim, g, gid);
		}
	}
	for (uint32_t k = 0; k < bs->nu; k++) {
		if ((bs->uflag[k] & (REC_BAD | REC_GIDS_UNORDERED)) ||
		    um_snap_touched_uid(s, user_uid(bs, k)))
			continue;
		uint32_t uid = user_uid(bs, k);
		for (uint32_t i = 0, ng = user_ngids(bs, k); i < ng; i++) {
			uint32_t gid = user_gid_at(bs, k, i);
			if (!um_snap_touched_gid(s, gid))
				continue;
			int64_t g = find(v, ov, GROUP_BY_GID, NULL, 0, gid);
			if ((g < 0 || !pairs_have(&pr, uid, gid)) && !v->cut)
				user_lists_wrong(v, bs, k, ov, g, gid);
		}
	}
	free(pr.v);
}

/* ------------------------------------------------------------------------
 * The whole.
 * ---------------------------------------------------------------------- */

/* Everything of one image by itself. */
static void check_image(struct verify *v, struct image *im)
{
	v->budget += (uint64_t)PROBE_BUDGET * 2 * ((uint64_t)im->s->uslots + im->s->gslots);
	check_layout(v, im->s);
	walk_users(v, im);
	walk_groups(v, im);
	/* The memberships are checked through the tables: a damaged table
	 * (said) would make every membership through it look wrong too. */
	if (im->users_whole &&
	    !starts_make(&im->ustarts, im->s->users, im->s->users_end, im->urec, im->nu)) {
		problem(v, "the tables were not checked: out of memory");
		im->users_whole = false;
	}
	if (im->groups_whole &&
	    !starts_make(&im->gstarts, im->s->groups, im->s->groups_end, im->grec, im->ng)) {
		problem(v, "the tables were not checked: out of memory");
		im->groups_whole = false;
	}
	im->tables_sound = im->users_whole && im->groups_whole;
	if (im->users_whole) {
		im->tables_sound &= check_table(v, im, USER_BY_NAME);
		im->tables_sound &= check_table(v, im, USER_BY_UID);
	}
	if (im->groups_whole) {
		im->tables_sound &= check_table(v, im, GROUP_BY_NAME);
		im->tables_sound &= check_table(v, im, GROUP_BY_GID);
	}
	if (!im->overlay && im->tables_sound && !im->groups_unordered)
		check_memberships(v, im);
}

unsigned um_snap_verify(const struct um_snap *s, void (*report)(void *ud, const char *problem),
			void *ud, unsigned max_reports)
{
	struct verify v = { .report = report, .ud = ud, .max = max_reports, .prefix = "" };
	struct image ov = { .s = s, .overlay = s->base_generation != 0 };
	struct image bs = { 0 };
	const struct um_snap *b = s->base_generation ? s->under : NULL;

	if (s->base_generation && !b)
		problem(&v, "the overlay's base (generation %llu) is not there to check against",
			(unsigned long long)s->base_generation);
	if (b && (b->base_generation || b->generation != s->base_generation ||
		  um_snap_check(b) != s->base_check)) {
		problem(&v, "the base is not the one the overlay was made over");
		b = NULL;
	}
	check_image(&v, &ov);
	if (b) {
		bs.s = b;
		v.prefix = "base: ";
		check_image(&v, &bs);
		v.prefix = "";
		if (ov.tables_sound && bs.tables_sound)
			check_merged(&v, &ov, &bs);
	}
	image_free(&ov);
	image_free(&bs);
	return v.count;
}

/* SPDX-License-Identifier: MIT */
/*
 * umgmt core: laying out a snapshot (format 3) from its content.
 *
 * Two passes over the content: the first sizes every section (and picks
 * which strings go to the pool), the second writes them into one zeroed
 * buffer, so that padding is always zero and the same content always
 * gives the same bytes (tests/unit/test-publish.c compares a patched
 * snapshot with a full build byte for byte). The pool is sorted, so that
 * its order does not depend on which user came first.
 */
#include "snapshot-format.h"
#include "snapshot-write.h"
#include "umgmt/common.h"

#define POOL_MAX_STRINGS 4096 /* shells and home parents: a handful in practice */
#define POOL_HASH_SLOTS 8192  /* a power of two, over twice POOL_MAX_STRINGS */

struct pool_str {
	const char *s;
	size_t n;
};

struct pool {
	uint16_t *last; /* the slot found last: most users share a shell */
	struct pool_str v[POOL_MAX_STRINGS];
	uint16_t slot[POOL_HASH_SLOTS];	 /* index + 1 into v, 0 = empty */
	uint16_t rank[POOL_MAX_STRINGS]; /* v index → pool index (sorted) */
	size_t count;
	size_t bytes; /* of the entries */
};

/* The slot of s in the pool's hash, found or empty. */
static uint16_t *pool_find(struct pool *p, const char *s, size_t n)
{
	uint32_t i;

	if (p->last && p->v[*p->last - 1].n == n && !memcmp(p->v[*p->last - 1].s, s, n))
		return p->last;
	i = um_snap_hash(UM_SNAP_SEED_POOL, s, n) & (POOL_HASH_SLOTS - 1);
	for (;; i = (i + 1) & (POOL_HASH_SLOTS - 1)) {
		uint16_t k = p->slot[i];
		if (!k)
			return &p->slot[i];
		if (p->v[k - 1].n == n && !memcmp(p->v[k - 1].s, s, n))
			return p->last = &p->slot[i];
	}
}

/* Adds s to the pool; false when the pool is full (s stays inline). */
static bool pool_add(struct pool *p, const char *s, size_t n)
{
	uint16_t *k = pool_find(p, s, n);

	if (*k)
		return true;
	if (p->count == POOL_MAX_STRINGS || n > UM_SNAP_STRING_MAX)
		return false;
	p->v[p->count] = (struct pool_str){ .s = s, .n = n };
	p->bytes += 2 + n + 1;
	*k = (uint16_t)++p->count;
	return true;
}

/* The pool index of s (after pool_sort), or UM_SNAP_INLINE. */
static uint16_t pool_index(struct pool *p, const char *s, size_t n)
{
	uint16_t k = *pool_find(p, s, n);

	return k ? p->rank[k - 1] : UM_SNAP_INLINE;
}

static int cmp_str(const struct pool_str *x, const struct pool_str *y)
{
	int c = memcmp(x->s, y->s, x->n < y->n ? x->n : y->n);

	return c ? c : (x->n > y->n) - (x->n < y->n);
}

/* Sorts the pool's strings (insertion sort: a handful); records the rank
 * of each. */
static void pool_sort(struct pool *p, uint16_t *order)
{
	for (size_t i = 0; i < p->count; i++) {
		size_t j = i;
		for (; j > 0 && cmp_str(&p->v[order[j - 1]], &p->v[i]) > 0; j--)
			order[j] = order[j - 1];
		order[j] = (uint16_t)i;
	}
	for (size_t i = 0; i < p->count; i++)
		p->rank[order[i]] = (uint16_t)i;
}

/* memcpy that accepts NULL for an empty source. */
static void copy(void *dest, const void *src, size_t n)
{
	if (n)
		memcpy(dest, src, n);
}

static size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

/* Per user: what the first pass decided. */
struct uplan {
	uint32_t rec;	     /* the record's offset */
	uint32_t size;	     /* the record's size */
	uint32_t home_len;   /* of the whole home */
	uint16_t prefix_len; /* of the home part before the name, if derived */
	bool derived;
};

static void table_put(uint8_t *t, uint32_t slots, uint32_t key, uint32_t start, uint32_t ref)
{
	for (uint32_t i = start;; i = i + 1 == slots ? 0 : i + 1) {
		uint8_t *s = t + (size_t)i * 8;
		if (um_rd32(s + 4) == 0) {
			um_wr32(s, key);
			um_wr32(s + 4, ref);
			return;
		}
	}
}

/* Puts n keys into table t: keys[i] starts at slot start[i] and refers
 * to refs[i]. The starts are random, so each put is a cache miss on a
 * big table: the slot of the put PREFETCH_AHEAD places ahead is fetched
 * meanwhile (2M puts at 1M users: 160 ms without, a fraction with). */
#define PREFETCH_AHEAD 16
static void table_fill(uint8_t *t, uint32_t slots, const uint32_t *keys, const uint32_t *start,
		       const uint32_t *refs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i + PREFETCH_AHEAD < n)
			__builtin_prefetch(t + (size_t)start[i + PREFETCH_AHEAD] * 8, 1);
		table_put(t, slots, keys[i], start[i], refs[i]);
	}
}

/* Whether the home is a prefix ending in '/' followed by the name, with
 * the prefix in one piece: then only the prefix is kept (in the pool).
 * Returns the prefix length, or 0. */
static size_t derived_prefix(const struct um_snap_user_in *u)
{
	size_t n = u->home_len + u->home_tail_len, pre;

	if (n <= u->name_len)
		return 0;
	pre = n - u->name_len;
	if (pre > u->home_len || u->home[pre - 1] != '/')
		return 0;
	/* the name part may straddle home and home_tail */
	size_t in_home = u->home_len - pre;
	if (memcmp(u->home + pre, u->name, in_home) != 0 ||
	    (u->name_len > in_home &&
	     memcmp(u->home_tail, u->name + in_home, u->name_len - in_home) != 0))
		return 0;
	return pre;
}

static int user_too_long(const char *what, const struct um_snap_user_in *u)
{
	return um_fail(-EINVAL, "the %s of user %.*s is too long for the snapshot", what,
		       (int)(u->name_len > 255 ? 255 : u->name_len), u->name);
}

/* Checks the content and plans the pool and the users. */
static int plan(const struct um_snap_content *c, struct pool *pool, struct uplan *up)
{
	for (size_t i = 0; i < c->n_users; i++) {
		const struct um_snap_user_in *u = &c->users[i];

		if (i && u->uid <= c->users[i - 1].uid)
			return um_fail(-EINVAL, "snapshot users out of uid order at uid %u",
				       u->uid);
		if (u->name_len == 0)
			return um_fail(-EINVAL, "a snapshot user (uid %u) has an empty name",
				       u->uid);
		if (u->name_len > 255)
			return user_too_long("name", u);
		if (u->gecos_len > UM_SNAP_STRING_MAX)
			return user_too_long("GECOS field", u);
		if (u->home_len + u->home_tail_len > UM_SNAP_STRING_MAX)
			return user_too_long("home", u);
		if (u->shell_len > UM_SNAP_STRING_MAX)
			return user_too_long("shell", u);
		if (u->ngids > UINT32_MAX / 8)
			return user_too_long("group list", u);
		up[i].home_len = (uint32_t)(u->home_len + u->home_tail_len);
		up[i].prefix_len = (uint16_t)derived_prefix(u);
		pool_add(pool, u->shell, u->shell_len);
		up[i].derived = up[i].prefix_len && pool_add(pool, u->home, up[i].prefix_len);
	}
	for (size_t g = 0; g < c->n_groups; g++) {
		const struct um_snap_group_in *gr = &c->groups[g];

		if (g && gr->gid <= c->groups[g - 1].gid)
			return um_fail(-EINVAL, "snapshot groups out of gid order at gid %u",
				       gr->gid);
		if (gr->name_len == 0)
			return um_fail(-EINVAL, "a snapshot group (gid %u) has an empty name",
				       gr->gid);
		if (gr->name_len > UM_SNAP_STRING_MAX)
			return um_fail(-EINVAL, "the name of group %u is too long for the snapshot",
				       gr->gid);
		if (gr->names) {
			size_t len = 0;
			for (size_t k = 0; k < gr->nmem; k++)
				len += gr->lens[k] + 1u;
			if (len != gr->names_len)
				return um_fail(-EINVAL,
					       "group %.*s: its member names do not add up",
					       (int)gr->name_len, gr->name);
			continue;
		}
		for (size_t k = 0; k < gr->nmem; k++)
			if (gr->members[k] >= c->n_users ||
			    (k && gr->members[k] <= gr->members[k - 1]))
				return um_fail(-EINVAL, "group %.*s has a member that is no user",
					       (int)gr->name_len, gr->name);
	}
	return 0;
}

/* The bytes of the member names of gr, NULs included. */
static size_t members_len(const struct um_snap_content *c, const struct um_snap_group_in *gr)
{
	size_t n = 0;

	if (gr->names)
		return gr->names_len;
	for (size_t k = 0; k < gr->nmem; k++)
		n += c->users[gr->members[k]].name_len + 1;
	return n;
}

static uint64_t group_size(const struct um_snap_content *c, const struct um_snap_group_in *gr)
{
	return pad4(UM_SNAP_G_LENS + gr->nmem + gr->name_len + 1 + members_len(c, gr));
}

/* Writes user u's record at up->rec. */
static void write_user(uint8_t *b, const struct um_snap_user_in *u, const struct uplan *up,
		       struct pool *pool)
{
	uint8_t *rp = b + up->rec, *q;
	uint16_t shell = pool_index(pool, u->shell, u->shell_len);

	um_wr32(rp + UM_SNAP_U_UID, u->uid);
	um_wr32(rp + UM_SNAP_U_GID, u->gid);
	um_wr32(rp + UM_SNAP_U_NGIDS, u->ngids);
	um_wr16(rp + UM_SNAP_U_GECOS_LEN, (uint16_t)u->gecos_len);
	um_wr16(rp + UM_SNAP_U_SHELL, shell);
	rp[UM_SNAP_U_NAME_LEN] = (uint8_t)u->name_len;
	copy(rp + UM_SNAP_U_GIDS, u->gids, 4 * (size_t)u->ngids);
	q = rp + UM_SNAP_U_GIDS + 4 * (size_t)u->ngids;
	copy(q, u->name, u->name_len);
	q += u->name_len + 1;
	copy(q, u->gecos, u->gecos_len);
	q += u->gecos_len + 1;
	if (up->derived) {
		um_wr16(rp + UM_SNAP_U_DIR_LEN, UM_SNAP_DIR_DERIVED);
		um_wr16(rp + UM_SNAP_U_DIR_PREFIX, pool_index(pool, u->home, up->prefix_len));
	} else {
		um_wr16(rp + UM_SNAP_U_DIR_LEN, (uint16_t)up->home_len);
		um_wr16(rp + UM_SNAP_U_DIR_PREFIX, UM_SNAP_INLINE);
		copy(q, u->home, u->home_len);
		copy(q + u->home_len, u->home_tail, u->home_tail_len);
		q += up->home_len + 1;
	}
	if (shell == UM_SNAP_INLINE) {
		um_wr16(q, (uint16_t)u->shell_len);
		copy(q + 2, u->shell, u->shell_len);
	}
	um_wr32(rp, um_snap_crc(UM_SNAP_SEED_USER, rp + 4, up->size - 4));
}

/* Writes group gr's record at rp (size bytes). */
static void write_group(uint8_t *rp, uint32_t size, const struct um_snap_content *c,
			const struct um_snap_group_in *gr)
{
	uint8_t *q = rp + UM_SNAP_G_LENS;
	size_t mlen = members_len(c, gr);

	um_wr32(rp + UM_SNAP_G_GID, gr->gid);
	um_wr32(rp + UM_SNAP_G_NMEM, (uint32_t)gr->nmem);
	um_wr32(rp + UM_SNAP_G_MEMBERS_LEN, (uint32_t)mlen);
	um_wr16(rp + UM_SNAP_G_NAME_LEN, (uint16_t)gr->name_len);
	if (gr->names) {
		copy(q, gr->lens, gr->nmem);
		q += gr->nmem;
		copy(q, gr->name, gr->name_len);
		q += gr->name_len + 1;
		copy(q, gr->names, gr->names_len);
	} else {
		for (size_t k = 0; k < gr->nmem; k++)
			q[k] = (uint8_t)c->users[gr->members[k]].name_len;
		q += gr->nmem;
		copy(q, gr->name, gr->name_len);
		q += gr->name_len + 1;
		for (size_t k = 0; k < gr->nmem; k++) {
			const struct um_snap_user_in *u = &c->users[gr->members[k]];
			copy(q, u->name, u->name_len);
			q += u->name_len + 1;
		}
	}
	um_wr32(rp, um_snap_crc(UM_SNAP_SEED_GROUP, rp + 4, size - 4));
}

int um_snap_build(const struct um_snap_content *c, uint8_t **ret, size_t *ret_len)
{
	_cleanup_free_ struct pool *pool = calloc(1, sizeof(*pool));
	_cleanup_free_ struct uplan *up = calloc(c->n_users ? c->n_users : 1, sizeof(*up));
	_cleanup_free_ uint16_t *order = calloc(POOL_MAX_STRINGS, sizeof(*order));
	uint64_t users_len = 0, groups_len = 0, pool_len, total;
	uint32_t uslots, gslots;
	uint8_t *b;
	int r;

	if (!pool || !up || !order)
		return -ENOMEM;
	if (c->n_users > UINT32_MAX / 64 || c->n_groups > UINT32_MAX / 64)
		return um_fail(-EFBIG, "too many users or groups for one snapshot");
	if ((r = plan(c, pool, up)) < 0)
		return r;
	pool_sort(pool, order);

	/* Sizes. */
	for (size_t i = 0; i < c->n_users; i++) {
		const struct um_snap_user_in *u = &c->users[i];
		size_t rec =
			UM_SNAP_U_GIDS + 4 * (size_t)u->ngids + u->name_len + 1 + u->gecos_len + 1;

		if (!up[i].derived)
			rec += up[i].home_len + 1;
		if (pool_index(pool, u->shell, u->shell_len) == UM_SNAP_INLINE)
			rec += 2 + u->shell_len + 1;
		up[i].size = (uint32_t)pad4(rec);
		users_len += up[i].size;
	}
	for (size_t g = 0; g < c->n_groups; g++)
		groups_len += group_size(c, &c->groups[g]);
	pool_len = pad4(4 + 4 * pool->count + pool->bytes);
	uint64_t touched_len =
		c->base_generation ? 8 + 4 * ((uint64_t)c->n_touched_uids + c->n_touched_gids) : 0;
	uslots = um_snap_slots((uint32_t)c->n_users);
	gslots = um_snap_slots((uint32_t)c->n_groups);
	uint64_t o_pool = UM_SNAP_HEADER_SIZE, o_users = o_pool + pool_len,
		 o_groups = o_users + users_len, o_ubn = o_groups + groups_len,
		 o_ubu = o_ubn + 8 * (uint64_t)uslots, o_gbn = o_ubu + 8 * (uint64_t)uslots,
		 o_gbg = o_gbn + 8 * (uint64_t)gslots;
	uint64_t o_touched = o_gbg + 8 * (uint64_t)gslots;
	total = o_touched + touched_len;
	if (total > UM_SNAP_MAX_SIZE || groups_len > UINT32_MAX)
		return um_fail(-EFBIG, "the snapshot would be over 4 GiB");
	b = calloc(1, total);
	if (!b)
		return -ENOMEM;

	/* The pool, sorted. */
	uint8_t *p = b + o_pool;
	uint32_t at = 4 + 4 * (uint32_t)pool->count;
	um_wr32(p, (uint32_t)pool->count);
	for (size_t i = 0; i < pool->count; i++) {
		const struct pool_str *ps = &pool->v[order[i]];
		um_wr32(p + 4 + 4 * i, at);
		um_wr16(p + at, (uint16_t)ps->n);
		memcpy(p + at + 2, ps->s, ps->n);
		at += 2 + (uint32_t)ps->n + 1;
	}

	/* Users and their tables. */
	size_t nk = c->n_users > c->n_groups ? c->n_users : c->n_groups;
	uint32_t *keys = calloc(nk + 1, 4), *start = calloc(nk + 1, 4), *refs = calloc(nk + 1, 4);
	if (!keys || !start || !refs) {
		free(keys), free(start), free(refs), free(b);
		return -ENOMEM;
	}
	uint64_t uat = o_users;
	for (size_t i = 0; i < c->n_users; i++) {
		up[i].rec = (uint32_t)uat;
		write_user(b, &c->users[i], &up[i], pool);
		uat += up[i].size;
		keys[i] = um_snap_hash(UM_SNAP_SEED_NAME, c->users[i].name, c->users[i].name_len);
		start[i] = um_snap_slot(keys[i], uslots);
		refs[i] = up[i].rec;
	}
	table_fill(b + o_ubn, uslots, keys, start, refs, c->n_users);
	for (size_t i = 0; i < c->n_users; i++) {
		keys[i] = c->users[i].uid;
		start[i] = um_snap_slot(um_snap_mix(keys[i]), uslots);
	}
	table_fill(b + o_ubu, uslots, keys, start, refs, c->n_users);

	/* Groups and their tables. */
	uint64_t gat = o_groups;
	for (size_t g = 0; g < c->n_groups; g++) {
		const struct um_snap_group_in *gr = &c->groups[g];
		uint32_t size = (uint32_t)group_size(c, gr);

		write_group(b + gat, size, c, gr);
		keys[g] = um_snap_hash(UM_SNAP_SEED_NAME, gr->name, gr->name_len);
		start[g] = um_snap_slot(keys[g], gslots);
		refs[g] = (uint32_t)gat;
		gat += size;
	}
	table_fill(b + o_gbn, gslots, keys, start, refs, c->n_groups);
	for (size_t g = 0; g < c->n_groups; g++) {
		keys[g] = c->groups[g].gid;
		start[g] = um_snap_slot(um_snap_mix(keys[g]), gslots);
	}
	table_fill(b + o_gbg, gslots, keys, start, refs, c->n_groups);
	free(keys), free(start), free(refs);

	/* An overlay's touched ids. */
	if (touched_len) {
		uint8_t *t = b + o_touched;
		um_wr32(t, (uint32_t)c->n_touched_uids);
		for (size_t i = 0; i < c->n_touched_uids; i++)
			um_wr32(t + 4 + 4 * i, c->touched_uids[i]);
		t += 4 + 4 * c->n_touched_uids;
		um_wr32(t, (uint32_t)c->n_touched_gids);
		for (size_t i = 0; i < c->n_touched_gids; i++)
			um_wr32(t + 4 + 4 * i, c->touched_gids[i]);
	}
	um_wr64(b + UM_SNAP_H_BASE_GENERATION, c->base_generation);
	um_wr32(b + UM_SNAP_H_BASE_CHECK, c->base_check);
	um_wr32(b + UM_SNAP_H_TOUCHED, touched_len ? (uint32_t)o_touched : 0);
	um_wr32(b + UM_SNAP_H_TOUCHED + 4, (uint32_t)touched_len);

	/* The header, last: it covers the pool. */
	memcpy(b, UM_SNAP_MAGIC, 8);
	um_wr32(b + UM_SNAP_H_FORMAT, UM_SNAP_FORMAT);
	um_wr32(b + UM_SNAP_H_HEADER_SIZE, UM_SNAP_HEADER_SIZE);
	um_wr64(b + UM_SNAP_H_GENERATION, c->generation);
	um_wr64(b + UM_SNAP_H_PUBLISHED_AT, c->published_at);
	um_wr64(b + UM_SNAP_H_FILE_SIZE, total);
	um_wr32(b + UM_SNAP_H_N_USERS, (uint32_t)c->n_users);
	um_wr32(b + UM_SNAP_H_N_GROUPS, (uint32_t)c->n_groups);
	um_wr32(b + UM_SNAP_H_USER_SLOTS, uslots);
	um_wr32(b + UM_SNAP_H_GROUP_SLOTS, gslots);
	um_wr32(b + UM_SNAP_H_POOL, (uint32_t)o_pool);
	um_wr32(b + UM_SNAP_H_POOL + 4, (uint32_t)pool_len);
	um_wr32(b + UM_SNAP_H_USERS, (uint32_t)o_users);
	um_wr32(b + UM_SNAP_H_USERS + 4, (uint32_t)users_len);
	um_wr32(b + UM_SNAP_H_GROUPS, (uint32_t)o_groups);
	um_wr32(b + UM_SNAP_H_GROUPS + 4, (uint32_t)groups_len);
	um_wr32(b + UM_SNAP_H_USER_BY_NAME, (uint32_t)o_ubn);
	um_wr32(b + UM_SNAP_H_USER_BY_UID, (uint32_t)o_ubu);
	um_wr32(b + UM_SNAP_H_GROUP_BY_NAME, (uint32_t)o_gbn);
	um_wr32(b + UM_SNAP_H_GROUP_BY_GID, (uint32_t)o_gbg);
	um_wr32(b + UM_SNAP_H_POOL_CHECK, um_snap_crc(UM_SNAP_SEED_POOL, b + o_pool, pool_len));
	um_wr32(b + UM_SNAP_H_CHECK, um_snap_crc(UM_SNAP_SEED_HEADER, b, UM_SNAP_H_CHECK));
	*ret = b;
	*ret_len = total;
	return 0;
}

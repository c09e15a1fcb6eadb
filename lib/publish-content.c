/* SPDX-License-Identifier: MIT */
/*
 * umgmt core: what a new snapshot holds, gathered for snapshot-write.c.
 *
 * Two ways, one result (tests/unit/test-publish.c checks they give the
 * same bytes):
 *
 * - in full, from the truth: users, groups and memberships, each read
 *   with one sequential scan (a cross-owner read of users, groups and
 *   group_members: docs/DESIGN.md);
 * - as a patch of the published snapshot: its records are taken as they
 *   are (zero-copy, pointing into its mapping) except those of the uids
 *   and gids that the change log (dir_changes) names since its
 *   generation, which are read again from the truth (a rename of a user
 *   dirties its groups too: their member lists hold its name).
 *
 * Both run inside the caller's read transaction: one consistent view.
 */
#include "publish-private.h"
#include "snapshot-format.h"
#include "snapshot-read.h"

/* ------------------------------------------------------------------------
 * Memory: an arena for strings read from the truth (blocks never move).
 * ---------------------------------------------------------------------- */

struct block {
	struct block *next;
	size_t used, cap;
	char data[];
};

static void *arena_alloc(struct um_publish_content *pc, size_t n)
{
	struct block *b = pc->arena;

	n = (n + 7) & ~(size_t)7;
	if (!b || b->cap - b->used < n) {
		size_t cap = n > (1 << 20) ? n : (1 << 20);
		b = malloc(sizeof(*b) + cap);
		if (!b)
			return NULL;
		*b = (struct block){ .next = pc->arena, .cap = cap };
		pc->arena = b;
	}
	void *p = b->data + b->used;
	b->used += n;
	return p;
}

static const char *arena_text(struct um_publish_content *pc, sqlite3_stmt *st, int col, size_t *len)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	size_t n = (size_t)sqlite3_column_bytes(st, col);
	char *p;

	*len = n;
	if (!t)
		return n ? NULL : "";
	p = arena_alloc(pc, n + 1);
	if (p)
		memcpy(p, t, n + 1);
	return p;
}

void um_publish_content_free(struct um_publish_content *pc)
{
	for (struct block *b = pc->arena, *next; b; b = next) {
		next = b->next;
		free(b);
	}
	free(pc->users);
	free(pc->groups);
	free(pc->members);
	free(pc->gids);
	free(pc->touched_uids);
	free(pc->touched_gids);
	*pc = (struct um_publish_content){ 0 };
}

/* ------------------------------------------------------------------------
 * Ids → ordinals: a dense table (ids are handed out in order and never
 * reused), or, for a store whose ids are far apart, a sorted array.
 * ---------------------------------------------------------------------- */

struct idmap {
	uint32_t *dense; /* dense[id] = value + 1, 0 = none */
	int64_t max;
	struct idpair {
		int64_t id;
		uint32_t v;
	} * pairs;
	size_t n, cap;
};

static int idmap_put(struct idmap *m, int64_t id, uint32_t v)
{
	if (m->n == m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 1024;
		struct idpair *np = realloc(m->pairs, cap * sizeof(*np));
		if (!np)
			return -ENOMEM;
		m->pairs = np;
		m->cap = cap;
	}
	m->pairs[m->n++] = (struct idpair){ id, v };
	return 0;
}

static int cmp_idpair(const void *a, const void *b)
{
	const struct idpair *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* After the last put: makes the map fast to read. */
static int idmap_seal(struct idmap *m)
{
	int64_t max = -1;

	for (size_t i = 0; i < m->n; i++)
		if (m->pairs[i].id > max)
			max = m->pairs[i].id;
	if (max >= 0 && (uint64_t)max <= 4 * (uint64_t)m->n + 65536) {
		m->dense = calloc((size_t)max + 1, sizeof(*m->dense));
		if (!m->dense)
			return -ENOMEM;
		m->max = max;
		for (size_t i = 0; i < m->n; i++)
			if (m->pairs[i].id >= 0)
				m->dense[m->pairs[i].id] = m->pairs[i].v + 1;
		return 0;
	}
	if (m->n)
		qsort(m->pairs, m->n, sizeof(*m->pairs), cmp_idpair);
	return 0;
}

/* The value for id, or -1. */
static int64_t idmap_get(const struct idmap *m, int64_t id)
{
	if (m->dense)
		return id >= 0 && id <= m->max && m->dense[id] ? (int64_t)m->dense[id] - 1 : -1;
	if (!m->n)
		return -1;
	struct idpair key = { .id = id };
	const struct idpair *hit = bsearch(&key, m->pairs, m->n, sizeof(key), cmp_idpair);
	return hit ? (int64_t)hit->v : -1;
}

static void idmap_free(struct idmap *m)
{
	free(m->dense);
	free(m->pairs);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* ------------------------------------------------------------------------
 * Reading rows of the truth.
 * ---------------------------------------------------------------------- */

static const char sql_users[] = "SELECT id, uid, gid, name, full_name, home, shell\n"
				"FROM main.users WHERE {WHERE} ORDER BY uid";
static const char sql_groups[] = "SELECT id, gid, name FROM main.groups WHERE {WHERE} ORDER BY gid";

static int prepare_where(struct um_db *db, const char *tmpl, const char *where, sqlite3_stmt **st)
{
	const char *at = strstr(tmpl, "{WHERE}");
	_cleanup_free_ char *sql = um_asprintf("%.*s%s%s", (int)(at - tmpl), tmpl, where, at + 7);

	return sql ? um_db_prepare(db, sql, st) : -ENOMEM;
}

static int id_col(sqlite3_stmt *st, int col, uint32_t *ret)
{
	int64_t v = sqlite3_column_int64(st, col);

	if (v < 0 || v > UINT32_MAX)
		return um_fail(-EBADMSG, "an id out of range in the store: %lld", (long long)v);
	*ret = (uint32_t)v;
	return 0;
}

/* Reads the users st selects into pc->users (appending; st's rows are in
 * uid order) and their ids into ids (value: position in pc->users). */
static int read_users(struct um_db *db, struct um_publish_content *pc, sqlite3_stmt *st,
		      struct um_snap_user_in **ret, size_t *ret_n)
{
	struct um_snap_user_in *v = NULL;
	size_t n = 0, cap = 0;
	int rc, r = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			size_t nc = cap ? 2 * cap : 1024;
			struct um_snap_user_in *nv = realloc(v, nc * sizeof(*nv));
			if (!nv) {
				r = -ENOMEM;
				break;
			}
			v = nv;
			cap = nc;
		}
		struct um_snap_user_in *u = &v[n];
		*u = (struct um_snap_user_in){ 0 };
		if ((r = id_col(st, 0, &u->id)) < 0 || (r = id_col(st, 1, &u->uid)) < 0 ||
		    (r = id_col(st, 2, &u->gid)) < 0)
			break;
		u->name = arena_text(pc, st, 3, &u->name_len);
		u->gecos = arena_text(pc, st, 4, &u->gecos_len);
		u->home = arena_text(pc, st, 5, &u->home_len);
		u->shell = arena_text(pc, st, 6, &u->shell_len);
		u->home_tail = "";
		if (!u->name || !u->gecos || !u->home || !u->shell) {
			r = -ENOMEM;
			break;
		}
		n++;
	}
	if (r >= 0 && rc != SQLITE_DONE)
		r = um_db_error(db, rc, "read the users");
	if (r < 0) {
		free(v);
		return r;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

/* ------------------------------------------------------------------------
 * The full build.
 * ---------------------------------------------------------------------- */

int um_publish_content_full(struct um_db *db, struct um_publish_content *pc)
{
	_cleanup_stmt_ sqlite3_stmt *su = NULL, *sg = NULL, *sm = NULL;
	struct idmap uids = { 0 }, gids = { 0 };
	_cleanup_free_ uint32_t *gcount = NULL, *ucount = NULL, *pair_g = NULL, *pair_u = NULL;
	size_t npairs = 0, cap = 0;
	int r, rc;

	r = prepare_where(db, sql_users, "1", &su);
	if (r >= 0)
		r = read_users(db, pc, su, &pc->users, &pc->n_users);
	for (size_t i = 0; r >= 0 && i < pc->n_users; i++)
		r = idmap_put(&uids, pc->users[i].id, (uint32_t)i);
	if (r >= 0)
		r = idmap_seal(&uids);

	/* Groups, in gid order; the map takes groups.id to their place. */
	if (r >= 0)
		r = prepare_where(db, sql_groups, "1", &sg);
	while (r >= 0 && (rc = sqlite3_step(sg)) == SQLITE_ROW) {
		if (pc->n_groups == cap) {
			size_t nc = cap ? 2 * cap : 256;
			struct um_snap_group_in *nv = realloc(pc->groups, nc * sizeof(*nv));
			if (!nv) {
				r = -ENOMEM;
				break;
			}
			pc->groups = nv;
			cap = nc;
		}
		struct um_snap_group_in *g = &pc->groups[pc->n_groups];
		*g = (struct um_snap_group_in){ 0 };
		if ((r = id_col(sg, 1, &g->gid)) < 0)
			break;
		g->name = arena_text(pc, sg, 2, &g->name_len);
		if (!g->name)
			r = -ENOMEM;
		else
			r = idmap_put(&gids, sqlite3_column_int64(sg, 0), (uint32_t)pc->n_groups++);
	}
	if (r >= 0 && rc != SQLITE_DONE)
		r = um_db_error(db, rc, "read the groups");
	if (r >= 0)
		r = idmap_seal(&gids);

	/* Memberships, in one scan of the table's own order. */
	if (r >= 0)
		r = um_db_prepare(db, "SELECT group_id, user_id FROM main.group_members", &sm);
	cap = 0;
	while (r >= 0 && (rc = sqlite3_step(sm)) == SQLITE_ROW) {
		int64_t g = idmap_get(&gids, sqlite3_column_int64(sm, 0));
		int64_t u = idmap_get(&uids, sqlite3_column_int64(sm, 1));
		if (g < 0 || u < 0)
			continue;
		if (npairs == cap) {
			size_t nc = cap ? 2 * cap : 4096;
			uint32_t *a = realloc(pair_g, nc * sizeof(*a));
			if (a)
				pair_g = a;
			uint32_t *b = a ? realloc(pair_u, nc * sizeof(*b)) : NULL;
			if (!b) {
				r = -ENOMEM;
				break;
			}
			pair_u = b;
			cap = nc;
		}
		pair_g[npairs] = (uint32_t)g;
		pair_u[npairs++] = (uint32_t)u;
	}
	if (r >= 0 && rc != SQLITE_DONE)
		r = um_db_error(db, rc, "read the memberships");
	idmap_free(&uids);
	idmap_free(&gids);
	if (r < 0)
		return r;

	/* Bucket them by group (member lists) and by user (gid lists). */
	gcount = calloc(pc->n_groups + 1, sizeof(*gcount));
	ucount = calloc(pc->n_users + 1, sizeof(*ucount));
	pc->members = malloc((npairs ? npairs : 1) * sizeof(*pc->members));
	pc->gids = malloc((npairs ? npairs : 1) * 4);
	if (!gcount || !ucount || !pc->members || !pc->gids)
		return -ENOMEM;
	for (size_t i = 0; i < npairs; i++)
		gcount[pair_g[i] + 1]++, ucount[pair_u[i] + 1]++;
	for (size_t g = 0; g < pc->n_groups; g++)
		gcount[g + 1] += gcount[g];
	for (size_t u = 0; u < pc->n_users; u++)
		ucount[u + 1] += ucount[u];
	for (size_t g = 0; g < pc->n_groups; g++) {
		pc->groups[g].members = pc->members + gcount[g];
		pc->groups[g].nmem = 0;
	}
	for (size_t i = 0; i < npairs; i++) {
		struct um_snap_group_in *g = &pc->groups[pair_g[i]];
		((uint32_t *)g->members)[g->nmem++] = pair_u[i];
	}
	for (size_t g = 0; g < pc->n_groups; g++)
		if (pc->groups[g].nmem > 1)
			qsort((uint32_t *)pc->groups[g].members, pc->groups[g].nmem,
			      sizeof(uint32_t), cmp_u32);
	for (size_t u = 0; u < pc->n_users; u++) {
		pc->users[u].gids = pc->gids + 4 * (size_t)ucount[u];
		pc->users[u].ngids = 0;
	}
	/* groups in gid order: each user's list comes out ascending */
	for (size_t g = 0; g < pc->n_groups; g++)
		for (size_t k = 0; k < pc->groups[g].nmem; k++) {
			struct um_snap_user_in *u = &pc->users[pc->groups[g].members[k]];
			um_wr32((unsigned char *)u->gids + 4 * (size_t)u->ngids++,
				pc->groups[g].gid);
		}
	return 0;
}

/* ------------------------------------------------------------------------
 * The patch.
 * ---------------------------------------------------------------------- */

/* The dirty keys of one kind since gen, ascending. */
static int dirty_keys(struct um_db *db, const char *kind, int64_t gen, uint32_t **ret,
		      size_t *ret_n)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	uint32_t *v = NULL;
	size_t n = 0, cap = 0;
	int r, rc;

	r = um_db_prepare(db,
			  "SELECT DISTINCT num FROM main.dir_changes\n"
			  "WHERE gen > :gen AND kind = :kind ORDER BY num",
			  &st);
	if (r >= 0 && (r = um_bind_int(st, ":gen", gen)) >= 0)
		r = um_bind_text(st, ":kind", kind);
	while (r >= 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			size_t nc = cap ? 2 * cap : 64;
			uint32_t *nv = realloc(v, nc * sizeof(*nv));
			if (!nv) {
				r = -ENOMEM;
				break;
			}
			v = nv;
			cap = nc;
		}
		r = id_col(st, 0, &v[n++]);
	}
	if (r >= 0 && rc != SQLITE_DONE)
		r = um_db_error(db, rc, "read the change log");
	if (r < 0) {
		free(v);
		return r;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

static bool in_sorted(const uint32_t *v, size_t n, uint32_t k)
{
	return n && bsearch(&k, v, n, sizeof(*v), cmp_u32) != NULL;
}

/* The gids of user id, ascending, as little-endian bytes in the arena. */
static int read_user_gids(struct um_db *db, struct um_publish_content *pc, sqlite3_stmt *st,
			  struct um_snap_user_in *u)
{
	size_t n = 0, cap = 16;
	unsigned char *v = NULL, *nv;
	int r, rc;

	sqlite3_reset(st);
	if ((r = um_bind_int(st, ":id", u->id)) < 0)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		uint32_t gid = 0;
		if (!v || n == cap) {
			cap *= 2;
			nv = arena_alloc(pc, 4 * cap);
			if (!nv)
				return -ENOMEM;
			if (v)
				memcpy(nv, v, 4 * n);
			v = nv;
		}
		if ((r = id_col(st, 0, &gid)) < 0)
			return r;
		um_wr32(v + 4 * n++, gid);
	}
	if (rc != SQLITE_DONE)
		return um_db_error(db, rc, "read a user's groups");
	u->gids = v ? v : (const unsigned char *)"";
	u->ngids = (uint32_t)n;
	return 0;
}

/* Reads the groups that sg selects (id, gid, name; in gid order) with
 * their members' names from the truth, laid out as the snapshot keeps
 * them (in uid order), appending to *v. */
static int read_groups(struct um_db *db, struct um_publish_content *pc, sqlite3_stmt *sg,
		       struct um_snap_group_in **v, size_t *n, size_t *cap)
{
	_cleanup_stmt_ sqlite3_stmt *sm = NULL;
	int r, rc;

	r = um_db_prepare(db,
			  "SELECT u.name FROM main.group_members m\n"
			  "  JOIN main.users u ON u.id = m.user_id\n"
			  "WHERE m.group_id = :id ORDER BY u.uid",
			  &sm);
	while (r >= 0 && (rc = sqlite3_step(sg)) == SQLITE_ROW) {
		struct um_snap_group_in g = { 0 };
		size_t nmem = 0, lcap = 0, bytes = 0, bcap = 0;
		uint8_t *lens = NULL;
		char *names = NULL;

		if (*n == *cap) {
			size_t nc = *cap ? 2 * *cap : 64;
			struct um_snap_group_in *nv = realloc(*v, nc * sizeof(*nv));
			if (!nv)
				return -ENOMEM;
			*v = nv;
			*cap = nc;
		}
		if ((r = id_col(sg, 1, &g.gid)) < 0)
			return r;
		g.name = arena_text(pc, sg, 2, &g.name_len);
		if (!g.name)
			return -ENOMEM;
		sqlite3_reset(sm);
		if ((r = um_bind_int(sm, ":id", sqlite3_column_int64(sg, 0))) < 0)
			return r;
		while ((rc = sqlite3_step(sm)) == SQLITE_ROW) {
			size_t len = (size_t)sqlite3_column_bytes(sm, 0);
			const unsigned char *t = sqlite3_column_text(sm, 0);

			if (!t || len > 255)
				return um_fail(-EBADMSG, "a member name in the store is too long");
			if (nmem == lcap || bytes + len + 1 > bcap) {
				/* grow both in the arena (old copies are left behind:
				 * a few big groups at most) */
				size_t nl = nmem == lcap ? (lcap ? 2 * lcap : 64) : lcap;
				size_t nb = bytes + len + 1 > bcap ? 2 * (bcap + len + 1) : bcap;
				uint8_t *l2 = arena_alloc(pc, nl);
				char *b2 = arena_alloc(pc, nb);
				if (!l2 || !b2)
					return -ENOMEM;
				if (nmem)
					memcpy(l2, lens, nmem);
				if (bytes)
					memcpy(b2, names, bytes);
				lens = l2, names = b2, lcap = nl, bcap = nb;
			}
			lens[nmem++] = (uint8_t)len;
			memcpy(names + bytes, t, len + 1);
			bytes += len + 1;
		}
		if (rc != SQLITE_DONE)
			return um_db_error(db, rc, "read a group's members");
		g.nmem = nmem;
		g.lens = lens ? lens : (const uint8_t *)"";
		g.names = names ? names : "";
		g.names_len = bytes;
		(*v)[(*n)++] = g;
	}
	if (r >= 0 && rc != SQLITE_DONE)
		r = um_db_error(db, rc, "read the groups");
	return r;
}

/* The dirty users since gen, from the truth, with their gid lists. */
static int read_dirty_users(struct um_db *db, struct um_publish_content *pc, int64_t gen,
			    struct um_snap_user_in **ret, size_t *ret_n)
{
	_cleanup_stmt_ sqlite3_stmt *su = NULL, *sgids = NULL;
	int r;

	r = prepare_where(
		db, sql_users,
		"uid IN (SELECT num FROM main.dir_changes WHERE gen > :gen AND kind = 'user')",
		&su);
	if (r >= 0 && (r = um_bind_int(su, ":gen", gen)) >= 0)
		r = read_users(db, pc, su, ret, ret_n);
	if (r >= 0)
		r = um_db_prepare(db,
				  "SELECT g.gid FROM main.group_members m\n"
				  "  JOIN main.groups g ON g.id = m.group_id\n"
				  "WHERE m.user_id = :id ORDER BY g.gid",
				  &sgids);
	for (size_t i = 0; r >= 0 && i < *ret_n; i++)
		r = read_user_gids(db, pc, sgids, &(*ret)[i]);
	return r;
}

/* The dirty groups since gen, from the truth. */
static int read_dirty_groups(struct um_db *db, struct um_publish_content *pc, int64_t gen,
			     struct um_snap_group_in **v, size_t *n)
{
	_cleanup_stmt_ sqlite3_stmt *sg = NULL;
	size_t cap = 0;
	int r;

	r = prepare_where(
		db, sql_groups,
		"gid IN (SELECT num FROM main.dir_changes WHERE gen > :gen AND kind = 'group')",
		&sg);
	if (r >= 0 && (r = um_bind_int(sg, ":gen", gen)) >= 0)
		r = read_groups(db, pc, sg, v, n, &cap);
	return r;
}

int um_publish_content_patch(struct um_db *db, struct um_publish_content *pc,
			     const struct um_snap *base)
{
	_cleanup_free_ uint32_t *duid = NULL, *dgid = NULL;
	_cleanup_free_ struct um_snap_user_in *fresh = NULL;
	_cleanup_free_ struct um_snap_group_in *dirty = NULL;
	int64_t gen = (int64_t)base->generation;
	size_t nduid, ndgid, nfresh = 0, nd = 0, k;
	uint32_t at;
	int r;

	if ((r = dirty_keys(db, "user", gen, &duid, &nduid)) < 0 ||
	    (r = dirty_keys(db, "group", gen, &dgid, &ndgid)) < 0 ||
	    (r = read_dirty_users(db, pc, gen, &fresh, &nfresh)) < 0 ||
	    (r = read_dirty_groups(db, pc, gen, &dirty, &nd)) < 0)
		return r;

	/* Users: the untouched ones from the base, the dirty ones again from
	 * the truth, merged in uid order. */
	pc->users = malloc(((size_t)base->n_users + nfresh + 1) * sizeof(*pc->users));
	if (!pc->users)
		return -ENOMEM;
	at = base->users, k = 0;
	for (uint32_t o = 0; o < base->n_users; o++) {
		struct um_dir_user u;
		if ((r = um_snap_user_at(base, at, &u, &at)) < 0)
			return r;
		while (k < nfresh && fresh[k].uid < u.uid)
			pc->users[pc->n_users++] = fresh[k++];
		if (in_sorted(duid, nduid, u.uid))
			continue;
		pc->users[pc->n_users++] = (struct um_snap_user_in){
			.uid = u.uid,
			.gid = u.gid,
			.ngids = u.ngids,
			.gids = u.gids,
			.name = u.name,
			.name_len = u.name_len,
			.gecos = u.gecos,
			.gecos_len = u.gecos_len,
			.home = u.dir,
			.home_len = u.dir_len,
			.home_tail = u.dir_tail,
			.home_tail_len = u.dir_tail_len,
			.shell = u.shell,
			.shell_len = u.shell_len,
		};
	}
	while (k < nfresh)
		pc->users[pc->n_users++] = fresh[k++];
	if (at != base->users_end)
		return um_fail(-EBADMSG, "the snapshot's users do not fill their section");

	/* Groups the same way; an untouched group is taken as it is, its
	 * member names included (a rename of a member dirties the group). */
	pc->groups = malloc(((size_t)base->n_groups + nd + 1) * sizeof(*pc->groups));
	if (!pc->groups)
		return -ENOMEM;
	at = base->groups, k = 0;
	for (uint32_t o = 0; o < base->n_groups; o++) {
		struct um_dir_group g;
		if ((r = um_snap_group_at(base, at, &g, &at)) < 0)
			return r;
		while (k < nd && dirty[k].gid < g.gid)
			pc->groups[pc->n_groups++] = dirty[k++];
		if (in_sorted(dgid, ndgid, g.gid))
			continue;
		pc->groups[pc->n_groups++] = (struct um_snap_group_in){
			.gid = g.gid,
			.name = g.name,
			.name_len = g.name_len,
			.nmem = g.nmem,
			.lens = base->base + g.rec_ + UM_SNAP_G_LENS,
			.names = g.name + g.name_len + 1,
			.names_len = g.members_len,
		};
	}
	while (k < nd)
		pc->groups[pc->n_groups++] = dirty[k++];
	if (at != base->groups_end)
		return um_fail(-EBADMSG, "the snapshot's groups do not fill their section");
	return 0;
}

/* ------------------------------------------------------------------------
 * The overlay: only what changed since the base.
 * ---------------------------------------------------------------------- */

int um_publish_content_overlay(struct um_db *db, struct um_publish_content *pc,
			       const struct um_snap *base)
{
	int64_t gen = (int64_t)base->generation;
	int r;

	if ((r = dirty_keys(db, "user", gen, &pc->touched_uids, &pc->n_touched_uids)) < 0 ||
	    (r = dirty_keys(db, "group", gen, &pc->touched_gids, &pc->n_touched_gids)) < 0 ||
	    (r = read_dirty_users(db, pc, gen, &pc->users, &pc->n_users)) < 0)
		return r;
	return read_dirty_groups(db, pc, gen, &pc->groups, &pc->n_groups);
}

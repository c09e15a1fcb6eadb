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
 *   generation, which are read again from the truth. Group member lists
 *   hold ordinals (places in uid order); the patch shifts the untouched
 *   lists' ordinals past the users added and removed, without reading a
 *   single name. If an untouched list names a removed user, the log did
 *   not cover the change: the patch gives up and a full build runs.
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

int um_publish_content_patch(struct um_db *db, struct um_publish_content *pc,
			     const struct um_snap *base)
{
	int64_t old_gen = (int64_t)base->generation;
	_cleanup_free_ uint32_t *duid = NULL, *dgid = NULL, *remap = NULL;
	_cleanup_free_ struct um_snap_user_in *fresh = NULL;
	_cleanup_stmt_ sqlite3_stmt *su = NULL, *sg = NULL, *sgids = NULL, *smem = NULL;
	_cleanup_free_ struct um_snap_group_in *dirty = NULL;
	_cleanup_free_ uint32_t *tmp = NULL;
	_cleanup_free_ struct moved {
		uint32_t o, id;
	} *moved = NULL;
	size_t nmoved = 0;
	struct um_snap snap;
	struct idmap ids = { 0 };
	size_t nduid, ndgid, nfresh = 0, nmemb = 0, nd = 0, used = 0, tcap = 0;
	int r, rc;

	snap = *base;
	if ((r = dirty_keys(db, "user", old_gen, &duid, &nduid)) < 0 ||
	    (r = dirty_keys(db, "group", old_gen, &dgid, &ndgid)) < 0)
		return r;

	/* Users: the untouched ones from the snapshot, the dirty ones again
	 * from the truth, merged in uid order. */
	r = prepare_where(
		db, sql_users,
		"uid IN (SELECT num FROM main.dir_changes WHERE gen > :gen AND kind = 'user')",
		&su);
	if (r >= 0 && (r = um_bind_int(su, ":gen", old_gen)) >= 0)
		r = read_users(db, pc, su, &fresh, &nfresh);
	if (r >= 0)
		r = um_db_prepare(db,
				  "SELECT g.gid FROM main.group_members m\n"
				  "  JOIN main.groups g ON g.id = m.group_id\n"
				  "WHERE m.user_id = :id ORDER BY g.gid",
				  &sgids);
	for (size_t i = 0; r >= 0 && i < nfresh; i++)
		r = read_user_gids(db, pc, sgids, &fresh[i]);
	if (r < 0)
		return r;
	pc->users = malloc(((size_t)snap.n_users + nfresh + 1) * sizeof(*pc->users));
	remap = malloc(((size_t)snap.n_users + 1) * sizeof(*remap));
	moved = malloc((nduid + 1) * sizeof(*moved));
	if (!pc->users || !remap || !moved)
		return -ENOMEM;
	uint32_t at = snap.users, k = 0;
	for (uint32_t o = 0; o < snap.n_users; o++) {
		struct um_dir_user u;
		if ((r = um_snap_user_at(&snap, at, &u, &at)) < 0)
			return r;
		while (k < nfresh && fresh[k].uid < u.uid)
			pc->users[pc->n_users++] = fresh[k++];
		if (in_sorted(duid, nduid, u.uid)) {
			/* read again from the truth: its new place is found below */
			remap[o] = UINT32_MAX;
			moved[nmoved++] = (struct moved){ .o = o, .id = u.id };
			continue;
		}
		remap[o] = (uint32_t)pc->n_users;
		pc->users[pc->n_users++] = (struct um_snap_user_in){
			.id = u.id,
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
	if (at != snap.users_end)
		return um_fail(-EBADMSG, "the snapshot's users do not fill their section");

	/* The dirty groups' members are read by id: their new ordinals. */
	for (size_t i = 0; i < pc->n_users; i++)
		if ((r = idmap_put(&ids, pc->users[i].id, (uint32_t)i)) < 0)
			goto out;
	if ((r = idmap_seal(&ids)) < 0)
		goto out;
	/* A user read again keeps its place in member lists if it still
	 * exists (found by id: it may have a new uid, so a new place). */
	for (size_t i = 0; i < nmoved; i++) {
		int64_t now = idmap_get(&ids, moved[i].id);
		remap[moved[i].o] = now < 0 ? UINT32_MAX : (uint32_t)now;
	}

	/* Groups, merged the same way. The untouched member lists are copied
	 * with their ordinals shifted. */
	for (uint32_t o = 0, gat = snap.groups; o < snap.n_groups; o++) {
		struct um_dir_group g;
		if ((r = um_snap_group_at(&snap, gat, &g, &gat)) < 0)
			goto out;
		nmemb += g.nmem;
	}
	r = prepare_where(
		db, sql_groups,
		"gid IN (SELECT num FROM main.dir_changes WHERE gen > :gen AND kind = 'group')",
		&sg);
	if (r >= 0 && (r = um_bind_int(sg, ":gen", old_gen)) >= 0)
		r = um_db_prepare(db, "SELECT user_id FROM main.group_members WHERE group_id = :id",
				  &smem);
	if (r < 0)
		goto out;
	pc->members = malloc((nmemb + 1) * sizeof(*pc->members));
	pc->groups = malloc(((size_t)snap.n_groups + ndgid + 1) * sizeof(*pc->groups));
	dirty = calloc(ndgid + 1, sizeof(*dirty));
	if (!pc->members || !pc->groups || !dirty) {
		r = -ENOMEM;
		goto out;
	}
	/* first the dirty groups from the truth, in gid order, then a merge */
	while ((rc = sqlite3_step(sg)) == SQLITE_ROW && nd < ndgid) {
		struct um_snap_group_in *g = &dirty[nd];
		size_t n = 0;
		if ((r = id_col(sg, 1, &g->gid)) < 0)
			goto out;
		g->name = arena_text(pc, sg, 2, &g->name_len);
		sqlite3_reset(smem);
		if (!g->name || (r = um_bind_int(smem, ":id", sqlite3_column_int64(sg, 0))) < 0) {
			r = r < 0 ? r : -ENOMEM;
			goto out;
		}
		while ((rc = sqlite3_step(smem)) == SQLITE_ROW) {
			int64_t u = idmap_get(&ids, sqlite3_column_int64(smem, 0));
			if (u < 0)
				continue;
			if (n == tcap) {
				tcap = tcap ? 2 * tcap : 1024;
				uint32_t *nt = realloc(tmp, tcap * sizeof(*nt));
				if (!nt) {
					r = -ENOMEM;
					goto out;
				}
				tmp = nt;
			}
			tmp[n++] = (uint32_t)u;
		}
		if (rc != SQLITE_DONE) {
			r = um_db_error(db, rc, "read a group's members");
			goto out;
		}
		if (n > 1)
			qsort(tmp, n, sizeof(*tmp), cmp_u32);
		uint32_t *m = arena_alloc(pc, (n ? n : 1) * sizeof(*m));
		if (!m) {
			r = -ENOMEM;
			goto out;
		}
		if (n)
			memcpy(m, tmp, n * sizeof(*m));
		g->members = m;
		g->nmem = n;
		nd++;
	}
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		r = um_db_error(db, rc, "read the groups");
		goto out;
	}
	k = 0;
	for (uint32_t o = 0, gat = snap.groups; o < snap.n_groups; o++) {
		struct um_dir_group g;
		if ((r = um_snap_group_at(&snap, gat, &g, &gat)) < 0)
			goto out;
		while (k < nd && dirty[k].gid < g.gid)
			pc->groups[pc->n_groups++] = dirty[k++];
		if (in_sorted(dgid, ndgid, g.gid))
			continue;
		uint32_t *m = pc->members + used;
		bool sorted = true;
		for (uint32_t i = 0; i < g.nmem; i++) {
			uint32_t old = um_snap_group_member(&g, i);
			if (old >= snap.n_users || remap[old] == UINT32_MAX) {
				/* the log missed a change: rebuild in full */
				r = um_fail(-ESTALE, "group %u names a user the change log removed",
					    g.gid);
				goto out;
			}
			m[i] = remap[old];
			sorted = sorted && (i == 0 || m[i] > m[i - 1]);
		}
		if (!sorted) /* a member's uid changed */
			qsort(m, g.nmem, sizeof(*m), cmp_u32);
		used += g.nmem;
		pc->groups[pc->n_groups++] = (struct um_snap_group_in){
			.gid = g.gid,
			.name = g.name,
			.name_len = g.name_len,
			.members = m,
			.nmem = g.nmem,
		};
	}
	while (k < nd)
		pc->groups[pc->n_groups++] = dirty[k++];
	r = 0;
out:
	idmap_free(&ids);
	return r;
}

/* ------------------------------------------------------------------------
 * The overlay: only what changed since the base.
 * ---------------------------------------------------------------------- */

/* The base ordinal of the base's user uid, or -1. The name index is in
 * ordinal order and so are the name entries: a binary search over it for
 * the user's name entry gives the ordinal. */
static int64_t base_ordinal(const struct um_snap *base, uint32_t uid)
{
	struct um_dir_user u;
	uint32_t name, lo = 0, hi = base->n_users;

	if (um_snap_user_by_uid(base, uid, &u) < 0) {
		um_error_forget(0);
		return -1;
	}
	name = (uint32_t)((const uint8_t *)u.name - 5 - base->base);
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		uint32_t v = um_rd32(base->base + base->index + 4 * (size_t)mid);
		if (v == name)
			return mid;
		if (v < name)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

struct member {
	uint32_t uid, ref;
};

static int cmp_member(const void *a, const void *b)
{
	const struct member *x = a, *y = b;

	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

int um_publish_content_overlay(struct um_db *db, struct um_publish_content *pc,
			       const struct um_snap *base)
{
	_cleanup_stmt_ sqlite3_stmt *su = NULL, *sg = NULL, *sgids = NULL, *smem = NULL;
	_cleanup_free_ struct member *tmp = NULL;
	int64_t since = (int64_t)base->generation;
	size_t cap = 0, tcap = 0;
	int r, rc;

	if ((r = dirty_keys(db, "user", since, &pc->touched_uids, &pc->n_touched_uids)) < 0 ||
	    (r = dirty_keys(db, "group", since, &pc->touched_gids, &pc->n_touched_gids)) < 0)
		return r;
	r = prepare_where(
		db, sql_users,
		"uid IN (SELECT num FROM main.dir_changes WHERE gen > :gen AND kind = 'user')",
		&su);
	if (r >= 0 && (r = um_bind_int(su, ":gen", since)) >= 0)
		r = read_users(db, pc, su, &pc->users, &pc->n_users);
	if (r >= 0)
		r = um_db_prepare(db,
				  "SELECT g.gid FROM main.group_members m\n"
				  "  JOIN main.groups g ON g.id = m.group_id\n"
				  "WHERE m.user_id = :id ORDER BY g.gid",
				  &sgids);
	for (size_t i = 0; r >= 0 && i < pc->n_users; i++)
		r = read_user_gids(db, pc, sgids, &pc->users[i]);
	if (r >= 0)
		r = prepare_where(db, sql_groups,
				  "gid IN (SELECT num FROM main.dir_changes\n"
				  "  WHERE gen > :gen AND kind = 'group')",
				  &sg);
	if (r >= 0)
		r = um_bind_int(sg, ":gen", since);
	if (r >= 0)
		r = um_db_prepare(db,
				  "SELECT u.uid FROM main.group_members m\n"
				  "  JOIN main.users u ON u.id = m.user_id WHERE m.group_id = :id",
				  &smem);
	while (r >= 0 && (rc = sqlite3_step(sg)) == SQLITE_ROW) {
		struct um_snap_group_in g = { 0 };
		size_t n = 0;

		if (pc->n_groups == cap) {
			size_t nc = cap ? 2 * cap : 64;
			struct um_snap_group_in *nv = realloc(pc->groups, nc * sizeof(*nv));
			if (!nv)
				return -ENOMEM;
			pc->groups = nv;
			cap = nc;
		}
		if ((r = id_col(sg, 1, &g.gid)) < 0)
			return r;
		g.name = arena_text(pc, sg, 2, &g.name_len);
		sqlite3_reset(smem);
		if (!g.name)
			return -ENOMEM;
		if ((r = um_bind_int(smem, ":id", sqlite3_column_int64(sg, 0))) < 0)
			return r;
		while ((rc = sqlite3_step(smem)) == SQLITE_ROW) {
			uint32_t uid = 0;
			if ((r = id_col(smem, 0, &uid)) < 0)
				return r;
			if (n == tcap) {
				tcap = tcap ? 2 * tcap : 1024;
				struct member *nt = realloc(tmp, tcap * sizeof(*nt));
				if (!nt)
					return -ENOMEM;
				tmp = nt;
			}
			tmp[n++] = (struct member){ .uid = uid };
		}
		if (rc != SQLITE_DONE)
			return um_db_error(db, rc, "read a group's members");
		/* members in uid order, as a full build has them */
		if (n > 1)
			qsort(tmp, n, sizeof(*tmp), cmp_member);
		uint32_t *m = arena_alloc(pc, (n ? n : 1) * sizeof(*m));
		if (!m)
			return -ENOMEM;
		for (size_t k = 0; k < n; k++) {
			int64_t o;
			if (in_sorted(pc->touched_uids, pc->n_touched_uids, tmp[k].uid)) {
				/* a user of the overlay: its place among them */
				size_t lo = 0, hi = pc->n_users;
				while (lo < hi) {
					size_t mid = lo + (hi - lo) / 2;
					if (pc->users[mid].uid < tmp[k].uid)
						lo = mid + 1;
					else
						hi = mid;
				}
				if (lo == pc->n_users || pc->users[lo].uid != tmp[k].uid)
					return um_fail(-ESTALE, "a member the overlay lacks");
				m[k] = UM_SNAP_OWN | (uint32_t)lo;
			} else if ((o = base_ordinal(base, tmp[k].uid)) >= 0) {
				m[k] = (uint32_t)o;
			} else {
				return um_fail(-ESTALE, "a member the base lacks");
			}
		}
		g.members = m;
		g.nmem = n;
		pc->groups[pc->n_groups++] = g;
	}
	if (r >= 0 && rc != SQLITE_DONE)
		r = um_db_error(db, rc, "read the groups");
	return r;
}

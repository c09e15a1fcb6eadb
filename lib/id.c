/* SPDX-License-Identifier: MIT */
/* umgmt core: uids, gids and users' row ids, owner of the used_ids and
 * row_ids tables (id.h). */
#include "id.h"
#include "umgmt/local.h"

bool um_id_is_reserved(uint64_t id)
{
	return id == 0 || id == 65534 || id == 65535 || id == UINT32_MAX;
}

static const char *kind_name(enum um_id_kind kind)
{
	return kind == UM_ID_GID ? "gid" : "uid";
}

static const char sql_id_used[] = "SELECT 1 FROM used_ids WHERE kind = :kind AND num = :num";

static int id_used_in_store(struct um_store *s, enum um_id_kind kind, uint32_t id, bool *ret)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = um_db_prepare(&s->db, sql_id_used, &st);

	if (r >= 0)
		r = um_bind_text(st, ":kind", kind_name(kind));
	if (r >= 0)
		r = um_bind_int(st, ":num", id);
	if (r >= 0)
		r = um_db_step(&s->db, st, "look up an id");
	if (r < 0)
		return r;
	*ret = r == 1;
	return 0;
}

/* Why id cannot be a new uid (or gid): 0 when it can. kind is UM_ID_UID
 * or UM_ID_GID. */
static int id_conflict(struct um_store *s, enum um_id_kind kind, uint32_t id, bool check_sub)
{
	bool is_uid = kind == UM_ID_UID;
	const char *name = kind_name(kind);
	_cleanup_free_ char *owner = NULL;
	bool used = false;
	int r;

	if (um_id_is_reserved(id))
		return um_fail(-EPERM, "%s %u is reserved by the system", name, id);
	r = id_used_in_store(s, kind, id, &used);
	if (r < 0)
		return r;
	if (used)
		return um_fail(-EEXIST, "%s %u is or was in use in umgmt; ids are never reused",
			       name, id);
	owner = is_uid ? um_local_uid_owner(id) : um_local_gid_owner(id);
	if (owner)
		return um_fail(-EEXIST, "%s %u belongs to local %s '%s' in %s", name, id,
			       is_uid ? "user" : "group", owner,
			       is_uid ? UM_PASSWD_PATH : UM_GROUP_PATH);
	if (check_sub && (is_uid ? um_local_subuid_taken(id) : um_local_subgid_taken(id)))
		return um_fail(-EEXIST, "%s %u lies in a subordinate id range of %s", name, id,
			       is_uid ? UM_SUBUID_PATH : UM_SUBGID_PATH);
	return 0;
}

static int conflict(struct um_store *s, enum um_id_kind kind, uint32_t id, bool check_sub)
{
	int r;

	if (kind != UM_ID_BOTH)
		return id_conflict(s, kind, id, check_sub);
	r = id_conflict(s, UM_ID_UID, id, check_sub);
	return r < 0 ? r : id_conflict(s, UM_ID_GID, id, check_sub);
}

int um_id_check_given(struct um_store *s, enum um_id_kind kind, uint32_t id)
{
	return conflict(s, kind, id, false);
}

static const char sql_mark_used[] =
	"INSERT OR IGNORE INTO used_ids(kind, num) VALUES (:kind, :num)";

int um_id_mark_used(struct um_store *s, sqlite3_stmt **cache, enum um_id_kind kind, uint32_t id)
{
	_cleanup_stmt_ sqlite3_stmt *own = NULL;
	sqlite3_stmt **st = cache ? cache : &own;
	int r = um_db_prepare_cached(&s->db, st, sql_mark_used);

	if (r >= 0)
		r = um_bind_text(*st, ":kind", kind_name(kind));
	if (r >= 0)
		r = um_bind_int(*st, ":num", id);
	return r < 0 ? r : um_db_exec_stmt(&s->db, *st, "record an id");
}

static const char sql_high_water[] =
	"SELECT max(num) FROM used_ids WHERE kind = :kind AND num BETWEEN :min AND :max";

/* The high-water mark of kind in [min, max] + 1, or min. */
static int next_candidate(struct um_store *s, enum um_id_kind kind, uint32_t min, uint32_t max,
			  uint64_t *ret)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = um_db_prepare(&s->db, sql_high_water, &st);

	if (r >= 0)
		r = um_bind_text(st, ":kind", kind_name(kind));
	if (r >= 0)
		r = um_bind_int(st, ":min", min);
	if (r >= 0)
		r = um_bind_int(st, ":max", max);
	if (r >= 0)
		r = um_db_step(&s->db, st, "allocate an id");
	if (r < 0)
		return r;
	*ret = r == 0 || sqlite3_column_type(st, 0) == SQLITE_NULL
		       ? min
		       : (uint64_t)sqlite3_column_int64(st, 0) + 1;
	return 0;
}

int um_id_alloc(struct um_store *s, enum um_id_kind kind, uint32_t *ret)
{
	const struct um_config *c = s->cfg;
	bool uid = kind != UM_ID_GID;
	uint32_t min = uid ? c->uid_min : c->gid_min, max = uid ? c->uid_max : c->gid_max;
	uint64_t cand, other;
	int r;

	if (kind == UM_ID_BOTH) {
		/* One number free on both sides: above both high-water marks. */
		min = c->uid_min > c->gid_min ? c->uid_min : c->gid_min;
		max = c->uid_max < c->gid_max ? c->uid_max : c->gid_max;
		r = next_candidate(s, UM_ID_UID, min, max, &cand);
		if (r >= 0)
			r = next_candidate(s, UM_ID_GID, min, max, &other);
		if (r < 0)
			return r;
		if (other > cand)
			cand = other;
	} else {
		r = next_candidate(s, kind, min, max, &cand);
		if (r < 0)
			return r;
	}
	/* Step over local and reserved ids (rare; the default range has none). */
	for (; cand <= max; cand++) {
		r = conflict(s, kind, (uint32_t)cand, true);
		if (r >= 0)
			break;
		if (r != -EEXIST && r != -EPERM)
			return r;
		um_error_forget(r);
	}
	if (cand > max)
		return um_fail(-ENOSPC, "no free %s left in the configured range %u-%u",
			       kind == UM_ID_BOTH ? "id" : kind_name(kind), min, max);
	*ret = (uint32_t)cand;
	return 0;
}

static const char sql_reserve_rows[] =
	"UPDATE row_ids SET hw = hw + :n WHERE tbl = 'users' RETURNING hw";

int um_id_reserve_user_rows(struct um_store *s, int64_t n, int64_t *ret_first)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = um_db_prepare(&s->db, sql_reserve_rows, &st);

	if (r >= 0)
		r = um_bind_int(st, ":n", n);
	if (r >= 0)
		r = um_db_step(&s->db, st, "allocate a user's row");
	if (r == 0)
		r = um_fail(-EBADMSG, "the store has no row id mark for users");
	if (r < 0)
		return r;
	*ret_first = sqlite3_column_int64(st, 0) - n + 1;
	/* RETURNING: the UPDATE is done when the statement is. */
	return um_db_exec_stmt(&s->db, st, "allocate a user's row");
}

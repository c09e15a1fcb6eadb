/* SPDX-License-Identifier: MIT */
/* umgmt core: groups and memberships. */
#include "store-private.h"
#include "umgmt/group.h"
#include "umgmt/local.h"
#include "umgmt/validate.h"

void um_group_free(struct um_group *g)
{
	if (!g)
		return;
	free(g->name);
	free(g->description);
	free(g->private_of);
	for (size_t i = 0; i < g->n_members; i++)
		free(g->members[i]);
	free(g->members);
	free(g);
}

void um_group_list_free(struct um_group **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		um_group_free(v[i]);
	free(v);
}

#define GROUP_COLUMNS "g.id, g.name, g.gid, g.description, u.name, g.created_at"
static const char sql_group_by_name[] =
	"SELECT " GROUP_COLUMNS " FROM groups g LEFT JOIN users u ON u.id = g.private_of\n"
	"WHERE g.name = :name";
static const char sql_groups_all[] =
	"SELECT " GROUP_COLUMNS " FROM groups g LEFT JOIN users u ON u.id = g.private_of\n"
	"ORDER BY g.gid";
static const char sql_members[] =
	"SELECT u.name FROM group_members m JOIN users u ON u.id = m.user_id\n"
	"WHERE m.group_id = :id ORDER BY u.name";

static int group_from_row(struct um_store *s, sqlite3_stmt *row, struct um_group **ret)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	struct um_group *g = calloc(1, sizeof(*g));
	int r, rc;

	if (!g)
		return -ENOMEM;
	g->id = sqlite3_column_int64(row, 0);
	g->name = um_col_text(row, 1, false);
	g->gid = (uint32_t)sqlite3_column_int64(row, 2);
	g->description = um_col_text(row, 3, false);
	g->private_of = um_col_text(row, 4, true);
	g->created_at = sqlite3_column_int64(row, 5);
	if (!g->name || !g->description ||
	    (sqlite3_column_type(row, 4) != SQLITE_NULL && !g->private_of)) {
		um_group_free(g);
		return -ENOMEM;
	}
	r = um_db_prepare(s, sql_members, &st);
	if (r < 0) {
		um_group_free(g);
		return r;
	}
	um_bind_int(st, ":id", g->id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		char **nv = realloc(g->members, (g->n_members + 1) * sizeof(*nv));

		if (!nv || !(nv[g->n_members] = um_col_text(st, 0, false))) {
			if (nv)
				g->members = nv;
			um_group_free(g);
			return -ENOMEM;
		}
		g->members = nv;
		g->n_members++;
	}
	if (rc != SQLITE_DONE) {
		um_group_free(g);
		return um_db_error(s, rc, "read group members");
	}
	*ret = g;
	return 0;
}

int um_group_get(struct um_store *s, const char *name, struct um_group **ret)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = um_db_prepare(s, sql_group_by_name, &st), rc;

	if (r < 0)
		return r;
	um_bind_text(st, ":name", name);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return um_fail(-ESRCH, "no umgmt group named '%s'", name);
	if (rc != SQLITE_ROW)
		return um_db_error(s, rc, "read the group");
	return group_from_row(s, st, ret);
}

int um_group_list(struct um_store *s, struct um_group ***ret, size_t *ret_n)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	struct um_group **v = NULL;
	size_t n = 0;
	int r = um_db_prepare(s, sql_groups_all, &st), rc;

	if (r < 0)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct um_group **nv = realloc(v, (n + 1) * sizeof(*nv));

		if (!nv) {
			r = -ENOMEM;
			break;
		}
		v = nv;
		r = group_from_row(s, st, &v[n]);
		if (r < 0)
			break;
		n++;
	}
	if (r >= 0 && rc != SQLITE_DONE)
		r = um_db_error(s, rc, "list groups");
	if (r < 0) {
		um_group_list_free(v, n);
		return r;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

static int check_description(const char *d)
{
	if (!d)
		return 0;
	if (strlen(d) > 255)
		return um_fail(-EINVAL, "description is longer than 255 bytes");
	for (const unsigned char *p = (const unsigned char *)d; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return um_fail(-EINVAL, "description must not contain control characters");
	return 0;
}

/* Looks up the row id of group (or user) name; 0 when absent. */
static int row_id(struct um_store *s, const char *sql, const char *name, int64_t *ret)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = um_db_prepare(s, sql, &st), rc;

	if (r < 0)
		return r;
	um_bind_text(st, ":name", name);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return um_db_error(s, rc, "look up a name");
	*ret = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	return 0;
}

static const char sql_gid_of[] = "SELECT id FROM groups WHERE name = :name";
static const char sql_uid_of[] = "SELECT id FROM users WHERE name = :name";

static const char sql_insert[] =
	"INSERT INTO groups(name, gid, description, created_at)\n"
	"VALUES (:name, :gid, :description, :now)";

int um_group_add(struct um_store *s, const char *name, int64_t gid_in, const char *description,
		 struct um_group **ret)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int64_t id;
	uint32_t gid;
	int r;

	r = um_check_name("group name", name);
	if (r >= 0)
		r = check_description(description);
	if (r < 0)
		return r;
	if (gid_in != -1 && (gid_in < 0 || gid_in > 4294967294LL))
		return um_fail(-EINVAL, "gid %lld is out of range (1-4294967294)", (long long)gid_in);
	if (um_local_group_exists(name))
		return um_fail(-EEXIST, "'%s' is a local group in %s", name, UM_GROUP_PATH);

	r = um_tx_begin(s);
	if (r < 0)
		return r;
	UM_TX_GUARD(s);
	r = row_id(s, sql_gid_of, name, &id);
	if (r < 0)
		return r;
	if (id)
		return um_fail(-EEXIST, "a group named '%s' already exists", name);
	if (gid_in != -1) {
		gid = (uint32_t)gid_in;
		r = um_check_given_id(s, "gid", gid);
	} else {
		r = um_alloc_id(s, "gid", &gid);
	}
	if (r < 0)
		return r;
	r = um_db_prepare(s, sql_insert, &st);
	if (r < 0)
		return r;
	um_bind_text(st, ":name", name);
	um_bind_int(st, ":gid", gid);
	um_bind_text(st, ":description", description ? description : "");
	um_bind_int(st, ":now", um_now());
	r = um_db_exec_stmt(s, st, "create the group");
	if (r >= 0)
		r = um_mark_id_used(s, "gid", gid);
	if (r >= 0)
		r = um_audit(s, "group add", "group", name, 0, "");
	if (r >= 0)
		r = um_tx_commit(s, true);
	if (r < 0)
		return r;
	return ret ? um_group_get(s, name, ret) : 0;
}

int um_group_delete(struct um_store *s, const char *name)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int64_t id;
	int r, rc;

	r = um_tx_begin(s);
	if (r < 0)
		return r;
	UM_TX_GUARD(s);
	r = row_id(s, sql_gid_of, name, &id);
	if (r < 0)
		return r;
	if (!id)
		return um_fail(-ESRCH, "no umgmt group named '%s'", name);
	r = um_db_prepare(s, "SELECT name FROM users WHERE group_id = :id ORDER BY name LIMIT 1",
			  &st);
	if (r < 0)
		return r;
	um_bind_int(st, ":id", id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		return um_fail(-EPERM,
			       "group '%s' is the primary group of user '%s'; move or delete that user first",
			       name, sqlite3_column_text(st, 0));
	if (rc != SQLITE_DONE)
		return um_db_error(s, rc, "check the group's users");
	sqlite3_finalize(st);
	st = NULL;
	r = um_db_prepare(s, "DELETE FROM groups WHERE id = :id", &st);
	if (r < 0)
		return r;
	um_bind_int(st, ":id", id);
	r = um_db_exec_stmt(s, st, "delete the group");
	if (r >= 0)
		r = um_audit(s, "group delete", "group", name, 0, "");
	if (r < 0)
		return r;
	return um_tx_commit(s, true);
}

/* Resolves both names inside the caller's transaction. */
static int resolve_pair(struct um_store *s, const char *group, const char *user, int64_t *gid,
			int64_t *uid)
{
	int r = row_id(s, sql_gid_of, group, gid);

	if (r < 0)
		return r;
	if (!*gid)
		return um_fail(-ESRCH, "no umgmt group named '%s'", group);
	r = row_id(s, sql_uid_of, user, uid);
	if (r < 0)
		return r;
	if (!*uid)
		return um_fail(-ESRCH, "no umgmt user named '%s'", user);
	return 0;
}

int um_group_add_member(struct um_store *s, const char *group, const char *user)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int64_t gid, uid;
	int r;

	r = um_tx_begin(s);
	if (r < 0)
		return r;
	UM_TX_GUARD(s);
	r = resolve_pair(s, group, user, &gid, &uid);
	if (r < 0)
		return r;
	r = um_db_prepare(s, "INSERT OR IGNORE INTO group_members(group_id, user_id) VALUES (:g, :u)",
			  &st);
	if (r < 0)
		return r;
	um_bind_int(st, ":g", gid);
	um_bind_int(st, ":u", uid);
	r = um_db_exec_stmt(s, st, "add the member");
	if (r < 0)
		return r;
	if (sqlite3_changes(s->db) == 0)
		return um_fail(-EEXIST, "user '%s' is already a member of group '%s'", user, group);
	r = um_audit(s, "group add-member", "group", group, uid, user);
	if (r < 0)
		return r;
	return um_tx_commit(s, true);
}

int um_group_remove_member(struct um_store *s, const char *group, const char *user)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int64_t gid, uid;
	int r;

	r = um_tx_begin(s);
	if (r < 0)
		return r;
	UM_TX_GUARD(s);
	r = resolve_pair(s, group, user, &gid, &uid);
	if (r < 0)
		return r;
	r = um_db_prepare(s, "DELETE FROM group_members WHERE group_id = :g AND user_id = :u", &st);
	if (r < 0)
		return r;
	um_bind_int(st, ":g", gid);
	um_bind_int(st, ":u", uid);
	r = um_db_exec_stmt(s, st, "remove the member");
	if (r < 0)
		return r;
	if (sqlite3_changes(s->db) == 0)
		return um_fail(-ESRCH, "user '%s' is not a member of group '%s'", user, group);
	r = um_audit(s, "group remove-member", "group", group, uid, user);
	if (r < 0)
		return r;
	return um_tx_commit(s, true);
}

/* SPDX-License-Identifier: MIT */
/* umgmt core: groups and memberships, owner of the groups and
 * group_members tables (group.h, group-private.h). */
#include "audit.h"
#include "group-private.h"
#include "id.h"
#include "publish.h"
#include "user-private.h"
#include "umgmt/date.h"
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
	r = um_db_prepare(&s->db, sql_members, &st);
	if (r >= 0)
		r = um_bind_int(st, ":id", g->id);
	if (r < 0) {
		um_group_free(g);
		return r;
	}
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
		return um_db_error(&s->db, rc, "read group members");
	}
	*ret = g;
	return 0;
}

int um_group_get(struct um_store *s, const char *name, struct um_group **ret)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = um_db_prepare(&s->db, sql_group_by_name, &st), rc;

	if (r < 0)
		return r;
	if ((r = um_bind_text(st, ":name", name)) < 0)
		return r;
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return um_fail(-ESRCH, "no umgmt group named '%s'", name);
	if (rc != SQLITE_ROW)
		return um_db_error(&s->db, rc, "read the group");
	return group_from_row(s, st, ret);
}

int um_group_list(struct um_store *s, struct um_group ***ret, size_t *ret_n)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	struct um_group **v = NULL;
	size_t n = 0;
	int r = um_db_prepare(&s->db, sql_groups_all, &st), rc;

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
		r = um_db_error(&s->db, rc, "list groups");
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

static const char sql_find[] = "SELECT id, gid FROM groups WHERE name = :name";

int um_group_find(struct um_store *s, const char *name, int64_t *ret_id, uint32_t *ret_gid)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = um_db_prepare(&s->db, sql_find, &st);

	if (r >= 0)
		r = um_bind_text(st, ":name", name);
	if (r >= 0)
		r = um_db_step(&s->db, st, "look up a group");
	if (r < 0)
		return r;
	*ret_id = r ? sqlite3_column_int64(st, 0) : 0;
	if (ret_gid)
		*ret_gid = r ? (uint32_t)sqlite3_column_int64(st, 1) : 0;
	return 0;
}

static const char sql_insert[] = "INSERT INTO groups(id, name, gid, description, created_at)\n"
				 "VALUES (:id, :name, :gid, :description, :now)";

int um_group_insert(struct um_store *s, sqlite3_stmt **cache, const struct um_group_row *row,
		    int64_t *ret_id)
{
	_cleanup_stmt_ sqlite3_stmt *own = NULL;
	sqlite3_stmt **st = cache ? cache : &own;
	int r = um_db_prepare_cached(&s->db, st, sql_insert);

	if (r >= 0)
		r = row->id ? um_bind_int(*st, ":id", row->id) : um_bind_text(*st, ":id", NULL);
	if (r >= 0)
		r = um_bind_text(*st, ":name", row->name);
	if (r >= 0)
		r = um_bind_int(*st, ":gid", row->gid);
	if (r >= 0)
		r = um_bind_text(*st, ":description", row->description ? row->description : "");
	if (r >= 0)
		r = um_bind_int(*st, ":now", row->created_at);
	if (r >= 0)
		r = um_db_exec_stmt(&s->db, *st, "create the group");
	if (r >= 0 && ret_id)
		*ret_id = sqlite3_last_insert_rowid(s->db.h);
	return r;
}

static const char sql_names_of[] =
	"SELECT g.name FROM group_members m JOIN groups g ON g.id = m.group_id\n"
	"WHERE m.user_id = :id ORDER BY g.name";

int um_group_names_of(struct um_store *s, sqlite3_stmt **cache, int64_t user_id, char ***ret,
		      size_t *ret_n)
{
	_cleanup_stmt_ sqlite3_stmt *own = NULL;
	char **v = NULL;
	size_t n = 0;
	sqlite3_stmt **st = cache ? cache : &own;
	int r = um_db_prepare_cached(&s->db, st, sql_names_of), rc;

	if (r >= 0)
		r = um_bind_int(*st, ":id", user_id);
	if (r < 0)
		return r;
	while ((rc = sqlite3_step(*st)) == SQLITE_ROW) {
		char **nv = realloc(v, (n + 1) * sizeof(*nv));

		if (!nv || !(nv[n] = um_col_text(*st, 0, false))) {
			um_strv_free(nv ? nv : v, n);
			return -ENOMEM;
		}
		v = nv;
		n++;
	}
	if (rc != SQLITE_DONE) {
		um_strv_free(v, n);
		return um_db_error(&s->db, rc, "read group memberships");
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

static const char sql_member_insert[] =
	"INSERT OR IGNORE INTO group_members(group_id, user_id) VALUES (:g, :u)";

int um_group_member_insert(struct um_store *s, sqlite3_stmt **cache, int64_t group_id,
			   int64_t user_id)
{
	_cleanup_stmt_ sqlite3_stmt *own = NULL;
	sqlite3_stmt **st = cache ? cache : &own;
	int r = um_db_prepare_cached(&s->db, st, sql_member_insert);

	if (r >= 0)
		r = um_bind_int(*st, ":g", group_id);
	if (r >= 0)
		r = um_bind_int(*st, ":u", user_id);
	return r < 0 ? r : um_db_exec_stmt(&s->db, *st, "add the member");
}

/* Runs sql with :id = id and, where it names it, :v = v. */
static int exec_id(struct um_store *s, const char *sql, int64_t id, const char *v, const char *what)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = um_db_prepare(&s->db, sql, &st);

	if (r >= 0)
		r = um_bind_int(st, ":id", id);
	if (r >= 0 && v)
		r = um_bind_text(st, ":v", v);
	return r < 0 ? r : um_db_exec_stmt(&s->db, st, what);
}

int um_group_set_private_of(struct um_store *s, int64_t group_id, int64_t user_id)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = um_db_prepare(&s->db, "UPDATE groups SET private_of = :user WHERE id = :id", &st);

	if (r >= 0)
		r = um_bind_int(st, ":user", user_id);
	if (r >= 0)
		r = um_bind_int(st, ":id", group_id);
	return r < 0 ? r : um_db_exec_stmt(&s->db, st, "link the private group");
}

int um_group_private_named(struct um_store *s, int64_t user_id, const char *name, int64_t *ret_id)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = um_db_prepare(&s->db,
			      "SELECT id FROM groups WHERE private_of = :id AND name = :name", &st);

	if (r >= 0)
		r = um_bind_int(st, ":id", user_id);
	if (r >= 0)
		r = um_bind_text(st, ":name", name);
	if (r >= 0)
		r = um_db_step(&s->db, st, "look up the private group");
	if (r < 0)
		return r;
	*ret_id = r ? sqlite3_column_int64(st, 0) : 0;
	return 0;
}

int um_group_rename_row(struct um_store *s, int64_t group_id, const char *name)
{
	return exec_id(s, "UPDATE groups SET name = :v WHERE id = :id", group_id, name,
		       "rename the group");
}

int um_group_delete_private(struct um_store *s, int64_t user_id, bool *ret_deleted)
{
	int r = exec_id(s,
			"DELETE FROM groups WHERE private_of = :id AND NOT EXISTS\n"
			"  (SELECT 1 FROM users u WHERE u.group_id = groups.id AND u.id != :id)",
			user_id, NULL, "delete the private group");

	if (r >= 0)
		*ret_deleted = um_db_changes(&s->db) > 0;
	return r;
}

int um_group_add(struct um_store *s, const char *name, int64_t gid_in, const char *description,
		 struct um_group **ret)
{
	int64_t id;
	uint32_t gid;
	int r;

	r = um_check_name("group name", name);
	if (r >= 0)
		r = check_description(description);
	if (r < 0)
		return r;
	if (gid_in != -1 && (gid_in < 0 || gid_in > 4294967294LL))
		return um_fail(-EINVAL, "gid %lld is out of range (1-4294967294)",
			       (long long)gid_in);
	if (um_local_group_exists(name))
		return um_fail(-EEXIST, "'%s' is a local group in %s", name, UM_GROUP_PATH);

	r = um_db_begin(&s->db);
	if (r < 0)
		return r;
	UM_TX_GUARD(&s->db);
	r = um_group_find(s, name, &id, NULL);
	if (r < 0)
		return r;
	if (id)
		return um_fail(-EEXIST, "a group named '%s' already exists", name);
	if (gid_in != -1) {
		gid = (uint32_t)gid_in;
		r = um_id_check_given(s, UM_ID_GID, gid);
	} else {
		r = um_id_alloc(s, UM_ID_GID, &gid);
	}
	if (r >= 0)
		r = um_group_insert(s, NULL,
				    &(struct um_group_row){ .name = name,
							    .gid = gid,
							    .description = description,
							    .created_at = um_now() },
				    NULL);
	if (r >= 0)
		r = um_id_mark_used(s, NULL, UM_ID_GID, gid);
	if (r >= 0)
		r = um_audit(s, "group add", "group", name, 0, "");
	if (r >= 0)
		r = um_publish_commit(s);
	if (r < 0)
		return r;
	return ret ? um_group_get(s, name, ret) : 0;
}

/* The row id of umgmt group name, or -ESRCH naming it. */
static int need_group(struct um_store *s, const char *name, int64_t *ret_id)
{
	int r = um_group_find(s, name, ret_id, NULL);

	if (r >= 0 && !*ret_id)
		return um_fail(-ESRCH, "no umgmt group named '%s'", name);
	return r;
}

int um_group_delete(struct um_store *s, const char *name)
{
	_cleanup_free_ char *user = NULL;
	int64_t id;
	int r;

	r = um_db_begin(&s->db);
	if (r < 0)
		return r;
	UM_TX_GUARD(&s->db);
	r = need_group(s, name, &id);
	if (r >= 0)
		r = um_user_primary_of(s, id, &user);
	if (r < 0)
		return r;
	if (user)
		return um_fail(
			-EPERM,
			"group '%s' is the primary group of user '%s'; move or delete that user first",
			name, user);
	r = exec_id(s, "DELETE FROM groups WHERE id = :id", id, NULL, "delete the group");
	if (r >= 0)
		r = um_audit(s, "group delete", "group", name, 0, "");
	if (r < 0)
		return r;
	return um_publish_commit(s);
}

/*
 * Adds (add) or removes user from group: one audited membership change,
 * published. Adding a member twice is -EEXIST, removing a non-member
 * -ESRCH.
 */
static int change_member(struct um_store *s, const char *group, const char *user, bool add)
{
	int64_t gid, uid;
	int r;

	r = um_db_begin(&s->db);
	if (r < 0)
		return r;
	UM_TX_GUARD(&s->db);
	r = need_group(s, group, &gid);
	if (r >= 0)
		r = um_user_id(s, user, &uid);
	if (r < 0)
		return r;
	if (add) {
		r = um_group_member_insert(s, NULL, gid, uid);
	} else {
		_cleanup_stmt_ sqlite3_stmt *st = NULL;

		r = um_db_prepare(&s->db,
				  "DELETE FROM group_members WHERE group_id = :g AND user_id = :u",
				  &st);
		if (r >= 0)
			r = um_bind_int(st, ":g", gid);
		if (r >= 0)
			r = um_bind_int(st, ":u", uid);
		if (r >= 0)
			r = um_db_exec_stmt(&s->db, st, "remove the member");
	}
	if (r < 0)
		return r;
	if (um_db_changes(&s->db) == 0)
		return add ? um_fail(-EEXIST, "user '%s' is already a member of group '%s'", user,
				     group)
			   : um_fail(-ESRCH, "user '%s' is not a member of group '%s'", user,
				     group);
	r = um_audit(s, add ? "group add-member" : "group remove-member", "group", group, uid,
		     user);
	if (r < 0)
		return r;
	return um_publish_commit(s);
}

int um_group_add_member(struct um_store *s, const char *group, const char *user)
{
	return change_member(s, group, user, true);
}

int um_group_remove_member(struct um_store *s, const char *group, const char *user)
{
	return change_member(s, group, user, false);
}

int um_group_count(struct um_store *s, uint64_t *ret)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = um_db_prepare(&s->db, "SELECT count(*) FROM groups", &st);

	if (r >= 0)
		r = um_db_step(&s->db, st, "count the groups");
	if (r < 0)
		return r;
	*ret = (uint64_t)sqlite3_column_int64(st, 0);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/* umgmt core: users. */
#include "store-private.h"
#include "umgmt/local.h"
#include "umgmt/password.h"
#include "umgmt/user.h"
#include "umgmt/validate.h"

static const char *const kind_names[] = {
	[UM_KIND_PERSON] = "person",
	[UM_KIND_ROBOT] = "robot",
	[UM_KIND_CUSTOMER] = "customer",
};

const char *um_user_kind_to_string(enum um_user_kind k)
{
	return (unsigned)k < UM_ELEMENTSOF(kind_names) ? kind_names[k] : "person";
}

int um_user_kind_from_string(const char *s)
{
	for (size_t i = 0; s && i < UM_ELEMENTSOF(kind_names); i++)
		if (!strcmp(s, kind_names[i]))
			return (int)i;
	return um_fail(-EINVAL, "kind '%s' is not one of person, robot, customer", s ? s : "");
}

void um_user_free(struct um_user *u)
{
	if (!u)
		return;
	free(u->name);
	free(u->group);
	free(u->full_name);
	free(u->email);
	free(u->home);
	free(u->shell);
	for (size_t i = 0; i < u->n_groups; i++)
		free(u->groups[i]);
	free(u->groups);
	free(u->expires_on);
	free(u->last_login_service);
	free(u->last_login_host);
	free(u);
}

void um_user_list_free(struct um_user **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		um_user_free(v[i]);
	free(v);
}

/* ---- reading ---- */

#define USER_COLUMNS                                                                      \
	"u.id, u.name, u.uid, u.gid, g.name, u.kind, u.full_name, u.email, u.home, "      \
	"u.shell, u.enabled, u.approved, u.password_hash IS NOT NULL, u.created_at, "     \
	"u.updated_at, ifnull(u.password_changed_at, 0), u.expires_on, "                  \
	"u.password_must_change, ifnull(u.last_login_at, 0), u.last_login_service, "       \
	"u.last_login_host"

static const char sql_user_by_name[] =
	"SELECT " USER_COLUMNS " FROM users u LEFT JOIN groups g ON g.id = u.group_id\n"
	"WHERE u.name = :name";
static const char sql_users_all[] =
	"SELECT " USER_COLUMNS " FROM users u LEFT JOIN groups g ON g.id = u.group_id\n"
	"WHERE (NOT :pending OR u.approved = 0)\n"
	"  AND (:today IS NULL OR EXISTS (SELECT 1 FROM absences a WHERE a.user_id = u.id\n"
	"    AND a.starts_on <= :today AND (a.ends_on IS NULL OR a.ends_on >= :today)))\n"
	"ORDER BY u.uid";
static const char sql_user_groups[] =
	"SELECT g.name FROM group_members m JOIN groups g ON g.id = m.group_id\n"
	"WHERE m.user_id = :id ORDER BY g.name";

static int user_from_row(sqlite3_stmt *st, struct um_user **ret)
{
	struct um_user *u = calloc(1, sizeof(*u));
	int k;

	if (!u)
		return -ENOMEM;
	u->id = sqlite3_column_int64(st, 0);
	u->name = um_col_text(st, 1, false);
	u->uid = (uint32_t)sqlite3_column_int64(st, 2);
	u->gid = (uint32_t)sqlite3_column_int64(st, 3);
	u->group = um_col_text(st, 4, true);
	if (!u->group) /* a local group: its name is in /etc/group */
		u->group = um_local_gid_owner(u->gid);
	if (!u->group)
		u->group = um_asprintf("%u", u->gid);
	k = um_user_kind_from_string((const char *)sqlite3_column_text(st, 5));
	u->kind = k < 0 ? UM_KIND_PERSON : (enum um_user_kind)k;
	u->full_name = um_col_text(st, 6, false);
	u->email = um_col_text(st, 7, true);
	u->home = um_col_text(st, 8, false);
	u->shell = um_col_text(st, 9, false);
	u->enabled = sqlite3_column_int(st, 10);
	u->approved = sqlite3_column_int(st, 11);
	u->has_password = sqlite3_column_int(st, 12);
	u->created_at = sqlite3_column_int64(st, 13);
	u->updated_at = sqlite3_column_int64(st, 14);
	u->password_changed_at = sqlite3_column_int64(st, 15);
	u->expires_on = um_col_text(st, 16, true);
	u->must_change_password = sqlite3_column_int(st, 17);
	u->last_login_at = sqlite3_column_int64(st, 18);
	u->last_login_service = um_col_text(st, 19, true);
	u->last_login_host = um_col_text(st, 20, true);
	if (!u->name || !u->group || !u->full_name || !u->home || !u->shell ||
	    (sqlite3_column_type(st, 7) != SQLITE_NULL && !u->email) ||
	    (sqlite3_column_type(st, 16) != SQLITE_NULL && !u->expires_on) ||
	    (sqlite3_column_type(st, 19) != SQLITE_NULL && !u->last_login_service) ||
	    (sqlite3_column_type(st, 20) != SQLITE_NULL && !u->last_login_host)) {
		um_user_free(u);
		return -ENOMEM;
	}
	*ret = u;
	return 0;
}

/* u's supplementary groups, through st (sql_user_groups, prepared by the
 * caller: a listing reuses it for every user). */
static int load_groups(struct um_store *s, sqlite3_stmt *st, struct um_user *u)
{
	int rc;

	sqlite3_reset(st);
	um_bind_int(st, ":id", u->id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		char **nv = realloc(u->groups, (u->n_groups + 1) * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		u->groups = nv;
		if (!(nv[u->n_groups] = um_col_text(st, 0, false)))
			return -ENOMEM;
		u->n_groups++;
	}
	return rc == SQLITE_DONE ? 0 : um_db_error(s, rc, "read group memberships");
}

int um_user_get(struct um_store *s, const char *name, struct um_user **ret)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	_cleanup_(um_user_freep) struct um_user *u = NULL;
	int r, rc;

	r = um_db_prepare(s, sql_user_by_name, &st);
	if (r < 0)
		return r;
	um_bind_text(st, ":name", name);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return um_fail(-ESRCH, "no umgmt user named '%s'", name);
	if (rc != SQLITE_ROW)
		return um_db_error(s, rc, "read the user");
	r = user_from_row(st, &u);
	if (r < 0)
		return r;
	sqlite3_finalize(st);
	st = NULL;
	r = um_db_prepare(s, sql_user_groups, &st);
	if (r < 0)
		return r;
	r = load_groups(s, st, u);
	if (r < 0)
		return r;
	*ret = UM_TAKE_PTR(u);
	return 0;
}

int um_user_list(struct um_store *s, struct um_user ***ret, size_t *ret_n)
{
	return um_user_list_filtered(s, 0, NULL, ret, ret_n);
}

int um_user_list_filtered(struct um_store *s, unsigned filter, const char *today,
			  struct um_user ***ret, size_t *ret_n)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL, *groups = NULL;
	struct um_user **v = NULL;
	size_t n = 0, cap = 0;
	int r, rc = SQLITE_DONE;

	if ((filter & UM_USER_LIST_ABSENT) && !today)
		return um_fail(-EINVAL, "listing absent users needs today's date");
	r = um_db_prepare(s, sql_users_all, &st);
	if (r >= 0)
		r = um_db_prepare(s, sql_user_groups, &groups);
	if (r < 0)
		return r;
	um_bind_int(st, ":pending", !!(filter & UM_USER_LIST_PENDING));
	um_bind_text(st, ":today", filter & UM_USER_LIST_ABSENT ? today : NULL);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 64;
			struct um_user **nv = realloc(v, nc * sizeof(*nv));

			if (!nv) {
				r = -ENOMEM;
				break;
			}
			v = nv;
			cap = nc;
		}
		r = user_from_row(st, &v[n]);
		if (r < 0)
			break;
		n++;
		r = load_groups(s, groups, v[n - 1]);
		if (r < 0)
			break;
	}
	if (r >= 0 && rc != SQLITE_DONE)
		r = um_db_error(s, rc, "list users");
	if (r < 0) {
		um_user_list_free(v, n);
		return r;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

/* ---- helpers for writers ---- */

static const char sql_user_id[] = "SELECT id FROM users WHERE name = :name";
static const char sql_group_by_name[] = "SELECT id, gid FROM groups WHERE name = :name";

/* Looks up a row id by name with sql; 0 = not found. */
static int lookup_id(struct um_store *s, const char *sql, const char *name, int64_t *ret_id,
		     uint32_t *ret_num)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = um_db_prepare(s, sql, &st), rc;

	if (r < 0)
		return r;
	um_bind_text(st, ":name", name);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		*ret_id = 0;
		return 0;
	}
	if (rc != SQLITE_ROW)
		return um_db_error(s, rc, "look up a name");
	*ret_id = sqlite3_column_int64(st, 0);
	if (ret_num)
		*ret_num = (uint32_t)sqlite3_column_int64(st, 1);
	return 0;
}

/* Resolves a primary group: an umgmt group (id > 0) or a local one (id 0). */
static int resolve_group(struct um_store *s, const char *name, int64_t *ret_id, uint32_t *ret_gid)
{
	int r = lookup_id(s, sql_group_by_name, name, ret_id, ret_gid);

	if (r < 0 || *ret_id)
		return r;
	if (um_local_group_gid(name, ret_gid) == 0)
		return 0;
	return um_fail(-ESRCH, "no group named '%s' (neither in umgmt nor in %s)", name,
		       UM_GROUP_PATH);
}

static int check_spec_fields(const struct um_user_spec *spec)
{
	int r = 0;

	if (spec->full_name)
		r = um_check_gecos(spec->full_name);
	if (r >= 0 && spec->email && *spec->email)
		r = um_check_email(spec->email);
	if (r >= 0 && spec->home)
		r = um_check_path("home directory", spec->home);
	if (r >= 0 && spec->shell)
		r = um_check_path("shell", spec->shell);
	if (r >= 0 && spec->kind != -1 && (spec->kind < 0 || spec->kind > UM_KIND_CUSTOMER))
		r = um_fail(-EINVAL, "unknown user kind");
	if (r >= 0 && spec->group)
		r = um_check_name("group name", spec->group);
	return r;
}

/* Refuses a name that is taken by a local or umgmt user (or, with
 * private groups, group). */
static int check_name_free(struct um_store *s, const char *name, bool need_group)
{
	int64_t id;
	int r;

	if (um_local_user_exists(name))
		return um_fail(-EEXIST, "'%s' is a local user in %s", name, UM_PASSWD_PATH);
	r = lookup_id(s, sql_user_id, name, &id, NULL);
	if (r < 0)
		return r;
	if (id)
		return um_fail(-EEXIST, "a user named '%s' already exists", name);
	if (!need_group)
		return 0;
	if (um_local_group_exists(name))
		return um_fail(-EEXIST,
			       "'%s' is a local group in %s, so it cannot be the user's private group",
			       name, UM_GROUP_PATH);
	r = lookup_id(s, sql_group_by_name, name, &id, NULL);
	if (r < 0)
		return r;
	if (id)
		return um_fail(-EEXIST,
			       "a group named '%s' already exists, so it cannot be the user's private group",
			       name);
	return 0;
}

static const char sql_insert_group[] =
	"INSERT INTO groups(name, gid, description, created_at)\n"
	"VALUES (:name, :gid, :description, :now)";
static const char sql_insert_user[] =
	"INSERT INTO users(name, uid, gid, group_id, kind, full_name, email, home, shell,\n"
	"  approved, created_at, updated_at)\n"
	"VALUES (:name, :uid, :gid, :group_id, :kind, :full_name, :email, :home, :shell,\n"
	"  :approved, :now, :now)";
static const char sql_set_private_of[] = "UPDATE groups SET private_of = :user WHERE id = :id";

int um_user_add(struct um_store *s, const char *name, const struct um_user_spec *spec_in,
		struct um_user **ret)
{
	const struct um_user_spec empty = UM_USER_SPEC_INIT;
	const struct um_user_spec *spec = spec_in ? spec_in : &empty;
	const struct um_config *c = s->cfg;
	bool upg = c->user_private_groups && !spec->group;
	_cleanup_free_ char *home = NULL;
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int64_t group_id = 0, user_id;
	uint32_t uid, gid = 0;
	int r;

	r = um_check_name("user name", name);
	if (r >= 0)
		r = check_spec_fields(spec);
	if (r < 0)
		return r;
	if (spec->uid != -1 && (spec->uid < 0 || spec->uid > 4294967294LL))
		return um_fail(-EINVAL, "uid %lld is out of range (1-4294967294)",
			       (long long)spec->uid);
	home = spec->home ? strdup(spec->home) : um_config_home_for(c, name);
	if (!home)
		return -ENOMEM;
	if (!spec->home && (r = um_check_path("home directory", home)) < 0)
		return r;

	r = um_tx_begin(s);
	if (r < 0)
		return r;
	UM_TX_GUARD(s);

	r = check_name_free(s, name, upg);
	if (r < 0)
		return r;
	if (spec->uid != -1) {
		uid = (uint32_t)spec->uid;
		r = um_check_given_id(s, upg ? "both" : "uid", uid);
	} else {
		r = um_alloc_id(s, upg ? "both" : "uid", &uid);
	}
	if (r < 0)
		return r;

	if (upg) {
		gid = uid;
		r = um_db_prepare(s, sql_insert_group, &st);
		if (r < 0)
			return r;
		um_bind_text(st, ":name", name);
		um_bind_int(st, ":gid", gid);
		um_bind_text(st, ":description", "");
		um_bind_int(st, ":now", um_now());
		r = um_db_exec_stmt(s, st, "create the user's private group");
		if (r < 0)
			return r;
		group_id = sqlite3_last_insert_rowid(s->db);
		sqlite3_finalize(st);
		st = NULL;
		r = um_mark_id_used(s, "gid", gid);
		if (r < 0)
			return r;
	} else {
		r = resolve_group(s, spec->group ? spec->group : c->default_group, &group_id, &gid);
		if (r < 0)
			return r;
	}

	r = um_db_prepare(s, sql_insert_user, &st);
	if (r < 0)
		return r;
	um_bind_text(st, ":name", name);
	um_bind_int(st, ":uid", uid);
	um_bind_int(st, ":gid", gid);
	if (group_id)
		um_bind_int(st, ":group_id", group_id);
	um_bind_text(st, ":kind", um_user_kind_to_string(spec->kind == -1 ? UM_KIND_PERSON :
									    (enum um_user_kind)spec->kind));
	um_bind_text(st, ":full_name", spec->full_name ? spec->full_name : "");
	um_bind_text(st, ":email", spec->email && *spec->email ? spec->email : NULL);
	um_bind_text(st, ":home", home);
	um_bind_text(st, ":shell", spec->shell ? spec->shell : c->default_shell);
	um_bind_int(st, ":approved", !c->approval_required);
	um_bind_int(st, ":now", um_now());
	r = um_db_exec_stmt(s, st, "create the user");
	if (r < 0)
		return r;
	user_id = sqlite3_last_insert_rowid(s->db);
	sqlite3_finalize(st);
	st = NULL;

	if (upg) {
		r = um_db_prepare(s, sql_set_private_of, &st);
		if (r < 0)
			return r;
		um_bind_int(st, ":user", user_id);
		um_bind_int(st, ":id", group_id);
		r = um_db_exec_stmt(s, st, "link the private group");
		if (r < 0)
			return r;
	}
	r = um_mark_id_used(s, "uid", uid);
	if (r >= 0)
		r = um_audit(s, "user add", "user", name, user_id, "");
	if (r >= 0)
		r = um_tx_commit(s, true);
	if (r < 0)
		return r;
	return ret ? um_user_get(s, name, ret) : 0;
}

/* Runs one UPDATE with the parameters :id, :v and :now (each optional in
 * sql: binding an absent parameter is a harmless no-op). */
static int update_text(struct um_store *s, const char *sql, int64_t id, const char *v)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = um_db_prepare(s, sql, &st);

	if (r < 0)
		return r;
	um_bind_int(st, ":id", id);
	um_bind_text(st, ":v", v);
	um_bind_int(st, ":now", um_now());
	return um_db_exec_stmt(s, st, "change the user");
}

int um_user_edit(struct um_store *s, const char *name, const struct um_user_spec *spec)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int64_t id, private_id = 0;
	bool directory_changed = false;
	int r;

	r = check_spec_fields(spec);
	if (r >= 0 && spec->rename)
		r = um_check_name("new user name", spec->rename);
	if (r < 0)
		return r;
	if (spec->uid != -1)
		return um_fail(-EINVAL, "the uid of an existing user cannot be changed");

	r = um_tx_begin(s);
	if (r < 0)
		return r;
	UM_TX_GUARD(s);
	r = lookup_id(s, sql_user_id, name, &id, NULL);
	if (r < 0)
		return r;
	if (!id)
		return um_fail(-ESRCH, "no umgmt user named '%s'", name);

	if (spec->rename && strcmp(spec->rename, name)) {
		/* The private group follows its user's name when it still
		 * carries it. */
		r = um_db_prepare(s,
				  "SELECT id FROM groups WHERE private_of = :id AND name = :name",
				  &st);
		if (r < 0)
			return r;
		um_bind_int(st, ":id", id);
		um_bind_text(st, ":name", name);
		if (sqlite3_step(st) == SQLITE_ROW)
			private_id = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
		st = NULL;
		r = check_name_free(s, spec->rename, private_id != 0);
		if (r < 0)
			return r;
		r = update_text(s, "UPDATE users SET name = :v, updated_at = :now WHERE id = :id",
				id, spec->rename);
		if (r >= 0 && private_id)
			r = update_text(s, "UPDATE groups SET name = :v WHERE id = :id", private_id,
					spec->rename);
		if (r < 0)
			return r;
		directory_changed = true;
	}
	if (spec->full_name) {
		r = update_text(s, "UPDATE users SET full_name = :v, updated_at = :now WHERE id = :id",
				id, spec->full_name);
		directory_changed = true;
	}
	if (r >= 0 && spec->email)
		r = update_text(s, "UPDATE users SET email = :v, updated_at = :now WHERE id = :id", id,
				*spec->email ? spec->email : NULL);
	if (r >= 0 && spec->home) {
		r = update_text(s, "UPDATE users SET home = :v, updated_at = :now WHERE id = :id", id,
				spec->home);
		directory_changed = true;
	}
	if (r >= 0 && spec->shell) {
		r = update_text(s, "UPDATE users SET shell = :v, updated_at = :now WHERE id = :id", id,
				spec->shell);
		directory_changed = true;
	}
	if (r >= 0 && spec->kind != -1)
		r = update_text(s, "UPDATE users SET kind = :v, updated_at = :now WHERE id = :id", id,
				um_user_kind_to_string((enum um_user_kind)spec->kind));
	if (r >= 0 && spec->group) {
		int64_t gid_row;
		uint32_t gid;

		r = resolve_group(s, spec->group, &gid_row, &gid);
		if (r < 0)
			return r;
		r = um_db_prepare(s,
				  "UPDATE users SET gid = :gid, group_id = :gr, updated_at = :now\n"
				  "WHERE id = :id",
				  &st);
		if (r < 0)
			return r;
		um_bind_int(st, ":gid", gid);
		if (gid_row)
			um_bind_int(st, ":gr", gid_row);
		um_bind_int(st, ":now", um_now());
		um_bind_int(st, ":id", id);
		r = um_db_exec_stmt(s, st, "change the primary group");
		directory_changed = true;
	}
	if (r >= 0)
		r = um_audit(s, "user edit", "user", spec->rename ? spec->rename : name, id,
			     spec->rename ? name : "");
	if (r < 0)
		return r;
	return um_tx_commit(s, directory_changed);
}

int um_user_delete(struct um_store *s, const char *name)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	_cleanup_free_ char *detail = NULL;
	int64_t id;
	uint32_t uid;
	int r;

	r = um_tx_begin(s);
	if (r < 0)
		return r;
	UM_TX_GUARD(s);
	r = lookup_id(s, "SELECT id, uid FROM users WHERE name = :name", name, &id, &uid);
	if (r < 0)
		return r;
	if (!id)
		return um_fail(-ESRCH, "no umgmt user named '%s'", name);

	/* The private group goes with its user unless someone else now has it
	 * as primary group (then it stays, as an ordinary group). */
	r = um_db_prepare(s,
			  "DELETE FROM groups WHERE private_of = :id AND NOT EXISTS\n"
			  "  (SELECT 1 FROM users u WHERE u.group_id = groups.id AND u.id != :id)",
			  &st);
	if (r < 0)
		return r;
	um_bind_int(st, ":id", id);
	/* users.group_id of the deleted user points at that group: clear it
	 * first so the deferred foreign key holds. */
	r = update_text(s, "UPDATE users SET group_id = NULL, email = :v WHERE id = :id", id, NULL);
	if (r >= 0)
		r = um_db_exec_stmt(s, st, "delete the private group");
	sqlite3_finalize(st);
	st = NULL;
	/* The private group carried the user's name: scrub its records too. */
	if (r >= 0 && sqlite3_changes(s->db) > 0)
		r = update_text(s,
				"UPDATE audit SET target = '' WHERE target_kind = 'group'\n"
				"  AND target = :v",
				id, name);
	if (r < 0)
		return r;
	r = um_db_prepare(s, "DELETE FROM users WHERE id = :id", &st);
	if (r < 0)
		return r;
	um_bind_int(st, ":id", id);
	r = um_db_exec_stmt(s, st, "delete the user");
	sqlite3_finalize(st);
	st = NULL;
	if (r < 0)
		return r;
	/* Scrub: the audit keeps what happened, not who it happened to. */
	r = update_text(s, "UPDATE audit SET target = '', detail = ifnull(:v, '') WHERE user_id = :id",
			id, NULL);
	detail = um_asprintf("uid %u", uid);
	if (!detail)
		return -ENOMEM;
	if (r >= 0)
		r = um_audit(s, "user delete", "user", "", id, detail);
	if (r < 0)
		return r;
	return um_tx_commit(s, true);
}

/* ---- passwords ---- */

static const char sql_set_hash[] =
	"UPDATE users SET password_hash = :hash, password_changed_at = :now,\n"
	"  password_must_change = 0, updated_at = :now WHERE id = :id";

int um_user_set_password(struct um_store *s, const char *name, const char *password)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	char hash[UM_HASH_MAX];
	int64_t id;
	int r;

	r = um_password_check_policy(s->cfg, name, password);
	if (r < 0)
		return r;
	r = um_password_hash(s->cfg, password, hash);
	if (r < 0)
		return r;
	r = um_tx_begin(s);
	if (r < 0)
		return r;
	UM_TX_GUARD(s);
	r = lookup_id(s, sql_user_id, name, &id, NULL);
	if (r < 0)
		return r;
	if (!id)
		return um_fail(-ESRCH, "no umgmt user named '%s'", name);
	r = um_db_prepare(s, sql_set_hash, &st);
	if (r < 0)
		return r;
	um_bind_text(st, ":hash", hash);
	um_bind_int(st, ":now", um_now());
	um_bind_int(st, ":id", id);
	r = um_db_exec_stmt(s, st, "store the password");
	explicit_bzero(hash, sizeof(hash));
	/* A new password ends every outstanding activation or reset token:
	 * it must not stay a second way in. */
	if (r >= 0)
		r = update_text(s,
				"UPDATE tokens SET revoked_at = :now WHERE user_id = :id\n"
				"  AND used_at IS NULL AND revoked_at IS NULL",
				id, NULL);
	if (r >= 0)
		r = um_audit(s, "user passwd", "user", name, id, "");
	if (r < 0)
		return r;
	return um_tx_commit(s, false);
}

static const char sql_user_hash[] = "SELECT id, password_hash FROM users WHERE name = :name";

/* Replaces an outdated hash after a successful login; a busy store only
 * means the upgrade waits for the next login. */
static void rehash(struct um_store *s, int64_t id, const char *password)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	char hash[UM_HASH_MAX];

	if (!(s->flags & UM_STORE_WRITE) || um_password_hash(s->cfg, password, hash) < 0)
		return;
	if (um_tx_begin(s) < 0)
		goto out;
	if (um_db_prepare(s, "UPDATE users SET password_hash = :hash WHERE id = :id", &st) < 0) {
		um_tx_rollback(s);
		goto out;
	}
	um_bind_text(st, ":hash", hash);
	um_bind_int(st, ":id", id);
	if (um_db_exec_stmt(s, st, "upgrade the password hash") < 0)
		um_tx_rollback(s);
	else
		um_tx_commit(s, false);
out:
	explicit_bzero(hash, sizeof(hash));
	um_error_forget(0);
}

int um_user_authenticate(struct um_store *s, const char *name, const char *password)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	_cleanup_free_ char *hash = NULL;
	int64_t id;
	int r, rc;

	r = um_db_prepare(s, sql_user_hash, &st);
	if (r < 0)
		return r;
	um_bind_text(st, ":name", name);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return um_db_error(s, rc, "read the user");
	if (rc == SQLITE_DONE) {
		um_password_dummy_verify(s->cfg, password);
		return -ESRCH;
	}
	id = sqlite3_column_int64(st, 0);
	hash = um_col_text(st, 1, true);
	sqlite3_finalize(st);
	st = NULL;
	if (!hash) {
		um_password_dummy_verify(s->cfg, password);
		return -EACCES;
	}
	r = um_password_verify(hash, password);
	if (r == -EBADMSG) {
		um_password_dummy_verify(s->cfg, password);
		return -EACCES;
	}
	if (r < 0)
		return r;
	if (um_password_needs_rehash(s->cfg, hash))
		rehash(s, id, password);
	return 0;
}

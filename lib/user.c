/* SPDX-License-Identifier: MIT */
/*
 * umgmt core: the users table, its owner (user.h, user-private.h): every
 * statement on users is here. The operations that also touch other
 * tables (add, edit, delete, a new password, a user with their groups and
 * last login) compose these in user-admin.c.
 */
#include "audit.h"
#include "id.h"
#include "user-private.h"
#include "umgmt/date.h"
#include "umgmt/local.h"
#include "umgmt/login.h"
#include "umgmt/password.h"
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

#define USER_COLUMNS                                                                               \
	"u.id, u.name, u.uid, u.gid, g.name, u.kind, u.full_name, u.email, u.home, "               \
	"u.shell, u.enabled, u.approved, u.password_hash IS NOT NULL, u.created_at, "              \
	"u.updated_at, ifnull(u.password_changed_at, 0), u.expires_on, "                           \
	"u.password_must_change"

static const char sql_user_by_name[] =
	"SELECT " USER_COLUMNS " FROM users u LEFT JOIN groups g ON g.id = u.group_id\n"
	"WHERE u.name = :name";
static const char sql_users_all[] =
	"SELECT " USER_COLUMNS " FROM users u LEFT JOIN groups g ON g.id = u.group_id\n"
	"WHERE (NOT :pending OR u.approved = 0)\n"
	"  AND (:today IS NULL OR EXISTS (SELECT 1 FROM absences a WHERE a.user_id = u.id\n"
	"    AND a.starts_on <= :today AND (a.ends_on IS NULL OR a.ends_on >= :today)))\n"
	"ORDER BY u.uid";

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
	if (!u->name || !u->group || !u->full_name || !u->home || !u->shell ||
	    (sqlite3_column_type(st, 7) != SQLITE_NULL && !u->email) ||
	    (sqlite3_column_type(st, 16) != SQLITE_NULL && !u->expires_on)) {
		um_user_free(u);
		return -ENOMEM;
	}
	*ret = u;
	return 0;
}

int um_user_read(struct um_store *s, const char *name, struct um_user **ret)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = um_db_prepare(&s->db, sql_user_by_name, &st);

	if (r >= 0)
		r = um_bind_text(st, ":name", name);
	if (r >= 0)
		r = um_db_step(&s->db, st, "read the user");
	if (r == 0)
		return um_fail(-ESRCH, "no umgmt user named '%s'", name);
	return r < 0 ? r : user_from_row(st, ret);
}

int um_user_read_all(struct um_store *s, unsigned filter, const char *today, struct um_user ***ret,
		     size_t *ret_n)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	struct um_user **v = NULL;
	size_t n = 0, cap = 0;
	int r, rc = SQLITE_DONE;

	r = um_db_prepare(&s->db, sql_users_all, &st);
	if (r >= 0)
		r = um_bind_int(st, ":pending", !!(filter & UM_USER_LIST_PENDING));
	if (r >= 0)
		r = um_bind_text(st, ":today", filter & UM_USER_LIST_ABSENT ? today : NULL);
	if (r < 0)
		return r;
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
	}
	if (r >= 0 && rc != SQLITE_DONE)
		r = um_db_error(&s->db, rc, "list users");
	if (r < 0) {
		um_user_list_free(v, n);
		return r;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

/* ---- one user, by name ---- */

static const char sql_user_id[] = "SELECT id FROM users WHERE name = :name";

int um_user_id(struct um_store *s, const char *name, int64_t *ret_id)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = um_db_prepare(&s->db, sql_user_id, &st);

	if (r >= 0)
		r = um_bind_text(st, ":name", name);
	if (r >= 0)
		r = um_db_step(&s->db, st, "look up the user");
	if (r == 0)
		return um_fail(-ESRCH, "no umgmt user named '%s'", name ? name : "");
	if (r < 0)
		return r;
	*ret_id = sqlite3_column_int64(st, 0);
	return 0;
}

/* Binds text to param when the statement names it. */
static int bind_text_if(sqlite3_stmt *st, const char *param, const char *v)
{
	return sqlite3_bind_parameter_index(st, param) ? um_bind_text(st, param, v) : 0;
}

static int bind_int_if(sqlite3_stmt *st, const char *param, int64_t v)
{
	return sqlite3_bind_parameter_index(st, param) ? um_bind_int(st, param, v) : 0;
}

int um_user_change(struct um_store *s, const char *name, const struct um_user_change *c)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int64_t id;
	int r;

	r = um_db_begin(&s->db);
	if (r < 0)
		return r;
	UM_TX_GUARD(&s->db);
	r = um_user_id(s, name, &id);
	if (r >= 0)
		r = um_db_prepare(&s->db, c->sql, &st);
	if (r >= 0)
		r = um_bind_int(st, ":id", id);
	if (r >= 0)
		r = bind_int_if(st, ":now", um_now());
	if (r >= 0)
		r = bind_text_if(st, ":actor", s->actor);
	for (size_t i = 0; r >= 0 && i < UM_ELEMENTSOF(c->params) && c->params[i].name; i++)
		r = um_bind_text(st, c->params[i].name, c->params[i].text);
	if (r >= 0)
		r = um_db_exec_stmt(&s->db, st, "change the user");
	if (r < 0)
		return r;
	if (um_db_changes(&s->db) == 0)
		return c->unchanged_err ? um_fail(c->unchanged_err, "%s", c->unchanged_msg) : 0;
	r = um_audit(s, c->action, "user", name, id, c->detail);
	if (r < 0)
		return r;
	return um_db_commit(&s->db);
}

/* ---- the login flags (none of them is part of what NSS serves: a
 * disabled user still owns files; so they commit without publishing) ---- */

int um_user_set_enabled(struct um_store *s, const char *name, bool enabled)
{
	return um_user_change(
		s, name,
		&(struct um_user_change){
			.sql = enabled ? "UPDATE users SET enabled = 1, updated_at = :now\n"
					 "WHERE id = :id AND enabled = 0"
				       : "UPDATE users SET enabled = 0, updated_at = :now\n"
					 "WHERE id = :id AND enabled != 0",
			.action = enabled ? "user enable" : "user disable",
		});
}

int um_user_set_approved(struct um_store *s, const char *name, bool approved)
{
	return um_user_change(
		s, name,
		&(struct um_user_change){
			.sql = approved ? "UPDATE users SET approved = 1, approved_at = :now,\n"
					  "  approved_by = :actor, updated_at = :now\n"
					  "WHERE id = :id AND approved = 0"
					: "UPDATE users SET approved = 0, approved_at = NULL,\n"
					  "  approved_by = NULL, updated_at = :now\n"
					  "WHERE id = :id AND approved != 0",
			.action = approved ? "user approve" : "user unapprove",
		});
}

int um_user_set_expiry(struct um_store *s, const char *name, const char *date)
{
	_cleanup_free_ char *detail = NULL;
	int r;

	if (date && (r = um_parse_date(date, NULL, NULL, NULL)) < 0)
		return um_fail(r, "expiry date %s", um_error_detail(r));
	detail = um_asprintf("expires %s", date ? date : "never");
	if (!detail)
		return -ENOMEM;
	return um_user_change(s, name,
			      &(struct um_user_change){
				      .sql = "UPDATE users SET expires_on = :v, updated_at = :now\n"
					     "WHERE id = :id AND expires_on IS NOT :v",
				      .params = { { ":v", date } },
				      .action = "user expiry",
				      .detail = detail,
			      });
}

int um_user_expire_password(struct um_store *s, const char *name)
{
	return um_user_change(
		s, name,
		&(struct um_user_change){
			.sql = "UPDATE users SET password_must_change = 1, updated_at = :now\n"
			       "WHERE id = :id AND password_must_change = 0",
			.action = "user expire password",
		});
}

static const char sql_insert_user[] =
	"INSERT INTO users(id, name, uid, gid, group_id, kind, full_name, email, home, shell,\n"
	"  approved, approved_at, approved_by, created_at, updated_at)\n"
	"VALUES (:id, :name, :uid, :gid, :group_id, :kind, :full_name, :email, :home, :shell,\n"
	"  :approved, CASE WHEN :stamp THEN :now END, CASE WHEN :stamp THEN :actor END,\n"
	"  :now, :now)";

int um_user_insert(struct um_store *s, sqlite3_stmt **cache, const struct um_user_row *row,
		   int64_t *ret_id)
{
	_cleanup_stmt_ sqlite3_stmt *own = NULL;
	sqlite3_stmt **st = cache ? cache : &own;
	int64_t id = row->id;
	int r = id ? 0 : um_id_reserve_user_rows(s, 1, &id);

	if (r >= 0)
		r = um_db_prepare_cached(&s->db, st, sql_insert_user);
	if (r >= 0)
		r = um_bind_int(*st, ":id", id);
	if (r >= 0)
		r = um_bind_text(*st, ":name", row->name);
	if (r >= 0)
		r = um_bind_int(*st, ":uid", row->uid);
	if (r >= 0)
		r = um_bind_int(*st, ":gid", row->gid);
	if (r >= 0)
		r = row->group_id ? um_bind_int(*st, ":group_id", row->group_id)
				  : um_bind_text(*st, ":group_id", NULL);
	if (r >= 0)
		r = um_bind_text(*st, ":kind", um_user_kind_to_string(row->kind));
	if (r >= 0)
		r = um_bind_text(*st, ":full_name", row->full_name ? row->full_name : "");
	if (r >= 0)
		r = um_bind_text(*st, ":email", row->email);
	if (r >= 0)
		r = um_bind_text(*st, ":home", row->home);
	if (r >= 0)
		r = um_bind_text(*st, ":shell", row->shell);
	if (r >= 0)
		r = um_bind_int(*st, ":approved", row->approved);
	if (r >= 0)
		r = um_bind_int(*st, ":stamp", row->approved && row->stamp_approval);
	if (r >= 0)
		r = um_bind_text(*st, ":actor", s->actor);
	if (r >= 0)
		r = um_bind_int(*st, ":now", row->created_at);
	if (r >= 0)
		r = um_db_exec_stmt(&s->db, *st, "create the user");
	if (r >= 0 && ret_id)
		*ret_id = id;
	return r;
}

/* Runs one statement of the users table with the parameters :id, :v and
 * :now (each optional in sql). */
static int update_text(struct um_store *s, const char *sql, int64_t id, const char *v)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = um_db_prepare(&s->db, sql, &st);

	if (r >= 0)
		r = um_bind_int(st, ":id", id);
	if (r >= 0)
		r = bind_text_if(st, ":v", v);
	if (r >= 0)
		r = bind_int_if(st, ":now", um_now());
	return r < 0 ? r : um_db_exec_stmt(&s->db, st, "change the user");
}

int um_user_update_row(struct um_store *s, int64_t id, const struct um_user_spec *spec,
		       bool *ret_directory_changed)
{
	bool changed = false;
	int r = 0;

	if (spec->rename) {
		r = update_text(s, "UPDATE users SET name = :v, updated_at = :now WHERE id = :id",
				id, spec->rename);
		changed = true;
	}
	if (r >= 0 && spec->full_name) {
		r = update_text(s,
				"UPDATE users SET full_name = :v, updated_at = :now WHERE id = :id",
				id, spec->full_name);
		changed = true;
	}
	if (r >= 0 && spec->email)
		r = update_text(s, "UPDATE users SET email = :v, updated_at = :now WHERE id = :id",
				id, *spec->email ? spec->email : NULL);
	if (r >= 0 && spec->home) {
		r = update_text(s, "UPDATE users SET home = :v, updated_at = :now WHERE id = :id",
				id, spec->home);
		changed = true;
	}
	if (r >= 0 && spec->shell) {
		r = update_text(s, "UPDATE users SET shell = :v, updated_at = :now WHERE id = :id",
				id, spec->shell);
		changed = true;
	}
	if (r >= 0 && spec->kind != -1)
		r = update_text(s, "UPDATE users SET kind = :v, updated_at = :now WHERE id = :id",
				id, um_user_kind_to_string((enum um_user_kind)spec->kind));
	*ret_directory_changed = changed;
	return r;
}

int um_user_set_primary_group(struct um_store *s, int64_t id, uint32_t gid, int64_t group_row)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = um_db_prepare(&s->db,
			      "UPDATE users SET gid = :gid, group_id = :gr, updated_at = :now\n"
			      "WHERE id = :id",
			      &st);

	if (r >= 0)
		r = um_bind_int(st, ":gid", gid);
	if (r >= 0)
		r = group_row ? um_bind_int(st, ":gr", group_row) : um_bind_text(st, ":gr", NULL);
	if (r >= 0)
		r = um_bind_int(st, ":now", um_now());
	if (r >= 0)
		r = um_bind_int(st, ":id", id);
	return r < 0 ? r : um_db_exec_stmt(&s->db, st, "change the primary group");
}

static const char sql_uid_of[] = "SELECT uid FROM users WHERE id = :id";

int um_user_detach(struct um_store *s, int64_t id, uint32_t *ret_uid)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = um_db_prepare(&s->db, sql_uid_of, &st);

	if (r >= 0)
		r = um_bind_int(st, ":id", id);
	if (r >= 0)
		r = um_db_step(&s->db, st, "read the user");
	if (r == 0)
		r = um_fail(-ESRCH, "the user is gone");
	if (r < 0)
		return r;
	*ret_uid = (uint32_t)sqlite3_column_int64(st, 0);
	/* users.group_id points at the private group: cleared first so that
	 * the deferred foreign key holds when that group goes; the e-mail
	 * address goes now, whatever happens to the row. */
	return update_text(s, "UPDATE users SET group_id = NULL, email = NULL WHERE id = :id", id,
			   NULL);
}

int um_user_delete_row(struct um_store *s, int64_t id)
{
	return update_text(s, "DELETE FROM users WHERE id = :id", id, NULL);
}

static const char sql_first_of_group[] =
	"SELECT name FROM users WHERE group_id = :id ORDER BY name LIMIT 1";

int um_user_primary_of(struct um_store *s, int64_t group_id, char **ret_name)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = um_db_prepare(&s->db, sql_first_of_group, &st);

	if (r >= 0)
		r = um_bind_int(st, ":id", group_id);
	if (r >= 0)
		r = um_db_step(&s->db, st, "check the group's users");
	if (r < 0)
		return r;
	*ret_name = NULL;
	if (r == 1 && !(*ret_name = um_col_text(st, 0, false)))
		return -ENOMEM;
	return 0;
}

int um_user_count(struct um_store *s, uint64_t *ret_users, uint64_t *ret_pending)
{
	/* count(*) reads the smallest index, and the pending count the
	 * partial index users_pending: neither reads the table's rows. */
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = um_db_prepare(
		&s->db,
		"SELECT (SELECT count(*) FROM users),\n"
		"  (SELECT count(*) FROM users INDEXED BY users_pending WHERE approved = 0)",
		&st);

	if (r >= 0)
		r = um_db_step(&s->db, st, "count the users");
	if (r < 0)
		return r;
	*ret_users = (uint64_t)sqlite3_column_int64(st, 0);
	*ret_pending = (uint64_t)sqlite3_column_int64(st, 1);
	return 0;
}

/* ---- passwords ---- */

static const char sql_set_hash[] =
	"UPDATE users SET password_hash = :hash, password_changed_at = :now,\n"
	"  password_must_change = 0, updated_at = :now WHERE id = :id";

int um_user_store_hash(struct um_store *s, int64_t user_id, const char *hash)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = um_db_prepare(&s->db, sql_set_hash, &st);

	if (r >= 0)
		r = um_bind_text(st, ":hash", hash);
	if (r >= 0)
		r = um_bind_int(st, ":now", um_now());
	if (r >= 0)
		r = um_bind_int(st, ":id", user_id);
	if (r >= 0)
		r = um_db_exec_stmt(&s->db, st, "store the password");
	if (r >= 0 && um_db_changes(&s->db) == 0)
		r = um_fail(-ESRCH, "the user is gone");
	return r;
}

/* ---- a login ---- */

static const char sql_resolve[] =
	"SELECT id, uid, enabled, approved, ifnull(expires_on, ''), password_must_change,\n"
	"  password_hash FROM users WHERE name = :name";

void um_login_user_clear(struct um_login_user *u)
{
	if (!u)
		return;
	um_secret_free(u->hash);
	memset(u, 0, sizeof(*u));
}

int um_user_resolve(struct um_store *s, const char *name, struct um_login_user *ret)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	struct um_login_user u = { 0 };
	const char *hash;
	int r = um_db_prepare(&s->db, sql_resolve, &st);

	if (r >= 0)
		r = um_bind_text(st, ":name", name);
	if (r >= 0)
		r = um_db_step(&s->db, st, "read the user");
	if (r == 0)
		return um_fail(-ESRCH, "no umgmt user named '%s'", name ? name : "");
	if (r < 0)
		return r;
	u.id = sqlite3_column_int64(st, 0);
	u.uid = (uint32_t)sqlite3_column_int64(st, 1);
	u.enabled = sqlite3_column_int(st, 2);
	u.approved = sqlite3_column_int(st, 3);
	snprintf(u.expires_on, sizeof(u.expires_on), "%s",
		 sqlite3_column_text(st, 4) ? (const char *)sqlite3_column_text(st, 4) : "");
	u.must_change_password = sqlite3_column_int(st, 5);
	hash = (const char *)sqlite3_column_text(st, 6);
	if (hash && !(u.hash = strdup(hash)))
		return -ENOMEM;
	*ret = u;
	return 0;
}

/* Replaces an outdated hash after a successful login; a busy store only
 * means the upgrade waits for the next login. */
static void rehash(struct um_store *s, const struct um_login_user *u, const char *password)
{
	char hash[UM_HASH_MAX];

	if (!(s->flags & UM_STORE_WRITE) || um_password_hash(s->cfg, password, hash) < 0)
		return;
	if (um_db_begin_within(&s->db, UM_LOGIN_BUSY_TIMEOUT_MS, true) >= 0) {
		_cleanup_stmt_ sqlite3_stmt *st = NULL;
		/* Only over the hash that was verified: an admin's new password
		 * set meanwhile must not be replaced by the old one. */
		int r = um_db_prepare(
			&s->db,
			"UPDATE users SET password_hash = :hash WHERE id = :id AND password_hash = :old",
			&st);

		if (r >= 0)
			r = um_bind_text(st, ":hash", hash);
		if (r >= 0)
			r = um_bind_int(st, ":id", u->id);
		if (r >= 0)
			r = um_bind_text(st, ":old", u->hash);
		if (r >= 0)
			r = um_db_exec_stmt(&s->db, st, "upgrade the password hash");
		if (r >= 0)
			r = um_db_commit(&s->db);
		um_db_rollback(&s->db);
	}
	explicit_bzero(hash, sizeof(hash));
	um_error_forget(0);
}

int um_user_verify(struct um_store *s, const struct um_login_user *u, const char *password)
{
	int r;

	if (!u->hash) {
		um_password_dummy_verify(s->cfg, password);
		return -EACCES;
	}
	r = um_password_verify(u->hash, password);
	if (r == -EBADMSG) {
		um_password_dummy_verify(s->cfg, password);
		return -EACCES;
	}
	if (r < 0)
		return r;
	if (um_password_needs_rehash(s->cfg, u->hash))
		rehash(s, u, password);
	return 0;
}

int um_user_authenticate(struct um_store *s, const char *name, const char *password)
{
	struct um_login_user u = { 0 };
	int r = um_user_resolve(s, name, &u);

	if (r == -ESRCH) {
		um_password_dummy_verify(s->cfg, password);
		return r;
	}
	if (r >= 0)
		r = um_user_verify(s, &u, password);
	um_login_user_clear(&u);
	return r;
}

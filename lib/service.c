/* SPDX-License-Identifier: MIT */
/*
 * umgmt core: services (PAM service names) and who may use them.
 *
 * A service with a record is either open or restricted; a restricted one
 * needs a grant to the user, to a group they are in (primary or
 * supplementary), to one of their roles or to their company. A service
 * without a record is open when the config lists it in [services] open,
 * otherwise it follows [services] default. See docs/POLICY.md.
 */
#include "audit.h"
#include "group-private.h"
#include "user-private.h"
#include "umgmt/config.h"
#include "umgmt/date.h"
#include "umgmt/service.h"
#include "umgmt/validate.h"

static int check_description(const char *d)
{
	if (strlen(d) > 255)
		return um_fail(-EINVAL, "the description is longer than 255 bytes");
	for (const char *p = d; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return um_fail(-EINVAL, "the description contains a control character");
	return 0;
}

void um_service_free(struct um_service *sv)
{
	if (!sv)
		return;
	free(sv->name);
	free(sv->description);
	um_strv_free(sv->grants, sv->n_grants);
	free(sv);
}

void um_service_list_free(struct um_service **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		um_service_free(v[i]);
	free(v);
}

static const char sql_service_id[] = "SELECT id FROM services WHERE name = :name";

/* The row id of service name; 0 when there is none. */
static int service_id(struct um_store *s, const char *name, int64_t *ret)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = um_db_prepare(&s->db, sql_service_id, &st), rc;

	if (r < 0)
		return r;
	if ((r = um_bind_text(st, ":name", name)) < 0)
		return r;
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return um_db_error(&s->db, rc, "look up the service");
	*ret = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	return 0;
}

static int need_service(struct um_store *s, const char *name, int64_t *ret)
{
	int r = service_id(s, name, ret);

	if (r < 0)
		return r;
	if (!*ret)
		return um_fail(-ESRCH, "no service named '%s'", name);
	return 0;
}

/* ---- changes ---- */

static const char sql_service_add[] =
	"INSERT INTO services(name, restricted, description, created_at)\n"
	"VALUES (:name, :restricted, :description, :now)";

int um_service_add(struct um_store *s, const char *name, bool restricted, const char *description)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int64_t id;
	int r;

	r = um_check_service_name(name);
	if (r >= 0 && description)
		r = check_description(description);
	if (r < 0)
		return r;
	r = um_db_begin(&s->db);
	if (r < 0)
		return r;
	UM_TX_GUARD(&s->db);
	r = service_id(s, name, &id);
	if (r < 0)
		return r;
	if (id)
		return um_fail(-EEXIST, "a service named '%s' already exists", name);
	r = um_db_prepare(&s->db, sql_service_add, &st);
	if (r < 0)
		return r;
	if ((r = um_bind_text(st, ":name", name)) < 0)
		return r;
	if ((r = um_bind_int(st, ":restricted", restricted)) < 0)
		return r;
	if ((r = um_bind_text(st, ":description", description ? description : "")) < 0)
		return r;
	if ((r = um_bind_int(st, ":now", um_now())) < 0)
		return r;
	r = um_db_exec_stmt(&s->db, st, "add the service");
	if (r >= 0)
		r = um_audit(s, "service add", "service", name, 0,
			     restricted ? "restricted" : "open");
	if (r < 0)
		return r;
	return um_db_commit(&s->db);
}

int um_service_set_restricted(struct um_store *s, const char *name, bool restricted)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int64_t id;
	int r;

	r = um_db_begin(&s->db);
	if (r < 0)
		return r;
	UM_TX_GUARD(&s->db);
	r = need_service(s, name, &id);
	if (r < 0)
		return r;
	r = um_db_prepare(&s->db,
			  "UPDATE services SET restricted = :restricted\n"
			  "WHERE id = :id AND restricted != :restricted",
			  &st);
	if (r < 0)
		return r;
	if ((r = um_bind_int(st, ":restricted", restricted)) < 0)
		return r;
	if ((r = um_bind_int(st, ":id", id)) < 0)
		return r;
	r = um_db_exec_stmt(&s->db, st, "change the service");
	if (r < 0)
		return r;
	if (um_db_changes(&s->db) == 0)
		return 0;
	r = um_audit(s, "service edit", "service", name, 0, restricted ? "restricted" : "open");
	if (r < 0)
		return r;
	return um_db_commit(&s->db);
}

int um_service_delete(struct um_store *s, const char *name)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int64_t id;
	int r;

	r = um_db_begin(&s->db);
	if (r < 0)
		return r;
	UM_TX_GUARD(&s->db);
	r = need_service(s, name, &id);
	if (r < 0)
		return r;
	r = um_db_prepare(&s->db, "DELETE FROM services WHERE id = :id", &st);
	if (r < 0)
		return r;
	if ((r = um_bind_int(st, ":id", id)) < 0)
		return r;
	r = um_db_exec_stmt(&s->db, st, "delete the service");
	if (r >= 0)
		r = um_audit(s, "service delete", "service", name, 0, "");
	if (r < 0)
		return r;
	return um_db_commit(&s->db);
}

static const char sql_grant_user[] =
	"INSERT INTO service_grants(service_id, user_id, created_at) VALUES (:sid, :gid, :now)";
static const char sql_grant_group[] =
	"INSERT INTO service_grants(service_id, group_id, created_at) VALUES (:sid, :gid, :now)";
static const char sql_revoke_user[] =
	"DELETE FROM service_grants WHERE service_id = :sid AND user_id = :gid";
static const char sql_revoke_group[] =
	"DELETE FROM service_grants WHERE service_id = :sid AND group_id = :gid";
static const char sql_has_user_grant[] =
	"SELECT 1 FROM service_grants WHERE service_id = :sid AND user_id = :gid";
static const char sql_has_group_grant[] =
	"SELECT 1 FROM service_grants WHERE service_id = :sid AND group_id = :gid";

/* Resolves the grantee to a row id. */
static int grantee_id(struct um_store *s, enum um_grantee kind, const char *grantee, int64_t *ret)
{
	int r;

	if (kind == UM_GRANT_USER)
		return um_user_id(s, grantee, ret);
	if (kind != UM_GRANT_GROUP)
		return um_fail(-EINVAL, "unknown kind of grantee");
	r = um_group_find(s, grantee, ret, NULL);
	if (r >= 0 && !*ret)
		return um_fail(-ESRCH, "no umgmt group named '%s'", grantee ? grantee : "");
	return r;
}

static int change_grant(struct um_store *s, const char *service, enum um_grantee kind,
			const char *grantee, bool grant)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	_cleanup_free_ char *detail = NULL;
	bool user = kind == UM_GRANT_USER;
	const char *what = user ? "user" : "group";
	int64_t sid, gid;
	int r, rc;

	r = um_check_service_name(service);
	if (r < 0)
		return r;
	r = um_db_begin(&s->db);
	if (r < 0)
		return r;
	UM_TX_GUARD(&s->db);
	r = need_service(s, service, &sid);
	if (r >= 0)
		r = grantee_id(s, kind, grantee, &gid);
	if (r < 0)
		return r;
	r = um_db_prepare(&s->db, user ? sql_has_user_grant : sql_has_group_grant, &st);
	if (r < 0)
		return r;
	if ((r = um_bind_int(st, ":sid", sid)) < 0)
		return r;
	if ((r = um_bind_int(st, ":gid", gid)) < 0)
		return r;
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return um_db_error(&s->db, rc, "read the grants");
	if (grant && rc == SQLITE_ROW)
		return um_fail(-EEXIST, "%s '%s' is already granted service '%s'", what, grantee,
			       service);
	if (!grant && rc == SQLITE_DONE)
		return um_fail(-ESRCH, "%s '%s' has no grant for service '%s'", what, grantee,
			       service);
	sqlite3_finalize(st);
	st = NULL;
	r = um_db_prepare(&s->db,
			  grant ? (user ? sql_grant_user : sql_grant_group)
				: (user ? sql_revoke_user : sql_revoke_group),
			  &st);
	if (r < 0)
		return r;
	if ((r = um_bind_int(st, ":sid", sid)) < 0)
		return r;
	if ((r = um_bind_int(st, ":gid", gid)) < 0)
		return r;
	if (grant && (r = um_bind_int(st, ":now", um_now())) < 0)
		return r;
	r = um_db_exec_stmt(&s->db, st, grant ? "grant the service" : "revoke the grant");
	if (r < 0)
		return r;
	detail = um_asprintf("%s:%s", what, grantee);
	if (!detail)
		return -ENOMEM;
	r = um_audit(s, grant ? "service grant" : "service revoke", "service", service,
		     user ? gid : 0, detail);
	if (r < 0)
		return r;
	return um_db_commit(&s->db);
}

int um_service_grant(struct um_store *s, const char *service, enum um_grantee kind,
		     const char *grantee)
{
	return change_grant(s, service, kind, grantee, true);
}

int um_service_revoke(struct um_store *s, const char *service, enum um_grantee kind,
		      const char *grantee)
{
	return change_grant(s, service, kind, grantee, false);
}

/* ---- reading ---- */

static const char sql_grants_of[] =
	"SELECT CASE WHEN g.user_id IS NOT NULL THEN 'user:' || u.name\n"
	"            WHEN g.group_id IS NOT NULL THEN 'group:' || gr.name\n"
	"            WHEN g.role_id IS NOT NULL THEN 'role:' || r.name\n"
	"            ELSE 'company:' || c.name END AS who\n"
	"FROM service_grants g\n"
	"LEFT JOIN users u ON u.id = g.user_id\n"
	"LEFT JOIN groups gr ON gr.id = g.group_id\n"
	"LEFT JOIN roles r ON r.id = g.role_id\n"
	"LEFT JOIN companies c ON c.id = g.company_id\n"
	"WHERE g.service_id = :sid ORDER BY who";

static int service_from_row(struct um_store *s, sqlite3_stmt *row, struct um_service **ret)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	struct um_service *sv = calloc(1, sizeof(*sv));
	int r, rc;

	if (!sv)
		return -ENOMEM;
	sv->name = um_col_text(row, 1, false);
	sv->restricted = sqlite3_column_int(row, 2);
	sv->description = um_col_text(row, 3, false);
	if (!sv->name || !sv->description) {
		um_service_free(sv);
		return -ENOMEM;
	}
	r = um_db_prepare(&s->db, sql_grants_of, &st);
	if (r >= 0)
		r = um_bind_int(st, ":sid", sqlite3_column_int64(row, 0));
	if (r < 0) {
		um_service_free(sv);
		return r;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		char **nv = realloc(sv->grants, (sv->n_grants + 1) * sizeof(*nv));

		if (!nv || !(nv[sv->n_grants] = um_col_text(st, 0, false))) {
			if (nv)
				sv->grants = nv;
			um_service_free(sv);
			return -ENOMEM;
		}
		sv->grants = nv;
		sv->n_grants++;
	}
	if (rc != SQLITE_DONE) {
		um_service_free(sv);
		return um_db_error(&s->db, rc, "read the grants");
	}
	*ret = sv;
	return 0;
}

int um_service_get(struct um_store *s, const char *name, struct um_service **ret)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r, rc;

	r = um_db_prepare(&s->db,
			  "SELECT id, name, restricted, description FROM services\n"
			  "WHERE name = :name",
			  &st);
	if (r < 0)
		return r;
	if ((r = um_bind_text(st, ":name", name)) < 0)
		return r;
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return um_fail(-ESRCH, "no service named '%s'", name ? name : "");
	if (rc != SQLITE_ROW)
		return um_db_error(&s->db, rc, "read the service");
	return service_from_row(s, st, ret);
}

int um_service_list(struct um_store *s, struct um_service ***ret, size_t *ret_n)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	struct um_service **v = NULL;
	size_t n = 0;
	int r, rc;

	r = um_db_prepare(&s->db,
			  "SELECT id, name, restricted, description FROM services\n"
			  "ORDER BY name",
			  &st);
	if (r < 0)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct um_service **nv = realloc(v, (n + 1) * sizeof(*nv));

		if (!nv) {
			um_service_list_free(v, n);
			return -ENOMEM;
		}
		v = nv;
		r = service_from_row(s, st, &v[n]);
		if (r < 0) {
			um_service_list_free(v, n);
			return r;
		}
		n++;
	}
	if (rc != SQLITE_DONE) {
		um_service_list_free(v, n);
		return um_db_error(&s->db, rc, "list the services");
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

/* ---- access ---- */

/* The grant that lets user :uid use service :sid, best reason first (a
 * grant to the user themself), as "user alice" / "group devs" / ... */
static const char sql_reach[] =
	"SELECT CASE WHEN g.user_id IS NOT NULL THEN 'user:' || u.name\n"
	"            WHEN g.group_id IS NOT NULL THEN 'group:' || gr.name\n"
	"            WHEN g.role_id IS NOT NULL THEN 'role:' || r.name\n"
	"            ELSE 'company:' || c.name END\n"
	"FROM service_grants g\n"
	"LEFT JOIN users u ON u.id = g.user_id\n"
	"LEFT JOIN groups gr ON gr.id = g.group_id\n"
	"LEFT JOIN roles r ON r.id = g.role_id\n"
	"LEFT JOIN companies c ON c.id = g.company_id\n"
	"WHERE g.service_id = :sid AND (g.user_id = :uid\n"
	"  OR g.group_id IN (SELECT group_id FROM group_members WHERE user_id = :uid\n"
	"                    UNION SELECT group_id FROM users WHERE id = :uid)\n"
	"  OR g.role_id IN (SELECT role_id FROM user_roles WHERE user_id = :uid)\n"
	"  OR g.company_id = (SELECT company_id FROM users WHERE id = :uid))\n"
	"ORDER BY g.user_id IS NULL, g.group_id IS NULL, g.role_id IS NULL, g.id LIMIT 1";

static int reach_record(struct um_store *s, int64_t user_id, int64_t sid, bool restricted,
			char *why, size_t why_size)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	if (!restricted) {
		snprintf(why, why_size, "open");
		return 1;
	}
	r = um_db_prepare(&s->db, sql_reach, &st);
	if (r >= 0)
		r = um_bind_int(st, ":sid", sid);
	if (r >= 0)
		r = um_bind_int(st, ":uid", user_id);
	if (r >= 0)
		r = um_db_step(&s->db, st, "read the grants");
	if (r < 0)
		return r;
	snprintf(why, why_size, "%s", r ? (const char *)sqlite3_column_text(st, 0) : "none");
	return r;
}

static int reach_by_config(const struct um_config *c, const char *service, char *why,
			   size_t why_size)
{
	if (um_config_service_is_open(c, service)) {
		snprintf(why, why_size, "config");
		return 1;
	}
	snprintf(why, why_size, "default");
	return c->default_service_policy == UM_SERVICE_ALLOW;
}

int um_service_reach(struct um_store *s, int64_t user_id, const char *service, char *why,
		     size_t why_size)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r, rc;

	r = um_db_prepare(&s->db, "SELECT id, restricted FROM services WHERE name = :name", &st);
	if (r < 0)
		return r;
	if ((r = um_bind_text(st, ":name", service)) < 0)
		return r;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		return reach_record(s, user_id, sqlite3_column_int64(st, 0),
				    sqlite3_column_int(st, 1), why, why_size);
	if (rc != SQLITE_DONE)
		return um_db_error(&s->db, rc, "read the service");
	return reach_by_config(s->cfg, service, why, why_size);
}

const char *um_service_via_text(const char *via, bool allowed, char *buf, size_t size)
{
	const char *colon = strchr(via, ':');

	if (colon)
		snprintf(buf, size, "granted to %.*s %s", (int)(colon - via), via, colon + 1);
	else if (!strcmp(via, "config"))
		snprintf(buf, size, "open by configuration ([services] open)");
	else if (!strcmp(via, "default"))
		snprintf(buf, size, "%s by default ([services] default = %s)",
			 allowed ? "allowed" : "denied", allowed ? "allow" : "deny");
	else if (!strcmp(via, "none"))
		snprintf(buf, size, "restricted, no grant");
	else
		snprintf(buf, size, "%s", via);
	return buf;
}

void um_service_access_free(struct um_service_access *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].service);
		free(v[i].via);
	}
	free(v);
}

static int access_push(struct um_service_access **v, size_t *n, const char *service, bool allowed,
		       const char *via)
{
	struct um_service_access *nv = realloc(*v, (*n + 1) * sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	*v = nv;
	nv[*n] = (struct um_service_access){ .service = service ? strdup(service) : NULL,
					     .allowed = allowed,
					     .via = strdup(via) };
	(*n)++;
	if ((service && !nv[*n - 1].service) || !nv[*n - 1].via)
		return -ENOMEM;
	return 0;
}

int um_service_access(struct um_store *s, int64_t user_id, struct um_service_access **ret,
		      size_t *ret_n)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	const struct um_config *c = s->cfg;
	struct um_service_access *v = NULL;
	char via[128];
	size_t n = 0;
	int r, rc;

	r = um_db_prepare(&s->db, "SELECT id, restricted, name FROM services ORDER BY name", &st);
	if (r < 0)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		r = reach_record(s, user_id, sqlite3_column_int64(st, 0), sqlite3_column_int(st, 1),
				 via, sizeof(via));
		if (r == 1)
			r = access_push(&v, &n, (const char *)sqlite3_column_text(st, 2), true,
					via);
		if (r < 0)
			goto fail;
	}
	if (rc != SQLITE_DONE) {
		r = um_db_error(&s->db, rc, "list the services");
		goto fail;
	}
	for (size_t i = 0; i < c->n_open_services; i++) {
		int64_t sid;

		r = service_id(s, c->open_services[i], &sid);
		if (r >= 0 && !sid)
			r = access_push(&v, &n, c->open_services[i], true, "config");
		if (r < 0)
			goto fail;
	}
	r = access_push(&v, &n, NULL, c->default_service_policy == UM_SERVICE_ALLOW, "default");
	if (r < 0)
		goto fail;
	*ret = v;
	*ret_n = n;
	return 0;
fail:
	um_service_access_free(v, n);
	return r;
}

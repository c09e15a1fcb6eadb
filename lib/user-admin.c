/* SPDX-License-Identifier: MIT */
/*
 * umgmt core: administering users (user.h): adding, editing and deleting
 * a user, a new password, and reading a user with their groups and last
 * login. Each composes the owners of the tables it touches (user.c,
 * group.c, login.c, token.c, id.c, audit.c) in one transaction; it runs
 * no SQL of its own.
 */
#include "audit.h"
#include "group-private.h"
#include "id.h"
#include "login-private.h"
#include "publish.h"
#include "token-private.h"
#include "user-private.h"
#include "umgmt/date.h"
#include "umgmt/local.h"
#include "umgmt/password.h"
#include "umgmt/validate.h"

/* u's supplementary groups (group.c) and last login (login.c); *groups
 * and *login keep the statements for a listing. */
static int add_extras(struct um_store *s, sqlite3_stmt **groups, sqlite3_stmt **login,
		      struct um_user *u)
{
	int r = um_login_last(s, login, u->id, &u->last_login_at, &u->last_login_service,
			      &u->last_login_host);

	return r < 0 ? r : um_group_names_of(s, groups, u->id, &u->groups, &u->n_groups);
}

int um_user_get(struct um_store *s, const char *name, struct um_user **ret)
{
	_cleanup_stmt_ sqlite3_stmt *groups = NULL, *login = NULL;
	_cleanup_(um_user_freep) struct um_user *u = NULL;
	int r = um_user_read(s, name, &u);

	if (r >= 0)
		r = add_extras(s, &groups, &login, u);
	if (r < 0)
		return r;
	*ret = UM_TAKE_PTR(u);
	return 0;
}

/* A listing's users by row id, for the one walk over the last logins. */
struct by_id {
	struct um_user **v;
	size_t n;
	size_t *order; /* indexes of v, ascending by v[i]->id */
};

static int by_id_cmp(const void *a, const void *b, void *ctx)
{
	struct um_user **v = ctx;
	int64_t x = v[*(const size_t *)a]->id, y = v[*(const size_t *)b]->id;

	return x < y ? -1 : x > y;
}

static int put_last_login(void *ctx, int64_t user_id, int64_t at, const char *service,
			  const char *host)
{
	struct by_id *b = ctx;
	size_t lo = 0, hi = b->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int64_t id = b->v[b->order[mid]]->id;

		if (id == user_id) {
			struct um_user *u = b->v[b->order[mid]];

			u->last_login_at = at;
			u->last_login_service = strdup(service);
			u->last_login_host = strdup(host);
			return u->last_login_service && u->last_login_host ? 0 : -ENOMEM;
		}
		if (id < user_id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0; /* not in this listing (filtered out) */
}

/* The last logins of the n users of v, in one walk over them. */
static int add_last_logins(struct um_store *s, struct um_user **v, size_t n)
{
	struct by_id b = { .v = v, .n = n, .order = malloc((n ? n : 1) * sizeof(size_t)) };
	int r;

	if (!b.order)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		b.order[i] = i;
	qsort_r(b.order, n, sizeof(*b.order), by_id_cmp, v);
	r = um_login_last_all(s, put_last_login, &b);
	free(b.order);
	return r;
}

int um_user_list(struct um_store *s, struct um_user ***ret, size_t *ret_n)
{
	return um_user_list_filtered(s, 0, NULL, ret, ret_n);
}

int um_user_list_filtered(struct um_store *s, unsigned filter, const char *today,
			  struct um_user ***ret, size_t *ret_n)
{
	_cleanup_stmt_ sqlite3_stmt *groups = NULL;
	struct um_user **v = NULL;
	size_t n = 0;
	int r;

	if ((filter & UM_USER_LIST_ABSENT) && !today)
		return um_fail(-EINVAL, "listing absent users needs today's date");
	r = um_user_read_all(s, filter, today, &v, &n);
	for (size_t i = 0; r >= 0 && i < n; i++)
		r = um_group_names_of(s, &groups, v[i]->id, &v[i]->groups, &v[i]->n_groups);
	if (r >= 0)
		r = add_last_logins(s, v, n);
	if (r < 0) {
		um_user_list_free(v, n);
		return r;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

/* Resolves a primary group: an umgmt group (id > 0) or a local one (id 0). */
static int resolve_group(struct um_store *s, const char *name, int64_t *ret_id, uint32_t *ret_gid)
{
	int r = um_group_find(s, name, ret_id, ret_gid);

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
	r = um_user_id(s, name, &id);
	if (r == 0)
		return um_fail(-EEXIST, "a user named '%s' already exists", name);
	if (r != -ESRCH)
		return r;
	um_error_forget(r);
	if (!need_group)
		return 0;
	if (um_local_group_exists(name))
		return um_fail(
			-EEXIST,
			"'%s' is a local group in %s, so it cannot be the user's private group",
			name, UM_GROUP_PATH);
	r = um_group_find(s, name, &id, NULL);
	if (r < 0)
		return r;
	if (id)
		return um_fail(
			-EEXIST,
			"a group named '%s' already exists, so it cannot be the user's private group",
			name);
	return 0;
}

int um_user_add(struct um_store *s, const char *name, const struct um_user_spec *spec_in,
		struct um_user **ret)
{
	const struct um_user_spec empty = UM_USER_SPEC_INIT;
	const struct um_user_spec *spec = spec_in ? spec_in : &empty;
	const struct um_config *c = s->cfg;
	bool upg = c->user_private_groups && !spec->group;
	_cleanup_free_ char *home = NULL;
	int64_t group_id = 0, user_id, now = um_now();
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

	r = um_db_begin(&s->db);
	if (r < 0)
		return r;
	UM_TX_GUARD(&s->db);

	r = check_name_free(s, name, upg);
	if (r < 0)
		return r;
	if (spec->uid != -1) {
		uid = (uint32_t)spec->uid;
		r = um_id_check_given(s, upg ? UM_ID_BOTH : UM_ID_UID, uid);
	} else {
		r = um_id_alloc(s, upg ? UM_ID_BOTH : UM_ID_UID, &uid);
	}
	if (r < 0)
		return r;

	if (upg) {
		gid = uid;
		r = um_group_insert(s, NULL,
				    &(struct um_group_row){
					    .name = name, .gid = gid, .created_at = now },
				    &group_id);
		if (r >= 0)
			r = um_id_mark_used(s, NULL, UM_ID_GID, gid);
	} else {
		r = resolve_group(s, spec->group ? spec->group : c->default_group, &group_id, &gid);
	}
	if (r < 0)
		return r;

	r = um_user_insert(s, NULL,
			   &(struct um_user_row){
				   .name = name,
				   .uid = uid,
				   .gid = gid,
				   .group_id = group_id,
				   .kind = spec->kind == -1 ? UM_KIND_PERSON
							    : (enum um_user_kind)spec->kind,
				   .full_name = spec->full_name,
				   .email = spec->email && *spec->email ? spec->email : NULL,
				   .home = home,
				   .shell = spec->shell ? spec->shell : c->default_shell,
				   .approved = !c->approval_required,
				   .created_at = now,
			   },
			   &user_id);
	if (r >= 0 && upg)
		r = um_group_set_private_of(s, group_id, user_id);
	if (r >= 0)
		r = um_id_mark_used(s, NULL, UM_ID_UID, uid);
	if (r >= 0)
		r = um_audit(s, "user add", "user", name, user_id, "");
	if (r >= 0)
		r = um_publish_commit(s);
	if (r < 0)
		return r;
	return ret ? um_user_get(s, name, ret) : 0;
}

int um_user_edit(struct um_store *s, const char *name, const struct um_user_spec *spec)
{
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

	r = um_db_begin(&s->db);
	if (r < 0)
		return r;
	UM_TX_GUARD(&s->db);
	r = um_user_id(s, name, &id);
	if (r < 0)
		return r;

	if (spec->rename && strcmp(spec->rename, name)) {
		/* The private group follows its user's name when it still
		 * carries it. */
		r = um_group_private_named(s, id, name, &private_id);
		if (r >= 0)
			r = check_name_free(s, spec->rename, private_id != 0);
		if (r >= 0 && private_id)
			r = um_group_rename_row(s, private_id, spec->rename);
		if (r < 0)
			return r;
	}
	r = um_user_update_row(s, id,
			       &(struct um_user_spec){
				       .rename = spec->rename && strcmp(spec->rename, name)
							 ? spec->rename
							 : NULL,
				       .full_name = spec->full_name,
				       .email = spec->email,
				       .home = spec->home,
				       .shell = spec->shell,
				       .kind = spec->kind,
			       },
			       &directory_changed);
	if (r >= 0 && spec->group) {
		int64_t gid_row;
		uint32_t gid;

		r = resolve_group(s, spec->group, &gid_row, &gid);
		if (r >= 0)
			r = um_user_set_primary_group(s, id, gid, gid_row);
		directory_changed = true;
	}
	if (r >= 0)
		r = um_audit(s, "user edit", "user", spec->rename ? spec->rename : name, id,
			     spec->rename ? name : "");
	if (r < 0)
		return r;
	return directory_changed ? um_publish_commit(s) : um_db_commit(&s->db);
}

int um_user_delete(struct um_store *s, const char *name)
{
	_cleanup_free_ char *detail = NULL;
	bool group_gone = false;
	int64_t id;
	uint32_t uid = 0;
	int r;

	r = um_db_begin(&s->db);
	if (r < 0)
		return r;
	UM_TX_GUARD(&s->db);
	r = um_user_id(s, name, &id);
	if (r >= 0)
		r = um_user_detach(s, id, &uid);
	/* The private group goes with its user unless someone else now has it
	 * as primary group (then it stays, as an ordinary group). Memberships,
	 * tokens, absences, logins and failures go with the row (foreign
	 * keys cascade). */
	if (r >= 0)
		r = um_group_delete_private(s, id, &group_gone);
	if (r >= 0)
		r = um_user_delete_row(s, id);
	/* Scrub: the audit keeps what happened, not who it happened to (the
	 * private group carried the user's name too). */
	if (r >= 0)
		r = um_audit_forget_user(s, id, group_gone ? name : NULL);
	if (r < 0)
		return r;
	detail = um_asprintf("uid %u", uid);
	if (!detail)
		return -ENOMEM;
	r = um_audit(s, "user delete", "user", "", id, detail);
	if (r < 0)
		return r;
	return um_publish_commit(s);
}

int um_user_set_password(struct um_store *s, const char *name, const char *password)
{
	char hash[UM_HASH_MAX];
	int64_t id;
	int r;

	r = um_password_new_hash(s->cfg, name, password, hash);
	if (r < 0)
		return r;
	r = um_db_begin(&s->db);
	if (r >= 0) {
		UM_TX_GUARD(&s->db);

		r = um_user_id(s, name, &id);
		if (r >= 0)
			r = um_user_store_hash(s, id, hash);
		/* A new password ends every outstanding activation or reset
		 * token: it must not stay a second way in. */
		if (r >= 0)
			r = um_token_revoke_all(s, id);
		if (r >= 0)
			r = um_audit(s, "user passwd", "user", name, id, "");
		if (r >= 0)
			r = um_db_commit(&s->db);
	}
	explicit_bzero(hash, sizeof(hash));
	return r;
}

/* SPDX-License-Identifier: MIT */
/* Unit tests of lib/user.c: users, ids, private groups, passwords, deletion. */
#include <grp.h>
#include <pwd.h>

#include "helpers.h"

#include "umgmt/group.h"
#include "umgmt/local.h"
#include "umgmt/password.h"
#include "umgmt/login.h"
#include "umgmt/user.h"

/* A spec with the defaults of UM_USER_SPEC_INIT, some fields overridden:
 * overriding an initialiser is the point here. */
#pragma GCC diagnostic ignored "-Woverride-init"
#define SPEC(...) (&(struct um_user_spec){ .kind = -1, .uid = -1, __VA_ARGS__ })

/* Everything a failed change must leave as it was. */
struct world {
	struct um_status st;
	char *snap;
	size_t snap_len;
	int64_t used_ids, audit_rows, users, groups, members;
};

static struct world world_get(struct fixture *f)
{
	struct world w;
	sqlite3 *db;

	w.st = t_status(f);
	w.snap = t_read_file(f->snapshot, &w.snap_len);
	db = t_db_open(f->truth);
	w.used_ids = t_db_int(db, "SELECT count(*) FROM used_ids");
	w.audit_rows = t_db_int(db, "SELECT count(*) FROM audit");
	w.users = t_db_int(db, "SELECT count(*) FROM users");
	w.groups = t_db_int(db, "SELECT count(*) FROM groups");
	w.members = t_db_int(db, "SELECT count(*) FROM group_members");
	sqlite3_close(db);
	return w;
}

static void world_assert_same(struct fixture *f, struct world *before, const char *what)
{
	struct world now = world_get(f);

	if (now.st.generation != before->st.generation || now.users != before->users ||
	    now.groups != before->groups || now.members != before->members ||
	    now.used_ids != before->used_ids || now.audit_rows != before->audit_rows)
		fail_msg("%s changed the store: gen %ju->%ju users %jd->%jd groups %jd->%jd "
			 "members %jd->%jd used_ids %jd->%jd audit %jd->%jd",
			 what, (uintmax_t)before->st.generation, (uintmax_t)now.st.generation,
			 (intmax_t)before->users, (intmax_t)now.users, (intmax_t)before->groups,
			 (intmax_t)now.groups, (intmax_t)before->members, (intmax_t)now.members,
			 (intmax_t)before->used_ids, (intmax_t)now.used_ids,
			 (intmax_t)before->audit_rows, (intmax_t)now.audit_rows);
	if (now.snap_len != before->snap_len || memcmp(now.snap, before->snap, now.snap_len))
		fail_msg("%s changed the published snapshot", what);
	free(now.snap);
}

static void world_free(struct world *w)
{
	free(w->snap);
}

static struct um_user *get(struct fixture *f, const char *name)
{
	struct um_user *u = NULL;

	if (t_try(um_user_get(f->s, name, &u)) < 0)
		fail_msg("user %s: %s", name, um_error_text(t_last_err));
	return u;
}

static char *hash_of(struct fixture *f, const char *name)
{
	sqlite3 *db = t_db_open(f->truth);
	char *sql = sqlite3_mprintf("SELECT password_hash FROM users WHERE name = %Q", name);
	char *h = t_db_text(db, sql);

	sqlite3_free(sql);
	sqlite3_close(db);
	return h;
}

static void test_add_get_list(void **state)
{
	struct fixture *f = *state;
	struct um_user *u = NULL, **v = NULL;
	struct um_group *g = NULL;
	size_t n = 0;

	assert_ok(
		um_user_add(f->s, "alice",
			    SPEC(.full_name = "Alice Liddell", .email = "alice@example.org",
				 .home = "/srv/alice", .shell = "/bin/zsh", .kind = UM_KIND_ROBOT),
			    &u));
	assert_string_equal(u->name, "alice");
	assert_int_equal(u->uid, f->cfg->uid_min); /* the first id of the range */
	assert_int_equal(u->gid, u->uid);	   /* private group, same number */
	assert_string_equal(u->group, "alice");
	assert_int_equal(u->kind, UM_KIND_ROBOT);
	assert_string_equal(u->full_name, "Alice Liddell");
	assert_string_equal(u->email, "alice@example.org");
	assert_string_equal(u->home, "/srv/alice");
	assert_string_equal(u->shell, "/bin/zsh");
	assert_true(u->enabled);
	assert_true(u->approved);
	assert_false(u->has_password);
	assert_int_equal(u->password_changed_at, 0);
	assert_true(u->created_at > 0);
	assert_int_equal(u->n_groups, 0);
	um_user_free(u);

	/* defaults from the config */
	assert_ok(um_user_add(f->s, "bob", NULL, NULL));
	u = get(f, "bob");
	assert_int_equal(u->uid, f->cfg->uid_min + 1);
	assert_string_equal(u->home, "/home/bob");
	assert_string_equal(u->shell, "/bin/bash");
	assert_int_equal(u->kind, UM_KIND_PERSON);
	assert_string_equal(u->full_name, "");
	assert_null(u->email);
	um_user_free(u);

	/* the private group exists and says whose it is */
	assert_ok(um_group_get(f->s, "bob", &g));
	assert_int_equal(g->gid, f->cfg->uid_min + 1);
	assert_string_equal(g->private_of, "bob");
	um_group_free(g);

	assert_ok(um_user_list(f->s, &v, &n));
	assert_int_equal(n, 2);
	assert_string_equal(v[0]->name, "alice");
	assert_string_equal(v[1]->name, "bob");
	assert_true(v[0]->uid < v[1]->uid);
	um_user_list_free(v, n);

	assert_errno(um_user_get(f->s, "carol", &u), -ESRCH);
	assert_detail_has("carol");
	assert_errno(um_user_get(f->s, "root", &u), -ESRCH); /* local users are not ours */
}

static void test_list_empty(void **state)
{
	struct fixture *f = *state;
	struct um_user **v = (struct um_user **)0x1;
	size_t n = 99;

	assert_ok(um_user_list(f->s, &v, &n));
	assert_int_equal(n, 0);
	um_user_list_free(v, n);
}

static void test_kind_strings(void **state _unused_)
{
	assert_string_equal(um_user_kind_to_string(UM_KIND_PERSON), "person");
	assert_string_equal(um_user_kind_to_string(UM_KIND_ROBOT), "robot");
	assert_string_equal(um_user_kind_to_string(UM_KIND_CUSTOMER), "customer");
	assert_int_equal(um_user_kind_from_string("customer"), UM_KIND_CUSTOMER);
	assert_int_equal(um_user_kind_from_string("robot"), UM_KIND_ROBOT);
	assert_errno(um_user_kind_from_string("Robot"), -EINVAL);
	assert_errno(um_user_kind_from_string(""), -EINVAL);
	assert_errno(um_user_kind_from_string(NULL), -EINVAL);
}

static void test_edit(void **state)
{
	struct fixture *f = *state;
	struct um_user *u;
	struct world w;

	assert_ok(um_user_add(f->s, "alice", SPEC(.email = "alice@example.org"), NULL));
	assert_ok(um_group_add(f->s, "devs", -1, NULL, NULL));
	assert_ok(um_user_edit(f->s, "alice",
			       SPEC(.full_name = "Alice L.", .home = "/home/al", .shell = "/bin/sh",
				    .kind = UM_KIND_CUSTOMER, .email = "al@example.com")));
	u = get(f, "alice");
	assert_string_equal(u->full_name, "Alice L.");
	assert_string_equal(u->home, "/home/al");
	assert_string_equal(u->shell, "/bin/sh");
	assert_int_equal(u->kind, UM_KIND_CUSTOMER);
	assert_string_equal(u->email, "al@example.com");
	um_user_free(u);

	/* "" clears the e-mail address; NULL leaves fields alone */
	assert_ok(um_user_edit(f->s, "alice", SPEC(.email = "")));
	u = get(f, "alice");
	assert_null(u->email);
	assert_string_equal(u->full_name, "Alice L.");
	um_user_free(u);

	/* moving to another primary group */
	assert_ok(um_user_edit(f->s, "alice", SPEC(.group = "devs")));
	u = get(f, "alice");
	assert_string_equal(u->group, "devs");
	um_user_free(u);
	assert_ok(um_user_edit(f->s, "alice", SPEC(.group = "users"))); /* a local group */
	u = get(f, "alice");
	assert_string_equal(u->group, "users");
	assert_int_equal(u->gid, 100);
	um_user_free(u);

	/* refusals change nothing */
	w = world_get(f);
	assert_errno(um_user_edit(f->s, "nobody-here", SPEC(.full_name = "x")), -ESRCH);
	assert_errno(um_user_edit(f->s, "alice", SPEC(.full_name = "a:b")), -EINVAL);
	assert_errno(um_user_edit(f->s, "alice", SPEC(.full_name = "Doe, J")), -EINVAL);
	assert_errno(um_user_edit(f->s, "alice", SPEC(.email = "not-an-address")), -EINVAL);
	assert_errno(um_user_edit(f->s, "alice", SPEC(.home = "relative")), -EINVAL);
	assert_errno(um_user_edit(f->s, "alice", SPEC(.shell = "/bin/a:b")), -EINVAL);
	assert_errno(um_user_edit(f->s, "alice", SPEC(.kind = 3)), -EINVAL);
	assert_errno(um_user_edit(f->s, "alice", SPEC(.uid = 5000)), -EINVAL);
	assert_errno(um_user_edit(f->s, "alice", SPEC(.group = "no-such-group")), -ESRCH);
	/* a valid change together with an invalid one: all or nothing */
	assert_errno(um_user_edit(f->s, "alice",
				  SPEC(.full_name = "Changed", .group = "no-such-group")),
		     -ESRCH);
	world_assert_same(f, &w, "refused edits");
	world_free(&w);
	u = get(f, "alice");
	assert_string_equal(u->full_name, "Alice L.");
	um_user_free(u);
}

static void test_rename(void **state)
{
	struct fixture *f = *state;
	struct um_user *u = NULL;
	struct um_group *g = NULL;
	uint32_t uid;
	struct world w;

	assert_ok(um_user_add(f->s, "alice", NULL, &u));
	uid = u->uid;
	um_user_free(u);
	assert_ok(um_user_add(f->s, "bob", NULL, NULL));
	assert_ok(um_group_add(f->s, "devs", -1, NULL, NULL));
	assert_ok(um_group_add_member(f->s, "devs", "alice"));

	assert_ok(um_user_edit(f->s, "alice", SPEC(.rename = "alicia")));
	assert_errno(um_user_get(f->s, "alice", &u), -ESRCH);
	u = get(f, "alicia");
	assert_int_equal(u->uid, uid);
	assert_string_equal(u->group, "alicia"); /* the private group followed */
	assert_int_equal(u->n_groups, 1);
	assert_string_equal(u->groups[0], "devs");
	um_user_free(u);
	assert_errno(um_group_get(f->s, "alice", &g), -ESRCH);
	assert_ok(um_group_get(f->s, "alicia", &g));
	assert_int_equal(g->gid, uid);
	assert_string_equal(g->private_of, "alicia");
	um_group_free(g);
	assert_ok(um_group_get(f->s, "devs", &g));
	assert_int_equal(g->n_members, 1);
	assert_string_equal(g->members[0], "alicia");
	um_group_free(g);

	/* renaming onto a taken name changes nothing */
	w = world_get(f);
	assert_errno(um_user_edit(f->s, "alicia", SPEC(.rename = "bob")), -EEXIST);
	assert_errno(um_user_edit(f->s, "alicia", SPEC(.rename = "root")), -EEXIST);
	assert_errno(um_user_edit(f->s, "alicia", SPEC(.rename = "devs")), -EEXIST);
	assert_errno(um_user_edit(f->s, "alicia", SPEC(.rename = "sudo")),
		     -EEXIST); /* local group */
	assert_errno(um_user_edit(f->s, "alicia", SPEC(.rename = "Alicia")), -EINVAL);
	assert_errno(um_user_edit(f->s, "alicia", SPEC(.rename = "")), -EINVAL);
	assert_errno(um_user_edit(f->s, "ghost", SPEC(.rename = "ghost2")), -ESRCH);
	world_assert_same(f, &w, "refused renames");
	world_free(&w);

	/* renaming to itself is harmless */
	assert_ok(um_user_edit(f->s, "alicia", SPEC(.rename = "alicia")));
	u = get(f, "alicia");
	assert_string_equal(u->group, "alicia");
	um_user_free(u);
}

static void test_rename_moved_user_keeps_group_name(void **state)
{
	struct fixture *f = *state;
	struct um_user *u;
	struct um_group *g = NULL;

	/* when the user no longer carries a group of their own name, a rename
	 * leaves groups alone */
	assert_ok(um_group_add(f->s, "devs", -1, NULL, NULL));
	assert_ok(um_user_add(f->s, "alice", SPEC(.group = "devs"), NULL));
	assert_ok(um_user_edit(f->s, "alice", SPEC(.rename = "alicia")));
	u = get(f, "alicia");
	assert_string_equal(u->group, "devs");
	um_user_free(u);
	assert_ok(um_group_get(f->s, "devs", &g));
	um_group_free(g);
	assert_errno(um_group_get(f->s, "alicia", &g), -ESRCH);
}

static void test_delete(void **state)
{
	struct fixture *f = *state;
	struct um_group *g = NULL;
	struct um_user *u = NULL;

	assert_ok(um_user_add(f->s, "alice", NULL, NULL));
	assert_ok(um_user_add(f->s, "bob", NULL, NULL));
	assert_ok(um_group_add(f->s, "devs", -1, NULL, NULL));
	assert_ok(um_group_add_member(f->s, "devs", "alice"));
	assert_ok(um_group_add_member(f->s, "devs", "bob"));
	assert_ok(um_group_add_member(f->s, "bob", "alice"));

	assert_ok(um_user_delete(f->s, "alice"));
	assert_errno(um_user_get(f->s, "alice", &u), -ESRCH);
	assert_errno(um_group_get(f->s, "alice", &g), -ESRCH); /* private group gone */
	assert_ok(um_group_get(f->s, "devs", &g));
	assert_int_equal(g->n_members, 1);
	assert_string_equal(g->members[0], "bob");
	um_group_free(g);
	assert_ok(um_group_get(f->s, "bob", &g));
	assert_int_equal(g->n_members, 0);
	um_group_free(g);
	assert_int_equal(t_status(f).users, 1);
	assert_int_equal(t_status(f).groups, 2);
	assert_errno(um_user_delete(f->s, "alice"), -ESRCH);
	assert_errno(um_user_delete(f->s, "root"), -ESRCH);
	assert_ok(um_store_check(f->s));
}

static void test_delete_keeps_shared_private_group(void **state)
{
	struct fixture *f = *state;
	struct um_group *g = NULL;
	struct um_user *u;

	/* bob's primary group is alice's private group: it stays, ordinary */
	assert_ok(um_user_add(f->s, "alice", NULL, NULL));
	assert_ok(um_user_add(f->s, "bob", SPEC(.group = "alice"), NULL));
	assert_ok(um_user_delete(f->s, "alice"));
	assert_ok(um_group_get(f->s, "alice", &g));
	assert_null(g->private_of);
	um_group_free(g);
	u = get(f, "bob");
	assert_string_equal(u->group, "alice");
	um_user_free(u);
	assert_ok(um_store_check(f->s));
}

static void test_ids_never_reused(void **state)
{
	struct fixture *f = *state;
	struct um_user *u = NULL;
	uint32_t first, second;

	assert_ok(um_user_add(f->s, "alice", NULL, &u));
	first = u->uid;
	um_user_free(u);
	assert_ok(um_user_delete(f->s, "alice"));
	assert_ok(um_user_add(f->s, "bob", NULL, &u));
	second = u->uid;
	assert_true(second > first);
	assert_int_equal(u->gid, second);
	um_user_free(u);
	/* a new user with the old name is a new user */
	assert_ok(um_user_add(f->s, "alice", NULL, &u));
	assert_true(u->uid > second);
	assert_int_not_equal(u->uid, first);
	um_user_free(u);
	/* the deleted user's gid is not handed to a group either */
	{
		struct um_group *g = NULL;

		assert_ok(um_group_add(f->s, "devs", -1, NULL, &g));
		assert_true(g->gid > first);
		um_group_free(g);
	}
}

/* The listing reads every last login in one walk and gives each to its
 * user, whatever order the rows come in. */
static void test_list_last_logins(void **state)
{
	struct fixture *f = *state;
	struct um_user **v = NULL;
	struct um_login_user lu = { 0 };
	size_t n = 0;

	for (int i = 0; i < 5; i++) {
		char name[16];

		snprintf(name, sizeof(name), "user%d", i);
		assert_ok(um_user_add(f->s, name, NULL, NULL));
	}
	/* logins for user3 and user1, in that order */
	assert_ok(um_user_resolve(f->s, "user3", &lu));
	assert_ok(um_login_record_success(f->s, lu.id, "sshd", "192.0.2.3", 3000, true));
	um_login_user_clear(&lu);
	assert_ok(um_user_resolve(f->s, "user1", &lu));
	assert_ok(um_login_record_success(f->s, lu.id, "login", "", 1000, true));
	um_login_user_clear(&lu);
	assert_ok(um_user_list(f->s, &v, &n));
	assert_int_equal(n, 5);
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(v[i]->name, "user3")) {
			assert_int_equal(v[i]->last_login_at, 3000);
			assert_string_equal(v[i]->last_login_service, "sshd");
			assert_string_equal(v[i]->last_login_host, "192.0.2.3");
		} else if (!strcmp(v[i]->name, "user1")) {
			assert_int_equal(v[i]->last_login_at, 1000);
			assert_string_equal(v[i]->last_login_service, "login");
			assert_string_equal(v[i]->last_login_host, "");
		} else {
			assert_int_equal(v[i]->last_login_at, 0);
			assert_null(v[i]->last_login_service);
		}
	}
	um_user_list_free(v, n);
}

/* A user's row id is never handed out again either: the audit and a login
 * in flight know users by it. */
static void test_row_ids_never_reused(void **state)
{
	struct fixture *f = *state;
	struct um_user *u = NULL;
	int64_t bob;

	assert_ok(um_user_add(f->s, "alice", NULL, NULL));
	assert_ok(um_user_add(f->s, "bob", NULL, &u));
	bob = u->id;
	um_user_free(u);
	assert_ok(um_user_delete(f->s, "bob"));
	assert_ok(um_user_add(f->s, "carol", NULL, &u));
	assert_true(u->id > bob);
	um_user_free(u);
	/* deleting carol scrubs carol's records, not bob's deletion record */
	assert_ok(um_user_delete(f->s, "carol"));
	assert_int_equal(t_file_int(f->truth,
				    "SELECT count(*) FROM audit WHERE action = 'user delete'"
				    " AND detail LIKE 'uid %'"),
			 2);
}

/* A login verifies against the row it resolved; an admin's new password
 * set meanwhile is never overwritten by the re-hash of the old one. */
static void test_rehash_never_undoes_a_new_password(void **state)
{
	struct fixture *f = *state;
	struct um_login_user u = { 0 };

	assert_ok(um_user_add(f->s, "alice", NULL, NULL));
	assert_ok(um_user_set_password(f->s, "alice", "old horse battery"));
	assert_ok(um_user_resolve(f->s, "alice", &u));
	f->cfg->argon2_opslimit = 2; /* the old hash now wants a re-hash */
	assert_ok(um_user_set_password(f->s, "alice", "new horse battery"));
	/* the login in flight: the old password matches the row it read */
	assert_ok(um_user_verify(f->s, &u, "old horse battery"));
	um_login_user_clear(&u);
	assert_ok(um_user_authenticate(f->s, "alice", "new horse battery"));
	assert_errno(um_user_authenticate(f->s, "alice", "old horse battery"), -EACCES);
}

static void test_alloc_skips_taken_gid(void **state)
{
	struct fixture *f = *state;
	struct um_group *g = NULL;
	struct um_user *u = NULL;

	/* with private groups, the number must be free as a uid and a gid */
	assert_ok(um_group_add(f->s, "devs", -1, NULL, &g));
	assert_int_equal(g->gid, f->cfg->gid_min);
	assert_ok(um_user_add(f->s, "alice", NULL, &u));
	assert_int_not_equal(u->uid, g->gid);
	assert_int_equal(u->uid, u->gid);
	um_user_free(u);
	um_group_free(g);
}

static void test_id_range_full(void **state)
{
	struct fixture *f = *state;
	struct world w;

	t_config(f, "[ids]\nuid_min = 1879048192\nuid_max = 1879048193\n"
		    "gid_min = 1879048192\ngid_max = 1879048193\n");
	t_store_reopen(f, UM_STORE_WRITE);
	assert_ok(um_user_add(f->s, "alice", NULL, NULL));
	assert_ok(um_user_add(f->s, "bob", NULL, NULL));
	w = world_get(f);
	assert_errno(um_user_add(f->s, "carol", NULL, NULL), -ENOSPC);
	assert_detail_has("1879048192-1879048193");
	world_assert_same(f, &w, "add in a full range");
	world_free(&w);
	/* a deleted user's id does not come back */
	assert_ok(um_user_delete(f->s, "alice"));
	assert_errno(um_user_add(f->s, "carol", NULL, NULL), -ENOSPC);
}

/* A gid in /etc/group whose number no /etc/passwd entry uses as uid, so
 * that only the private group's gid collides. 0 when there is none. */
static uint32_t local_gid_without_uid(void)
{
	FILE *gf = fopen(UM_GROUP_PATH, "re");
	struct group *gr;
	uint32_t found = 0;

	if (!gf)
		return 0;
	while (!found && (gr = fgetgrent(gf))) {
		FILE *pf = fopen(UM_PASSWD_PATH, "re");
		struct passwd *pw;
		bool used = false;

		if (gr->gr_gid == 0 || gr->gr_gid >= 65534 || !pf)
			continue;
		while ((pw = fgetpwent(pf)))
			used = used || pw->pw_uid == gr->gr_gid;
		fclose(pf);
		if (!used)
			found = gr->gr_gid;
	}
	fclose(gf);
	return found;
}

static void test_given_uid(void **state)
{
	struct fixture *f = *state;
	struct um_user *u = NULL;
	struct world w;
	uint32_t lg;
	char *owner;

	/* uid 1 is daemon on every Debian */
	owner = um_local_uid_owner(1);
	assert_non_null(owner);
	free(owner);

	assert_ok(um_user_add(f->s, "alice", SPEC(.uid = 5000), &u));
	assert_int_equal(u->uid, 5000);
	assert_int_equal(u->gid, 5000);
	um_user_free(u);
	assert_ok(um_user_add(f->s, "gone", SPEC(.uid = 5001), NULL));
	assert_ok(um_user_delete(f->s, "gone"));

	w = world_get(f);
	assert_errno(um_user_add(f->s, "bob", SPEC(.uid = 0), NULL), -EPERM);
	assert_errno(um_user_add(f->s, "bob", SPEC(.uid = 65534), NULL), -EPERM);
	assert_errno(um_user_add(f->s, "bob", SPEC(.uid = 65535), NULL), -EPERM);
	assert_errno(um_user_add(f->s, "bob", SPEC(.uid = 1), NULL), -EEXIST);
	assert_detail_has("daemon");
	assert_errno(um_user_add(f->s, "bob", SPEC(.uid = 5000), NULL), -EEXIST);
	assert_errno(um_user_add(f->s, "bob", SPEC(.uid = 5001), NULL), -EEXIST);
	assert_detail_has("never reused");
	assert_errno(um_user_add(f->s, "bob", SPEC(.uid = 4294967295LL), NULL), -EINVAL);
	assert_errno(um_user_add(f->s, "bob", SPEC(.uid = -2), NULL), -EINVAL);
	assert_errno(um_user_add(f->s, "bob", SPEC(.uid = 1LL << 40), NULL), -EINVAL);
	lg = local_gid_without_uid();
	if (lg) /* the private group's gid would collide with a local group */
		assert_errno(um_user_add(f->s, "bob", SPEC(.uid = lg), NULL), -EEXIST);
	world_assert_same(f, &w, "refused uids");
	world_free(&w);

	/* an umgmt group holding the number blocks it for a private group,
	 * but not for a user without one */
	assert_ok(um_group_add(f->s, "devs", 6000, NULL, NULL));
	assert_errno(um_user_add(f->s, "bob", SPEC(.uid = 6000), NULL), -EEXIST);
	assert_ok(um_user_add(f->s, "bob", SPEC(.uid = 6000, .group = "devs"), &u));
	assert_int_equal(u->uid, 6000);
	assert_int_equal(u->gid, 6000);
	assert_string_equal(u->group, "devs");
	um_user_free(u);
	if (lg) {
		assert_ok(um_user_add(f->s, "carol", SPEC(.uid = lg, .group = "devs"), &u));
		assert_int_equal(u->uid, lg);
		um_user_free(u);
	}
}

static void test_local_names(void **state)
{
	struct fixture *f = *state;
	struct world w = world_get(f);

	assert_errno(um_user_add(f->s, "root", NULL, NULL), -EEXIST);
	assert_detail_has("local user");
	assert_errno(um_user_add(f->s, "daemon", SPEC(.group = "users"), NULL), -EEXIST);
	/* with a private group, a local group's name is taken too */
	assert_errno(um_user_add(f->s, "users", NULL, NULL), -EEXIST);
	assert_detail_has("local group");
	world_assert_same(f, &w, "local names");
	world_free(&w);
}

static void test_private_group_collision(void **state)
{
	struct fixture *f = *state;
	struct um_user *u = NULL;
	struct world w;

	assert_ok(um_group_add(f->s, "devs", -1, NULL, NULL));
	assert_ok(um_user_add(f->s, "alice", NULL, NULL));
	w = world_get(f);
	assert_errno(um_user_add(f->s, "devs", NULL, NULL), -EEXIST);
	assert_detail_has("group named 'devs'");
	assert_errno(um_user_get(f->s, "devs", &u), -ESRCH);
	world_assert_same(f, &w, "a private group collision");
	world_free(&w);
	/* the refused attempt consumed no id */
	assert_ok(um_user_add(f->s, "bob", NULL, &u));
	assert_int_equal(u->uid, f->cfg->uid_min + 2);
	um_user_free(u);
}

static void test_invalid_input_changes_nothing(void **state)
{
	static const char *const bad_names[] = {
		"",
		":",
		"a:b",
		"a,b",
		"a\nb",
		"-a",
		".",
		"..",
		"/",
		"a/b",
		"Alice",
		"123",
		"_a",
		"a$b",
		"j\xc3\xbcrgen",
		"abcdefghijklmnopqrstuvwxyz0123456",
	};
	struct fixture *f = *state;
	struct world w;

	assert_ok(um_user_add(f->s, "alice", NULL, NULL));
	w = world_get(f);
	for (size_t i = 0; i < UM_ELEMENTSOF(bad_names); i++)
		if (um_user_add(f->s, bad_names[i], NULL, NULL) != -EINVAL)
			fail_msg("name %zu was not refused with -EINVAL", i);
	assert_errno(um_user_add(f->s, NULL, NULL, NULL), -EINVAL);
	assert_errno(um_user_add(f->s, "bob", SPEC(.full_name = "Bob: the builder"), NULL),
		     -EINVAL);
	assert_errno(um_user_add(f->s, "bob", SPEC(.full_name = "Bob\n"), NULL), -EINVAL);
	assert_errno(um_user_add(f->s, "bob", SPEC(.full_name = "\xc0\xaf"), NULL), -EINVAL);
	assert_errno(um_user_add(f->s, "bob", SPEC(.home = "home/bob"), NULL), -EINVAL);
	assert_errno(um_user_add(f->s, "bob", SPEC(.home = "/home/../root"), NULL), -EINVAL);
	assert_errno(um_user_add(f->s, "bob", SPEC(.shell = "bash"), NULL), -EINVAL);
	assert_errno(um_user_add(f->s, "bob", SPEC(.kind = 9), NULL), -EINVAL);
	assert_errno(um_user_add(f->s, "bob", SPEC(.kind = -5), NULL), -EINVAL);
	assert_errno(um_user_add(f->s, "bob", SPEC(.group = "Bad Group"), NULL), -EINVAL);
	assert_errno(um_user_add(f->s, "bob", SPEC(.group = "no-such-group"), NULL), -ESRCH);
	world_assert_same(f, &w, "invalid input");
	world_free(&w);
}

static void test_email(void **state)
{
	struct fixture *f = *state;
	struct um_user *u;
	struct world w;

	assert_ok(um_user_add(f->s, "alice", SPEC(.email = "alice@example.org"), NULL));
	assert_ok(um_user_add(f->s, "bob", SPEC(.email = ""), NULL)); /* "" = none */
	u = get(f, "bob");
	assert_null(u->email);
	um_user_free(u);
	w = world_get(f);
	assert_errno(um_user_add(f->s, "carol", SPEC(.email = "carol"), NULL), -EINVAL);
	assert_detail_has("e-mail");
	assert_errno(um_user_add(f->s, "carol", SPEC(.email = "carol@localhost"), NULL), -EINVAL);
	assert_errno(um_user_add(f->s, "carol", SPEC(.email = "c arol@example.org"), NULL),
		     -EINVAL);
	assert_errno(um_user_edit(f->s, "alice", SPEC(.email = "a@b@example.org")), -EINVAL);
	world_assert_same(f, &w, "bad e-mail addresses");
	world_free(&w);
	u = get(f, "alice");
	assert_string_equal(u->email, "alice@example.org");
	um_user_free(u);
}

static void test_private_groups_off(void **state)
{
	struct fixture *f = *state;
	struct um_user *u = NULL;
	struct world w;

	t_config(f, "[users]\nprivate_groups = no\n");
	t_store_reopen(f, UM_STORE_WRITE);
	assert_ok(um_user_add(f->s, "alice", NULL, &u));
	/* default_group 'users' is local, gid 100 */
	assert_int_equal(u->gid, 100);
	assert_string_equal(u->group, "users");
	um_user_free(u);
	assert_int_equal(t_status(f).groups, 0);

	/* a user may be named like a group when no private group is made */
	assert_ok(um_group_add(f->s, "devs", -1, NULL, NULL));
	assert_ok(um_user_add(f->s, "devs", NULL, NULL));
	assert_ok(um_user_add(f->s, "bob", SPEC(.group = "devs"), &u));
	assert_string_equal(u->group, "devs");
	um_user_free(u);

	w = world_get(f);
	assert_errno(um_user_add(f->s, "carol", SPEC(.group = "nonexistent"), NULL), -ESRCH);
	world_assert_same(f, &w, "a missing primary group");
	world_free(&w);

	/* a default group that exists nowhere */
	t_config(f, "[users]\nprivate_groups = no\ndefault_group = nosuchgroup\n");
	t_store_reopen(f, UM_STORE_WRITE);
	assert_errno(um_user_add(f->s, "carol", NULL, NULL), -ESRCH);
	assert_detail_has("nosuchgroup");
}

static void test_primary_group_overrides_private(void **state)
{
	struct fixture *f = *state;
	struct um_user *u = NULL;

	/* private groups on, but a group given: no private group is made */
	assert_ok(um_user_add(f->s, "alice", SPEC(.group = "users"), &u));
	assert_int_equal(u->gid, 100);
	um_user_free(u);
	assert_int_equal(t_status(f).groups, 0);
}

static void test_approval_required(void **state)
{
	struct fixture *f = *state;
	struct um_user *u = NULL;

	assert_ok(um_user_add(f->s, "alice", NULL, &u));
	assert_true(u->approved);
	um_user_free(u);
	t_config(f, "[users]\napproval_required = yes\n");
	t_store_reopen(f, UM_STORE_WRITE);
	assert_ok(um_user_add(f->s, "bob", NULL, &u));
	assert_false(u->approved);
	assert_true(u->enabled);
	um_user_free(u);
	assert_int_equal(t_status(f).pending_approvals, 1);
}

static void test_set_password(void **state)
{
	struct fixture *f = *state;
	struct um_user *u;
	char *h;

	assert_ok(um_user_add(f->s, "alice", NULL, NULL));
	assert_errno(um_user_set_password(f->s, "alice", "short"), -EINVAL);
	assert_detail_has("at least 8 characters");
	assert_errno(um_user_set_password(f->s, "alice", ""), -EINVAL);
	assert_errno(um_user_set_password(f->s, "alicealice", "alicealice"), -EINVAL);
	assert_errno(um_user_set_password(f->s, "ghost", "a good password"), -ESRCH);
	u = get(f, "alice");
	assert_false(u->has_password);
	um_user_free(u);
	assert_null(hash_of(f, "alice"));

	assert_ok(um_user_set_password(f->s, "alice", "a good password"));
	u = get(f, "alice");
	assert_true(u->has_password);
	assert_true(u->password_changed_at > 0);
	um_user_free(u);
	h = hash_of(f, "alice");
	assert_non_null(h);
	assert_true(strncmp(h, "$argon2id$", 10) == 0);
	assert_null(strstr(h, "a good password"));
	free(h);
}

static void test_authenticate(void **state)
{
	struct fixture *f = *state;

	assert_ok(um_user_add(f->s, "alice", NULL, NULL));
	assert_ok(um_user_add(f->s, "bob", NULL, NULL));
	assert_ok(um_user_set_password(f->s, "alice", "correct horse"));
	assert_ok(um_user_authenticate(f->s, "alice", "correct horse"));
	assert_errno(um_user_authenticate(f->s, "alice", "correct hors"), -EACCES);
	assert_errno(um_user_authenticate(f->s, "alice", ""), -EACCES);
	assert_errno(um_user_authenticate(f->s, "bob", "anything"), -EACCES); /* none set */
	assert_errno(um_user_authenticate(f->s, "bob", ""), -EACCES);
	assert_errno(um_user_authenticate(f->s, "carol", "correct horse"), -ESRCH);
	assert_errno(um_user_authenticate(f->s, "root", "x"), -ESRCH);
	/* a read-only store (PAM as an unprivileged caller) authenticates too */
	t_store_reopen(f, UM_STORE_READ);
	assert_ok(um_user_authenticate(f->s, "alice", "correct horse"));
	assert_errno(um_user_authenticate(f->s, "alice", "wrong"), -EACCES);
}

static void test_rehash_on_cost_change(void **state)
{
	struct fixture *f = *state;
	char *h1, *h2;

	assert_ok(um_user_add(f->s, "alice", NULL, NULL));
	assert_ok(um_user_set_password(f->s, "alice", "correct horse"));
	h1 = hash_of(f, "alice");
	assert_non_null(strstr(h1, "m=8,t=1,"));

	/* same cost: nothing rewritten */
	assert_ok(um_user_authenticate(f->s, "alice", "correct horse"));
	h2 = hash_of(f, "alice");
	assert_string_equal(h1, h2);
	free(h2);

	/* the admin raised the cost (the store borrows f->cfg) */
	f->cfg->argon2_opslimit = 2;
	/* a wrong password upgrades nothing */
	assert_errno(um_user_authenticate(f->s, "alice", "wrong horse"), -EACCES);
	h2 = hash_of(f, "alice");
	assert_string_equal(h1, h2);
	free(h2);
	/* a read-only caller cannot upgrade, but still authenticates */
	t_store_reopen(f, UM_STORE_READ);
	assert_ok(um_user_authenticate(f->s, "alice", "correct horse"));
	h2 = hash_of(f, "alice");
	assert_string_equal(h1, h2);
	free(h2);
	/* a successful login as writer upgrades the hash */
	t_store_reopen(f, UM_STORE_WRITE);
	assert_ok(um_user_authenticate(f->s, "alice", "correct horse"));
	h2 = hash_of(f, "alice");
	assert_string_not_equal(h1, h2);
	assert_non_null(strstr(h2, "m=8,t=2,"));
	assert_false(um_password_needs_rehash(f->cfg, h2));
	free(h2);
	free(h1);
	/* and the new hash verifies */
	assert_ok(um_user_authenticate(f->s, "alice", "correct horse"));
	assert_errno(um_user_authenticate(f->s, "alice", "correct horse!"), -EACCES);
	/* memory cost changes count too */
	f->cfg->argon2_memlimit = 16 * 1024;
	assert_ok(um_user_authenticate(f->s, "alice", "correct horse"));
	h2 = hash_of(f, "alice");
	assert_non_null(strstr(h2, "m=16,t=2,"));
	free(h2);
}

/* Rows of the truth's audit table whose target or detail mention s. */
static int64_t audit_mentions(struct fixture *f, const char *s)
{
	sqlite3 *db = t_db_open(f->truth);
	char *sql = sqlite3_mprintf("SELECT count(*) FROM audit WHERE instr(target, %Q) > 0 "
				    "OR instr(detail, %Q) > 0",
				    s, s);
	int64_t n = t_db_int(db, sql);

	sqlite3_free(sql);
	sqlite3_close(db);
	return n;
}

static void test_delete_scrubs_audit(void **state)
{
	struct fixture *f = *state;
	sqlite3 *db;
	size_t n;
	char *snap;

	assert_ok(um_user_add(f->s, "alice",
			      SPEC(.full_name = "Alice Liddell", .email = "alice@example.org"),
			      NULL));
	assert_ok(um_user_add(f->s, "bob", NULL, NULL));
	assert_ok(um_user_set_password(f->s, "alice", "correct horse"));
	assert_ok(um_group_add(f->s, "devs", -1, NULL, NULL));
	assert_ok(um_group_add_member(f->s, "devs", "alice"));
	assert_ok(um_user_edit(f->s, "alice", SPEC(.full_name = "Alice L.")));
	assert_ok(um_user_edit(f->s, "alice", SPEC(.rename = "alicia")));
	assert_ok(um_group_remove_member(f->s, "devs", "alicia"));
	assert_ok(um_group_add_member(f->s, "devs", "alicia"));
	assert_ok(um_group_add_member(f->s, "devs", "bob"));
	assert_true(audit_mentions(f, "alic") > 0);

	assert_ok(um_user_delete(f->s, "alicia"));
	assert_int_equal(audit_mentions(f, "alic"), 0);
	assert_int_equal(audit_mentions(f, "Liddell"), 0);
	assert_int_equal(audit_mentions(f, "example.org"), 0);
	/* the audit keeps what happened, blanked, and others' rows */
	db = t_db_open(f->truth);
	assert_true(t_db_int(db, "SELECT count(*) FROM audit WHERE action = 'user delete'") == 1);
	assert_true(t_db_int(db, "SELECT count(*) FROM audit WHERE action = 'user add' "
				 "AND target = ''") == 1);
	assert_true(t_db_int(db, "SELECT count(*) FROM audit WHERE action = 'user add' "
				 "AND target = 'bob'") == 1);
	assert_true(t_db_int(db, "SELECT count(*) FROM audit WHERE detail = 'bob'") == 1);
	/* no live row anywhere names them */
	assert_int_equal(t_db_int(db, "SELECT count(*) FROM users WHERE name LIKE 'alic%'"), 0);
	assert_int_equal(t_db_int(db, "SELECT count(*) FROM groups WHERE name LIKE 'alic%'"), 0);
	sqlite3_close(db);
	snap = t_read_file(f->snapshot, &n);
	assert_false(t_mem_has(snap, n, "alic"));
	free(snap);
}

/*
 * Bob joined alice's private group; that membership's audit row is about
 * bob (user_id = bob), but its target is the group 'alice', i.e. alice's
 * name. Deleting alice (whose private group goes with her) must blank
 * her name there too.
 */
static void test_delete_scrubs_private_group_rows(void **state)
{
	struct fixture *f = *state;

	assert_ok(um_user_add(f->s, "alice", NULL, NULL));
	assert_ok(um_user_add(f->s, "bob", NULL, NULL));
	assert_ok(um_group_add_member(f->s, "alice", "bob"));
	assert_ok(um_group_remove_member(f->s, "alice", "bob"));
	assert_ok(um_user_delete(f->s, "alice"));
	assert_int_equal(audit_mentions(f, "alice"), 0);
}

/*
 * "Deleting a user scrubs their personal data everywhere": not only the
 * rows, but also the bytes SQLite leaves in freed pages and in the WAL,
 * which anyone who reads the file (a backup, a stolen disk) could recover.
 */
static void test_delete_leaves_no_bytes(void **state)
{
	struct fixture *f = *state;
	char *bytes, *wal;
	size_t n;

	assert_ok(um_user_add(f->s, "zed",
			      SPEC(.full_name = "Zebediah Quuxworth",
				   .email = "zebediah.quux@example.org"),
			      NULL));
	assert_ok(um_user_delete(f->s, "zed"));
	/* closing checkpoints the WAL into the main file */
	um_store_close(f->s);
	f->s = NULL;
	bytes = t_read_file(f->truth, &n);
	wal = um_asprintf("%s-wal", f->truth);
	if (t_mem_has(bytes, n, "zebediah.quux@example.org"))
		fail_msg("the deleted user's e-mail address is still in the bytes of %s", f->truth);
	if (t_mem_has(bytes, n, "Quuxworth"))
		fail_msg("the deleted user's full name is still in the bytes of %s", f->truth);
	free(bytes);
	if (access(wal, F_OK) == 0) {
		bytes = t_read_file(wal, &n);
		assert_false(t_mem_has(bytes, n, "Quuxworth"));
		free(bytes);
	}
	free(wal);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, t_setup_store, t_teardown)
	struct CMUnitTest tests[] = {
		T(test_add_get_list),
		T(test_list_empty),
		cmocka_unit_test(test_kind_strings),
		T(test_edit),
		T(test_rename),
		T(test_rename_moved_user_keeps_group_name),
		T(test_delete),
		T(test_delete_keeps_shared_private_group),
		T(test_ids_never_reused),
		T(test_row_ids_never_reused),
		T(test_list_last_logins),
		T(test_rehash_never_undoes_a_new_password),
		T(test_alloc_skips_taken_gid),
		T(test_id_range_full),
		T(test_given_uid),
		T(test_local_names),
		T(test_private_group_collision),
		T(test_invalid_input_changes_nothing),
		T(test_email),
		T(test_private_groups_off),
		T(test_primary_group_overrides_private),
		T(test_approval_required),
		T(test_set_password),
		T(test_authenticate),
		T(test_rehash_on_cost_change),
		T(test_delete_scrubs_audit),
		T(test_delete_scrubs_private_group_rows),
		T(test_delete_leaves_no_bytes),
	};

	RUN_TESTS(tests);
}

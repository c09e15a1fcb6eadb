/* SPDX-License-Identifier: MIT */
/* Unit tests of lib/group.c: groups, gids, memberships. */
#include "helpers.h"

#include "umgmt/group.h"
#include "umgmt/user.h"

/* Generation, counts and snapshot bytes: what a refusal must not change. */
struct world {
	struct um_status st;
	char *snap;
	size_t n;
	int64_t members, used_ids;
};

static struct world world_get(struct fixture *f)
{
	struct world w;
	sqlite3 *db = t_db_open(f->truth);

	w.st = t_status(f);
	w.snap = t_read_file(f->snapshot, &w.n);
	w.members = t_db_int(db, "SELECT count(*) FROM group_members");
	w.used_ids = t_db_int(db, "SELECT count(*) FROM used_ids");
	sqlite3_close(db);
	return w;
}

static void world_assert_same(struct fixture *f, struct world *w)
{
	struct world now = world_get(f);

	assert_int_equal(now.st.generation, w->st.generation);
	assert_int_equal(now.st.groups, w->st.groups);
	assert_int_equal(now.st.users, w->st.users);
	assert_int_equal(now.members, w->members);
	assert_int_equal(now.used_ids, w->used_ids);
	assert_int_equal(now.n, w->n);
	assert_memory_equal(now.snap, w->snap, w->n);
	free(now.snap);
	free(w->snap);
	w->snap = NULL;
}

#define SPEC_GROUP(g) (&(struct um_user_spec){ .kind = -1, .uid = -1, .group = (g) })

static struct um_group *get(struct fixture *f, const char *name)
{
	struct um_group *g = NULL;

	if (t_try(um_group_get(f->s, name, &g)) < 0)
		fail_msg("group %s: %s", name, um_error_text(t_last_err));
	return g;
}

static void test_add_get_list_delete(void **state)
{
	struct fixture *f = *state;
	struct um_group *g = NULL, **v = NULL;
	size_t n = 0;

	assert_ok(um_group_add(f->s, "devs", -1, "Developers", &g));
	assert_string_equal(g->name, "devs");
	assert_int_equal(g->gid, f->cfg->gid_min);
	assert_string_equal(g->description, "Developers");
	assert_null(g->private_of);
	assert_int_equal(g->n_members, 0);
	assert_true(g->created_at > 0);
	um_group_free(g);

	assert_ok(um_group_add(f->s, "ops", 7000, NULL, NULL));
	assert_ok(um_group_add(f->s, "qa", 6000, "", NULL));
	g = get(f, "qa");
	assert_int_equal(g->gid, 6000);
	assert_string_equal(g->description, "");
	um_group_free(g);

	/* ordered by gid */
	assert_ok(um_group_list(f->s, &v, &n));
	assert_int_equal(n, 3);
	assert_string_equal(v[0]->name, "qa");
	assert_string_equal(v[1]->name, "ops");
	assert_string_equal(v[2]->name, "devs");
	um_group_list_free(v, n);

	assert_ok(um_group_delete(f->s, "ops"));
	assert_errno(um_group_get(f->s, "ops", &g), -ESRCH);
	assert_detail_has("ops");
	assert_errno(um_group_delete(f->s, "ops"), -ESRCH);
	assert_errno(um_group_delete(f->s, "users"), -ESRCH); /* local groups are not ours */
	assert_int_equal(t_status(f).groups, 2);

	/* a deleted group's gid is never handed out again */
	assert_errno(um_group_add(f->s, "ops", 7000, NULL, NULL), -EEXIST);
	assert_ok(um_group_add(f->s, "ops", -1, NULL, &g));
	assert_int_equal(g->gid, f->cfg->gid_min + 1); /* 7000 is outside the range */
	um_group_free(g);
}

static void test_list_empty(void **state)
{
	struct fixture *f = *state;
	struct um_group **v = NULL;
	size_t n = 7;

	assert_ok(um_group_list(f->s, &v, &n));
	assert_int_equal(n, 0);
	um_group_list_free(v, n);
	um_group_free(NULL);
}

static void test_invalid(void **state)
{
	struct fixture *f = *state;
	char longdesc[300];
	struct world w;

	memset(longdesc, 'd', 256);
	longdesc[256] = '\0';
	assert_ok(um_group_add(f->s, "devs", -1, NULL, NULL));
	w = world_get(f);
	assert_errno(um_group_add(f->s, "", -1, NULL, NULL), -EINVAL);
	assert_errno(um_group_add(f->s, NULL, -1, NULL, NULL), -EINVAL);
	assert_errno(um_group_add(f->s, "Devs", -1, NULL, NULL), -EINVAL);
	assert_detail_has("group name");
	assert_errno(um_group_add(f->s, "a:b", -1, NULL, NULL), -EINVAL);
	assert_errno(um_group_add(f->s, "a,b", -1, NULL, NULL), -EINVAL);
	assert_errno(um_group_add(f->s, "123", -1, NULL, NULL), -EINVAL);
	assert_errno(um_group_add(f->s, "ok", -1, "line\nbreak", NULL), -EINVAL);
	assert_errno(um_group_add(f->s, "ok", -1, longdesc, NULL), -EINVAL);
	assert_errno(um_group_add(f->s, "ok", -2, NULL, NULL), -EINVAL);
	assert_errno(um_group_add(f->s, "ok", 4294967295LL, NULL, NULL), -EINVAL);
	assert_errno(um_group_add(f->s, "ok", 1LL << 33, NULL, NULL), -EINVAL);
	world_assert_same(f, &w);
}

static void test_name_collisions(void **state)
{
	struct fixture *f = *state;
	struct world w;

	assert_ok(um_group_add(f->s, "devs", -1, NULL, NULL));
	assert_ok(um_user_add(f->s, "alice", NULL, NULL));
	w = world_get(f);
	assert_errno(um_group_add(f->s, "devs", -1, NULL, NULL), -EEXIST);
	assert_errno(um_group_add(f->s, "alice", -1, NULL, NULL), -EEXIST); /* private group */
	assert_errno(um_group_add(f->s, "users", -1, NULL, NULL), -EEXIST); /* /etc/group */
	assert_detail_has("local group");
	assert_errno(um_group_add(f->s, "root", -1, NULL, NULL), -EEXIST);
	world_assert_same(f, &w);
}

static void test_gid_collisions(void **state)
{
	struct fixture *f = *state;
	struct um_user *u = NULL;
	struct world w;
	uint32_t ugid;

	assert_ok(um_group_add(f->s, "devs", 6000, NULL, NULL));
	assert_ok(um_group_add(f->s, "gone", 6001, NULL, NULL));
	assert_ok(um_group_delete(f->s, "gone"));
	assert_ok(um_user_add(f->s, "alice", NULL, &u));
	ugid = u->gid;
	um_user_free(u);

	w = world_get(f);
	assert_errno(um_group_add(f->s, "g", 0, NULL, NULL), -EPERM);
	assert_errno(um_group_add(f->s, "g", 65534, NULL, NULL), -EPERM);
	assert_errno(um_group_add(f->s, "g", 65535, NULL, NULL), -EPERM);
	assert_errno(um_group_add(f->s, "g", 100, NULL, NULL), -EEXIST); /* local 'users' */
	assert_detail_has("users");
	assert_errno(um_group_add(f->s, "g", 6000, NULL, NULL), -EEXIST);
	assert_errno(um_group_add(f->s, "g", 6001, NULL, NULL), -EEXIST); /* used before */
	assert_errno(um_group_add(f->s, "g", ugid, NULL, NULL), -EEXIST); /* a private group's */
	world_assert_same(f, &w);
}

static void test_delete_primary_group(void **state)
{
	struct fixture *f = *state;
	struct world w;

	assert_ok(um_group_add(f->s, "devs", -1, NULL, NULL));
	assert_ok(um_user_add(f->s, "zed", SPEC_GROUP("devs"), NULL));
	assert_ok(um_user_add(f->s, "bob", SPEC_GROUP("devs"), NULL));
	assert_ok(um_user_add(f->s, "alice", NULL, NULL));
	w = world_get(f);
	assert_errno(um_group_delete(f->s, "devs"), -EPERM);
	assert_detail_has("'bob'");			      /* names a user (the first by name) */
	assert_errno(um_group_delete(f->s, "alice"), -EPERM); /* alice's private group */
	assert_detail_has("'alice'");
	world_assert_same(f, &w);

	/* once nobody has it as primary group, it can go */
	assert_ok(um_user_delete(f->s, "zed"));
	assert_ok(um_user_delete(f->s, "bob"));
	assert_ok(um_group_delete(f->s, "devs"));
}

static void test_members(void **state)
{
	struct fixture *f = *state;
	struct um_group *g;
	struct um_user *u = NULL;
	struct world w;

	assert_ok(um_group_add(f->s, "devs", -1, NULL, NULL));
	assert_ok(um_group_add(f->s, "aaa", -1, NULL, NULL));
	assert_ok(um_user_add(f->s, "zed", NULL, NULL));
	assert_ok(um_user_add(f->s, "amy", NULL, NULL));
	assert_ok(um_user_add(f->s, "bob", NULL, NULL));
	assert_ok(um_group_add_member(f->s, "devs", "zed"));
	assert_ok(um_group_add_member(f->s, "devs", "amy"));
	assert_ok(um_group_add_member(f->s, "devs", "bob"));
	assert_ok(um_group_add_member(f->s, "aaa", "zed"));
	g = get(f, "devs");
	assert_int_equal(g->n_members, 3);
	assert_string_equal(g->members[0], "amy");
	assert_string_equal(g->members[1], "bob");
	assert_string_equal(g->members[2], "zed");
	um_group_free(g);
	assert_ok(um_user_get(f->s, "zed", &u));
	assert_int_equal(u->n_groups, 2);
	assert_string_equal(u->groups[0], "aaa"); /* sorted by name */
	assert_string_equal(u->groups[1], "devs");
	um_user_free(u);

	w = world_get(f);
	assert_errno(um_group_add_member(f->s, "devs", "amy"), -EEXIST);
	assert_detail_has("already a member");
	assert_errno(um_group_remove_member(f->s, "aaa", "amy"), -ESRCH);
	assert_detail_has("not a member");
	assert_errno(um_group_add_member(f->s, "nosuch", "amy"), -ESRCH);
	assert_detail_has("group named 'nosuch'");
	assert_errno(um_group_add_member(f->s, "devs", "nosuch"), -ESRCH);
	assert_detail_has("user named 'nosuch'");
	assert_errno(um_group_add_member(f->s, "devs", "root"), -ESRCH); /* a local user */
	assert_errno(um_group_add_member(f->s, "users", "amy"), -ESRCH); /* a local group */
	assert_errno(um_group_remove_member(f->s, "nosuch", "amy"), -ESRCH);
	assert_errno(um_group_remove_member(f->s, "devs", "nosuch"), -ESRCH);
	world_assert_same(f, &w);

	assert_ok(um_group_remove_member(f->s, "devs", "bob"));
	g = get(f, "devs");
	assert_int_equal(g->n_members, 2);
	assert_string_equal(g->members[0], "amy");
	assert_string_equal(g->members[1], "zed");
	um_group_free(g);
	assert_errno(um_group_remove_member(f->s, "devs", "bob"), -ESRCH);

	/* deleting a group with members drops the memberships */
	assert_ok(um_group_delete(f->s, "devs"));
	assert_ok(um_user_get(f->s, "zed", &u));
	assert_int_equal(u->n_groups, 1);
	assert_string_equal(u->groups[0], "aaa");
	um_user_free(u);
	assert_ok(um_store_check(f->s));
}

static void test_member_of_private_group(void **state)
{
	struct fixture *f = *state;
	struct um_group *g;

	assert_ok(um_user_add(f->s, "alice", NULL, NULL));
	assert_ok(um_user_add(f->s, "bob", NULL, NULL));
	assert_ok(um_group_add_member(f->s, "alice", "bob"));
	g = get(f, "alice");
	assert_string_equal(g->private_of, "alice");
	assert_int_equal(g->n_members, 1);
	assert_string_equal(g->members[0], "bob");
	um_group_free(g);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, t_setup_store, t_teardown)
	struct CMUnitTest tests[] = {
		T(test_add_get_list_delete),
		T(test_list_empty),
		T(test_invalid),
		T(test_name_collisions),
		T(test_gid_collisions),
		T(test_delete_primary_group),
		T(test_members),
		T(test_member_of_private_group),
	};

	RUN_TESTS(tests);
}

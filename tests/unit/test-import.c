/* SPDX-License-Identifier: MIT */
/* Unit tests of lib/import.c: bulk import of passwd/group files. */
#include <pwd.h>

#include "helpers.h"
#include "snapshot-read.h"

#include "umgmt/group.h"
#include "umgmt/import.h"
#include "umgmt/user.h"

/* What a refusal must not change: generation, counts, snapshot bytes. */
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
	assert_int_equal(now.st.users, w->st.users);
	assert_int_equal(now.st.groups, w->st.groups);
	assert_int_equal(now.members, w->members);
	assert_int_equal(now.used_ids, w->used_ids);
	assert_int_equal(now.n, w->n);
	assert_memory_equal(now.snap, w->snap, w->n);
	free(now.snap);
}

/* Writes <dir>/NAME with content; returns its malloc'd path. */
static char *file(struct fixture *f, const char *name, const char *content)
{
	char *p = um_asprintf("%s/%s", f->dir, name);

	assert_non_null(p);
	t_write_file(p, content, 0644);
	return p;
}

static const char good_passwd[] =
	"alice:x:300001:300100:Alice Liddell,Room 1,,:/home/alice:/bin/bash\n"
	"bob:*:300002:300101:Bob:/home/bob:/bin/sh\n"
	"carol:x:300003:300100::/srv/carol:/bin/bash"; /* no final newline */
static const char good_group[] = "staff-x:x:300100:\n"
				 "devs:x:300101:carol,alice,alice\n"
				 "ops:x:300102:bob\n";

static void test_import(void **state)
{
	struct fixture *f = *state;
	_cleanup_free_ char *pw = file(f, "passwd", good_passwd);
	_cleanup_free_ char *gr = file(f, "group", good_group);
	struct um_import_result res = { 0 };
	uint64_t gen = t_status(f).generation;
	struct um_user *u = NULL;
	struct um_group *g = NULL;

	assert_ok(um_import(f->s, pw, gr, &res));
	assert_int_equal(res.users, 3);
	assert_int_equal(res.groups, 3);
	assert_int_equal(res.members, 3); /* alice twice in devs counts once */
	/* one change, one publish */
	assert_int_equal(t_status(f).generation, gen + 1);
	assert_int_equal(t_status(f).published_generation, gen + 1);

	assert_ok(um_user_get(f->s, "alice", &u));
	assert_int_equal(u->uid, 300001); /* given ids are kept, outside the range */
	assert_int_equal(u->gid, 300100);
	assert_string_equal(u->group, "staff-x");
	assert_string_equal(u->full_name, "Alice Liddell"); /* first GECOS subfield */
	assert_string_equal(u->home, "/home/alice");
	assert_true(u->approved);
	assert_true(u->enabled);
	assert_false(u->has_password);
	assert_int_equal(u->n_groups, 1);
	assert_string_equal(u->groups[0], "devs");
	um_user_free(u);
	assert_ok(um_user_get(f->s, "bob", &u));
	assert_string_equal(u->group, "devs");
	assert_string_equal(u->shell, "/bin/sh");
	um_user_free(u);
	assert_ok(um_group_get(f->s, "devs", &g));
	assert_int_equal(g->n_members, 2);
	assert_string_equal(g->members[0], "alice");
	assert_string_equal(g->members[1], "carol");
	um_group_free(g);

	/* the snapshot serves them */
	assert_int_equal(t_snap_uid(f, "carol"), 300003);
	assert_int_equal(t_snap_nmem(f, "devs"), 2);

	/* ids are remembered: they are never handed out again */
	assert_int_equal(t_file_int(f->truth, "SELECT count(*) FROM used_ids WHERE num >= 300001"),
			 6);
	/* the same files again: every name is taken now */
	assert_errno(um_import(f->s, pw, gr, NULL), -EEXIST);
	assert_detail_has("/passwd:1: a user named 'alice' already exists");
}

/* The published snapshot's header: its base generation (0: standalone)
 * and its user count, base included. */
static void snapshot_kind(struct fixture *f, uint64_t *base_gen, uint32_t *users)
{
	const struct um_snap *s;
	struct um_snapshot_file *file;

	assert_ok(um_snapshot_map(f->snapshot, &s, &file));
	*base_gen = s->base_generation;
	*users = s->n_users;
	um_snapshot_unmap(file);
}

/* The import writes no change log (a million rows nobody needs) and
 * forces the next publish to be a full build; its triggers survive it. */
static void test_import_bypasses_changelog(void **state)
{
	struct fixture *f = *state;
	_cleanup_free_ char *pw = file(f, "passwd", good_passwd);
	_cleanup_free_ char *gr = file(f, "group", good_group);
	sqlite3 *db = NULL;
	int64_t gen;
	uint64_t base;
	uint32_t users;

	assert_ok(um_user_add(f->s, "zed", NULL, NULL));
	snapshot_kind(f, &base, &users);
	assert_int_not_equal(base, 0); /* an overlay over the first snapshot */

	assert_ok(um_import(f->s, pw, gr, NULL));
	snapshot_kind(f, &base, &users);
	assert_int_equal(base, 0); /* a full build, not an overlay */
	assert_int_equal(users, 4);
	db = t_db_open(f->truth);
	gen = t_db_int(db, "SELECT value FROM meta WHERE key = 'generation'");
	assert_int_equal(t_db_int(db, "SELECT count(*) FROM dir_changes"), 0);
	assert_int_equal(t_db_int(db, "SELECT value FROM meta WHERE key = 'log_trimmed_upto'"),
			 gen);
	sqlite3_close(db);

	/* the next change is logged and published as an overlay again */
	assert_ok(um_group_add_member(f->s, "ops", "zed"));
	snapshot_kind(f, &base, &users);
	assert_int_equal(base, (uint64_t)gen);
	{
		const struct um_snap *s;
		struct um_snapshot_file *sf;
		struct um_dir_group g;
		char names[64], *mem[3];

		assert_ok(um_snapshot_map(f->snapshot, &s, &sf));
		assert_ok(um_snap_group_by_name(s, "ops", 3, &g));
		assert_int_equal(g.nmem, 2);
		assert_ok(um_directory_group_members(&g, names, sizeof(names), mem));
		assert_string_equal(mem[0], "bob"); /* uid order: bob was imported first */
		assert_string_equal(mem[1], "zed");
		um_snapshot_unmap(sf);
	}
}

/* A user whose primary group is already umgmt's: the look-up of that
 * group must let go of its row before the import changes the schema
 * (it used to fail as "locked", every time). */
static void test_primary_group_in_store(void **state)
{
	struct fixture *f = *state;
	_cleanup_free_ char *pw =
		file(f, "passwd", "dora:x:300010:300500:Dora:/home/dora:/bin/sh\n");
	_cleanup_free_ char *gr = file(f, "group", "extra:x:300501:dora\n");
	struct um_user *u = NULL;

	assert_ok(um_group_add(f->s, "xstaff", 300500, NULL, NULL));
	assert_ok(um_import(f->s, pw, gr, NULL));
	assert_ok(um_user_get(f->s, "dora", &u));
	assert_string_equal(u->group, "xstaff");
	assert_int_equal(u->n_groups, 1);
	assert_string_equal(u->groups[0], "extra");
	um_user_free(u);
}

static void test_only_one_file(void **state)
{
	struct fixture *f = *state;
	_cleanup_free_ char *gr = file(f, "group", "solo:x:300200:\n");
	_cleanup_free_ char *pw = file(f, "passwd", "dan:x:300201:300200::/home/dan:/bin/sh\n");
	_cleanup_free_ char *gr2 = file(f, "group2", "more:x:300202:dan\n");
	struct um_import_result res;

	assert_errno(um_import(f->s, NULL, NULL, NULL), -EINVAL);
	assert_ok(um_import(f->s, NULL, gr, &res));
	assert_int_equal(res.groups, 1);
	assert_int_equal(res.users, 0);
	/* a primary group and members already in the store */
	assert_ok(um_import(f->s, pw, NULL, &res));
	assert_int_equal(res.users, 1);
	assert_ok(um_import(f->s, NULL, gr2, &res));
	assert_int_equal(res.members, 1);
}

struct bad {
	const char *passwd, *group;
	int err;
	const char *detail; /* after the directory */
};

static void test_bad_lines(void **state)
{
	struct fixture *f = *state;
	static const struct bad cases[] = {
		{ "alice:x:300001:300100:A:/home/a\n", NULL, -EINVAL,
		  "/passwd:1: a passwd line has 7 fields separated by ':', this one has 6" },
		{ "a:x:300001:300100:A:/h:/bin/sh:x\n", NULL, -EINVAL, "/passwd:1: a passwd line" },
		{ "ok:x:300001:300100::/h:/s\n\n", NULL, -EINVAL, "/passwd:2: a passwd line" },
		{ "Alice:x:300001:300100::/h:/s\n", NULL, -EINVAL, "/passwd:1: user name" },
		{ "alice:x:0300001:300100::/h:/s\n", NULL, -EINVAL, "/passwd:1: uid '0300001'" },
		{ "alice:x:-1:300100::/h:/s\n", NULL, -EINVAL, "/passwd:1: uid '-1'" },
		{ "alice:x:4294967295:300100::/h:/s\n", NULL, -EINVAL, "/passwd:1: uid" },
		{ "alice:x:300001: 300100::/h:/s\n", NULL, -EINVAL, "/passwd:1: gid ' 300100'" },
		{ "alice:x:0:300100::/h:/s\n", NULL, -EPERM, "/passwd:1: uid 0 is reserved" },
		{ "alice:x:65534:300100::/h:/s\n", NULL, -EPERM, "/passwd:1: uid 65534" },
		{ "alice:x:300001:300100::h:/s\n", NULL, -EINVAL, "/passwd:1: home directory" },
		{ "alice:x:300001:300100::/h:/a/../s\n", NULL, -EINVAL, "/passwd:1: shell" },
		{ "alice:x:300001:300100:A\tB:/h:/s\n", NULL, -EINVAL, "/passwd:1: full name" },
		{ "alice:x:300001:300100::/h:/s\r\n", NULL, -EINVAL, "/passwd:1: shell" },
		{ "a:x:300001:300100::/h:/s\nb:x:300002:300100::/h:/s\na:x:300003:300100::/h:/s\n",
		  NULL, -EEXIST, "/passwd:3: user 'a' is already defined on line 1" },
		{ "a:x:300001:300100::/h:/s\nb:x:300001:300100::/h:/s\n", NULL, -EEXIST,
		  "/passwd:2: uid 300001 is already given on line 1" },
		{ "root:x:300001:300100::/h:/s\n", NULL, -EEXIST,
		  "/passwd:1: 'root' is a local user in /etc/passwd" },
		{ "a:x:300001:300999::/h:/s\n", "g:x:300100:\n", -EINVAL,
		  "/passwd:1: primary gid 300999 of 'a' is not a group" },
		{ NULL, "g:x:300100\n", -EINVAL, "/group:1: a group line has 4 fields" },
		{ NULL, "g:x:300100:a\n", -EINVAL, "/group:1: member 'a' is a user neither" },
		{ "a:x:300001:300100::/h:/s\n", "g:x:300100:a,\n", -EINVAL,
		  "/group:1: member name" },
		{ "a:x:300001:300100::/h:/s\n", "g:x:300100:a,root\n", -EINVAL,
		  "/group:1: member 'root'" },
		{ NULL, "g:x:300100:\nh:x:300100:\n", -EEXIST,
		  "/group:2: gid 300100 is already given on line 1" },
		{ NULL, "g:x:300100:\ng:x:300101:\n", -EEXIST, "/group:2: group 'g' is already" },
		{ NULL, "root:x:300100:\n", -EEXIST, "/group:1: 'root' is a local group" },
		{ NULL, "g:x:65535:\n", -EPERM, "/group:1: gid 65535 is reserved" },
		{ NULL, "kept:x:300300:\n", -EEXIST, "/group:1: a group named 'kept' already" },
		{ NULL, "g:x:300300:\n", -EEXIST, "/group:1: gid 300300 is or was in use" },
		{ "x:x:300400:300300::/h:/s\n", NULL, -EEXIST,
		  "/passwd:1: uid 300400 is or was in use in umgmt" },
	};
	struct um_user_spec spec = UM_USER_SPEC_INIT;
	struct world w;

	assert_ok(um_group_add(f->s, "kept", 300300, NULL, NULL));
	spec.uid = 300400;
	spec.group = "kept";
	assert_ok(um_user_add(f->s, "gone", &spec, NULL));
	assert_ok(um_user_delete(f->s, "gone"));
	w = world_get(f);
	for (size_t i = 0; i < UM_ELEMENTSOF(cases); i++) {
		_cleanup_free_ char *pw =
			cases[i].passwd ? file(f, "passwd", cases[i].passwd) : NULL;
		_cleanup_free_ char *gr = cases[i].group ? file(f, "group", cases[i].group) : NULL;

		if (t_try(um_import(f->s, pw, gr, NULL)) != cases[i].err)
			fail_msg("case %zu: want %d, got %d: '%s'", i, cases[i].err, t_last_err,
				 um_error_text(t_last_err));
		assert_detail_has(cases[i].detail);
	}
	world_assert_same(f, &w);
	free(w.snap);
}

static void test_local_ids(void **state)
{
	struct fixture *f = *state;
	_cleanup_free_ char *pw = NULL, *line = NULL;
	struct passwd *p;
	uint32_t uid = 0;
	FILE *fp = fopen("/etc/passwd", "re");

	assert_non_null(fp);
	while ((p = fgetpwent(fp)))
		if (p->pw_uid != 0 && p->pw_uid != 65534) {
			uid = p->pw_uid;
			break;
		}
	fclose(fp);
	if (!uid)
		skip();
	line = um_asprintf("newbie:x:%u:300100::/h:/s\n", uid);
	pw = file(f, "passwd", line);
	assert_errno(um_import(f->s, pw, NULL, NULL), -EEXIST);
	assert_detail_has("belongs to local user");
}

static void test_missing_file(void **state)
{
	struct fixture *f = *state;
	_cleanup_free_ char *p = um_asprintf("%s/nope", f->dir);

	assert_errno(um_import(f->s, p, NULL, NULL), -ENOENT);
	assert_detail_has("nope");
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, t_setup_store, t_teardown)
	struct CMUnitTest tests[] = {
		T(test_import),
		T(test_only_one_file),
		T(test_bad_lines),
		T(test_local_ids),
		T(test_missing_file),
		T(test_import_bypasses_changelog),
		T(test_primary_group_in_store),
	};

	RUN_TESTS(tests);
}

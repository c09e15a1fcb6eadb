/* SPDX-License-Identifier: MIT */
/* Unit tests of lib/store.c (and schema.c): init, open, status, generations. */
#include <sys/stat.h>

#include "helpers.h"

#include "umgmt/group.h"
#include "umgmt/user.h"

static void assert_mode(const char *path, mode_t want)
{
	struct stat st;

	if (stat(path, &st) < 0)
		fail_msg("stat(%s): %s", path, strerror(errno));
	if ((st.st_mode & 07777) != want)
		fail_msg("%s has mode %04o, expected %04o", path, (unsigned)(st.st_mode & 07777),
			 (unsigned)want);
}

static void test_init_creates_files(void **state)
{
	struct fixture *f = *state;
	struct stat st;

	assert_ok(um_store_init(f->cfg));
	assert_int_equal(stat(f->store_dir, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_mode(f->store_dir, 0755);
	assert_mode(f->truth, 0600);
	assert_mode(f->snapshot, 0644);
	assert_int_equal(stat(f->truth, &st), 0);
	assert_int_equal(st.st_uid, geteuid());
	/* the truth is WAL, at the schema version this build writes */
	assert_int_equal(t_file_int(f->truth, "PRAGMA user_version"), UM_SCHEMA_VERSION);
	{
		sqlite3 *db = t_db_open(f->truth);
		char *jm = t_db_text(db, "PRAGMA journal_mode");

		assert_string_equal(jm, "wal");
		free(jm);
		/* init itself is audited */
		assert_int_equal(t_db_int(db, "SELECT count(*) FROM audit WHERE action = 'init'"),
				 1);
		sqlite3_close(db);
	}
}

static void test_init_existing_dir_is_fine(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(mkdir(f->store_dir, 0700), 0);
	assert_ok(um_store_init(f->cfg));
	assert_mode(f->truth, 0600);
}

struct fstate {
	struct stat truth, snap;
};

static struct fstate snap_state(struct fixture *f)
{
	struct fstate s;

	assert_int_equal(stat(f->truth, &s.truth), 0);
	assert_int_equal(stat(f->snapshot, &s.snap), 0);
	return s;
}

static void assert_same_stat(const struct stat *a, const struct stat *b)
{
	assert_int_equal(a->st_ino, b->st_ino);
	assert_int_equal(a->st_size, b->st_size);
	assert_int_equal(a->st_mode, b->st_mode);
	assert_int_equal(a->st_mtim.tv_sec, b->st_mtim.tv_sec);
	assert_int_equal(a->st_mtim.tv_nsec, b->st_mtim.tv_nsec);
}

static void test_second_init_refused(void **state)
{
	struct fixture *f = *state;
	const struct timespec old[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
	struct fstate before, after;
	char *truth_bytes, *snap_bytes, *truth_after, *snap_after;
	size_t tn, sn, tn2, sn2;
	char *wal;

	assert_ok(um_store_init(f->cfg));
	/* old timestamps, so that any write would show even on a coarse clock */
	assert_int_equal(utimensat(AT_FDCWD, f->truth, old, 0), 0);
	assert_int_equal(utimensat(AT_FDCWD, f->snapshot, old, 0), 0);
	before = snap_state(f);
	truth_bytes = t_read_file(f->truth, &tn);
	snap_bytes = t_read_file(f->snapshot, &sn);

	assert_errno(um_store_init(f->cfg), -EEXIST);
	assert_detail_has(f->truth);

	after = snap_state(f);
	assert_same_stat(&before.truth, &after.truth);
	assert_same_stat(&before.snap, &after.snap);
	truth_after = t_read_file(f->truth, &tn2);
	snap_after = t_read_file(f->snapshot, &sn2);
	assert_int_equal(tn, tn2);
	assert_int_equal(sn, sn2);
	assert_memory_equal(truth_bytes, truth_after, tn);
	assert_memory_equal(snap_bytes, snap_after, sn);
	/* and no WAL was left beside it */
	wal = um_asprintf("%s-wal", f->truth);
	assert_int_equal(access(wal, F_OK), -1);
	free(wal);
	free(truth_bytes);
	free(snap_bytes);
	free(truth_after);
	free(snap_after);

	/* still a working store */
	t_store_reopen(f, UM_STORE_WRITE);
	assert_ok(um_store_check(f->s));
}

static void test_init_refuses_untrusted_dir(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(mkdir(f->store_dir, 0700), 0);
	assert_int_equal(chmod(f->store_dir, 0777), 0);
	assert_errno(um_store_init(f->cfg), -EACCES);
	assert_int_equal(access(f->truth, F_OK), -1);
}

static void test_open_missing(void **state)
{
	struct fixture *f = *state;
	struct um_store *s = (struct um_store *)0x1;

	/* no store directory at all */
	assert_errno(um_store_open(f->cfg, UM_STORE_READ, &s), -ENOENT);
	assert_detail_has("umctl init");
	assert_ptr_equal(s, (struct um_store *)0x1);
	/* a directory without a truth */
	assert_int_equal(mkdir(f->store_dir, 0755), 0);
	assert_errno(um_store_open(f->cfg, UM_STORE_WRITE, &s), -ENOENT);
	assert_detail_has("umctl init");
	assert_ptr_equal(s, (struct um_store *)0x1);
	/* opening must not have created anything */
	assert_int_equal(access(f->truth, F_OK), -1);
}

static void test_open_untrusted_modes(void **state)
{
	static const mode_t bad[] = { 0644, 0640, 0604, 0660, 0666, 0610 };
	struct fixture *f = *state;
	struct um_store *s = NULL;

	assert_ok(um_store_init(f->cfg));
	for (size_t i = 0; i < UM_ELEMENTSOF(bad); i++) {
		assert_int_equal(chmod(f->truth, bad[i]), 0);
		if (t_try(um_store_open(f->cfg, UM_STORE_READ, &s)) != -EACCES)
			fail_msg("truth with mode %04o was not refused", (unsigned)bad[i]);
		assert_null(s);
		assert_detail_has("0600");
	}
	assert_int_equal(chmod(f->truth, 0400), 0);
	assert_ok(um_store_open(f->cfg, UM_STORE_READ, &s));
	um_store_close(s);
	s = NULL;
	assert_int_equal(chmod(f->truth, 0600), 0);
	/* a group/world-writable store directory is refused too */
	assert_int_equal(chmod(f->store_dir, 0775), 0);
	assert_errno(um_store_open(f->cfg, UM_STORE_READ, &s), -EACCES);
	assert_null(s);
	assert_int_equal(chmod(f->store_dir, 0755), 0);
	/* a symlink in place of the truth is refused */
	{
		char *real = um_asprintf("%s/real.db", f->store_dir);

		assert_int_equal(rename(f->truth, real), 0);
		assert_int_equal(symlink(real, f->truth), 0);
		assert_errno(um_store_open(f->cfg, UM_STORE_READ, &s), -EACCES);
		assert_null(s);
		free(real);
	}
}

static void test_root_open_foreign_owner(void **state)
{
	struct fixture *f = *state;
	struct um_store *s = NULL;

	if (geteuid() != 0)
		skip(); /* only root can give the file away */
	assert_ok(um_store_init(f->cfg));
	assert_int_equal(chown(f->truth, 65534, 65534), 0);
	assert_errno(um_store_open(f->cfg, UM_STORE_READ, &s), -EACCES);
	assert_detail_has("owned by uid 65534");
	assert_null(s);
}

static void set_user_version(const char *path, int v)
{
	sqlite3 *db = NULL;
	char sql[64];

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static void test_open_newer_schema(void **state)
{
	struct fixture *f = *state;
	struct um_store *s = NULL;

	assert_ok(um_store_init(f->cfg));
	set_user_version(f->truth, UM_SCHEMA_VERSION + 1);
	assert_errno(um_store_open(f->cfg, UM_STORE_READ, &s), -EBADMSG);
	assert_detail_has("newer");
	assert_null(s);
	assert_errno(um_store_open(f->cfg, UM_STORE_WRITE, &s), -EBADMSG);
	assert_null(s);
	/* refusing did not touch it */
	assert_int_equal(t_file_int(f->truth, "PRAGMA user_version"), UM_SCHEMA_VERSION + 1);
}

static void test_open_no_schema(void **state)
{
	struct fixture *f = *state;
	struct um_store *s = NULL;

	assert_ok(um_store_init(f->cfg));
	set_user_version(f->truth, 0);
	assert_errno(um_store_open(f->cfg, UM_STORE_WRITE, &s), -EBADMSG);
	assert_detail_has("not an umgmt store");
	assert_null(s);
}

static void test_open_garbage(void **state)
{
	struct fixture *f = *state;
	struct um_store *s = NULL;
	char junk[8192];

	assert_int_equal(mkdir(f->store_dir, 0755), 0);
	for (size_t i = 0; i < sizeof(junk) - 1; i++)
		junk[i] = (char)('A' + (i * 7) % 26);
	junk[sizeof(junk) - 1] = '\0';
	t_write_file(f->truth, junk, 0600);
	/* the code answers -EBADMSG (SQLITE_NOTADB), never success */
	assert_errno(um_store_open(f->cfg, UM_STORE_READ, &s), -EBADMSG);
	assert_null(s);
	assert_errno(um_store_open(f->cfg, UM_STORE_WRITE, &s), -EBADMSG);
	assert_null(s);

	/* an empty file is an SQLite database without our schema */
	t_write_file(f->truth, "", 0600);
	assert_errno(um_store_open(f->cfg, UM_STORE_WRITE, &s), -EBADMSG);
	assert_null(s);
	/* and init still refuses to overwrite whatever is there */
	assert_errno(um_store_init(f->cfg), -EEXIST);
}

static void test_status_and_generation(void **state)
{
	struct fixture *f = *state;
	struct um_status st, st2;
	struct um_user_spec spec = UM_USER_SPEC_INIT;

	t_store_up(f);
	st = t_status(f);
	assert_int_equal(st.schema_version, UM_SCHEMA_VERSION);
	assert_int_equal(st.users, 0);
	assert_int_equal(st.groups, 0);
	assert_int_equal(st.pending_approvals, 0);
	assert_true(st.directory_ok);
	assert_true(st.generation >= 1);
	assert_int_equal(st.published_generation, st.generation);

	/* every committed change bumps the generation and is published */
	assert_ok(um_user_add(f->s, "alice", &spec, NULL));
	st2 = t_status(f);
	assert_true(st2.generation > st.generation);
	assert_int_equal(st2.published_generation, st2.generation);
	assert_int_equal(st2.users, 1);
	assert_int_equal(st2.groups, 1); /* alice's private group */
	assert_int_equal((int64_t)t_snap_generation(f), st2.generation);

	st = st2;
	assert_ok(um_group_add(f->s, "devs", -1, "developers", NULL));
	assert_ok(um_group_add_member(f->s, "devs", "alice"));
	st2 = t_status(f);
	assert_int_equal(st2.generation, st.generation + 2);
	assert_int_equal(st2.published_generation, st2.generation);
	assert_int_equal(st2.groups, 2);

	/* a failed change bumps nothing */
	st = st2;
	assert_errno(um_user_add(f->s, "alice", &spec, NULL), -EEXIST);
	st2 = t_status(f);
	assert_int_equal(st2.generation, st.generation);

	/* a password is not in the snapshot: no new generation needed */
	assert_ok(um_user_set_password(f->s, "alice", "a good password"));
	st2 = t_status(f);
	assert_int_equal(st2.generation, st.generation);
	assert_int_equal(st2.published_generation, st2.generation);

	/* a lost snapshot shows, and um_store_publish() brings it back */
	assert_int_equal(unlink(f->snapshot), 0);
	st2 = t_status(f);
	assert_false(st2.directory_ok);
	assert_int_equal(st2.published_generation, 0);
	assert_ok(um_store_publish(f->s));
	st2 = t_status(f);
	assert_true(st2.directory_ok);
	assert_int_equal(st2.published_generation, st2.generation);
	assert_mode(f->snapshot, 0644);

	/* the generation survives reopening */
	t_store_reopen(f, UM_STORE_READ);
	st = t_status(f);
	assert_int_equal(st.generation, st2.generation);
	assert_int_equal(st.users, 1);
}

static void test_pending_approvals(void **state)
{
	struct fixture *f = *state;

	t_config(f, "[users]\napproval_required = yes\n");
	t_store_up(f);
	assert_ok(um_user_add(f->s, "alice", NULL, NULL));
	assert_ok(um_user_add(f->s, "bob", NULL, NULL));
	assert_int_equal(t_status(f).pending_approvals, 2);
}

static void test_read_only_refuses_writes(void **state)
{
	struct fixture *f = *state;
	struct um_status before, after;
	struct um_user *u = NULL;
	size_t n1, n2;
	char *b1, *b2;

	t_store_up(f);
	assert_ok(um_user_add(f->s, "alice", NULL, NULL));
	t_store_reopen(f, UM_STORE_READ);
	before = t_status(f);
	b1 = t_read_file(f->snapshot, &n1);

	assert_errno(um_user_add(f->s, "bob", NULL, NULL), -EACCES);
	assert_errno(um_user_edit(f->s, "alice",
				  &(struct um_user_spec){
					  .kind = -1, .uid = -1, .full_name = "Alice" }),
		     -EACCES);
	assert_errno(um_user_set_password(f->s, "alice", "a good password"), -EACCES);
	assert_errno(um_user_delete(f->s, "alice"), -EACCES);
	assert_errno(um_group_add(f->s, "devs", -1, NULL, NULL), -EACCES);
	assert_errno(um_group_add_member(f->s, "alice", "alice"), -EACCES);
	assert_errno(um_group_delete(f->s, "alice"), -EACCES);
	assert_errno(um_store_publish(f->s), -EACCES);

	after = t_status(f);
	assert_int_equal(after.generation, before.generation);
	assert_int_equal(after.users, 1);
	b2 = t_read_file(f->snapshot, &n2);
	assert_int_equal(n1, n2);
	assert_memory_equal(b1, b2, n1);
	free(b1);
	free(b2);
	/* reading still works */
	assert_ok(um_user_get(f->s, "alice", &u));
	assert_string_equal(u->full_name, "");
	um_user_free(u);
}

static void test_check_ok(void **state)
{
	struct fixture *f = *state;

	t_store_up(f);
	assert_ok(um_store_check(f->s));
	assert_ok(um_user_add(f->s, "alice", NULL, NULL));
	assert_ok(um_group_add(f->s, "devs", -1, NULL, NULL));
	assert_ok(um_group_add_member(f->s, "devs", "alice"));
	assert_ok(um_user_delete(f->s, "alice"));
	assert_ok(um_store_check(f->s));
	t_store_reopen(f, UM_STORE_READ);
	assert_ok(um_store_check(f->s));
}

static void test_actor_and_config(void **state)
{
	struct fixture *f = *state;
	char *actor;
	sqlite3 *db;

	t_store_up(f);
	assert_ptr_equal(um_store_config(f->s), f->cfg);
	assert_ok(um_store_set_actor(f->s, "alice via sudo"));
	assert_ok(um_group_add(f->s, "devs", -1, NULL, NULL));
	db = t_db_open(f->truth);
	actor = t_db_text(db, "SELECT actor FROM audit WHERE action = 'group add'");
	assert_string_equal(actor, "alice via sudo");
	free(actor);
	sqlite3_close(db);
	um_store_close(NULL);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, t_setup_config, t_teardown)
	struct CMUnitTest tests[] = {
		T(test_init_creates_files),
		T(test_init_existing_dir_is_fine),
		T(test_second_init_refused),
		T(test_init_refuses_untrusted_dir),
		T(test_open_missing),
		T(test_open_untrusted_modes),
		T(test_root_open_foreign_owner),
		T(test_open_newer_schema),
		T(test_open_no_schema),
		T(test_open_garbage),
		T(test_status_and_generation),
		T(test_pending_approvals),
		T(test_read_only_refuses_writes),
		T(test_check_ok),
		T(test_actor_and_config),
	};

	RUN_TESTS(tests);
}

/* SPDX-License-Identifier: MIT */
/* Unit tests of lib/schema.c: migrations of the truth's schema. */
#include "helpers.h"

#include "umgmt/group.h"
#include "umgmt/user.h"

#define N_CHANGELOG_TRIGGERS 9

static void exec_ok(const char *path, const char *sql)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	sqlite3_close(db);
}

/* Turns the store into the v1 store it was before migration v2 (v2 only
 * adds the change log: its table, triggers and meta key). */
static void downgrade_to_v1(struct fixture *f)
{
	um_store_close(f->s);
	f->s = NULL;
	exec_ok(f->truth, "BEGIN;"
			  "DROP TRIGGER dir_changes_user_insert; DROP TRIGGER dir_changes_user_update;"
			  "DROP TRIGGER dir_changes_user_delete; DROP TRIGGER dir_changes_group_insert;"
			  "DROP TRIGGER dir_changes_group_update; DROP TRIGGER dir_changes_group_delete;"
			  "DROP TRIGGER dir_changes_member_insert;"
			  "DROP TRIGGER dir_changes_member_update;"
			  "DROP TRIGGER dir_changes_member_delete;"
			  "DROP TABLE dir_changes; DELETE FROM meta WHERE key = 'log_trimmed_upto';"
			  "PRAGMA user_version = 1; COMMIT");
}

static void test_fresh_store_is_current(void **state)
{
	struct fixture *f = *state;
	sqlite3 *db = t_db_open(f->truth);

	assert_int_equal(t_db_int(db, "PRAGMA user_version"), UM_SCHEMA_VERSION);
	assert_int_equal(t_db_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' "
				      "AND name GLOB 'dir_changes_*'"),
			 N_CHANGELOG_TRIGGERS);
	assert_int_equal(t_db_int(db, "SELECT count(*) FROM dir_changes"), 0);
	assert_true(t_db_int(db, "SELECT value FROM meta WHERE key = 'log_trimmed_upto'") > 0);
	sqlite3_close(db);
}

static void test_migrate_v1_to_v2(void **state)
{
	struct fixture *f = *state;
	struct um_status st;
	sqlite3 *db;

	assert_ok(um_user_add(f->s, "alice", NULL, NULL));
	assert_ok(um_group_add(f->s, "devs", 6000, NULL, NULL));
	assert_ok(um_group_add_member(f->s, "devs", "alice"));
	downgrade_to_v1(f);
	assert_int_equal(t_file_int(f->truth, "PRAGMA user_version"), 1);

	/* read-only, a v1 store is refused with a hint */
	assert_errno(um_store_open(f->cfg, UM_STORE_READ, &f->s), -EBADMSG);
	assert_null(f->s);
	/* for writing, it is migrated, and the snapshot republished */
	t_store_reopen(f, UM_STORE_WRITE);
	db = t_db_open(f->truth);
	assert_int_equal(t_db_int(db, "PRAGMA user_version"), 2);
	assert_int_equal(t_db_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' "
				      "AND name GLOB 'dir_changes_*'"),
			 N_CHANGELOG_TRIGGERS);
	/* nothing before the migration was logged: the log starts there */
	assert_int_equal(t_db_int(db, "SELECT value FROM meta WHERE key = 'log_trimmed_upto'"),
			 t_db_int(db, "SELECT value FROM meta WHERE key = 'generation'"));
	sqlite3_close(db);
	st = t_status(f);
	assert_int_equal(st.published_generation, st.generation);
	assert_int_equal(st.users, 1);

	/* and the log works from now on */
	assert_ok(um_group_remove_member(f->s, "devs", "alice"));
	assert_int_equal(t_file_int(f->snapshot, "SELECT nmem FROM grp WHERE name = 'devs'"), 0);
	assert_int_equal(t_file_int(f->snapshot, "SELECT count(*) FROM usergroups"), 0);
}

static void test_changelog_watches_only_snapshot_columns(void **state)
{
	struct fixture *f = *state;
	sqlite3 *db;

	assert_ok(um_user_add(f->s, "alice", NULL, NULL));
	um_store_close(f->s);
	f->s = NULL;
	exec_ok(f->truth, "DELETE FROM dir_changes;"
			  "UPDATE users SET password_hash = 'x', enabled = 0, last_login_at = 1,"
			  "  email = 'a@example.org', full_name = full_name, name = name");
	db = t_db_open(f->truth);
	assert_int_equal(t_db_int(db, "SELECT count(*) FROM dir_changes"), 0);
	sqlite3_close(db);
	exec_ok(f->truth, "UPDATE users SET shell = '/bin/sh'");
	db = t_db_open(f->truth);
	assert_int_equal(t_db_int(db, "SELECT count(*) FROM dir_changes WHERE kind = 'user'"), 1);
	/* logged with the generation its commit gets */
	assert_int_equal(t_db_int(db, "SELECT gen FROM dir_changes"),
			 t_db_int(db, "SELECT value + 1 FROM meta WHERE key = 'generation'"));
	sqlite3_close(db);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, t_setup_store, t_teardown)
	struct CMUnitTest tests[] = {
		T(test_fresh_store_is_current),
		T(test_migrate_v1_to_v2),
		T(test_changelog_watches_only_snapshot_columns),
	};

	RUN_TESTS(tests);
}

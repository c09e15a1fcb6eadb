/* SPDX-License-Identifier: MIT */
/* Unit tests of lib/schema.c: migrations of the truth's schema. */
#include "policy-helpers.h"

#include "umgmt/group.h"
#include "umgmt/absence.h"
#include "umgmt/account.h"
#include "umgmt/date.h"
#include "umgmt/lockout.h"
#include "umgmt/login.h"
#include "umgmt/service.h"
#include "umgmt/token.h"
#include "umgmt/user.h"

static void exec_ok(const char *path, const char *sql)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	sqlite3_close(db);
}

/* Turns the store into the v1 store it was before migration v2 (v2 only
 * adds the change log: its table and meta key). */
/* Undoes v3: the last login back in users. */
static const char undo_v3[] =
	"DROP INDEX users_pending;"
	"ALTER TABLE users ADD COLUMN last_login_at INTEGER;"
	"ALTER TABLE users ADD COLUMN last_login_service TEXT;"
	"ALTER TABLE users ADD COLUMN last_login_host TEXT;"
	"UPDATE users SET last_login_at = (SELECT at FROM user_logins WHERE user_id = users.id),"
	"  last_login_service = (SELECT service FROM user_logins WHERE user_id = users.id),"
	"  last_login_host = (SELECT host FROM user_logins WHERE user_id = users.id);"
	"DROP TABLE user_logins;"
	"DROP TABLE row_ids;";

static void downgrade_to_v2(struct fixture *f)
{
	char sql[sizeof(undo_v3) + 64];

	um_store_close(f->s);
	f->s = NULL;
	snprintf(sql, sizeof(sql), "BEGIN; %s PRAGMA user_version = 2; COMMIT", undo_v3);
	exec_ok(f->truth, sql);
}

static void downgrade_to_v1(struct fixture *f)
{
	downgrade_to_v2(f);
	exec_ok(f->truth, "BEGIN;"
			  "DROP TABLE dir_changes; DELETE FROM meta WHERE key = 'log_trimmed_upto';"
			  "PRAGMA user_version = 1; COMMIT");
}

static void test_fresh_store_is_current(void **state)
{
	struct fixture *f = *state;
	sqlite3 *db = t_db_open(f->truth);

	assert_int_equal(t_db_int(db, "PRAGMA user_version"), UM_SCHEMA_VERSION);
	/* the log's triggers are each writer's own (TEMP), not the schema's:
	 * every connection parses the schema, a login's too */
	assert_int_equal(t_db_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'trigger'"),
			 0);
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
	assert_int_equal(t_db_int(db, "PRAGMA user_version"), UM_SCHEMA_VERSION);
	/* nothing before the migration was logged: the log starts there */
	assert_int_equal(t_db_int(db, "SELECT value FROM meta WHERE key = 'log_trimmed_upto'"),
			 t_db_int(db, "SELECT value FROM meta WHERE key = 'generation'"));
	sqlite3_close(db);
	st = t_status(f);
	assert_int_equal(st.published_generation, st.generation);
	assert_int_equal(st.users, 1);

	/* and the log works from now on */
	assert_ok(um_group_remove_member(f->s, "devs", "alice"));
	assert_int_equal(t_snap_nmem(f, "devs"), 0);
	assert_int_equal(t_snap_users_in_groups(f), 0);
}

/* v3 moves what a login writes for itself out of users, into the
 * host-local user_logins, and keeps every last login on the way. */
static void test_migrate_v2_to_v3(void **state)
{
	struct fixture *f = *state;
	struct um_user *u = NULL;
	sqlite3 *db;

	assert_ok(um_user_add(f->s, "alice", NULL, NULL));
	assert_ok(um_user_add(f->s, "bob", NULL, NULL));
	assert_ok(um_login_record_success(f->s, t_id(f, "alice"), "sshd", "192.0.2.9", 1234, true));
	downgrade_to_v2(f);
	db = t_db_open(f->truth);
	assert_int_equal(t_db_int(db, "SELECT last_login_at FROM users WHERE name = 'alice'"),
			 1234);
	sqlite3_close(db);

	t_store_reopen(f, UM_STORE_WRITE);
	db = t_db_open(f->truth);
	assert_int_equal(t_db_int(db, "PRAGMA user_version"), 3);
	assert_int_equal(t_db_int(db, "SELECT count(*) FROM pragma_table_info('users')\n"
				      "WHERE name LIKE 'last_login%'"),
			 0);
	assert_int_equal(t_db_int(db, "SELECT count(*) FROM user_logins"), 1);
	sqlite3_close(db);
	assert_ok(um_user_get(f->s, "alice", &u));
	assert_int_equal(u->last_login_at, 1234);
	assert_string_equal(u->last_login_service, "sshd");
	assert_string_equal(u->last_login_host, "192.0.2.9");
	um_user_free(u);
	assert_ok(um_user_get(f->s, "bob", &u));
	assert_int_equal(u->last_login_at, 0);
	assert_null(u->last_login_service);
	um_user_free(u);
}

/* Every table has an explicit primary key: the fleet replicates the
 * truth with SQLite sessions, which need one. */
static void test_every_table_has_a_primary_key(void **state)
{
	struct fixture *f = *state;
	sqlite3 *db = t_db_open(f->truth);

	assert_int_equal(t_db_int(db,
				  "SELECT count(*) FROM sqlite_master m\n"
				  "WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'\n"
				  "  AND NOT EXISTS (SELECT 1 FROM pragma_table_info(m.name) p\n"
				  "                  WHERE p.pk > 0)"),
			 0);
	sqlite3_close(db);
}

static int64_t changes_logged(struct fixture *f)
{
	return t_file_int(f->truth, "SELECT count(*) FROM dir_changes");
}

static void test_changelog_watches_only_snapshot_columns(void **state)
{
	struct fixture *f = *state;
	struct um_user_spec spec = UM_USER_SPEC_INIT;
	char token[UM_TOKEN_MAX];

	int64_t logged;

	assert_ok(um_user_add(f->s, "alice", NULL, NULL));
	/* what the log holds since the published snapshot's base (that it is
	 * complete is proven in test-publish.c: overlays equal full builds) */
	logged = changes_logged(f);
	assert_true(logged > 0);

	/* a password, a flag, an e-mail, a token, a login: nothing the
	 * snapshot shows */
	assert_ok(um_user_set_password(f->s, "alice", "correct horse"));
	assert_ok(um_user_set_enabled(f->s, "alice", false));
	assert_ok(um_user_set_approved(f->s, "alice", false));
	spec.email = "alice@example.org";
	assert_ok(um_user_edit(f->s, "alice", &spec));
	assert_ok(um_token_issue(f->s, "alice", UM_TOKEN_RESET, 3600, token));
	assert_ok(um_lockout_record_failure(f->s, t_id(f, "alice"), "sshd", "192.0.2.1", 1000));
	assert_ok(um_login_record_success(f->s, t_id(f, "alice"), "sshd", "192.0.2.1", 1001, true));
	assert_int_equal(changes_logged(f), logged);
	assert_int_equal(t_file_int(f->truth, "SELECT count(*) FROM sqlite_master "
					      "WHERE type = 'trigger'"),
			 0);
}

/* A login's connection (pam_umgmt) keeps no change log: it cannot change
 * anything the snapshot shows, and records logins all the same. */
static void test_login_connection_cannot_change_the_directory(void **state)
{
	struct fixture *f = *state;
	struct um_user_spec spec = UM_USER_SPEC_INIT;
	int64_t gen, logged;

	assert_ok(um_user_add(f->s, "alice", NULL, NULL));
	assert_ok(um_group_add(f->s, "devs", 6000, NULL, NULL));
	t_store_reopen(f, UM_STORE_WRITE | UM_STORE_LOGIN);
	gen = t_file_int(f->truth, "SELECT value FROM meta WHERE key = 'generation'");
	logged = changes_logged(f);

	spec.shell = "/bin/sh";
	assert_errno(um_user_edit(f->s, "alice", &spec), -EACCES);
	spec.shell = NULL;
	spec.rename = "alicia";
	assert_errno(um_user_edit(f->s, "alice", &spec), -EACCES);
	assert_errno(um_user_add(f->s, "bob", NULL, NULL), -EACCES);
	assert_errno(um_user_delete(f->s, "alice"), -EACCES);
	assert_errno(um_group_add_member(f->s, "devs", "alice"), -EACCES);
	assert_errno(um_group_delete(f->s, "devs"), -EACCES);
	assert_int_equal(t_file_int(f->truth, "SELECT value FROM meta WHERE key = 'generation'"),
			 gen);
	assert_int_equal(t_file_int(f->truth, "SELECT count(*) FROM users"), 1);

	/* what a login writes */
	assert_ok(um_user_set_password(f->s, "alice", "correct horse"));
	assert_ok(um_user_authenticate(f->s, "alice", "correct horse"));
	assert_ok(um_lockout_record_failure(f->s, t_id(f, "alice"), "sshd", "192.0.2.1", 1000));
	assert_ok(um_login_record_success(f->s, t_id(f, "alice"), "sshd", "192.0.2.1", 1001, true));
	assert_int_equal(changes_logged(f), logged);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, t_setup_store, t_teardown)
	struct CMUnitTest tests[] = {
		T(test_fresh_store_is_current),
		T(test_migrate_v1_to_v2),
		T(test_migrate_v2_to_v3),
		T(test_every_table_has_a_primary_key),
		T(test_changelog_watches_only_snapshot_columns),
		T(test_login_connection_cannot_change_the_directory),
	};

	RUN_TESTS(tests);
}

/* SPDX-License-Identifier: MIT */
/* Unit tests of lib/publish.c: the snapshot NSS reads (directory.db). */
#include <dirent.h>
#include <grp.h>
#include <sys/wait.h>

#include "helpers.h"

#include "directory-schema.h"
#include "umgmt/group.h"
#include "umgmt/user.h"

/* UM_USER_SPEC_INIT with some fields overridden (on purpose). */
#pragma GCC diagnostic ignored "-Woverride-init"
#define SPEC(...) (&(struct um_user_spec){ .kind = -1, .uid = -1, __VA_ARGS__ })

static void populate(struct fixture *f)
{
	assert_ok(
		um_user_add(f->s, "alice",
			    SPEC(.full_name = "Alice Liddell", .email = "alice.secret@example.org",
				 .home = "/srv/alice", .shell = "/bin/zsh"),
			    NULL));
	assert_ok(um_user_add(f->s, "zed", NULL, NULL));
	assert_ok(um_user_add(f->s, "amy", SPEC(.email = "amy.private@example.net"), NULL));
	assert_ok(um_user_add(f->s, "bob", SPEC(.group = "users"), NULL));
	assert_ok(um_user_set_password(f->s, "alice", "correct horse battery"));
	assert_ok(um_user_set_password(f->s, "bob", "another password"));
	assert_ok(um_group_add(f->s, "devs", -1, "Developers", NULL));
	assert_ok(um_group_add(f->s, "empty", -1, NULL, NULL));
	assert_ok(um_group_add_member(f->s, "devs", "zed"));
	assert_ok(um_group_add_member(f->s, "devs", "amy"));
	assert_ok(um_group_add_member(f->s, "devs", "bob"));
	assert_ok(um_group_add_member(f->s, "alice", "bob"));
}

static void test_contents_match_truth(void **state)
{
	struct fixture *f = *state;
	struct um_user **users = NULL;
	struct um_group **groups = NULL;
	size_t nu = 0, ng = 0, i = 0;
	sqlite3 *db;
	sqlite3_stmt *st;

	populate(f);
	assert_ok(um_user_list(f->s, &users, &nu));
	assert_ok(um_group_list(f->s, &groups, &ng));
	db = t_db_open(f->snapshot);

	/* exactly the users, field by field, ordered by uid */
	assert_int_equal(sqlite3_prepare_v2(db,
					    "SELECT uid, name, gid, gecos, dir, shell FROM passwd "
					    "ORDER BY uid",
					    -1, &st, NULL),
			 SQLITE_OK);
	for (i = 0; sqlite3_step(st) == SQLITE_ROW; i++) {
		assert_true(i < nu);
		assert_int_equal(sqlite3_column_int64(st, 0), users[i]->uid);
		assert_string_equal(sqlite3_column_text(st, 1), users[i]->name);
		assert_int_equal(sqlite3_column_int64(st, 2), users[i]->gid);
		assert_string_equal(sqlite3_column_text(st, 3), users[i]->full_name);
		assert_string_equal(sqlite3_column_text(st, 4), users[i]->home);
		assert_string_equal(sqlite3_column_text(st, 5), users[i]->shell);
	}
	assert_int_equal(i, nu);
	assert_int_equal(nu, 4);
	sqlite3_finalize(st);

	/* exactly the groups, with members joined in name order */
	assert_int_equal(sqlite3_prepare_v2(db,
					    "SELECT gid, name, nmem, members FROM grp ORDER BY gid",
					    -1, &st, NULL),
			 SQLITE_OK);
	for (i = 0; sqlite3_step(st) == SQLITE_ROW; i++) {
		char joined[1024] = "";

		assert_true(i < ng);
		assert_int_equal(sqlite3_column_int64(st, 0), groups[i]->gid);
		assert_string_equal(sqlite3_column_text(st, 1), groups[i]->name);
		assert_int_equal(sqlite3_column_int64(st, 2), groups[i]->n_members);
		for (size_t j = 0; j < groups[i]->n_members; j++) {
			if (j)
				strcat(joined, ",");
			strcat(joined, groups[i]->members[j]);
		}
		assert_string_equal(sqlite3_column_text(st, 3), joined);
	}
	assert_int_equal(i, ng);
	assert_int_equal(ng, 5); /* alice, zed, amy private + devs + empty */
	sqlite3_finalize(st);

	assert_int_equal(t_db_int(db, "SELECT value FROM meta WHERE key = 'format'"),
			 UM_DIRECTORY_FORMAT);
	assert_int_equal(t_db_int(db, "SELECT value FROM meta WHERE key = 'generation'"),
			 (int64_t)t_status(f).generation);
	sqlite3_close(db);
	um_user_list_free(users, nu);
	um_group_list_free(groups, ng);
}

static void test_empty_store_snapshot(void **state)
{
	struct fixture *f = *state;
	sqlite3 *db = t_db_open(f->snapshot);

	assert_int_equal(t_db_int(db, "SELECT count(*) FROM passwd"), 0);
	assert_int_equal(t_db_int(db, "SELECT count(*) FROM grp"), 0);
	assert_int_equal(t_db_int(db, "SELECT count(*) FROM usergroups"), 0);
	assert_int_equal(t_db_int(db, "SELECT value FROM meta WHERE key = 'format'"),
			 UM_DIRECTORY_FORMAT);
	sqlite3_close(db);
}

static void test_no_secrets(void **state)
{
	struct fixture *f = *state;
	char *bytes, *hash;
	size_t n;
	sqlite3 *db;

	populate(f);
	/* the truth does hold them (or this test would prove nothing) */
	db = t_db_open(f->truth);
	hash = t_db_text(db, "SELECT password_hash FROM users WHERE name = 'alice'");
	sqlite3_close(db);
	assert_non_null(hash);

	bytes = t_read_file(f->snapshot, &n);
	assert_false(t_mem_has(bytes, n, "alice.secret@example.org"));
	assert_false(t_mem_has(bytes, n, "amy.private"));
	assert_false(t_mem_has(bytes, n, "@example."));
	assert_false(t_mem_has(bytes, n, "$argon2"));
	assert_false(t_mem_has(bytes, n, hash + strlen(hash) - 20)); /* the digest's tail */
	assert_false(t_mem_has(bytes, n, "correct horse"));
	assert_false(t_mem_has(bytes, n, "Developers")); /* descriptions are not served */
	free(bytes);
	free(hash);

	/* and only the four tables of the format */
	db = t_db_open(f->snapshot);
	assert_int_equal(t_db_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"),
			 4);
	assert_int_equal(t_db_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' "
				      "AND name IN ('meta', 'passwd', 'grp', 'usergroups')"),
			 4);
	assert_int_equal(t_db_int(db, "SELECT count(*) FROM meta WHERE key NOT IN "
				      "('format', 'generation', 'published_at')"),
			 0);
	sqlite3_close(db);
}

static void test_file_format(void **state)
{
	struct fixture *f = *state;
	unsigned char hdr[100];
	sqlite3 *db;
	char *jm;
	FILE *fp;

	populate(f);
	db = t_db_open(f->snapshot);
	jm = t_db_text(db, "PRAGMA journal_mode");
	assert_string_equal(jm, "delete");
	free(jm);
	assert_int_equal(t_db_int(db, "PRAGMA application_id"), UM_DIRECTORY_APPLICATION_ID);
	assert_int_equal(t_db_int(db, "PRAGMA application_id"), 0x756d6764);
	jm = t_db_text(db, "PRAGMA integrity_check");
	assert_string_equal(jm, "ok");
	free(jm);
	sqlite3_close(db);

	/* file format bytes 18/19 (write/read version) are 1 = rollback
	 * journal; 2 would mean WAL, which unprivileged readers cannot use */
	fp = fopen(f->snapshot, "re");
	assert_non_null(fp);
	assert_int_equal(fread(hdr, 1, sizeof(hdr), fp), sizeof(hdr));
	fclose(fp);
	assert_memory_equal(hdr, "SQLite format 3", 16);
	assert_int_equal(hdr[18], 1);
	assert_int_equal(hdr[19], 1);
	/* no journal or WAL left beside it */
	{
		char *j = um_asprintf("%s-journal", f->snapshot);
		char *w = um_asprintf("%s-wal", f->snapshot);

		assert_int_equal(access(j, F_OK), -1);
		assert_int_equal(access(w, F_OK), -1);
		free(j);
		free(w);
	}
}

static void test_members_packed_sorted(void **state)
{
	struct fixture *f = *state;
	sqlite3 *db;
	char *m;

	populate(f);
	db = t_db_open(f->snapshot);
	m = t_db_text(db, "SELECT members FROM grp WHERE name = 'devs'");
	assert_string_equal(m, "amy,bob,zed"); /* added zed, amy, bob */
	free(m);
	assert_int_equal(t_db_int(db, "SELECT nmem FROM grp WHERE name = 'devs'"), 3);
	m = t_db_text(db, "SELECT members FROM grp WHERE name = 'empty'");
	assert_string_equal(m, "");
	free(m);
	assert_int_equal(t_db_int(db, "SELECT nmem FROM grp WHERE name = 'empty'"), 0);
	m = t_db_text(db, "SELECT members FROM grp WHERE name = 'alice'");
	assert_string_equal(m, "bob");
	free(m);
	sqlite3_close(db);
}

static void test_usergroups_blob(void **state)
{
	static const uint32_t want[] = { 5001, 5002, 5003 };
	struct fixture *f = *state;
	sqlite3 *db;
	sqlite3_stmt *st;

	assert_ok(um_user_add(f->s, "alice", NULL, NULL));
	assert_ok(um_user_add(f->s, "bob", NULL, NULL));
	assert_ok(um_group_add(f->s, "gthree", 5003, NULL, NULL));
	assert_ok(um_group_add(f->s, "gone", 5001, NULL, NULL));
	assert_ok(um_group_add(f->s, "gtwo", 5002, NULL, NULL));
	/* joined in an order that is neither gid nor name order */
	assert_ok(um_group_add_member(f->s, "gtwo", "alice"));
	assert_ok(um_group_add_member(f->s, "gthree", "alice"));
	assert_ok(um_group_add_member(f->s, "gone", "alice"));

	db = t_db_open(f->snapshot);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT gids FROM usergroups WHERE name = 'alice'",
					    -1, &st, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_bytes(st, 0), sizeof(want));
	assert_memory_equal(sqlite3_column_blob(st, 0), want, sizeof(want));
	sqlite3_finalize(st);
	/* one row per user with supplementary groups, none for bob */
	assert_int_equal(t_db_int(db, "SELECT count(*) FROM usergroups"), 1);
	sqlite3_close(db);

	/* leaving a group shrinks the array */
	assert_ok(um_group_remove_member(f->s, "gtwo", "alice"));
	db = t_db_open(f->snapshot);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT gids FROM usergroups WHERE name = 'alice'",
					    -1, &st, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	{
		const uint32_t two[] = { 5001, 5003 };

		assert_int_equal(sqlite3_column_bytes(st, 0), sizeof(two));
		assert_memory_equal(sqlite3_column_blob(st, 0), two, sizeof(two));
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
}

static void test_rename_keeps_old_readers(void **state)
{
	struct fixture *f = *state;
	struct stat before, after;
	sqlite3 *old;
	char *old_bytes, buf[64];
	size_t old_n;
	int fd;

	assert_ok(um_user_add(f->s, "alice", NULL, NULL));
	assert_int_equal(stat(f->snapshot, &before), 0);
	old_bytes = t_read_file(f->snapshot, &old_n);
	fd = open(f->snapshot, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	old = t_db_open(f->snapshot);
	assert_int_equal(t_db_int(old, "SELECT count(*) FROM passwd"), 1);

	assert_ok(um_user_add(f->s, "bob", NULL, NULL));
	assert_int_equal(stat(f->snapshot, &after), 0);
	assert_int_not_equal(before.st_ino, after.st_ino); /* replaced, not rewritten */
	assert_int_equal(t_file_int(f->snapshot, "SELECT count(*) FROM passwd"), 2);

	/* a reader holding the old file still reads the old data */
	assert_int_equal(t_db_int(old, "SELECT count(*) FROM passwd"), 1);
	assert_int_equal(t_db_int(old, "SELECT count(*) FROM passwd WHERE name = 'bob'"), 0);
	sqlite3_close(old);
	/* and its bytes were never touched */
	for (size_t off = 0; off < old_n; off += sizeof(buf)) {
		size_t want = old_n - off < sizeof(buf) ? old_n - off : sizeof(buf);

		assert_int_equal(pread(fd, buf, want, (off_t)off), (ssize_t)want);
		assert_memory_equal(buf, old_bytes + off, want);
	}
	close(fd);
	free(old_bytes);

	/* a change that NSS does not see (a password) publishes nothing */
	assert_int_equal(stat(f->snapshot, &before), 0);
	assert_ok(um_user_set_password(f->s, "bob", "a fine password"));
	assert_int_equal(stat(f->snapshot, &after), 0);
	assert_int_equal(before.st_ino, after.st_ino);
}

static bool store_has_temps(struct fixture *f)
{
	DIR *d = opendir(f->store_dir);
	struct dirent *e;
	bool found = false;

	assert_non_null(d);
	while ((e = readdir(d)))
		found = found || !strncmp(e->d_name, ".directory.db.", 14);
	closedir(d);
	return found;
}

static void test_stale_temps_removed(void **state)
{
	struct fixture *f = *state;
	char *t1 = um_asprintf("%s/.directory.db.Ab12Cd", f->store_dir);
	char *t2 = um_asprintf("%s/.directory.db.XXXXXX", f->store_dir);
	char *other = um_asprintf("%s/.directory.dbx", f->store_dir);

	assert_false(store_has_temps(f)); /* init left none */
	t_write_file(t1, "half-written snapshot", 0600);
	t_write_file(t2, "", 0600);
	t_write_file(other, "not ours", 0600);
	assert_ok(um_user_add(f->s, "alice", NULL, NULL));
	assert_int_equal(access(t1, F_OK), -1);
	assert_int_equal(access(t2, F_OK), -1);
	assert_int_equal(access(other, F_OK), 0);
	assert_false(store_has_temps(f));
	/* um_store_publish() by hand cleans up the same way */
	t_write_file(t1, "x", 0600);
	assert_ok(um_store_publish(f->s));
	assert_false(store_has_temps(f));
	free(t1);
	free(t2);
	free(other);
}

static void assert_mode(const char *path, mode_t want)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	if ((st.st_mode & 07777) != want)
		fail_msg("%s has mode %04o, expected %04o", path, (unsigned)(st.st_mode & 07777),
			 (unsigned)want);
}

static void test_modes(void **state)
{
	struct fixture *f = *state;
	mode_t old;

	assert_mode(f->store_dir, 0755);
	assert_mode(f->snapshot, 0644);
	/* a later publish under a strict umask still leaves a readable file */
	old = umask(077);
	assert_ok(um_user_add(f->s, "alice", NULL, NULL));
	umask(old);
	assert_mode(f->snapshot, 0644);
	assert_mode(f->truth, 0600);
}

/* root's umask is often 027 or 077 on hardened machines; the store
 * directory must still let every process reach the snapshot. */
static void test_modes_under_strict_umask(void **state)
{
	struct fixture *f = *state;
	mode_t old = umask(077);
	int r = um_store_init(f->cfg);

	umask(old);
	assert_ok(r);
	assert_mode(f->snapshot, 0644);
	assert_mode(f->truth, 0600);
	assert_mode(f->store_dir, 0755);
}

/* As root: an unprivileged process (nobody) reads the snapshot through a
 * plain read-only SQLite connection, without writing anything. */
static void test_unprivileged_reader(void **state)
{
	struct fixture *f = *state;
	int status;
	pid_t pid;

	assert_ok(um_user_add(f->s, "alice", NULL, NULL));
	assert_ok(um_user_add(f->s, "bob", NULL, NULL));
	if (geteuid() != 0) {
		/* this process is unprivileged already: it reads like anyone */
		assert_int_equal(t_file_int(f->snapshot, "SELECT count(*) FROM passwd"), 2);
		return;
	}
	assert_int_equal(chmod(f->dir, 0755), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		sqlite3 *db = NULL;
		sqlite3_stmt *st = NULL;
		int n = -1;

		if (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0)
			_exit(10);
		if (access(f->snapshot, W_OK) == 0)
			_exit(11); /* must not be writable for nobody */
		if (sqlite3_open_v2(f->snapshot, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
			_exit(12);
		if (sqlite3_prepare_v2(db, "SELECT count(*) FROM passwd", -1, &st, NULL) !=
			    SQLITE_OK ||
		    sqlite3_step(st) != SQLITE_ROW)
			_exit(13);
		n = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
		sqlite3_close(db);
		/* the truth stays closed to nobody */
		if (open(f->truth, O_RDONLY | O_CLOEXEC) >= 0)
			_exit(14);
		_exit(n == 2 ? 0 : 15);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* ---- copy-and-patch: a patched snapshot equals a full build ---- */

/* Every row of every snapshot table, in key order, as text (blobs in
 * hex), without meta.published_at (a time). */
static char *dump_snapshot(const char *path)
{
	sqlite3 *db = t_db_open(path);
	sqlite3_stmt *tables, *st;
	sqlite3_str *out = sqlite3_str_new(NULL);
	char *res;

	assert_int_equal(sqlite3_prepare_v2(db,
					    "SELECT name FROM sqlite_master WHERE type = 'table' "
					    "ORDER BY name",
					    -1, &tables, NULL),
			 SQLITE_OK);
	while (sqlite3_step(tables) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(tables, 0);
		char *sql = sqlite3_mprintf("SELECT * FROM \"%w\" %s ORDER BY 1", t,
					    strcmp(t, "meta") ? "" : "WHERE key != 'published_at'");

		sqlite3_str_appendf(out, "== %s\n", t);
		assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
		while (sqlite3_step(st) == SQLITE_ROW) {
			for (int i = 0; i < sqlite3_column_count(st); i++) {
				if (sqlite3_column_type(st, i) == SQLITE_BLOB) {
					const unsigned char *b = sqlite3_column_blob(st, i);

					sqlite3_str_appendall(out, "x'");
					for (int k = 0; k < sqlite3_column_bytes(st, i); k++)
						sqlite3_str_appendf(out, "%02x", b[k]);
					sqlite3_str_appendall(out, "'|");
				} else {
					sqlite3_str_appendf(out, "%s|",
							    (const char *)sqlite3_column_text(st,
											      i));
				}
			}
			sqlite3_str_appendchar(out, 1, '\n');
		}
		sqlite3_finalize(st);
		sqlite3_free(sql);
	}
	sqlite3_finalize(tables);
	sqlite3_close(db);
	res = sqlite3_str_finish(out);
	assert_non_null(res);
	return res;
}

/* Writes a mark into the published file that a copy keeps and a full
 * build does not have (the header's user_version; no reader uses it). */
static void mark_snapshot(struct fixture *f)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open_v2(f->snapshot, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 4242", NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
}

static bool snapshot_is_marked(struct fixture *f)
{
	return t_file_int(f->snapshot, "PRAGMA user_version") == 4242;
}

/* The snapshot now published was patched (or not: want_patch) and holds
 * exactly what a full build from the same truth holds. Leaves a fresh full
 * build published, marked for the next step. */
static void check_patched(struct fixture *f, bool want_patch, const char *step)
{
	char *patched, *full;

	if (snapshot_is_marked(f) != want_patch)
		fail_msg("after %s: the snapshot was %s", step,
			 want_patch ? "rebuilt, not patched" : "patched, not rebuilt");
	patched = dump_snapshot(f->snapshot);
	assert_int_equal(unlink(f->snapshot), 0);
	assert_ok(um_store_publish(f->s)); /* no snapshot: a full build */
	assert_false(snapshot_is_marked(f));
	full = dump_snapshot(f->snapshot);
	if (strcmp(patched, full))
		fail_msg("after %s: patched snapshot differs from a full build:\n"
			 "--- patched\n%s--- full\n%s",
			 step, patched, full);
	sqlite3_free(patched);
	sqlite3_free(full);
	mark_snapshot(f);
}

#define STEP(f, call)                                                                              \
	do {                                                                                       \
		assert_ok(call);                                                                   \
		check_patched((f), true, #call);                                                   \
	} while (0)

static void test_patch_equals_full_build(void **state)
{
	struct fixture *f = *state;
	char name[32];

	mark_snapshot(f);
	/* nothing changed: a patch that only rewrites the generation */
	STEP(f, um_store_publish(f->s));
	STEP(f, um_user_add(f->s, "alice", SPEC(.full_name = "Alice"), NULL));
	STEP(f, um_user_add(f->s, "bob", SPEC(.group = "users"), NULL)); /* no "users" group */
	STEP(f, um_user_add(f->s, "carol", NULL, NULL));
	STEP(f, um_group_add(f->s, "devs", 6000, NULL, NULL));
	STEP(f, um_group_add(f->s, "ops", 6001, NULL, NULL));
	STEP(f, um_group_add_member(f->s, "devs", "alice"));
	STEP(f, um_group_add_member(f->s, "devs", "bob"));
	STEP(f, um_group_add_member(f->s, "ops", "bob"));
	STEP(f, um_group_add_member(f->s, "alice", "carol")); /* a private group */
	STEP(f, um_user_edit(f->s, "alice",
			     SPEC(.full_name = "Alice Liddell", .home = "/srv/a",
				  .shell = "/bin/zsh")));
	STEP(f, um_user_edit(f->s, "bob", SPEC(.group = "ops")));
	/* a rename: passwd, the private group, every member list, usergroups */
	STEP(f, um_user_edit(f->s, "alice", SPEC(.rename = "alicia")));
	/* a name given up and taken by another user */
	STEP(f, um_user_edit(f->s, "carol", SPEC(.rename = "zoe")));
	STEP(f, um_user_add(f->s, "carol", NULL, NULL));
	STEP(f, um_group_add_member(f->s, "devs", "carol"));
	STEP(f, um_group_remove_member(f->s, "devs", "bob"));
	STEP(f, um_group_remove_member(f->s, "ops", "bob")); /* bob's row goes */
	STEP(f, um_group_add_member(f->s, "ops", "zoe"));
	STEP(f, um_group_delete(f->s, "devs")); /* members alicia, carol */
	STEP(f, um_user_delete(f->s, "zoe"));	/* in ops and her private group */
	STEP(f, um_user_delete(f->s, "alicia"));
	/* a big group, then a rename of one member and a delete of another */
	assert_ok(um_group_add(f->s, "big", 7000, NULL, NULL));
	for (int i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "user%03d", i);
		assert_ok(um_user_add(f->s, name, NULL, NULL));
		assert_ok(um_group_add_member(f->s, "big", name));
	}
	check_patched(f, true, "300 users in a big group");
	STEP(f, um_user_edit(f->s, "user150", SPEC(.rename = "aaa-first")));
	STEP(f, um_user_delete(f->s, "user007"));
	STEP(f, um_group_delete(f->s, "big"));
	/* a change NSS does not see publishes nothing: still the marked file */
	assert_ok(um_user_set_password(f->s, "carol", "a fine password"));
	assert_true(snapshot_is_marked(f));
}

/* Writes straight into the truth and bumps the generation, without
 * publishing: what a crash between commit and publish leaves. */
/* Publishing fails until unblock_publish(): a directory where the publish
 * lock goes. Changes still commit (and say the snapshot is behind), as
 * after a crash between commit and publish. */
static char *block_publish(struct fixture *f)
{
	char *lock = um_asprintf("%s/.publish.lock", f->store_dir);

	assert_non_null(lock);
	unlink(lock);
	assert_int_equal(mkdir(lock, 0700), 0);
	return lock;
}

static void unblock_publish(char *lock)
{
	assert_int_equal(rmdir(lock), 0);
	free(lock);
}

static void test_patch_after_crash(void **state)
{
	struct fixture *f = *state;
	struct um_user_spec spec = UM_USER_SPEC_INIT;
	char *lock;
	sqlite3 *db;

	assert_ok(um_user_add(f->s, "alice", NULL, NULL));
	assert_ok(um_user_add(f->s, "bob", NULL, NULL));
	assert_ok(um_group_add(f->s, "devs", 6000, NULL, NULL));
	assert_ok(um_group_add_member(f->s, "devs", "alice"));
	mark_snapshot(f);
	/* three commits that were never published */
	lock = block_publish(f);
	spec.rename = "al";
	assert_errno(um_user_edit(f->s, "alice", &spec), -EIO);
	assert_errno(um_group_remove_member(f->s, "devs", "al"), -EIO);
	spec.rename = NULL;
	spec.full_name = "Bob B";
	assert_errno(um_user_edit(f->s, "bob", &spec), -EIO);
	unblock_publish(lock);
	assert_int_equal(t_status(f).published_generation + 3, t_status(f).generation);
	assert_ok(um_store_publish(f->s));
	assert_int_equal(t_status(f).published_generation, t_status(f).generation);
	check_patched(f, true, "three unpublished commits");
	/* the log holds nothing that is published */
	db = t_db_open(f->truth);
	assert_int_equal(t_db_int(db, "SELECT count(*) FROM dir_changes"), 0);
	assert_int_equal(t_db_int(db, "SELECT value FROM meta WHERE key = 'log_trimmed_upto'"),
			 (int64_t)t_status(f).generation);
	sqlite3_close(db);
}

static void test_patch_refused(void **state)
{
	struct fixture *f = *state;
	char *old = um_asprintf("%s.old", f->snapshot), *bytes;
	size_t n;
	sqlite3 *db = NULL;

	assert_ok(um_user_add(f->s, "alice", NULL, NULL));
	/* an older snapshot than the log covers (the log was trimmed past it) */
	bytes = t_read_file(f->snapshot, &n);
	assert_ok(um_user_add(f->s, "bob", NULL, NULL));
	assert_ok(um_user_add(f->s, "carol", NULL, NULL));
	t_write_file(old, "", 0644);
	{
		FILE *fp = fopen(old, "we");

		assert_int_equal(fwrite(bytes, 1, n, fp), n);
		fclose(fp);
	}
	assert_int_equal(rename(old, f->snapshot), 0);
	mark_snapshot(f);
	assert_ok(um_user_add(f->s, "dave", NULL, NULL));
	check_patched(f, false, "a snapshot older than the log");

	/* a snapshot of another schema (e.g. an older build's) */
	assert_int_equal(sqlite3_open_v2(f->snapshot, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE INDEX extra ON passwd(gid)", NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	assert_ok(um_user_add(f->s, "erin", NULL, NULL));
	check_patched(f, false, "a snapshot of another schema");
	assert_int_equal(t_file_int(f->snapshot, "SELECT count(*) FROM sqlite_master "
						 "WHERE name = 'extra'"),
			 0);

	/* a snapshot that is not SQLite at all */
	t_write_file(f->snapshot, "garbage", 0644);
	assert_ok(um_user_add(f->s, "frank", NULL, NULL));
	check_patched(f, false, "a garbage snapshot");

	/* of a generation the truth does not have yet (a restored truth) */
	assert_int_equal(sqlite3_open_v2(f->snapshot, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
				      "UPDATE meta SET value = value + 100 "
				      "WHERE key = 'generation'",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	assert_ok(um_user_add(f->s, "gina", NULL, NULL));
	check_patched(f, false, "a snapshot from the future");
	free(bytes);
	free(old);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, t_setup_store, t_teardown)
	struct CMUnitTest tests[] = {
		T(test_contents_match_truth),
		T(test_empty_store_snapshot),
		T(test_no_secrets),
		T(test_file_format),
		T(test_members_packed_sorted),
		T(test_usergroups_blob),
		T(test_rename_keeps_old_readers),
		T(test_stale_temps_removed),
		T(test_modes),
		cmocka_unit_test_setup_teardown(test_modes_under_strict_umask, t_setup_config,
						t_teardown),
		T(test_unprivileged_reader),
		T(test_patch_equals_full_build),
		T(test_patch_after_crash),
		T(test_patch_refused),
	};

	RUN_TESTS(tests);
}

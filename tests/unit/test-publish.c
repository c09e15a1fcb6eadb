/* SPDX-License-Identifier: MIT */
/* Unit tests of lib/publish.c: the snapshot NSS reads (directory.db,
 * format 3: lib/snapshot-format.h). */
#include <dirent.h>
#include <grp.h>
#include <sys/wait.h>

#include "helpers.h"

#include "publish.h"
#include "snapshot-format.h"
#include "snapshot-read.h"
#include "umgmt/group.h"
#include "umgmt/user.h"

/* UM_USER_SPEC_INIT with some fields overridden (on purpose). */
#pragma GCC diagnostic ignored "-Woverride-init"
#define SPEC(...) (&(struct um_user_spec){ .kind = -1, .uid = -1, __VA_ARGS__ })

static uint32_t t_uid(struct fixture *f, const char *name)
{
	struct um_user *u = NULL;
	uint32_t uid;

	assert_ok(um_user_get(f->s, name, &u));
	uid = u->uid;
	um_user_free(u);
	return uid;
}

static uint32_t t_user_gid(struct fixture *f, const char *name)
{
	struct um_user *u = NULL;
	uint32_t gid;

	assert_ok(um_user_get(f->s, name, &u));
	gid = u->gid;
	um_user_free(u);
	return gid;
}

static uint32_t t_gid(struct fixture *f, const char *name)
{
	struct um_group *g = NULL;
	uint32_t gid;

	assert_ok(um_group_get(f->s, name, &g));
	gid = g->gid;
	um_group_free(g);
	return gid;
}

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

/* ---- reading what was published ---- */

/* The published snapshot (and its base), mapped. */
struct pub {
	struct um_snapshot_file *file;
	const struct um_snap *snap;
};

static struct pub pub_map(struct fixture *f)
{
	struct pub p;

	if (t_try(um_snapshot_map(f->snapshot, &p.snap, &p.file)) < 0)
		fail_msg("cannot map %s: %s", f->snapshot, um_error_text(t_last_err));
	return p;
}

static void pub_unmap(struct pub *p)
{
	um_snapshot_unmap(p->file);
}

/* Everything the snapshot serves (tests/unit/helpers.h), after its
 * generation. */
static char *dump(const struct um_snap *s)
{
	char *body = t_snap_dump(s);
	char *out = um_asprintf("generation %llu\n%s", (unsigned long long)s->generation, body);

	free(body);
	return out;
}

static char *dump_published(struct fixture *f)
{
	struct pub p = pub_map(f);
	char *d = dump(p.snap);

	pub_unmap(&p);
	return d;
}

/* What a full build from the truth would publish now. */
static char *dump_full_build(struct fixture *f)
{
	uint8_t *img;
	size_t len;
	struct um_snap s;
	char *d;

	assert_ok(um_publish_full_image(f->s, &img, &len));
	assert_ok(um_snap_open(img, len, &s));
	assert_int_equal(s.base_generation, 0);
	d = dump(&s);
	free(img);
	return d;
}

static void test_contents_match_truth(void **state)
{
	struct fixture *f = *state;
	char *d, *want;

	populate(f);
	d = dump_published(f);
	/* users in uid order (the order they were added), each with its
	 * supplementary gids; members in uid order */
	want = um_asprintf(
		"generation %llu\n"
		"alice:%u:%u:Alice Liddell:/srv/alice:/bin/zsh:\n"
		"zed:%u:%u::/home/zed:/bin/bash:%u\n"
		"amy:%u:%u::/home/amy:/bin/bash:%u\n"
		"bob:%u:%u::/home/bob:/bin/bash:%u,%u\n",
		/* bob's primary group is the machine's "users" */
		(unsigned long long)t_status(f).generation, t_uid(f, "alice"), t_uid(f, "alice"),
		t_uid(f, "zed"), t_uid(f, "zed"), t_gid(f, "devs"), t_uid(f, "amy"),
		t_uid(f, "amy"), t_gid(f, "devs"), t_uid(f, "bob"), t_user_gid(f, "bob"),
		t_gid(f, "alice") < t_gid(f, "devs") ? t_gid(f, "alice") : t_gid(f, "devs"),
		t_gid(f, "alice") < t_gid(f, "devs") ? t_gid(f, "devs") : t_gid(f, "alice"));
	if (strncmp(d, want, strlen(want)))
		fail_msg("published:\n%s\nwanted first:\n%s", d, want);
	assert_non_null(strstr(d, "\ndevs:"));
	{
		char *devs = um_asprintf("\ndevs:%u:zed,amy,bob\n", t_gid(f, "devs"));
		char *empty = um_asprintf("\nempty:%u:\n", t_gid(f, "empty"));
		char *alice = um_asprintf("\nalice:%u:bob\n", t_gid(f, "alice"));

		assert_non_null(strstr(d, devs));
		assert_non_null(strstr(d, empty));
		assert_non_null(strstr(d, alice));
		free(devs);
		free(empty);
		free(alice);
	}
	free(want);
	free(d);
}

static void test_empty_store_snapshot(void **state)
{
	struct fixture *f = *state;
	struct pub p = pub_map(f);

	assert_int_equal(p.snap->format, UM_SNAP_FORMAT);
	assert_int_equal(p.snap->n_users, 0);
	assert_int_equal(p.snap->n_groups, 0);
	assert_int_equal(p.snap->base_generation, 0);
	assert_int_equal(p.snap->generation, t_status(f).generation);
	pub_unmap(&p);
}

/* Every snapshot file of the store (directory.db and its bases). */
static char *all_snapshot_bytes(struct fixture *f, size_t *ret_n)
{
	DIR *d = opendir(f->store_dir);
	struct dirent *e;
	char *all = NULL;
	size_t n = 0;

	assert_non_null(d);
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, "directory.db", 12))
			continue;
		char *path = um_asprintf("%s/%s", f->store_dir, e->d_name), *b;
		size_t k;
		b = t_read_file(path, &k);
		all = realloc(all, n + k + 1);
		assert_non_null(all);
		memcpy(all + n, b, k);
		n += k;
		free(b);
		free(path);
	}
	closedir(d);
	*ret_n = n;
	return all;
}

static void test_no_secrets(void **state)
{
	struct fixture *f = *state;
	char *bytes, *hash;
	size_t n;
	sqlite3 *db;

	populate(f);
	assert_ok(um_user_edit(f->s, "amy", SPEC(.full_name = "Amy"))); /* an overlay too */
	/* the truth does hold them (or this test would prove nothing) */
	db = t_db_open(f->truth);
	hash = t_db_text(db, "SELECT password_hash FROM users WHERE name = 'alice'");
	sqlite3_close(db);
	assert_non_null(hash);

	bytes = all_snapshot_bytes(f, &n);
	assert_true(n > 0);
	assert_true(t_mem_has(bytes, n, "Alice Liddell")); /* the search works */
	assert_false(t_mem_has(bytes, n, "alice.secret@example.org"));
	assert_false(t_mem_has(bytes, n, "amy.private"));
	assert_false(t_mem_has(bytes, n, "@example."));
	assert_false(t_mem_has(bytes, n, "$argon2"));
	assert_false(t_mem_has(bytes, n, hash + strlen(hash) - 20)); /* the digest's tail */
	assert_false(t_mem_has(bytes, n, "correct horse"));
	assert_false(t_mem_has(bytes, n, "Developers")); /* descriptions are not served */
	free(bytes);
	free(hash);
}

static void test_file_format(void **state)
{
	struct fixture *f = *state;
	size_t n;
	char *bytes;
	struct stat st;
	struct um_snap s;

	populate(f);
	assert_ok(um_store_publish(f->s));
	bytes = t_read_file(f->snapshot, &n);
	assert_int_equal(stat(f->snapshot, &st), 0);
	assert_int_equal((size_t)st.st_size, n);
	assert_memory_equal(bytes, "UMGMTDIR", 8);
	assert_int_equal(um_rd32((uint8_t *)bytes + UM_SNAP_H_FORMAT), 3);
	assert_int_equal(um_rd32((uint8_t *)bytes + UM_SNAP_H_HEADER_SIZE), 160);
	assert_int_equal(um_rd64((uint8_t *)bytes + UM_SNAP_H_FILE_SIZE), n);
	assert_ok(um_snap_open(bytes, n, &s));
	/* one byte short: refused, and the detail says why */
	assert_errno(um_snap_open(bytes, n - 1, &s), -EBADMSG);
	assert_detail_has("but its header says");
	free(bytes);
}

static void test_user_gids_ascending(void **state)
{
	struct fixture *f = *state;
	struct pub p;
	struct um_dir_user u;

	assert_ok(um_user_add(f->s, "alice", NULL, NULL));
	assert_ok(um_user_add(f->s, "bob", NULL, NULL));
	assert_ok(um_group_add(f->s, "gthree", 5003, NULL, NULL));
	assert_ok(um_group_add(f->s, "gone", 5001, NULL, NULL));
	assert_ok(um_group_add(f->s, "gtwo", 5002, NULL, NULL));
	/* joined in an order that is neither gid nor name order */
	assert_ok(um_group_add_member(f->s, "gtwo", "alice"));
	assert_ok(um_group_add_member(f->s, "gthree", "alice"));
	assert_ok(um_group_add_member(f->s, "gone", "alice"));

	p = pub_map(f);
	assert_ok(um_snap_user_by_name(p.snap, "alice", 5, &u));
	assert_int_equal(u.ngids, 3);
	assert_int_equal(um_dir_user_gid(&u, 0), 5001);
	assert_int_equal(um_dir_user_gid(&u, 1), 5002);
	assert_int_equal(um_dir_user_gid(&u, 2), 5003);
	assert_ok(um_snap_user_by_name(p.snap, "bob", 3, &u));
	assert_int_equal(u.ngids, 0);
	pub_unmap(&p);

	/* leaving a group shrinks the list */
	assert_ok(um_group_remove_member(f->s, "gtwo", "alice"));
	p = pub_map(f);
	assert_ok(um_snap_user_by_name(p.snap, "alice", 5, &u));
	assert_int_equal(u.ngids, 2);
	assert_int_equal(um_dir_user_gid(&u, 0), 5001);
	assert_int_equal(um_dir_user_gid(&u, 1), 5003);
	pub_unmap(&p);
}

static void test_rename_keeps_old_readers(void **state)
{
	struct fixture *f = *state;
	struct stat before, after;
	struct pub old;
	struct um_dir_user u;
	char *old_bytes, buf[64];
	size_t old_n;
	int fd;

	assert_ok(um_user_add(f->s, "alice", NULL, NULL));
	assert_int_equal(stat(f->snapshot, &before), 0);
	old_bytes = t_read_file(f->snapshot, &old_n);
	fd = open(f->snapshot, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	old = pub_map(f);

	assert_ok(um_user_add(f->s, "bob", NULL, NULL));
	assert_int_equal(stat(f->snapshot, &after), 0);
	assert_int_not_equal(before.st_ino, after.st_ino); /* replaced, not rewritten */

	/* a reader holding the old file still reads the old data */
	assert_ok(um_snap_user_by_name(old.snap, "alice", 5, &u));
	assert_errno(um_snap_user_by_name(old.snap, "bob", 3, &u), -ESRCH);
	pub_unmap(&old);
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

/* As root: an unprivileged process (nobody) maps and reads the snapshot
 * (and its base) read-only, and cannot write either. */
static void test_unprivileged_reader(void **state)
{
	struct fixture *f = *state;
	int status;
	pid_t pid;

	assert_ok(um_user_add(f->s, "alice", NULL, NULL));
	assert_ok(um_user_add(f->s, "bob", NULL, NULL));
	if (geteuid() != 0) {
		struct pub p = pub_map(f);
		assert_int_equal(p.snap->n_users + p.snap->under->n_users, 2);
		pub_unmap(&p);
		return;
	}
	assert_int_equal(chmod(f->dir, 0755), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		const struct um_snap *s;
		struct um_snapshot_file *file;
		struct um_dir_user u;

		if (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0)
			_exit(10);
		if (access(f->snapshot, W_OK) == 0)
			_exit(11); /* must not be writable for nobody */
		if (um_snapshot_map(f->snapshot, &s, &file) < 0)
			_exit(12);
		if (um_snap_user_by_name(s, "alice", 5, &u) < 0 ||
		    um_snap_user_by_name(s, "bob", 3, &u) < 0)
			_exit(13);
		um_snapshot_unmap(file);
		/* the truth stays closed to nobody */
		if (open(f->truth, O_RDONLY | O_CLOEXEC) >= 0)
			_exit(14);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* ---- overlays and merges: what is published equals a full build ---- */

/* The kind of snapshot published: an overlay over a base, or standalone. */
static bool published_is_overlay(struct fixture *f)
{
	struct pub p = pub_map(f);
	bool o = p.snap->base_generation != 0;

	pub_unmap(&p);
	return o;
}

/* What is published serves exactly what a full build from the same truth
 * would, and is of the kind expected. */
static void check_published(struct fixture *f, bool want_overlay, const char *step)
{
	char *published, *full;

	if (published_is_overlay(f) != want_overlay)
		fail_msg("after %s: the snapshot is %s", step,
			 want_overlay ? "standalone, not an overlay"
				      : "an overlay, not standalone");
	published = dump_published(f);
	full = dump_full_build(f);
	if (strcmp(published, full))
		fail_msg("after %s: the published snapshot differs from a full build:\n"
			 "--- published\n%s--- full\n%s",
			 step, published, full);
	free(published);
	free(full);
}

#define STEP(f, call)                                                                              \
	do {                                                                                       \
		assert_ok(call);                                                                   \
		check_published((f), true, #call);                                                 \
	} while (0)

/* The bases beside the snapshot. */
static int count_bases(struct fixture *f)
{
	DIR *d = opendir(f->store_dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += !strncmp(e->d_name, "directory.db.base.", 18);
	closedir(d);
	return n;
}

static void test_overlay_equals_full_build(void **state)
{
	struct fixture *f = *state;
	char name[32];

	/* the first change over the store's first (standalone) snapshot */
	STEP(f, um_user_add(f->s, "alice", SPEC(.full_name = "Alice"), NULL));
	assert_int_equal(count_bases(f), 1);
	STEP(f, um_store_publish(f->s));				 /* nothing changed */
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
	/* a rename: passwd, the private group, every member list */
	STEP(f, um_user_edit(f->s, "alice", SPEC(.rename = "alicia")));
	/* a name given up and taken by another user */
	STEP(f, um_user_edit(f->s, "carol", SPEC(.rename = "zoe")));
	STEP(f, um_user_add(f->s, "carol", NULL, NULL));
	STEP(f, um_group_add_member(f->s, "devs", "carol"));
	STEP(f, um_group_remove_member(f->s, "devs", "bob"));
	STEP(f, um_group_remove_member(f->s, "ops", "bob"));
	STEP(f, um_group_add_member(f->s, "ops", "zoe"));
	STEP(f, um_group_delete(f->s, "devs")); /* members alicia, carol */
	STEP(f, um_user_delete(f->s, "zoe"));	/* in ops and her private group */
	STEP(f, um_user_delete(f->s, "alicia"));
	assert_int_equal(count_bases(f), 1);

	/* over a base with a big group: a rename, a delete, the group itself */
	assert_ok(um_group_add(f->s, "big", 7000, NULL, NULL));
	for (int i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "user%03d", i);
		assert_ok(um_user_add(f->s, name, NULL, NULL));
		assert_ok(um_group_add_member(f->s, "big", name));
	}
	/* a new base: the full build a missing snapshot gets */
	assert_int_equal(unlink(f->snapshot), 0);
	assert_ok(um_store_publish(f->s));
	check_published(f, false, "a full build");
	STEP(f, um_user_edit(f->s, "user150", SPEC(.rename = "aaa-first")));
	STEP(f, um_user_edit(f->s, "user151", SPEC(.full_name = "Only The GECOS")));
	STEP(f, um_user_delete(f->s, "user007"));
	STEP(f, um_group_delete(f->s, "big"));
	/* a change NSS does not see publishes nothing */
	{
		struct stat a, b;

		assert_int_equal(stat(f->snapshot, &a), 0);
		assert_ok(um_user_set_password(f->s, "carol", "a fine password"));
		assert_int_equal(stat(f->snapshot, &b), 0);
		assert_int_equal(a.st_ino, b.st_ino);
	}
}

/* Past the overlay's limit the base and the changes are merged into a
 * new standalone snapshot; past the merge's, a full build. */
static void test_merge_past_the_overlay_limit(void **state)
{
	struct fixture *f = *state;
	char name[32];

	assert_ok(um_group_add(f->s, "team", 6100, NULL, NULL));
	for (int i = 0; i < 5; i++) {
		snprintf(name, sizeof(name), "m%d", i);
		assert_ok(um_user_add(f->s, name, NULL, NULL));
		assert_ok(um_group_add_member(f->s, "team", name));
	}
	assert_int_equal(unlink(f->snapshot), 0);
	assert_ok(um_store_publish(f->s)); /* a standalone base of 5 users */
	um_publish_set_limits(f->s, 3, 6);
	STEP(f, um_user_edit(f->s, "m0", SPEC(.full_name = "One")));	/* 1 key */
	STEP(f, um_user_edit(f->s, "m1", SPEC(.full_name = "Two")));	/* 2 */
	STEP(f, um_user_edit(f->s, "m2", SPEC(.full_name = "Three")));	/* 3 */
	assert_ok(um_user_edit(f->s, "m3", SPEC(.full_name = "Four"))); /* 4: merged */
	check_published(f, false, "a fourth key");
	assert_int_equal(count_bases(f), 0);			  /* the old base is gone */
	STEP(f, um_user_edit(f->s, "m4", SPEC(.rename = "m4x"))); /* over the merge */
	assert_int_equal(count_bases(f), 1);
	/* more keys than a merge takes: a full build */
	um_publish_set_limits(f->s, 1, 2);
	/* g1 and m4x's user and private group: 3 keys since the base */
	assert_ok(um_group_add(f->s, "g1", 6101, NULL, NULL));
	check_published(f, false, "more keys than a merge takes");
	assert_int_equal(count_bases(f), 0);
}

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

static void test_overlay_after_crash(void **state)
{
	struct fixture *f = *state;
	struct um_user_spec spec = UM_USER_SPEC_INIT;
	char *lock;
	sqlite3 *db;
	struct pub p;
	uint64_t base;

	assert_ok(um_user_add(f->s, "alice", NULL, NULL));
	assert_ok(um_user_add(f->s, "bob", NULL, NULL));
	assert_ok(um_group_add(f->s, "devs", 6000, NULL, NULL));
	assert_ok(um_group_add_member(f->s, "devs", "alice"));
	p = pub_map(f);
	base = p.snap->base_generation;
	pub_unmap(&p);
	assert_true(base > 0);
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
	check_published(f, true, "three unpublished commits");
	/* the log keeps what the overlay needs: everything since its base */
	db = t_db_open(f->truth);
	assert_int_equal(t_db_int(db, "SELECT min(gen) > 0 FROM dir_changes"), 1);
	assert_int_equal(t_db_int(db, "SELECT value FROM meta WHERE key = 'log_trimmed_upto'"),
			 (int64_t)base);
	sqlite3_close(db);
}

/* Replaces the published snapshot with the bytes given. */
static void put_snapshot(struct fixture *f, const char *bytes, size_t n)
{
	char *tmp = um_asprintf("%s.put", f->snapshot);
	FILE *fp = fopen(tmp, "we");

	assert_non_null(fp);
	assert_int_equal(fwrite(bytes, 1, n, fp), n);
	fclose(fp);
	assert_int_equal(chmod(tmp, 0644), 0);
	assert_int_equal(rename(tmp, f->snapshot), 0);
	free(tmp);
}

static void test_overlay_refused(void **state)
{
	struct fixture *f = *state;
	char *bytes;
	size_t n;
	struct pub p;
	uint64_t base;

	assert_ok(um_user_add(f->s, "alice", NULL, NULL));
	assert_int_equal(unlink(f->snapshot), 0);
	assert_ok(um_store_publish(f->s));
	bytes = t_read_file(f->snapshot, &n); /* a standalone of generation G */
	assert_ok(um_user_add(f->s, "bob", NULL, NULL));
	check_published(f, true, "bob");
	/* a standalone older than the log covers (trimmed past it by a full
	 * build): rebuilt in full */
	assert_int_equal(unlink(f->snapshot), 0);
	assert_ok(um_store_publish(f->s));
	put_snapshot(f, bytes, n);
	assert_ok(um_user_add(f->s, "carol", NULL, NULL));
	check_published(f, false, "a snapshot older than the log");
	free(bytes);

	/* an overlay whose base is missing */
	assert_ok(um_user_add(f->s, "dave", NULL, NULL));
	p = pub_map(f);
	base = p.snap->base_generation;
	pub_unmap(&p);
	{
		char *bp = um_snapshot_base_path(f->snapshot, base);

		assert_int_equal(unlink(bp), 0);
		free(bp);
	}
	assert_ok(um_user_add(f->s, "erin", NULL, NULL));
	check_published(f, false, "an overlay without its base");

	/* a snapshot that is none at all */
	t_write_file(f->snapshot, "garbage", 0644);
	assert_ok(um_user_add(f->s, "frank", NULL, NULL));
	check_published(f, false, "a garbage snapshot");

	/* of a generation the truth does not have yet (a restored truth) */
	bytes = t_read_file(f->snapshot, &n);
	um_wr64((uint8_t *)bytes + UM_SNAP_H_GENERATION, t_status(f).generation + 100);
	um_wr32((uint8_t *)bytes + UM_SNAP_H_CHECK,
		um_snap_crc(UM_SNAP_SEED_HEADER, bytes, UM_SNAP_H_CHECK));
	put_snapshot(f, bytes, n);
	assert_ok(um_user_add(f->s, "gina", NULL, NULL));
	check_published(f, false, "a snapshot from the future");
	free(bytes);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, t_setup_store, t_teardown)
	struct CMUnitTest tests[] = {
		T(test_contents_match_truth),
		T(test_empty_store_snapshot),
		T(test_no_secrets),
		T(test_file_format),
		T(test_user_gids_ascending),
		T(test_rename_keeps_old_readers),
		T(test_stale_temps_removed),
		T(test_modes),
		cmocka_unit_test_setup_teardown(test_modes_under_strict_umask, t_setup_config,
						t_teardown),
		T(test_unprivileged_reader),
		T(test_overlay_equals_full_build),
		T(test_merge_past_the_overlay_limit),
		T(test_overlay_after_crash),
		T(test_overlay_refused),
	};

	RUN_TESTS(tests);
}

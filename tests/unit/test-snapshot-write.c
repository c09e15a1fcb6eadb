/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of lib/snapshot-write.c: um_snap_build(), the layout of a
 * snapshot (format 3, lib/snapshot-format.h) from its content.
 *
 * What a layout is worth is what the reader (lib/directory.c) makes of
 * it, so most tests build an image and read it back through
 * um_snap_open() and the look-ups NSS uses; the raw bytes are looked at
 * only for what the format promises about them (one copy of a shared
 * string, the same bytes for the same content, an overlay's header).
 */
#include "helpers.h"

#include "snapshot-format.h"
#include "snapshot-read.h"
#include "snapshot-write.h"

/* ---- content ---- */

/* A directory being put together for um_snap_build(). Strings are the
 * caller's (literals, mostly); gid lists and member ordinals live here. */
struct dir {
	struct um_snap_user_in users[16];
	uint8_t gids[16][4 * 8];
	struct um_snap_group_in groups[8];
	uint32_t members[8][8];
	size_t n_users, n_groups;
	struct um_snap_content c;
};

#define GIDS(...)                                                                                  \
	(const uint32_t[]){ __VA_ARGS__ }, UM_ELEMENTSOF(((const uint32_t[]){ __VA_ARGS__ }))
#define NO_GIDS NULL, 0
#define MEMBERS GIDS
#define NO_MEMBERS NULL, 0

static struct um_snap_user_in *user(struct dir *d, const char *name, uint32_t uid, uint32_t gid,
				    const char *gecos, const char *home, const char *shell,
				    const uint32_t *gids, size_t ngids)
{
	size_t i = d->n_users++;

	assert_true(i < UM_ELEMENTSOF(d->users) && ngids <= 8);
	for (size_t k = 0; k < ngids; k++)
		um_wr32(d->gids[i] + 4 * k, gids[k]);
	d->users[i] = (struct um_snap_user_in){
		.uid = uid,
		.gid = gid,
		.ngids = (uint32_t)ngids,
		.gids = d->gids[i],
		.name = name,
		.name_len = strlen(name),
		.gecos = gecos,
		.gecos_len = strlen(gecos),
		.home = home,
		.home_len = strlen(home),
		.shell = shell,
		.shell_len = strlen(shell),
	};
	return &d->users[i];
}

/* A group whose members are given as ordinals into d's users. */
static struct um_snap_group_in *group(struct dir *d, const char *name, uint32_t gid,
				      const uint32_t *members, size_t nmem)
{
	size_t g = d->n_groups++;

	assert_true(g < UM_ELEMENTSOF(d->groups) && nmem <= 8);
	if (nmem)
		memcpy(d->members[g], members, nmem * sizeof(*members));
	d->groups[g] = (struct um_snap_group_in){
		.gid = gid,
		.name = name,
		.name_len = strlen(name),
		.members = d->members[g],
		.nmem = nmem,
	};
	return &d->groups[g];
}

static const struct um_snap_content *content(struct dir *d)
{
	d->c.users = d->users;
	d->c.n_users = d->n_users;
	d->c.groups = d->groups;
	d->c.n_groups = d->n_groups;
	if (!d->c.generation)
		d->c.generation = 42;
	return &d->c;
}

/* Five users and five groups that use every kind of field once: uid and
 * gid 0, a home that is PARENT/NAME and one that is not, shells shared
 * and not, supplementary groups, groups with and without members. */
static void small_directory(struct dir *d)
{
	user(d, "root", 0, 0, "root", "/root", "/bin/bash", NO_GIDS);
	user(d, "alice", 1000, 100, "Alice Liddell,,,", "/home/alice", "/bin/bash",
	     GIDS(2000, 2001));
	user(d, "bob", 1001, 100, "", "/srv/bob", "/bin/zsh", GIDS(2000));
	user(d, "carol", 1002, 100, "Carol", "/home/carol", "/usr/sbin/nologin", NO_GIDS);
	user(d, "nobody", 65534, 65534, "nobody", "/nonexistent", "/usr/sbin/nologin", NO_GIDS);
	group(d, "root", 0, NO_MEMBERS);
	group(d, "users", 100, NO_MEMBERS);
	group(d, "devs", 2000, MEMBERS(1, 2)); /* alice, bob */
	group(d, "ops", 2001, MEMBERS(1));     /* alice */
	group(d, "nogroup", 65534, NO_MEMBERS);
	d->c.published_at = 1767225600; /* 2026-01-01 */
}

/* ---- images ---- */

/* A built image and the reader's view of it. */
struct img {
	uint8_t *b;
	size_t n;
	struct um_snap s;
};

static struct img build(const struct um_snap_content *c)
{
	struct img im;

	if (t_try(um_snap_build(c, &im.b, &im.n)) < 0)
		fail_msg("um_snap_build: %s", um_error_text(t_last_err));
	if (t_try(um_snap_open(im.b, im.n, &im.s)) < 0)
		fail_msg("um_snap_open of a fresh build: %s", um_error_text(t_last_err));
	return im;
}

static void img_free(struct img *im)
{
	free(im->b);
	im->b = NULL;
}

static bool same_bytes(const struct img *a, const struct img *b)
{
	return a->n == b->n && memcmp(a->b, b->b, a->n) == 0;
}

/* How often needle occurs in the image. */
static size_t occurrences(const struct img *im, const char *needle)
{
	size_t n = 0, len = strlen(needle);
	const uint8_t *p = im->b, *end = im->b + im->n;

	while ((p = memmem(p, (size_t)(end - p), needle, len))) {
		n++;
		p++;
	}
	return n;
}

/* Pool string i, as the format lays the pool out: u32 count, u32
 * offsets, each string as u16 length and bytes (malloc'd). */
static char *pool_string(const struct um_snap *s, uint32_t i)
{
	const uint8_t *p = s->base + s->pool;
	uint32_t o = um_rd32(p + 4 + 4 * (size_t)i);

	assert_true(i < s->pool_count);
	return strndup((const char *)p + o + 2, um_rd16(p + o));
}

/* ---- what the reader serves ---- */

static void assert_dump(const struct um_snap *s, const char *want)
{
	char *d = t_snap_dump(s);

	if (strcmp(d, want))
		fail_msg("the snapshot serves:\n%s--- expected:\n%s", d, want);
	free(d);
}

/* The home of u as one string (malloc'd). */
static char *home_of(const struct um_dir_user *u)
{
	return um_asprintf("%.*s%.*s", (int)u->dir_len, u->dir, (int)u->dir_tail_len, u->dir_tail);
}

/* ---- round trip ---- */

static void test_small_directory_round_trips(void **state _unused_)
{
	struct dir d = { 0 };
	struct img im;

	small_directory(&d);
	im = build(content(&d));
	assert_int_equal(im.s.format, UM_SNAP_FORMAT);
	assert_int_equal(im.s.generation, 42);
	assert_int_equal(im.s.published_at, 1767225600);
	assert_int_equal(im.s.n_users, 5);
	assert_int_equal(im.s.n_groups, 5);
	/* standalone: no base, no touched section */
	assert_int_equal(im.s.base_generation, 0);
	assert_int_equal(um_rd32(im.b + UM_SNAP_H_TOUCHED + 4), 0);
	assert_int_equal(um_rd64(im.b + UM_SNAP_H_FILE_SIZE), im.n);
	/* every field of every user and group; members in the order given */
	assert_dump(&im.s, "root:0:0:root:/root:/bin/bash:\n"
			   "alice:1000:100:Alice Liddell,,,:/home/alice:/bin/bash:2000,2001\n"
			   "bob:1001:100::/srv/bob:/bin/zsh:2000\n"
			   "carol:1002:100:Carol:/home/carol:/usr/sbin/nologin:\n"
			   "nobody:65534:65534:nobody:/nonexistent:/usr/sbin/nologin:\n"
			   "root:0:\n"
			   "users:100:\n"
			   "devs:2000:alice,bob\n"
			   "ops:2001:alice\n"
			   "nogroup:65534:\n");
	img_free(&im);
}

static void test_names_and_ids_not_there(void **state _unused_)
{
	struct dir d = { 0 };
	struct um_dir_user u;
	struct um_dir_group g;
	struct img im;

	small_directory(&d);
	im = build(content(&d));
	assert_errno(um_snap_user_by_name(&im.s, "dave", 4, &u), -ESRCH);
	assert_errno(um_snap_user_by_name(&im.s, "alic", 4, &u), -ESRCH); /* a prefix */
	assert_errno(um_snap_user_by_uid(&im.s, 1003, &u), -ESRCH);
	assert_errno(um_snap_group_by_name(&im.s, "dev", 3, &g), -ESRCH);
	assert_errno(um_snap_group_by_gid(&im.s, 2002, &g), -ESRCH);
	/* users and groups are separate tables: a group's gid is no uid */
	assert_errno(um_snap_user_by_uid(&im.s, 2000, &u), -ESRCH);
	assert_errno(um_snap_group_by_name(&im.s, "alice", 5, &g), -ESRCH);
	img_free(&im);
}

static void test_empty_directory(void **state _unused_)
{
	struct dir d = { 0 };
	struct um_snap_cursor c = { 0 };
	struct um_dir_user u;
	struct um_dir_group g;
	struct img im = build(content(&d));

	assert_int_equal(im.s.n_users, 0);
	assert_int_equal(im.s.n_groups, 0);
	assert_int_equal(im.s.pool_count, 0);
	assert_errno(um_snap_next_user(&im.s, &c, &u), -ESRCH);
	memset(&c, 0, sizeof(c));
	assert_errno(um_snap_next_group(&im.s, &c, &g), -ESRCH);
	assert_errno(um_snap_user_by_uid(&im.s, 0, &u), -ESRCH);
	assert_errno(um_snap_group_by_name(&im.s, "root", 4, &g), -ESRCH);
	img_free(&im);
}

/* The longest strings each field holds fit, and read back whole. */
static void test_longest_strings_fit(void **state _unused_)
{
	char *name = malloc(256), *big = malloc(UM_SNAP_STRING_MAX + 1);
	struct dir d = { 0 };
	struct um_snap_user_in *u;
	struct um_dir_user got;
	struct img im;
	char *home;

	assert_non_null(name);
	assert_non_null(big);
	memset(name, 'n', 255);
	name[255] = '\0';
	memset(big, 'x', UM_SNAP_STRING_MAX);
	big[UM_SNAP_STRING_MAX] = '\0';
	u = user(&d, name, 1000, 100, big, big, big, NO_GIDS);
	assert_int_equal(u->name_len, 255);
	assert_int_equal(u->gecos_len, UM_SNAP_STRING_MAX);
	group(&d, big, 100, MEMBERS(0));
	im = build(content(&d));

	assert_ok(um_snap_user_by_name(&im.s, name, 255, &got));
	assert_int_equal(got.name_len, 255);
	assert_int_equal(got.gecos_len, UM_SNAP_STRING_MAX);
	assert_memory_equal(got.gecos, big, UM_SNAP_STRING_MAX);
	assert_int_equal(got.shell_len, UM_SNAP_STRING_MAX);
	assert_memory_equal(got.shell, big, UM_SNAP_STRING_MAX);
	home = home_of(&got);
	assert_string_equal(home, big);
	free(home);
	/* a group name of UM_SNAP_STRING_MAX bytes, listing that user */
	{
		struct um_dir_group g;
		char buf[256], *mem[2];

		assert_ok(um_snap_group_by_name(&im.s, big, UM_SNAP_STRING_MAX, &g));
		assert_int_equal(g.gid, 100);
		assert_ok(um_directory_group_members(&g, buf, sizeof(buf), mem));
		assert_string_equal(mem[0], name);
		assert_null(mem[1]);
	}
	img_free(&im);
	free(name);
	free(big);
}

/* ---- the same content, the same bytes ---- */

static void test_same_content_same_bytes(void **state _unused_)
{
	struct dir d = { 0 }, copy;
	struct img a, b, c;

	small_directory(&d);
	a = build(content(&d));
	b = build(content(&d));
	assert_true(same_bytes(&a, &b));

	/* the bytes come from the content, not from where it lies: the same
	 * strings in other buffers give the same image */
	copy = d;
	for (size_t i = 0; i < copy.n_users; i++) {
		struct um_snap_user_in *u = &copy.users[i];
		u->name = strndup(u->name, u->name_len);
		u->gecos = strndup(u->gecos, u->gecos_len);
		u->home = strndup(u->home, u->home_len);
		u->shell = strndup(u->shell, u->shell_len);
	}
	c = build(content(&copy));
	assert_true(same_bytes(&a, &c));
	for (size_t i = 0; i < copy.n_users; i++) {
		free((char *)copy.users[i].name);
		free((char *)copy.users[i].gecos);
		free((char *)copy.users[i].home);
		free((char *)copy.users[i].shell);
	}
	img_free(&a);
	img_free(&b);
	img_free(&c);
}

/* ---- the string pool ---- */

static void test_pool_shares_shells_and_home_parents(void **state _unused_)
{
	struct dir d = { 0 };
	struct img im;
	char *s0, *s1;

	user(&d, "alice", 1000, 100, "", "/home/alice", "/bin/bash", NO_GIDS);
	user(&d, "bob", 1001, 100, "", "/home/bob", "/bin/bash", NO_GIDS);
	im = build(content(&d));

	/* one copy of the shell, one of the parent of the homes */
	assert_int_equal(im.s.pool_count, 2);
	s0 = pool_string(&im.s, 0);
	s1 = pool_string(&im.s, 1);
	assert_string_equal(s0, "/bin/bash");
	assert_string_equal(s1, "/home/");
	assert_int_equal(occurrences(&im, "/bin/bash"), 1);
	assert_int_equal(occurrences(&im, "/home/"), 1);
	/* and both users still have them */
	assert_dump(&im.s, "alice:1000:100::/home/alice:/bin/bash:\n"
			   "bob:1001:100::/home/bob:/bin/bash:\n");
	free(s0);
	free(s1);
	img_free(&im);
}

static void test_pool_is_sorted(void **state _unused_)
{
	static const char *const want[] = { "/bin/bash", "/bin/dash", "/bin/zsh", "/home/" };
	struct dir a = { 0 }, b = { 0 };
	struct img ia, ib;

	/* the same strings, first met in two different orders */
	user(&a, "alice", 1000, 100, "", "/home/alice", "/bin/zsh", NO_GIDS);
	user(&a, "bob", 1001, 100, "", "/home/bob", "/bin/bash", NO_GIDS);
	user(&a, "carol", 1002, 100, "", "/home/carol", "/bin/dash", NO_GIDS);
	user(&b, "alice", 1000, 100, "", "/home/alice", "/bin/dash", NO_GIDS);
	user(&b, "bob", 1001, 100, "", "/home/bob", "/bin/bash", NO_GIDS);
	user(&b, "carol", 1002, 100, "", "/home/carol", "/bin/zsh", NO_GIDS);
	ia = build(content(&a));
	ib = build(content(&b));

	assert_int_equal(ia.s.pool_count, UM_ELEMENTSOF(want));
	for (uint32_t i = 0; i < UM_ELEMENTSOF(want); i++) {
		char *s = pool_string(&ia.s, i);
		assert_string_equal(s, want[i]);
		free(s);
	}
	/* byte for byte the same pool, whoever used a string first */
	assert_int_equal(ia.s.pool_len, ib.s.pool_len);
	assert_memory_equal(ia.b + ia.s.pool, ib.b + ib.s.pool, ia.s.pool_len);
	img_free(&ia);
	img_free(&ib);
}

/* A pool that is full keeps the strings that come after inline, where
 * they read back as well. */
static void test_full_pool_keeps_strings_inline(void **state _unused_)
{
	enum { N = 4200 }; /* more distinct shells than the pool takes */
	struct um_snap_user_in *users = calloc(N, sizeof(*users));
	char(*names)[16] = calloc(N, 16), (*shells)[32] = calloc(N, 32);
	struct um_snap_content c = { .users = users, .n_users = N, .generation = 1 };
	struct um_dir_user u;
	struct img im;

	assert_true(users && names && shells);
	for (uint32_t i = 0; i < N; i++) {
		snprintf(names[i], sizeof(names[i]), "u%u", i);
		snprintf(shells[i], sizeof(shells[i]), "/opt/shell-%u", i);
		users[i] = (struct um_snap_user_in){
			.uid = 10000 + i,
			.gid = 100,
			.name = names[i],
			.name_len = strlen(names[i]),
			.home = "/home/",
			.home_len = 6,
			.home_tail = names[i],
			.home_tail_len = strlen(names[i]),
			.shell = shells[i],
			.shell_len = strlen(shells[i]),
		};
	}
	im = build(&c);
	assert_true(im.s.pool_count < N);
	for (uint32_t i = 0; i < N; i++) {
		char *home, *want = um_asprintf("/home/%s", names[i]);
		assert_ok(um_snap_user_by_uid(&im.s, 10000 + i, &u));
		assert_int_equal(u.shell_len, strlen(shells[i]));
		assert_memory_equal(u.shell, shells[i], u.shell_len);
		home = home_of(&u);
		assert_string_equal(home, want);
		free(home);
		free(want);
	}
	/* the last user's shell is one of those kept inline */
	assert_ok(um_snap_user_by_uid(&im.s, 10000 + N - 1, &u));
	assert_true((const uint8_t *)u.shell > im.b + im.s.users &&
		    (const uint8_t *)u.shell < im.b + im.s.users_end);
	img_free(&im);
	free(users);
	free(names);
	free(shells);
}

/* ---- homes ---- */

/* A home that is PARENT/NAME keeps only PARENT (in the pool) and is
 * served as PARENT followed by the name; any other home is kept inline,
 * whole, and read back exactly. */
static void test_homes_read_back_exactly(void **state _unused_)
{
	static const struct {
		const char *name, *home;
		bool derived;
	} cases[] = {
		{ "alice", "/home/alice", true },
		{ "gina", "/gina", true },	   /* the parent is "/" */
		{ "bob", "/srv/www", false },	   /* another name */
		{ "carl", "/home/carlos", false }, /* the name is a prefix of the last part */
		{ "dave", "/homedave", false },	   /* no '/' before the name */
		{ "erin", "", false },		   /* no home at all */
		{ "fay", "/", false },
		{ "hal", "/home/hal/", false }, /* a trailing slash */
		{ "ida", "ida", false },	/* nothing before the name */
	};
	struct dir d = { 0 };
	struct um_dir_user u;
	struct img im;

	for (size_t i = 0; i < UM_ELEMENTSOF(cases); i++)
		user(&d, cases[i].name, 1000 + (uint32_t)i, 100, "", cases[i].home, "/bin/sh",
		     NO_GIDS);
	im = build(content(&d));
	for (size_t i = 0; i < UM_ELEMENTSOF(cases); i++) {
		char *home;

		assert_ok(um_snap_user_by_name(&im.s, cases[i].name, strlen(cases[i].name), &u));
		home = home_of(&u);
		if (strcmp(home, cases[i].home))
			fail_msg("%s: home '%s', expected '%s'", cases[i].name, home,
				 cases[i].home);
		free(home);
		if (cases[i].derived) {
			assert_ptr_equal(u.dir_tail, u.name); /* the name, not a copy */
			assert_int_equal(u.dir_tail_len, u.name_len);
		} else {
			assert_int_equal(u.dir_tail_len, 0);
		}
	}
	/* the pool: the shell and the two parents, nothing of the others */
	assert_int_equal(im.s.pool_count, 3);
	assert_int_equal(occurrences(&im, "/srv/www"), 1);
	img_free(&im);
}

/* The publisher patches a snapshot by passing each derived home of its
 * base as two pieces (the parent from the pool, the name): the bytes are
 * those of the same home in one piece. */
static void test_home_in_two_pieces(void **state _unused_)
{
	struct dir one = { 0 }, two = { 0 };
	struct um_snap_user_in *u;
	struct img a, b;

	small_directory(&one);
	small_directory(&two);
	/* alice and carol as the publisher passes them */
	u = &two.users[1];
	u->home = "/home/";
	u->home_len = 6;
	u->home_tail = "alice";
	u->home_tail_len = 5;
	u = &two.users[3];
	u->home = "/home/car";
	u->home_len = 9;
	u->home_tail = "ol"; /* the name straddles the two pieces */
	u->home_tail_len = 2;
	/* and an inline home (bob's /srv/bob) given in two pieces too */
	u = &two.users[2];
	u->home = "/srv/";
	u->home_len = 5;
	u->home_tail = "bob";
	u->home_tail_len = 3;
	a = build(content(&one));
	b = build(content(&two));
	assert_true(same_bytes(&a, &b));
	img_free(&a);
	img_free(&b);
}

/* ---- groups ---- */

/* The publisher takes a group it does not change from the published
 * snapshot as it is: its member lengths and names, laid out already.
 * That gives the bytes the same group given by member ordinals gives. */
static void test_group_members_as_names(void **state _unused_)
{
	static const uint8_t devs_lens[] = { 5, 3 }, ops_lens[] = { 5 };
	static const char devs_names[] = "alice\0bob", ops_names[] = "alice";
	struct dir ordinals = { 0 }, names = { 0 };
	struct img a, b;

	small_directory(&ordinals);
	small_directory(&names);
	names.groups[2] = (struct um_snap_group_in){
		.gid = 2000,
		.name = "devs",
		.name_len = 4,
		.nmem = 2,
		.lens = devs_lens,
		.names = devs_names,
		.names_len = sizeof(devs_names),
	};
	names.groups[3] = (struct um_snap_group_in){
		.gid = 2001,
		.name = "ops",
		.name_len = 3,
		.nmem = 1,
		.lens = ops_lens,
		.names = ops_names,
		.names_len = sizeof(ops_names),
	};
	/* an empty group as names: none */
	names.groups[1] = (struct um_snap_group_in){
		.gid = 100, .name = "users", .name_len = 5, .names = "", .names_len = 0
	};
	a = build(content(&ordinals));
	b = build(content(&names));
	assert_true(same_bytes(&a, &b));
	img_free(&a);
	img_free(&b);
}

/* ---- refusals ---- */

static char long_name[257];	   /* 256 bytes: one over */
static char long_string[65537];	   /* UM_SNAP_STRING_MAX + 1 bytes */
static char longest_string[65536]; /* UM_SNAP_STRING_MAX bytes */

static void uids_out_of_order(struct dir *d)
{
	d->users[2].uid = 999; /* bob, after alice's 1000 */
}

static void uid_twice(struct dir *d)
{
	d->users[2].uid = 1000;
}

static void gids_out_of_order(struct dir *d)
{
	d->groups[2].gid = 99; /* devs, after users' 100 */
}

static void member_no_user(struct dir *d)
{
	d->members[3][0] = 5; /* ops lists ordinal 5 of 5 users */
}

static void member_names_short(struct dir *d)
{
	static const uint8_t lens[] = { 5, 3 };

	d->groups[2] = (struct um_snap_group_in){
		.gid = 2000,
		.name = "devs",
		.name_len = 4,
		.nmem = 2,
		.lens = lens,
		.names = "alice\0bob",
		.names_len = 9, /* 5 + 1 + 3 + 1 = 10 */
	};
}

static void name_too_long(struct dir *d)
{
	d->users[1].name = long_name;
	d->users[1].name_len = strlen(long_name);
}

static void gecos_too_long(struct dir *d)
{
	d->users[1].gecos = long_string;
	d->users[1].gecos_len = strlen(long_string);
}

static void home_too_long(struct dir *d)
{
	d->users[1].home = long_string;
	d->users[1].home_len = strlen(long_string);
}

/* each piece fits, the home they make does not */
static void home_pieces_too_long(struct dir *d)
{
	d->users[1].home = longest_string;
	d->users[1].home_len = strlen(longest_string);
	d->users[1].home_tail = "/";
	d->users[1].home_tail_len = 1;
}

static void shell_too_long(struct dir *d)
{
	d->users[1].shell = long_string;
	d->users[1].shell_len = strlen(long_string);
}

static void group_name_too_long(struct dir *d)
{
	d->groups[2].name = long_string;
	d->groups[2].name_len = strlen(long_string);
}

static void test_refusals(void **state _unused_)
{
	static char name_detail[320];
	static const struct {
		const char *what;
		void (*spoil)(struct dir *d);
		const char *detail;
	} cases[] = {
		{ "users out of uid order", uids_out_of_order,
		  "snapshot users out of uid order at uid 999" },
		{ "a uid twice", uid_twice, "snapshot users out of uid order at uid 1000" },
		{ "groups out of gid order", gids_out_of_order,
		  "snapshot groups out of gid order at gid 99" },
		{ "a member ordinal that is no user", member_no_user,
		  "group ops has a member that is no user" },
		{ "member names that do not add up", member_names_short,
		  "group devs: its member names do not add up" },
		{ "a name over 255 bytes", name_too_long, name_detail },
		{ "a GECOS field over UM_SNAP_STRING_MAX", gecos_too_long,
		  "the GECOS field of user alice is too long for the snapshot" },
		{ "a home over UM_SNAP_STRING_MAX", home_too_long,
		  "the home of user alice is too long for the snapshot" },
		{ "a home whose pieces are over UM_SNAP_STRING_MAX", home_pieces_too_long,
		  "the home of user alice is too long for the snapshot" },
		{ "a shell over UM_SNAP_STRING_MAX", shell_too_long,
		  "the shell of user alice is too long for the snapshot" },
		{ "a group name over UM_SNAP_STRING_MAX", group_name_too_long,
		  "the name of group 2000 is too long for the snapshot" },
	};

	memset(long_name, 'n', 256);
	memset(long_string, 's', UM_SNAP_STRING_MAX + 1);
	memset(longest_string, 's', UM_SNAP_STRING_MAX);
	/* the detail shows at most 255 bytes of the name */
	snprintf(name_detail, sizeof(name_detail),
		 "the name of user %.255s is too long for the snapshot", long_name);

	for (size_t i = 0; i < UM_ELEMENTSOF(cases); i++) {
		struct dir d = { 0 };
		uint8_t *b = NULL;
		size_t n = 0;

		small_directory(&d);
		cases[i].spoil(&d);
		assert_errno(um_snap_build(content(&d), &b, &n), -EINVAL);
		assert_detail_has(cases[i].detail);
		assert_null(b); /* nothing handed out */
	}
}

/* ---- overlays ---- */

/* The base: root, alice, bob, carol; devs (alice, bob), ops (alice),
 * empty. */
static void base_directory(struct dir *d)
{
	user(d, "root", 0, 0, "root", "/root", "/bin/bash", NO_GIDS);
	user(d, "alice", 1000, 100, "Alice", "/home/alice", "/bin/bash", GIDS(2000, 2001));
	user(d, "bob", 1001, 100, "Bob", "/home/bob", "/bin/bash", GIDS(2000));
	user(d, "carol", 1002, 100, "Carol", "/home/carol", "/bin/bash", NO_GIDS);
	group(d, "devs", 2000, MEMBERS(1, 2));
	group(d, "ops", 2001, MEMBERS(1));
	group(d, "empty", 2002, NO_MEMBERS);
	d->c.generation = 5;
}

/* The overlay over it, generation 7: bob renamed robert (uid 1001, a new
 * shell), carol deleted (1002), dave added (1003); devs lists robert
 * (given as names: alice is not in the overlay), empty deleted (2002). */
static const uint32_t overlay_uids[] = { 1001, 1002, 1003 };
static const uint32_t overlay_gids[] = { 2000, 2002 };

static void overlay_directory(struct dir *d, const struct img *base)
{
	static const uint8_t lens[] = { 5, 6 };
	static const char names[] = "alice\0robert";

	user(d, "robert", 1001, 100, "Bob", "/home/robert", "/bin/zsh", GIDS(2000));
	user(d, "dave", 1003, 100, "Dave", "/home/dave", "/bin/bash", NO_GIDS);
	d->groups[d->n_groups++] = (struct um_snap_group_in){
		.gid = 2000,
		.name = "devs",
		.name_len = 4,
		.nmem = 2,
		.lens = lens,
		.names = names,
		.names_len = sizeof(names),
	};
	d->c.generation = 7;
	d->c.base_generation = base->s.generation;
	d->c.base_check = um_snap_check(&base->s);
	d->c.touched_uids = overlay_uids;
	d->c.n_touched_uids = UM_ELEMENTSOF(overlay_uids);
	d->c.touched_gids = overlay_gids;
	d->c.n_touched_gids = UM_ELEMENTSOF(overlay_gids);
}

static void test_overlay_header_and_touched_ids(void **state _unused_)
{
	struct dir bd = { 0 }, od = { 0 };
	struct img base, ov;
	uint32_t t, t_len;
	const uint8_t *p;

	base_directory(&bd);
	base = build(content(&bd));
	overlay_directory(&od, &base);
	ov = build(content(&od));

	/* the header names the base by generation and header checksum */
	assert_int_equal(um_rd64(ov.b + UM_SNAP_H_GENERATION), 7);
	assert_int_equal(um_rd64(ov.b + UM_SNAP_H_BASE_GENERATION), 5);
	assert_int_equal(um_rd32(ov.b + UM_SNAP_H_BASE_CHECK), um_rd32(base.b + UM_SNAP_H_CHECK));
	/* the touched section: count and uids, count and gids */
	t = um_rd32(ov.b + UM_SNAP_H_TOUCHED);
	t_len = um_rd32(ov.b + UM_SNAP_H_TOUCHED + 4);
	assert_int_equal(t_len, 4 + 3 * 4 + 4 + 2 * 4);
	assert_true(t >= UM_SNAP_HEADER_SIZE && t + t_len <= ov.n);
	p = ov.b + t;
	assert_int_equal(um_rd32(p), 3);
	assert_int_equal(um_rd32(p + 4), 1001);
	assert_int_equal(um_rd32(p + 8), 1002);
	assert_int_equal(um_rd32(p + 12), 1003);
	assert_int_equal(um_rd32(p + 16), 2);
	assert_int_equal(um_rd32(p + 20), 2000);
	assert_int_equal(um_rd32(p + 24), 2002);
	/* and the reader sees the same */
	assert_int_equal(ov.s.base_generation, 5);
	assert_int_equal(ov.s.base_check, um_snap_check(&base.s));
	assert_true(um_snap_touched_uid(&ov.s, 1002));
	assert_false(um_snap_touched_uid(&ov.s, 1000));
	assert_true(um_snap_touched_gid(&ov.s, 2002));
	assert_false(um_snap_touched_gid(&ov.s, 2001));
	/* only what changed: the overlay holds two users, one group */
	assert_int_equal(ov.s.n_users, 2);
	assert_int_equal(ov.s.n_groups, 1);
	img_free(&base);
	img_free(&ov);
}

/* Whether the record a look-up gave lies in image im. */
static bool from(const struct img *im, const char *p)
{
	return (const uint8_t *)p >= im->b && (const uint8_t *)p < im->b + im->n;
}

static void test_overlay_lookups(void **state _unused_)
{
	struct dir bd = { 0 }, od = { 0 };
	struct um_dir_user u;
	struct um_dir_group g;
	struct img base, ov;

	base_directory(&bd);
	base = build(content(&bd));
	overlay_directory(&od, &base);
	ov = build(content(&od));
	ov.s.under = &base.s;

	/* a touched uid the overlay does not hold is deleted, though the
	 * base has it, by uid and by name */
	assert_ok(um_snap_user_by_uid(&base.s, 1002, &u));
	assert_errno(um_snap_user_by_uid(&ov.s, 1002, &u), -ESRCH);
	assert_errno(um_snap_user_by_name(&ov.s, "carol", 5, &u), -ESRCH);
	/* a renamed user: the old name is the base's, under a touched uid */
	assert_errno(um_snap_user_by_name(&ov.s, "bob", 3, &u), -ESRCH);
	assert_ok(um_snap_user_by_name(&ov.s, "robert", 6, &u));
	assert_int_equal(u.uid, 1001);
	assert_true(from(&ov, u.name));
	assert_ok(um_snap_user_by_uid(&ov.s, 1001, &u));
	assert_memory_equal(u.name, "robert", 6);
	/* an added user */
	assert_ok(um_snap_user_by_uid(&ov.s, 1003, &u));
	assert_memory_equal(u.name, "dave", 4);
	/* an untouched user comes from the base */
	assert_ok(um_snap_user_by_name(&ov.s, "alice", 5, &u));
	assert_true(from(&base, u.name));
	assert_ok(um_snap_user_by_uid(&ov.s, 0, &u));
	assert_true(from(&base, u.name));
	/* groups the same way */
	assert_errno(um_snap_group_by_gid(&ov.s, 2002, &g), -ESRCH);
	assert_errno(um_snap_group_by_name(&ov.s, "empty", 5, &g), -ESRCH);
	assert_ok(um_snap_group_by_name(&ov.s, "devs", 4, &g));
	assert_true(from(&ov, g.name));
	assert_ok(um_snap_group_by_gid(&ov.s, 2001, &g));
	assert_true(from(&base, g.name));

	/* enumeration merges the two in uid (gid) order, each record found
	 * by its keys through the overlay */
	assert_dump(&ov.s, "root:0:0:root:/root:/bin/bash:\n"
			   "alice:1000:100:Alice:/home/alice:/bin/bash:2000,2001\n"
			   "robert:1001:100:Bob:/home/robert:/bin/zsh:2000\n"
			   "dave:1003:100:Dave:/home/dave:/bin/bash:\n"
			   "devs:2000:alice,robert\n"
			   "ops:2001:alice\n");
	img_free(&base);
	img_free(&ov);
}

/* An overlay read without its base answers for the ids it touched only;
 * anything else it cannot tell, and says so. */
static void test_overlay_without_base(void **state _unused_)
{
	struct dir bd = { 0 }, od = { 0 };
	struct um_snap_cursor c = { 0 };
	struct um_dir_user u;
	struct img base, ov;

	base_directory(&bd);
	base = build(content(&bd));
	overlay_directory(&od, &base);
	ov = build(content(&od));
	assert_null(ov.s.under);

	assert_ok(um_snap_user_by_uid(&ov.s, 1001, &u));
	assert_errno(um_snap_user_by_uid(&ov.s, 1002, &u), -ESRCH);
	assert_errno(um_snap_user_by_uid(&ov.s, 1000, &u), -EBADMSG);
	assert_detail_has("an overlay without its base");
	assert_errno(um_snap_user_by_name(&ov.s, "alice", 5, &u), -EBADMSG);
	assert_detail_has("an overlay without its base");
	assert_errno(um_snap_next_user(&ov.s, &c, &u), -EBADMSG);
	assert_detail_has("an overlay without its base");
	img_free(&base);
	img_free(&ov);
}

/* ---- damage ---- */

/* Each record's offset and size, from a walk of its section. */
struct rec {
	uint32_t off, size;
	uint32_t id;
	char name[32];
};

static size_t user_records(const struct um_snap *s, struct rec *out, size_t max)
{
	uint32_t off = s->users, next;
	struct um_dir_user u;
	size_t n = 0;

	while (off < s->users_end) {
		assert_true(n < max);
		assert_ok(um_snap_user_at(s, off, &u, &next));
		out[n] = (struct rec){ .off = off, .size = next - off, .id = u.uid };
		snprintf(out[n].name, sizeof(out[n].name), "%.*s", (int)u.name_len, u.name);
		n++;
		off = next;
	}
	return n;
}

static size_t group_records(const struct um_snap *s, struct rec *out, size_t max)
{
	uint32_t off = s->groups, next;
	struct um_dir_group g;
	size_t n = 0;

	while (off < s->groups_end) {
		assert_true(n < max);
		assert_ok(um_snap_group_at(s, off, &g, &next));
		out[n] = (struct rec){ .off = off, .size = next - off, .id = g.gid };
		snprintf(out[n].name, sizeof(out[n].name), "%.*s", (int)g.name_len, g.name);
		n++;
		off = next;
	}
	return n;
}

/*
 * What the reader says when byte at of a record was changed. The
 * fields that place the rest of the record (its counts and lengths) move
 * its extent: the reader may refuse it before the checksum, as damaged
 * ("overruns its section", "a table points outside its records"). The id
 * an id slot is checked against is refused as another record's. Any
 * other byte, the checksum tells.
 */
static const char *user_damage(uint32_t at, bool by_uid)
{
	if ((at >= UM_SNAP_U_NGIDS && at < UM_SNAP_U_SHELL) || at == UM_SNAP_U_NAME_LEN)
		return "damaged";
	if (by_uid && at >= UM_SNAP_U_UID && at < UM_SNAP_U_GID)
		return "points at another user";
	return "checksum";
}

static const char *group_damage(uint32_t at, bool by_gid)
{
	if (at >= UM_SNAP_G_NMEM && at < UM_SNAP_G_NAME_LEN + 2)
		return "damaged";
	if (by_gid && at >= UM_SNAP_G_GID && at < UM_SNAP_G_NMEM)
		return "points at another group";
	return "checksum";
}

/* Asserts that r refuses damage and its detail has needle. The detail
 * is forgotten before each call checked, so that none left from an
 * earlier refusal can pass for it. */
static void assert_damage(const struct rec *rec, uint32_t at, int r, const char *needle)
{
	if (r != -EBADMSG)
		fail_msg("%s, byte %u changed: returned %d, not -EBADMSG", rec->name, at, r);
	if (!strstr(um_error_detail(r), needle))
		fail_msg("%s, byte %u changed: detail '%s' lacks '%s'", rec->name, at,
			 um_error_detail(r), needle);
	um_error_forget(r);
}

/* With byte at of user record k changed: its look-ups and the
 * enumeration that reaches it are refused; the others are served. */
static void user_byte_damaged(const struct um_snap *s, const struct rec *recs, size_t n, size_t k,
			      uint32_t at)
{
	const struct rec *rec = &recs[k];
	struct um_snap_cursor c = { 0 };
	struct um_dir_user u;
	int r;

	um_error_forget(0);
	assert_damage(rec, at, um_snap_user_by_name(s, rec->name, strlen(rec->name), &u),
		      user_damage(at, false));
	assert_damage(rec, at, um_snap_user_by_uid(s, rec->id, &u), user_damage(at, true));
	while ((r = um_snap_next_user(s, &c, &u)) == 0)
		assert_true(u.uid < rec->id); /* the records before it */
	assert_damage(rec, at, r, user_damage(at, false));
	for (size_t o = 0; o < n; o++) {
		if (o == k)
			continue;
		assert_ok(um_snap_user_by_uid(s, recs[o].id, &u));
		assert_ok(um_snap_user_by_name(s, recs[o].name, strlen(recs[o].name), &u));
	}
}

/* Group rec served as NSS serves it (pack_group()): looked up, then its
 * members copied. A look-up checks the record's bounds and key and leaves
 * its checksum to um_directory_group_members(), which runs before
 * anything is served: a damaged record is refused at one or the other.
 * Returns the first failure, or 0. */
static int serve_group(const struct um_snap *s, const struct rec *rec, bool by_gid)
{
	struct um_dir_group g;
	char *names, **mem;
	int r = by_gid ? um_snap_group_by_gid(s, rec->id, &g)
		       : um_snap_group_by_name(s, rec->name, strlen(rec->name), &g);

	if (r < 0)
		return r;
	names = malloc(g.members_len + 1);
	mem = calloc((size_t)g.nmem + 1, sizeof(*mem));
	assert_true(names && mem);
	r = um_directory_group_members(&g, names, g.members_len, mem);
	free(names);
	free(mem);
	return r;
}

static void group_byte_damaged(const struct um_snap *s, const struct rec *recs, size_t n, size_t k,
			       uint32_t at)
{
	const struct rec *rec = &recs[k];
	struct um_snap_cursor c = { 0 };
	struct um_dir_group g;
	int r;

	um_error_forget(0);
	assert_damage(rec, at, serve_group(s, rec, false), group_damage(at, false));
	assert_damage(rec, at, serve_group(s, rec, true), group_damage(at, true));
	/* enumeration checks each record as it reaches it */
	while ((r = um_snap_next_group(s, &c, &g)) == 0)
		assert_true(g.gid < rec->id);
	assert_damage(rec, at, r, group_damage(at, false));
	for (size_t o = 0; o < n; o++) {
		if (o == k)
			continue;
		assert_ok(serve_group(s, &recs[o], true));
		assert_ok(serve_group(s, &recs[o], false));
	}
}

/* Each byte of each record changed in turn, one bit low and one high:
 * serving that record by each of its keys (for a group, the look-up and
 * the copy of its members), and the enumeration that reaches it, answer
 * -EBADMSG, never the damaged data; the other records are served as
 * before. */
static const uint8_t flips[] = { 0x01, 0x80 };

static void test_damaged_user_record_refused(void **state _unused_)
{
	struct dir d = { 0 };
	struct rec recs[8];
	struct img im;
	size_t n;

	small_directory(&d);
	im = build(content(&d));
	n = user_records(&im.s, recs, UM_ELEMENTSOF(recs));
	assert_int_equal(n, 5);
	for (size_t k = 0; k < n; k++)
		for (uint32_t at = 0; at < recs[k].size; at++)
			for (size_t f = 0; f < UM_ELEMENTSOF(flips); f++) {
				im.b[recs[k].off + at] ^= flips[f];
				user_byte_damaged(&im.s, recs, n, k, at);
				im.b[recs[k].off + at] ^= flips[f];
			}
	img_free(&im);
}

static void test_damaged_group_record_refused(void **state _unused_)
{
	struct dir d = { 0 };
	struct rec recs[8];
	struct img im;
	size_t n;

	small_directory(&d);
	im = build(content(&d));
	n = group_records(&im.s, recs, UM_ELEMENTSOF(recs));
	assert_int_equal(n, 5);
	for (size_t k = 0; k < n; k++)
		for (uint32_t at = 0; at < recs[k].size; at++)
			for (size_t f = 0; f < UM_ELEMENTSOF(flips); f++) {
				im.b[recs[k].off + at] ^= flips[f];
				group_byte_damaged(&im.s, recs, n, k, at);
				im.b[recs[k].off + at] ^= flips[f];
			}
	img_free(&im);
}

int main(void)
{
	struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small_directory_round_trips),
		cmocka_unit_test(test_names_and_ids_not_there),
		cmocka_unit_test(test_empty_directory),
		cmocka_unit_test(test_longest_strings_fit),
		cmocka_unit_test(test_same_content_same_bytes),
		cmocka_unit_test(test_pool_shares_shells_and_home_parents),
		cmocka_unit_test(test_pool_is_sorted),
		cmocka_unit_test(test_full_pool_keeps_strings_inline),
		cmocka_unit_test(test_homes_read_back_exactly),
		cmocka_unit_test(test_home_in_two_pieces),
		cmocka_unit_test(test_group_members_as_names),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_overlay_header_and_touched_ids),
		cmocka_unit_test(test_overlay_lookups),
		cmocka_unit_test(test_overlay_without_base),
		cmocka_unit_test(test_damaged_user_record_refused),
		cmocka_unit_test(test_damaged_group_record_refused),
	};

	RUN_TESTS(tests);
}

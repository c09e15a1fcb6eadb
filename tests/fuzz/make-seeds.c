/* SPDX-License-Identifier: MIT */
/*
 * The seed corpus of tests/fuzz/fuzz-snapshot.c: real snapshots, laid out
 * by um_snap_build() as publish lays them out, one file per shape the
 * reader has a branch for (empty; a few users and groups; long GECOS
 * fields, homes kept inline, many shells; a group with many members;
 * users in many groups; a full string pool, which puts shells inline; the
 * longest strings the format holds; overlays, each followed by its base,
 * which is how the harness takes a pair).
 *
 *   make-seeds DIR
 *
 * Each image is opened, walked and enumerated with the reader before it
 * is written: a seed the reader refuses would seed nothing. Exits 0, or 1
 * with a message on stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "snapshot-format.h"
#include "snapshot-read.h"
#include "snapshot-write.h"
#include "umgmt/common.h"

#include "fix-checksums.h"

/* A snapshot's content being put together; owns everything it points to. */
struct seed {
	struct um_snap_user_in *users;
	size_t n_users;
	struct um_snap_group_in *groups;
	size_t n_groups;
	/* per group: groups[g].members, or .lens and .names, point here */
	uint32_t **members;
	uint8_t **lens;
	char **names;
	void **owned;
	size_t n_owned;
	/* an overlay: its touched ids, ascending */
	uint32_t touched_uids[16], touched_gids[16];
	size_t n_touched_uids, n_touched_gids;
};

static void die(const char *fmt, ...) _printf_(1, 2);
static void die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("make-seeds: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void *grow(void *p, size_t n, size_t size)
{
	p = realloc(p, (n ? n : 1) * size);
	if (!p)
		die("out of memory");
	return p;
}

static char *own(struct seed *s, char *p)
{
	if (!p)
		die("out of memory");
	s->owned = grow(s->owned, s->n_owned + 1, sizeof(*s->owned));
	s->owned[s->n_owned++] = p;
	return p;
}

static char *str(struct seed *s, const char *fmt, ...) _printf_(2, 3);
static char *str(struct seed *s, const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	if (vasprintf(&p, fmt, ap) < 0)
		p = NULL;
	va_end(ap);
	return own(s, p);
}

/* n copies of c. */
static char *repeat(struct seed *s, char c, size_t n)
{
	char *p = own(s, malloc(n + 1));

	memset(p, c, n);
	p[n] = '\0';
	return p;
}

/* Adds a user (uids ascending); returns its ordinal. */
static uint32_t add_user(struct seed *s, uint32_t uid, uint32_t gid, const char *name,
			 const char *gecos, const char *home, const char *shell)
{
	s->users = grow(s->users, s->n_users + 1, sizeof(*s->users));
	s->users[s->n_users] = (struct um_snap_user_in){
		.id = (uint32_t)s->n_users + 1,
		.uid = uid,
		.gid = gid,
		.name = name,
		.name_len = strlen(name),
		.gecos = gecos,
		.gecos_len = strlen(gecos),
		.home = home,
		.home_len = strlen(home),
		.home_tail = "",
		.shell = shell,
		.shell_len = strlen(shell),
	};
	return (uint32_t)s->n_users++;
}

/* Adds a group (gids ascending); returns its index. */
static size_t add_group(struct seed *s, uint32_t gid, const char *name)
{
	s->groups = grow(s->groups, s->n_groups + 1, sizeof(*s->groups));
	s->members = grow(s->members, s->n_groups + 1, sizeof(*s->members));
	s->lens = grow(s->lens, s->n_groups + 1, sizeof(*s->lens));
	s->names = grow(s->names, s->n_groups + 1, sizeof(*s->names));
	s->members[s->n_groups] = NULL;
	s->lens[s->n_groups] = NULL;
	s->names[s->n_groups] = NULL;
	s->groups[s->n_groups] = (struct um_snap_group_in){
		.gid = gid,
		.name = name,
		.name_len = strlen(name),
	};
	return s->n_groups++;
}

/* Makes user ordinal u a member of group g (ordinals ascending per group):
 * the writer takes the name from the user, as a full publish does. */
static void add_member(struct seed *s, size_t g, uint32_t u)
{
	struct um_snap_group_in *gr = &s->groups[g];

	s->members[g] = grow(s->members[g], gr->nmem + 1, sizeof(**s->members));
	s->members[g][gr->nmem++] = u;
	gr->members = s->members[g];
}

/* Makes name a member of group g, laid out already (lengths and names),
 * as an overlay's groups are given; names in uid order. */
static void add_member_named(struct seed *s, size_t g, const char *name)
{
	struct um_snap_group_in *gr = &s->groups[g];
	size_t n = strlen(name);

	s->lens[g] = grow(s->lens[g], gr->nmem + 1, 1);
	s->lens[g][gr->nmem++] = (uint8_t)n;
	s->names[g] = grow(s->names[g], gr->names_len + n + 1, 1);
	memcpy(s->names[g] + gr->names_len, name, n + 1);
	gr->names_len += n + 1;
	gr->lens = s->lens[g];
	gr->names = s->names[g];
}

/* Whether user ordinal u is a member of group g. */
static bool is_member(const struct seed *s, size_t g, size_t u)
{
	const struct um_snap_group_in *gr = &s->groups[g];
	const struct um_snap_user_in *us = &s->users[u];
	size_t at = 0;

	for (size_t k = 0; k < gr->nmem; k++) {
		if (gr->names) {
			if (gr->lens[k] == us->name_len &&
			    memcmp(gr->names + at, us->name, us->name_len) == 0)
				return true;
			at += gr->lens[k] + 1u;
		} else if (gr->members[k] == u) {
			return true;
		}
	}
	return false;
}

/* Gives every user the gids of the groups it is a member of: the lists a
 * publish writes agree with the member lists. */
static void derive_gids(struct seed *s)
{
	for (size_t u = 0; u < s->n_users; u++) {
		unsigned char *gids = NULL;
		uint32_t n = 0;

		for (size_t g = 0; g < s->n_groups; g++)
			if (is_member(s, g, u)) {
				gids = grow(gids, 4 * ((size_t)n + 1), 1);
				um_wr32(gids + 4 * (size_t)n++, s->groups[g].gid);
			}
		if (gids)
			own(s, (char *)gids);
		/* never NULL: the writer copies ngids * 4 bytes from it */
		s->users[u].gids = gids ? gids : (const unsigned char *)"";
		s->users[u].ngids = n;
	}
}

static void seed_free(struct seed *s)
{
	for (size_t i = 0; i < s->n_owned; i++)
		free(s->owned[i]);
	for (size_t g = 0; g < s->n_groups; g++) {
		free(s->members[g]);
		free(s->lens[g]);
		free(s->names[g]);
	}
	free(s->owned);
	free(s->members);
	free(s->lens);
	free(s->names);
	free(s->users);
	free(s->groups);
	*s = (struct seed){ 0 };
}

/* Reads an image back as the harness does; counts what the reader
 * branches on. */
static void check_image(const char *name, const uint8_t *b, size_t len, const struct um_snap *base,
			size_t n_users, size_t n_groups)
{
	uint8_t *fixed = malloc(len);
	struct um_snap snap;
	struct um_snap_cursor c = { 0 };
	struct um_dir_user u;
	struct um_dir_group g;
	size_t users = 0, groups = 0, listed = 0, inline_shells = 0, inline_homes = 0;
	uint32_t off, next;
	int r;

	if ((r = um_snap_open(b, len, &snap)) < 0)
		die("%s: the reader refuses it: %s", name, um_error_text(r));
	snap.under = base;

	/* The harness's idea of the layout is the writer's. */
	if (!fixed)
		die("out of memory");
	memcpy(fixed, b, len);
	fix_checksums(fixed, len, base ? base->base : NULL, base ? base->size : 0);
	for (size_t i = 0; i < len; i++)
		if (fixed[i] != b[i])
			die("%s: fixing its checksums changed byte %zu: tests/fuzz/fix-checksums.h "
			    "does not know this layout (lib/snapshot-format.h)",
			    name, i);
	free(fixed);

	for (off = snap.users; off < snap.users_end; off = next, users++) {
		if ((r = um_snap_user_at(&snap, off, &u, &next)) < 0)
			die("%s: user record %zu: %s", name, users, um_error_text(r));
		inline_shells += um_rd16(b + off + UM_SNAP_U_SHELL) == UM_SNAP_INLINE;
		inline_homes += um_rd16(b + off + UM_SNAP_U_DIR_LEN) != UM_SNAP_DIR_DERIVED;
	}
	for (off = snap.groups; off < snap.groups_end; off = next, groups++)
		if ((r = um_snap_group_at(&snap, off, &g, &next)) < 0)
			die("%s: group record %zu: %s", name, groups, um_error_text(r));
	if (users != n_users || groups != n_groups)
		die("%s: walked %zu users and %zu groups of %zu and %zu", name, users, groups,
		    n_users, n_groups);
	while ((r = um_snap_next_user(&snap, &c, &u)) == 0)
		listed++;
	if (r != -ESRCH)
		die("%s: enumeration: %s", name, um_error_text(r));
	printf("%-16s %7zu bytes, %4zu users (%zu homes and %zu shells inline, %zu listed), "
	       "%3zu groups%s\n",
	       name, len, users, inline_homes, inline_shells, listed, groups,
	       base ? ", an overlay" : "");
}

/*
 * Lays s out (an overlay over base when base is not NULL), checks that
 * the reader reads it, and frees s. Returns the image (free() it).
 */
static uint8_t *build(struct seed *s, const char *name, const uint8_t *base, size_t base_len,
		      size_t *ret_len)
{
	struct um_snap bs = { 0 };
	uint8_t *b;
	size_t len;
	int r;

	if (base && (r = um_snap_open(base, base_len, &bs)) < 0)
		die("%s: its base: %s", name, um_error_text(r));
	derive_gids(s);
	const struct um_snap_content c = {
		.users = s->users,
		.n_users = s->n_users,
		.groups = s->groups,
		.n_groups = s->n_groups,
		.generation = base ? bs.generation + 1 : 42,
		.published_at = 1767225600, /* 2026-01-01 */
		.base_generation = base ? bs.generation : 0,
		.base_check = base ? um_snap_check(&bs) : 0,
		.touched_uids = s->touched_uids,
		.n_touched_uids = s->n_touched_uids,
		.touched_gids = s->touched_gids,
		.n_touched_gids = s->n_touched_gids,
	};
	if ((r = um_snap_build(&c, &b, &len)) < 0)
		die("%s: cannot build: %s", name, um_error_text(r));
	check_image(name, b, len, base ? &bs : NULL, s->n_users, s->n_groups);
	seed_free(s);
	*ret_len = len;
	return b;
}

/* Writes dir/name: the image a, then b (an overlay's base) if b_len. */
static void write_file(const char *dir, const char *name, const uint8_t *a, size_t a_len,
		       const uint8_t *b, size_t b_len)
{
	char *path;
	FILE *f;

	if (asprintf(&path, "%s/%s", dir, name) < 0)
		die("out of memory");
	f = fopen(path, "we");
	if (!f || fwrite(a, 1, a_len, f) != a_len || (b_len && fwrite(b, 1, b_len, f) != b_len) ||
	    fclose(f) != 0)
		die("cannot write %s: %m", path);
	free(path);
}

/* Builds s and writes it to dir/name. */
static void write_seed(struct seed *s, const char *dir, const char *name)
{
	size_t len;
	uint8_t *b = build(s, name, NULL, 0, &len);

	write_file(dir, name, b, len, NULL, 0);
	free(b);
}

static void seed_empty(const char *dir)
{
	struct seed s = { 0 };

	write_seed(&s, dir, "empty");
}

static void seed_small(const char *dir)
{
	static const char *const names[] = { "alice", "bob", "carol", "dave", "eve" };
	static const char *const shells[] = { "/bin/bash", "/bin/sh", "/usr/sbin/nologin" };
	struct seed s = { 0 };

	for (uint32_t i = 0; i < 5; i++)
		add_user(&s, 1000 + i, 100, names[i], str(&s, "%s,,,", names[i]),
			 str(&s, "/home/%s", names[i]), shells[i % 3]);
	size_t users = add_group(&s, 100, "users");
	size_t dev = add_group(&s, 2000, "dev");
	add_group(&s, 2001, "empty");
	for (uint32_t i = 0; i < 5; i++)
		add_member(&s, users, i);
	add_member(&s, dev, 0);
	add_member(&s, dev, 1);
	write_seed(&s, dir, "small");
}

/* Long GECOS fields, homes that are not PREFIX/NAME, many shells, the
 * longest name, ids at both ends. */
static void seed_varied(const char *dir)
{
	struct seed s = { 0 };

	add_user(&s, 0, 0, "root", "root", "/root", "/bin/bash");
	add_user(&s, 1, 1, "daemon", "", "/usr/sbin", "/usr/sbin/nologin");
	add_user(&s, 999, 999, "www", "web server", "/srv/www", "/bin/false");
	add_user(&s, 1000, 1000, "gecos", repeat(&s, 'g', 1000), "/home/gecos", "/bin/zsh");
	add_user(&s, 1001, 1000, "nohome", "no home", "", "");
	add_user(&s, 1002, 1000, "slash", "home is /", "/", "/bin/dash");
	add_user(&s, 1003, 1000, "homex", "prefix without a slash", "/homehomex", "/bin/sh");
	add_user(&s, 1004, 1000, "data", "a second prefix", "/data/home/data", "/usr/bin/fish");
	add_user(&s, 1005, 1000, "other", "another's home", "/home/data", "/bin/bash");
	add_user(&s, 1006, 1000, "x", "one letter", "/home/x", "/bin/bash");
	add_user(&s, 1007, 1000, repeat(&s, 'n', 255), "the longest name", "/home/long",
		 "/bin/bash");
	add_user(&s, 60000, 65534, "utf8", "J\xc3\xbcrgen M\xc3\xbcller,Room 1,+49 1,,",
		 "/home/utf8", "/bin/bash");
	add_user(&s, UINT32_MAX - 1, UINT32_MAX - 1, "highest", "uid 2^32 - 2", "/home/highest",
		 repeat(&s, 's', 1000));
	size_t root = add_group(&s, 0, "root");
	size_t staff = add_group(&s, 50, "staff");
	add_group(&s, 1000, "people");
	size_t high = add_group(&s, UINT32_MAX - 1, repeat(&s, 'G', 1000));
	add_member(&s, root, 0);
	for (uint32_t i = 2; i < s.n_users; i += 2)
		add_member(&s, staff, i);
	add_member(&s, high, (uint32_t)s.n_users - 1);
	write_seed(&s, dir, "varied");
}

/* One group with every user in it, another with every third. */
static void seed_many_members(const char *dir)
{
	struct seed s = { 0 };
	const uint32_t n = 600;

	for (uint32_t i = 0; i < n; i++) {
		char *name = str(&s, "member%03u", i);
		add_user(&s, 2000 + i, 100, name, "", str(&s, "/home/%s", name), "/bin/bash");
	}
	size_t all = add_group(&s, 100, "everyone");
	size_t some = add_group(&s, 200, "some");
	for (uint32_t i = 0; i < n; i++) {
		add_member(&s, all, i);
		if (i % 3 == 0)
			add_member(&s, some, i);
	}
	write_seed(&s, dir, "many-members");
}

/* One user in 300 groups, a few in many, one in none. */
static void seed_many_groups(const char *dir)
{
	struct seed s = { 0 };
	const uint32_t ng = 300;

	add_user(&s, 1000, 1000, "joiner", "in every group", "/home/joiner", "/bin/bash");
	add_user(&s, 1001, 1001, "half", "in every other group", "/home/half", "/bin/bash");
	add_user(&s, 1002, 1002, "loner", "in none", "/home/loner", "/bin/bash");
	for (uint32_t i = 0; i < ng; i++) {
		size_t g = add_group(&s, 3000 + i, str(&s, "project-%u", i));
		add_member(&s, g, 0);
		if (i % 2 == 0)
			add_member(&s, g, 1);
	}
	write_seed(&s, dir, "many-groups");
}

/* More distinct shells and home parents than the writer's pool keeps:
 * the last users' shells and homes are written inline. */
static void seed_pool_full(const char *dir)
{
	struct seed s = { 0 };
	const uint32_t n = 2100;

	for (uint32_t i = 0; i < n; i++) {
		char *name = str(&s, "p%u", i);
		add_user(&s, 10000 + i, 100, name, "", str(&s, "/h%u/%s", i, name),
			 str(&s, "/s%u", i));
	}
	size_t g = add_group(&s, 100, "pool");
	for (uint32_t i = 0; i < n; i += 7)
		add_member(&s, g, i);
	write_seed(&s, dir, "pool-full");
}

/* The longest GECOS, home and shell the format holds. */
static void seed_limits(const char *dir)
{
	struct seed s = { 0 };
	char *home = repeat(&s, 'h', UM_SNAP_STRING_MAX);

	home[0] = '/';
	add_user(&s, 1000, 1000, "limits", repeat(&s, 'g', UM_SNAP_STRING_MAX), home,
		 repeat(&s, 's', UM_SNAP_STRING_MAX));
	add_user(&s, 1001, 1000, "next", "", "/home/next", "/bin/sh");
	size_t g = add_group(&s, 1000, repeat(&s, 'G', 1000));
	add_member(&s, g, 0);
	add_member(&s, g, 1);
	write_seed(&s, dir, "limits");
}

/* The small seed's users and groups, as a base for the overlays. */
static uint8_t *small_base(size_t *len)
{
	static const char *const names[] = { "alice", "bob", "carol", "dave", "eve" };
	struct seed s = { 0 };

	for (uint32_t i = 0; i < 5; i++)
		add_user(&s, 1000 + i, 100, names[i], names[i], str(&s, "/home/%s", names[i]),
			 "/bin/bash");
	size_t users = add_group(&s, 100, "users");
	size_t dev = add_group(&s, 2000, "dev");
	add_group(&s, 2001, "empty");
	for (uint32_t i = 0; i < 5; i++)
		add_member(&s, users, i);
	add_member(&s, dev, 0);
	add_member(&s, dev, 1);
	return build(&s, "(the base)", NULL, 0, len);
}

/*
 * Overlays, each written followed by its base (the harness splits them at
 * the first header's file size): one that changes bob, deletes dave and
 * the group empty, adds frank and a group with him and a user of the
 * base's; one
 * that touches nothing.
 */
static void seed_overlays(const char *dir)
{
	size_t base_len, len;
	uint8_t *base = small_base(&base_len), *b;
	struct seed s = { 0 };

	add_user(&s, 1001, 100, "bob", "Bob, changed", "/home/bob", "/bin/zsh");
	add_user(&s, 1005, 100, "frank", "new", "/srv/frank", "/bin/sh");
	size_t dev = add_group(&s, 2000, "dev");
	size_t ops = add_group(&s, 2002, "ops");
	add_member_named(&s, dev, "alice");
	add_member_named(&s, dev, "bob");
	add_member_named(&s, ops, "carol");
	add_member_named(&s, ops, "frank");
	s.touched_uids[s.n_touched_uids++] = 1001;
	s.touched_uids[s.n_touched_uids++] = 1003; /* dave: deleted */
	s.touched_uids[s.n_touched_uids++] = 1005;
	s.touched_gids[s.n_touched_gids++] = 2000;
	s.touched_gids[s.n_touched_gids++] = 2001; /* empty: deleted */
	s.touched_gids[s.n_touched_gids++] = 2002;
	b = build(&s, "overlay", base, base_len, &len);
	write_file(dir, "overlay", b, len, base, base_len);
	free(b);

	b = build(&s, "overlay-empty", base, base_len, &len);
	write_file(dir, "overlay-empty", b, len, base, base_len);
	free(b);
	free(base);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: make-seeds DIR\n");
		return 64;
	}
	seed_empty(argv[1]);
	seed_small(argv[1]);
	seed_varied(argv[1]);
	seed_many_members(argv[1]);
	seed_many_groups(argv[1]);
	seed_pool_full(argv[1]);
	seed_limits(argv[1]);
	seed_overlays(argv[1]);
	return 0;
}

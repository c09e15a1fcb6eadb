/* SPDX-License-Identifier: MIT */
/*
 * The snapshot reader (lib/directory.c) under libFuzzer.
 *
 * What is claimed of the reader: no file can make it read outside the
 * mapping, loop or crash. Each input is copied into a heap block of exactly
 * its size, so that AddressSanitizer catches a read one byte past the end
 * (as the end of a mapping would, a page later), and read the ways
 * libnss_umgmt.so.2 and the publisher read it: opened; every user and
 * group record walked from its section's start as enumeration walks them;
 * every walked record looked up by name and by id, as getpwnam() and
 * getgrgid() do; a few names and ids that are not there; every group's
 * member list copied into buffers too small, exactly large enough and
 * larger. Every byte of every string handed out is read, so that a
 * bad pointer or length shows, and the results are held to the API's
 * contracts (expect()): a contract broken is a crash, like a bad read.
 *
 * An input is one image, or an overlay followed by its base: when the
 * first header's file size is less than the input, the rest is the second
 * image, and an overlay over it is read through it (as the module maps
 * <path> and <path>.base.<generation>) if it names it as the mapper
 * requires (generation and header checksum). Each image has its own block.
 *
 * Checksums cover every part of the format, so a random mutation is
 * refused at the header almost every time. Each input is therefore read
 * twice: as it is (the checksum checks), then with every checksum the
 * reader checks recomputed (fix_checksums(), fix-checksums.h), which
 * carries the mutation
 * past them to the bounds checks behind. Those, not the checksums, are
 * what keeps a file whose writer computes checksums from reading outside.
 * The fixed pass also points an overlay at the base that follows it.
 *
 * Work per input is bounded whatever the counts in the file say: at most
 * MAX_RECORDS records walked per section, MAX_LOOKUPS of them looked up.
 * An enumeration that has not ended after as many records as its sections
 * can hold is a loop, and a finding.
 *
 * And what is claimed of the verifier (lib/snapshot-verify.c, `umctl
 * snapshot verify`): a snapshot it calls sound is one the reader serves.
 * Every image opened is verified as it is read (an overlay through its
 * base when it has it); when um_snap_verify() finds no problem, every
 * record of its sections must be read, found by each of its keys as
 * that very record and have its members copied, and the enumeration
 * (through the base) must give each record once, in ascending ids, each
 * found the same way, and end. A sound snapshot the reader refuses or
 * misreads is a finding in one of the two. Its work is bounded by the
 * size of the file: verify is linear in it, and so many records as it
 * holds are looked up a few times each.
 *
 * Built and run by `make fuzz` (long) and the fuzz layer of `make check`
 * (bounded); see tests/fuzz/run.sh.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snapshot-format.h"
#include "snapshot-read.h"
#include "umgmt/directory.h"

#include "fix-checksums.h"

#define MAX_RECORDS 4096 /* walked per section */
#define MAX_LOOKUPS 256	 /* walked records looked up, per section */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A contract of the reader's API, checked: a breach aborts (a finding). */
#define expect(cond)                                                                               \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz-snapshot: %s:%d: expected %s\n", __FILE__, __LINE__, \
				#cond);                                                            \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* Where the bytes read go, so that the compiler keeps the reads. */
static volatile uint32_t sink;
static uint8_t scratch[1 << 16];

/* Reads p[0..n): memcpy() has AddressSanitizer check the whole range (a
 * block's end, freed memory) and libc read every byte (a wild pointer
 * faults), at the speed of libc rather than of an instrumented loop. */
static void touch(const void *p, size_t n)
{
	for (size_t at = 0; at < n; at += sizeof(scratch)) {
		size_t k = n - at < sizeof(scratch) ? n - at : sizeof(scratch);

		memcpy(scratch, (const uint8_t *)p + at, k);
		sink += scratch[k - 1];
	}
}

static void touch_user(const struct um_dir_user *u)
{
	touch(u->name, u->name_len);
	touch(u->gecos, u->gecos_len);
	touch(u->dir, u->dir_len);
	touch(u->dir_tail, u->dir_tail_len);
	touch(u->shell, u->shell_len);
	touch(u->gids, 4 * (size_t)u->ngids);
	if (u->ngids)
		sink += um_dir_user_gid(u, u->ngids - 1);
}

/* A copy of n bytes in a block of exactly n: a look-up that reads its
 * key past the length it was given is caught. */
static char *key_copy(const char *p, size_t n)
{
	char *k = malloc(n);

	if (!k && n)
		abort();
	if (n)
		memcpy(k, p, n);
	return k;
}

static bool is_lookup_result(int r)
{
	return r == 0 || r == -ESRCH || r == -EBADMSG;
}

static void user_by_name(const struct um_snap *s, const char *name, size_t len)
{
	struct um_dir_user u;
	char *k = key_copy(name, len);
	int r = um_snap_user_by_name(s, k, len, &u);

	expect(is_lookup_result(r));
	if (r == 0) {
		expect(u.name_len == len && memcmp(u.name, k, len) == 0);
		touch_user(&u);
	}
	free(k);
}

static void user_by_uid(const struct um_snap *s, uint32_t uid)
{
	struct um_dir_user u;
	int r = um_snap_user_by_uid(s, uid, &u);

	expect(is_lookup_result(r));
	if (r == 0) {
		expect(u.uid == uid);
		touch_user(&u);
	}
}

static void group_by_name(const struct um_snap *s, const char *name, size_t len)
{
	struct um_dir_group g;
	char *k = key_copy(name, len);
	int r = um_snap_group_by_name(s, k, len, &g);

	expect(is_lookup_result(r));
	if (r == 0) {
		expect(g.name_len == len && memcmp(g.name, k, len) == 0);
		touch(g.name, g.name_len);
	}
	free(k);
}

static void group_by_gid(const struct um_snap *s, uint32_t gid)
{
	struct um_dir_group g;
	int r = um_snap_group_by_gid(s, gid, &g);

	expect(is_lookup_result(r));
	if (r == 0) {
		expect(g.gid == gid);
		touch(g.name, g.name_len);
	}
}

/*
 * um_directory_group_members() into a block of exactly len bytes: -ERANGE
 * if and only if the names do not fit (members_len), else 0 or -EBADMSG.
 * On success every pointer must lie in the block with a NUL after it in
 * the block, so that whoever reads the names stays inside (the reader
 * promises that much whatever the bytes; that each name ends where its
 * length says rests on the record's checksum). The names are read.
 */
static int members_into(const struct um_dir_group *g, size_t len, char **mem)
{
	char *dest = malloc(len);
	int r;

	if (!dest && len)
		abort();
	r = um_directory_group_members(g, dest, len, mem);
	expect(len < g->members_len ? r == -ERANGE : r == 0 || r == -EBADMSG);
	if (r == 0) {
		expect(mem[g->nmem] == NULL);
		for (uint32_t i = 0; i < g->nmem; i++) {
			expect(mem[i] >= dest && mem[i] < dest + len);
			const char *nul = memchr(mem[i], '\0', (size_t)(dest + len - mem[i]));
			expect(nul != NULL);
			touch(mem[i], (size_t)(nul - mem[i]) + 1);
		}
	}
	free(dest);
	return r;
}

static void group_members(const struct um_dir_group *g)
{
	/* nmem is bounded by the file: the reader checked that the record,
	 * a length byte per member included, lies in its section. */
	char **mem = malloc(((size_t)g->nmem + 1) * sizeof(*mem));
	int r;

	if (!mem)
		abort();
	(void)members_into(g, 0, mem);
	(void)members_into(g, 8, mem);
	r = members_into(g, g->members_len, mem);
	if (g->members_len > 0)
		(void)members_into(g, g->members_len - 1, mem);
	/* the same answer from a larger buffer */
	expect(members_into(g, g->members_len + 64, mem) == r);
	free(mem);
}

static void walk_users(const struct um_snap *s)
{
	uint32_t off = s->users, next;
	struct um_dir_user u;

	for (size_t n = 0; off < s->users_end && n < MAX_RECORDS; n++, off = next) {
		int r = um_snap_user_at(s, off, &u, &next);

		expect(r == 0 || r == -EBADMSG);
		if (r < 0)
			break;
		expect(next > off && next <= s->users_end);
		touch_user(&u);
		sink += um_snap_touched_uid(s, u.uid);
		if (n < MAX_LOOKUPS) {
			user_by_name(s, u.name, u.name_len);
			user_by_uid(s, u.uid);
		}
	}
}

static void walk_groups(const struct um_snap *s)
{
	uint32_t off = s->groups, next;
	struct um_dir_group g;

	for (size_t n = 0; off < s->groups_end && n < MAX_RECORDS; n++, off = next) {
		int r = um_snap_group_at(s, off, &g, &next);

		expect(r == 0 || r == -EBADMSG);
		if (r < 0)
			break;
		expect(next > off && next <= s->groups_end);
		touch(g.name, g.name_len);
		sink += um_snap_touched_gid(s, g.gid);
		group_members(&g);
		if (n < MAX_LOOKUPS) {
			group_by_name(s, g.name, g.name_len);
			group_by_gid(s, g.gid);
		}
	}
}

/* The most records an enumeration of s can give: each is at least min
 * bytes, in s's section or its base's. */
static uint64_t most_records(const struct um_snap *s, bool users, uint32_t min)
{
	const struct um_snap *b = s->base_generation ? s->under : NULL;
	uint64_t n = users ? s->users_end - s->users : s->groups_end - s->groups;

	if (b)
		n += users ? b->users_end - b->users : b->groups_end - b->groups;
	return n / min;
}

/* Enumeration as getpwent() and getgrent() do it: the overlay merged with
 * its base. It must end (-ESRCH or -EBADMSG) within most_records(). */
static void enumerate(const struct um_snap *s)
{
	uint64_t most = most_records(s, true, UM_SNAP_U_GIDS);
	struct um_snap_cursor c = { 0 };
	struct um_dir_user u;
	struct um_dir_group g;
	uint64_t n;
	int r = 0;

	for (n = 0; n <= most && n < MAX_RECORDS; n++) {
		if ((r = um_snap_next_user(s, &c, &u)) < 0)
			break;
		touch_user(&u);
	}
	expect(r < 0 || n == MAX_RECORDS);
	expect(r == 0 || r == -ESRCH || r == -EBADMSG);

	most = most_records(s, false, UM_SNAP_G_LENS);
	c = (struct um_snap_cursor){ 0 };
	for (n = 0; n <= most && n < MAX_RECORDS; n++) {
		if ((r = um_snap_next_group(s, &c, &g)) < 0)
			break;
		touch(g.name, g.name_len);
		if (n < MAX_LOOKUPS)
			group_members(&g);
	}
	expect(r < 0 || n == MAX_RECORDS);
	expect(r == 0 || r == -ESRCH || r == -EBADMSG);
}

/* Names and ids a snapshot rarely holds, and records at odd offsets. */
static void look_up_strangers(const struct um_snap *s)
{
	static const char *const names[] = { "", "root", "nobody", "no-such-user-here" };
	static const uint32_t ids[] = { 0, 1, 1000, 65534, UINT32_MAX - 1, UINT32_MAX };
	char longest[300];
	struct um_dir_user u;
	struct um_dir_group g;
	uint32_t next;

	memset(longest, 'x', sizeof(longest));
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		user_by_name(s, names[i], strlen(names[i]));
		group_by_name(s, names[i], strlen(names[i]));
	}
	user_by_name(s, longest, 255);
	user_by_name(s, longest, sizeof(longest));
	group_by_name(s, longest, sizeof(longest));
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		user_by_uid(s, ids[i]);
		group_by_gid(s, ids[i]);
		sink += um_snap_touched_uid(s, ids[i]) + um_snap_touched_gid(s, ids[i]);
	}

	const uint32_t offs[] = { 0,
				  1,
				  s->users + 1,
				  s->users_end,
				  s->users_end - 4,
				  s->groups,
				  s->groups_end - UM_SNAP_G_LENS,
				  (uint32_t)s->size & ~3u,
				  UINT32_MAX & ~3u };
	for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		int r = um_snap_user_at(s, offs[i], &u, &next);
		expect(r == 0 || r == -EBADMSG);
		if (r == 0)
			touch_user(&u);
		r = um_snap_group_at(s, offs[i], &g, &next);
		expect(r == 0 || r == -EBADMSG);
		if (r == 0)
			touch(g.name, g.name_len);
	}
}

/* A record verify called sound, looked up by each of its keys: it must
 * be found, and be that very record (an overlay's or its base's). */
static void expect_user_served(const struct um_snap *s, const struct um_dir_user *u)
{
	struct um_dir_user v;
	char *k = key_copy(u->name, u->name_len);

	expect(um_snap_user_by_name(s, k, u->name_len, &v) == 0 && v.name == u->name);
	expect(um_snap_user_by_uid(s, u->uid, &v) == 0 && v.name == u->name);
	free(k);
}

static void expect_group_served(const struct um_snap *s, const struct um_dir_group *g)
{
	struct um_dir_group h;
	char *k = key_copy(g->name, g->name_len);
	char **mem = malloc(((size_t)g->nmem + 1) * sizeof(*mem));

	if (!mem)
		abort();
	expect(um_snap_group_by_name(s, k, g->name_len, &h) == 0 && h.name == g->name);
	expect(um_snap_group_by_gid(s, g->gid, &h) == 0 && h.name == g->name);
	expect(members_into(g, g->members_len, mem) == 0);
	free(mem);
	free(k);
}

/*
 * When verify finds no problem in s (and its base, read through it), the
 * reader serves all of it: each record of s's sections, walked, and each
 * record enumeration gives, merged with the base, once each in strictly
 * ascending ids and no more of them than the sections hold.
 */
static void serve_what_verify_calls_sound(const struct um_snap *s)
{
	const struct um_snap *b = s->base_generation ? s->under : NULL;
	struct um_snap_cursor c = { 0 };
	struct um_dir_user u;
	struct um_dir_group g;
	uint32_t off, next, n, prev = 0;
	uint64_t most;
	int r;

	if (um_snap_verify(s, NULL, NULL, 0) != 0)
		return;
	for (off = s->users, n = 0; off < s->users_end; off = next, n++) {
		expect(um_snap_user_at(s, off, &u, &next) == 0 && next > off);
		expect_user_served(s, &u);
	}
	expect(n == s->n_users);
	for (off = s->groups, n = 0; off < s->groups_end; off = next, n++) {
		expect(um_snap_group_at(s, off, &g, &next) == 0 && next > off);
		expect_group_served(s, &g);
	}
	expect(n == s->n_groups);

	most = (uint64_t)s->n_users + (b ? b->n_users : 0);
	for (n = 0; (r = um_snap_next_user(s, &c, &u)) == 0; n++, prev = u.uid) {
		expect(n < most && (n == 0 || u.uid > prev));
		expect_user_served(s, &u);
	}
	expect(r == -ESRCH);
	most = (uint64_t)s->n_groups + (b ? b->n_groups : 0);
	c = (struct um_snap_cursor){ 0 };
	for (n = 0; (r = um_snap_next_group(s, &c, &g)) == 0; n++, prev = g.gid) {
		expect(n < most && (n == 0 || g.gid > prev));
		expect_group_served(s, &g);
	}
	expect(r == -ESRCH);
}

static void read_snap(const struct um_snap *s)
{
	sink += um_snap_check(s);
	serve_what_verify_calls_sound(s);
	walk_users(s);
	walk_groups(s);
	enumerate(s);
	look_up_strangers(s);
}

/* Whether base is the one the overlay s was made over: what the module
 * checks before it reads an overlay through its base (map_base()). */
static bool is_base_of(const struct um_snap *base, const struct um_snap *s)
{
	return s->base_generation && !base->base_generation &&
	       base->generation == s->base_generation && um_snap_check(base) == s->base_check;
}

/* Reads image a, and b when there is one (b_len > 0): b by itself, a over
 * b if a is an overlay made over it, else a by itself. */
static void read_images(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len)
{
	struct um_snap sa, sb;
	int ra = um_snap_open(a, a_len, &sa), rb = b_len ? um_snap_open(b, b_len, &sb) : -EBADMSG;

	expect(ra == 0 || ra == -EBADMSG);
	expect(rb == 0 || rb == -EBADMSG);
	if (rb == 0)
		read_snap(&sb);
	if (ra == 0) {
		expect(sa.base == a && sa.size == a_len && !sa.under);
		if (rb == 0 && is_base_of(&sb, &sa))
			sa.under = &sb;
		read_snap(&sa);
	}
}

/* A block of exactly n bytes holding p[0..n). */
static uint8_t *image_copy(const uint8_t *p, size_t n)
{
	uint8_t *b = malloc(n);

	if (!b && n)
		abort();
	if (n)
		memcpy(b, p, n);
	return b;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An overlay and its base: the first header's size says where the
	 * first image ends. */
	size_t a_len = size;
	if (size >= UM_SNAP_HEADER_SIZE && um_rd64(data + UM_SNAP_H_FILE_SIZE) < size &&
	    um_rd64(data + UM_SNAP_H_FILE_SIZE) >= UM_SNAP_HEADER_SIZE)
		a_len = (size_t)um_rd64(data + UM_SNAP_H_FILE_SIZE);
	size_t b_len = size - a_len;
	uint8_t *a = image_copy(data, a_len), *b = image_copy(data + a_len, b_len);

	read_images(a, a_len, b, b_len);
	fix_checksums(b, b_len, NULL, 0);
	fix_checksums(a, a_len, b_len ? b : NULL, b_len);
	if ((a_len && memcmp(a, data, a_len) != 0) ||
	    (b_len && memcmp(b, data + a_len, b_len) != 0))
		read_images(a, a_len, b, b_len);
	free(a);
	free(b);
	return 0;
}

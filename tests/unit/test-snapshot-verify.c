/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of lib/snapshot-verify.c: um_snap_verify(), the whole check
 * of a snapshot behind `umctl snapshot verify`.
 *
 * Each test lays a snapshot out with um_snap_build(), sound or with one
 * kind of damage (done by the content, or by hand on the bytes), and
 * asserts the sentences verify reports, exactly and in order: they are
 * what umctl prints, one line per problem.
 */
#include "helpers.h"

#include "snapshot-format.h"
#include "snapshot-read.h"
#include "snapshot-write.h"

/* ---- the reports ---- */

struct reports {
	unsigned n;
	char text[32][512];
};

static void collect(void *ud, const char *problem)
{
	struct reports *r = ud;

	if (r->n < UM_ELEMENTSOF(r->text))
		snprintf(r->text[r->n++], sizeof(r->text[0]), "%s", problem);
}

/* Asserts that verify counts exactly the problems want[] (NULL-ended)
 * and reports them in that order. */
static void says(const struct um_snap *s, const char *const *want)
{
	struct reports got = { 0 };
	unsigned count = um_snap_verify(s, collect, &got, UM_ELEMENTSOF(got.text)), n = 0;
	bool same;

	while (want[n])
		n++;
	same = count == n && got.n == n;
	for (unsigned i = 0; same && i < n; i++)
		same = !strcmp(got.text[i], want[i]);
	if (!same) {
		char *msg = um_asprintf("verify counted %u problems, reported:\n", count);
		for (unsigned i = 0; i < got.n; i++) {
			char *t = um_asprintf("%s    %s\n", msg, got.text[i]);
			free(msg);
			msg = t;
		}
		for (unsigned i = 0; i < n; i++) {
			char *t = um_asprintf("%s%s    %s\n", msg, i ? "" : "expected:\n", want[i]);
			free(msg);
			msg = t;
		}
		fail_msg("%s", msg);
	}
}

#define assert_verify_says(s, ...) says((s), (const char *const[]){ __VA_ARGS__, NULL })
#define assert_sound(s) says((s), (const char *const[]){ NULL })

/* ---- content ---- */

/* Up to 8 users and 4 groups; strings are the caller's. */
struct dir {
	struct um_snap_user_in users[8];
	uint8_t gids[8][4 * 8];
	struct um_snap_group_in groups[4];
	uint32_t members[4][8];
	size_t n_users, n_groups;
	struct um_snap_content c;
};

#define IDS(...)                                                                                   \
	(const uint32_t[]){ __VA_ARGS__ }, UM_ELEMENTSOF(((const uint32_t[]){ __VA_ARGS__ }))
#define NONE NULL, 0

/* A user as the publisher gives it: gecos "Someone", home /home/NAME in
 * two pieces, shell /bin/sh; gid = uid; supplementary gids as given (in
 * the order given: a test may give them out of order). */
static void user(struct dir *d, const char *name, uint32_t uid, const uint32_t *gids, size_t ngids)
{
	size_t i = d->n_users++;

	assert_true(i < UM_ELEMENTSOF(d->users) && ngids <= 8);
	for (size_t k = 0; k < ngids; k++)
		um_wr32(d->gids[i] + 4 * k, gids[k]);
	d->users[i] = (struct um_snap_user_in){
		.uid = uid,
		.gid = uid,
		.ngids = (uint32_t)ngids,
		.gids = d->gids[i],
		.name = name,
		.name_len = strlen(name),
		.gecos = "Someone",
		.gecos_len = 7,
		.home = "/home/",
		.home_len = 6,
		.home_tail = name,
		.home_tail_len = strlen(name),
		.shell = "/bin/sh",
		.shell_len = 7,
	};
}

/* A group whose members are ordinals into d's users. */
static void group(struct dir *d, const char *name, uint32_t gid, const uint32_t *members,
		  size_t nmem)
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
}

/* A group whose members are laid out already (names each with its NUL,
 * names_len bytes): the form in which a member list can be what no user
 * is, or out of uid order. */
static void group_names(struct dir *d, const char *name, uint32_t gid, const uint8_t *lens,
			size_t nmem, const char *names, size_t names_len)
{
	size_t g = d->n_groups++;

	assert_true(g < UM_ELEMENTSOF(d->groups));
	d->groups[g] = (struct um_snap_group_in){
		.gid = gid,
		.name = name,
		.name_len = strlen(name),
		.nmem = nmem,
		.lens = lens,
		.names = names,
		.names_len = names_len,
	};
}

/* A built image and the reader's view of it. */
struct img {
	uint8_t *b;
	size_t n;
	struct um_snap s;
};

static struct img build(struct dir *d)
{
	struct img im;

	d->c.users = d->users;
	d->c.n_users = d->n_users;
	d->c.groups = d->groups;
	d->c.n_groups = d->n_groups;
	if (!d->c.generation)
		d->c.generation = 5;
	if (t_try(um_snap_build(&d->c, &im.b, &im.n)) < 0)
		fail_msg("um_snap_build: %s", um_error_text(t_last_err));
	if (t_try(um_snap_open(im.b, im.n, &im.s)) < 0)
		fail_msg("um_snap_open: %s", um_error_text(t_last_err));
	return im;
}

/* Opens im again after its bytes were changed by hand. */
static void reopen(struct img *im)
{
	if (t_try(um_snap_open(im->b, im->n, &im->s)) < 0)
		fail_msg("um_snap_open: %s", um_error_text(t_last_err));
}

static void img_free(struct img *im)
{
	free(im->b);
	im->b = NULL;
}

static void fix_header(uint8_t *b)
{
	um_wr32(b + UM_SNAP_H_CHECK, um_snap_crc(UM_SNAP_SEED_HEADER, b, UM_SNAP_H_CHECK));
}

/* alice (2000) in devs and ops, bob (2001) in devs, carol (2002) in
 * none; devs (10): alice, bob; ops (11): alice. */
static void sound_directory(struct dir *d)
{
	user(d, "alice", 2000, IDS(10, 11));
	user(d, "bob", 2001, IDS(10));
	user(d, "carol", 2002, NONE);
	group(d, "devs", 10, IDS(0, 1));
	group(d, "ops", 11, IDS(0));
}

/* The slot of table t (slots entries) whose record offset is ref. */
static uint32_t slot_of(const struct img *im, uint32_t t, uint32_t slots, uint32_t ref)
{
	for (uint32_t i = 0; i < slots; i++)
		if (um_rd32(im->b + t + 8 * (size_t)i + 4) == ref)
			return i;
	fail_msg("no slot points at offset %u", ref);
	return 0;
}

/* ---- standalone snapshots ---- */

static void test_sound_standalone(void **state _unused_)
{
	struct dir d = { 0 };
	struct img im;

	sound_directory(&d);
	im = build(&d);
	assert_sound(&im.s);
	img_free(&im);
}

/* What the writer lays out from any consistent content is sound: the
 * empty directory too. */
static void test_sound_empty(void **state _unused_)
{
	struct dir d = { 0 };
	struct img im = build(&d);

	assert_sound(&im.s);
	img_free(&im);
}

static void test_table_slot_emptied(void **state _unused_)
{
	struct dir d = { 0 };
	struct img im;
	uint8_t *sl;

	sound_directory(&d);
	im = build(&d);
	/* alice's is the first user record */
	sl = im.b + im.s.ubn + 8 * (size_t)slot_of(&im, im.s.ubn, im.s.uslots, im.s.users);
	um_wr32(sl, 0);
	um_wr32(sl + 4, 0);
	assert_verify_says(&im.s, "the user-by-name table holds 2 entries for 3 users",
			   "user alice (uid 2000): the user-by-name table does not lead to it");
	img_free(&im);
}

static void test_table_slot_key_changed(void **state _unused_)
{
	struct dir d = { 0 };
	uint32_t slot = UINT32_MAX;
	struct img im;
	char *w0;

	sound_directory(&d);
	im = build(&d);
	for (uint32_t i = 0; i < im.s.uslots; i++) {
		uint8_t *sl = im.b + im.s.ubu + 8 * (size_t)i;
		if (um_rd32(sl + 4) && um_rd32(sl) == 2001) {
			um_wr32(sl, 2999);
			slot = i;
		}
	}
	assert_int_not_equal(slot, UINT32_MAX);
	w0 = um_asprintf("the user-by-uid table's slot %u points at user bob (uid 2001) under "
			 "another key",
			 slot);
	assert_verify_says(&im.s, w0,
			   "user bob (uid 2001): the user-by-uid table does not lead to it");
	free(w0);
	img_free(&im);
}

/* A record's bytes changed (its lengths intact): its checksum says so,
 * once; nothing that follows from it is reported on top. */
static void test_record_checksum(void **state _unused_)
{
	struct dir d = { 0 };
	struct um_dir_user u;
	struct img im;

	sound_directory(&d);
	im = build(&d);
	assert_ok(um_snap_user_by_name(&im.s, "bob", 3, &u));
	im.b[(const uint8_t *)u.gecos - im.b] ^= 0x20; /* "Someone" -> "someone" */
	assert_verify_says(&im.s, "user bob (uid 2001): record checksum does not match");
	img_free(&im);
}

static void test_memberships_disagree(void **state _unused_)
{
	struct dir d = { 0 };
	struct img im;

	user(&d, "alice", 2000, IDS(10));   /* lacks ops, which lists her */
	user(&d, "bob", 2001, IDS(10, 11)); /* ops does not list bob */
	user(&d, "carol", 2002, IDS(12));   /* there is no group 12 */
	group(&d, "devs", 10, IDS(0, 1));
	group(&d, "ops", 11, IDS(0));
	im = build(&d);
	assert_verify_says(
		&im.s,
		"group ops (gid 11) lists user alice (uid 2000), whose group list does not have it",
		"user bob (uid 2001): its group list has gid 11 (ops), which does not list it",
		"user carol (uid 2002): its group list has gid 12, which is no group");
	img_free(&im);
}

static void test_member_no_user_and_gids_unordered(void **state _unused_)
{
	static const uint8_t lens[] = { 3, 5, 3 };
	static const char names[] = "zed\0alice\0bob";
	struct dir d = { 0 };
	struct img im;

	user(&d, "alice", 2000, IDS(11, 10)); /* not ascending */
	user(&d, "bob", 2001, IDS(10));
	group_names(&d, "devs", 10, lens, 3, names, sizeof(names));
	group(&d, "ops", 11, IDS(0));
	im = build(&d);
	assert_verify_says(&im.s, "user alice (uid 2000): its group list is not in ascending order",
			   "group devs (gid 10) lists zed, who is no user");
	img_free(&im);
}

static void test_members_out_of_uid_order(void **state _unused_)
{
	static const uint8_t lens[] = { 3, 5 };
	static const char names[] = "bob\0alice";
	struct dir d = { 0 };
	struct img im;

	user(&d, "alice", 2000, IDS(10));
	user(&d, "bob", 2001, IDS(10));
	group_names(&d, "devs", 10, lens, 2, names, sizeof(names));
	group(&d, "ops", 11, NONE);
	im = build(&d);
	assert_verify_says(&im.s, "group devs (gid 10): its members are not in uid order");

	/* and reserved header bytes that are not zero, on top */
	im.b[UM_SNAP_H_RESERVED + 3] = 1;
	fix_header(im.b);
	reopen(&im);
	assert_verify_says(&im.s, "the header's reserved bytes are not zero",
			   "group devs (gid 10): its members are not in uid order");
	img_free(&im);
}

/* The count is of every problem; the callback hears of max_reports of
 * them, or of none when there is no callback. */
static void test_max_reports(void **state _unused_)
{
	struct reports got = { 0 };
	struct dir d = { 0 };
	struct img im;

	user(&d, "alice", 2000, IDS(10));
	user(&d, "bob", 2001, IDS(10, 11));
	user(&d, "carol", 2002, IDS(12));
	group(&d, "devs", 10, IDS(0, 1));
	group(&d, "ops", 11, IDS(0));
	im = build(&d);
	assert_int_equal(um_snap_verify(&im.s, collect, &got, 1), 3);
	assert_int_equal(got.n, 1);
	assert_string_equal(
		got.text[0],
		"group ops (gid 11) lists user alice (uid 2000), whose group list does not have it");
	assert_int_equal(um_snap_verify(&im.s, NULL, NULL, 0), 3);
	img_free(&im);
}

/* ---- overlays ---- */

/* The base (generation 5): alice (2000) and bob (2001) in devs (10),
 * carol (2002) in ops (11). */
static struct img base_image(void)
{
	struct dir d = { 0 };

	user(&d, "alice", 2000, IDS(10));
	user(&d, "bob", 2001, IDS(10));
	user(&d, "carol", 2002, IDS(11));
	group(&d, "devs", 10, IDS(0, 1));
	group(&d, "ops", 11, IDS(2));
	return build(&d);
}

static const uint32_t touched_uids[] = { 2001, 2002 };
static const uint32_t touched_gids[] = { 10, 12 };

/* An overlay (generation 7) over base: bob renamed robert (2001), carol
 * (2002) with the groups given; devs (10) touched, listing alice and
 * robert; gid 12 touched (deleted, or added where the test says). */
static void overlay_directory(struct dir *d, const struct img *base, const uint32_t *carol_gids,
			      size_t n_carol_gids)
{
	static const uint8_t lens[] = { 5, 6 };
	static const char names[] = "alice\0robert";

	user(d, "robert", 2001, IDS(10));
	user(d, "carol", 2002, carol_gids, n_carol_gids);
	group_names(d, "devs", 10, lens, 2, names, sizeof(names));
	d->c.generation = 7;
	d->c.base_generation = base->s.generation;
	d->c.base_check = um_snap_check(&base->s);
	d->c.touched_uids = touched_uids;
	d->c.n_touched_uids = UM_ELEMENTSOF(touched_uids);
	d->c.touched_gids = touched_gids;
	d->c.n_touched_gids = UM_ELEMENTSOF(touched_gids);
}

static void test_sound_overlay(void **state _unused_)
{
	struct img base = base_image(), ov;
	struct dir d = { 0 };

	assert_sound(&base.s);
	overlay_directory(&d, &base, IDS(11));
	ov = build(&d);
	ov.s.under = &base.s;
	assert_sound(&ov.s);
	img_free(&ov);
	img_free(&base);
}

/* Carol lists gid 12, touched by the overlay, which does not hold it: a
 * deleted group. */
static void test_overlay_deleted_group_still_listed(void **state _unused_)
{
	struct img base = base_image(), ov;
	struct dir d = { 0 };

	overlay_directory(&d, &base, IDS(11, 12));
	ov = build(&d);
	ov.s.under = &base.s;
	assert_verify_says(&ov.s,
			   "user carol (uid 2002): its group list has gid 12, which is no group");
	img_free(&ov);
	img_free(&base);
}

/* devs left to the base, which lists bob by his old name: after the
 * rename there is no bob, and robert's devs does not list him. */
static void test_overlay_base_group_lists_renamed_user(void **state _unused_)
{
	struct img base = base_image(), ov;
	struct dir d = { 0 };

	overlay_directory(&d, &base, IDS(11));
	d.n_groups = 0;
	d.c.touched_gids = touched_gids + 1;
	d.c.n_touched_gids = 1;
	ov = build(&d);
	ov.s.under = &base.s;
	assert_verify_says(
		&ov.s, "group devs (gid 10) lists bob, who is no user",
		"user robert (uid 2001): its group list has gid 10 (devs), which does not list it");
	img_free(&ov);
	img_free(&base);
}

/* An overlay user named as a base user whose uid it leaves to the base:
 * getpwnam() and getpwent() would disagree. */
static void test_overlay_name_twice(void **state _unused_)
{
	static const uint8_t lens[] = { 5, 5 };
	static const char names[] = "alice\0alice";
	struct img base = base_image(), ov;
	struct dir d = { 0 };

	overlay_directory(&d, &base, IDS(11));
	d.users[0].name = "alice";
	d.users[0].name_len = 5;
	d.users[0].home_tail = "alice";
	d.users[0].home_tail_len = 5;
	d.n_groups = 0;
	group_names(&d, "devs", 10, lens, 2, names, sizeof(names));
	ov = build(&d);
	ov.s.under = &base.s;
	assert_verify_says(
		&ov.s,
		"user alice (uid 2001) is also in the base, as uid 2000, which the overlay leaves to it",
		"group devs (gid 10): its members are not in uid order",
		"user alice (uid 2000): its group list has gid 10 (devs), which does not list it");

	/* and the same overlay without its base */
	ov.s.under = NULL;
	assert_verify_says(&ov.s,
			   "the overlay's base (generation 5) is not there to check against");
	img_free(&ov);
	img_free(&base);
}

/* A base of the right generation that is not the file the overlay was
 * made over (its header checksum differs): the overlay is checked by
 * itself, the base not at all. */
static void test_overlay_over_another_base(void **state _unused_)
{
	struct img base = base_image(), other, ov;
	struct dir d = { 0 };

	overlay_directory(&d, &base, IDS(11));
	ov = build(&d);
	other = base_image();
	um_wr64(other.b + UM_SNAP_H_PUBLISHED_AT, 1); /* another publish of generation 5 */
	fix_header(other.b);
	reopen(&other);
	assert_sound(&other.s);
	ov.s.under = &other.s;
	assert_verify_says(&ov.s, "the base is not the one the overlay was made over");
	img_free(&ov);
	img_free(&other);
	img_free(&base);
}

int main(void)
{
	struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sound_standalone),
		cmocka_unit_test(test_sound_empty),
		cmocka_unit_test(test_table_slot_emptied),
		cmocka_unit_test(test_table_slot_key_changed),
		cmocka_unit_test(test_record_checksum),
		cmocka_unit_test(test_memberships_disagree),
		cmocka_unit_test(test_member_no_user_and_gids_unordered),
		cmocka_unit_test(test_members_out_of_uid_order),
		cmocka_unit_test(test_max_reports),
		cmocka_unit_test(test_sound_overlay),
		cmocka_unit_test(test_overlay_deleted_group_still_listed),
		cmocka_unit_test(test_overlay_base_group_lists_renamed_user),
		cmocka_unit_test(test_overlay_name_twice),
		cmocka_unit_test(test_overlay_over_another_base),
	};

	RUN_TESTS(tests);
}

/* SPDX-License-Identifier: MIT */
/*
 * libnss_umgmt.so.2 when the snapshot is missing, untrusted or damaged.
 * A file the reader refuses (no file, not ours, a format it does not read,
 * a bad header, truncated, writable by others) makes every entry point
 * answer UNAVAIL, so that `files` keeps the machine usable; a damaged
 * record makes the lookups that reach it UNAVAIL while the rest of the
 * snapshot still answers; nothing ever crashes, hangs, or answers
 * SUCCESS with wrong data. Each case runs in a fresh child that loads the
 * module itself, so it starts with no state.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "nsstest.h"
#include "snapshot-format.h"

static char *tmpdir;

static int setup(void **state __attribute__((unused)))
{
	tmpdir = make_temp_dir();
	return 0;
}

static int teardown(void **state __attribute__((unused)))
{
	remove_tree(tmpdir);
	free(tmpdir);
	return 0;
}

static void path_of(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", tmpdir, name);
}

/* ------------------------------------------------------- one case, a table */

enum call { PWNAM, PWUID, GRNAM, GRGID, INITGR, PWENT, GRENT };

static const char *const call_names[] = {
	[PWNAM] = "getpwnam_r", [PWUID] = "getpwuid_r",	     [GRNAM] = "getgrnam_r",
	[GRGID] = "getgrgid_r", [INITGR] = "initgroups_dyn", [PWENT] = "getpwent_r",
	[GRENT] = "getgrent_r",
};

/*
 * One call and what it must answer. name: the key of PWNAM, GRNAM and
 * INITGR; for PWENT and GRENT, the name a SUCCESS must carry. id: the key
 * of PWUID and GRGID; for PWENT and GRENT, which entry of a fresh
 * enumeration (0: the first). want_err: *errnop, unless want is SUCCESS.
 */
struct req {
	enum call call;
	const char *name;
	uint32_t id;
	enum nss_status want;
	int want_err;
};

#define MAX_REQS 32

struct outcome {
	enum nss_status status[MAX_REQS];
	int err[MAX_REQS];
	char name[MAX_REQS][32]; /* the answer's pw_name/gr_name on SUCCESS */
	int fds_leaked;
};

static enum nss_status do_call(struct nss_mod *m, const struct req *q, char *name, int *err)
{
	static char buf[1 << 21];
	struct passwd pw;
	struct group gr;
	enum nss_status s = NSS_STATUS_NOTFOUND;
	long start = 1, size = 4;
	gid_t *groups;

	switch (q->call) {
	case PWNAM:
	case PWUID:
		s = q->call == PWNAM ? m->getpwnam_r(q->name, &pw, buf, sizeof(buf), err)
				     : m->getpwuid_r(q->id, &pw, buf, sizeof(buf), err);
		if (s == NSS_STATUS_SUCCESS)
			snprintf(name, 32, "%s", pw.pw_name);
		break;
	case GRNAM:
	case GRGID:
		s = q->call == GRNAM ? m->getgrnam_r(q->name, &gr, buf, sizeof(buf), err)
				     : m->getgrgid_r(q->id, &gr, buf, sizeof(buf), err);
		if (s == NSS_STATUS_SUCCESS)
			snprintf(name, 32, "%s", gr.gr_name);
		break;
	case INITGR:
		groups = calloc(4, sizeof(gid_t));
		s = m->initgroups_dyn(q->name, 100, &start, &size, &groups, 0, err);
		free(groups);
		break;
	case PWENT:
		m->setpwent(0);
		for (uint32_t i = 0; i <= q->id; i++)
			s = m->getpwent_r(&pw, buf, sizeof(buf), err);
		if (s == NSS_STATUS_SUCCESS)
			snprintf(name, 32, "%s", pw.pw_name);
		m->endpwent();
		break;
	case GRENT:
		m->setgrent(0);
		for (uint32_t i = 0; i <= q->id; i++)
			s = m->getgrent_r(&gr, buf, sizeof(buf), err);
		if (s == NSS_STATUS_SUCCESS)
			snprintf(name, 32, "%s", gr.gr_name);
		m->endgrent();
		break;
	}
	return s;
}

/* Loads the module in a child pointed at path and makes the n calls. */
static struct outcome run_case(const char *path, const struct req *reqs, size_t n)
{
	struct outcome *shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE,
				      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(shared != MAP_FAILED);
	assert_true(n <= MAX_REQS);
	memset(shared, 0, sizeof(*shared));

	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct nss_mod m;
		alarm(20);
		setenv("UMGMT_DIRECTORY", path, 1);
		nss_mod_load(&m);
		int before = count_open_fds();
		for (size_t i = 0; i < n; i++) {
			shared->err[i] = -1;
			shared->status[i] = do_call(&m, &reqs[i], shared->name[i], &shared->err[i]);
		}
		shared->fds_leaked = count_open_fds() - before;
		_exit(0);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("%s: the child died (status %#x)", path, status);
	struct outcome o = *shared;
	munmap(shared, sizeof(*shared));
	return o;
}

static void describe(char *buf, size_t len, const struct req *q)
{
	if (q->call == PWUID || q->call == GRGID)
		snprintf(buf, len, "%s(%u)", call_names[q->call], q->id);
	else if (q->call == PWENT || q->call == GRENT)
		snprintf(buf, len, "%s #%u", call_names[q->call], q->id);
	else
		snprintf(buf, len, "%s(%s)", call_names[q->call], q->name);
}

/* Runs the calls against path and asserts each one's status, its *errnop
 * (which the module sets on every failure) and, on SUCCESS, the name of
 * what it found. */
static void check_case(const char *path, const struct req *reqs, size_t n)
{
	struct outcome o = run_case(path, reqs, n);
	char what[64];

	for (size_t i = 0; i < n; i++) {
		const struct req *q = &reqs[i];
		describe(what, sizeof(what), q);
		if (o.status[i] != q->want)
			fail_msg("%s on %s: status %d, want %d (errno %d)", what, path, o.status[i],
				 q->want, o.err[i]);
		if (q->want != NSS_STATUS_SUCCESS && o.err[i] != q->want_err)
			fail_msg("%s on %s: errno %d, want %d", what, path, o.err[i], q->want_err);
		if (q->want == NSS_STATUS_SUCCESS && q->call != INITGR) {
			const char *want = q->call == PWUID || q->call == GRGID ? NULL : q->name;
			if (want && strcmp(o.name[i], want) != 0)
				fail_msg("%s on %s: found %s, want %s", what, path, o.name[i],
					 want);
		}
	}
	assert_int_equal(o.fds_leaked, 0);
}

#define CHECK_CASE(path, reqs) check_case(path, reqs, sizeof(reqs) / sizeof(reqs[0]))

/* Every entry point, each asking for something the standard fixture holds. */
static const struct req every_call[] = {
	{ PWNAM, "alice", 0, 0, 0 }, { PWUID, NULL, 2000, 0, 0 },  { GRNAM, "staff", 0, 0, 0 },
	{ GRGID, NULL, 3000, 0, 0 }, { INITGR, "alice", 0, 0, 0 }, { PWENT, "alice", 0, 0, 0 },
	{ GRENT, "users", 0, 0, 0 },
};
#define N_EVERY (sizeof(every_call) / sizeof(every_call[0]))

/* Every entry point must answer want (and *errnop = want_err); a file
 * that answers adds a miss that must stay a miss. */
static void check_all(const char *path, enum nss_status want, int want_err)
{
	struct req reqs[N_EVERY + 1];

	for (size_t i = 0; i < N_EVERY; i++) {
		reqs[i] = every_call[i];
		reqs[i].want = want;
		reqs[i].want_err = want_err;
	}
	reqs[N_EVERY] = (struct req){ PWNAM, "ghost", 0, NSS_STATUS_NOTFOUND, ENOENT };
	check_case(path, reqs, want == NSS_STATUS_SUCCESS ? N_EVERY + 1 : N_EVERY);
}

/* ------------------------------------------------- files the reader refuses */

static void write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	assert_int_equal(chmod(path, mode), 0);
}

static void test_missing(void **state __attribute__((unused)))
{
	char p[4096];

	path_of(p, sizeof(p), "no-such.db");
	check_all(p, NSS_STATUS_UNAVAIL, ENOENT);
	path_of(p, sizeof(p), "no-such-dir/directory.db");
	check_all(p, NSS_STATUS_UNAVAIL, ENOENT);
}

static void test_garbage(void **state __attribute__((unused)))
{
	char p[4096], junk[8192];

	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (char)(i * 131 + 7);
	path_of(p, sizeof(p), "garbage.db");
	write_file(p, junk, sizeof(junk), 0644);
	check_all(p, NSS_STATUS_UNAVAIL, EIO);

	path_of(p, sizeof(p), "empty.db");
	write_file(p, "", 0, 0644);
	check_all(p, NSS_STATUS_UNAVAIL, EIO);

	/* what an older umgmt published: an SQLite file */
	memcpy(junk, "SQLite format 3", 16);
	path_of(p, sizeof(p), "sqlite.db");
	write_file(p, junk, sizeof(junk), 0644);
	check_all(p, NSS_STATUS_UNAVAIL, EIO);

	/* our magic, then junk */
	memcpy(junk, UM_SNAP_MAGIC, 8);
	path_of(p, sizeof(p), "magic-junk.db");
	write_file(p, junk, sizeof(junk), 0644);
	check_all(p, NSS_STATUS_UNAVAIL, EIO);
}

/* The standard fixture as an image, to be damaged before it is written. */
static uint8_t *std_image(size_t *len)
{
	struct snap *s = snap_standard(1, M_USERS);
	uint8_t *img = snap_image(s, len);

	snap_free(s);
	return img;
}

/* Recomputes the header's checksum, so that only what a test changed in
 * the header is wrong. */
static void reseal(uint8_t *img)
{
	um_wr32(img + UM_SNAP_H_CHECK, um_snap_crc(UM_SNAP_SEED_HEADER, img, UM_SNAP_H_CHECK));
}

/* The offset of the one occurrence of needle in the section whose
 * {u32 offset, u32 length} the header holds at hdr_at. */
static size_t find_in(const uint8_t *img, unsigned hdr_at, const void *needle, size_t n)
{
	const uint8_t *lo = img + um_rd32(img + hdr_at), *hi = lo + um_rd32(img + hdr_at + 4);
	const uint8_t *hit = memmem(lo, (size_t)(hi - lo), needle, n);

	assert_non_null(hit);
	assert_null(memmem(hit + 1, (size_t)(hi - hit - 1), needle, n));
	return (size_t)(hit - img);
}

/* Writes the standard image to path with its format set to format and
 * the header resealed. */
static void write_with_format(const char *path, uint32_t format)
{
	size_t len;
	uint8_t *img = std_image(&len);

	um_wr32(img + UM_SNAP_H_FORMAT, format);
	reseal(img);
	write_file(path, img, len, 0644);
	free(img);
}

static void test_wrong_magic(void **state __attribute__((unused)))
{
	char p[4096];
	size_t len;
	uint8_t *img = std_image(&len);

	path_of(p, sizeof(p), "magic.db");
	img[7] = 'X'; /* UMGMTDIX */
	reseal(img);
	write_file(p, img, len, 0644);
	check_all(p, NSS_STATUS_UNAVAIL, EIO);
	free(img);
}

static void test_format_out_of_range(void **state __attribute__((unused)))
{
	char p[4096];
	const uint32_t bad[] = { 0, 1, UM_SNAP_FORMAT_OLDEST - 1, UM_SNAP_FORMAT + 1, 0xffffffffu };

	/* the control: the same patching, the format this reader reads */
	path_of(p, sizeof(p), "format-ok.db");
	write_with_format(p, UM_SNAP_FORMAT);
	check_all(p, NSS_STATUS_SUCCESS, 0);
	/* just below (today 2: the SQLite one, never released) and just above
	 * (today 4: from the future) what it reads, and far off */
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(p, sizeof(p), "%s/format-%u.db", tmpdir, bad[i]);
		write_with_format(p, bad[i]);
		check_all(p, NSS_STATUS_UNAVAIL, EIO);
	}
}

static void test_bad_header_checksum(void **state __attribute__((unused)))
{
	char p[4096];
	size_t len;
	uint8_t *img = std_image(&len);

	/* a field nobody else checks (the generation), not resealed */
	path_of(p, sizeof(p), "generation.db");
	img[UM_SNAP_H_GENERATION] ^= 0x01;
	write_file(p, img, len, 0644);
	check_all(p, NSS_STATUS_UNAVAIL, EIO);
	img[UM_SNAP_H_GENERATION] ^= 0x01;

	/* the checksum itself */
	path_of(p, sizeof(p), "check.db");
	img[UM_SNAP_H_CHECK + 2] ^= 0x40;
	write_file(p, img, len, 0644);
	check_all(p, NSS_STATUS_UNAVAIL, EIO);
	img[UM_SNAP_H_CHECK + 2] ^= 0x40;

	/* a reserved byte: covered too */
	path_of(p, sizeof(p), "reserved.db");
	img[UM_SNAP_H_RESERVED] = 1;
	write_file(p, img, len, 0644);
	check_all(p, NSS_STATUS_UNAVAIL, EIO);
	free(img);
}

static void test_truncated(void **state __attribute__((unused)))
{
	char p[4096];
	size_t len;
	uint8_t *img = std_image(&len);

	assert_int_equal(um_rd64(img + UM_SNAP_H_FILE_SIZE), len);
	/* one byte short of what the header says */
	path_of(p, sizeof(p), "short.db");
	write_file(p, img, len - 1, 0644);
	check_all(p, NSS_STATUS_UNAVAIL, EIO);
	/* the header alone */
	path_of(p, sizeof(p), "header.db");
	write_file(p, img, UM_SNAP_HEADER_SIZE, 0644);
	check_all(p, NSS_STATUS_UNAVAIL, EIO);
	/* shorter than a header */
	path_of(p, sizeof(p), "stub.db");
	write_file(p, img, UM_SNAP_HEADER_SIZE - 1, 0644);
	check_all(p, NSS_STATUS_UNAVAIL, EIO);
	/* and one byte longer: not what was published either */
	uint8_t *longer = calloc(1, len + 1);
	assert_non_null(longer);
	memcpy(longer, img, len);
	path_of(p, sizeof(p), "long.db");
	write_file(p, longer, len + 1, 0644);
	check_all(p, NSS_STATUS_UNAVAIL, EIO);
	free(longer);
	free(img);
}

/* The pool (shells, the parents of homes) is checked when the file is
 * mapped: its damage refuses the whole snapshot. */
static void test_damaged_pool(void **state __attribute__((unused)))
{
	char p[4096];
	size_t len;
	uint8_t *img = std_image(&len);

	img[find_in(img, UM_SNAP_H_POOL, "/bin/bash", 9) + 5] = 'z';
	path_of(p, sizeof(p), "pool.db");
	write_file(p, img, len, 0644);
	check_all(p, NSS_STATUS_UNAVAIL, EIO);
	free(img);
}

/* --------------------------------------------------------- damaged records */

/* One byte of bob's gecos: bob is UNAVAIL however he is reached, everyone
 * else answers. */
static void test_damaged_gecos(void **state __attribute__((unused)))
{
	static const struct req reqs[] = {
		{ PWNAM, "bob", 0, NSS_STATUS_UNAVAIL, EIO },
		{ PWUID, NULL, 2001, NSS_STATUS_UNAVAIL, EIO },
		{ INITGR, "bob", 0, NSS_STATUS_UNAVAIL, EIO },
		/* the enumeration stops at him: the next record cannot be found */
		{ PWENT, "alice", 0, NSS_STATUS_SUCCESS, 0 },
		{ PWENT, NULL, 1, NSS_STATUS_UNAVAIL, EIO },
		{ PWENT, NULL, 2, NSS_STATUS_NOTFOUND, ENOENT },
		{ PWNAM, "alice", 0, NSS_STATUS_SUCCESS, 0 },
		{ PWNAM, "carol", 0, NSS_STATUS_SUCCESS, 0 },
		{ PWUID, NULL, 2003, NSS_STATUS_SUCCESS, 0 },
		{ PWNAM, "m49999", 0, NSS_STATUS_SUCCESS, 0 },
		{ INITGR, "alice", 0, NSS_STATUS_SUCCESS, 0 },
		/* the groups that list him hold their own copy of his name */
		{ GRNAM, "staff", 0, NSS_STATUS_SUCCESS, 0 },
		{ GRGID, NULL, 100, NSS_STATUS_SUCCESS, 0 },
		{ PWNAM, "ghost", 0, NSS_STATUS_NOTFOUND, ENOENT },
	};
	char p[4096];
	size_t len;
	uint8_t *img = std_image(&len);

	img[find_in(img, UM_SNAP_H_USERS, "Bob,,,", 6) + 4] ^= 0xff;
	path_of(p, sizeof(p), "gecos.db");
	write_file(p, img, len, 0644);
	CHECK_CASE(p, reqs);
	free(img);
}

/* bob's name in staff's member list ("alice", "bob" becomes "alice",
 * "bOb"), the record's checksum not recomputed: staff is UNAVAIL however
 * it is reached; users, which lists bob too, and bob himself answer. */
static void test_damaged_member_name(void **state __attribute__((unused)))
{
	static const struct req reqs[] = {
		{ GRNAM, "staff", 0, NSS_STATUS_UNAVAIL, EIO },
		{ GRGID, NULL, 3000, NSS_STATUS_UNAVAIL, EIO },
		{ GRENT, "users", 0, NSS_STATUS_SUCCESS, 0 },
		{ GRENT, "alice", 1, NSS_STATUS_SUCCESS, 0 },
		{ GRENT, NULL, 2, NSS_STATUS_UNAVAIL, EIO },
		{ GRNAM, "users", 0, NSS_STATUS_SUCCESS, 0 },
		{ GRNAM, "big", 0, NSS_STATUS_SUCCESS, 0 },
		{ GRGID, NULL, 3002, NSS_STATUS_SUCCESS, 0 },
		{ PWNAM, "bob", 0, NSS_STATUS_SUCCESS, 0 },
		{ PWUID, NULL, 2001, NSS_STATUS_SUCCESS, 0 },
		/* the gid lists live in the user records */
		{ INITGR, "bob", 0, NSS_STATUS_SUCCESS, 0 },
		{ INITGR, "alice", 0, NSS_STATUS_SUCCESS, 0 },
	};
	char p[4096];
	size_t len;
	uint8_t *img = std_image(&len);

	img[find_in(img, UM_SNAP_H_GROUPS, "alice\0bob", 10) + 7] = 'O';
	path_of(p, sizeof(p), "member.db");
	write_file(p, img, len, 0644);
	CHECK_CASE(p, reqs);
	free(img);
}

/* The offset of group gid's record, found through the group-by-gid table
 * (open addressing, linear probes: snapshot-format.h). */
static size_t group_record(const uint8_t *img, uint32_t gid)
{
	uint32_t slots = um_rd32(img + UM_SNAP_H_GROUP_SLOTS);
	const uint8_t *t = img + um_rd32(img + UM_SNAP_H_GROUP_BY_GID);

	for (uint32_t n = 0, i = um_snap_slot(um_snap_mix(gid), slots); n < slots;
	     n++, i = i + 1 == slots ? 0 : i + 1)
		if (um_rd32(t + 8 * (size_t)i) == gid && um_rd32(t + 8 * (size_t)i + 4) != 0)
			return um_rd32(t + 8 * (size_t)i + 4);
	fail_msg("no group %u in the image", gid);
	return 0;
}

/* staff's own fields: UNAVAIL for staff, whichever way, and for nobody
 * else. */
static void test_damaged_group_record(void **state __attribute__((unused)))
{
	static const struct req reqs[] = {
		{ GRNAM, "staff", 0, NSS_STATUS_UNAVAIL, EIO },
		{ GRGID, NULL, 3000, NSS_STATUS_UNAVAIL, EIO },
		{ GRNAM, "users", 0, NSS_STATUS_SUCCESS, 0 },
		{ GRGID, NULL, 3001, NSS_STATUS_SUCCESS, 0 },
		{ GRNAM, "proj", 0, NSS_STATUS_SUCCESS, 0 },
		{ PWNAM, "bob", 0, NSS_STATUS_SUCCESS, 0 },
		{ INITGR, "bob", 0, NSS_STATUS_SUCCESS, 0 },
	};
	char p[4096];
	size_t len;
	uint8_t *img = std_image(&len);
	size_t rec = group_record(img, 3000);
	uint8_t *r = img + rec;

	assert_int_equal(um_rd32(r + UM_SNAP_G_GID), 3000);
	assert_int_equal(um_rd32(r + UM_SNAP_G_NMEM), 2);

	/* a third member, the checksum not recomputed */
	um_wr32(r + UM_SNAP_G_NMEM, 3);
	path_of(p, sizeof(p), "nmem.db");
	write_file(p, img, len, 0644);
	CHECK_CASE(p, reqs);
	um_wr32(r + UM_SNAP_G_NMEM, 2);

	/* another gid, the checksum not recomputed */
	um_wr32(r + UM_SNAP_G_GID, 3001);
	path_of(p, sizeof(p), "gid.db");
	write_file(p, img, len, 0644);
	CHECK_CASE(p, reqs);
	um_wr32(r + UM_SNAP_G_GID, 3000);

	/* member lengths that do not add up to the names (bob's 3 made 5),
	 * under a checksum recomputed to match: a checksum is no proof, and
	 * the names must not run past the list */
	uint32_t nmem = um_rd32(r + UM_SNAP_G_NMEM), mlen = um_rd32(r + UM_SNAP_G_MEMBERS_LEN);
	size_t size = (UM_SNAP_G_LENS + nmem + um_rd16(r + UM_SNAP_G_NAME_LEN) + 1 + mlen + 3) &
		      ~(size_t)3;
	assert_int_equal(um_rd32(r), um_snap_crc(UM_SNAP_SEED_GROUP, r + 4, size - 4));
	assert_int_equal(r[UM_SNAP_G_LENS + 1], 3);
	r[UM_SNAP_G_LENS + 1] = 5;
	um_wr32(r, um_snap_crc(UM_SNAP_SEED_GROUP, r + 4, size - 4));
	path_of(p, sizeof(p), "lens.db");
	write_file(p, img, len, 0644);
	CHECK_CASE(p, reqs);
	free(img);
}

/* --------------------------------------------------- trust, odd paths */

static void test_untrusted(void **state __attribute__((unused)))
{
	char p[4096];

	path_of(p, sizeof(p), "writable.db");
	snap_write_standard(p);
	assert_int_equal(chmod(p, 0666), 0);
	check_all(p, NSS_STATUS_UNAVAIL, EACCES);
	assert_int_equal(chmod(p, 0664), 0);
	check_all(p, NSS_STATUS_UNAVAIL, EACCES);
	assert_int_equal(chmod(p, 0646), 0);
	check_all(p, NSS_STATUS_UNAVAIL, EACCES);
	/* read-only is all a reader needs */
	assert_int_equal(chmod(p, 0444), 0);
	check_all(p, NSS_STATUS_SUCCESS, 0);
	/* owned by someone else than root or us */
	if (geteuid() == 0) {
		assert_int_equal(chown(p, 65534, 65534), 0);
		check_all(p, NSS_STATUS_UNAVAIL, EACCES);
	}
}

static void test_directory_as_path(void **state __attribute__((unused)))
{
	check_all(tmpdir, NSS_STATUS_UNAVAIL, EIO);
}

/* --------------------------------------------------------- random damage */

/*
 * The reader (lib/directory.c) walks the mapped file itself: damage
 * anywhere must give errors, never a crash, a hang, a read outside the
 * mapping or a SUCCESS with wrong data. A small copy of the standard
 * fixture (WALK_M_USERS m-users: every byte of it is reached), 400 times
 * with a few random bytes changed, each in a fresh child that looks every
 * user and group up and enumerates both databases to the end; each answer
 * is digested and every SUCCESS must be the pristine file's answer.
 */
#define WALK_M_USERS 60
#define WALK_MAX 2048

struct walk {
	int n;
	enum nss_status st[WALK_MAX];
	uint64_t h[WALK_MAX];
};

static uint64_t mix(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ c[i]) * 0x100000001b3ull;
	return (h ^ 0xff) * 0x100000001b3ull; /* a separator */
}

static uint64_t mix_str(uint64_t h, const char *s)
{
	return mix(h, s, strlen(s));
}

static uint64_t pw_digest(const struct passwd *pw)
{
	uint64_t h = 0xcbf29ce484222325ull;

	h = mix_str(mix_str(mix_str(h, pw->pw_name), pw->pw_passwd), pw->pw_gecos);
	h = mix_str(mix_str(h, pw->pw_dir), pw->pw_shell);
	h = mix(h, &pw->pw_uid, sizeof(pw->pw_uid));
	return mix(h, &pw->pw_gid, sizeof(pw->pw_gid));
}

static uint64_t gr_digest(const struct group *gr)
{
	uint64_t h = 0xcbf29ce484222325ull;

	h = mix_str(mix_str(h, gr->gr_name), gr->gr_passwd);
	h = mix(h, &gr->gr_gid, sizeof(gr->gr_gid));
	for (size_t i = 0; gr->gr_mem[i]; i++)
		h = mix_str(h, gr->gr_mem[i]);
	return h;
}

static void record(struct walk *w, enum nss_status st, uint64_t h)
{
	if (w->n < WALK_MAX) {
		w->st[w->n] = st;
		w->h[w->n] = st == NSS_STATUS_SUCCESS ? h : 0;
	}
	w->n++;
}

static void walk_all(struct nss_mod *m, struct walk *w)
{
	static char buf[1 << 21];
	struct passwd pw;
	struct group gr;
	char name[16];
	uint32_t id;
	int err, n;
	enum nss_status s;
	const size_t users = N_NAMED_USERS + WALK_M_USERS;

	w->n = 0;
	for (size_t i = 0; i < users; i++) {
		long start = 1, size = 4;
		gid_t *groups = calloc(4, sizeof(gid_t));
		std_user(i, name, &id);
		s = m->getpwnam_r(name, &pw, buf, sizeof(buf), &err);
		record(w, s, s == NSS_STATUS_SUCCESS ? pw_digest(&pw) : 0);
		s = m->getpwuid_r(id, &pw, buf, sizeof(buf), &err);
		record(w, s, s == NSS_STATUS_SUCCESS ? pw_digest(&pw) : 0);
		groups[0] = 100;
		s = m->initgroups_dyn(name, 100, &start, &size, &groups, 0, &err);
		record(w, s,
		       s == NSS_STATUS_SUCCESS ? mix(0, groups, (size_t)start * sizeof(gid_t)) : 0);
		free(groups);
	}
	for (size_t i = 0; i < STD_GROUPS; i++) {
		std_group(i, name, &id);
		s = m->getgrnam_r(name, &gr, buf, sizeof(buf), &err);
		record(w, s, s == NSS_STATUS_SUCCESS ? gr_digest(&gr) : 0);
		s = m->getgrgid_r(id, &gr, buf, sizeof(buf), &err);
		record(w, s, s == NSS_STATUS_SUCCESS ? gr_digest(&gr) : 0);
	}
	/* misses stay misses */
	s = m->getpwnam_r("ghost", &pw, buf, sizeof(buf), &err);
	record(w, s, 0);
	s = m->getgrgid_r(4242, &gr, buf, sizeof(buf), &err);
	record(w, s, 0);
	/* to the end, and a little past it: a damaged cursor must not loop */
	m->setpwent(0);
	for (n = 0; n < (int)users + 2; n++) {
		s = m->getpwent_r(&pw, buf, sizeof(buf), &err);
		record(w, s, s == NSS_STATUS_SUCCESS ? pw_digest(&pw) : 0);
	}
	m->endpwent();
	m->setgrent(0);
	for (n = 0; n < STD_GROUPS + 2; n++) {
		s = m->getgrent_r(&gr, buf, sizeof(buf), &err);
		record(w, s, s == NSS_STATUS_SUCCESS ? gr_digest(&gr) : 0);
	}
	m->endgrent();
}

/* Walks the snapshot at path in a fresh child, into *w. */
static void walk_in_child(const char *path, struct walk *w, int round)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		struct nss_mod m;
		alarm(20);
		setenv("UMGMT_DIRECTORY", path, 1);
		nss_mod_load(&m);
		walk_all(&m, w);
		_exit(0);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("round %d: the child died (status %#x)", round, status);
}

static void test_corrupt_bytes(void **state __attribute__((unused)))
{
	char p[4096];
	uint64_t x = 0x2545f4914f6cdd1dULL;
	size_t len;
	struct snap *s = snap_standard(1, WALK_M_USERS);
	uint8_t *orig = snap_image(s, &len), *copy = malloc(len);
	struct walk *pristine = mmap(NULL, 2 * sizeof(struct walk), PROT_READ | PROT_WRITE,
				     MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	snap_free(s);
	assert_true(pristine != MAP_FAILED && copy);
	struct walk *w = pristine + 1;
	path_of(p, sizeof(p), "corrupt.db");
	write_file(p, orig, len, 0644);
	walk_in_child(p, pristine, -1);
	assert_true(pristine->n <= WALK_MAX);
	for (int i = 0; i < pristine->n; i++)
		if (pristine->st[i] != NSS_STATUS_SUCCESS && pristine->st[i] != NSS_STATUS_NOTFOUND)
			fail_msg("the pristine copy: call %d answers %d", i, pristine->st[i]);

	/* past the header and the pool (damage there refuses the file), but
	 * in every fourth round anywhere */
	size_t body = um_rd32(orig + UM_SNAP_H_USERS);
	for (int round = 0; round < 400; round++) {
		memcpy(copy, orig, len);
		int n = 1 + round % 8;
		for (int k = 0; k < n; k++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			size_t at = round % 4 == 0 ? x % len : body + x % (len - body);
			copy[at] = (unsigned char)(x >> 40);
		}
		write_file(p, copy, len, 0644);
		memset(w, 0, sizeof(*w));
		walk_in_child(p, w, round);
		assert_int_equal(w->n, pristine->n);
		for (int i = 0; i < w->n; i++)
			if (w->st[i] == NSS_STATUS_SUCCESS &&
			    (pristine->st[i] != NSS_STATUS_SUCCESS || w->h[i] != pristine->h[i]))
				fail_msg("round %d: call %d answers SUCCESS with wrong data", round,
					 i);
	}
	munmap(pristine, 2 * sizeof(struct walk));
	free(orig);
	free(copy);
}

/* No snapshot at first, then one is published: seen within a second. */
static void test_appears_later(void **state __attribute__((unused)))
{
	char p[4096];

	path_of(p, sizeof(p), "later.db");
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct nss_mod m;
		struct passwd pw;
		char buf[1024];
		int err, r = 0;
		alarm(20);
		setenv("UMGMT_DIRECTORY", p, 1);
		nss_mod_load(&m);
		if (m.getpwnam_r("alice", &pw, buf, sizeof(buf), &err) != NSS_STATUS_UNAVAIL)
			r |= 1;
		snap_write_standard(p);
		usleep(1100 * 1000);
		if (m.getpwnam_r("alice", &pw, buf, sizeof(buf), &err) != NSS_STATUS_SUCCESS)
			r |= 2;
		unlink(p); /* and gone again: UNAVAIL, not the old data */
		usleep(1100 * 1000);
		if (m.getpwnam_r("alice", &pw, buf, sizeof(buf), &err) != NSS_STATUS_UNAVAIL ||
		    err != ENOENT)
			r |= 4;
		_exit(r);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(int argc, char **argv)
{
	nsstest_handle_args(argc, argv);

	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_wrong_magic),
		cmocka_unit_test(test_format_out_of_range),
		cmocka_unit_test(test_bad_header_checksum),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_damaged_pool),
		cmocka_unit_test(test_damaged_gecos),
		cmocka_unit_test(test_damaged_member_name),
		cmocka_unit_test(test_damaged_group_record),
		cmocka_unit_test(test_untrusted),
		cmocka_unit_test(test_directory_as_path),
		cmocka_unit_test(test_appears_later),
		cmocka_unit_test(test_corrupt_bytes),
	};
	return cmocka_run_group_tests_name("nss-unavail", tests, setup, teardown);
}

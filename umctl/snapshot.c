/* SPDX-License-Identifier: MIT */
/*
 * umctl: the snapshot commands, verify and dump: what `sqlite3
 * directory.db` gave an administrator before the snapshot had a format of
 * its own (format 3, lib/snapshot-format.h).
 *
 * Both map the store's published snapshot, and the base beside it when
 * it is an overlay, read-only and as NSS does (lib/snapshot-read.h); they
 * write nothing. verify leaves the checking to the core (um_snap_verify)
 * and words the verdict; dump prints the view NSS serves, overlay and
 * base merged, in uid and gid order.
 */
#include <inttypes.h>

#include "snapshot-read.h"

#include "umctl.h"

/* Problems shown, at most; the rest are counted. */
#define PROBLEMS_SHOWN 100

static void unmapp(struct um_snapshot_file **f)
{
	um_snapshot_unmap(*f);
}

/* The store's snapshot, mapped; on failure prints why ("cannot <what>:
 * ...") and returns the exit code. */
static int map_snapshot(struct umctl_cmd *cmd, char **ret_path, const struct um_snap **ret_snap,
			struct um_snapshot_file **ret)
{
	char *path = um_config_store_path(cmd->config, UM_DIRECTORY_FILE);
	int r, code;

	if (!path)
		return umctl_fail(-ENOMEM, "%s", cmd->what);
	r = um_snapshot_map(path, ret_snap, ret);
	if (r < 0) {
		code = umctl_exit_code(UMCTL_PHASE_RUN, r);
		if (r == -ENOENT)
			umctl_fail_code(code, cmd->what,
					"there is no snapshot at %s; 'umctl status' publishes it",
					path);
		else
			umctl_fail_code(code, cmd->what, "%s: %s", path, um_error_text(r));
		free(path);
		return code;
	}
	*ret_path = path;
	return 0;
}

/* ------------------------------------------------------------ verify */

struct report {
	unsigned shown;
};

static void report_problem(void *ud, const char *problem)
{
	struct report *rp = ud;

	rp->shown++;
	if (out_is_json()) {
		out_str(NULL, problem);
		return;
	}
	fputs("snapshot: ", stdout);
	umctl_fputs_safe(problem, stdout);
	fputc('\n', stdout);
}

/* The users and groups NSS serves from s (with its base). Returns 0 or
 * -EBADMSG. */
static int count_view(const struct um_snap *s, uint64_t *ret_users, uint64_t *ret_groups)
{
	struct um_snap_cursor c = { 0 };
	struct um_dir_user u;
	struct um_dir_group g;
	uint64_t n = 0;
	int r;

	while ((r = um_snap_next_user(s, &c, &u)) == 0)
		n++;
	if (r != -ESRCH)
		return r;
	*ret_users = n;
	c = (struct um_snap_cursor){ 0 };
	n = 0;
	while ((r = um_snap_next_group(s, &c, &g)) == 0)
		n++;
	if (r != -ESRCH)
		return r;
	*ret_groups = n;
	return 0;
}

static const char *plural(uint64_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

int umctl_cmd_snapshot_verify(struct umctl_cmd *cmd)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_(unmapp) struct um_snapshot_file *file = NULL;
	const struct um_snap *s;
	struct um_status st = { 0 };
	struct report rp = { 0 };
	uint64_t users = 0, groups = 0, changed;
	unsigned problems;
	bool ahead, counted = false;
	int r;

	/* The snapshot first: a commit publishes after it commits, so the
	 * truth read after the mapping is never behind it. */
	r = map_snapshot(cmd, &path, &s, &file);
	if (r)
		return r;
	r = um_store_status(cmd->store, &st);
	if (r < 0)
		return umctl_fail(r, "%s", cmd->what);
	changed = (uint64_t)s->n_touched_uids + s->n_touched_gids;
	ahead = s->generation > st.generation;

	if (out_is_json()) {
		out_record_begin();
		out_str("path", path);
		out_u64("format", s->format);
		out_u64("generation", s->generation);
		out_u64("truth_generation", st.generation);
		out_bool("current", s->generation == st.generation);
		if (s->base_generation)
			out_u64("base_generation", s->base_generation);
		else
			out_str("base_generation", NULL);
		out_u64("changed", changed);
		out_array_begin("problems");
	}
	problems = um_snap_verify(s, report_problem, &rp, PROBLEMS_SHOWN);
	if (ahead) {
		_cleanup_free_ char *p =
			um_asprintf("generation %" PRIu64 " is ahead of the truth's %" PRIu64
				    ": it serves changes the truth does not have",
				    s->generation, st.generation);
		problems++;
		if (rp.shown < PROBLEMS_SHOWN)
			report_problem(&rp, p ? p : "the snapshot is ahead of the truth");
	}
	if (problems == 0) {
		/* What the checks found sound, the reader must walk. */
		r = count_view(s, &users, &groups);
		if (r < 0) {
			_cleanup_free_ char *p =
				um_asprintf("the reader cannot list it: %s", um_error_text(r));
			problems++;
			report_problem(&rp, p ? p : "the reader cannot list it");
		} else {
			counted = true;
		}
	}

	if (out_is_json()) {
		out_array_end();
		out_u64("problem_count", problems);
		if (counted) {
			out_u64("users", users);
			out_u64("groups", groups);
		} else {
			out_str("users", NULL);
			out_str("groups", NULL);
		}
		out_bool("ok", problems == 0);
		out_record_end();
	} else if (problems == 0) {
		printf("snapshot: ok (format %" PRIu32 ", generation %" PRIu64 ", %" PRIu64
		       " %s, %" PRIu64 " %s",
		       s->format, s->generation, users, plural(users, "user", "users"), groups,
		       plural(groups, "group", "groups"));
		if (s->base_generation)
			printf(", overlay over base generation %" PRIu64 ": %" PRIu64
			       " users and groups changed",
			       s->base_generation, changed);
		fputs(")\n", stdout);
	} else if (problems > rp.shown) {
		printf("snapshot: ... and %u more\n", problems - rp.shown);
	}
	if (!ahead && s->generation < st.generation && !out_is_json())
		printf("snapshot: generation %" PRIu64 " is behind the truth's %" PRIu64
		       "; 'umctl status' publishes it\n",
		       s->generation, st.generation);
	if (problems == 0)
		return 0;
	fflush(stdout);
	return umctl_fail_code(
		umctl_exit_code(UMCTL_PHASE_RUN, -EBADMSG), cmd->what,
		"%s is damaged (%u %s); remove it and run 'umctl status' to publish it anew", path,
		problems, plural(problems, "problem", "problems"));
}

/* ------------------------------------------------------------ dump */

/* A NUL-terminated copy of snapshot strings, for the emitter. */
struct text {
	char *buf;
	size_t cap;
};

static const char *text_of(struct text *t, const char *a, size_t na, const char *b, size_t nb)
{
	if (na + nb + 1 > t->cap) {
		size_t cap = na + nb + 1 > 2 * t->cap ? na + nb + 1 : 2 * t->cap;
		char *nbuf = realloc(t->buf, cap);
		if (!nbuf) {
			fputs("umctl: out of memory\n", stderr);
			exit(UMCTL_EX_FAILURE);
		}
		t->buf = nbuf;
		t->cap = cap;
	}
	memcpy(t->buf, a, na);
	memcpy(t->buf + na, b, nb);
	t->buf[na + nb] = '\0';
	return t->buf;
}

/* A group's member names, copied by the core into a buffer that grows. */
struct members {
	char *buf;
	size_t cap;
	char **mem;
	size_t mem_cap;
};

static int members_of(struct members *m, const struct um_dir_group *g)
{
	int r;

	if ((size_t)g->nmem + 1 > m->mem_cap) {
		char **nm = realloc(m->mem, ((size_t)g->nmem + 1) * sizeof(*nm));
		if (!nm)
			return -ENOMEM;
		m->mem = nm;
		m->mem_cap = (size_t)g->nmem + 1;
	}
	for (;;) {
		if (m->cap &&
		    (r = um_directory_group_members(g, m->buf, m->cap, m->mem)) != -ERANGE)
			return r;
		size_t cap = m->cap ? 2 * m->cap : 4096;
		char *nb = realloc(m->buf, cap);
		if (!nb)
			return -ENOMEM;
		m->buf = nb;
		m->cap = cap;
	}
}

static void members_free(struct members *m)
{
	free(m->buf);
	free(m->mem);
}

/* One field of a passwd or group line: control characters shown as C
 * escapes, as everywhere in umctl's text. */
static void field(struct text *t, const char *p, size_t n)
{
	umctl_fputs_safe(text_of(t, p, n, "", 0), stdout);
}

static void dump_user(struct text *t, const struct um_dir_user *u)
{
	if (out_is_json()) {
		out_object_begin(NULL);
		out_str("name", text_of(t, u->name, u->name_len, "", 0));
		out_u64("uid", u->uid);
		out_u64("gid", u->gid);
		out_str("gecos", text_of(t, u->gecos, u->gecos_len, "", 0));
		out_str("home", text_of(t, u->dir, u->dir_len, u->dir_tail, u->dir_tail_len));
		out_str("shell", text_of(t, u->shell, u->shell_len, "", 0));
		out_array_begin("groups");
		for (uint32_t i = 0; i < u->ngids; i++)
			out_u64(NULL, um_dir_user_gid(u, i));
		out_array_end();
		out_object_end();
		return;
	}
	fputs("passwd ", stdout);
	field(t, u->name, u->name_len);
	printf(":*:%" PRIu32 ":%" PRIu32 ":", u->uid, u->gid);
	field(t, u->gecos, u->gecos_len);
	fputc(':', stdout);
	umctl_fputs_safe(text_of(t, u->dir, u->dir_len, u->dir_tail, u->dir_tail_len), stdout);
	fputc(':', stdout);
	field(t, u->shell, u->shell_len);
	fputc('\n', stdout);
}

static void dump_group(struct text *t, const struct um_dir_group *g, char *const *mem)
{
	if (out_is_json()) {
		out_object_begin(NULL);
		out_str("name", text_of(t, g->name, g->name_len, "", 0));
		out_u64("gid", g->gid);
		out_array_begin("members");
		for (uint32_t i = 0; i < g->nmem; i++)
			out_str(NULL, mem[i]);
		out_array_end();
		out_object_end();
		return;
	}
	fputs("group ", stdout);
	field(t, g->name, g->name_len);
	printf(":*:%" PRIu32 ":", g->gid);
	for (uint32_t i = 0; i < g->nmem; i++) {
		if (i)
			fputc(',', stdout);
		umctl_fputs_safe(mem[i], stdout);
	}
	fputc('\n', stdout);
}

/*
 * Walks the view NSS serves, printing it when print is set. The dump
 * walks it twice: once to know that every record reads (so that a
 * damaged snapshot never leaves half a listing, or half a JSON
 * document), then to print it. Both walks read the mapping, nothing is
 * held: a million users take no more memory than ten. Returns 0 or the
 * core's error.
 */
static int walk(const struct um_snap *s, bool print, struct text *t, struct members *m)
{
	struct um_snap_cursor c = { 0 };
	struct um_dir_user u;
	struct um_dir_group g;
	int r;

	if (print && out_is_json())
		out_array_begin("users");
	while ((r = um_snap_next_user(s, &c, &u)) == 0)
		if (print)
			dump_user(t, &u);
	if (r != -ESRCH)
		return r;
	if (print && out_is_json()) {
		out_array_end();
		out_array_begin("groups");
	}
	c = (struct um_snap_cursor){ 0 };
	while ((r = um_snap_next_group(s, &c, &g)) == 0) {
		if ((r = members_of(m, &g)) < 0)
			return r;
		if (print)
			dump_group(t, &g, m->mem);
	}
	if (r != -ESRCH)
		return r;
	if (print && out_is_json())
		out_array_end();
	return 0;
}

int umctl_cmd_snapshot_dump(struct umctl_cmd *cmd)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_(unmapp) struct um_snapshot_file *file = NULL;
	const struct um_snap *s;
	struct text t = { 0 };
	struct members m = { 0 };
	int r;

	r = map_snapshot(cmd, &path, &s, &file);
	if (r)
		return r;
	r = walk(s, false, &t, &m);
	if (r < 0) {
		members_free(&m);
		return umctl_fail_code(umctl_exit_code(UMCTL_PHASE_RUN, r), cmd->what,
				       "%s: %s; 'umctl snapshot verify' names the damage", path,
				       um_error_text(r));
	}
	if (out_is_json()) {
		out_record_begin();
		out_u64("format", s->format);
		out_u64("generation", s->generation);
	}
	r = walk(s, true, &t, &m);
	if (out_is_json())
		out_record_end();
	members_free(&m);
	free(t.buf);
	return r < 0 ? umctl_fail(r, "%s", cmd->what) : 0;
}

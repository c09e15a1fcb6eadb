/* SPDX-License-Identifier: MIT */
/*
 * umgmt core: bulk import of passwd/group files (see umgmt/import.h).
 *
 * Built for a million users in well under a minute:
 * - both files are read whole and split in place (no copy per field);
 * - every check runs before the first write, against hash tables of the
 *   files' own names and ids and of /etc/passwd and /etc/group, which are
 *   read once (um_local_*() rescans the file per call: 1M calls at 1M
 *   lines would never end); the store is asked through statements
 *   prepared once and reused for every row;
 * - rows get their surrogate keys from us (max(id) + 1 ...), so members
 *   resolve to user ids without a query, and the inserts run through
 *   prepared statements, in key order, inside the one transaction that
 *   also did the checks, with a larger page cache for the indexes.
 */
#include <fcntl.h>
#include <sys/stat.h>

#include "audit.h"
#include "group-private.h"
#include "id.h"
#include "publish.h"
#include "schema.h"
#include "user-private.h"
#include "umgmt/date.h"
#include "umgmt/import.h"
#include "umgmt/local.h"
#include "umgmt/validate.h"

#define UID_MAX_GIVEN 4294967294ULL
/* The page cache while importing (KiB); SQLite's default is 2 MiB. The
 * indexes of a million users and five million memberships are ~200 MiB. */
#define IMPORT_CACHE_KIB 262144

/* ---------------------------------------------------------- hash tables */

/* name -> value; keys point into buffers that outlive the table. */
struct strent {
	const char *k;
	uint64_t h;
	int64_t v;
};

struct strmap {
	struct strent *e;
	size_t mask, n;
};

/* id -> value; key id + 1 is stored so that 0 means empty. */
struct idmap {
	uint64_t *k;
	int64_t *v;
	size_t mask, n;
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h ^ (h >> 29);
}

static uint64_t hash_id(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return x;
}

static void strmap_free(struct strmap *m)
{
	free(m->e);
}

static void idmap_free(struct idmap *m)
{
	free(m->k);
	free(m->v);
}

static struct strent *strmap_slot(const struct strmap *m, const char *k, uint64_t h)
{
	for (size_t i = h & m->mask;; i = (i + 1) & m->mask)
		if (!m->e[i].k || (m->e[i].h == h && !strcmp(m->e[i].k, k)))
			return &m->e[i];
}

static int strmap_grow(struct strmap *m)
{
	struct strmap nm;
	size_t cap = m->e ? (m->mask + 1) * 2 : 1024;

	if (m->e && m->n * 2 < m->mask + 1)
		return 0;
	nm = (struct strmap){ .e = calloc(cap, sizeof(*nm.e)), .mask = cap - 1, .n = m->n };
	if (!nm.e)
		return -ENOMEM;
	for (size_t i = 0; m->e && i <= m->mask; i++)
		if (m->e[i].k)
			*strmap_slot(&nm, m->e[i].k, m->e[i].h) = m->e[i];
	free(m->e);
	*m = nm;
	return 0;
}

/* Returns the entry for k, or NULL when there is none. */
static const struct strent *strmap_get(const struct strmap *m, const char *k)
{
	const struct strent *e;

	if (!m->e)
		return NULL;
	e = strmap_slot(m, k, hash_str(k));
	return e->k ? e : NULL;
}

/* Adds k -> v. Returns 0, 1 (k was there: *ret_old holds its value, the
 * table is unchanged) or -ENOMEM. */
static int strmap_add(struct strmap *m, const char *k, int64_t v, int64_t *ret_old)
{
	uint64_t h = hash_str(k);
	struct strent *e;

	if (strmap_grow(m) < 0)
		return -ENOMEM;
	e = strmap_slot(m, k, h);
	if (e->k) {
		if (ret_old)
			*ret_old = e->v;
		return 1;
	}
	*e = (struct strent){ .k = k, .h = h, .v = v };
	m->n++;
	return 0;
}

static size_t idmap_slot(const struct idmap *m, uint64_t key)
{
	for (size_t i = hash_id(key) & m->mask;; i = (i + 1) & m->mask)
		if (!m->k[i] || m->k[i] == key)
			return i;
}

static int idmap_grow(struct idmap *m)
{
	struct idmap nm;
	size_t cap = m->k ? (m->mask + 1) * 2 : 1024;

	if (m->k && m->n * 2 < m->mask + 1)
		return 0;
	nm = (struct idmap){ .k = calloc(cap, sizeof(*nm.k)),
			     .v = calloc(cap, sizeof(*nm.v)),
			     .mask = cap - 1,
			     .n = m->n };
	if (!nm.k || !nm.v) {
		idmap_free(&nm);
		return -ENOMEM;
	}
	for (size_t i = 0; m->k && i <= m->mask; i++)
		if (m->k[i]) {
			size_t j = idmap_slot(&nm, m->k[i]);

			nm.k[j] = m->k[i];
			nm.v[j] = m->v[i];
		}
	idmap_free(m);
	*m = nm;
	return 0;
}

/* Returns true and the value in *ret (may be NULL) when id is there. */
static bool idmap_get(const struct idmap *m, uint32_t id, int64_t *ret)
{
	size_t i;

	if (!m->k)
		return false;
	i = idmap_slot(m, (uint64_t)id + 1);
	if (!m->k[i])
		return false;
	if (ret)
		*ret = m->v[i];
	return true;
}

/* As strmap_add(). */
static int idmap_add(struct idmap *m, uint32_t id, int64_t v, int64_t *ret_old)
{
	size_t i;

	if (idmap_grow(m) < 0)
		return -ENOMEM;
	i = idmap_slot(m, (uint64_t)id + 1);
	if (m->k[i]) {
		if (ret_old)
			*ret_old = m->v[i];
		return 1;
	}
	m->k[i] = (uint64_t)id + 1;
	m->v[i] = v;
	m->n++;
	return 0;
}

/* ------------------------------------------------------------- the files */

/* Reads path whole, NUL-terminated. Returns 0, -ENOENT, -EACCES, -EIO,
 * -ENOMEM. */
static int read_whole(const char *path, char **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap = 0;
	struct stat st;
	ssize_t n;

	if (fd < 0 || fstat(fd, &st) < 0)
		return um_fail(errno == ENOENT	 ? -ENOENT
			       : errno == EACCES ? -EACCES
						 : -EIO,
			       "cannot read %s: %s", path, strerror(errno));
	if (S_ISDIR(st.st_mode))
		return um_fail(-EINVAL, "%s is a directory", path);
	if (S_ISREG(st.st_mode))
		cap = (size_t)st.st_size + 1;
	for (;;) {
		if (len + 1 >= cap) {
			size_t nc = cap < 65536 ? 65536 : cap * 2;
			char *nb = realloc(buf, nc);

			if (!nb)
				return -ENOMEM;
			buf = nb;
			cap = nc;
		} else if (!buf && !(buf = malloc(cap))) {
			return -ENOMEM;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return um_fail(-EIO, "cannot read %s: %s", path, strerror(errno));
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*ret = UM_TAKE_PTR(buf);
	*ret_len = len;
	return 0;
}

/* Walks the lines of a buffer, cutting them in place. */
struct lines {
	char *p, *end;
	size_t no;
};

/* The next line (without its newline, NUL-terminated), or NULL at the
 * end; *ret_nul tells that the line held a NUL byte. */
static char *next_line(struct lines *l, bool *ret_nul)
{
	char *line = l->p, *nl;

	if (l->p >= l->end)
		return NULL;
	nl = memchr(l->p, '\n', (size_t)(l->end - l->p));
	if (!nl)
		nl = l->end;
	*nl = '\0';
	*ret_nul = strlen(line) != (size_t)(nl - line);
	l->p = nl + 1;
	l->no++;
	return line;
}

/* Splits line at ':' into at most max fields. Returns the count found
 * (max + 1 when there are more). */
static int split(char *line, char **f, int max)
{
	int n = 0;

	for (char *p = line;; p++) {
		if (n == max)
			return max + 1;
		f[n++] = p;
		p = strchr(p, ':');
		if (!p)
			return n;
		*p = '\0';
	}
}

/* ------------------------------------------------------------ the import */

struct imp_user {
	char *name, *gecos, *home, *shell;
	uint32_t uid, gid;
	size_t line;
	int64_t group_id; /* 0: a local group */
};

struct imp_group {
	char *name, *members;
	uint32_t gid;
	size_t line;
};

enum query {
	Q_USER_BY_NAME,
	Q_GROUP_BY_NAME,
	Q_GROUP_BY_GID,
	Q_ID_USED,
	N_QUERY,
};

static const char *const query_sql[N_QUERY] = {
	[Q_USER_BY_NAME] = "SELECT id FROM users WHERE name = :key",
	[Q_GROUP_BY_NAME] = "SELECT id FROM groups WHERE name = :key",
	[Q_GROUP_BY_GID] = "SELECT id FROM groups WHERE gid = :key",
	[Q_ID_USED] = "SELECT 1 FROM used_ids WHERE kind = :kind AND num = :key",
};

struct importer {
	struct um_store *s;
	const char *ppath, *gpath;
	char *pdata, *gdata, *lpdata, *lgdata;
	size_t plen, glen;
	struct imp_user *users;
	size_t n_users;
	struct imp_group *groups;
	size_t n_groups;
	int64_t first_user_id, first_group_id; /* surrogate keys we hand out */
	struct strmap user_names, group_names, local_users, local_groups;
	struct idmap uids, gids, local_uids, local_gids;
	sqlite3_stmt *q[N_QUERY];
	char **deferred; /* CREATE statements of what schema_defer() dropped */
	size_t n_deferred;
};

static void importer_done(struct importer *im)
{
	free(im->pdata);
	free(im->gdata);
	free(im->lpdata);
	free(im->lgdata);
	free(im->users);
	free(im->groups);
	strmap_free(&im->user_names);
	strmap_free(&im->group_names);
	strmap_free(&im->local_users);
	strmap_free(&im->local_groups);
	idmap_free(&im->uids);
	idmap_free(&im->gids);
	idmap_free(&im->local_uids);
	idmap_free(&im->local_gids);
	for (size_t i = 0; i < N_QUERY; i++)
		sqlite3_finalize(im->q[i]);
	for (size_t i = 0; i < im->n_deferred; i++)
		free(im->deferred[i]);
	free(im->deferred);
}

/* "FILE:LINE: <printf>" in the detail; returns err. */
static int _printf_(4, 5) line_fail(int err, const char *path, size_t line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return um_fail(err, "%s:%zu: %s", path, line, msg);
}

/* Prefixes the detail a check left with "FILE:LINE: ". */
static int line_wrap(int err, const char *path, size_t line)
{
	char msg[512];

	snprintf(msg, sizeof(msg), "%s", um_error_text(err));
	return um_fail(err, "%s:%zu: %s", path, line, msg);
}

/* Looks key up with query q. Returns 1 (found, the first column in
 * *ret_id when not NULL), 0 (not found) or an error. */
static int store_find(struct importer *im, enum query q, const char *kind, const char *text,
		      int64_t num, int64_t *ret_id)
{
	sqlite3_stmt *st = im->q[q];
	int r, rc;

	if (!st) {
		r = um_db_prepare(&im->s->db, query_sql[q], &im->q[q]);
		if (r < 0)
			return r;
		st = im->q[q];
	}
	sqlite3_reset(st);
	if (kind)
		if ((r = um_bind_text(st, ":kind", kind)) < 0)
			return r;
	r = text ? um_bind_text(st, ":key", text) : um_bind_int(st, ":key", num);
	if (r < 0)
		return r;
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW)
		return um_db_error(&im->s->db, rc, "look into the store");
	if (ret_id)
		*ret_id = sqlite3_column_int64(st, 0);
	/* Let go of the row: a statement left on it would make the import's
	 * DROP INDEX (schema_defer) fail as "locked". */
	sqlite3_reset(st);
	return 1;
}

/* Loads the names and ids of a local file (/etc/passwd or /etc/group:
 * name in field 0, id in field 2). Lines that do not parse are skipped,
 * as nss_files skips them. A missing file is empty. */
static int load_local(const char *path, char **ret_data, struct strmap *names, struct idmap *ids)
{
	struct lines l;
	size_t len;
	char *line, *f[4];
	bool nul;
	int r;

	r = read_whole(path, ret_data, &len);
	if (r == -ENOENT) {
		um_error_forget(r);
		return 0;
	}
	if (r < 0)
		return r;
	l = (struct lines){ .p = *ret_data, .end = *ret_data + len };
	while ((line = next_line(&l, &nul))) {
		uint64_t id;

		if (nul || split(line, f, 4) < 3 || !f[0][0])
			continue;
		if (strmap_add(names, f[0], 0, NULL) < 0)
			return -ENOMEM;
		if (um_parse_u64(f[2], 0, UINT32_MAX, &id) == 0 &&
		    idmap_add(ids, (uint32_t)id, (int64_t)(intptr_t)f[0], NULL) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* The line where entry idx of the passwd (is_user) or group file is. */
static size_t line_of(const struct importer *im, bool is_user, int64_t idx)
{
	return is_user ? im->users[idx].line : im->groups[idx].line;
}

/* Checks a uid or gid field: a number, not reserved, not given twice in
 * the files, not local, never used in the store. idx is the entry's
 * index in its file. */
static int check_id(struct importer *im, const char *path, size_t line, bool is_user,
		    const char *text, int64_t idx, uint32_t *ret)
{
	const char *kind = is_user ? "uid" : "gid";
	struct idmap *mine = is_user ? &im->uids : &im->gids;
	struct idmap *local = is_user ? &im->local_uids : &im->local_gids;
	int64_t v;
	uint64_t id;
	int r;

	if (um_parse_u64(text, 0, UID_MAX_GIVEN, &id) < 0)
		return line_fail(-EINVAL, path, line,
				 "%s '%s' is not a decimal number between 1 and %llu", kind, text,
				 UID_MAX_GIVEN);
	if (um_id_is_reserved(id))
		return line_fail(-EPERM, path, line, "%s %llu is reserved by the system", kind,
				 (unsigned long long)id);
	r = idmap_add(mine, (uint32_t)id, idx, &v);
	if (r < 0)
		return r;
	if (r > 0)
		return line_fail(-EEXIST, path, line, "%s %llu is already given on line %zu", kind,
				 (unsigned long long)id, line_of(im, is_user, v));
	if (idmap_get(local, (uint32_t)id, &v))
		return line_fail(-EEXIST, path, line, "%s %llu belongs to local %s '%s' in %s",
				 kind, (unsigned long long)id, is_user ? "user" : "group",
				 (const char *)(intptr_t)v,
				 is_user ? UM_PASSWD_PATH : UM_GROUP_PATH);
	r = store_find(im, Q_ID_USED, kind, NULL, (int64_t)id, NULL);
	if (r < 0)
		return r;
	if (r > 0)
		return line_fail(-EEXIST, path, line,
				 "%s %llu is or was in use in umgmt; ids are never reused", kind,
				 (unsigned long long)id);
	*ret = (uint32_t)id;
	return 0;
}

/* Checks a name: valid, not defined twice in the file, not local, not in
 * the store. */
static int check_name_new(struct importer *im, const char *path, size_t line, bool is_user,
			  const char *name, int64_t idx)
{
	const char *what = is_user ? "user" : "group";
	int64_t v;
	int r;

	if (um_check_name(is_user ? "user name" : "group name", name) < 0)
		return line_wrap(-EINVAL, path, line);
	r = strmap_add(is_user ? &im->user_names : &im->group_names, name, idx, &v);
	if (r < 0)
		return r;
	if (r > 0)
		return line_fail(-EEXIST, path, line, "%s '%s' is already defined on line %zu",
				 what, name, line_of(im, is_user, v));
	if (strmap_get(is_user ? &im->local_users : &im->local_groups, name))
		return line_fail(-EEXIST, path, line, "'%s' is a local %s in %s", name, what,
				 is_user ? UM_PASSWD_PATH : UM_GROUP_PATH);
	r = store_find(im, is_user ? Q_USER_BY_NAME : Q_GROUP_BY_NAME, NULL, name, 0, NULL);
	if (r < 0)
		return r;
	if (r > 0)
		return line_fail(-EEXIST, path, line, "a %s named '%s' already exists in umgmt",
				 what, name);
	return 0;
}

/* Makes room for one more entry of size sz in *v. */
static int grow(void **v, size_t n, size_t *cap, size_t sz)
{
	void *nv;

	if (n < *cap)
		return 0;
	nv = realloc(*v, (*cap ? *cap * 2 : 1024) * sz);
	if (!nv)
		return -ENOMEM;
	*v = nv;
	*cap = *cap ? *cap * 2 : 1024;
	return 0;
}

static int parse_passwd(struct importer *im)
{
	struct lines l = { .p = im->pdata, .end = im->pdata + im->plen };
	const char *path = im->ppath;
	size_t cap = 0;
	char *line, *f[7];
	bool nul;
	int n, r;

	while ((line = next_line(&l, &nul))) {
		struct imp_user *u;
		uint64_t gid;
		char *comma;

		if (nul)
			return line_fail(-EINVAL, path, l.no, "the line contains a NUL byte");
		n = split(line, f, 7);
		if (n != 7)
			return line_fail(
				-EINVAL, path, l.no,
				"a passwd line has 7 fields separated by ':', this one has %s%d",
				n > 7 ? "more than " : "", n > 7 ? 7 : n);
		if (grow((void **)&im->users, im->n_users, &cap, sizeof(*im->users)) < 0)
			return -ENOMEM;
		u = &im->users[im->n_users];
		*u = (struct imp_user){
			.name = f[0], .gecos = f[4], .home = f[5], .shell = f[6], .line = l.no
		};
		r = check_name_new(im, path, l.no, true, u->name, (int64_t)im->n_users);
		if (r < 0)
			return r;
		r = check_id(im, path, l.no, true, f[2], (int64_t)im->n_users, &u->uid);
		if (r < 0)
			return r;
		/* The primary group is resolved once the groups are known. */
		if (um_parse_u64(f[3], 0, UID_MAX_GIVEN, &gid) < 0)
			return line_fail(-EINVAL, path, l.no,
					 "gid '%s' is not a decimal number between 0 and %llu",
					 f[3], UID_MAX_GIVEN);
		u->gid = (uint32_t)gid;
		/* The full name is the first GECOS subfield. */
		comma = strchr(u->gecos, ',');
		if (comma)
			*comma = '\0';
		if (um_check_gecos(u->gecos) < 0 || um_check_path("home directory", u->home) < 0 ||
		    um_check_path("shell", u->shell) < 0)
			return line_wrap(-EINVAL, path, l.no);
		im->n_users++;
	}
	return 0;
}

static int parse_group(struct importer *im)
{
	struct lines l = { .p = im->gdata, .end = im->gdata + im->glen };
	const char *path = im->gpath;
	size_t cap = 0;
	char *line, *f[4];
	bool nul;
	int n, r;

	while ((line = next_line(&l, &nul))) {
		struct imp_group *g;

		if (nul)
			return line_fail(-EINVAL, path, l.no, "the line contains a NUL byte");
		n = split(line, f, 4);
		if (n != 4)
			return line_fail(
				-EINVAL, path, l.no,
				"a group line has 4 fields separated by ':', this one has %s%d",
				n > 4 ? "more than " : "", n > 4 ? 4 : n);
		if (grow((void **)&im->groups, im->n_groups, &cap, sizeof(*im->groups)) < 0)
			return -ENOMEM;
		g = &im->groups[im->n_groups];
		*g = (struct imp_group){ .name = f[0], .members = f[3], .line = l.no };
		r = check_name_new(im, path, l.no, false, g->name, (int64_t)im->n_groups);
		if (r < 0)
			return r;
		r = check_id(im, path, l.no, false, f[2], (int64_t)im->n_groups, &g->gid);
		if (r < 0)
			return r;
		im->n_groups++;
	}
	return 0;
}

/* Each user's primary group: one of the group file, of the store, or a
 * local one (group_id 0). */
static int resolve_primary(struct importer *im)
{
	int64_t v;
	int r;

	for (size_t i = 0; i < im->n_users; i++) {
		struct imp_user *u = &im->users[i];

		if (idmap_get(&im->gids, u->gid, &v)) {
			u->group_id = im->first_group_id + v;
			continue;
		}
		r = store_find(im, Q_GROUP_BY_GID, NULL, NULL, u->gid, &v);
		if (r < 0)
			return r;
		if (r > 0) {
			u->group_id = v;
			continue;
		}
		if (idmap_get(&im->local_gids, u->gid, NULL)) {
			u->group_id = 0;
			continue;
		}
		return line_fail(-EINVAL, im->ppath, u->line,
				 "primary gid %u of '%s' is not a group of %s, of umgmt or of %s",
				 u->gid, u->name, im->gpath ? im->gpath : "the group file",
				 UM_GROUP_PATH);
	}
	return 0;
}

/* The user id of member name: a user of the passwd file or of the store. */
static int resolve_member(struct importer *im, size_t line, const char *name, int64_t *ret)
{
	const struct strent *e;
	int r;

	if (um_check_name("member name", name) < 0)
		return line_wrap(-EINVAL, im->gpath, line);
	e = strmap_get(&im->user_names, name);
	if (e) {
		*ret = im->first_user_id + e->v;
		return 0;
	}
	r = store_find(im, Q_USER_BY_NAME, NULL, name, 0, ret);
	if (r < 0)
		return r;
	if (r == 0)
		return line_fail(-EINVAL, im->gpath, line,
				 "member '%s' is a user neither of %s nor of umgmt", name,
				 im->ppath ? im->ppath : "the passwd file");
	return 0;
}

/* The integer a one-row query returns (max(id) + 1, a count). */
static int max_id(struct importer *im, const char *sql, int64_t *ret)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = um_db_prepare(&im->s->db, sql, &st), rc;

	if (r < 0)
		return r;
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		return um_db_error(&im->s->db, rc, "read the store");
	*ret = sqlite3_column_int64(st, 0);
	return 0;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* The rows go in through their owners' inserts (group.c, user.c, id.c),
 * each statement prepared once and kept for every row. */
static int insert_all(struct importer *im, struct um_import_result *res)
{
	sqlite3_stmt *g = NULL, *u = NULL, *m = NULL, *ids = NULL;
	_cleanup_free_ int64_t *mem = NULL;
	size_t mem_cap = 0;
	int64_t now = um_now();
	int r = 0;

	for (size_t i = 0; i < im->n_groups && r >= 0; i++) {
		r = um_group_insert(im->s, &g,
				    &(struct um_group_row){ .id = im->first_group_id + (int64_t)i,
							    .name = im->groups[i].name,
							    .gid = im->groups[i].gid,
							    .created_at = now },
				    NULL);
		if (r >= 0)
			r = um_id_mark_used(im->s, &ids, UM_ID_GID, im->groups[i].gid);
	}
	for (size_t i = 0; i < im->n_users && r >= 0; i++) {
		const struct imp_user *x = &im->users[i];

		r = um_user_insert(im->s, &u,
				   &(struct um_user_row){ .id = im->first_user_id + (int64_t)i,
							  .name = x->name,
							  .uid = x->uid,
							  .gid = x->gid,
							  .group_id = x->group_id,
							  .kind = UM_KIND_PERSON,
							  .full_name = x->gecos,
							  .home = x->home,
							  .shell = x->shell,
							  .approved = true,
							  .stamp_approval = true,
							  .created_at = now },
				   NULL);
		if (r >= 0)
			r = um_id_mark_used(im->s, &ids, UM_ID_UID, x->uid);
	}
	res->users = r >= 0 ? im->n_users : 0;
	res->groups = r >= 0 ? im->n_groups : 0;

	/* Members in key order: the primary key's b-tree grows at its end. */
	for (size_t i = 0; i < im->n_groups && r >= 0; i++) {
		const struct imp_group *x = &im->groups[i];
		size_t n = 0;

		for (char *p = x->members, *c; *x->members && p && r >= 0; p = c ? c + 1 : NULL) {
			c = strchr(p, ',');
			if (c)
				*c = '\0';
			if ((r = grow((void **)&mem, n, &mem_cap, sizeof(*mem))) < 0)
				break;
			r = resolve_member(im, x->line, p, &mem[n]);
			n++;
		}
		if (r < 0)
			break;
		if (n > 1)
			qsort(mem, n, sizeof(*mem), cmp_i64);
		for (size_t k = 0; k < n && r >= 0; k++) {
			if (k > 0 && mem[k] == mem[k - 1])
				continue;
			r = um_group_member_insert(im->s, &m, im->first_group_id + (int64_t)i,
						   mem[k]);
			res->members++;
		}
	}
	sqlite3_finalize(g);
	sqlite3_finalize(u);
	sqlite3_finalize(m);
	sqlite3_finalize(ids);
	return r;
}

/*
 * Two things are set aside for the import's one transaction and put back
 * before it commits; other connections never see a difference.
 *
 * - The snapshot's change log (dir_changes, lib/schema.c) would get
 *   several rows per imported user and membership, only to be read by a
 *   publish that rebuilds anyway: this connection's log triggers are
 *   dropped, the log is emptied and its trim mark raised to this commit's
 *   generation, so the next publish is a full build, whatever snapshot it
 *   finds.
 * - group_members_by_user, when the import brings at least as many
 *   memberships as the store holds: memberships go in in primary-key order,
 *   which is random order for this index, and building it afterwards in one
 *   sort costs a third of keeping it up to date row by row (measured: 0.26
 *   against 0.61 s for 500k memberships). It is not UNIQUE, so nothing
 *   needs it while rows go in. The UNIQUE indexes stay: they are checks.
 *   It is recreated from its own text (sqlite_master).
 */
static const char sql_deferred[] =
	"SELECT type, name, sql FROM sqlite_master\n"
	"WHERE type = 'index' AND name = 'group_members_by_user' AND :rebuild_index";

/* An upper bound of the memberships the group file brings: its commas
 * plus its lines. */
static int64_t memberships_in_file(const struct importer *im)
{
	int64_t n = 0;

	for (size_t i = 0; i < im->glen; i++)
		n += im->gdata[i] == ',' || im->gdata[i] == '\n';
	return n + 1;
}

static int schema_defer(struct importer *im)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int64_t have = 0;
	int r, rc;

	r = max_id(im, "SELECT count(*) FROM group_members", &have);
	if (r >= 0)
		r = um_db_prepare(&im->s->db, sql_deferred, &st);
	if (r < 0)
		return r;
	if ((r = um_bind_int(st, ":rebuild_index", im->gdata && memberships_in_file(im) >= have)) <
	    0)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		_cleanup_free_ char *drop =
			um_asprintf("DROP INDEX \"%s\"", (const char *)sqlite3_column_text(st, 1));
		char **nv = realloc(im->deferred, (im->n_deferred + 1) * sizeof(*nv));

		if (nv)
			im->deferred = nv;
		if (!nv || !drop || !(nv[im->n_deferred] = um_col_text(st, 2, false)))
			return -ENOMEM;
		im->n_deferred++;
		sqlite3_reset(st); /* let go of sqlite_master before changing it */
		r = um_db_exec(&im->s->db, drop, "prepare the import");
		if (r < 0)
			return r;
	}
	if (rc != SQLITE_DONE)
		return um_db_error(&im->s->db, rc, "prepare the import");
	r = um_change_log_stop(&im->s->db);
	if (r < 0)
		return r;
	return um_publish_log_reset(im->s);
}

static int schema_restore(struct importer *im)
{
	for (size_t i = 0; i < im->n_deferred; i++) {
		int r = um_db_exec(&im->s->db, im->deferred[i], "finish the import");

		if (r < 0)
			return r;
	}
	return um_change_log_start(&im->s->db);
}

int um_import(struct um_store *s, const char *passwd_path, const char *group_path,
	      struct um_import_result *ret)
{
	struct importer im = { .s = s, .ppath = passwd_path, .gpath = group_path };
	struct um_import_result res = { 0 };
	_cleanup_free_ char *detail = NULL;
	int r;

	if (!passwd_path && !group_path)
		return um_fail(-EINVAL,
			       "nothing to import: give a passwd file, a group file or both");
	if (passwd_path && (r = read_whole(passwd_path, &im.pdata, &im.plen)) < 0)
		goto out;
	if (group_path && (r = read_whole(group_path, &im.gdata, &im.glen)) < 0)
		goto out;
	r = load_local(UM_PASSWD_PATH, &im.lpdata, &im.local_users, &im.local_uids);
	if (r >= 0)
		r = load_local(UM_GROUP_PATH, &im.lgdata, &im.local_groups, &im.local_gids);
	if (r < 0)
		goto out;

	/* Every reference was checked above, row by row; SQLite's own checks
	 * would look each parent up again (two probes per membership).
	 * The pragma is a no-op inside a transaction: set it before. */
	r = um_db_exec(&s->db, "PRAGMA foreign_keys = OFF", "prepare the import");
	if (r < 0)
		goto out;
	r = um_db_begin(&s->db);
	if (r < 0)
		goto restore;
	r = max_id(&im, "SELECT ifnull(max(id), 0) + 1 FROM groups", &im.first_group_id);
	if (r >= 0 && passwd_path)
		r = parse_passwd(&im);
	if (r >= 0 && group_path)
		r = parse_group(&im);
	/* Users' row ids are never reused: reserved, not max(id) + 1. */
	if (r >= 0 && im.n_users)
		r = um_id_reserve_user_rows(s, (int64_t)im.n_users, &im.first_user_id);
	if (r >= 0)
		r = resolve_primary(&im);
	if (r >= 0)
		r = um_db_exec(&s->db, "PRAGMA cache_size = -" UM_STR(IMPORT_CACHE_KIB),
			       "prepare the import");
	if (r >= 0)
		r = schema_defer(&im);
	if (r >= 0)
		r = insert_all(&im, &res);
	if (r >= 0)
		r = schema_restore(&im);
	if (r >= 0) {
		detail = um_asprintf("%llu users, %llu groups, %llu memberships",
				     (unsigned long long)res.users, (unsigned long long)res.groups,
				     (unsigned long long)res.members);
		r = detail ? um_audit(s, "import", "store", passwd_path ? passwd_path : group_path,
				      0, detail)
			   : -ENOMEM;
	}
	for (size_t i = 0; i < N_QUERY; i++) {
		sqlite3_finalize(im.q[i]);
		im.q[i] = NULL;
	}
	if (r >= 0)
		r = um_publish_commit(s);
	else
		um_db_rollback(&s->db);
	if (r >= 0 && ret)
		*ret = res;
restore:
	/* Back to the connection's defaults. */
	sqlite3_exec(s->db.h, "PRAGMA cache_size = -2000; PRAGMA foreign_keys = ON", NULL, NULL,
		     NULL);
out:
	importer_done(&im);
	return r;
}

/* SPDX-License-Identifier: MIT */
/* Helpers shared by the NSS tests (see nsstest.h). */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nsstest.h"
#include "snapshot-format.h"
#include "snapshot-write.h"
#include "umgmt/common.h"

#define DIE(...)                                                                                   \
	do {                                                                                       \
		fprintf(stderr, "nsstest: " __VA_ARGS__);                                          \
		fputc('\n', stderr);                                                               \
		abort();                                                                           \
	} while (0)

const char *const std_user_names[] = { "alice", "bob", "carol", "dave", "zed", NULL };
const uint32_t std_user_uids[] = { 2000, 2001, 2002, 2003, 65533 };
const char *const std_group_names[] = { "users", "alice", "staff", "big", "proj", "empty", NULL };
const uint32_t std_group_gids[] = { 100, 2000, 3000, 3001, 3002, 3003 };

void std_user(size_t n, char *name, uint32_t *uid)
{
	if (n < N_NAMED_USERS) {
		snprintf(name, 16, "%s", std_user_names[n]);
		*uid = std_user_uids[n];
	} else {
		snprintf(name, 16, "m%05u", (unsigned)(n - N_NAMED_USERS + 1));
		*uid = M_UID_BASE + (uint32_t)(n - N_NAMED_USERS + 1);
	}
}

void std_group(size_t n, char *name, uint32_t *gid)
{
	if (n < N_NAMED_GROUPS) {
		snprintf(name, 16, "%s", std_group_names[n]);
		*gid = std_group_gids[n];
	} else {
		*gid = CAROL_GID_BASE + (uint32_t)(n - N_NAMED_GROUPS);
		snprintf(name, 16, "g%u", *gid);
	}
}

/* ---------------------------------------------------- snapshots in memory */

struct snap_u {
	uint32_t uid, gid;
	char *name, *gecos, *dir, *shell;
};

struct snap_g {
	uint32_t gid;
	char *name, *members;
};

struct snap {
	struct snap_u *users;
	size_t n_users, cap_users;
	struct snap_g *groups;
	size_t n_groups, cap_groups;
};

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p)
		DIE("out of memory");
	return p;
}

static char *xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		DIE("out of memory");
	return p;
}

static void grow(void **v, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return;
	*cap = *cap ? 2 * *cap : 64;
	*v = realloc(*v, *cap * size);
	if (!*v)
		DIE("out of memory");
}

struct snap *snap_new(void)
{
	return xcalloc(1, sizeof(struct snap));
}

void snap_free(struct snap *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_users; i++) {
		free(s->users[i].name);
		free(s->users[i].gecos);
		free(s->users[i].dir);
		free(s->users[i].shell);
	}
	for (size_t i = 0; i < s->n_groups; i++) {
		free(s->groups[i].name);
		free(s->groups[i].members);
	}
	free(s->users);
	free(s->groups);
	free(s);
}

void snap_user(struct snap *s, uint32_t uid, uint32_t gid, const char *name, const char *gecos,
	       const char *dir, const char *shell)
{
	grow((void **)&s->users, &s->cap_users, s->n_users, sizeof(*s->users));
	s->users[s->n_users++] = (struct snap_u){
		.uid = uid,
		.gid = gid,
		.name = xstrdup(name),
		.gecos = xstrdup(gecos),
		.dir = xstrdup(dir),
		.shell = xstrdup(shell),
	};
}

void snap_group(struct snap *s, uint32_t gid, const char *name, const char *members)
{
	grow((void **)&s->groups, &s->cap_groups, s->n_groups, sizeof(*s->groups));
	s->groups[s->n_groups++] = (struct snap_g){
		.gid = gid,
		.name = xstrdup(name),
		.members = xstrdup(members),
	};
}

static int cmp_user(const void *a, const void *b)
{
	const struct snap_u *x = *(const struct snap_u *const *)a,
			    *y = *(const struct snap_u *const *)b;

	return (x->uid > y->uid) - (x->uid < y->uid);
}

static int cmp_group(const void *a, const void *b)
{
	const struct snap_g *x = *(const struct snap_g *const *)a,
			    *y = *(const struct snap_g *const *)b;

	return (x->gid > y->gid) - (x->gid < y->gid);
}

struct name_ord {
	const char *name;
	uint32_t ord;
};

static int cmp_name(const void *a, const void *b)
{
	return strcmp(((const struct name_ord *)a)->name, ((const struct name_ord *)b)->name);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* Splits g's member names and turns them into ordinals (ascending) in
 * *ret; returns their count. */
static size_t member_ordinals(const struct snap_g *g, const struct name_ord *by_name,
			      size_t n_users, uint32_t **ret)
{
	size_t n = 0, cap = 0;
	uint32_t *v = NULL;
	char *list = xstrdup(g->members), *save = NULL;

	for (char *m = strtok_r(list, ",", &save); m; m = strtok_r(NULL, ",", &save)) {
		struct name_ord key = { .name = m };
		const struct name_ord *hit =
			bsearch(&key, by_name, n_users, sizeof(*by_name), cmp_name);
		if (!hit)
			DIE("group %s: member %s is no user of the snapshot", g->name, m);
		grow((void **)&v, &cap, n, sizeof(*v));
		v[n++] = hit->ord;
	}
	free(list);
	if (n)
		qsort(v, n, sizeof(*v), cmp_u32);
	for (size_t i = 1; i < n; i++)
		if (v[i] == v[i - 1])
			DIE("group %s: a member named twice", g->name);
	*ret = v;
	return n;
}

uint8_t *snap_image(const struct snap *s, size_t *ret_len)
{
	size_t nu = s->n_users, ng = s->n_groups;
	const struct snap_u **u = xcalloc(nu, sizeof(*u));
	const struct snap_g **g = xcalloc(ng, sizeof(*g));
	struct name_ord *by_name = xcalloc(nu, sizeof(*by_name));
	struct um_snap_user_in *ui = xcalloc(nu, sizeof(*ui));
	struct um_snap_group_in *gi = xcalloc(ng, sizeof(*gi));
	uint32_t **members = xcalloc(ng, sizeof(*members));
	uint32_t *ngids = xcalloc(nu, sizeof(*ngids));
	unsigned char **gids = xcalloc(nu, sizeof(*gids));

	for (size_t i = 0; i < nu; i++)
		u[i] = &s->users[i];
	for (size_t i = 0; i < ng; i++)
		g[i] = &s->groups[i];
	if (nu)
		qsort(u, nu, sizeof(*u), cmp_user);
	if (ng)
		qsort(g, ng, sizeof(*g), cmp_group);
	for (size_t i = 0; i < nu; i++)
		by_name[i] = (struct name_ord){ .name = u[i]->name, .ord = (uint32_t)i };
	if (nu)
		qsort(by_name, nu, sizeof(*by_name), cmp_name);
	for (size_t i = 1; i < nu; i++)
		if (!strcmp(by_name[i].name, by_name[i - 1].name))
			DIE("user %s added twice", by_name[i].name);

	/* Members, then each user's gids: the groups that name it, in gid
	 * order (so ascending). */
	for (size_t k = 0; k < ng; k++) {
		gi[k] = (struct um_snap_group_in){
			.gid = g[k]->gid,
			.name = g[k]->name,
			.name_len = strlen(g[k]->name),
		};
		gi[k].nmem = member_ordinals(g[k], by_name, nu, &members[k]);
		gi[k].members = members[k];
		for (size_t m = 0; m < gi[k].nmem; m++)
			ngids[members[k][m]]++;
	}
	for (size_t i = 0; i < nu; i++) {
		gids[i] = xcalloc(ngids[i], 4);
		ngids[i] = 0;
	}
	for (size_t k = 0; k < ng; k++)
		for (size_t m = 0; m < gi[k].nmem; m++) {
			uint32_t o = members[k][m];
			um_wr32(gids[o] + 4 * (size_t)ngids[o]++, gi[k].gid);
		}
	for (size_t i = 0; i < nu; i++)
		ui[i] = (struct um_snap_user_in){
			.id = (uint32_t)i + 1,
			.uid = u[i]->uid,
			.gid = u[i]->gid,
			.ngids = ngids[i],
			.gids = gids[i],
			.name = u[i]->name,
			.name_len = strlen(u[i]->name),
			.gecos = u[i]->gecos,
			.gecos_len = strlen(u[i]->gecos),
			.home = u[i]->dir,
			.home_len = strlen(u[i]->dir),
			.home_tail = "",
			.shell = u[i]->shell,
			.shell_len = strlen(u[i]->shell),
		};

	/* Zero everything else: a plain, standalone snapshot. */
	struct um_snap_content c = { 0 };
	c.users = ui;
	c.n_users = nu;
	c.groups = gi;
	c.n_groups = ng;
	c.generation = 1;
	c.published_at = 1767225600; /* fixed: the same content, the same bytes */
	uint8_t *img = NULL;
	int r = um_snap_build(&c, &img, ret_len);
	if (r < 0)
		DIE("um_snap_build: %s (%d)", um_error_text(r), r);

	for (size_t i = 0; i < nu; i++)
		free(gids[i]);
	for (size_t k = 0; k < ng; k++)
		free(members[k]);
	free(gids);
	free(ngids);
	free(members);
	free(gi);
	free(ui);
	free(by_name);
	free(g);
	free(u);
	return img;
}

void snap_write_image(const char *path, const void *data, size_t len)
{
	char tmp[4096];
	const char *p = data;
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		DIE("create %s: %s", tmp, strerror(errno));
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			DIE("write %s: %s", tmp, strerror(errno));
		p += n;
		len -= (size_t)n;
	}
	if (close(fd) < 0)
		DIE("close %s: %s", tmp, strerror(errno));
	if (chmod(tmp, 0644) < 0)
		DIE("chmod %s: %s", tmp, strerror(errno));
	if (rename(tmp, path) < 0)
		DIE("rename %s: %s", tmp, strerror(errno));
}

void snap_write(struct snap *s, const char *path)
{
	size_t len;
	uint8_t *img = snap_image(s, &len);

	snap_write_image(path, img, len);
	free(img);
	snap_free(s);
}

/* ----------------------------------------------------- the standard one */

/* "alice,m00001,...": big's members. */
static char *big_members(unsigned m_users)
{
	char *s = malloc(6 + (size_t)m_users * 7 + 1), *p = s;

	if (!s)
		DIE("out of memory");
	p += sprintf(p, "alice");
	for (unsigned i = 1; i <= m_users; i++)
		p += sprintf(p, ",m%05u", i);
	return s;
}

struct snap *snap_standard(int version, unsigned m_users)
{
	struct snap *s = snap_new();
	char gecos[LONG_GECOS_LEN + 1], name[16], dir[32];

	if (m_users > 99999)
		DIE("at most 99999 m-users");
	memset(gecos, 'c', LONG_GECOS_LEN);
	gecos[LONG_GECOS_LEN] = '\0';
	snap_user(s, 2000, 2000, "alice", version == 1 ? "Alice Liddell" : "Alice v2",
		  "/home/alice", "/bin/bash");
	snap_user(s, 2001, 100, "bob", "Bob,,,", "/home/bob", "/bin/sh");
	snap_user(s, 2002, 100, "carol", gecos, "/home/carol", "/bin/bash");
	snap_user(s, 2003, 100, "dave", "", "/home/dave", "/usr/sbin/nologin");
	snap_user(s, 65533, 100, "zed", "Zed", "/home/zed", "/bin/bash");
	if (version == 2)
		snap_user(s, 2004, 100, "frank", "Frank", "/home/frank", "/bin/bash");
	for (unsigned i = 1; i <= m_users; i++) {
		snprintf(name, sizeof(name), "m%05u", i);
		snprintf(dir, sizeof(dir), "/home/%s", name);
		snap_user(s, M_UID_BASE + i, 100, name, "", dir, "/bin/sh");
	}

	char *big = big_members(m_users);
	snap_group(s, 100, "users", "bob");
	snap_group(s, 2000, "alice", "");
	snap_group(s, 3000, "staff", "alice,bob");
	snap_group(s, 3001, "big", big);
	snap_group(s, 3002, "proj", "alice");
	snap_group(s, 3003, "empty", "");
	free(big);
	for (unsigned i = 0; i < CAROL_GROUPS; i++) {
		snprintf(name, sizeof(name), "g%u", CAROL_GID_BASE + i);
		snap_group(s, CAROL_GID_BASE + i, name, "carol");
	}
	return s;
}

void snap_write_standard(const char *path)
{
	snap_write(snap_standard(1, M_USERS), path);
}

void snap_write_standard_v2(const char *path)
{
	snap_write(snap_standard(2, M_USERS), path);
}

const char *nss_module_path(void)
{
	const char *p = getenv("UMGMT_NSS_MODULE");

	return p && *p ? p : "build/libnss_umgmt.so.2";
}

static void *sym(void *h, const char *name)
{
	void *p = dlsym(h, name);

	if (!p)
		DIE("%s: %s", name, dlerror());
	return p;
}

void nss_mod_load(struct nss_mod *m)
{
	m->handle = dlopen(nss_module_path(), RTLD_NOW | RTLD_LOCAL);
	if (!m->handle)
		DIE("dlopen %s: %s", nss_module_path(), dlerror());
	m->getpwnam_r = (pwnam_fn)sym(m->handle, "_nss_umgmt_getpwnam_r");
	m->getpwuid_r = (pwuid_fn)sym(m->handle, "_nss_umgmt_getpwuid_r");
	m->getgrnam_r = (grnam_fn)sym(m->handle, "_nss_umgmt_getgrnam_r");
	m->getgrgid_r = (grgid_fn)sym(m->handle, "_nss_umgmt_getgrgid_r");
	m->setpwent = (setent_fn)sym(m->handle, "_nss_umgmt_setpwent");
	m->setgrent = (setent_fn)sym(m->handle, "_nss_umgmt_setgrent");
	m->endpwent = (endent_fn)sym(m->handle, "_nss_umgmt_endpwent");
	m->endgrent = (endent_fn)sym(m->handle, "_nss_umgmt_endgrent");
	m->getpwent_r = (pwent_fn)sym(m->handle, "_nss_umgmt_getpwent_r");
	m->getgrent_r = (grent_fn)sym(m->handle, "_nss_umgmt_getgrent_r");
	m->initgroups_dyn = (initgr_fn)sym(m->handle, "_nss_umgmt_initgroups_dyn");
}

int count_open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		DIE("opendir /proc/self/fd");
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the DIR's own */
}

int count_mappings(const char *needle)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[8192];
	int n = 0;

	if (!f)
		DIE("open /proc/self/maps");
	while (fgets(line, sizeof(line), f))
		if (strstr(line, needle))
			n++;
	fclose(f);
	return n;
}

char *make_temp_dir(void)
{
	const char *t = getenv("TMPDIR");
	char *p;

	if (asprintf(&p, "%s/umgmt-nss.XXXXXX", t && *t ? t : "/tmp") < 0 || !mkdtemp(p))
		DIE("mkdtemp");
	chmod(p, 0755);
	return p;
}

void remove_tree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[4096];

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		if (unlink(p) < 0 && errno == EISDIR)
			remove_tree(p);
	}
	closedir(d);
	rmdir(dir);
}

void nsstest_handle_args(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--write-snapshot") == 0) {
		snap_write_standard(argv[2]);
		exit(0);
	}
}

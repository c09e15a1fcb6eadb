/* SPDX-License-Identifier: MIT */
/*
 * memcost: what libnss_umgmt.so.2 costs a process in memory.
 *
 *   cc -O2 -o memcost bench/memcost.c -ldl
 *   UMGMT_DIRECTORY=/path/directory.db ./memcost build/libnss_umgmt.so.2 USER [GROUP]
 *
 * Prints Rss, Pss and private memory (Private_Clean + Private_Dirty, from
 * /proc/self/smaps_rollup) before the module is loaded, after dlopen(),
 * after one getpwnam_r(USER), and after getgrnam_r(GROUP) and
 * initgroups_dyn(USER), with the difference to "before". The caller's
 * buffers are allocated and touched before the first reading, so only the
 * module (its code and data, SQLite's, the connection, the mapped
 * snapshot pages) is counted. Not built by the Makefile: build by hand.
 */
#include <dlfcn.h>
#include <errno.h>
#include <grp.h>
#include <nss.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct mem {
	long rss, pss, priv; /* KiB */
};

static struct mem mem_now(void)
{
	struct mem m = { 0 };
	char line[256];
	long v;
	FILE *f = fopen("/proc/self/smaps_rollup", "re");

	if (!f) {
		perror("smaps_rollup");
		exit(1);
	}
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Rss: %ld", &v) == 1)
			m.rss = v;
		else if (sscanf(line, "Pss: %ld", &v) == 1)
			m.pss = v;
		else if (sscanf(line, "Private_Clean: %ld", &v) == 1 ||
			 sscanf(line, "Private_Dirty: %ld", &v) == 1)
			m.priv += v;
	}
	fclose(f);
	return m;
}

static void show(const char *what, struct mem m, struct mem base)
{
	printf("%-28s rss %7ld KiB  pss %7ld KiB  private %7ld KiB  | private +%ld KiB (%.2f MiB)\n",
	       what, m.rss, m.pss, m.priv, m.priv - base.priv, (m.priv - base.priv) / 1024.0);
}

typedef enum nss_status (*pwnam_fn)(const char *, struct passwd *, char *, size_t, int *);
typedef enum nss_status (*grnam_fn)(const char *, struct group *, char *, size_t, int *);
typedef enum nss_status (*initgr_fn)(const char *, gid_t, long *, long *, gid_t **, long, int *);

int main(int argc, char **argv)
{
	size_t len = 4 << 20;
	char *buf = malloc(len), sym[64];
	long start = 0, size = 4096;
	gid_t *groups = malloc((size_t)size * sizeof(gid_t));
	struct passwd pw;
	struct group gr;
	int err;

	if (argc < 3 || !buf || !groups) {
		fprintf(stderr, "usage: memcost MODULE.so USER [GROUP]\n");
		return 2;
	}
	memset(buf, 1, len);
	memset(groups, 1, (size_t)size * sizeof(gid_t));
	struct mem base = mem_now();
	show("before dlopen", base, base);

	void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		fprintf(stderr, "%s\n", dlerror());
		return 1;
	}
	show("after dlopen", mem_now(), base);

	snprintf(sym, sizeof(sym), "_nss_%s_getpwnam_r", "umgmt");
	pwnam_fn pwnam = (pwnam_fn)dlsym(h, sym);
	grnam_fn grnam = (grnam_fn)dlsym(h, "_nss_umgmt_getgrnam_r");
	initgr_fn initgr = (initgr_fn)dlsym(h, "_nss_umgmt_initgroups_dyn");
	if (!pwnam || !grnam || !initgr) {
		fprintf(stderr, "missing symbols\n");
		return 1;
	}
	if (pwnam(argv[2], &pw, buf, len, &err) != NSS_STATUS_SUCCESS) {
		fprintf(stderr, "getpwnam %s failed: %s\n", argv[2], strerror(err));
		return 1;
	}
	show("after one getpwnam_r", mem_now(), base);
	if (argc > 3) {
		if (grnam(argv[3], &gr, buf, len, &err) != NSS_STATUS_SUCCESS) {
			fprintf(stderr, "getgrnam %s failed: %s\n", argv[3], strerror(err));
			return 1;
		}
		show("after getgrnam_r(GROUP)", mem_now(), base);
	}
	start = 0;
	initgr(argv[2], (gid_t)-1, &start, &size, &groups, 0, &err);
	show("after initgroups_dyn", mem_now(), base);
	return 0;
}

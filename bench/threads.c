/* SPDX-License-Identifier: MIT */
/*
 * threads: does libnss_umgmt.so.2 scale with threads, independent of how
 * busy the machine is?
 *
 *   cc -O2 -o threads bench/threads.c -ldl -lpthread
 *   UMGMT_DIRECTORY=/path/directory.db ./threads MODULE.so PASSWD-FILE [SECONDS]
 *
 * Runs getpwnam_r of random users from PASSWD-FILE (passwd format) on 1,
 * then 2 threads for SECONDS each (default 2), and prints per run: lookups/s
 * (wall) and CPU ns per lookup (CLOCK_THREAD_CPUTIME_ID of each thread). On
 * a shared machine the wall figure depends on whether a second CPU is free;
 * the CPU time per lookup does not: if it stays the same with 2 threads,
 * nothing serialises them (contended locks and bouncing cache lines cost
 * CPU time). The wall ratio is meaningful only on an idle machine. Not
 * built by the Makefile.
 */
#include <dlfcn.h>
#include <nss.h>
#include <pthread.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef enum nss_status (*pwnam_fn)(const char *, struct passwd *, char *, size_t, int *);

static pwnam_fn pwnam;
static char **names;
static long nnames;
static double seconds = 2;
static pthread_barrier_t bar;

struct run {
	uint64_t seed;
	long n, errors;
	double cpu_ns;
};

static double clock_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void *worker(void *arg)
{
	struct run *r = arg;
	char buf[4096];
	struct passwd pw;
	int err;
	uint64_t x = r->seed | 1;

	pthread_barrier_wait(&bar);
	double end = clock_ns(CLOCK_MONOTONIC) + seconds * 1e9;
	double c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	while (clock_ns(CLOCK_MONOTONIC) < end) {
		for (int i = 0; i < 256; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			const char *name = names[x % (uint64_t)nnames];
			if (pwnam(name, &pw, buf, sizeof(buf), &err) != NSS_STATUS_SUCCESS ||
			    strcmp(pw.pw_name, name) != 0)
				r->errors++;
			r->n++;
		}
	}
	r->cpu_ns = clock_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
	return NULL;
}

static void run(int threads)
{
	pthread_t tid[threads];
	struct run r[threads];
	long n = 0, errors = 0;
	double cpu = 0;

	pthread_barrier_init(&bar, NULL, (unsigned)threads + 1);
	for (int i = 0; i < threads; i++) {
		r[i] = (struct run){ .seed = 0x9e3779b97f4a7c15ULL * (uint64_t)(i + 1) };
		pthread_create(&tid[i], NULL, worker, &r[i]);
	}
	double t0 = clock_ns(CLOCK_MONOTONIC);
	pthread_barrier_wait(&bar);
	for (int i = 0; i < threads; i++) {
		pthread_join(tid[i], NULL);
		n += r[i].n, errors += r[i].errors, cpu += r[i].cpu_ns;
	}
	double wall = clock_ns(CLOCK_MONOTONIC) - t0;
	pthread_barrier_destroy(&bar);
	printf("threads=%d lookups/s=%.0f cpu_ns_per_lookup=%.0f errors=%ld\n", threads,
	       n / (wall / 1e9), cpu / n, errors);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: threads MODULE.so PASSWD-FILE [SECONDS]\n");
		return 2;
	}
	if (argc > 3)
		seconds = atof(argv[3]);
	void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	if (!h || !(pwnam = (pwnam_fn)dlsym(h, "_nss_umgmt_getpwnam_r"))) {
		fprintf(stderr, "cannot load %s\n", argv[1]);
		return 1;
	}
	FILE *f = fopen(argv[2], "re");
	char line[1024];
	long cap = 1024;
	names = malloc((size_t)cap * sizeof(*names));
	while (f && names && fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');
		if (!colon)
			continue;
		*colon = '\0';
		if (nnames == cap && !(names = realloc(names, (size_t)(cap *= 2) * sizeof(*names))))
			break;
		names[nnames++] = strdup(line);
	}
	if (!nnames || !names) {
		fprintf(stderr, "no names in %s\n", argv[2]);
		return 1;
	}
	run(1);
	run(2);
	run(1);
	run(2);
	return 0;
}

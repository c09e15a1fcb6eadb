/* SPDX-License-Identifier: MIT */
/*
 * publish-time CONFIG USER [REPS [full|merge]]: what one change costs at
 * the store's size. Prints, per rep, the time of um_user_edit() (one
 * transaction plus the publish it triggers: an overlay over the published
 * base) and of a bare um_store_publish() (an overlay with what changed
 * since the base), in seconds. With "full", the bare publish finds no
 * snapshot (it is deleted first, as a crash could) and so times a full
 * build; with "merge", every publish merges the base with the changes
 * into a new standalone snapshot (what happens once the changes since
 * the base pass the overlay's limit).
 *
 * Not built by the Makefile; by hand, from the top of the tree:
 *   cc -std=gnu11 -O2 -D_GNU_SOURCE -Iinclude -Ilib -o build/publish-time \
 *      bench/publish-time.c build/libumgmt.a -lsqlite3 -lsodium -liniparser -lcrypt
 */
#include <time.h>

#include "publish.h"
#include "umgmt/store.h"
#include "umgmt/user.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct um_config *cfg = NULL;
	struct um_store *s = NULL;
	int reps = argc > 3 ? atoi(argv[3]) : 3;
	bool full = argc > 4 && !strcmp(argv[4], "full");
	bool merge = argc > 4 && !strcmp(argv[4], "merge");
	char *snapshot;

	if (argc < 3) {
		fprintf(stderr, "usage: publish-time CONFIG USER [REPS]\n");
		return 64;
	}
	int r;

	if ((r = um_config_load(argv[1], &cfg)) < 0 ||
	    (r = um_store_open(cfg, UM_STORE_WRITE, &s)) < 0) {
		fprintf(stderr, "publish-time: %s\n", um_error_text(r));
		return 1;
	}
	if (merge)
		um_publish_set_limits(s, 0, 20000); /* no overlay: a merge */
	snapshot = um_config_store_path(cfg, UM_DIRECTORY_FILE);
	if (!snapshot)
		return 1;
	for (int i = 0; i < reps; i++) {
		struct um_user_spec spec = UM_USER_SPEC_INIT;
		char name[64];
		double t0, t1, t2;

		snprintf(name, sizeof(name), "Bench Mark %d", i);
		spec.full_name = name;
		t0 = now_s();
		if ((r = um_user_edit(s, argv[2], &spec)) < 0) {
			fprintf(stderr, "publish-time: edit: %s\n", um_error_text(r));
			return 1;
		}
		if (full)
			unlink(snapshot);
		t1 = now_s();
		if ((r = um_store_publish(s)) < 0) {
			fprintf(stderr, "publish-time: publish: %s\n", um_error_text(r));
			return 1;
		}
		t2 = now_s();
		printf("edit+publish_s=%.4f publish_s=%.4f\n", t1 - t0, t2 - t1);
	}
	free(snapshot);
	um_store_close(s);
	um_config_free(cfg);
	return 0;
}

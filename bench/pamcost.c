/* SPDX-License-Identifier: MIT */
/*
 * pamcost: time in pam_sm_authenticate beyond the Argon2id verify itself.
 *
 *   cc -O2 -Iinclude -o pamcost bench/pamcost.c build/libumgmt.a \
 *      -lpam -lsqlite3 -lsodium -liniparser -lcrypt
 *   ./pamcost CONFDIR USER PASSWORD TRUTH.db [N]
 *
 * CONFDIR holds a PAM service file "umgmt" (read with pam_start_confdir,
 * so /etc/pam.d is not involved), e.g.
 *   auth required /abs/build/pam_umgmt.so config=/abs/umgmt.conf
 * Runs N (default 200) pam_authenticate() calls (each in its own
 * pam_start_confdir/pam_end, which are not timed; each from another
 * PAM_RHOST, so that each writes its last-login record) for USER with PASSWORD and
 * N bare um_password_verify() calls of USER's hash read from TRUTH.db, and
 * prints the medians and their difference: what the module adds to the
 * verify (config, store open, checks, the conversation). Use the minimum
 * Argon2 cost in the config (argon2_ops = 1, argon2_mem_kib = 8) so that the
 * verify does not drown the rest. bench/pam.sh (make bench) builds it and
 * makes such a store and service file; not built by the Makefile.
 */
#include <security/pam_appl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "umgmt/password.h"

static const char *password;

static int conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
	struct pam_response *r = calloc((size_t)n, sizeof(*r));

	if (!r)
		return PAM_BUF_ERR;
	for (int i = 0; i < n; i++)
		if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF)
			r[i].resp = strdup(password);
	*resp = r;
	return PAM_SUCCESS;
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp);
	return v[n / 2];
}

int main(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr, "usage: pamcost CONFDIR USER PASSWORD TRUTH.db [N]\n");
		return 2;
	}
	const char *confdir = argv[1], *user = argv[2];
	int n = argc > 5 ? atoi(argv[5]) : 200;
	double *t_pam = calloc((size_t)n, sizeof(double)),
	       *t_bare = calloc((size_t)n, sizeof(double));
	struct pam_conv pc = { conv, NULL };
	sqlite3 *db;
	sqlite3_stmt *st;
	char *hash = NULL;

	password = argv[3];
	if (sqlite3_open_v2(argv[4], &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT password_hash FROM users WHERE name = ?", -1, &st,
			       NULL) != SQLITE_OK) {
		fprintf(stderr, "cannot read %s\n", argv[4]);
		return 1;
	}
	sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		hash = strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(db);
	if (!hash) {
		fprintf(stderr, "%s has no password hash\n", user);
		return 1;
	}

	for (int i = -5; i < n; i++) { /* 5 warm-up rounds */
		pam_handle_t *pamh = NULL;
		double a = 0, b = 0;
		/* Only pam_authenticate is timed: libpam's own start (service
		 * file, dlopen of the module) is not the module's cost. */
		int rc = pam_start_confdir("umgmt", user, &pc, confdir, &pamh);
		/* A remote host of its own for every login, as from a real
		 * sshd: the last-login record then changes each time and is
		 * written, as it is on a real machine (logins seconds apart),
		 * rather than found unchanged. */
		char rhost[32];
		snprintf(rhost, sizeof(rhost), "192.0.2.%d", (i + 5) % 250 + 1);
		if (rc == PAM_SUCCESS)
			rc = pam_set_item(pamh, PAM_RHOST, rhost);
		if (rc == PAM_SUCCESS) {
			a = now_us();
			rc = pam_authenticate(pamh, 0);
			b = now_us();
		}
		pam_end(pamh, rc);
		if (rc != PAM_SUCCESS) {
			fprintf(stderr, "pam_authenticate: %s\n", pam_strerror(NULL, rc));
			return 1;
		}
		if (i >= 0)
			t_pam[i] = b - a;
	}
	for (int i = -5; i < n; i++) {
		double a = now_us();
		int r = um_password_verify(hash, password);
		double b = now_us();
		if (r != 0) {
			fprintf(stderr, "um_password_verify: %d\n", r);
			return 1;
		}
		if (i >= 0)
			t_bare[i] = b - a;
	}
	double mean = 0;
	for (int i = 0; i < n; i++)
		mean += t_pam[i] / n;
	double p = median(t_pam, n), v = median(t_bare, n);
	printf("pam_authenticate median %.1f us (mean %.1f); um_password_verify median "
	       "%.1f us; overhead %.1f us (n=%d)\n",
	       p, mean, v, p - v, n);
	free(hash);
	free(t_pam);
	free(t_bare);
	return 0;
}

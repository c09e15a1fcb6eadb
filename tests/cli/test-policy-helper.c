/* SPDX-License-Identifier: MIT */
/*
 * What the PAM module does to the store during a login, for the CLI
 * scenarios that show its traces (t0140-tokens, t0150-lockout) without a
 * PAM stack: record a failed or a successful login, check a token.
 *
 *   test-policy-helper CONF fail USER SERVICE RHOST
 *   test-policy-helper CONF success USER SERVICE RHOST   (RHOST "" = local)
 *   test-policy-helper CONF check-token USER TOKEN
 *
 * Exits 0 on success, 1 (and a line on stderr) on failure.
 */
#include <time.h>

#include "umgmt/config.h"
#include "umgmt/lockout.h"
#include "umgmt/login.h"
#include "umgmt/store.h"
#include "umgmt/token.h"
#include "umgmt/user.h"

int main(int argc, char **argv)
{
	struct um_config *cfg = NULL;
	struct um_store *s = NULL;
	struct um_login_user u = { 0 };
	int r;

	if (argc < 4) {
		fputs("usage: test-policy-helper CONF fail|success|check-token USER ...\n", stderr);
		return 2;
	}
	r = um_config_load(argv[1], &cfg);
	if (r >= 0)
		r = um_store_open(cfg, UM_STORE_WRITE, &s);
	if (r >= 0 && um_store_set_actor(s, "test") < 0)
		r = -ENOMEM;
	/* as a login does: the name resolved once */
	if (r >= 0)
		r = um_user_resolve(s, argv[3], &u);
	if (r < 0)
		goto out;
	if (!strcmp(argv[2], "fail") && argc == 6)
		r = um_lockout_record_failure(s, u.id, argv[4], *argv[5] ? argv[5] : NULL,
					      time(NULL));
	else if (!strcmp(argv[2], "success") && argc == 6)
		r = um_login_record_success(s, u.id, argv[4], argv[5], time(NULL), true);
	else if (!strcmp(argv[2], "check-token") && argc == 5)
		r = um_token_check(s, u.id, argv[4]);
	else
		r = -EINVAL;
out:
	if (r < 0)
		fprintf(stderr, "test-policy-helper: %s: %s\n", argv[2], um_error_text(r));
	um_login_user_clear(&u);
	um_store_close(s);
	um_config_free(cfg);
	return r < 0 ? 1 : 0;
}

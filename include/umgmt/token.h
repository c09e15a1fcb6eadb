/* SPDX-License-Identifier: MIT */
/* umgmt core: one-time tokens, activation and password reset (token.c). */
#ifndef UMGMT_TOKEN_H
#define UMGMT_TOKEN_H

#include "umgmt/common.h"
#include "umgmt/store.h"

#define UM_TOKEN_MAX 64

enum um_token_purpose {
	UM_TOKEN_ACTIVATION, /* a new user's first password */
	UM_TOKEN_RESET,	     /* a forgotten password */
};
/* "activation", "reset" (as the store, the audit and umctl spell them). */
const char *um_token_purpose_name(enum um_token_purpose p);

/*
 * Issues a one-time token for name, replacing (revoking) any earlier
 * unused one: random, typable (e.g. "K7QD-M2XH-9PFA-TR4C-WE6N": 20 of 31
 * symbols without 0 O 1 I L, about 99 bits), stored only as a BLAKE2b
 * hash, valid for ttl seconds (0 = the config's [tokens] ttl). Writes the token to out (a secret: wipe
 * it). Returns 0, -ESRCH, -EINVAL (ttl, purpose), -EBUSY, -EIO.
 */
int um_token_issue(struct um_store *s, const char *name, enum um_token_purpose purpose, int64_t ttl,
		   char out[UM_TOKEN_MAX]) __attribute__((warn_unused_result));

/*
 * Checks candidate as the current token of user user_id (a row id, as
 * um_user_resolve gives it; case and dashes forgiven). Does not burn it.
 * Returns 0 (valid), -EACCES (wrong, expired, used or revoked), -EIO.
 */
int um_token_check(struct um_store *s, int64_t user_id, const char *candidate)
	__attribute__((warn_unused_result));

/* Sets a new password (policy checked) and burns name's current token in
 * one transaction; clears password_must_change. Waits only briefly for a
 * busy store (it runs inside a login): -EBUSY means "try again", nothing
 * changed. Returns 0, -EINVAL (policy), -EACCES (no valid token any
 * more), -ESRCH, -EBUSY, -EIO. */
int um_token_redeem(struct um_store *s, const char *name, const char *password)
	__attribute__((warn_unused_result));

enum um_token_state {
	UM_TOKEN_VALID,
	UM_TOKEN_USED,
	UM_TOKEN_EXPIRED,
	UM_TOKEN_REVOKED,
};
/* "valid", "used", "expired", "revoked". */
const char *um_token_state_name(enum um_token_state st);

struct um_token_info {
	int64_t id;
	char *user;
	enum um_token_purpose purpose;
	int64_t created_at;
	int64_t expires_at;
	enum um_token_state state;
};
void um_token_list_free(struct um_token_info *v, size_t n);
/* Every token ever issued to an existing user, newest first (never the
 * token itself). Returns 0, -EIO, -ENOMEM. */
int um_token_list(struct um_store *s, struct um_token_info **ret, size_t *ret_n)
	__attribute__((warn_unused_result));
/* Revokes every valid token of user name. Returns 0, -ESRCH (no such
 * user, or no valid token), -EBUSY, -EIO. */
int um_token_revoke(struct um_store *s, const char *name) __attribute__((warn_unused_result));

#endif

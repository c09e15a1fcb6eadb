/* SPDX-License-Identifier: MIT */
/*
 * umgmt core: password hashing (Argon2id through libsodium).
 */
#ifndef UMGMT_PASSWORD_H
#define UMGMT_PASSWORD_H

#include "umgmt/common.h"
#include "umgmt/config.h"

/* Room for any hash string this module writes, NUL included. */
#define UM_HASH_MAX 128
/* Longest password accepted (bytes). */
#define UM_PASSWORD_MAX 4096

/* Hashes pw with the config's Argon2id cost into out. Returns 0, -EINVAL
 * (too long), -ENOMEM. */
int um_password_hash(const struct um_config *c, const char *pw, char out[UM_HASH_MAX])
	__attribute__((warn_unused_result));

/* Returns 0 when pw matches hash, -EACCES when it does not, -EBADMSG for a
 * hash this build cannot read. Constant time in pw. */
int um_password_verify(const char *hash, const char *pw) __attribute__((warn_unused_result));

/* True when hash was made with other parameters than the config's. */
bool um_password_needs_rehash(const struct um_config *c, const char *hash);

/* Spends the same time as a um_password_verify() of a hash at the config's
 * cost, for unknown users and users without a password. */
void um_password_dummy_verify(const struct um_config *c, const char *pw);

/* The password policy: at least min_length characters, at most
 * UM_PASSWORD_MAX bytes, not the user's name. Returns 0 or -EINVAL with a
 * detail sentence addressed to the person choosing it. */
int um_password_check_policy(const struct um_config *c, const char *name, const char *pw)
	__attribute__((warn_unused_result));

/* A new password for user name: checks the policy, then hashes it into
 * out (before any transaction: Argon2id must never hold the store's write
 * lock). Returns 0, -EINVAL (policy, with its sentence), -ENOMEM. The
 * caller wipes out. */
int um_password_new_hash(const struct um_config *c, const char *name, const char *pw,
			 char out[UM_HASH_MAX]) __attribute__((warn_unused_result));

#endif

/* SPDX-License-Identifier: MIT */
/* umgmt core: Argon2id password hashes through libsodium. */
#include <sodium.h>

#include "umgmt/password.h"

_Static_assert(crypto_pwhash_STRBYTES <= UM_HASH_MAX, "UM_HASH_MAX too small");

static int init_sodium(void)
{
	return sodium_init() < 0 ? -ENOMEM : 0;
}

int um_password_hash(const struct um_config *c, const char *pw, char out[UM_HASH_MAX])
{
	size_t n = strlen(pw);

	if (init_sodium() < 0)
		return -ENOMEM;
	if (n > UM_PASSWORD_MAX)
		return um_fail(-EINVAL, "the password is longer than %d bytes", UM_PASSWORD_MAX);
	if (crypto_pwhash_str_alg(out, pw, n, c->argon2_opslimit, (size_t)c->argon2_memlimit,
				  crypto_pwhash_ALG_ARGON2ID13) != 0)
		return um_fail(-ENOMEM, "not enough memory to hash the password");
	return 0;
}

static bool is_argon2id(const char *hash)
{
	return strncmp(hash, "$argon2id$", 10) == 0;
}

int um_password_verify(const char *hash, const char *pw)
{
	if (init_sodium() < 0)
		return -ENOMEM;
	if (!hash || !is_argon2id(hash))
		return -EBADMSG;
	if (strlen(pw) > UM_PASSWORD_MAX)
		return -EACCES;
	return crypto_pwhash_str_verify(hash, pw, strlen(pw)) == 0 ? 0 : -EACCES;
}

bool um_password_needs_rehash(const struct um_config *c, const char *hash)
{
	if (init_sodium() < 0 || !is_argon2id(hash))
		return true;
	return crypto_pwhash_str_needs_rehash(hash, c->argon2_opslimit,
					      (size_t)c->argon2_memlimit) != 0;
}

void um_password_dummy_verify(const struct um_config *c, const char *pw)
{
	char out[UM_HASH_MAX];
	size_t n = pw ? strlen(pw) : 0;

	/* Verifying is hashing the candidate with the stored parameters, so
	 * hashing it once with the configured ones costs the same. */
	if (init_sodium() < 0)
		return;
	if (n > UM_PASSWORD_MAX)
		n = UM_PASSWORD_MAX;
	if (crypto_pwhash_str_alg(out, pw ? pw : "", n, c->argon2_opslimit,
				  (size_t)c->argon2_memlimit, crypto_pwhash_ALG_ARGON2ID13) != 0)
		out[0] = '\0';
	sodium_memzero(out, sizeof(out));
}

/* Characters, not bytes: "pässwörd" is 8 long. */
static size_t utf8_length(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

int um_password_check_policy(const struct um_config *c, const char *name, const char *pw)
{
	if (!pw || !*pw)
		return um_fail(-EINVAL, "The password must not be empty.");
	if (strlen(pw) > UM_PASSWORD_MAX)
		return um_fail(-EINVAL, "The password must be at most %d bytes long.",
			       UM_PASSWORD_MAX);
	if (utf8_length(pw) < c->password_min_length)
		return um_fail(-EINVAL, "The password must be at least %u characters long.",
			       c->password_min_length);
	if (name && !strcmp(name, pw))
		return um_fail(-EINVAL, "The password must not be the same as the user name.");
	return 0;
}

int um_password_new_hash(const struct um_config *c, const char *name, const char *pw,
			 char out[UM_HASH_MAX])
{
	int r = um_password_check_policy(c, name, pw);

	return r < 0 ? r : um_password_hash(c, pw, out);
}

/* SPDX-License-Identifier: MIT */
/*
 * umgmt core: one-time tokens (activation and password reset).
 *
 * A token is 20 symbols drawn uniformly (randombytes_uniform) from an
 * alphabet without the look-alikes 0 O 1 I L, shown in groups of four:
 * "K7QD-M2XH-9PFA-TR4C-WE6N", about 99 bits. It is checked with case,
 * dashes and spaces forgiven. The store keeps only the hex BLAKE2b-256
 * hash of the normalised token: with that much entropy a fast hash is
 * enough (nobody can guess through it), and a fast hash lets the check
 * look the token up by its hash.
 */
#include <sodium.h>

#include "audit.h"
#include "token-private.h"
#include "user-private.h"
#include "umgmt/date.h"
#include "umgmt/login.h"
#include "umgmt/password.h"

static const char alphabet[] = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";
#define TOKEN_SYMBOLS 20
#define HASH_HEX (crypto_generichash_BYTES * 2 + 1)

_Static_assert(TOKEN_SYMBOLS + TOKEN_SYMBOLS / 4 <= UM_TOKEN_MAX, "UM_TOKEN_MAX too small");

/* Normalises candidate (upper case, dashes and spaces dropped) into out.
 * Returns 0, or -EACCES when it cannot be a token of ours. */
static int normalise(const char *candidate, char out[TOKEN_SYMBOLS + 1])
{
	size_t n = 0;

	if (!candidate)
		return -EACCES;
	for (const char *p = candidate; *p; p++) {
		char c = *p;

		if (c == '-' || c == ' ')
			continue;
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (n == TOKEN_SYMBOLS || !strchr(alphabet, c) || c == '\0')
			return -EACCES;
		out[n++] = c;
	}
	out[n] = '\0';
	return n == TOKEN_SYMBOLS ? 0 : -EACCES;
}

static void hash_hex(const char norm[TOKEN_SYMBOLS + 1], char out[HASH_HEX])
{
	unsigned char h[crypto_generichash_BYTES];

	crypto_generichash(h, sizeof(h), (const unsigned char *)norm, TOKEN_SYMBOLS, NULL, 0);
	sodium_bin2hex(out, HASH_HEX, h, sizeof(h));
	sodium_memzero(h, sizeof(h));
}

static const char sql_revoke_valid[] =
	"UPDATE tokens SET revoked_at = :now\n"
	"WHERE user_id = :id AND used_at IS NULL AND revoked_at IS NULL AND expires_at > :now";
static const char sql_insert_token[] =
	"INSERT INTO tokens(user_id, purpose, token_hash, created_at, created_by, expires_at)\n"
	"VALUES (:id, :purpose, :hash, :now, :actor, :expires)";

/* Revokes name's valid tokens and stores the new hash, in one transaction. */
static const char *const purpose_names[] = {
	[UM_TOKEN_ACTIVATION] = "activation",
	[UM_TOKEN_RESET] = "reset",
};

static const char *const state_names[] = {
	[UM_TOKEN_VALID] = "valid",
	[UM_TOKEN_USED] = "used",
	[UM_TOKEN_EXPIRED] = "expired",
	[UM_TOKEN_REVOKED] = "revoked",
};

const char *um_token_purpose_name(enum um_token_purpose p)
{
	return (unsigned)p < UM_ELEMENTSOF(purpose_names) ? purpose_names[p] : "?";
}

const char *um_token_state_name(enum um_token_state st)
{
	return (unsigned)st < UM_ELEMENTSOF(state_names) ? state_names[st] : "?";
}

static int store_token(struct um_store *s, const char *name, const char *purpose, int64_t ttl,
		       const char *hash)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int64_t id, now = um_now();
	char detail[96];
	int r;

	r = um_db_begin(&s->db);
	if (r < 0)
		return r;
	UM_TX_GUARD(&s->db);
	r = um_user_id(s, name, &id);
	if (r < 0)
		return r;
	r = um_db_prepare(&s->db, sql_revoke_valid, &st);
	if (r < 0)
		return r;
	if ((r = um_bind_int(st, ":id", id)) < 0)
		return r;
	if ((r = um_bind_int(st, ":now", now)) < 0)
		return r;
	r = um_db_exec_stmt(&s->db, st, "revoke the earlier token");
	sqlite3_finalize(st);
	st = NULL;
	if (r < 0)
		return r;
	r = um_db_prepare(&s->db, sql_insert_token, &st);
	if (r < 0)
		return r;
	if ((r = um_bind_int(st, ":id", id)) < 0)
		return r;
	if ((r = um_bind_text(st, ":purpose", purpose)) < 0)
		return r;
	if ((r = um_bind_text(st, ":hash", hash)) < 0)
		return r;
	if ((r = um_bind_int(st, ":now", now)) < 0)
		return r;
	if ((r = um_bind_text(st, ":actor", s->actor)) < 0)
		return r;
	if ((r = um_bind_int(st, ":expires", now + ttl)) < 0)
		return r;
	r = um_db_exec_stmt(&s->db, st, "store the token");
	if (r < 0)
		return r;
	snprintf(detail, sizeof(detail), "%s, valid %llds", purpose, (long long)ttl);
	r = um_audit(s, "token issue", "user", name, id, detail);
	if (r < 0)
		return r;
	return um_db_commit(&s->db);
}

int um_token_issue(struct um_store *s, const char *name, enum um_token_purpose purpose, int64_t ttl,
		   char out[UM_TOKEN_MAX])
{
	char norm[TOKEN_SYMBOLS + 1], hash[HASH_HEX];
	size_t o = 0;
	int r;

	if ((unsigned)purpose >= UM_ELEMENTSOF(purpose_names))
		return um_fail(-EINVAL, "token purpose %d is not activation or reset",
			       (int)purpose);
	if (ttl == 0)
		ttl = s->cfg->token_ttl;
	if (ttl < 60 || ttl > 365 * 86400)
		return um_fail(-EINVAL, "token lifetime %lld s is not between 1m and 365d",
			       (long long)ttl);
	if (sodium_init() < 0)
		return um_fail(-EIO, "libsodium cannot be initialised");
	for (int i = 0; i < TOKEN_SYMBOLS; i++)
		norm[i] = alphabet[randombytes_uniform(sizeof(alphabet) - 1)];
	norm[TOKEN_SYMBOLS] = '\0';
	hash_hex(norm, hash);
	r = store_token(s, name, purpose_names[purpose], ttl, hash);
	if (r >= 0) {
		for (int i = 0; i < TOKEN_SYMBOLS; i++) {
			if (i && i % 4 == 0)
				out[o++] = '-';
			out[o++] = norm[i];
		}
		out[o] = '\0';
	}
	sodium_memzero(norm, sizeof(norm));
	return r;
}

static const char sql_valid_token[] =
	"SELECT id FROM tokens WHERE user_id = :id AND token_hash = :hash\n"
	"  AND used_at IS NULL AND revoked_at IS NULL AND expires_at > :now";

int um_token_check(struct um_store *s, int64_t user_id, const char *candidate)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	char norm[TOKEN_SYMBOLS + 1], hash[HASH_HEX];
	int r;

	r = normalise(candidate, norm);
	if (r < 0)
		return um_fail(-EACCES, "that is not a valid token");
	hash_hex(norm, hash);
	sodium_memzero(norm, sizeof(norm));
	r = um_db_prepare(&s->db, sql_valid_token, &st);
	if (r >= 0)
		r = um_bind_int(st, ":id", user_id);
	if (r >= 0)
		r = um_bind_text(st, ":hash", hash);
	if (r >= 0)
		r = um_bind_int(st, ":now", um_now());
	if (r >= 0)
		r = um_db_step(&s->db, st, "read the tokens");
	if (r == 0)
		return um_fail(-EACCES,
			       "that is not a valid token (wrong, used, expired or revoked)");
	return r < 0 ? r : 0;
}

static const char sql_current_token[] =
	"SELECT id FROM tokens WHERE user_id = :id\n"
	"  AND used_at IS NULL AND revoked_at IS NULL AND expires_at > :now\n"
	"ORDER BY created_at DESC, id DESC LIMIT 1";
static const char sql_burn[] = "UPDATE tokens SET used_at = :now WHERE id = :tid";

/* Burns name's current token and stores hash, in one transaction. */
static int redeem(struct um_store *s, const char *name, const char *hash)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int64_t id, tid, now = um_now();
	int r, rc;

	r = um_db_begin_within(&s->db, UM_LOGIN_BUSY_TIMEOUT_MS, true);
	if (r < 0)
		return r;
	UM_TX_GUARD(&s->db);
	r = um_user_id(s, name, &id);
	if (r < 0)
		return r;
	r = um_db_prepare(&s->db, sql_current_token, &st);
	if (r < 0)
		return r;
	if ((r = um_bind_int(st, ":id", id)) < 0)
		return r;
	if ((r = um_bind_int(st, ":now", now)) < 0)
		return r;
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return um_fail(-EACCES, "'%s' has no valid token any more", name);
	if (rc != SQLITE_ROW)
		return um_db_error(&s->db, rc, "read the tokens");
	tid = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	st = NULL;
	r = um_db_prepare(&s->db, sql_burn, &st);
	if (r < 0)
		return r;
	if ((r = um_bind_int(st, ":now", now)) < 0)
		return r;
	if ((r = um_bind_int(st, ":tid", tid)) < 0)
		return r;
	r = um_db_exec_stmt(&s->db, st, "burn the token");
	sqlite3_finalize(st);
	st = NULL;
	if (r < 0)
		return r;
	r = um_user_store_hash(s, id, hash);
	if (r >= 0)
		r = um_audit(s, "token redeem", "user", name, id, "password set with a token");
	if (r < 0)
		return r;
	return um_db_commit(&s->db);
}

int um_token_redeem(struct um_store *s, const char *name, const char *password)
{
	char hash[UM_HASH_MAX];
	int r;

	r = um_password_new_hash(s->cfg, name, password, hash);
	if (r < 0)
		return r;
	r = redeem(s, name, hash);
	sodium_memzero(hash, sizeof(hash));
	return r;
}

void um_token_list_free(struct um_token_info *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i].user);
	free(v);
}

/* The state as enum um_token_state numbers (checked below). */
static const char sql_tokens[] = "SELECT t.id, u.name, t.purpose = 'reset', t.created_at,\n"
				 "  t.expires_at,\n"
				 "  CASE WHEN t.used_at IS NOT NULL THEN 1\n"
				 "       WHEN t.revoked_at IS NOT NULL THEN 3\n"
				 "       WHEN t.expires_at <= :now THEN 2\n"
				 "       ELSE 0 END\n"
				 "FROM tokens t JOIN users u ON u.id = t.user_id\n"
				 "ORDER BY t.created_at DESC, t.id DESC";
_Static_assert(UM_TOKEN_VALID == 0 && UM_TOKEN_USED == 1 && UM_TOKEN_EXPIRED == 2 &&
		       UM_TOKEN_REVOKED == 3,
	       "sql_tokens spells the states as these numbers");

int um_token_list(struct um_store *s, struct um_token_info **ret, size_t *ret_n)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	struct um_token_info *v = NULL;
	size_t n = 0;
	int r, rc;

	r = um_db_prepare(&s->db, sql_tokens, &st);
	if (r < 0)
		return r;
	if ((r = um_bind_int(st, ":now", um_now())) < 0)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct um_token_info *nv = realloc(v, (n + 1) * sizeof(*nv));

		if (!nv) {
			um_token_list_free(v, n);
			return -ENOMEM;
		}
		v = nv;
		v[n] = (struct um_token_info){
			.id = sqlite3_column_int64(st, 0),
			.user = um_col_text(st, 1, false),
			.purpose = sqlite3_column_int(st, 2) ? UM_TOKEN_RESET : UM_TOKEN_ACTIVATION,
			.created_at = sqlite3_column_int64(st, 3),
			.expires_at = sqlite3_column_int64(st, 4),
			.state = (enum um_token_state)sqlite3_column_int(st, 5),
		};
		n++;
		if (!v[n - 1].user) {
			um_token_list_free(v, n);
			return -ENOMEM;
		}
	}
	if (rc != SQLITE_DONE) {
		um_token_list_free(v, n);
		return um_db_error(&s->db, rc, "list the tokens");
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

int um_token_revoke(struct um_store *s, const char *name)
{
	_cleanup_free_ char *msg = um_asprintf("'%s' has no valid token", name);

	if (!msg)
		return -ENOMEM;
	return um_user_change(s, name,
			      &(struct um_user_change){
				      .sql = sql_revoke_valid,
				      .action = "token revoke",
				      .unchanged_err = -ESRCH,
				      .unchanged_msg = msg,
			      });
}

static const char sql_revoke_all[] = "UPDATE tokens SET revoked_at = :now WHERE user_id = :id\n"
				     "  AND used_at IS NULL AND revoked_at IS NULL";

int um_token_revoke_all(struct um_store *s, int64_t user_id)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = um_db_prepare(&s->db, sql_revoke_all, &st);

	if (r >= 0)
		r = um_bind_int(st, ":id", user_id);
	if (r >= 0)
		r = um_bind_int(st, ":now", um_now());
	return r < 0 ? r : um_db_exec_stmt(&s->db, st, "revoke the tokens");
}

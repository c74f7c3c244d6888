/*
 * token.h - issuing and checking tokens (SPEC section 3).
 *
 * A token leaves this module once, as 40 hex characters, at issue; only its
 * SHA-256 digest is stored. token_check() is the one access-token check of
 * every dialect: one primary-key lookup joined with the session.
 */
#ifndef TOKEN_H
#define TOKEN_H

#include "db.h"
#include "error.h"
#include "secret.h"

/* The five user scopes: a token issued without a client carries them all. */
#define SCOPE_ALL_USER "username email firstname lastname phone"

struct issued {
	char access[SECRET_HEX_LEN + 1];
	char refresh[SECRET_HEX_LEN + 1]; /* "" when none was issued */
	long long expires_at;             /* access token, unix seconds */
	long long created_ms;
	unsigned long long session_id;
};

struct issue_req {
	unsigned long long user_id;
	unsigned long long client_ref; /* 0: no client (dialects L, B) */
	const char *device_info;       /* stored on the new session */
	const char *scope;
	long long access_ttl;
	long long refresh_ttl; /* 0: no refresh token */
	int dialect;           /* enum dialect */
};

/*
 * A new session (one login on one device) with its access token, and a
 * refresh token when refresh_ttl > 0, in one transaction. OE_OK or
 * OE_SERVER.
 */
enum oauth_err token_issue_session(const struct issue_req *req, long long now,
    struct issued *out);

/*
 * Check an access token: OE_OK with its row (and the session's) in *t;
 * OE_INVALID_TOKEN when malformed, unknown, not an access token, expired,
 * revoked or its session signed out; OE_SERVER. A live token's session
 * gets last_access updated, at most once a minute (SPEC L).
 */
enum oauth_err token_check(const char *token, long long now,
    struct db_token *t);

/*
 * Now and then (1 request in cfg.purge_every) delete a small batch of
 * expired rows, so a host with no cron never grows without bound.
 */
void token_purge_maybe(long long now);

/* The current time in milliseconds. */
long long token_now_ms(void);

#endif

/*
 * Bring over one unexpired token of the legacy `auth_tokens` table, known
 * only by its SHA-1 (auth_key, 40 hex): a session for the user and an
 * access token stored under SHA-256 of the SHA-1, which token_check()
 * finds. OE_OK, OE_CONFLICT (already imported), OE_BAD_INPUT (auth_key not
 * hex), OE_SERVER.
 */
enum oauth_err token_import_legacy(unsigned long long user_id,
    const char *auth_key, const char *device_info, long long expiry,
    long long now);

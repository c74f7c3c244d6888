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
/*
 * The scope that lets a client's token manage the user's device sessions
 * (SPEC 14): only a client registered with it (client add --scope
 * sessions) can be granted it.
 */
#define SCOPE_SESSIONS "sessions"

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
 * Inside a transaction (db_tx): insert an access token for the given
 * session/client/user and, when refresh_ttl > 0, a refresh token; both
 * carry `family` (a new one when NULL) so a rotation chain, or everything
 * one code gave, can be revoked together. out->access/refresh/expires_at
 * are set. DB_OK or a DB_* error.
 */
struct pair_req {
	unsigned long long session_id, client_ref, user_id; /* 0: NULL */
	const char *scope;
	long long access_ttl, refresh_ttl;
	const unsigned char *family; /* DB_FAMILY_LEN bytes, or NULL */
	/*
	 * Unix seconds when the refresh family ends (SPEC 14): the refresh
	 * token expires no later. 0: a family starts here, and ends
	 * cfg.refresh_max_ttl from now.
	 */
	long long family_end;
	int dialect;
	/*
	 * Not NULL: insert the access token only if this client's row is
	 * still as given (db_token_insert_checked(); no refresh token);
	 * DB_NOTFOUND when it is not.
	 */
	const struct db_client *checked;
};
int token_insert_pair(const struct pair_req *r, long long now,
    struct issued *out);

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
 * revoked, its session signed out, its user disabled or its client
 * deleted; OE_SERVER. A live token's session
 * gets last_access updated, at most once a minute (SPEC L).
 */
enum oauth_err token_check(const char *token, long long now,
    struct db_token *t);

/*
 * Any token (access, refresh, code, browser) by its value, the imported
 * legacy ones included: OE_OK, OE_INVALID_TOKEN (malformed or unknown),
 * OE_SERVER. Says nothing about whether it is live: see token_live().
 */
enum oauth_err token_lookup(const char *token, struct db_token *t);
/*
 * Introspection's reads in one statement: the client by client_id (what
 * client_find() answers is returned) and the token like token_lookup(),
 * with the owner's username and client_id (what it answers in *te).
 */
enum oauth_err token_lookup_with_client(const char *client_id,
    const char *token, struct db_client *cl, struct db_token *t,
    enum oauth_err *te);
/*
 * 1 when t is unrevoked, unexpired, its session not signed out, its user
 * not disabled and its client not deleted.
 */
int token_live(const struct db_token *t, long long now);
/*
 * 1 when t may manage its user's device sessions and registrations
 * (/v1/oauth/sessions/, /v1/oauth/revoke/, registration = token): a token
 * issued without a client (dialects L and B, the legacy import), or one
 * carrying the scope `sessions` (SPEC 14). A third party's token is not.
 */
int token_first_party(const struct db_token *t);
/*
 * Revoke t: a refresh token with everything of its family (RFC 7009 §2.1:
 * the access tokens of the same grant too), any other token alone.
 * OE_OK or OE_SERVER.
 */
enum oauth_err token_revoke(const struct db_token *t);

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

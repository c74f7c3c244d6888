/*
 * common.h - what several dialects do alike with a request: find the
 * calling client, the bearer token, the device, and run a token grant.
 * Each function returns the core's enum oauth_err (or 0/-1) and leaves
 * the answer's shape to the dialect.
 */
#ifndef DIALECT_COMMON_H
#define DIALECT_COMMON_H

#include "core/client.h"
#include "core/grant.h"
#include "route.h"

/* The parameters of a token request, by name (NULL when absent). */
struct token_params {
	const char *grant_type, *client_id, *client_secret, *scope, *username,
	    *password, *code, *redirect_uri, *code_verifier, *refresh_token;
};

/*
 * Authenticate the client by HTTP Basic (RFC 6749 §2.3.1) or by the given
 * client_id/client_secret (client_secret_post), or identify a public
 * client by its id (when allow_public). OE_OK; OE_INVALID_CLIENT
 * (*basic tells whether Basic was tried, for WWW-Authenticate);
 * OE_CLIENT_THROTTLED (the request's address is locked out for this
 * client or for every client, SPEC 14: answer 429 with
 * dialect_client_retry_after()); OE_INVALID_REQUEST (both methods at
 * once); OE_SERVER.
 */
enum oauth_err dialect_client(struct ctx *c, const char *id, const char *secret,
    int allow_public, struct db_client *cl, int *basic);
/*
 * dialect_client() from the process's memory of clients (client_recall()):
 * OE_OK when the credentials match a remembered confidential client; any
 * other answer only means "ask the database" (dialect_client()). The
 * lock is checked by the statement that then issues the token
 * (db_token_insert_checked(), through cl->auth_ip).
 */
enum oauth_err dialect_client_recall(struct ctx *c, const char *id,
    const char *secret, struct db_client *cl, int *basic);
/*
 * dialect_client() for a confidential client (introspection), reading the
 * token in the same statement: the client's error is returned, the
 * token's (OE_OK, OE_INVALID_TOKEN, OE_SERVER) put in *te; t and *te mean
 * something only when the client authenticated.
 */
enum oauth_err dialect_client_token(struct ctx *c, const char *id,
    const char *secret, const char *token, struct db_client *cl, int *basic,
    struct db_token *t, enum oauth_err *te);

/* Retry-After for OE_CLIENT_THROTTLED: the seconds cl stays locked. */
void dialect_client_retry_after(struct ctx *c, const struct db_client *cl);

/* The token of "Authorization: Bearer <t>" (scheme case-insensitive). */
const char *dialect_bearer(struct ctx *c);
/* The same, also accepting the scheme `other` ("Token"). */
const char *dialect_auth_token(struct ctx *c, const char *other);

/* The device of a new session: the User-Agent, cut to 200 characters. */
const char *dialect_device(struct ctx *c);

/*
 * Run a token request: grant_type decides; the client must already be
 * authenticated. OE_OK with *r; OE_INVALID_REQUEST (*what names the
 * missing parameter), OE_UNSUPPORTED_GRANT and the grants' errors.
 */
enum oauth_err dialect_grant(struct ctx *c, const struct db_client *cl,
    const struct token_params *p, int dialect, struct grant_result *r,
    struct login_result *lr, const char **what);

/* Scopes separated by spaces or commas (dialect N), as one space list. */
const char *dialect_scope_spaces(struct ctx *c, const char *scope);

#endif

/*
 * grant.h - the grants of RFC 6749 on the shared core, for every dialect
 * that issues tokens to clients (oauth2, node, phone).
 *
 * Each function checks what the grant requires (RFC 6749 §4, RFC 7636,
 * RFC 9700) and issues in one transaction, so a code exchange or a
 * rotation happens whole or not at all. The client has been authenticated
 * by the caller (client_authenticate); these functions check that it may
 * use the grant.
 */
#ifndef GRANT_H
#define GRANT_H

#include <stddef.h>

#include "client.h"
#include "token.h"
#include "user.h"

enum pkce_method { PKCE_NONE = 0, PKCE_PLAIN = 1, PKCE_S256 = 2 };

struct grant_result {
	struct issued tok;
	char scope[1001];
	long long expires_in;       /* seconds, of the access token */
	unsigned long long user_id; /* 0 for client_credentials */
};

/*
 * The scope a request ends up with: the requested one when every scope is
 * allowed to the client, else OE_INVALID_SCOPE; an empty request gets the
 * client's allowed scopes (the five user scopes when it has no list).
 */
enum oauth_err grant_scope(const struct db_client *c, const char *requested,
    int for_user, char out[1001]);

/* RFC 6749 §4.3. lr gets the login details (throttle, debug). */
enum oauth_err grant_password(const struct db_client *c, const char *username,
    const char *pw, size_t pwlen, const char *scope, const char *ip,
    const char *device, int dialect, long long now, struct grant_result *r,
    struct login_result *lr);

/* RFC 6749 §4.4: an access token only (§4.4.3: no refresh token). */
enum oauth_err grant_client_credentials(const struct db_client *c,
    const char *scope, int dialect, long long now, struct grant_result *r);
/*
 * The same for a client read from the process's memory (client_recall()):
 * the token is inserted only if the client's row is still what c says, in
 * the same statement. OE_INVALID_CLIENT when it is not (client_forget() it
 * and take the ordinary path); a client must only ever get a token from
 * here, never an error, since c may be stale.
 */
enum oauth_err grant_client_credentials_remembered(const struct db_client *c,
    const char *scope, int dialect, long long now, struct grant_result *r);

/*
 * RFC 6749 §4.1.3 with RFC 7636: the code must be the client's, unexpired,
 * unused, for the same redirect_uri, and the verifier must match the
 * challenge (a verifier for a code issued without one is refused, RFC 9700
 * §4.8.2). A second use fails and revokes what the first issued (§4.1.2).
 */
enum oauth_err grant_authorization_code(const struct db_client *c,
    const char *code, const char *redirect_uri, const char *verifier,
    int dialect, long long now, struct grant_result *r);

/*
 * RFC 6749 §6 with rotation: a new refresh token every time; presenting a
 * retired one within cfg.refresh_grace is refused without harm (two tabs
 * racing), after it revokes that family only (RFC 9700 §4.14.2).
 */
enum oauth_err grant_refresh(const struct db_client *c, const char *refresh,
    const char *scope, int dialect, long long now, struct grant_result *r);

/*
 * A code for the authorization endpoint: a new session for the user on this
 * device, the code bound to the client, the redirect URI (when the request
 * named one) and the PKCE challenge. code gets the 40 hex characters.
 */
enum oauth_err grant_code_issue(const struct db_client *c,
    unsigned long long user_id, const char *device, const char *redirect_uri,
    const char *scope, const char *challenge, enum pkce_method method,
    int dialect, long long now, char code[SECRET_HEX_LEN + 1]);

/* The implicit grant (RFC 6749 §4.2): an access token, no refresh token. */
enum oauth_err grant_implicit(const struct db_client *c,
    unsigned long long user_id, const char *device, const char *scope,
    int dialect, long long now, struct grant_result *r);

/* RFC 7636 §4.1: 43-128 characters of [A-Za-z0-9-._~]. */
int pkce_verifier_valid(const char *v);
/* RFC 7636 §4.2: the same charset and length for a challenge. */
int pkce_challenge_valid(const char *v);

#endif

/*
 * browser.h - the signed-in browser of the login pages, and remembered
 * consent (SPEC section 9).
 *
 * A sign-in is a session (the browser is a device) with a token of kind
 * TOKEN_BROWSER whose value is the cookie; the devices page therefore lists
 * and signs out browsers like phones. The cookie lives login_cookie_ttl.
 */
#ifndef BROWSER_H
#define BROWSER_H

#include "db.h"
#include "error.h"
#include "secret.h"

/* Sign the user in on this browser: OE_OK (cookie set) or OE_SERVER. */
enum oauth_err browser_signin(unsigned long long user_id, const char *device,
    long long now, char cookie[SECRET_HEX_LEN + 1],
    unsigned long long *session_id);
/*
 * The signed-in user behind a cookie: OE_OK (t->user_id, t->session_id),
 * OE_INVALID_TOKEN (none, expired or signed out), OE_SERVER.
 */
enum oauth_err browser_check(const char *cookie, long long now,
    struct db_token *t);

/*
 * The CSRF token of the pages' forms (SPEC 14), bound to the browser: the
 * HMAC-SHA256, keyed with cfg.instance_secret, of the browser's session id
 * once signed in, else of the pre-session value (40 hex) the server issued
 * in a cookie. A token chosen by anyone without the key never matches, and
 * the token of one session is worth nothing in another.
 */
#define BROWSER_CSRF_LEN 64 /* hex characters, without the NUL */

/* 1 when cfg.instance_secret is set (config.c checked its form). */
int browser_csrf_ready(void);
/*
 * The token for session_id (when not 0) or for the pre-session value pre,
 * into out: 0, or -1 (no instance secret, pre malformed, crypto failure).
 */
int browser_csrf(unsigned long long session_id, const char *pre,
    char out[BROWSER_CSRF_LEN + 1]);

/* 1 when the user approved every scope of `scope` for the client before. */
int consent_covers(unsigned long long user_id, unsigned long long client_ref,
    const char *scope);
/* Remember the approval (adds to what was approved): OE_OK or OE_SERVER. */
enum oauth_err consent_remember(unsigned long long user_id,
    unsigned long long client_ref, const char *scope, long long now);

#endif

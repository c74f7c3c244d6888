/*
 * web.h - the pages a person sees (SPEC section 9): login, consent, the
 * devices page and readable error pages, rendered from templates under
 * htdocs/templates/ with the CSS of htdocs/static/.
 *
 * Every page carries X-Frame-Options: DENY, CSP frame-ancestors 'none',
 * Referrer-Policy: no-referrer and Cache-Control: no-store; every form a
 * CSRF token; every value is HTML-escaped.
 */
#ifndef WEB_H
#define WEB_H

#include "route.h"

/*
 * The authorization endpoint (RFC 6749 §3.1, §4.1.1, §4.2.1) for the
 * dialect that owns the route (DIALECT_OAUTH2 /oauth/authorize,
 * DIALECT_NODE /authorize, DIALECT_PHONE /v4/oauth/authorization): checks
 * the client and the exact redirect URI (an error page, never a redirect,
 * when either is unknown), shows login and consent, then redirects with a
 * code (or, implicit, a fragment with the token). GET shows, POST submits
 * the login and consent forms back to the same path.
 */
void web_authorize(struct ctx *c, int dialect);

/* /account/devices: the signed-in user's sessions; sign out one or all. */
void web_devices(struct ctx *c);

/* A page a person can read, with the given HTTP status. */
void web_error_page(struct ctx *c, int status, const char *title,
    const char *message);

#endif

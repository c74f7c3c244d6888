/*
 * signin.h - the sign-in form and its submission, shared by the
 * authorization endpoint and the devices page: whoever is not signed in on
 * this browser gets the form first (SPEC section 9).
 *
 * A sign-in is core's browser_signin(): a session whose device is this
 * browser, with a token that is the oauth_session cookie (HttpOnly,
 * SameSite=Lax so that the top-level GET from a client's site still
 * carries it, Secure under HTTPS, Max-Age login_cookie_ttl).
 */
#ifndef SIGNIN_H
#define SIGNIN_H

#include "db.h"
#include "route.h"

/*
 * Where the form posts to and what it carries: `hidden` (hidden inputs,
 * already escaped HTML) go along with the credentials; `intro` (escaped
 * HTML) tells the visitor why they are asked.
 */
struct signin {
	const char *action;  /* URL the form posts to */
	const char *hidden;  /* extra hidden inputs, HTML */
	const char *intro;   /* a sentence above the form, HTML */
	const char *form_to; /* extra CSP form-action source, or NULL */
};

/*
 * The signed-in user of this browser: 1 (user and the browser's session
 * id filled), 0 not signed in (no cookie, expired, signed out, user gone
 * or disabled), -1 the database failed (a 503 page was sent).
 */
int signin_current(struct ctx *c, struct db_user *user,
    unsigned long long *session_id);
/* Show the sign-in form (status 200, or the one given with a notice). */
void signin_form(struct ctx *c, const struct signin *s, int status,
    const char *notice);
/*
 * Handle a POSTed sign-in (action=login): 0 when the user is signed in
 * (cookie set: the caller redirects), -1 when a page was sent (the form
 * again with what went wrong, or an error page).
 */
int signin_submit(struct ctx *c, const struct signin *s);
#endif

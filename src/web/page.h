/*
 * page.h - what the pages of src/web/ share: HTML escaping, the template
 * renderer, cookies, the CSRF token, security headers and redirects.
 *
 * Templates are htdocs/templates/NAME.html, read from cfg.htdocs on every
 * page view into the request's arena: the files are a few KiB and sit in
 * the page cache, a page view is rare next to the token endpoints, and so
 * the process holds no template state (nothing to free at exit, nothing to
 * go stale when a template is edited under a running FastCGI pool).
 *
 * Markup: {{name}} is replaced by the HTML-escaped value of `name`,
 * {{{name}}} by the value as it is, for fragments the caller built (and
 * escaped) itself. A value is never scanned for tags again.
 */
#ifndef PAGE_H
#define PAGE_H

#include <stddef.h>

#include "buf.h"
#include "route.h"

struct arena;

/*
 * The cookies by their base names; under HTTPS (page_secure) each goes by
 * "__Host-" + name: Secure, Path=/, no Domain, so neither a sibling host
 * nor a plain-HTTP page can set or overwrite it (RFC 6265bis §4.1.3.2).
 */
#define COOKIE_SESSION "oauth_session" /* browser sign-in (browser_check) */
#define COOKIE_CSRF "oauth_csrf"       /* the pre-session CSRF value */
#define COOKIE_HOST_PREFIX "__Host-"
#define DEVICE_MAX 200 /* characters (SPEC 12b) */

struct page_var {
	const char *name;
	const char *value; /* NULL renders as "" */
};

/* s with & < > " ' as character references, appended to b. */
void page_escape(struct buf *b, const char *s);
/* The same into a new arena string. */
char *page_escaped(struct arena *a, const char *s);
/*
 * s percent-encoded (RFC 3986 §2.1, upper-case hex) except the unreserved
 * characters of §2.3, and '/' too when keep_slash; appended to b.
 */
void page_urlencode(struct buf *b, const char *s, int keep_slash);

/* <input type="hidden" name=".." value=".."> with both escaped, to b. */
void page_hidden(struct buf *b, const char *name, const char *value);

/*
 * Render template tpl[0..n) with vars into out: 0, or -1 when a tag is not
 * closed or names a variable that is not in vars (a template bug, which
 * the unit tests catch; out then holds a partial page).
 */
int page_render(struct buf *out, const char *tpl, size_t n,
    const struct page_var *vars, size_t nvars);
/* htdocs/templates/NAME.html into the arena: NULL (logged) on failure. */
char *page_template(struct ctx *c, const char *name, size_t *n);

/*
 * The value of cookie `name` in a Cookie header: the first pair of that
 * name whose value is a token (40 lower-case hex). Pairs without '=',
 * quoted values and anything else malformed are skipped. NULL when none.
 * (The pages never get this far with a name sent twice: page_ready.)
 */
const char *page_cookie(struct arena *a, const char *header, const char *name);
/* How many pairs in a Cookie header are named `name` (any value). */
size_t page_cookie_count(const char *header, const char *name);

/*
 * 1 when this request came over HTTPS: Apache's HTTPS=on, or an https
 * issuer (TLS ends at a proxy in front of Apache). The cookies then take
 * the __Host- names.
 */
int page_secure(struct ctx *c);
/* The cookie's name on this request: base, or "__Host-" base. */
const char *page_cookie_name(struct ctx *c, const char *base);
/* The value of our cookie `base` (page_cookie under its current name). */
const char *page_cookie_get(struct ctx *c, const char *base);
/*
 * What every page checks first: the instance secret is configured (else
 * a 503 page), and the Cookie header names none of our cookies twice
 * (else a 400 page: which of two values is the browser's own can't be
 * told). 0, or -1 when the page was sent.
 */
int page_ready(struct ctx *c);

/*
 * Set-Cookie `base`: HttpOnly, the given SameSite; under HTTPS named
 * "__Host-" base, Secure, Path=/; else for our path (SCRIPT_NAME + "/").
 * max_age < 0 leaves it a session cookie, 0 deletes it.
 */
void page_set_cookie(struct ctx *c, const char *base, const char *value,
    const char *samesite, long long max_age);

/*
 * The CSRF token of the forms on this page (browser_csrf): bound to the
 * browser's session when session_id is not 0; else to the pre-session
 * value of the oauth_csrf cookie, which is made when the browser has no
 * well-formed one and (re)sent either way. NULL when no token can be made.
 */
const char *page_csrf(struct ctx *c, unsigned long long session_id);
/*
 * A new pre-session value for the browser that just signed in, so one
 * planted or seen before the sign-in is worth nothing after it: 0, or -1.
 */
int page_csrf_renew(struct ctx *c);
/*
 * 1 when the POST carries exactly one csrf field, in its body, equal to
 * what page_csrf(c, session_id) gives.
 */
int page_csrf_ok(struct ctx *c, unsigned long long session_id);

/* The mount (SCRIPT_NAME, "" at the root) and the path, URL-encoded. */
char *page_self(struct ctx *c);
/* The User-Agent as a device name: valid UTF-8, at most 200 characters. */
const char *page_device(struct ctx *c);

/*
 * The CSP source expression of a redirect URI's origin ("https://host:port"
 * or, for a private-use scheme, "com.example.app:") into out; NULL when
 * the URI has nothing that can be written safely into the header.
 */
const char *page_origin(const char *uri, char *out, size_t n);

/*
 * Send template `tpl` inside the layout with the given status and title,
 * plus every page's headers (page_headers). form_to is an extra
 * form-action source (the client's origin) or NULL.
 */
void page_show(struct ctx *c, int status, const char *tpl, const char *title,
    const char *form_to, const struct page_var *vars, size_t nvars);
/* A redirect: 303 after a POST, 302 after a GET (RFC 9110 §15.4). */
void page_redirect(struct ctx *c, const char *url);
/* 503 with Retry-After: the database could not be reached. */
void page_unavailable(struct ctx *c);

#endif

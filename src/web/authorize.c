/*
 * authorize.c - the authorization endpoint (RFC 6749 §3.1, §4.1, §4.2;
 * RFC 7636; RFC 9700 §4.1-4.2) behind the sign-in and consent pages.
 *
 * The order of the checks is the point of this file. Until the client and
 * its redirect URI are known to belong together, an error is a page for
 * the person in front of the browser and never a redirect: redirecting
 * anywhere else would make us an open redirector (RFC 6749 §4.1.2.1,
 * §10.15; RFC 9700 §4.1). Once they are trusted, every other error goes
 * back to the client, with the state it sent, byte for byte.
 *
 * The authorization request arrives by GET (RFC 6749 §3.1: GET must be
 * supported, POST may be). POST is our own forms (sign in, approve, deny)
 * posting back to the same path with the request's parameters as hidden
 * fields; each must carry the CSRF token (page_csrf_ok).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "arena.h"
#include "config.h"
#include "page.h"
#include "request.h"
#include "response.h"
#include "signin.h"
#include "core/browser.h"
#include "core/grant.h"
#include "core/session.h"
#include "web/web.h"

/*
 * response_header() formats a value into 2048 bytes; a longer Location
 * would be cut, so an answer that long is refused as a page instead.
 */
#define LOCATION_MAX 2000
#define ANSWER_ROOM 200 /* a code or an error beside the state */

/* The authorization request's parameters (RFC 6749 §4.1.1, RFC 7636). */
enum ap {
	AP_RESPONSE_TYPE,
	AP_CLIENT_ID,
	AP_REDIRECT_URI,
	AP_SCOPE,
	AP_STATE,
	AP_CHALLENGE,
	AP_METHOD,
	AP__MAX
};

static const char *const ap_names[AP__MAX] = {
	[AP_RESPONSE_TYPE] = "response_type",
	[AP_CLIENT_ID] = "client_id",
	[AP_REDIRECT_URI] = "redirect_uri",
	[AP_SCOPE] = "scope",
	[AP_STATE] = "state",
	[AP_CHALLENGE] = "code_challenge",
	[AP_METHOD] = "code_challenge_method",
};

/* The fields of our own forms: each at most once, like the rest. */
static const char *const form_names[] = {
	"action",
	"username",
	"password",
	"remember",
};

/* What the consent page says for each scope; others are shown by name. */
static const struct {
	const char *scope;
	const char *words;
} scope_words[] = {
	{ "username", "Your username" },
	{ "email", "Your email address" },
	{ "firstname", "Your first name" },
	{ "lastname", "Your last name" },
	{ "phone", "Your phone number" },
	{ "sessions", "Manage your signed-in devices" },
	{ "account-owner", "Act as the account owner" },
	{ "extension-user", "Act as an extension user" },
	{ "methods:ALL", "Use every API method" },
};

/* Redirect URIs that would run script instead of reaching a client. */
static const char *const bad_schemes[] = {
	"javascript:",
	"data:",
	"vbscript:",
};

struct authz {
	struct ctx *c;
	int dialect;
	const char *v[AP__MAX]; /* as received; NULL when absent or repeated */
	unsigned dup;           /* bit (1 << ap): sent more than once */
	struct db_client client;
	const char *redirect; /* where answers go (registered, exact) */
	int fragment;         /* implicit: answers in the fragment (§4.2.2) */
	char origin[512];     /* the redirect URI's CSP source, or "" */
	char scope[1001];     /* the scope granted if approved */
	enum pkce_method method;
	const char *hidden; /* the request as hidden inputs */
};

static const char *
form_to(const struct authz *z)
{
	return z->origin[0] != '\0' ? z->origin : NULL;
}

static void
read_params(struct authz *z)
{
	const struct request *req = z->c->req;
	struct buf b = BUF_INIT;
	int i;

	for (i = 0; i < AP__MAX; i++) {
		if (request_count(req, ap_names[i]) > 1) {
			z->dup |= 1u << i;
			continue;
		}
		if ((z->v[i] = request_value(req, ap_names[i])) != NULL)
			page_hidden(&b, ap_names[i], z->v[i]);
	}
	z->hidden = arena_strndup(req->arena, buf_str(&b), b.len);
	buf_free(&b);
}

/* The endpoint's own URL with the request in its query (after sign-in). */
static char *
self_url(const struct authz *z)
{
	struct buf b = BUF_INIT;
	char *s;
	int i, n = 0;

	buf_puts(&b, page_self(z->c));
	for (i = 0; i < AP__MAX; i++) {
		if (z->v[i] == NULL)
			continue;
		buf_putc(&b, n++ == 0 ? '?' : '&');
		buf_puts(&b, ap_names[i]);
		buf_putc(&b, '=');
		page_urlencode(&b, z->v[i], 0);
	}
	s = arena_strndup(z->c->req->arena, buf_str(&b), b.len);
	buf_free(&b);
	return s;
}

/*
 * Send the answer to the client: redirect URI, then '?' (or '&' when the
 * registered URI has a query already, RFC 6749 §3.1.2) or '#' (implicit),
 * then the parameters, those with a NULL value left out. Every value is
 * percent-encoded, so state comes back exactly as it was sent.
 */
static void
answer(struct authz *z, const struct page_var *kv, size_t n)
{
	struct buf b = BUF_INIT;
	size_t i, len;
	int first = 1;

	buf_puts(&b, z->redirect);
	len = strlen(z->redirect);
	if (z->fragment)
		buf_putc(&b, '#');
	else if (strchr(z->redirect, '?') == NULL)
		buf_putc(&b, '?');
	else if (z->redirect[len - 1] != '?' && z->redirect[len - 1] != '&')
		buf_putc(&b, '&');
	for (i = 0; i < n; i++) {
		if (kv[i].value == NULL)
			continue;
		if (!first)
			buf_putc(&b, '&');
		first = 0;
		buf_puts(&b, kv[i].name);
		buf_putc(&b, '=');
		page_urlencode(&b, kv[i].value, 0);
	}
	/*
	 * RFC 9207 §2: every answer, error or not, names its issuer, so a
	 * client talking to several servers can tell who answered (mix-up,
	 * RFC 9700 §4.4). Clients that don't know it ignore it (§2.4).
	 */
	buf_puts(&b, first ? "iss=" : "&iss=");
	page_urlencode(&b, cfg.issuer, 0);
	if (b.len > LOCATION_MAX)
		web_error_page(z->c, 400, "Request too long",
		    "The answer to this request is too long to send back to "
		    "the application.");
	else
		page_redirect(z->c, buf_str(&b));
	buf_free(&b); /* wipes the code or token */
}

/* An error for the client (RFC 6749 §4.1.2.1, §4.2.2.1). */
static void
refuse(struct authz *z, const char *error, const char *description)
{
	const struct page_var kv[] = {
		{ "error", error },
		{ "error_description", description },
		{ "state", z->v[AP_STATE] },
	};

	answer(z, kv, ARRAY_SIZE(kv));
}

static int
bad_page(struct authz *z, const char *title, const char *message)
{
	web_error_page(z->c, 400, title, message);
	return -1;
}

static int
misconfigured(struct authz *z)
{
	return bad_page(z, "Application misconfigured",
	    "The application's return address is not valid.");
}

/*
 * Is the redirect URI the client's? 0, or -1 when an error page was sent:
 * never a redirect before this returned 0.
 */
static int
trust(struct authz *z)
{
	const char *id = z->v[AP_CLIENT_ID], *uri = z->v[AP_REDIRECT_URI];
	struct arena *a = z->c->req->arena;
	char def[sizeof(z->client.redirect_uris)];
	const char *p;
	size_t i;

	if (z->dup & (1u << AP_CLIENT_ID))
		return bad_page(z, "Invalid request",
		    "The request names the application more than once.");
	if (id == NULL || *id == '\0')
		return bad_page(z, "Invalid request",
		    "The request does not say which application is asking.");
	switch (client_find(id, &z->client)) {
	case OE_OK:
		break;
	case OE_INVALID_CLIENT:
		return bad_page(z, "Unknown application",
		    "The application that sent you here is not registered "
		    "with this server.");
	default:
		page_unavailable(z->c);
		return -1;
	}
	if (z->dup & (1u << AP_REDIRECT_URI))
		return bad_page(z, "Invalid request",
		    "The request names more than one address to return to.");
	if (uri != NULL) {
		/* RFC 9700 §4.1.3: exact string comparison, nothing else. */
		if (!client_redirect_ok(&z->client, uri))
			return bad_page(z, "Unknown return address",
			    "The address this request would send you back to "
			    "is not registered for the application, so you "
			    "were not sent there.");
		z->redirect = uri;
	} else {
		/* RFC 6749 §3.1.2.3: optional only with one registered URI. */
		if (client_default_redirect(&z->client, def, sizeof(def)) == -1)
			return bad_page(z, "Invalid request",
			    "The request does not say where to send you back "
			    "to, and the application has several addresses.");
		z->redirect = arena_strdup(a, def);
	}
	/*
	 * RFC 6749 §3.1.2: no fragment; nothing that splits a header; and
	 * no scheme that runs code in our origin's stead (RFC 6819
	 * §5.2.3.5), whatever registration let through.
	 */
	for (p = z->redirect; *p != '\0'; p++)
		if (*p == '#' || (unsigned char)*p < 0x20 || *p == 0x7f)
			return misconfigured(z);
	for (i = 0; i < ARRAY_SIZE(bad_schemes); i++)
		if (strncasecmp(z->redirect, bad_schemes[i],
			strlen(bad_schemes[i])) == 0)
			return misconfigured(z);
	if (page_origin(z->redirect, z->origin, sizeof(z->origin)) == NULL)
		z->origin[0] = '\0';
	return 0;
}

/* The PKCE part of a code request (RFC 7636 §4.3, §4.4.1): 0 or -1. */
static int
check_pkce(struct authz *z)
{
	const char *ch = z->v[AP_CHALLENGE], *m = z->v[AP_METHOD];

	if (ch == NULL) {
		if (m != NULL) {
			refuse(z, "invalid_request",
			    "code_challenge_method without code_challenge");
			return -1;
		}
		/* RFC 9700 §2.1.1: PKCE is how a public client is bound. */
		if (z->client.is_public) {
			refuse(z, "invalid_request",
			    "code challenge required: public clients must "
			    "use PKCE (RFC 7636)");
			return -1;
		}
		z->method = PKCE_NONE;
		return 0;
	}
	/* RFC 7636 §4.3: no method means plain. */
	if (m == NULL || strcmp(m, "plain") == 0)
		z->method = PKCE_PLAIN;
	else if (strcmp(m, "S256") == 0)
		z->method = PKCE_S256;
	else {
		refuse(z, "invalid_request",
		    "transform algorithm not supported: use S256");
		return -1;
	}
	/* RFC 9700 §2.1.1: plain only where the configuration allows it. */
	if (z->method == PKCE_PLAIN && !cfg.pkce_plain) {
		refuse(z, "invalid_request",
		    "code_challenge_method plain is not allowed: use S256");
		return -1;
	}
	if (!pkce_challenge_valid(ch)) {
		refuse(z, "invalid_request",
		    "code_challenge must be 43 to 128 characters of "
		    "A-Z a-z 0-9 - . _ ~");
		return -1;
	}
	return 0;
}

/* The length of the redirect URI with `state` and iss, percent-encoded. */
static size_t
answer_len(const struct authz *z, const char *state)
{
	struct buf b = BUF_INIT;
	size_t n;

	if (state != NULL)
		page_urlencode(&b, state, 0);
	page_urlencode(&b, cfg.issuer, 0); /* iss, RFC 9207 */
	n = strlen(z->redirect) + b.len;
	buf_free(&b);
	return n;
}

/*
 * RFC 6749 Appendix A.5: state is VSCHAR. Non-ASCII text goes through (a
 * client that sends it gets it back); control characters don't, since a
 * browser rewrites line breaks in the hidden fields of our forms (HTML's
 * form submission normalises them to CRLF), and state must come back
 * exactly as it was sent.
 */
static int
state_ok(const char *state)
{
	const unsigned char *p = (const unsigned char *)state;

	for (; p != NULL && *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

/* Everything else about the request: 0, or -1 when an answer was sent. */
static int
validate(struct authz *z)
{
	const char *rt = z->v[AP_RESPONSE_TYPE], *scope;
	const char *why = "response_type must be code or token";
	char what[128];
	size_t i;
	int j;

	/* The implicit grant answers in the fragment, errors too (§4.2.2.1). */
	z->fragment = rt != NULL && strcmp(rt, "token") == 0 &&
	    z->dialect != DIALECT_NODE;
	for (j = 0; j < AP__MAX; j++) {
		if (z->dup & (1u << j)) {
			/* RFC 6749 §3.1: parameters must not repeat. */
			snprintf(what, sizeof(what),
			    "%s was sent more than once", ap_names[j]);
			refuse(z, "invalid_request", what);
			return -1;
		}
	}
	for (i = 0; i < ARRAY_SIZE(form_names); i++)
		if (request_count(z->c->req, form_names[i]) > 1)
			return bad_page(z, "Invalid request",
			    "The form was sent with a field twice. Go back and "
			    "try again.");
	/* Refuse now what could not be answered after the sign-in. */
	if (answer_len(z, z->v[AP_STATE]) + ANSWER_ROOM > LOCATION_MAX)
		return bad_page(z, "Request too long",
		    "The answer to this request would be too long to send back "
		    "to the application.");
	if (!state_ok(z->v[AP_STATE])) {
		refuse(z, "invalid_request",
		    "state must not hold control characters");
		return -1;
	}
	if (rt == NULL || *rt == '\0') {
		refuse(z, "invalid_request", "response_type is missing");
		return -1;
	}
	if (strcmp(rt, "code") == 0) {
		if (!client_has_grant(&z->client, GRANT_AUTHORIZATION_CODE)) {
			refuse(z, "unauthorized_client",
			    "this client may not use the authorization code "
			    "grant");
			return -1;
		}
	} else if (strcmp(rt, "token") == 0 && z->dialect != DIALECT_NODE) {
		/* SPEC R, 12b: the implicit grant only for clients allowed it. */
		if (!client_has_grant(&z->client, GRANT_IMPLICIT)) {
			refuse(z, "unauthorized_client",
			    "this client may not use the implicit grant");
			return -1;
		}
	} else {
		if (z->dialect == DIALECT_NODE)
			why = "response_type must be code";
		refuse(z, "unsupported_response_type", why);
		return -1;
	}
	/* SPEC N: the Node server's clients separate scopes by commas too. */
	scope = z->v[AP_SCOPE];
	if (z->dialect == DIALECT_NODE && scope != NULL) {
		char *sp = arena_strdup(z->c->req->arena, scope), *q;

		for (q = sp; *q != '\0'; q++)
			if (*q == ',')
				*q = ' ';
		scope = sp;
	}
	if (grant_scope(&z->client, scope, 1, z->scope) != OE_OK) {
		refuse(z, "invalid_scope",
		    "the requested scope is unknown or not allowed for this "
		    "client");
		return -1;
	}
	return z->fragment ? 0 : check_pkce(z);
}

/* RFC 6749 §4.1.2: a code, bound to the client, URI and challenge. */
static void
issue_code(struct authz *z, const struct db_user *u)
{
	char code[SECRET_HEX_LEN + 1];
	const struct page_var kv[] = {
		{ "code", code },
		{ "state", z->v[AP_STATE] },
	};
	const char *challenge = NULL;
	enum oauth_err e;

	if (z->method != PKCE_NONE)
		challenge = z->v[AP_CHALLENGE];
	/*
	 * The code remembers the redirect URI only when the request named
	 * it: then the token request must repeat it (§4.1.3).
	 */
	e = grant_code_issue(&z->client, u->id, page_device(z->c),
	    z->v[AP_REDIRECT_URI], z->scope, challenge, z->method, z->dialect,
	    z->c->now, code);
	if (e != OE_OK) {
		page_unavailable(z->c);
		return;
	}
	answer(z, kv, ARRAY_SIZE(kv));
	OPENSSL_cleanse(code, sizeof(code));
}

/* RFC 6749 §4.2.2: the token itself, in the fragment. */
static void
issue_token(struct authz *z, const struct db_user *u)
{
	struct grant_result r;
	char ttl[32];
	const struct page_var kv[] = {
		{ "access_token", r.tok.access },
		{ "token_type", "Bearer" },
		{ "expires_in", ttl },
		{ "scope", r.scope },
		{ "state", z->v[AP_STATE] },
	};
	enum oauth_err e;

	e = grant_implicit(&z->client, u->id, page_device(z->c), z->scope,
	    z->dialect, z->c->now, &r);
	if (e != OE_OK) {
		page_unavailable(z->c);
		return;
	}
	snprintf(ttl, sizeof(ttl), "%lld", r.expires_in);
	answer(z, kv, ARRAY_SIZE(kv));
	OPENSSL_cleanse(&r, sizeof(r));
}

static void
issue(struct authz *z, const struct db_user *u)
{
	if (z->fragment)
		issue_token(z, u);
	else
		issue_code(z, u);
}

static const char *
client_label(const struct authz *z)
{
	return z->client.name[0] != '\0' ? z->client.name : z->client.client_id;
}

/* The scope as a list a person can read, escaped. */
static char *
scope_list(struct arena *a, const char *scope)
{
	struct buf b = BUF_INIT;
	const char *p = scope;
	char *s;
	size_t n, i;

	while (*p != '\0') {
		while (*p == ' ')
			p++;
		if ((n = strcspn(p, " ")) == 0)
			break;
		for (i = 0; i < ARRAY_SIZE(scope_words); i++)
			if (strlen(scope_words[i].scope) == n &&
			    memcmp(scope_words[i].scope, p, n) == 0)
				break;
		buf_puts(&b, "<li>");
		if (i < ARRAY_SIZE(scope_words)) {
			page_escape(&b, scope_words[i].words);
		} else {
			buf_puts(&b, "<code>");
			page_escape(&b, arena_strndup(a, p, n));
			buf_puts(&b, "</code>");
		}
		buf_puts(&b, "</li>\n");
		p += n;
	}
	if (b.len == 0)
		buf_puts(&b,
		    "<li>Know that it is you, and nothing else about "
		    "you</li>\n");
	s = arena_strndup(a, buf_str(&b), b.len);
	buf_free(&b);
	return s;
}

static void
consent_page(struct authz *z, const struct db_user *u, unsigned long long sid)
{
	struct arena *a = z->c->req->arena;
	const char *dest = z->origin[0] != '\0' ? z->origin : z->redirect;
	struct page_var vars[7];
	const char *csrf;

	if ((csrf = page_csrf(z->c, sid)) == NULL) {
		web_error_page(z->c, 500, "Something went wrong",
		    "This page could not be shown. Try again later.");
		return;
	}
	vars[0] = (struct page_var){ "action", page_self(z->c) };
	vars[1] = (struct page_var){ "csrf", csrf };
	vars[2] = (struct page_var){ "hidden", z->hidden };
	vars[3] = (struct page_var){ "client", client_label(z) };
	vars[4] = (struct page_var){ "username", u->username };
	vars[5] = (struct page_var){ "scopes", scope_list(a, z->scope) };
	/* RFC 6749 §10.2: tell the person where the answer will go. */
	vars[6] = (struct page_var){ "destination", dest };
	page_show(z->c, 200, "consent", "Allow access?", form_to(z), vars,
	    ARRAY_SIZE(vars));
}

static void
csrf_refused(struct ctx *c)
{
	web_error_page(c, 403, "Form expired",
	    "The form expired or was sent from another site. Go back and try "
	    "again.");
}

void
web_authorize(struct ctx *c, int dialect)
{
	struct arena *a = c->req->arena;
	struct authz *z = arena_alloc(a, sizeof(*z));
	struct signin s;
	struct db_user user;
	unsigned long long sid = 0;
	const char *action = NULL;
	enum oauth_err e = OE_OK;
	int in;

	z->c = c;
	z->dialect = dialect;
	if (page_ready(c) == -1)
		return;
	read_params(z);
	if ((in = signin_current(c, &user, &sid)) == -1)
		return;
	if (c->req->method == METHOD_POST) {
		/*
		 * Before anything else: a forged POST does nothing at all. The
		 * token is the session's once signed in (SPEC 14); a sign-in
		 * form sent before another tab signed in still just goes on.
		 */
		action = request_value(c->req, "action");
		if (!page_csrf_ok(c, in ? sid : 0) &&
		    !(in && action != NULL && strcmp(action, "login") == 0 &&
			page_csrf_ok(c, 0))) {
			csrf_refused(c);
			return;
		}
	}
	if (trust(z) == -1 || validate(z) == -1)
		return;
	if (!in) {
		s.action = page_self(c);
		s.hidden = z->hidden;
		s.intro = arena_printf(a, "to continue to <strong>%s</strong>",
		    page_escaped(a, client_label(z)));
		s.form_to = form_to(z);
		if (action != NULL && strcmp(action, "login") == 0) {
			if (signin_submit(c, &s) == 0)
				/* Post/Redirect/Get: no form to re-send. */
				page_redirect(c, self_url(z));
			return;
		}
		/* Also a POST whose sign-in expired meanwhile: sign in again. */
		signin_form(c, &s, 200, NULL);
		return;
	}
	if (action == NULL) {
		/* SPEC 9: a remembered consent skips the page. */
		if (consent_covers(user.id, z->client.id, z->scope))
			issue(z, &user);
		else
			consent_page(z, &user, sid);
	} else if (strcmp(action, "approve") == 0) {
		if (request_value(c->req, "remember") != NULL)
			e = consent_remember(user.id, z->client.id, z->scope,
			    c->now);
		if (e != OE_OK) {
			page_unavailable(c);
			return;
		}
		issue(z, &user);
	} else if (strcmp(action, "deny") == 0) {
		refuse(z, "access_denied", "the user denied the request");
	} else if (strcmp(action, "login") == 0) {
		/* Signed in meanwhile (another tab): just go on. */
		page_redirect(c, self_url(z));
	} else if (strcmp(action, "logout") == 0) {
		/* "Not you?": this browser signs out, the form comes back. */
		if (session_revoke(user.id, sid, c->now) == OE_SERVER) {
			page_unavailable(c);
			return;
		}
		page_set_cookie(c, COOKIE_SESSION, "", "Lax", 0);
		page_redirect(c, self_url(z));
	} else {
		web_error_page(c, 400, "Invalid request",
		    "The form was sent with an unknown action. Go back and try "
		    "again.");
	}
}

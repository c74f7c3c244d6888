/*
 * oauth2.c - the standard OAuth 2.0 dialect (SPEC section R; seed 003):
 * RFC 6749 token endpoint, RFC 7662 introspection, RFC 7009 revocation,
 * RFC 6750 userinfo, RFC 8414 metadata. The authorization endpoint's pages
 * live in src/web/.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "config.h"
#include "core/client.h"
#include "core/grant.h"
#include "core/token.h"
#include "core/user.h"
#include "common.h"
#include "dialect.h"
#include "jsonw.h"
#include "request.h"
#include "response.h"
#include "web/web.h"

void
oauth2_error(struct ctx *c, enum oauth_err e, const char *detail)
{
	const struct oauth_err_info *info = oauth_err_info(e);
	struct buf body = BUF_INIT;
	struct jsonw w;

	if (e == OE_NOT_FOUND) {
		response_text(c->res, 404, "text/plain; charset=utf-8",
		    "Not Found\n");
		return;
	}
	if (e == OE_SERVER)
		response_header(c->res, "Retry-After", "5");
	/* RFC 6749 §5.2: error responses are no-store like tokens. */
	response_no_store(c->res);
	jsonw_init(&w, &body, JSONW_COMPACT);
	jsonw_obj_open(&w);
	jsonw_kstr(&w, "error", info->rfc);
	if (detail != NULL)
		jsonw_kstr(&w, "error_description", detail);
	jsonw_obj_close(&w);
	response_json(c->res, info->http, &body);
}

/*
 * A single-valued body parameter (RFC 6749 §3.2: the token endpoint takes
 * its parameters in the body). 0 with *out (NULL when absent); -1 when the
 * parameter is repeated or a JSON value is not a string.
 */
static int
body_str(struct ctx *c, const char *name, const char **out)
{
	const struct param *p, *found = NULL;

	*out = NULL;
	for (p = c->req->body_params; p != NULL; p = p->next) {
		if (strcmp(p->name, name) != 0)
			continue;
		if (found != NULL || p->jtype != PJ_STRING)
			return -1;
		found = p;
	}
	*out = found ? found->value : NULL;
	return 0;
}

/* Empty strings count as absent for OAuth parameters (RFC 6749 §3.1). */
static const char *
nonempty(const char *s)
{
	return s != NULL && *s != '\0' ? s : NULL;
}

static void
client_failed(struct ctx *c, enum oauth_err e, int basic,
    const struct db_client *cl)
{
	if (e == OE_CLIENT_THROTTLED) {
		/* SPEC 14: 429 invalid_client, the correct secret included. */
		dialect_client_retry_after(c, cl);
		oauth2_error(c, e, "too many failed client authentications");
		return;
	}
	if (e != OE_INVALID_CLIENT) {
		oauth2_error(c, e,
		    e == OE_INVALID_REQUEST ? "more than one "
					      "client authentication method" :
					      NULL);
		return;
	}
	/* RFC 6749 §5.2: 401, with the challenge when Basic was tried. */
	if (basic)
		response_header(c->res, "WWW-Authenticate",
		    "Basic realm=\"oauth\", charset=\"UTF-8\"");
	oauth2_error(c, OE_INVALID_CLIENT, "client authentication failed");
}

/* The calling client: 0, or -1 with the error answered. */
static int
authenticate_client(struct ctx *c, struct db_client *cl, int allow_public)
{
	const char *id, *secret;
	enum oauth_err e;
	int basic;

	if (body_str(c, "client_id", &id) == -1 ||
	    body_str(c, "client_secret", &secret) == -1) {
		oauth2_error(c, OE_INVALID_REQUEST, "repeated parameter");
		return -1;
	}
	e = dialect_client(c, id, secret, allow_public, cl, &basic);
	if (e != OE_OK) {
		client_failed(c, e, basic, cl);
		return -1;
	}
	return 0;
}

/* The seed 003 / RFC 6749 §5.1 answer. */
static void
token_response(struct ctx *c, const struct grant_result *r)
{
	struct buf body = BUF_INIT;
	struct jsonw w;

	response_no_store(c->res);
	jsonw_init(&w, &body, JSONW_COMPACT);
	jsonw_obj_open(&w);
	jsonw_kstr(&w, "token_type", "Bearer");
	jsonw_kint(&w, "expires_in", r->expires_in);
	jsonw_kstr(&w, "access_token", r->tok.access);
	if (r->tok.refresh[0] != '\0')
		jsonw_kstr(&w, "refresh_token", r->tok.refresh);
	jsonw_kstr(&w, "scope", r->scope);
	jsonw_obj_close(&w);
	response_json(c->res, 200, &body);
}

static void
grant_failed(struct ctx *c, enum oauth_err e, const struct login_result *lr)
{
	const char *d = NULL;

	switch (e) {
	case OE_THROTTLED:
		response_header(c->res, "Retry-After", "%lld",
		    lr ? lr->retry_after : 1);
		d = "too many failed login attempts";
		break;
	case OE_BAD_CREDENTIALS:
		d = "invalid username or password";
		break;
	case OE_INVALID_GRANT:
		d = "the grant is invalid, expired, revoked or was issued to "
		    "another client";
		break;
	case OE_UNAUTHORIZED_CLIENT:
		d = "the client may not use this grant type";
		break;
	case OE_INVALID_SCOPE:
		d = "the requested scope is invalid or not allowed";
		break;
	default:
		break;
	}
	oauth2_error(c, e, d);
}

/*
 * client_credentials for a client this process issued to before: the
 * client is not read (client_recall()), and the token's INSERT checks
 * that its row is unchanged; one statement instead of two
 * (docs/performance.md). 1 when the token was issued and answered; 0
 * when anything differs -- not remembered, another secret, the row
 * changed, an error -- and the ordinary path must answer, from the
 * database.
 */
static int
remembered_client_credentials(struct ctx *c, const struct token_params *p)
{
	struct db_client cl;
	struct grant_result r;
	const char *id, *secret;
	int basic;

	if (body_str(c, "client_id", &id) == -1 ||
	    body_str(c, "client_secret", &secret) == -1 ||
	    dialect_client_recall(c, id, secret, &cl, &basic) != OE_OK)
		return 0;
	if (grant_client_credentials_remembered(&cl, p->scope, DIALECT_OAUTH2,
		c->now, &r) != OE_OK) {
		client_forget(cl.client_id);
		return 0;
	}
	token_response(c, &r);
	return 1;
}

void
oauth2_token(struct ctx *c)
{
	struct token_params p;
	struct login_result lr;
	struct grant_result r;
	struct db_client cl;
	const char *what;
	enum oauth_err e;
	int g;

	memset(&p, 0, sizeof(p));
	if (request_has_duplicates(c->req) ||
	    body_str(c, "grant_type", &p.grant_type) == -1 ||
	    body_str(c, "scope", &p.scope) == -1 ||
	    body_str(c, "username", &p.username) == -1 ||
	    body_str(c, "password", &p.password) == -1 ||
	    body_str(c, "code", &p.code) == -1 ||
	    body_str(c, "redirect_uri", &p.redirect_uri) == -1 ||
	    body_str(c, "code_verifier", &p.code_verifier) == -1 ||
	    body_str(c, "refresh_token", &p.refresh_token) == -1) {
		/* RFC 6749 §3.2: parameters MUST NOT be repeated. */
		oauth2_error(c, OE_INVALID_REQUEST,
		    "a parameter is repeated "
		    "or not a string");
		return;
	}
	if (nonempty(p.grant_type) == NULL) {
		oauth2_error(c, OE_INVALID_REQUEST, "grant_type is required");
		return;
	}
	g = grant_parse(p.grant_type, strlen(p.grant_type));
	if (g == -1 || g == GRANT_IMPLICIT) {
		oauth2_error(c, OE_UNSUPPORTED_GRANT, "unsupported grant_type");
		return;
	}
	if (g == GRANT_CLIENT_CREDENTIALS &&
	    remembered_client_credentials(c, &p))
		return;
	if (authenticate_client(c, &cl, g != GRANT_CLIENT_CREDENTIALS) == -1)
		return;
	e = dialect_grant(c, &cl, &p, DIALECT_OAUTH2, &r, &lr, &what);
	if (e == OE_INVALID_REQUEST) {
		oauth2_error(c, e, what);
		return;
	}
	if (e != OE_OK) {
		grant_failed(c, e, &lr);
		return;
	}
	if (g == GRANT_CLIENT_CREDENTIALS)
		client_remember(&cl);
	token_response(c, &r);
}

/*
 * RFC 7662 §4 / RFC 7009 §2.1 (SPEC 12b): a client may look at and revoke
 * its own tokens and those issued without a client; a resource server
 * every token.
 */
static int
may_see(const struct db_client *cl, const struct db_token *t)
{
	return cl->resource_server || t->client_ref == 0 ||
	    t->client_ref == cl->id;
}

static void
inactive(struct ctx *c)
{
	struct buf body = BUF_INIT;

	buf_puts(&body, "{\"active\":false}");
	response_no_store(c->res);
	response_json(c->res, 200, &body);
}

void
oauth2_introspect(struct ctx *c)
{
	const char *token, *hint, *id, *secret;
	struct db_client cl;
	struct db_token t;
	struct buf body = BUF_INIT;
	struct jsonw w;
	enum oauth_err e, te;
	char sub[24];
	int basic, bad_params;

	/*
	 * The client and the token are read in one statement (the calling
	 * client's row, the token's LEFT JOINed to it): one round trip to
	 * MariaDB instead of two. The answers keep their order: a client
	 * that fails authentication hears only that, whatever the token.
	 */
	bad_params = body_str(c, "token", &token) == -1 ||
	    body_str(c, "token_type_hint", &hint) == -1 ||
	    nonempty(token) == NULL;
	if (body_str(c, "client_id", &id) == -1 ||
	    body_str(c, "client_secret", &secret) == -1) {
		oauth2_error(c, OE_INVALID_REQUEST, "repeated parameter");
		return;
	}
	e = dialect_client_token(c, id, secret, bad_params ? NULL : token, &cl,
	    &basic, &t, &te);
	if (e != OE_OK) {
		client_failed(c, e, basic, &cl);
		return;
	}
	if (bad_params) {
		oauth2_error(c, OE_INVALID_REQUEST,
		    "one token parameter is "
		    "required");
		return;
	}
	if (te == OE_SERVER) {
		oauth2_error(c, OE_SERVER, NULL);
		return;
	}
	if (te != OE_OK ||
	    (t.kind != TOKEN_ACCESS && t.kind != TOKEN_REFRESH) ||
	    !token_live(&t, c->now) || !may_see(&cl, &t)) {
		inactive(c);
		return;
	}
	/* The lookup joined the owner's names: no further query. */
	if (t.user_id != 0 && t.username[0] == '\0') {
		inactive(c); /* the user was deleted */
		return;
	}
	response_no_store(c->res);
	jsonw_init(&w, &body, JSONW_COMPACT);
	jsonw_obj_open(&w);
	jsonw_kbool(&w, "active", 1);
	jsonw_kstr(&w, "scope", t.scope);
	if (t.client_id[0] != '\0')
		jsonw_kstr(&w, "client_id", t.client_id);
	if (t.user_id != 0)
		jsonw_kstr(&w, "username", t.username);
	jsonw_kstr(&w, "token_type",
	    t.kind == TOKEN_ACCESS ? "Bearer" : "refresh_token");
	jsonw_kint(&w, "exp", t.expires_at);
	jsonw_kint(&w, "iat", t.created_ms / 1000);
	if (t.user_id != 0) {
		snprintf(sub, sizeof(sub), "%llu", t.user_id);
		jsonw_kstr(&w, "sub", sub);
	}
	jsonw_obj_close(&w);
	response_json(c->res, 200, &body);
}

void
oauth2_revoke(struct ctx *c)
{
	const char *token, *hint;
	struct db_client cl;
	struct db_token t;
	struct buf body = BUF_INIT;
	enum oauth_err e;

	if (authenticate_client(c, &cl, 0) == -1)
		return;
	if (body_str(c, "token", &token) == -1 ||
	    body_str(c, "token_type_hint", &hint) == -1 ||
	    nonempty(token) == NULL) {
		oauth2_error(c, OE_INVALID_REQUEST,
		    "one token parameter is "
		    "required");
		return;
	}
	e = token_lookup(token, &t);
	if (e == OE_OK && (t.kind == TOKEN_ACCESS || t.kind == TOKEN_REFRESH) &&
	    may_see(&cl, &t))
		e = token_revoke(&t);
	else if (e == OE_INVALID_TOKEN)
		e = OE_OK; /* §2.2: an unknown token is not an error */
	/* Never a false 200: a revocation not recorded is a 503. */
	if (e == OE_SERVER) {
		oauth2_error(c, OE_SERVER,
		    "the revocation could not be "
		    "recorded");
		return;
	}
	/*
	 * RFC 7009 §2.2 leaves the body open; SPEC 14: an empty JSON object,
	 * which client libraries that parse every answer accept
	 * (simple-oauth2's revoke() throws on an empty body).
	 */
	buf_puts(&body, "{}");
	response_json(c->res, 200, &body);
}

/* RFC 6750 §3: the challenge of a protected resource. */
static void
bearer_failed(struct ctx *c, int status, const char *error, const char *desc)
{
	struct buf body = BUF_INIT;
	struct jsonw w;

	if (error == NULL)
		response_header(c->res, "WWW-Authenticate",
		    "Bearer realm=\"oauth\"");
	else
		response_header(c->res, "WWW-Authenticate",
		    "Bearer "
		    "realm=\"oauth\", error=\"%s\", error_description=\"%s\"",
		    error, desc);
	response_no_store(c->res);
	jsonw_init(&w, &body, JSONW_COMPACT);
	jsonw_obj_open(&w);
	jsonw_kstr(&w, "error", error ? error : "invalid_request");
	jsonw_kstr(&w, "error_description", desc);
	jsonw_obj_close(&w);
	response_json(c->res, status, &body);
}

void
oauth2_userinfo(struct ctx *c)
{
	const char *header = dialect_bearer(c), *form = NULL;
	struct db_token t;
	struct db_user u;
	struct buf body = BUF_INIT;
	struct jsonw w;
	enum oauth_err e;
	char sub[24];

	/* §2.2: the form body, only form-encoded. */
	if (c->req->body_kind == BODY_FORM &&
	    body_str(c, "access_token", &form) == -1) {
		bearer_failed(c, 400, "invalid_request",
		    "access_token "
		    "repeated");
		return;
	}
	if (request_value(c->req, "access_token") != NULL && form == NULL) {
		/* §2.3's URI query parameter is not supported: say so. */
		bearer_failed(c, 400, "invalid_request",
		    "send the token in "
		    "the Authorization header or a form body");
		return;
	}
	if (header != NULL && form != NULL) {
		/* §2: a client MUST NOT use more than one method. */
		bearer_failed(c, 400, "invalid_request",
		    "more than one "
		    "token");
		return;
	}
	if (header == NULL && form == NULL) {
		bearer_failed(c, 401, NULL, "an access token is required");
		return;
	}
	e = token_check(header ? header : form, c->now, &t);
	if (e == OE_SERVER) {
		oauth2_error(c, OE_SERVER, NULL);
		return;
	}
	if (e != OE_OK) {
		bearer_failed(c, 401, "invalid_token",
		    "the access token is "
		    "invalid, expired or revoked");
		return;
	}
	if (t.user_id == 0) {
		bearer_failed(c, 403, "insufficient_scope",
		    "the token "
		    "belongs to no user");
		return;
	}
	if ((e = user_get(t.user_id, &u)) != OE_OK) {
		if (e == OE_SERVER)
			oauth2_error(c, OE_SERVER, NULL);
		else
			bearer_failed(c, 401, "invalid_token",
			    "the user no "
			    "longer exists");
		return;
	}
	response_no_store(c->res);
	jsonw_init(&w, &body, JSONW_COMPACT);
	jsonw_obj_open(&w);
	snprintf(sub, sizeof(sub), "%llu", u.id);
	jsonw_kstr(&w, "sub", sub);
	/* SPEC 12b: each scope grants the field of its name. */
	if (scope_has(t.scope, "username"))
		jsonw_kstr(&w, "username", u.username);
	if (scope_has(t.scope, "email") && u.has_email)
		jsonw_kstr(&w, "email", u.email);
	if (scope_has(t.scope, "firstname"))
		jsonw_kstr(&w, "firstname", u.first);
	if (scope_has(t.scope, "lastname"))
		jsonw_kstr(&w, "lastname", u.last);
	if (scope_has(t.scope, "phone") && u.has_phone)
		jsonw_kstr(&w, "phone_number", u.phone);
	jsonw_obj_close(&w);
	response_json(c->res, 200, &body);
}

/* A member whose value is an array of the NULL-terminated strings. */
static void
strings(struct jsonw *w, const char *key, const char *const *v)
{
	jsonw_key(w, key);
	jsonw_arr_open(w);
	for (; *v != NULL; v++)
		jsonw_str(w, *v);
	jsonw_arr_close(w);
}

static void
endpoint(struct jsonw *w, struct arena *a, const char *key, const char *path)
{
	jsonw_kstr(w, key, arena_printf(a, "%s%s", cfg.issuer, path));
}

void
oauth2_metadata(struct ctx *c)
{
	static const char *const scopes[] = { "username", "email", "firstname",
		"lastname", "phone", NULL };
	static const char *const response_types[] = { "code", "token", NULL };
	static const char *const response_modes[] = { "query", "fragment",
		NULL };
	static const char *const grants[] = { "authorization_code", "implicit",
		"password", "client_credentials", "refresh_token", NULL };
	static const char *const token_auth[] = { "client_secret_basic",
		"client_secret_post", "none", NULL };
	static const char *const client_auth[] = { "client_secret_basic",
		"client_secret_post", NULL };
	struct arena *a = c->req->arena;
	struct buf body = BUF_INIT;
	struct jsonw w;

	/* RFC 8414 §2: exactly what this server does. */
	jsonw_init(&w, &body, JSONW_COMPACT);
	jsonw_obj_open(&w);
	jsonw_kstr(&w, "issuer", cfg.issuer);
	endpoint(&w, a, "authorization_endpoint", "/oauth/authorize");
	endpoint(&w, a, "token_endpoint", "/oauth/token");
	endpoint(&w, a, "introspection_endpoint", "/oauth/introspect");
	endpoint(&w, a, "revocation_endpoint", "/oauth/revoke");
	endpoint(&w, a, "userinfo_endpoint", "/oauth/userinfo");
	strings(&w, "scopes_supported", scopes);
	strings(&w, "response_types_supported", response_types);
	strings(&w, "response_modes_supported", response_modes);
	strings(&w, "grant_types_supported", grants);
	strings(&w, "token_endpoint_auth_methods_supported", token_auth);
	strings(&w, "introspection_endpoint_auth_methods_supported",
	    client_auth);
	strings(&w, "revocation_endpoint_auth_methods_supported", client_auth);
	jsonw_key(&w, "code_challenge_methods_supported");
	jsonw_arr_open(&w);
	jsonw_str(&w, "S256");
	if (cfg.pkce_plain)
		jsonw_str(&w, "plain");
	jsonw_arr_close(&w);
	/* RFC 9207 §3: every authorization response carries iss. */
	jsonw_kbool(&w, "authorization_response_iss_parameter_supported", 1);
	jsonw_obj_close(&w);
	response_json(c->res, 200, &body);
}

void
oauth2_authorize(struct ctx *c)
{
	web_authorize(c, DIALECT_OAUTH2);
}

void
account_devices(struct ctx *c)
{
	web_devices(c);
}

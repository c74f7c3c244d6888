/*
 * node.c - the small Node OAuth server's API (SPEC section N; seed 001):
 * registration of clients and users, /authorize, /token, /api.
 *
 * Answers are {"status":"SUCCESS",...} or {"status":"FAILED","message":...}.
 * Registration is off unless the configuration opens it (registration =
 * open), or asks for the bearer token of an administrator (registration =
 * token: a live access token whose user has access_level >= admin_level).
 */
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "config.h"
#include "common.h"
#include "core/client.h"
#include "core/token.h"
#include "core/user.h"
#include "dialect.h"
#include "jsonw.h"
#include "request.h"
#include "response.h"
#include "utf8.h"
#include "web/web.h"

static void
failed(struct ctx *c, int status, const char *message)
{
	struct buf body = BUF_INIT;
	struct jsonw w;

	jsonw_init(&w, &body, JSONW_COMPACT);
	jsonw_obj_open(&w);
	jsonw_kstr(&w, "status", "FAILED");
	jsonw_kstr(&w, "message", message);
	jsonw_obj_close(&w);
	response_json(c->res, status, &body);
}

void
node_error(struct ctx *c, enum oauth_err e, const char *detail)
{
	const struct oauth_err_info *info = oauth_err_info(e);
	const char *msg = detail;

	if (e == OE_NOT_FOUND) {
		response_text(c->res, 404, "text/plain; charset=utf-8",
		    "Not Found\n");
		return;
	}
	if (e == OE_SERVER)
		response_header(c->res, "Retry-After", "5");
	if (msg == NULL) {
		switch (e) {
		case OE_TOO_LARGE:
			msg = "request body too large";
			break;
		case OE_METHOD:
			msg = "method not allowed";
			break;
		case OE_SERVER:
			msg = "service unavailable, try again later";
			break;
		case OE_BAD_CREDENTIALS:
			msg = "invalid username or password";
			break;
		case OE_THROTTLED:
			msg = "too many failed login attempts";
			break;
		case OE_CLIENT_THROTTLED:
			msg = "too many failed client authentications";
			break;
		case OE_INVALID_CLIENT:
			msg = "invalid client";
			break;
		case OE_INVALID_GRANT:
			msg = "invalid grant";
			break;
		case OE_UNAUTHORIZED_CLIENT:
			msg = "the client may not use this grant type";
			break;
		case OE_INVALID_SCOPE:
			msg = "invalid scope";
			break;
		case OE_UNSUPPORTED_GRANT:
			msg = "unsupported grant_type";
			break;
		default:
			msg = "invalid request";
			break;
		}
	}
	failed(c, info->http, msg);
}

static void
succeeded(struct ctx *c, const char *message)
{
	struct buf body = BUF_INIT;
	struct jsonw w;

	jsonw_init(&w, &body, JSONW_COMPACT);
	jsonw_obj_open(&w);
	jsonw_kstr(&w, "status", "SUCCESS");
	jsonw_kstr(&w, "message", message);
	jsonw_obj_close(&w);
	response_json(c->res, 200, &body);
}

/* A body parameter that must be a string (JSON or form): -1 otherwise. */
static int
str_param(struct ctx *c, const char *name, const char **out, int arrays)
{
	const struct param *p, *found = NULL;

	/*
	 * The body only (JSON or form, SPEC B/N): a password in the query
	 * string would end up in access logs.
	 */
	for (p = c->req->body_params; p != NULL; p = p->next)
		if (strcmp(p->name, name) == 0)
			found = p;
	p = found;

	*out = NULL;
	if (p == NULL)
		return 0;
	if (p->jtype != PJ_STRING && !(arrays && p->jtype == PJ_ARRAY))
		return -1;
	*out = p->value;
	return 0;
}

/* 1 when s has more than max characters (code points). */
static int
too_long(const char *s, size_t max)
{
	return utf8_count(s, strlen(s)) > max;
}

/* May this request register things? 0, or -1 with the answer given. */
static int
registration_open(struct ctx *c)
{
	struct db_token t;
	struct db_user u;
	enum oauth_err e;

	switch (cfg.registration) {
	case REGISTRATION_OPEN:
		return 0;
	case REGISTRATION_TOKEN:
		e = token_check(dialect_bearer(c), c->now, &t);
		/* SPEC 14: a third party's token is no admin's, whoever's. */
		if (e == OE_OK && !token_first_party(&t))
			e = OE_INVALID_TOKEN;
		if (e == OE_OK && t.user_id != 0)
			e = user_get(t.user_id, &u);
		if (e == OE_SERVER) {
			node_error(c, OE_SERVER, NULL);
			return -1;
		}
		if (e == OE_OK && t.user_id != 0 && u.level >= cfg.admin_level)
			return 0;
		response_header(c->res, "WWW-Authenticate",
		    "Bearer realm=\"oauth\"");
		failed(c, 401,
		    "registration requires an administrator's "
		    "bearer token");
		return -1;
	case REGISTRATION_OFF:
	default:
		failed(c, 403, "registration is disabled on this server");
		return -1;
	}
}

void
node_register_client(struct ctx *c)
{
	const char *id, *secret, *uri, *grants, *scope, *why, *p;
	char unused[SECRET_HEX_LEN + 1];
	struct db_client cl;
	enum oauth_err e;
	size_t n;

	if (registration_open(c) == -1)
		return;
	if (str_param(c, "client_id", &id, 0) == -1 ||
	    str_param(c, "client_secret", &secret, 0) == -1 ||
	    str_param(c, "redirect_uri", &uri, 0) == -1 ||
	    str_param(c, "grants", &grants, 1) == -1 ||
	    str_param(c, "scope", &scope, 1) == -1) {
		failed(c, 400,
		    "client_id, client_secret, redirect_uri and "
		    "scope must be strings; grants a string or an array");
		return;
	}
	if (id == NULL || secret == NULL || uri == NULL || *id == '\0' ||
	    *secret == '\0' || *uri == '\0') {
		failed(c, 400,
		    "client_id, client_secret and redirect_uri are "
		    "required");
		return;
	}
	memset(&cl, 0, sizeof(cl));
	/* Refuse what does not fit rather than store it cut. */
	if (too_long(id, 191)) {
		failed(c, 400, "client_id must be 1 to 191 characters");
		return;
	}
	snprintf(cl.client_id, sizeof(cl.client_id), "%s", id);
	snprintf(cl.name, sizeof(cl.name), "%s", id);
	if (strchr(uri, '\n') != NULL || strchr(uri, '\r') != NULL) {
		failed(c, 400, "redirect_uri must be one URI");
		return;
	}
	/* The authorization endpoint never redirects to a longer one. */
	if (strlen(uri) > 2000) {
		failed(c, 400, "redirect_uri must be at most 2000 characters");
		return;
	}
	snprintf(cl.redirect_uris, sizeof(cl.redirect_uris), "%s", uri);
	/* SPEC 12b: default authorization_code refresh_token. */
	grants = dialect_scope_spaces(c,
	    grants && *grants ? grants : "authorization_code refresh_token");
	for (p = grants; *p != '\0';) {
		while (*p == ' ')
			p++;
		n = strcspn(p, " ");
		if (n == 0)
			break;
		if (grant_parse(p, n) == -1 ||
		    grant_parse(p, n) == GRANT_IMPLICIT) {
			failed(c, 400,
			    "grants may hold authorization_code, "
			    "refresh_token, client_credentials, password");
			return;
		}
		p += n;
	}
	if (strlen(grants) >= sizeof(cl.grants)) {
		failed(c, 400, "too many grants");
		return;
	}
	snprintf(cl.grants, sizeof(cl.grants), "%s", grants);
	scope = dialect_scope_spaces(c, scope ? scope : "");
	if (strlen(scope) >= sizeof(cl.scopes)) {
		failed(c, 400, "scope is too long");
		return;
	}
	if (!scope_subset(scope, SCOPE_SELF_SERVICE)) {
		failed(c, 400,
		    "scope may hold only username, email, firstname, "
		    "lastname, phone, openid and profile");
		return;
	}
	snprintf(cl.scopes, sizeof(cl.scopes), "%s", scope);
	e = client_create(&cl, 0, secret, unused, c->now, &why);
	switch (e) {
	case OE_OK:
		succeeded(c, "register client successfully");
		return;
	case OE_CONFLICT:
		failed(c, 409, "client_id already registered");
		return;
	case OE_BAD_INPUT:
		failed(c, 400, why);
		return;
	default:
		node_error(c, OE_SERVER, NULL);
		return;
	}
}

void
node_register_user(struct ctx *c)
{
	static const char *const names[] = { "firstname", "lastname",
		"username", "phone", "email", "password" };
	const char *v[ARRAY_SIZE(names)], *why;
	struct db_user u;
	enum oauth_err e;
	size_t i;

	if (registration_open(c) == -1)
		return;
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		if (str_param(c, names[i], &v[i], 0) == -1) {
			failed(c, 400,
			    arena_printf(c->req->arena,
				"%s must be "
				"a string",
				names[i]));
			return;
		}
	}
	if (v[2] == NULL || *v[2] == '\0' || v[5] == NULL || *v[5] == '\0') {
		failed(c, 400, "username and password are required");
		return;
	}
	for (i = 0; i < ARRAY_SIZE(names) - 1; i++) {
		static const size_t max[] = { 100, 100, 191, 32, 191 };

		if (v[i] != NULL && too_long(v[i], max[i])) {
			failed(c, 400,
			    arena_printf(c->req->arena,
				"%s must be "
				"at most %zu characters",
				names[i], max[i]));
			return;
		}
	}
	memset(&u, 0, sizeof(u));
	snprintf(u.first, sizeof(u.first), "%s", v[0] ? v[0] : "");
	snprintf(u.last, sizeof(u.last), "%s", v[1] ? v[1] : "");
	snprintf(u.username, sizeof(u.username), "%s", v[2]);
	snprintf(u.phone, sizeof(u.phone), "%s", v[3] ? v[3] : "");
	snprintf(u.email, sizeof(u.email), "%s", v[4] ? v[4] : "");
	e = user_create(&u, v[5], strlen(v[5]), c->req->remote_addr, c->now,
	    &why);
	switch (e) {
	case OE_OK:
		succeeded(c, "register user successfully");
		return;
	case OE_CONFLICT:
		failed(c, 409, "username, phone or email already registered");
		return;
	case OE_BAD_INPUT:
		failed(c, 400, why);
		return;
	default:
		node_error(c, OE_SERVER, NULL);
		return;
	}
}

void
node_authorize(struct ctx *c)
{
	web_authorize(c, DIALECT_NODE);
}

void
node_token(struct ctx *c)
{
	struct token_params p;
	struct login_result lr;
	struct grant_result r;
	struct db_client cl;
	struct buf body = BUF_INIT;
	struct jsonw w;
	const char *what;
	enum oauth_err e;
	int basic, g;

	memset(&p, 0, sizeof(p));
	if (request_has_duplicates(c->req) ||
	    str_param(c, "grant_type", &p.grant_type, 0) == -1 ||
	    str_param(c, "client_id", &p.client_id, 0) == -1 ||
	    str_param(c, "client_secret", &p.client_secret, 0) == -1 ||
	    str_param(c, "code", &p.code, 0) == -1 ||
	    str_param(c, "redirect_uri", &p.redirect_uri, 0) == -1 ||
	    str_param(c, "refresh_token", &p.refresh_token, 0) == -1 ||
	    str_param(c, "code_verifier", &p.code_verifier, 0) == -1 ||
	    str_param(c, "scope", &p.scope, 0) == -1) {
		failed(c, 400, "a parameter is repeated or not a string");
		return;
	}
	p.scope = dialect_scope_spaces(c, p.scope);
	/* Seed 001 speaks three grants. */
	g = p.grant_type ? grant_parse(p.grant_type, strlen(p.grant_type)) : -1;
	if (p.grant_type == NULL || *p.grant_type == '\0') {
		failed(c, 400, "grant_type is required");
		return;
	}
	if (g != GRANT_AUTHORIZATION_CODE && g != GRANT_REFRESH_TOKEN &&
	    g != GRANT_CLIENT_CREDENTIALS) {
		failed(c, 400, "unsupported grant_type");
		return;
	}
	e = dialect_client(c, p.client_id, p.client_secret,
	    g != GRANT_CLIENT_CREDENTIALS, &cl, &basic);
	if (e == OE_OK)
		e = dialect_grant(c, &cl, &p, DIALECT_NODE, &r, &lr, &what);
	else
		what = NULL;
	if (e != OE_OK) {
		if (e == OE_INVALID_CLIENT && basic)
			response_header(c->res, "WWW-Authenticate",
			    "Basic realm=\"oauth\"");
		if (e == OE_CLIENT_THROTTLED)
			dialect_client_retry_after(c, &cl);
		node_error(c, e, what);
		return;
	}
	response_no_store(c->res);
	jsonw_init(&w, &body, JSONW_COMPACT);
	jsonw_obj_open(&w);
	jsonw_kstr(&w, "status", "SUCCESS");
	jsonw_kstr(&w, "access_token", r.tok.access);
	if (r.tok.refresh[0] != '\0')
		jsonw_kstr(&w, "refresh_token", r.tok.refresh);
	jsonw_obj_close(&w);
	response_json(c->res, 200, &body);
}

/* Scopes may be separated by spaces or commas (SPEC N). */
static int
has_scope(struct ctx *c, const char *scope, const char *one)
{
	return scope_has(dialect_scope_spaces(c, scope), one);
}

void
node_api(struct ctx *c)
{
	const char *token = dialect_bearer(c);
	struct db_token t;
	struct db_user u;
	struct buf body = BUF_INIT;
	struct jsonw w;
	enum oauth_err e;

	if (token == NULL) {
		response_header(c->res, "WWW-Authenticate",
		    "Bearer realm=\"oauth\"");
		failed(c, 401, "an access token is required");
		return;
	}
	e = token_check(token, c->now, &t);
	if (e == OE_OK && t.user_id == 0) {
		failed(c, 403, "the token belongs to no user");
		return;
	}
	if (e == OE_OK)
		e = user_get(t.user_id, &u);
	if (e == OE_SERVER) {
		node_error(c, OE_SERVER, NULL);
		return;
	}
	if (e != OE_OK) {
		response_header(c->res, "WWW-Authenticate",
		    "Bearer realm=\"oauth\", error=\"invalid_token\"");
		failed(c, 401, "invalid or expired access token");
		return;
	}
	response_no_store(c->res);
	jsonw_init(&w, &body, JSONW_COMPACT);
	jsonw_obj_open(&w);
	jsonw_kstr(&w, "status", "SUCCESS");
	jsonw_key(&w, "data");
	jsonw_obj_open(&w);
	if (has_scope(c, t.scope, "username"))
		jsonw_kstr(&w, "username", u.username);
	if (has_scope(c, t.scope, "email") && u.has_email)
		jsonw_kstr(&w, "email", u.email);
	if (has_scope(c, t.scope, "firstname"))
		jsonw_kstr(&w, "firstname", u.first);
	if (has_scope(c, t.scope, "lastname"))
		jsonw_kstr(&w, "lastname", u.last);
	if (has_scope(c, t.scope, "phone") && u.has_phone)
		jsonw_kstr(&w, "phone", u.phone);
	jsonw_obj_close(&w);
	jsonw_obj_close(&w);
	response_json(c->res, 200, &body);
}

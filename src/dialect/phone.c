/*
 * phone.c - the telephony API's OAuth, mounted at /v4 (SPEC section P;
 * seed 004). Errors are in the RFC 6749 shape; the token request takes its
 * parameters from a JSON body, a form body or the query string ("now
 * accepts requests in query string format as well as JSON body format").
 */
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "config.h"
#include "core/token.h"
#include "dialect.h"
#include "jsonw.h"
#include "request.h"
#include "response.h"
#include "web/web.h"

/* Any parameter from body or query; -1 when a JSON value isn't a string. */
static int
param(struct ctx *c, const char *name, const char **out)
{
	const struct param *p = request_param(c->req, name);

	*out = NULL;
	if (p == NULL)
		return 0;
	if (p->jtype != PJ_STRING)
		return -1;
	*out = p->value;
	return 0;
}

void
phone_access_token(struct ctx *c)
{
	struct token_params p;
	struct login_result lr;
	struct grant_result r;
	struct db_client cl;
	struct buf body = BUF_INIT;
	struct jsonw w;
	const char *what = NULL;
	enum oauth_err e;
	int basic = 0, g;

	memset(&p, 0, sizeof(p));
	if (request_has_duplicates(c->req) ||
	    param(c, "grant_type", &p.grant_type) == -1 ||
	    param(c, "client_id", &p.client_id) == -1 ||
	    param(c, "client_secret", &p.client_secret) == -1 ||
	    param(c, "code", &p.code) == -1 ||
	    param(c, "redirect_uri", &p.redirect_uri) == -1 ||
	    param(c, "scope", &p.scope) == -1 ||
	    param(c, "username", &p.username) == -1 ||
	    param(c, "password", &p.password) == -1 ||
	    param(c, "refresh_token", &p.refresh_token) == -1 ||
	    param(c, "code_verifier", &p.code_verifier) == -1) {
		oauth2_error(c, OE_INVALID_REQUEST,
		    "a parameter is repeated "
		    "or not a string");
		return;
	}
	g = p.grant_type ? grant_parse(p.grant_type, strlen(p.grant_type)) : -1;
	if (p.grant_type == NULL || *p.grant_type == '\0') {
		oauth2_error(c, OE_INVALID_REQUEST, "grant_type is required");
		return;
	}
	if (g == -1 || g == GRANT_IMPLICIT) {
		oauth2_error(c, OE_UNSUPPORTED_GRANT, "unsupported grant_type");
		return;
	}
	e = dialect_client(c, p.client_id, p.client_secret,
	    g != GRANT_CLIENT_CREDENTIALS, &cl, &basic);
	if (e == OE_OK)
		e = dialect_grant(c, &cl, &p, DIALECT_PHONE, &r, &lr, &what);
	if (e != OE_OK) {
		if (e == OE_INVALID_CLIENT && basic)
			response_header(c->res, "WWW-Authenticate",
			    "Basic realm=\"oauth\"");
		if (e == OE_THROTTLED)
			response_header(c->res, "Retry-After", "%lld",
			    lr.retry_after);
		if (e == OE_CLIENT_THROTTLED) {
			/* SPEC 14: 429 invalid_client, like dialect R. */
			dialect_client_retry_after(c, &cl);
			what = "too many failed client authentications";
		}
		oauth2_error(c, e, what);
		return;
	}
	response_no_store(c->res);
	jsonw_init(&w, &body, JSONW_COMPACT);
	jsonw_obj_open(&w);
	jsonw_kstr(&w, "access_token", r.tok.access);
	jsonw_kstr(&w, "token_type", "Bearer");
	jsonw_kstr(&w, "scope", r.scope);
	if (r.tok.refresh[0] != '\0')
		jsonw_kstr(&w, "refresh_token", r.tok.refresh);
	jsonw_kint(&w, "expires_in", r.expires_in);
	jsonw_obj_close(&w);
	response_json(c->res, 200, &body);
}

void
phone_token_details(struct ctx *c)
{
	const char *token = dialect_bearer(c);
	struct db_token t;
	struct buf body = BUF_INIT;
	struct jsonw w;
	enum oauth_err e;

	if (token == NULL) {
		response_header(c->res, "WWW-Authenticate",
		    "Bearer realm=\"oauth\"");
		oauth2_error(c, OE_INVALID_REQUEST,
		    "an access token is "
		    "required");
		c->res->status = 401;
		return;
	}
	e = token_check(token, c->now, &t);
	if (e == OE_SERVER) {
		oauth2_error(c, e, NULL);
		return;
	}
	if (e != OE_OK) {
		response_header(c->res, "WWW-Authenticate",
		    "Bearer realm=\"oauth\", error=\"invalid_token\"");
		oauth2_error(c, OE_INVALID_TOKEN,
		    "the access token is "
		    "invalid, expired or revoked");
		return;
	}
	response_no_store(c->res);
	jsonw_init(&w, &body, JSONW_COMPACT);
	jsonw_obj_open(&w);
	jsonw_kstr(&w, "scope", t.scope);
	jsonw_kint(&w, "expires_at", t.expires_at);
	jsonw_key(&w, "scope_details");
	jsonw_arr_open(&w);
	if (t.user_id != 0) {
		/* SPEC 12b: both ids are the user's id. */
		jsonw_obj_open(&w);
		jsonw_kint(&w, "extension_id", (long long)t.user_id);
		if (scope_has(t.scope, "account-owner"))
			jsonw_kint(&w, "voip_id", (long long)t.user_id);
		jsonw_obj_close(&w);
	}
	jsonw_arr_close(&w);
	jsonw_obj_close(&w);
	response_json(c->res, 200, &body);
}

void
phone_authorization(struct ctx *c)
{
	web_authorize(c, DIALECT_PHONE);
}

/* One path, two operations: POST creates a token, GET describes one. */
void
phone_token(struct ctx *c)
{
	if (c->req->method == METHOD_POST)
		phone_access_token(c);
	else
		phone_token_details(c);
}

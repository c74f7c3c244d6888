/*
 * chat.c - the chat app's token API (SPEC section B; seed 000).
 *
 * Every error has the same five keys (message, display_message, status,
 * error, causes); a wrong method is a bare 405 text/html, as the original
 * framework answered it.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "config.h"
#include "common.h"
#include "core/token.h"
#include "core/user.h"
#include "dialect.h"
#include "jsonw.h"
#include "request.h"
#include "response.h"

static void
five_keys(struct ctx *c, int status, const char *error, const char *message)
{
	struct buf body = BUF_INIT;
	struct jsonw w;

	jsonw_init(&w, &body, JSONW_COMPACT);
	jsonw_obj_open(&w);
	jsonw_kstr(&w, "message", message);
	jsonw_kstr(&w, "display_message", message);
	jsonw_kint(&w, "status", status);
	jsonw_kstr(&w, "error", error);
	jsonw_knull(&w, "causes");
	jsonw_obj_close(&w);
	response_json(c->res, status, &body);
}

void
chat_error(struct ctx *c, enum oauth_err e, const char *detail)
{
	switch (e) {
	case OE_METHOD:
		/* Seed 000: 405 text/html;charset=utf-8, no body. */
		c->res->status = 405;
		c->res->content_type = "text/html;charset=utf-8";
		buf_reset(&c->res->body);
		return;
	case OE_NOT_FOUND:
	case OE_NO_OBJECT:
		five_keys(c, 404, "not_found", detail ? detail : "Not found");
		return;
	case OE_TOO_LARGE:
		five_keys(c, 413, "payload_too_large",
		    "Request body too large");
		return;
	case OE_BAD_INPUT:
	case OE_INVALID_REQUEST:
	case OE_MISSING_PARAM:
	case OE_UNSUPPORTED_GRANT:
		five_keys(c, 400, "bad_request",
		    detail ? detail : "Malformed request");
		return;
	case OE_THROTTLED:
		five_keys(c, 429, "too_many_requests",
		    "Too many failed login "
		    "attempts. Please try again later.");
		return;
	case OE_SERVER:
		response_header(c->res, "Retry-After", "5");
		five_keys(c, 503, "service_unavailable",
		    "Service unavailable. "
		    "Please try again later.");
		return;
	case OE_BAD_CREDENTIALS:
		/* One answer for an unknown number and a wrong password. */
		five_keys(c, 401, "unauthorized", "Wrong password");
		return;
	default:
		five_keys(c, 401, "unauthorized",
		    detail ? detail : "Invalid or expired token");
		return;
	}
}

/* A string parameter of the body (JSON or form): -1 for another type. */
static int
str_param(struct ctx *c, const char *name, const char **out)
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
	if (p->jtype != PJ_STRING)
		return -1;
	*out = p->value;
	return 0;
}

/* 2024-01-15T10:16:24.084Z, as the chat app's server printed it. */
static const char *
iso_ms(struct ctx *c, long long ms)
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;
	char buf[32];

	gmtime_r(&secs, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	return arena_printf(c->req->arena, "%s.%03lldZ", buf, ms % 1000);
}

void
chat_access_token(struct ctx *c)
{
	const char *grant, *phone, *pw;
	struct login_result lr;
	struct issue_req ir;
	struct issued out;
	struct buf body = BUF_INIT;
	struct jsonw w;
	enum oauth_err e;

	if (c->req->body_kind == BODY_OTHER) {
		chat_error(c, OE_BAD_INPUT, "Send a JSON or form body");
		return;
	}
	if (str_param(c, "grant_type", &grant) == -1 ||
	    str_param(c, "phone_number", &phone) == -1 ||
	    str_param(c, "password", &pw) == -1) {
		chat_error(c, OE_BAD_INPUT,
		    "grant_type, phone_number and "
		    "password must be strings");
		return;
	}
	if (grant == NULL || phone == NULL || pw == NULL || *grant == '\0' ||
	    *phone == '\0' || *pw == '\0') {
		chat_error(c, OE_MISSING_PARAM,
		    "grant_type, phone_number and "
		    "password are required");
		return;
	}
	if (strcmp(grant, "password") != 0) {
		chat_error(c, OE_UNSUPPORTED_GRANT, "Unsupported grant_type");
		return;
	}
	e = user_login(phone, pw, strlen(pw), c->req->remote_addr, LOGIN_PHONE,
	    c->now, &lr);
	if (e == OE_THROTTLED)
		response_header(c->res, "Retry-After", "%lld", lr.retry_after);
	if (e != OE_OK) {
		chat_error(c, e, NULL);
		return;
	}
	memset(&ir, 0, sizeof(ir));
	ir.user_id = lr.user.id;
	ir.device_info = dialect_device(c);
	ir.scope = SCOPE_ALL_USER;
	ir.access_ttl = cfg.chat_token_ttl;
	ir.refresh_ttl = cfg.refresh_token_ttl;
	ir.dialect = DIALECT_CHAT;
	if (token_issue_session(&ir, c->now, &out) != OE_OK) {
		chat_error(c, OE_SERVER, NULL);
		return;
	}
	response_no_store(c->res);
	jsonw_init(&w, &body, JSONW_COMPACT);
	jsonw_obj_open(&w);
	jsonw_kstr(&w, "message", "Token created successfully");
	jsonw_kint(&w, "status", 201);
	jsonw_key(&w, "result");
	jsonw_obj_open(&w);
	jsonw_kstr(&w, "access_token", out.access);
	jsonw_kstr(&w, "refresh_token", out.refresh);
	jsonw_kstr(&w, "token_type", "Bearer");
	jsonw_kint(&w, "expires_in", cfg.chat_token_ttl);
	jsonw_kint(&w, "user_id", (long long)lr.user.id);
	jsonw_kstr(&w, "date_created", iso_ms(c, out.created_ms));
	jsonw_obj_close(&w);
	jsonw_obj_close(&w);
	response_json(c->res, 201, &body);
}

void
chat_verify_token(struct ctx *c)
{
	const char *token = dialect_bearer(c);
	unsigned long long uid;
	struct db_token t;
	struct buf body = BUF_INIT;
	struct jsonw w;
	enum oauth_err e;

	/* SPEC 12b: a user_id that is not a number is a 404. */
	if (c->arg == NULL || parse_ull(c->arg, ~0ULL, &uid) == -1 ||
	    uid == 0) {
		chat_error(c, OE_NOT_FOUND, "User not found");
		return;
	}
	if (token == NULL) {
		chat_error(c, OE_NO_TOKEN, "Missing bearer token");
		return;
	}
	e = token_check(token, c->now, &t);
	if (e == OE_SERVER) {
		chat_error(c, e, NULL);
		return;
	}
	/* Someone else's live token is as invalid here as an unknown one. */
	if (e != OE_OK || t.user_id != uid) {
		chat_error(c, OE_INVALID_TOKEN, "Invalid or expired token");
		return;
	}
	response_no_store(c->res);
	jsonw_init(&w, &body, JSONW_COMPACT);
	jsonw_obj_open(&w);
	jsonw_key(&w, "result");
	jsonw_obj_open(&w);
	jsonw_kstr(&w, "access_token", token);
	jsonw_kint(&w, "user_id", (long long)uid);
	jsonw_kstr(&w, "date_created", iso_ms(c, t.created_ms));
	jsonw_obj_close(&w);
	jsonw_kint(&w, "status", 200);
	jsonw_obj_close(&w);
	response_json(c->res, 200, &body);
}

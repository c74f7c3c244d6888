/*
 * legacy.c - the legacy PHP/XAMPP API, POST /v1/oauth/ (SPEC section L;
 * seed 002).
 *
 * What the old code did is the contract: errors keep HTTP 200 (old clients
 * read "success", not the status), the JSON is PHP's JSON_PRETTY_PRINT
 * byte for byte with no trailing newline, and the debug object exists only
 * in the development build.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "config.h"
#include "common.h"
#include "dialect.h"
#include "jsonw.h"
#include "request.h"
#include "response.h"
#include "core/session.h"
#include "core/token.h"
#include "core/user.h"
#include "utf8.h"

#define DEVICE_INFO_MAX 200 /* characters (SPEC 12b) */

/* The debug object's entries, in the order the old code wrote them. */
struct ldebug {
	const char *mysql;
	const char *username;
	const char *password;
};

static int
debug_on(struct ctx *c)
{
#ifdef OAUTH_DEV
	/* The old API's "Development branch" only: debug=1 exactly. */
	const char *v = request_value(c->req, "debug");

	return v != NULL && strcmp(v, "1") == 0;
#else
	(void)c;
	return 0; /* a production build has no debug output path */
#endif
}

static void
fail(struct ctx *c, enum oauth_err e, const char *message,
    const struct ldebug *dbg)
{
	const struct oauth_err_info *info = oauth_err_info(e);
	struct buf body = BUF_INIT;
	struct jsonw w;
	char code[16];

	snprintf(code, sizeof(code), "%d", info->legacy_code);
	jsonw_init(&w, &body, JSONW_PHP_PRETTY);
	jsonw_obj_open(&w);
	jsonw_kbool(&w, "success", 0);
	jsonw_key(&w, "errors");
	jsonw_obj_open(&w);
	jsonw_kstr(&w, "message", message ? message : info->legacy_msg);
	jsonw_kstr(&w, "type", info->legacy_type);
	jsonw_kstr(&w, "code", code);
	jsonw_obj_close(&w);
	if (dbg != NULL && debug_on(c) &&
	    (dbg->mysql || dbg->username || dbg->password)) {
		jsonw_key(&w, "debug");
		jsonw_obj_open(&w);
		if (dbg->mysql)
			jsonw_kstr(&w, "mysql", dbg->mysql);
		if (dbg->username)
			jsonw_kstr(&w, "username", dbg->username);
		if (dbg->password)
			jsonw_kstr(&w, "password", dbg->password);
		jsonw_obj_close(&w);
	}
	jsonw_obj_close(&w);
	response_json(c->res, info->legacy_http, &body);
}

void
legacy_error(struct ctx *c, enum oauth_err e, const char *detail)
{
	const char *msg = NULL;

	if (e == OE_NOT_FOUND)
		msg = arena_printf(c->req->arena, "Unknown path components: %s",
		    detail ? detail : "");
	else if (e == OE_NO_OBJECT)
		msg = arena_printf(c->req->arena,
		    "Unsupported get request. "
		    "Object with ID '%s' does not exist. Please check "
		    "documentation for more information.",
		    detail ? detail : "");
	if (e == OE_THROTTLED && detail != NULL)
		response_header(c->res, "Retry-After", "%s", detail);
	fail(c, e, msg, NULL);
}

/*
 * The debug texts are compiled into the DEV build only (SPEC section 14):
 * a production binary carries no trace of them, not just no path to them.
 */
static void
db_fail(struct ctx *c, int write, const char *error)
{
	struct ldebug dbg = { NULL, NULL, NULL };

#ifdef OAUTH_DEV
	dbg.mysql = arena_printf(c->req->arena,
	    "Could not %s data %s "
	    "database. Error message: %s",
	    write ? "insert" : "retrieve", write ? "into" : "from", error);
#else
	(void)write;
	(void)error;
#endif
	fail(c, OE_SERVER, NULL, &dbg);
}

/*
 * device-info: the field if present, even empty; else the User-Agent cut
 * to 200 characters at a character boundary (invalid bytes become U+FFFD);
 * else "Unknown" (SPEC L, 12b). NULL when the field is over the limit.
 */
static const char *
device_info(struct ctx *c)
{
	const struct param *p = request_param(c->req, "device-info");
	const char *ua = c->req->user_agent;
	size_t n;
	char *s;

	if (p != NULL)
		return utf8_count(p->value, p->len) <= DEVICE_INFO_MAX ?
		    p->value :
		    NULL;
	if (ua == NULL)
		return "Unknown";
	s = utf8_sanitize(c->req->arena, ua, strlen(ua), &n);
	s[utf8_prefix(s, n, DEVICE_INFO_MAX)] = '\0';
	return s;
}

void
legacy_login(struct ctx *c)
{
	struct request *req = c->req;
	struct ldebug dbg = { NULL, NULL, NULL };
	struct login_result lr;
	struct issue_req ir;
	struct issued out;
	const struct param *user, *pw;
	const char *device;
	struct buf body = BUF_INIT;
	struct jsonw w;
	enum oauth_err e;

	/* The old code read $_POST: a GET or a JSON body has no fields. */
	user = request_param(req, "username");
	pw = request_param(req, "password");
	if (req->method != METHOD_POST || req->body_kind == BODY_JSON ||
	    user == NULL || pw == NULL) {
		fail(c, OE_MISSING_PARAM, NULL, NULL);
		return;
	}
	if ((device = device_info(c)) == NULL) {
		fail(c, OE_BAD_INPUT, NULL, NULL);
		return;
	}
	e = user_login(user->value, pw->value, pw->len, req->remote_addr,
	    LOGIN_USERNAME, c->now, &lr);
	switch (e) {
	case OE_OK:
		break;
	case OE_THROTTLED:
		response_header(c->res, "Retry-After", "%lld", lr.retry_after);
		fail(c, e, NULL, NULL);
		return;
	case OE_BAD_CREDENTIALS:
		/* One answer for both; only DEV debug output tells them apart. */
#ifdef OAUTH_DEV
		if (lr.unknown_user)
			dbg.username = arena_printf(req->arena,
			    "Username %s does not exist.", user->value);
		else
			dbg.password = "Incorrect password.";
#endif
		fail(c, e, NULL, &dbg);
		return;
	default:
		db_fail(c, lr.db_write, lr.db_error);
		return;
	}
	memset(&ir, 0, sizeof(ir));
	ir.user_id = lr.user.id;
	ir.device_info = device;
	ir.scope = SCOPE_ALL_USER;
	ir.access_ttl = cfg.legacy_token_ttl;
	ir.dialect = DIALECT_LEGACY;
	if (token_issue_session(&ir, c->now, &out) != OE_OK) {
		db_fail(c, 1, db_error());
		return;
	}
	response_no_store(c->res);
	jsonw_init(&w, &body, JSONW_PHP_PRETTY);
	jsonw_obj_open(&w);
	jsonw_kbool(&w, "success", 1);
	jsonw_key(&w, "data");
	jsonw_obj_open(&w);
	jsonw_kstr(&w, "access_token", out.access);
	jsonw_kint(&w, "expiry", out.expires_at);
	jsonw_obj_close(&w);
	jsonw_obj_close(&w);
	response_json(c->res, 200, &body);
}

/* The caller's live token: 0, or -1 with the error answered. */
static int
authenticate(struct ctx *c, struct db_token *t)
{
	/*
	 * "Authorization: Token <t>" as the old validator read it ("token"
	 * too), or "Bearer <t>".
	 */
	const char *token = dialect_auth_token(c, "Token");
	enum oauth_err e;

	if (token == NULL) {
		fail(c, OE_NO_TOKEN, NULL, NULL);
		return -1;
	}
	e = token_check(token, c->now, t);
	if (e == OE_SERVER) {
		db_fail(c, 0, db_error());
		return -1;
	}
	/*
	 * A client's own token (no user) has no device sessions, and a third
	 * party's token may not manage them: only a first-party token (no
	 * client) or one with the scope `sessions` may (SPEC 14). The answer
	 * is that of an invalid token, so nothing is told apart.
	 */
	if (e != OE_OK || t->user_id == 0 || !token_first_party(t)) {
		fail(c, OE_INVALID_TOKEN, NULL, NULL);
		return -1;
	}
	return 0;
}

struct list_ctx {
	struct jsonw *w;
	unsigned long long current;
};

static int
list_one(const struct db_session *s, void *arg)
{
	struct list_ctx *l = arg;
	struct jsonw *w = l->w;

	jsonw_obj_open(w);
	jsonw_kint(w, "session_id", (long long)s->id);
	jsonw_kstr(w, "device_info", s->device_info);
	jsonw_kint(w, "created", s->created_at);
	jsonw_kint(w, "last_access", s->last_access);
	jsonw_kint(w, "expiry", s->expiry);
	jsonw_kbool(w, "current", s->id == l->current);
	jsonw_obj_close(w);
	return 0;
}

void
legacy_sessions(struct ctx *c)
{
	struct db_token t;
	struct buf body = BUF_INIT;
	struct jsonw w;
	struct list_ctx l;

	if (authenticate(c, &t) == -1)
		return;
	jsonw_init(&w, &body, JSONW_PHP_PRETTY);
	jsonw_obj_open(&w);
	jsonw_kbool(&w, "success", 1);
	jsonw_key(&w, "data");
	jsonw_arr_open(&w);
	l.w = &w;
	l.current = t.session_id;
	if (session_list(t.user_id, c->now, list_one, &l) != OE_OK) {
		buf_free(&body);
		db_fail(c, 0, db_error());
		return;
	}
	jsonw_arr_close(&w);
	jsonw_obj_close(&w);
	response_no_store(c->res);
	response_json(c->res, 200, &body);
}

void
legacy_revoke(struct ctx *c)
{
	const struct param *p = request_param(c->req, "session_id");
	unsigned long long id;
	struct db_token t;
	struct buf body = BUF_INIT;
	struct jsonw w;

	if (authenticate(c, &t) == -1)
		return;
	if (p == NULL) {
		id = t.session_id;
	} else if (parse_ull(p->value, ~0ULL, &id) == -1 || id == 0) {
		legacy_error(c, OE_NO_OBJECT, p->value);
		return;
	}
	switch (session_revoke(t.user_id, id, c->now)) {
	case OE_OK:
		break;
	case OE_NO_OBJECT:
		legacy_error(c, OE_NO_OBJECT, p ? p->value : "");
		return;
	default:
		db_fail(c, 1, db_error());
		return;
	}
	jsonw_init(&w, &body, JSONW_PHP_PRETTY);
	jsonw_obj_open(&w);
	jsonw_kbool(&w, "success", 1);
	jsonw_key(&w, "data");
	jsonw_obj_open(&w);
	jsonw_kint(&w, "session_id", (long long)id);
	jsonw_kbool(&w, "revoked", 1);
	jsonw_obj_close(&w);
	jsonw_obj_close(&w);
	response_json(c->res, 200, &body);
}

void
legacy_unknown(struct ctx *c)
{
	/* The path after /v1, with its leading slash, without the query. */
	legacy_error(c, OE_NOT_FOUND, c->req->path + 3);
}

/*
 * health.c - liveness and readiness (SPEC 12a), Apache's error documents,
 * and the plain error answer of paths no dialect owns.
 */
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "config.h"
#include "db.h"
#include "dialect.h"
#include "jsonw.h"
#include "request.h"
#include "response.h"
#include "util.h"

void
health_live(struct ctx *c)
{
	/* Liveness must not touch the database, nor the purge after it. */
	c->req->probe = 1;
	response_text(c->res, 200, "text/plain; charset=utf-8", "ok\n");
}

void
health_ready(struct ctx *c)
{
	/*
	 * One trivial query and nothing else: a load balancer asking every
	 * second must not set off the purge's deletes.
	 */
	c->req->probe = 1;
	if (db_ping() != DB_OK) {
		response_header(c->res, "Retry-After", "5");
		response_text(c->res, 503, "text/plain; charset=utf-8",
		    "database unavailable\n");
		return;
	}
	response_text(c->res, 200, "text/plain; charset=utf-8", "ready\n");
}

void
plain_error(struct ctx *c, enum oauth_err e, const char *detail)
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
	jsonw_init(&w, &body, JSONW_COMPACT);
	jsonw_obj_open(&w);
	jsonw_kstr(&w, "error", info->rfc);
	if (detail != NULL)
		jsonw_kstr(&w, "error_description", detail);
	jsonw_obj_close(&w);
	response_json(c->res, info->http, &body);
}

/*
 * Apache sends its own errors here (ErrorDocument 413 /__error/413, ...):
 * answer in the shape of the dialect the failed request was for, found from
 * REDIRECT_URL. Through a prefix mount (/visitor-management/v1/oauth/) the
 * URL carries the prefix: leading segments are dropped until a route
 * matches, but the legacy catch-all only counts for the whole URL or a
 * path that really starts with /v1/.
 */
void
health_error_document(struct ctx *c)
{
	const char *url = request_header(c->req, "REDIRECT_URL");
	const struct route *r = NULL;
	long long status = 500;
	const char *as, *p;
	size_t al;
	enum oauth_err e;

	if (c->arg != NULL)
		(void)parse_ll(c->arg, 400, 599, &status);
	e = status == 413 ? OE_TOO_LARGE :
	    status == 404 ? OE_NOT_FOUND :
	    status < 500  ? OE_BAD_INPUT :
			    OE_SERVER;
	for (p = url; p != NULL && *p == '/'; p = strchr(p + 1, '/')) {
		r = route_lookup(p, &as, &al);
		if (r != NULL &&
		    (r->dialect == DIALECT_NONE || !cfg.dialect_on[r->dialect]))
			r = NULL;
		if (r != NULL && strstr(r->pattern, "**") != NULL && p != url &&
		    strncmp(p, "/v1/", 4) != 0)
			r = NULL;
		if (r != NULL)
			break;
	}
	if (r == NULL) {
		plain_error(c, e, NULL);
		return;
	}
	c->route = r;
	route_error(r->dialect)(c, e, NULL);
}

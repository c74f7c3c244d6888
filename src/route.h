/*
 * route.h - the one route table and its dispatcher (STYLE habit 2).
 *
 * Each row names a path pattern, the dialect that owns it, the methods it
 * takes and whether the body is read first. route_dispatch() checks those
 * flags once, for every handler: a switched-off dialect answers 404 (in the
 * legacy shape under /v1, plainly elsewhere), an oversized or malformed
 * body or query string gets the dialect's bad-request error, a wrong method
 * the dialect's method error. A handler only ever sees a request that
 * passed those checks.
 *
 * Patterns: literal text; '*' matches one non-empty path segment (the
 * handler finds it in ctx->arg); a trailing slash-star-star matches
 * nothing, or a slash and any rest (the legacy catch-all takes /v1 and
 * /v1/x, not /v1x).
 */
#ifndef ROUTE_H
#define ROUTE_H

#include <stddef.h>

#include "core/error.h"

struct request;
struct response;

struct ctx {
	struct request *req;
	struct response *res;
	const struct route *route;
	const char *arg; /* what '*' matched, or NULL */
	long long now;   /* unix seconds, read once per request */
};

typedef void (*handler_fn)(struct ctx *c);
/* Write error e in the dialect's shape; detail may be NULL. */
typedef void (*error_fn)(struct ctx *c, enum oauth_err e, const char *detail);

#define RM_GET 0x01u /* HEAD is served as GET without a body */
#define RM_POST 0x02u
#define RM_ALL 0xffu    /* the handler answers every method itself */
#define RF_BODY 0x100u  /* read and parse the body before the handler */
#define RF_SLASH 0x200u /* also match with a trailing '/' added or removed */
#define RF_PAGE 0x400u  /* a page a person sees: front-line errors as HTML */

#define DIALECT_NONE (-1) /* health checks, error documents */

struct route {
	const char *pattern;
	int dialect; /* enum dialect, or DIALECT_NONE */
	unsigned flags;
	handler_fn fn;
};

/* Answer the request into res: never fails (errors are responses). */
void route_dispatch(struct request *req, struct response *res);
/*
 * The route for path (trailing-slash variants included), or NULL; *arg and
 * *arglen get what '*' matched (a pointer into path).
 */
const struct route *route_lookup(const char *path, const char **arg,
    size_t *arglen);
/* The error writer of a dialect (plain_error for DIALECT_NONE). */
error_fn route_error(int dialect);
/* The route table, for tests and the OpenAPI consistency check. */
const struct route *route_table(unsigned *n);
/* 1 when pattern matches path; *arg gets what '*' matched. */
int route_match(const char *pattern, const char *path, const char **arg_start,
    size_t *arg_len);

#endif

/* route.c - see route.h */
#include "route.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "config.h"
#include "dialect/dialect.h"
#include "request.h"
#include "response.h"
#include "util.h"
#include "web/web.h"

static const struct route routes[] = {
	{ "/healthz", DIALECT_NONE, RM_GET, health_live },
	{ "/readyz", DIALECT_NONE, RM_GET, health_ready },
	{ "/__error/*", DIALECT_NONE, RM_ALL, health_error_document },

	/* SPEC L. The old XAMPP host needed the slash; we take all three. */
	{ "/v1/oauth", DIALECT_LEGACY, RM_ALL | RF_BODY | RF_SLASH,
	    legacy_login },
	{ "/v1/oauth/index.php", DIALECT_LEGACY, RM_ALL | RF_BODY,
	    legacy_login },
	{ "/v1/oauth/sessions", DIALECT_LEGACY,
	    RM_GET | RM_POST | RF_BODY | RF_SLASH, legacy_sessions },
	{ "/v1/oauth/revoke", DIALECT_LEGACY, RM_POST | RF_BODY | RF_SLASH,
	    legacy_revoke },
	{ "/v1/**", DIALECT_LEGACY, RM_ALL, legacy_unknown },

	/* SPEC R */
	{ "/oauth/token", DIALECT_OAUTH2, RM_POST | RF_BODY, oauth2_token },
	{ "/oauth/authorize", DIALECT_OAUTH2,
	    RM_GET | RM_POST | RF_BODY | RF_PAGE, oauth2_authorize },
	{ "/oauth/introspect", DIALECT_OAUTH2, RM_POST | RF_BODY,
	    oauth2_introspect },
	{ "/oauth/revoke", DIALECT_OAUTH2, RM_POST | RF_BODY, oauth2_revoke },
	{ "/oauth/userinfo", DIALECT_OAUTH2, RM_GET | RM_POST | RF_BODY,
	    oauth2_userinfo },
	{ "/.well-known/oauth-authorization-server", DIALECT_OAUTH2, RM_GET,
	    oauth2_metadata },

	/* SPEC B */
	{ "/api/oauth/access-token/v1", DIALECT_CHAT,
	    RM_POST | RF_BODY | RF_SLASH, chat_access_token },
	{ "/api/oauth/*/verify-token/v1", DIALECT_CHAT,
	    RM_GET | RM_POST | RF_BODY | RF_SLASH, chat_verify_token },

	/* SPEC N */
	{ "/register_client", DIALECT_NODE, RM_POST | RF_BODY,
	    node_register_client },
	{ "/register_user", DIALECT_NODE, RM_POST | RF_BODY,
	    node_register_user },
	{ "/authorize", DIALECT_NODE, RM_GET | RM_POST | RF_BODY | RF_PAGE,
	    node_authorize },
	{ "/token", DIALECT_NODE, RM_POST | RF_BODY, node_token },
	{ "/api", DIALECT_NODE, RM_GET | RM_POST | RF_BODY, node_api },

	/* SPEC P, mounted at /v4 */
	{ "/v4/oauth/access-token", DIALECT_PHONE, RM_GET | RM_POST | RF_BODY,
	    phone_token },
	{ "/v4/oauth/authorization", DIALECT_PHONE,
	    RM_GET | RM_POST | RF_BODY | RF_PAGE, phone_authorization },

	{ "/account/devices", DIALECT_NONE,
	    RM_GET | RM_POST | RF_BODY | RF_PAGE, account_devices },
};

static const error_fn dialect_errors[DIALECT__MAX] = {
	[DIALECT_LEGACY] = legacy_error,
	[DIALECT_OAUTH2] = oauth2_error,
	[DIALECT_CHAT] = chat_error,
	[DIALECT_NODE] = node_error,
	[DIALECT_PHONE] = oauth2_error,
};

const struct route *
route_table(unsigned *n)
{
	*n = (unsigned)ARRAY_SIZE(routes);
	return routes;
}

int
route_match(const char *pattern, const char *path, const char **arg_start,
    size_t *arg_len)
{
	const char *p = pattern, *s = path;

	*arg_start = NULL;
	*arg_len = 0;
	while (*p != '\0') {
		/* A trailing slash-star-star: nothing, or "/" and more. */
		if (p[0] == '/' && p[1] == '*' && p[2] == '*')
			return *s == '\0' || *s == '/';
		if (p[0] == '*' && p[1] == '*')
			return 1;
		if (*p == '*') {
			size_t n = strcspn(s, "/");

			if (n == 0)
				return 0;
			*arg_start = s;
			*arg_len = n;
			s += n;
			p++;
			continue;
		}
		if (*p != *s)
			return 0;
		p++;
		s++;
	}
	return *s == '\0';
}

static int
match_route(const struct route *r, const char *path, const char **as,
    size_t *al)
{
	char shorter[512];
	size_t n;

	if (route_match(r->pattern, path, as, al))
		return 1;
	if (!(r->flags & RF_SLASH))
		return 0;
	/* "/v1/oauth/" against "/v1/oauth": match without the slash. */
	n = strlen(path);
	if (n < 2 || path[n - 1] != '/' || n > sizeof(shorter))
		return 0;
	memcpy(shorter, path, n - 1);
	shorter[n - 1] = '\0';
	if (!route_match(r->pattern, shorter, as, al))
		return 0;
	if (*as != NULL) /* point into the request's path, not our copy */
		*as = path + (*as - shorter);
	return 1;
}

const struct route *
route_lookup(const char *path, const char **arg, size_t *arglen)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(routes); i++)
		if (match_route(&routes[i], path, arg, arglen))
			return &routes[i];
	*arg = NULL;
	*arglen = 0;
	return NULL;
}

/* SPEC 9: a person never gets raw JSON or a blank screen. */
static void
page_error(struct ctx *c, enum oauth_err e, const char *detail)
{
	const struct oauth_err_info *info = oauth_err_info(e);

	(void)detail;
	switch (e) {
	case OE_TOO_LARGE:
		web_error_page(c, 413, "Request too large",
		    "The form sent "
		    "more data than this server accepts.");
		return;
	case OE_METHOD:
		web_error_page(c, 405, "Not allowed",
		    "This page cannot be "
		    "used that way. Go back and try again.");
		return;
	case OE_SERVER:
		web_error_page(c, 503, "Service unavailable",
		    "The service is "
		    "unavailable right now. Please try again in a moment.");
		return;
	default:
		web_error_page(c, info->http == 404 ? 404 : 400,
		    "Malformed request",
		    "The link or form you followed is "
		    "malformed. Go back to the application and start again.");
		return;
	}
}

error_fn
route_error(int dialect)
{
	return dialect >= 0 && dialect < DIALECT__MAX ?
	    dialect_errors[dialect] :
	    plain_error;
}

void
route_dispatch(struct request *req, struct response *res)
{
	struct ctx c;
	const struct route *r = NULL;
	const char *as = NULL;
	size_t al = 0;
	error_fn err;
	unsigned m;

	memset(&c, 0, sizeof(c));
	c.req = req;
	c.res = res;
	c.now = (long long)time(NULL);
	r = route_lookup(req->path, &as, &al);
	if (r == NULL ||
	    (r->dialect != DIALECT_NONE && !cfg.dialect_on[r->dialect])) {
		/* A switched-off dialect is not there at all (issue 4.5). */
		if (strncmp(req->path, "/v1", 3) == 0 &&
		    (req->path[3] == '/' || req->path[3] == '\0')) {
			legacy_error(&c, OE_NOT_FOUND, req->path + 3);
		} else {
			plain_error(&c, OE_NOT_FOUND, NULL);
		}
		return;
	}
	c.route = r;
	if (as != NULL)
		c.arg = arena_strndup(req->arena, as, al);
	err = r->flags & RF_PAGE ? page_error : route_error(r->dialect);

	/* Front-line checks, once for every handler. */
	if ((r->flags & RF_BODY) && req->method == METHOD_POST &&
	    request_read_body(req, cfg.body_limit) == -1) {
		err(&c,
		    req->body_err == INPUT_TOO_LARGE ? OE_TOO_LARGE :
						       OE_BAD_INPUT,
		    NULL);
		return;
	}
	if (req->query_err != INPUT_OK) {
		err(&c, OE_BAD_INPUT, NULL);
		return;
	}
	m = req->method == METHOD_GET || req->method == METHOD_HEAD ? RM_GET :
	    req->method == METHOD_POST                              ? RM_POST :
								      0;
	if ((r->flags & RM_ALL) != RM_ALL && (m & r->flags) == 0) {
		if (r->flags & RM_GET && r->flags & RM_POST)
			response_header(res, "Allow", "GET, HEAD, POST");
		else if (r->flags & RM_POST)
			response_header(res, "Allow", "POST");
		else
			response_header(res, "Allow", "GET, HEAD");
		err(&c, OE_METHOD, NULL);
		return;
	}
	r->fn(&c);
}

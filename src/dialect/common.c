/* common.c - see common.h */
#include "common.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "arena.h"
#include "core/secret.h"
#include "request.h"
#include "response.h"
#include "utf8.h"

#define DEVICE_INFO_MAX 200

/*
 * RFC 6749 §2.3.1: Basic credentials are form-urlencoded, then base64.
 * 0 with id and secret from the arena; -1 if malformed.
 */
static int
basic_credentials(struct ctx *c, const char *h, char **id, char **secret)
{
	unsigned char *raw;
	const char *b64 = h + 6, *colon;
	size_t n, len, pad = 0;
	int got;

	if (h[5] == '\0')
		return -1;
	while (*b64 == ' ')
		b64++;
	n = strlen(b64);
	while (n > 0 && b64[n - 1] == ' ')
		n--;
	if (n == 0 || n % 4 != 0 || n > 4096)
		return -1;
	raw = arena_alloc(c->req->arena, n);
	if ((got = EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)n)) <
	    0)
		return -1;
	if (b64[n - 1] == '=')
		pad++;
	if (b64[n - 2] == '=')
		pad++;
	len = (size_t)got - pad;
	raw[len] = '\0';
	if (memchr(raw, '\0', len) != NULL ||
	    (colon = memchr(raw, ':', len)) == NULL)
		return -1;
	if (request_pct_decode(c->req->arena, (const char *)raw,
		(size_t)(colon - (const char *)raw), 1, id, &n) == -1 ||
	    request_pct_decode(c->req->arena, colon + 1,
		len - (size_t)(colon + 1 - (const char *)raw), 1, secret,
		&n) == -1)
		return -1;
	if (!utf8_valid(*id, strlen(*id)) ||
	    !utf8_valid(*secret, strlen(*secret)))
		return -1;
	return 0;
}

/*
 * The client's id and secret from Basic or from the body (one method per
 * request, RFC 6749 2.3): OE_OK with *id set (*secret NULL when none),
 * else the error to answer.
 */
static enum oauth_err
client_credentials(struct ctx *c, const char **id, const char **secret,
    int *basic)
{
	const char *h = c->req->authorization;
	char *bid, *bsecret;

	/* A bare "Basic" is a Basic attempt too: it gets the challenge. */
	*basic = h != NULL && strncasecmp(h, "Basic", 5) == 0 &&
	    (h[5] == ' ' || h[5] == '\0');
	if (*basic) {
		if (basic_credentials(c, h, &bid, &bsecret) == -1)
			return OE_INVALID_CLIENT;
		/* §2.3: one method per request. */
		if ((*secret != NULL && **secret != '\0') ||
		    (*id != NULL && **id != '\0' && strcmp(*id, bid) != 0))
			return OE_INVALID_REQUEST;
		*id = bid;
		*secret = bsecret;
	}
	if (*id == NULL || **id == '\0')
		return OE_INVALID_CLIENT;
	if (*secret != NULL && **secret == '\0')
		*secret = NULL;
	return OE_OK;
}

enum oauth_err
dialect_client(struct ctx *c, const char *id, const char *secret,
    int allow_public, struct db_client *cl, int *basic)
{
	enum oauth_err e;

	if ((e = client_credentials(c, &id, &secret, basic)) != OE_OK)
		return e;
	e = client_authenticate(id, secret, c->req->remote_addr, c->now, cl);
	if (e == OE_OK && cl->is_public && !allow_public)
		return OE_INVALID_CLIENT;
	return e;
}

void
dialect_client_retry_after(struct ctx *c, const struct db_client *cl)
{
	long long s = cl->locked_until - c->now;

	response_header(c->res, "Retry-After", "%lld", s > 0 ? s : 1);
}

enum oauth_err
dialect_client_recall(struct ctx *c, const char *id, const char *secret,
    struct db_client *cl, int *basic)
{
	enum oauth_err e;

	if ((e = client_credentials(c, &id, &secret, basic)) != OE_OK)
		return e;
	if ((e = client_recall(id, secret, cl)) != OE_OK)
		return e;
	/* The token's INSERT refuses while this address is locked out. */
	snprintf(cl->auth_ip, sizeof(cl->auth_ip), "%s", c->req->remote_addr);
	return OE_OK;
}

enum oauth_err
dialect_client_token(struct ctx *c, const char *id, const char *secret,
    const char *token, struct db_client *cl, int *basic, struct db_token *t,
    enum oauth_err *te)
{
	enum oauth_err e;

	*te = OE_INVALID_TOKEN;
	if ((e = client_credentials(c, &id, &secret, basic)) != OE_OK)
		return e;
	if (token == NULL || !secret_is_token(token)) {
		/* No token to read with the client: the client alone. */
		e = client_authenticate(id, secret, c->req->remote_addr, c->now,
		    cl);
	} else {
		/* The client, its lock and the token in one statement. */
		memset(cl, 0, sizeof(*cl));
		snprintf(cl->auth_ip, sizeof(cl->auth_ip), "%s",
		    c->req->remote_addr);
		e = token_lookup_with_client(id, token, cl, t, te);
		if (e == OE_OK && cl->locked_until <= c->now)
			e = client_check_secret(cl, secret);
		e = client_throttle(id, c->req->remote_addr, c->now, e, cl);
	}
	if (e == OE_OK && cl->is_public)
		return OE_INVALID_CLIENT;
	return e;
}

const char *
dialect_auth_token(struct ctx *c, const char *other)
{
	const char *h = c->req->authorization, *t;
	size_t n, k = other ? strlen(other) : 0;

	if (h == NULL)
		return NULL;
	if (strncasecmp(h, "Bearer ", 7) == 0)
		t = h + 7;
	else if (k > 0 && strncasecmp(h, other, k) == 0 && h[k] == ' ')
		t = h + k + 1;
	else
		return NULL;
	while (*t == ' ')
		t++;
	n = strlen(t);
	while (n > 0 && t[n - 1] == ' ')
		n--;
	return n > 0 ? arena_strndup(c->req->arena, t, n) : NULL;
}

const char *
dialect_bearer(struct ctx *c)
{
	return dialect_auth_token(c, NULL);
}

const char *
dialect_device(struct ctx *c)
{
	const char *ua = c->req->user_agent;
	size_t n;
	char *s;

	if (ua == NULL)
		return "Unknown";
	s = utf8_sanitize(c->req->arena, ua, strlen(ua), &n);
	s[utf8_prefix(s, n, DEVICE_INFO_MAX)] = '\0';
	return s;
}

static const char *
nonempty(const char *s)
{
	return s != NULL && *s != '\0' ? s : NULL;
}

enum oauth_err
dialect_grant(struct ctx *c, const struct db_client *cl,
    const struct token_params *p, int dialect, struct grant_result *r,
    struct login_result *lr, const char **what)
{
	int g;

	*what = NULL;
	memset(lr, 0, sizeof(*lr));
	if (nonempty(p->grant_type) == NULL) {
		*what = "grant_type is required";
		return OE_INVALID_REQUEST;
	}
	g = grant_parse(p->grant_type, strlen(p->grant_type));
	switch (g) {
	case GRANT_PASSWORD:
		/* RFC 6749 §3.2: an empty parameter is an omitted one. */
		if (nonempty(p->username) == NULL ||
		    nonempty(p->password) == NULL) {
			*what = "username and password are required";
			return OE_INVALID_REQUEST;
		}
		return grant_password(cl, p->username, p->password,
		    strlen(p->password), p->scope, c->req->remote_addr,
		    dialect_device(c), dialect, c->now, r, lr);
	case GRANT_CLIENT_CREDENTIALS:
		return grant_client_credentials(cl, p->scope, dialect, c->now,
		    r);
	case GRANT_AUTHORIZATION_CODE:
		if (nonempty(p->code) == NULL) {
			*what = "code is required";
			return OE_INVALID_REQUEST;
		}
		return grant_authorization_code(cl, p->code,
		    nonempty(p->redirect_uri), nonempty(p->code_verifier),
		    dialect, c->now, r);
	case GRANT_REFRESH_TOKEN:
		if (nonempty(p->refresh_token) == NULL) {
			*what = "refresh_token is required";
			return OE_INVALID_REQUEST;
		}
		return grant_refresh(cl, p->refresh_token, p->scope, dialect,
		    c->now, r);
	default:
		*what = "unsupported grant_type";
		return OE_UNSUPPORTED_GRANT;
	}
}

const char *
dialect_scope_spaces(struct ctx *c, const char *scope)
{
	char *s;
	size_t i;

	if (scope == NULL)
		return NULL;
	s = arena_strdup(c->req->arena, scope);
	for (i = 0; s[i] != '\0'; i++)
		if (s[i] == ',')
			s[i] = ' ';
	return s;
}

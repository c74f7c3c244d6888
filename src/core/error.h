/*
 * error.h - the failures callers must tell apart, and how each dialect says
 * them.
 *
 * The core returns an enum oauth_err; a dialect turns it into its own shape
 * through this one table (STYLE habit 5): the RFC 6749 error code and HTTP
 * status of the standard dialects, and the legacy code, type and message of
 * SPEC section L. The core itself never formats a response.
 */
#ifndef ERROR_H
#define ERROR_H

enum oauth_err {
	OE_OK = 0,
	OE_MISSING_PARAM,   /* a required parameter is absent */
	OE_BAD_INPUT,       /* malformed encoding, value too long */
	OE_TOO_LARGE,       /* body over the configured limit */
	OE_BAD_CREDENTIALS, /* unknown user or wrong password: one answer */
	OE_THROTTLED,       /* login throttle (SPEC 11) */
	OE_NO_TOKEN,        /* protected endpoint called without a token */
	OE_INVALID_TOKEN,   /* unknown, expired or revoked token */
	OE_NOT_FOUND,       /* unknown path */
	OE_NO_OBJECT, /* the object named does not exist (or isn't yours) */
	OE_METHOD,    /* method not allowed on this path */
	OE_INVALID_REQUEST, /* RFC 6749 invalid_request */
	OE_INVALID_CLIENT,  /* RFC 6749 invalid_client */
	OE_INVALID_GRANT,   /* RFC 6749 invalid_grant */
	OE_UNAUTHORIZED_CLIENT,
	OE_UNSUPPORTED_GRANT,
	OE_UNSUPPORTED_RESPONSE,
	OE_INVALID_SCOPE,
	OE_ACCESS_DENIED,
	OE_CONFLICT,         /* the thing to create exists already */
	OE_SERVER,           /* database unavailable or a query failed */
	OE_CLIENT_THROTTLED, /* client authentication throttle (SPEC 14) */
	OE__MAX
};

struct oauth_err_info {
	const char *rfc;         /* RFC 6749/6750 "error" value */
	int http;                /* HTTP status of the standard dialects */
	int legacy_code;         /* SPEC L code */
	const char *legacy_type; /* OAuthException, APIMethodException, ... */
	const char *legacy_msg;  /* exact legacy message (NULL: per call) */
	int legacy_http;         /* legacy HTTP status: 200 except a few */
};

/*
 * A db.h result as the core reports it: DB_OK → OE_OK, DB_NOTFOUND →
 * `notfound`, anything else → OE_SERVER.
 */
enum oauth_err oauth_err_from_db(int rc, enum oauth_err notfound);

/* The row for e (OE_SERVER's row for anything out of range). */
const struct oauth_err_info *oauth_err_info(enum oauth_err e);

#endif

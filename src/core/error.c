/* error.c - see error.h. Legacy messages are quoted from SPEC section L. */
#include <stddef.h>

#include "error.h"

#include "db.h"

static const struct oauth_err_info table[OE__MAX] = {
	[OE_OK] = { "", 200, 0, "", "", 200 },
	[OE_MISSING_PARAM] = { "invalid_request", 400, 1157, "OAuthException",
	    "Username/password not supplied.", 200 },
	[OE_BAD_INPUT] = { "invalid_request", 400, 2400, "APIMethodException",
	    "Incorrect data format or data supplied is too large. Please check "
	    "documentation for more information.",
	    200 },
	[OE_TOO_LARGE] = { "invalid_request", 413, 2400, "APIMethodException",
	    "Incorrect data format or data supplied is too large. Please check "
	    "documentation for more information.",
	    200 },
	[OE_BAD_CREDENTIALS] = { "invalid_grant", 400, 1142, "OAuthException",
	    "Wrong username/password. Please try again.", 200 },
	/* New in this server; the legacy API never throttled (SPEC L). */
	[OE_THROTTLED] = { "invalid_grant", 429, 1429, "OAuthException",
	    "Too many failed login attempts. Please try again later.", 429 },
	[OE_NO_TOKEN] = { "invalid_request", 401, 1190, "OAuthException",
	    "An active access token must be used to query information about "
	    "the current visitors.",
	    200 },
	[OE_INVALID_TOKEN] = { "invalid_token", 401, 1403, "OAuthException",
	    "Invalid OAuth access token.", 200 },
	[OE_NOT_FOUND] = { "invalid_request", 404, 2600, "APIMethodException",
	    NULL, 404 },
	[OE_NO_OBJECT] = { "invalid_request", 404, 3404, "APIMethodException",
	    NULL, 200 },
	[OE_METHOD] = { "invalid_request", 405, 2400, "APIMethodException",
	    "Incorrect data format or data supplied is too large. Please check "
	    "documentation for more information.",
	    405 },
	[OE_INVALID_REQUEST] = { "invalid_request", 400, 2400,
	    "APIMethodException",
	    "Incorrect data format or data supplied is "
	    "too large. Please check documentation for more information.",
	    200 },
	[OE_INVALID_CLIENT] = { "invalid_client", 401, 1403, "OAuthException",
	    "Invalid OAuth access token.", 200 },
	[OE_INVALID_GRANT] = { "invalid_grant", 400, 1403, "OAuthException",
	    "Invalid OAuth access token.", 200 },
	[OE_UNAUTHORIZED_CLIENT] = { "unauthorized_client", 400, 1403,
	    "OAuthException", "Invalid OAuth access token.", 200 },
	[OE_UNSUPPORTED_GRANT] = { "unsupported_grant_type", 400, 2400,
	    "APIMethodException",
	    "Incorrect data format or data supplied is "
	    "too large. Please check documentation for more information.",
	    200 },
	[OE_UNSUPPORTED_RESPONSE] = { "unsupported_response_type", 400, 2400,
	    "APIMethodException",
	    "Incorrect data format or data supplied is "
	    "too large. Please check documentation for more information.",
	    200 },
	[OE_INVALID_SCOPE] = { "invalid_scope", 400, 2400, "APIMethodException",
	    "Incorrect data format or data supplied is too large. Please check "
	    "documentation for more information.",
	    200 },
	[OE_ACCESS_DENIED] = { "access_denied", 403, 1403, "OAuthException",
	    "Invalid OAuth access token.", 200 },
	[OE_CONFLICT] = { "invalid_request", 409, 2400, "APIMethodException",
	    "Incorrect data format or data supplied is too large. Please check "
	    "documentation for more information.",
	    200 },
	/* "no trailing period" is the legacy text, kept as it was. */
	[OE_SERVER] = { "server_error", 503, 5501, "ServerSideException",
	    "Server encountered an error. Please try again later", 200 },
	/* SPEC 14: RFC dialects answer 429 with invalid_client. */
	[OE_CLIENT_THROTTLED] = { "invalid_client", 429, 1429, "OAuthException",
	    "Too many failed client authentications. Please try again later.",
	    429 },
};

const struct oauth_err_info *
oauth_err_info(enum oauth_err e)
{
	if ((unsigned)e >= OE__MAX)
		e = OE_SERVER;
	return &table[e];
}

enum oauth_err
oauth_err_from_db(int rc, enum oauth_err notfound)
{
	if (rc == DB_OK)
		return OE_OK;
	return rc == DB_NOTFOUND ? notfound : OE_SERVER;
}

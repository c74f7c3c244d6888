/* signin.c - see signin.h */
#include "signin.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "arena.h"
#include "config.h"
#include "page.h"
#include "request.h"
#include "response.h"
#include "core/browser.h"
#include "core/user.h"
#include "web/web.h"

int
signin_current(struct ctx *c, struct db_user *user,
    unsigned long long *session_id)
{
	const char *cookie;
	struct db_token t;

	cookie = page_cookie_get(c, COOKIE_SESSION);
	if (cookie == NULL)
		return 0;
	switch (browser_check(cookie, c->now, &t)) {
	case OE_OK:
		break;
	case OE_INVALID_TOKEN:
		return 0;
	default:
		page_unavailable(c);
		return -1;
	}
	switch (user_get(t.user_id, user)) {
	case OE_OK:
		break;
	case OE_NO_OBJECT:
		return 0;
	default:
		page_unavailable(c);
		return -1;
	}
	/* A disabled account can't log in; its old cookie must not either. */
	if (user->disabled)
		return 0;
	*session_id = t.session_id;
	return 1;
}

void
signin_form(struct ctx *c, const struct signin *s, int status,
    const char *notice)
{
	struct arena *a = c->req->arena;
	const char *csrf, *note = "", *user = NULL;
	struct page_var vars[6];

	if ((csrf = page_csrf(c, 0)) == NULL) {
		web_error_page(c, 500, "Something went wrong",
		    "This page could not be shown. Try again later.");
		return;
	}
	if (notice != NULL)
		note =
		    arena_printf(a, "<p class=\"notice\" role=\"alert\">%s</p>",
			page_escaped(a, notice));
	/* After a failed attempt the name stays; the password never does. */
	if (c->req->method == METHOD_POST)
		user = request_value(c->req, "username");
	vars[0] = (struct page_var){ "action", s->action };
	vars[1] = (struct page_var){ "csrf", csrf };
	vars[2] = (struct page_var){ "hidden", s->hidden };
	vars[3] = (struct page_var){ "intro", s->intro };
	vars[4] = (struct page_var){ "notice", note };
	vars[5] = (struct page_var){ "username", user };
	page_show(c, status, "login", "Sign in", s->form_to, vars,
	    ARRAY_SIZE(vars));
}

int
signin_submit(struct ctx *c, const struct signin *s)
{
	const struct param *user, *pw;
	char cookie[SECRET_HEX_LEN + 1];
	unsigned long long session_id;
	struct login_result lr;
	const char *msg;
	enum oauth_err e;
	int rc = -1;

	user = request_param(c->req, "username");
	pw = request_param(c->req, "password");
	if (user == NULL || pw == NULL || user->len == 0 || pw->len == 0) {
		/* Nothing to check: not a failed attempt for the throttle. */
		signin_form(c, s, 200,
		    "Enter your username or phone number and your password.");
		return -1;
	}
	if (request_count(c->req, "username") != 1 ||
	    request_count(c->req, "password") != 1) {
		web_error_page(c, 400, "Invalid request",
		    "The sign-in form was sent with a field twice. Go back "
		    "and try again.");
		return -1;
	}
	e = user_login(user->value, pw->value, pw->len, c->req->remote_addr,
	    LOGIN_ANY, c->now, &lr);
	switch (e) {
	case OE_OK:
		break;
	case OE_BAD_CREDENTIALS:
		/* One answer for an unknown name and a wrong password. */
		signin_form(c, s, 200,
		    "That username or password is not right. Try again.");
		goto out;
	case OE_THROTTLED:
		/* SPEC 11, 12b: refused until the delay runs out, said so. */
		response_header(c->res, "Retry-After", "%lld", lr.retry_after);
		msg = arena_printf(c->req->arena,
		    "Too many failed attempts. Try again in %lld second%s.",
		    lr.retry_after, lr.retry_after == 1 ? "" : "s");
		signin_form(c, s, 429, msg);
		goto out;
	default:
		page_unavailable(c);
		goto out;
	}
	e = browser_signin(lr.user.id, page_device(c), c->now, cookie,
	    &session_id);
	if (e != OE_OK) {
		page_unavailable(c);
		goto out;
	}
	page_set_cookie(c, COOKIE_SESSION, cookie, "Lax", cfg.login_cookie_ttl);
	(void)page_csrf_renew(c); /* the old one keeps working if this fails */
	rc = 0;
out:
	OPENSSL_cleanse(cookie, sizeof(cookie));
	OPENSSL_cleanse(&lr, sizeof(lr));
	return rc;
}

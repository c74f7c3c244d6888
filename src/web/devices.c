/*
 * devices.c - /account/devices: every live session of the signed-in user,
 * with a button to sign out one device or all others (SPEC section 9).
 *
 * GET shows the list; POST acts (each with the CSRF token) and redirects
 * back to the list with 303, so a reload never repeats an action. Signing
 * out a session kills its tokens (session_revoke), whatever dialect issued
 * them: a phone signed out here gets 1403 from the legacy API next time.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "page.h"
#include "request.h"
#include "response.h"
#include "signin.h"
#include "core/session.h"
#include "util.h"
#include "web/web.h"

#define BADGE "<span class=\"badge\">This browser</span>"

struct rows {
	const char *tpl; /* templates/device.html */
	size_t tpl_len;
	const char *csrf;
	const char *action;
	unsigned long long own; /* this browser's session */
	struct buf html;
	int others; /* sessions besides this browser's */
	int failed; /* the row template did not render */
};

/* "22 Nov 2025, 11:44 UTC" and the ISO 8601 form for <time datetime>. */
static void
fmt_time(long long t, char *human, size_t hn, char *iso, size_t in)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(human, hn, "%d %b %Y, %H:%M UTC", &tm) == 0 ||
	    strftime(iso, in, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
		snprintf(human, hn, "unknown");
		snprintf(iso, in, "%s", "");
	}
}

/*
 * What the session is: the client's name; else a browser sign-in of these
 * pages; else a login through an API without clients (legacy, chat).
 */
static const char *
session_kind(const struct db_session *s, unsigned long long own)
{
	if (s->client_ref != 0)
		return s->client_name[0] != '\0' ? s->client_name : "App";
	if (s->id == own || s->browser)
		return "Browser";
	return "Legacy app";
}

static int
row(const struct db_session *s, void *arg)
{
	struct rows *r = arg;
	char created[64], created_iso[32], seen[64], seen_iso[32], id[24];
	int own = s->id == r->own;
	const char *device = s->device_info;
	const struct page_var vars[] = {
		{ "device", device[0] != '\0' ? device : "Unknown device" },
		{ "kind", session_kind(s, r->own) },
		{ "created", created },
		{ "created_iso", created_iso },
		{ "seen", seen },
		{ "seen_iso", seen_iso },
		{ "current", own ? BADGE : "" },
		{ "row_class", own ? "device current" : "device" },
		{ "action", r->action },
		{ "csrf", r->csrf },
		{ "session_id", id },
	};
	int rc;

	fmt_time(s->created_at, created, sizeof(created), created_iso,
	    sizeof(created_iso));
	fmt_time(s->last_access, seen, sizeof(seen), seen_iso,
	    sizeof(seen_iso));
	snprintf(id, sizeof(id), "%llu", s->id);
	if (!own)
		r->others++;
	rc = page_render(&r->html, r->tpl, r->tpl_len, vars, ARRAY_SIZE(vars));
	if (rc == -1) {
		r->failed = 1;
		return 1;
	}
	return 0;
}

static void
list_page(struct ctx *c, const struct db_user *u, unsigned long long own)
{
	struct page_var vars[5];
	const char *rows;
	struct rows r;

	memset(&r, 0, sizeof(r));
	r.own = own;
	r.action = page_self(c);
	if ((r.csrf = page_csrf(c, own)) == NULL ||
	    (r.tpl = page_template(c, "device", &r.tpl_len)) == NULL) {
		web_error_page(c, 500, "Something went wrong",
		    "This page could not be shown. Try again later.");
		return;
	}
	if (session_list(u->id, c->now, row, &r) != OE_OK) {
		buf_free(&r.html);
		page_unavailable(c);
		return;
	}
	if (r.failed) {
		buf_free(&r.html);
		web_error_page(c, 500, "Something went wrong",
		    "This page could not be shown. Try again later.");
		return;
	}
	rows = arena_strndup(c->req->arena, buf_str(&r.html), r.html.len);
	buf_free(&r.html);
	vars[0] = (struct page_var){ "username", u->username };
	vars[1] = (struct page_var){ "rows", rows };
	vars[2] = (struct page_var){ "action", r.action };
	vars[3] = (struct page_var){ "csrf", r.csrf };
	/* The "all others" button only when there are others. */
	vars[4] =
	    (struct page_var){ "others_hidden", r.others ? "" : "hidden" };
	page_show(c, 200, "devices", "Your devices", NULL, vars,
	    ARRAY_SIZE(vars));
}

static void
sign_out(struct ctx *c, const struct db_user *u, unsigned long long own)
{
	const char *v = request_value(c->req, "session_id");
	unsigned long long id;

	if (v == NULL || parse_ull(v, ~0ULL, &id) == -1 || id == 0) {
		web_error_page(c, 400, "Invalid request",
		    "The form did not say which device to sign out. Go back and "
		    "try again.");
		return;
	}
	/*
	 * Already gone (signed out in another tab) or someone else's: the
	 * list will show what is true; nothing to report.
	 */
	if (session_revoke(u->id, id, c->now) == OE_SERVER) {
		page_unavailable(c);
		return;
	}
	if (id == own)
		page_set_cookie(c, COOKIE_SESSION, "", "Lax", 0);
	page_redirect(c, page_self(c));
}

void
web_devices(struct ctx *c)
{
	struct signin s = { NULL, "", "to see where you are signed in", NULL };
	const char *action = NULL;
	unsigned long long own = 0, n;
	struct db_user user;
	int in;

	s.action = page_self(c);
	if (page_ready(c) == -1)
		return;
	if ((in = signin_current(c, &user, &own)) == -1)
		return;
	if (c->req->method == METHOD_POST) {
		/* The session's token once signed in (SPEC 14). */
		if (!page_csrf_ok(c, in ? own : 0)) {
			web_error_page(c, 403, "Form expired",
			    "The form expired or was sent from another site. "
			    "Go back and try again.");
			return;
		}
		if (request_count(c->req, "action") != 1 ||
		    request_count(c->req, "session_id") > 1) {
			web_error_page(c, 400, "Invalid request",
			    "The form was sent with a field missing or twice. "
			    "Go back and try again.");
			return;
		}
		action = request_value(c->req, "action");
	}
	if (!in) {
		if (action == NULL)
			signin_form(c, &s, 200, NULL);
		else if (strcmp(action, "login") == 0) {
			if (signin_submit(c, &s) == 0)
				page_redirect(c, s.action);
		} else {
			/* Signed out meanwhile: the list asks to sign in. */
			page_redirect(c, s.action);
		}
		return;
	}
	if (action == NULL)
		list_page(c, &user, own);
	else if (strcmp(action, "signout") == 0)
		sign_out(c, &user, own);
	else if (strcmp(action, "signout_others") == 0) {
		if (session_revoke_all(user.id, own, c->now, &n) != OE_OK)
			page_unavailable(c);
		else
			page_redirect(c, s.action);
	} else if (strcmp(action, "login") == 0)
		page_redirect(c, s.action);
	else
		web_error_page(c, 400, "Invalid request",
		    "The form was sent with an unknown action. Go back and try "
		    "again.");
}

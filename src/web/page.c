/* page.c - see page.h */
#include "page.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "arena.h"
#include "config.h"
#include "log.h"
#include "request.h"
#include "response.h"
#include "utf8.h"
#include "core/browser.h"
#include "core/secret.h"
#include "web/web.h"

#define TEMPLATE_MAX 65536 /* bytes: ours are a few KiB */
#define PAGE_TYPE "text/html; charset=utf-8"

/*
 * What every page says about itself. The CSP lets the page load only its
 * own style sheet, never run a script, never be framed (with the older
 * X-Frame-Options for browsers without frame-ancestors: RFC 6749 §10.13,
 * clickjacking) and post forms only to us. Chromium also applies
 * form-action to the redirects that follow a form's POST, so the consent
 * form's 303 to the client needs the client's origin in the list: form_to.
 */
static void
page_headers(struct ctx *c, const char *form_to)
{
	struct response *res = c->res;

	response_no_store(res);
	response_header(res, "X-Frame-Options", "DENY");
	response_header(res, "Content-Security-Policy",
	    "default-src 'none'; style-src 'self'; img-src 'self'; "
	    "form-action 'self'%s%s; frame-ancestors 'none'; base-uri 'none'",
	    form_to != NULL ? " " : "", form_to != NULL ? form_to : "");
	/* Codes and tokens travel in URLs: never in a Referer (RFC 9700 §4.2). */
	response_header(res, "Referrer-Policy", "no-referrer");
}

/* The character reference for ch, or NULL when ch is safe as it is. */
static const char *
html_ref(char ch)
{
	switch (ch) {
	case '&':
		return "&amp;";
	case '<':
		return "&lt;";
	case '>':
		return "&gt;";
	case '"':
		return "&quot;";
	case '\'':
		return "&#39;";
	default:
		return NULL;
	}
}

void
page_escape(struct buf *b, const char *s)
{
	const char *p, *start = s, *ref;

	if (s == NULL)
		return;
	/* Text and quoted attribute values alike (either quote). */
	for (p = s; *p != '\0'; p++) {
		if ((ref = html_ref(*p)) == NULL)
			continue;
		buf_add(b, start, (size_t)(p - start));
		buf_puts(b, ref);
		start = p + 1;
	}
	buf_add(b, start, (size_t)(p - start));
}

char *
page_escaped(struct arena *a, const char *s)
{
	struct buf b = BUF_INIT;
	char *out;

	page_escape(&b, s);
	out = arena_strndup(a, buf_str(&b), b.len);
	buf_free(&b);
	return out;
}

void
page_urlencode(struct buf *b, const char *s, int keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' ||
		    *p == '_' || *p == '~' || (keep_slash && *p == '/')) {
			buf_putc(b, (char)*p);
			continue;
		}
		buf_putc(b, '%');
		buf_putc(b, hex[*p >> 4]);
		buf_putc(b, hex[*p & 0x0f]);
	}
}

void
page_hidden(struct buf *b, const char *name, const char *value)
{
	buf_puts(b, "<input type=\"hidden\" name=\"");
	page_escape(b, name);
	buf_puts(b, "\" value=\"");
	page_escape(b, value);
	buf_puts(b, "\">\n");
}

static const struct page_var *
find_var(const struct page_var *vars, size_t nvars, const char *name, size_t n)
{
	size_t i;

	for (i = 0; i < nvars; i++)
		if (strlen(vars[i].name) == n &&
		    memcmp(vars[i].name, name, n) == 0)
			return &vars[i];
	return NULL;
}

int
page_render(struct buf *out, const char *tpl, size_t n,
    const struct page_var *vars, size_t nvars)
{
	const char *p = tpl, *end = tpl + n, *open, *name, *close;
	const struct page_var *v;
	int raw;

	while (p < end) {
		if ((open = memmem(p, (size_t)(end - p), "{{", 2)) == NULL) {
			buf_add(out, p, (size_t)(end - p));
			break;
		}
		buf_add(out, p, (size_t)(open - p));
		raw = open + 2 < end && open[2] == '{';
		name = open + (raw ? 3 : 2);
		close = memmem(name, (size_t)(end - name), raw ? "}}}" : "}}",
		    raw ? 3 : 2);
		if (close == NULL)
			return -1;
		v = find_var(vars, nvars, name, (size_t)(close - name));
		if (v == NULL)
			return -1;
		/* The value goes out as it is, never scanned for tags. */
		if (raw)
			buf_puts(out, v->value != NULL ? v->value : "");
		else
			page_escape(out, v->value);
		p = close + (raw ? 3 : 2);
	}
	return 0;
}

char *
page_template(struct ctx *c, const char *name, size_t *n)
{
	struct arena *a = c->req->arena;
	char *path, *text = NULL, *p;
	struct stat st;
	size_t size, got = 0;
	ssize_t r;
	int fd;

	path = arena_printf(a, "%s/templates/%s.html", cfg.htdocs, name);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		log_warn("%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size > TEMPLATE_MAX) {
		log_warn("%s: not a regular file of at most %d bytes", path,
		    TEMPLATE_MAX);
		goto out;
	}
	size = (size_t)st.st_size;
	p = arena_alloc(a, size + 1);
	while (got < size) {
		r = read(fd, p + got, size - got);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0) {
			log_warn("%s: %s", path,
			    r == 0 ? "short read" : strerror(errno));
			goto out;
		}
		got += (size_t)r;
	}
	p[got] = '\0';
	*n = got;
	text = p;
out:
	close(fd);
	return text;
}

const char *
page_cookie(struct arena *a, const char *header, const char *name)
{
	const char *p = header, *end, *eq, *k, *v;
	size_t nlen = strlen(name), klen, vlen;
	char *val;

	if (header == NULL)
		return NULL;
	/* RFC 6265 §5.4: "a=b; c=d"; be lenient about spaces and tabs. */
	while (*p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == ';')
			p++;
		end = p + strcspn(p, ";");
		if ((eq = memchr(p, '=', (size_t)(end - p))) == NULL) {
			p = end;
			continue;
		}
		k = p;
		klen = (size_t)(eq - p);
		while (klen > 0 && (k[klen - 1] == ' ' || k[klen - 1] == '\t'))
			klen--;
		v = eq + 1;
		while (v < end && (*v == ' ' || *v == '\t'))
			v++;
		vlen = (size_t)(end - v);
		while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
			vlen--;
		if (klen == nlen && memcmp(k, name, nlen) == 0 &&
		    vlen == SECRET_HEX_LEN) {
			val = arena_strndup(a, v, vlen);
			if (secret_is_token(val))
				return val;
		}
		p = end;
	}
	return NULL;
}

size_t
page_cookie_count(const char *header, const char *name)
{
	const char *p = header, *end, *eq, *k;
	size_t nlen = strlen(name), klen, count = 0;

	if (header == NULL)
		return 0;
	/* The same walk as page_cookie(), counting names only. */
	while (*p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == ';')
			p++;
		end = p + strcspn(p, ";");
		if ((eq = memchr(p, '=', (size_t)(end - p))) != NULL) {
			k = p;
			klen = (size_t)(eq - p);
			while (klen > 0 &&
			    (k[klen - 1] == ' ' || k[klen - 1] == '\t'))
				klen--;
			if (klen == nlen && memcmp(k, name, nlen) == 0)
				count++;
		}
		p = end;
	}
	return count;
}

int
page_secure(struct ctx *c)
{
	return c->req->https ||
	    (cfg.issuer != NULL && strncasecmp(cfg.issuer, "https://", 8) == 0);
}

const char *
page_cookie_name(struct ctx *c, const char *base)
{
	if (!page_secure(c))
		return base;
	return arena_printf(c->req->arena, "%s%s", COOKIE_HOST_PREFIX, base);
}

const char *
page_cookie_get(struct ctx *c, const char *base)
{
	return page_cookie(c->req->arena, c->req->cookie,
	    page_cookie_name(c, base));
}

int
page_ready(struct ctx *c)
{
	if (!browser_csrf_ready()) {
		log_warn("instance_secret is not set in the configuration: "
			 "the sign-in pages are off");
		web_error_page(c, 503, "Sign-in unavailable",
		    "Signing in is not set up on this server yet. Try again "
		    "later.");
		return -1;
	}
	/*
	 * SPEC 14: a second cookie of one of our names was planted (another
	 * path, a sibling host): refuse rather than guess which is ours.
	 */
	if (page_cookie_count(c->req->cookie,
		page_cookie_name(c, COOKIE_SESSION)) > 1 ||
	    page_cookie_count(c->req->cookie,
		page_cookie_name(c, COOKIE_CSRF)) > 1) {
		web_error_page(c, 400, "Invalid request",
		    "Your browser sent one of this site's cookies twice. Delete "
		    "this site's cookies and try again.");
		return -1;
	}
	return 0;
}

/* SCRIPT_NAME + "/": the cookie covers every page of this mount only. */
static const char *
cookie_path(struct ctx *c)
{
	const char *s = c->req->script_name, *p;

	/* A path that can't be written in the attribute falls back to "/". */
	for (p = s; *p != '\0'; p++)
		if (*p <= 0x20 || *p >= 0x7f || *p == ';' || *p == ',')
			return "/";
	return arena_printf(c->req->arena, "%s/", s);
}

void
page_set_cookie(struct ctx *c, const char *base, const char *value,
    const char *samesite, long long max_age)
{
	int secure = page_secure(c);
	char age[40] = "";

	if (max_age >= 0)
		snprintf(age, sizeof(age), "; Max-Age=%lld", max_age);
	/* __Host- requires Secure, Path=/ and no Domain (RFC 6265bis). */
	response_header(c->res, "Set-Cookie",
	    "%s=%s; Path=%s%s; HttpOnly; SameSite=%s%s",
	    page_cookie_name(c, base), value, secure ? "/" : cookie_path(c),
	    age, samesite, secure ? "; Secure" : "");
}

const char *
page_csrf(struct ctx *c, unsigned long long session_id)
{
	char fresh[SECRET_HEX_LEN + 1], tok[BROWSER_CSRF_LEN + 1];
	const char *pre = NULL;

	/*
	 * Signed in: the token is the session's (browser_csrf), whatever
	 * cookie a sibling host may have planted. Before: bound to a
	 * pre-session value in a cookie, one per browser, kept while it
	 * looks right so two tabs don't invalidate each other's forms.
	 * Another site can make the browser post a form, but can't compute
	 * the token without the instance secret (RFC 6749 §10.12), and
	 * SameSite=Strict keeps the cookie out of cross-site requests.
	 */
	if (session_id == 0) {
		if ((pre = page_cookie_get(c, COOKIE_CSRF)) == NULL) {
			if (secret_token(fresh) == -1)
				return NULL;
			pre = arena_strdup(c->req->arena, fresh);
		}
		page_set_cookie(c, COOKIE_CSRF, pre, "Strict", -1);
	}
	if (browser_csrf(session_id, pre, tok) == -1)
		return NULL;
	return arena_strdup(c->req->arena, tok);
}

int
page_csrf_renew(struct ctx *c)
{
	char fresh[SECRET_HEX_LEN + 1];

	if (secret_token(fresh) == -1)
		return -1;
	page_set_cookie(c, COOKIE_CSRF, fresh, "Strict", -1);
	return 0;
}

int
page_csrf_ok(struct ctx *c, unsigned long long session_id)
{
	char want[BROWSER_CSRF_LEN + 1];
	const char *pre = NULL;
	const struct param *p;
	int ok;

	if (request_count(c->req, "csrf") != 1 ||
	    (p = request_param(c->req, "csrf")) == NULL ||
	    p->src != PARAM_BODY || p->len != BROWSER_CSRF_LEN)
		return 0;
	if (session_id == 0 && (pre = page_cookie_get(c, COOKIE_CSRF)) == NULL)
		return 0;
	if (browser_csrf(session_id, pre, want) == -1)
		return 0;
	ok = secret_streq(p->value, want);
	OPENSSL_cleanse(want, sizeof(want));
	return ok;
}

char *
page_self(struct ctx *c)
{
	struct buf b = BUF_INIT;
	char *s;

	page_urlencode(&b, c->req->script_name, 1);
	page_urlencode(&b, c->req->path, 1);
	s = arena_strndup(c->req->arena, buf_str(&b), b.len);
	buf_free(&b);
	return s;
}

const char *
page_device(struct ctx *c)
{
	const char *ua = c->req->user_agent;
	size_t n;
	char *s;

	if (ua == NULL || *ua == '\0')
		return "Unknown";
	/* SPEC 12b: invalid bytes become U+FFFD; cut at a character. */
	s = utf8_sanitize(c->req->arena, ua, strlen(ua), &n);
	s[utf8_prefix(s, n, DEVICE_MAX)] = '\0';
	return s;
}

static int
is_alpha(char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z');
}

static int
is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

/* CSP3 scheme-part: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) */
static int
is_scheme_char(char ch)
{
	return is_alpha(ch) || is_digit(ch) || ch == '+' || ch == '-' ||
	    ch == '.';
}

/* CSP3 host-char = ALPHA / DIGIT / "-", labels joined by "." */
static int
is_host_char(char ch)
{
	return is_alpha(ch) || is_digit(ch) || ch == '-' || ch == '.';
}

const char *
page_origin(const char *uri, char *out, size_t n)
{
	const char *p = uri, *host, *port = NULL;
	size_t slen, alen, hlen, i;
	int len;

	if (!is_alpha(*p))
		return NULL;
	while (is_scheme_char(*p))
		p++;
	if (*p != ':')
		return NULL;
	slen = (size_t)(p - uri);
	if (p[1] != '/' || p[2] != '/') {
		/* A private-use scheme (RFC 8252 §7.1): the scheme is all. */
		if ((slen == 4 && strncasecmp(uri, "http", 4) == 0) ||
		    (slen == 5 && strncasecmp(uri, "https", 5) == 0))
			return NULL;
		len = snprintf(out, n, "%.*s:", (int)slen, uri);
		return len > 0 && (size_t)len < n ? out : NULL;
	}
	host = p + 3;
	alen = strcspn(host, "/?#");
	if (memchr(host, '@', alen) != NULL)
		return NULL; /* userinfo has no place in a redirect URI */
	/* host [ ":" port ]: anything else can't go into the header. */
	for (i = 0; i < alen; i++) {
		char ch = host[i];

		if (port == NULL && ch == ':')
			port = host + i;
		else if (port == NULL && !is_host_char(ch))
			return NULL;
		else if (port != NULL && !is_digit(ch))
			return NULL;
	}
	hlen = port != NULL ? (size_t)(port - host) : alen;
	if (hlen == 0 || (port != NULL && port + 1 == host + alen))
		return NULL;
	len = snprintf(out, n, "%.*s://%.*s", (int)slen, uri, (int)alen, host);
	return len > 0 && (size_t)len < n ? out : NULL;
}

/* The last resort when a template can't be read or rendered. */
static void
builtin_page(struct ctx *c, int status, const char *title, const char *msg)
{
	struct response *res = c->res;

	res->status = status;
	res->content_type = PAGE_TYPE;
	buf_reset(&res->body);
	buf_puts(&res->body,
	    "<!DOCTYPE html>\n<html lang=\"en\"><head>"
	    "<meta charset=\"utf-8\"><meta name=\"viewport\" "
	    "content=\"width=device-width, initial-scale=1\"><title>");
	page_escape(&res->body, title);
	buf_puts(&res->body, "</title></head><body><h1>");
	page_escape(&res->body, title);
	buf_puts(&res->body, "</h1><p>");
	page_escape(&res->body, msg);
	buf_puts(&res->body, "</p></body></html>\n");
	page_headers(c, NULL);
}

/* Render tpl inside the layout and send it: 0, or -1 (nothing sent). */
static int
show(struct ctx *c, int status, const char *tpl, const char *title,
    const char *form_to, const struct page_var *vars, size_t nvars)
{
	struct arena *a = c->req->arena;
	struct response *res = c->res;
	struct buf content = BUF_INIT, html = BUF_INIT, mount = BUF_INIT;
	struct page_var *all;
	const char *body, *layout;
	size_t bn, ln, n;
	int rc = -1;

	if ((body = page_template(c, tpl, &bn)) == NULL ||
	    (layout = page_template(c, "layout", &ln)) == NULL)
		goto out;
	page_urlencode(&mount, c->req->script_name, 1);
	all = arena_alloc(a, (nvars + 3) * sizeof(*all));
	if (nvars > 0)
		memcpy(all, vars, nvars * sizeof(*all));
	n = nvars;
	all[n].name = "mount";
	all[n++].value = buf_str(&mount);
	all[n].name = "title";
	all[n++].value = title;
	if (page_render(&content, body, bn, all, n) == -1) {
		log_warn("template %s: unknown variable or open tag", tpl);
		goto out;
	}
	all[n].name = "content";
	all[n++].value = buf_str(&content);
	if (page_render(&html, layout, ln, all, n) == -1) {
		log_warn("template layout: unknown variable or open tag");
		goto out;
	}
	res->status = status;
	res->content_type = PAGE_TYPE;
	buf_reset(&res->body);
	buf_add(&res->body, buf_str(&html), html.len);
	page_headers(c, form_to);
	rc = 0;
out:
	buf_free(&mount);
	buf_free(&html);
	buf_free(&content);
	return rc;
}

void
page_show(struct ctx *c, int status, const char *tpl, const char *title,
    const char *form_to, const struct page_var *vars, size_t nvars)
{
	if (show(c, status, tpl, title, form_to, vars, nvars) == -1)
		builtin_page(c, 500, "Something went wrong",
		    "This page could not be shown. Try again later.");
}

void
page_redirect(struct ctx *c, const char *url)
{
	struct response *res = c->res;

	/*
	 * 303 makes the browser follow a POST with a GET (RFC 9110 §15.4.4),
	 * so the credentials of a form are never re-posted to the client
	 * (RFC 9700 §4.11).
	 */
	res->status = c->req->method == METHOD_POST ? 303 : 302;
	res->content_type = NULL;
	buf_reset(&res->body);
	response_header(res, "Location", "%s", url);
	page_headers(c, NULL);
}

void
page_unavailable(struct ctx *c)
{
	response_header(c->res, "Retry-After", "5");
	web_error_page(c, 503, "Service unavailable",
	    "The service can't be reached right now. Try again in a few "
	    "seconds.");
}

void
web_error_page(struct ctx *c, int status, const char *title,
    const char *message)
{
	const struct page_var vars[] = {
		{ "heading", title },
		{ "message", message },
	};

	if (show(c, status, "error", title, NULL, vars, ARRAY_SIZE(vars)) != 0)
		builtin_page(c, status, title, message);
}

/*
 * test_web.c - the pages' helpers: HTML escaping, URL encoding, the
 * template renderer (and every template under htdocs/templates/ with the
 * variables the code gives it), Cookie header parsing, Set-Cookie (and
 * its __Host- form under HTTPS), the session-bound CSRF token and its
 * check, CSP origins, redirects and the error page.
 *
 * Run from the repository root (make unit does): the templates are read
 * from ./htdocs.
 */
#include "../../src/web/page.c"

#include "config.h"
#include "unit.h"

/* A request and response as the dispatcher would hand them over. */
struct fixture {
	struct arena *a;
	struct request req;
	struct response res;
	struct ctx c;
};

static void
fx_init(struct fixture *f, enum method m, const char *cookie, const char *body)
{
	memset(f, 0, sizeof(*f));
	f->a = arena_new();
	f->req.arena = f->a;
	f->req.method = m;
	f->req.method_str = m == METHOD_POST ? "POST" : "GET";
	f->req.path = "/oauth/authorize";
	f->req.script_name = "";
	f->req.query = "";
	f->req.content_type = "";
	f->req.remote_addr = "127.0.0.1";
	f->req.cookie = cookie;
	f->req.host = "127.0.0.1";
	f->req.content_length = -1;
	if (body != NULL) {
		CHECK(request_parse_urlencoded(f->a, body, strlen(body),
			  PARAM_BODY, &f->req.body_params) == 0);
		f->req.body_kind = BODY_FORM;
	}
	response_init(&f->res);
	f->c.req = &f->req;
	f->c.res = &f->res;
	f->c.now = 1700000000;
}

static void
fx_free(struct fixture *f)
{
	response_free(&f->res);
	arena_free(f->a);
}

/* 1 when the response's extra headers hold `line` (without CRLF). */
static int
has_header(const struct fixture *f, const char *line)
{
	const char *h = buf_str(&f->res.head), *p;
	size_t n = strlen(line);

	for (p = h; (p = strstr(p, line)) != NULL; p++)
		if ((p == h || p[-1] == '\n') && p[n] == '\r')
			return 1;
	return 0;
}

static const char *
escaped(const char *s)
{
	static char out[512];
	struct buf b = BUF_INIT;

	page_escape(&b, s);
	snprintf(out, sizeof(out), "%s", buf_str(&b));
	buf_free(&b);
	return out;
}

static void
test_escape(void)
{
	struct arena *a = arena_new();

	CHECK_STREQ(escaped(""), "");
	CHECK_STREQ(escaped("plain text"), "plain text");
	CHECK_STREQ(escaped("<script>alert('x')</script>"),
	    "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;");
	CHECK_STREQ(escaped("a & b \"c\""), "a &amp; b &quot;c&quot;");
	CHECK_STREQ(escaped("&amp;"), "&amp;amp;");
	CHECK_STREQ(escaped("gr\xc3\xbc\xc3\x9f \xe2\x82\xac"),
	    "gr\xc3\xbc\xc3\x9f \xe2\x82\xac");
	CHECK_STREQ(escaped("<<>>"), "&lt;&lt;&gt;&gt;");
	CHECK_STREQ(escaped("'"), "&#39;");
	CHECK_STREQ(escaped(NULL), "");
	CHECK_STREQ(page_escaped(a, "x\"y"), "x&quot;y");
	arena_free(a);
}

static const char *
encoded(const char *s, int keep_slash)
{
	static char out[512];
	struct buf b = BUF_INIT;

	page_urlencode(&b, s, keep_slash);
	snprintf(out, sizeof(out), "%s", buf_str(&b));
	buf_free(&b);
	return out;
}

static void
test_urlencode(void)
{
	CHECK_STREQ(encoded("AZaz09-._~", 0), "AZaz09-._~");
	CHECK_STREQ(encoded("a b&c=d/\xc3\xa9", 0), "a%20b%26c%3Dd%2F%C3%A9");
	CHECK_STREQ(encoded("+%#?", 0), "%2B%25%23%3F");
	CHECK_STREQ(encoded("/a b/", 1), "/a%20b/");
	CHECK_STREQ(encoded("\x01\x7f\xff", 0), "%01%7F%FF");
	CHECK_STREQ(encoded("", 0), "");
}

static const char *
rendered(const char *tpl, const struct page_var *v, size_t n, int *rc)
{
	static char out[512];
	struct buf b = BUF_INIT;

	*rc = page_render(&b, tpl, strlen(tpl), v, n);
	snprintf(out, sizeof(out), "%s", buf_str(&b));
	buf_free(&b);
	return out;
}

static void
test_render(void)
{
	const struct page_var v[] = {
		{ "name", "<b>&" },
		{ "frag", "<i>ok</i>" },
		{ "tag", "{{name}}" },
		{ "none", NULL },
		{ "a1_b", "x" },
	};
	int rc;

	CHECK_STREQ(rendered("Hi {{name}}!", v, ARRAY_SIZE(v), &rc),
	    "Hi &lt;b&gt;&amp;!");
	CHECK(rc == 0);
	CHECK_STREQ(rendered("{{{frag}}}", v, ARRAY_SIZE(v), &rc), "<i>ok</i>");
	CHECK(rc == 0);
	CHECK_STREQ(rendered("{{name}}{{{frag}}}{{a1_b}}", v, ARRAY_SIZE(v),
			&rc),
	    "&lt;b&gt;&amp;<i>ok</i>x");
	CHECK(rc == 0);
	/* A value is never scanned for tags again. */
	CHECK_STREQ(rendered("{{{tag}}} {{tag}}", v, ARRAY_SIZE(v), &rc),
	    "{{name}} {{name}}");
	CHECK(rc == 0);
	CHECK_STREQ(rendered("[{{none}}]", v, ARRAY_SIZE(v), &rc), "[]");
	CHECK(rc == 0);
	CHECK_STREQ(rendered("no tags { } }}", v, ARRAY_SIZE(v), &rc),
	    "no tags { } }}");
	CHECK(rc == 0);
	CHECK_STREQ(rendered("", v, ARRAY_SIZE(v), &rc), "");
	CHECK(rc == 0);
	/* Template bugs are reported, not rendered. */
	rendered("{{nope}}", v, ARRAY_SIZE(v), &rc);
	CHECK(rc == -1);
	rendered("{{name", v, ARRAY_SIZE(v), &rc);
	CHECK(rc == -1);
	rendered("{{{frag}}", v, ARRAY_SIZE(v), &rc);
	CHECK(rc == -1);
	rendered("{{ name }}", v, ARRAY_SIZE(v), &rc);
	CHECK(rc == -1);
	rendered("x {{", v, ARRAY_SIZE(v), &rc);
	CHECK(rc == -1);
	rendered("{{name}}", NULL, 0, &rc);
	CHECK(rc == -1);
}

static void
test_cookie(void)
{
	struct arena *a = arena_new();
	const char *t1 = "0123456789abcdef0123456789abcdef01234567";
	const char *t2 = "fedcba9876543210fedcba9876543210fedcba98";
	char h[512];

#define COOKIE(fmt, ...)                                                       \
	(snprintf(h, sizeof(h), fmt, __VA_ARGS__),                             \
	    page_cookie(a, h, "oauth_session"))

	CHECK(page_cookie(a, NULL, "oauth_session") == NULL);
	CHECK(page_cookie(a, "", "oauth_session") == NULL);
	CHECK_STREQ(COOKIE("oauth_session=%s", t1), t1);
	CHECK_STREQ(COOKIE("a=1; oauth_session=%s; b=2", t1), t1);
	CHECK_STREQ(COOKIE("a=1;oauth_session=%s;b=2", t1), t1);
	CHECK_STREQ(COOKIE("  a=1 ;\toauth_session = %s\t; b", t1), t1);
	CHECK_STREQ(COOKIE("b=\"quoted; value\"; oauth_session=%s", t1), t1);
	/* The first well-formed one: the longest path comes first. */
	CHECK_STREQ(COOKIE("oauth_session=%s; oauth_session=%s", t1, t2), t1);
	CHECK_STREQ(COOKIE("oauth_session=bad; oauth_session=%s", t2), t2);
	CHECK_STREQ(COOKIE("oauth_session=\"%s\"; oauth_session=%s", t1, t2),
	    t2);
	/* Not ours, or not a token. */
	CHECK(COOKIE("oauth_session=\"%s\"", t1) == NULL);
	CHECK(COOKIE("xoauth_session=%s", t1) == NULL);
	CHECK(COOKIE("oauth_sessionx=%s", t1) == NULL);
	CHECK(COOKIE("oauth_csrf=%s", t1) == NULL);
	CHECK(COOKIE("oauth_session=%sX", t1) == NULL);
	CHECK(COOKIE("oauth_session=%.39s", t1) == NULL);
	CHECK(COOKIE("oauth_session=%s",
		  "0123456789ABCDEF0123456789ABCDEF01234567") == NULL);
	CHECK(COOKIE("oauth_session%s", t1) == NULL);
	CHECK(COOKIE("%s", "=; ;;; oauth_session; =oauth_session") == NULL);
	CHECK(COOKIE("OAUTH_SESSION=%s", t1) == NULL);
#undef COOKIE
	arena_free(a);
}

static void
test_set_cookie(void)
{
	struct fixture f;

	fx_init(&f, METHOD_GET, NULL, NULL);
	page_set_cookie(&f.c, "oauth_csrf", "abc", "Strict", -1);
	CHECK(has_header(&f,
	    "Set-Cookie: oauth_csrf=abc; Path=/; HttpOnly; SameSite=Strict"));
	fx_free(&f);

	fx_init(&f, METHOD_GET, NULL, NULL);
	f.req.script_name = "/visitor-management";
	page_set_cookie(&f.c, "oauth_session", "t", "Lax", 86400);
	CHECK(has_header(&f,
	    "Set-Cookie: oauth_session=t; "
	    "Path=/visitor-management/; Max-Age=86400; "
	    "HttpOnly; SameSite=Lax"));
	fx_free(&f);

	/* HTTPS: __Host-, Secure, Path=/ whatever the mount (SPEC 14). */
	fx_init(&f, METHOD_GET, NULL, NULL);
	f.req.script_name = "/visitor-management";
	f.req.https = 1;
	page_set_cookie(&f.c, "oauth_session", "t", "Lax", 86400);
	CHECK(has_header(&f,
	    "Set-Cookie: __Host-oauth_session=t; Path=/; Max-Age=86400; "
	    "HttpOnly; SameSite=Lax; Secure"));
	fx_free(&f);

	/* An https issuer (TLS at a proxy) counts as HTTPS too. */
	fx_init(&f, METHOD_GET, NULL, NULL);
	cfg.issuer = "HTTPS://auth.example";
	page_set_cookie(&f.c, "oauth_csrf", "abc", "Strict", -1);
	CHECK(has_header(&f,
	    "Set-Cookie: __Host-oauth_csrf=abc; Path=/; HttpOnly; "
	    "SameSite=Strict; Secure"));
	cfg.issuer = NULL;
	fx_free(&f);

	/* A mount that can't be written in the attribute: the root. */
	fx_init(&f, METHOD_GET, NULL, NULL);
	f.req.script_name = "/a;b";
	page_set_cookie(&f.c, "oauth_session", "", "Lax", 0);
	CHECK(has_header(&f,
	    "Set-Cookie: oauth_session=; Path=/; Max-Age=0; "
	    "HttpOnly; SameSite=Lax"));
	fx_free(&f);
}

static void
test_cookie_count(void)
{
	CHECK(page_cookie_count(NULL, "oauth_session") == 0);
	CHECK(page_cookie_count("", "oauth_session") == 0);
	CHECK(page_cookie_count("oauth_session=a", "oauth_session") == 1);
	CHECK(page_cookie_count("oauth_session=a; oauth_session=b",
		  "oauth_session") == 2);
	CHECK(page_cookie_count(" oauth_session =; x=1;oauth_session=\"q\"",
		  "oauth_session") == 2);
	CHECK(page_cookie_count("xoauth_session=a; oauth_session",
		  "oauth_session") == 0);
	CHECK(page_cookie_count("__Host-oauth_session=a; oauth_session=b",
		  "__Host-oauth_session") == 1);
}

static void
test_csrf(void)
{
	const char *t = "0123456789abcdef0123456789abcdef01234567";
	const char *u = "1123456789abcdef0123456789abcdef01234567";
	char bound[BROWSER_CSRF_LEN + 1], other[BROWSER_CSRF_LEN + 1];
	char sess[BROWSER_CSRF_LEN + 1];
	struct fixture f;
	char cookie[128], body[160];
	const char *got;

	/* No instance secret: no token at all (nothing weak derived). */
	cfg.instance_secret = NULL;
	CHECK(browser_csrf(0, t, bound) == -1);
	fx_init(&f, METHOD_GET, NULL, NULL);
	CHECK(page_csrf(&f.c, 0) == NULL);
	fx_free(&f);

	cfg.instance_secret =
	    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
	CHECK(browser_csrf(0, t, bound) == 0);
	CHECK(strlen(bound) == BROWSER_CSRF_LEN);
	CHECK(browser_csrf(0, u, other) == 0 && strcmp(bound, other) != 0);
	CHECK(browser_csrf(7, NULL, sess) == 0 && strcmp(sess, bound) != 0);
	CHECK(browser_csrf(0, "short", other) == -1);

	/* A well-formed cookie is reused and sent again; the token is bound. */
	snprintf(cookie, sizeof(cookie), "oauth_csrf=%s", t);
	fx_init(&f, METHOD_GET, cookie, NULL);
	CHECK_STREQ(page_csrf(&f.c, 0), bound);
	CHECK(strstr(buf_str(&f.res.head), t) != NULL);
	fx_free(&f);

	/* Otherwise a new one. */
	fx_init(&f, METHOD_GET, "oauth_csrf=short", NULL);
	got = page_csrf(&f.c, 0);
	CHECK(got != NULL && strlen(got) == BROWSER_CSRF_LEN &&
	    strcmp(got, bound) != 0);
	CHECK(strstr(buf_str(&f.res.head), "SameSite=Strict") != NULL);
	fx_free(&f);

	/* Signed in: the session's token, and no cookie. */
	fx_init(&f, METHOD_GET, cookie, NULL);
	CHECK_STREQ(page_csrf(&f.c, 7), sess);
	CHECK(strstr(buf_str(&f.res.head), "Set-Cookie") == NULL);
	fx_free(&f);

	snprintf(body, sizeof(body), "action=approve&csrf=%s", bound);
	fx_init(&f, METHOD_POST, cookie, body);
	CHECK(page_csrf_ok(&f.c, 0) == 1);
	CHECK(page_csrf_ok(&f.c, 7) == 0);
	fx_free(&f);

	snprintf(body, sizeof(body), "csrf=%s", sess);
	fx_init(&f, METHOD_POST, NULL, body);
	CHECK(page_csrf_ok(&f.c, 7) == 1);
	CHECK(page_csrf_ok(&f.c, 8) == 0);
	CHECK(page_csrf_ok(&f.c, 0) == 0);
	fx_free(&f);

	/* The double-submit pair of old: the cookie's value as the field. */
	snprintf(body, sizeof(body), "csrf=%s", t);
	fx_init(&f, METHOD_POST, cookie, body);
	CHECK(page_csrf_ok(&f.c, 0) == 0);
	fx_free(&f);

	fx_init(&f, METHOD_POST, cookie, "action=approve");
	CHECK(page_csrf_ok(&f.c, 0) == 0);
	fx_free(&f);

	fx_init(&f, METHOD_POST, cookie, "csrf=");
	CHECK(page_csrf_ok(&f.c, 0) == 0);
	fx_free(&f);

	snprintf(body, sizeof(body), "csrf=%s&csrf=%s", bound, bound);
	fx_init(&f, METHOD_POST, cookie, body);
	CHECK(page_csrf_ok(&f.c, 0) == 0);
	fx_free(&f);

	snprintf(body, sizeof(body), "csrf=%s", bound);
	fx_init(&f, METHOD_POST, NULL, body);
	CHECK(page_csrf_ok(&f.c, 0) == 0);
	fx_free(&f);

	/* Over HTTPS only the __Host- cookie counts. */
	fx_init(&f, METHOD_POST, cookie, body);
	f.req.https = 1;
	CHECK(page_csrf_ok(&f.c, 0) == 0);
	fx_free(&f);
	snprintf(cookie, sizeof(cookie), "__Host-oauth_csrf=%s", t);
	fx_init(&f, METHOD_POST, cookie, body);
	f.req.https = 1;
	CHECK(page_csrf_ok(&f.c, 0) == 1);
	fx_free(&f);
	snprintf(cookie, sizeof(cookie), "oauth_csrf=%s", t);

	/* In the query string only: not the form's field. */
	fx_init(&f, METHOD_POST, cookie, "action=approve");
	snprintf(body, sizeof(body), "csrf=%s", bound);
	CHECK(request_parse_urlencoded(f.a, body, strlen(body), PARAM_QUERY,
		  &f.req.query_params) == 0);
	CHECK(page_csrf_ok(&f.c, 0) == 0);
	fx_free(&f);
	cfg.instance_secret = NULL;
}

static const char *
origin(const char *uri)
{
	static char out[256];

	return page_origin(uri, out, sizeof(out));
}

static void
test_origin(void)
{
	char small[8];

	CHECK_STREQ(origin("https://app.example/cb"), "https://app.example");
	CHECK_STREQ(origin("https://app.example:8443/a/b?x=1"),
	    "https://app.example:8443");
	CHECK_STREQ(origin("http://127.0.0.1:18600/cb"),
	    "http://127.0.0.1:18600");
	CHECK_STREQ(origin("http://localhost"), "http://localhost");
	CHECK_STREQ(origin("https://a.example?x"), "https://a.example");
	CHECK_STREQ(origin("com.example.app:/oauth2redirect"),
	    "com.example.app:");
	CHECK_STREQ(origin("myapp://callback"), "myapp://callback");
	CHECK(origin("https://user:pw@app.example/cb") == NULL);
	CHECK(origin("https://app.example:80x/cb") == NULL);
	CHECK(origin("https://app.example:/cb") == NULL);
	CHECK(origin("https://[::1]:8080/cb") == NULL);
	CHECK(origin("https://a b.example/") == NULL);
	CHECK(origin("https://a;b.example/") == NULL);
	CHECK(origin("https:///cb") == NULL);
	CHECK(origin("https:app.example") == NULL);
	CHECK(origin("/relative") == NULL);
	CHECK(origin("1http://x") == NULL);
	CHECK(origin("no-colon") == NULL);
	CHECK(origin("") == NULL);
	CHECK(
	    page_origin("https://long.example/", small, sizeof(small)) == NULL);
}

static void
test_self_and_device(void)
{
	struct fixture f;
	char ua[601];
	const char *d;
	size_t i;

	fx_init(&f, METHOD_GET, NULL, NULL);
	f.req.script_name = "/visitor management";
	CHECK_STREQ(page_self(&f.c), "/visitor%20management/oauth/authorize");
	CHECK_STREQ(page_device(&f.c), "Unknown");
	f.req.user_agent = "Mozilla/5.0 \xff\xfe test";
	CHECK_STREQ(page_device(&f.c),
	    "Mozilla/5.0 \xef\xbf\xbd\xef\xbf\xbd test");
	/* 300 two-byte characters: cut at 200 characters, 400 bytes. */
	for (i = 0; i + 2 < sizeof(ua); i += 2) {
		ua[i] = '\xc3';
		ua[i + 1] = '\xa9';
	}
	ua[i] = '\0';
	f.req.user_agent = ua;
	d = page_device(&f.c);
	CHECK(utf8_count(d, strlen(d)) == DEVICE_MAX && strlen(d) == 400);
	CHECK(utf8_valid(d, strlen(d)));
	fx_free(&f);
}

static void
test_redirect(void)
{
	struct fixture f;

	fx_init(&f, METHOD_GET, NULL, NULL);
	page_redirect(&f.c, "https://app.example/cb?code=1");
	CHECK(f.res.status == 302);
	CHECK(has_header(&f, "Location: https://app.example/cb?code=1"));
	CHECK(!has_header(&f, "Location: https://app.example/cb"));
	CHECK(has_header(&f, "Referrer-Policy: no-referrer"));
	CHECK(f.res.no_store == 1);
	fx_free(&f);

	fx_init(&f, METHOD_POST, NULL, "");
	page_redirect(&f.c, "/x");
	CHECK(f.res.status == 303);
	fx_free(&f);
}

static void
check_page_headers(struct fixture *f, const char *form_to)
{
	char csp[512];

	snprintf(csp, sizeof(csp),
	    "Content-Security-Policy: default-src 'none'; style-src 'self'; "
	    "img-src 'self'; form-action 'self'%s%s; frame-ancestors 'none'; "
	    "base-uri 'none'",
	    form_to ? " " : "", form_to ? form_to : "");
	CHECK(has_header(f, csp));
	CHECK(has_header(f, "X-Frame-Options: DENY"));
	CHECK(has_header(f, "Referrer-Policy: no-referrer"));
	CHECK(f->res.no_store == 1);
	CHECK_STREQ(f->res.content_type, "text/html; charset=utf-8");
}

static void
test_error_page(void)
{
	struct fixture f;
	const char *body;

	cfg.htdocs = "htdocs";
	fx_init(&f, METHOD_GET, NULL, NULL);
	f.req.script_name = "/m";
	web_error_page(&f.c, 400, "Bad <request>", "Don't & \"go\"");
	body = buf_str(&f.res.body);
	CHECK(f.res.status == 400);
	check_page_headers(&f, NULL);
	CHECK(strstr(body, "<title>Bad &lt;request&gt;</title>") != NULL);
	CHECK(strstr(body, "Don&#39;t &amp; &quot;go&quot;") != NULL);
	CHECK(strstr(body, "href=\"/m/static/style.css\"") != NULL);
	CHECK(strstr(body, "{{") == NULL);
	fx_free(&f);

	/* Templates missing: the built-in page, same status, still escaped. */
	cfg.htdocs = "/nonexistent";
	fx_init(&f, METHOD_GET, NULL, NULL);
	web_error_page(&f.c, 403, "<t>", "<m>");
	body = buf_str(&f.res.body);
	CHECK(f.res.status == 403);
	check_page_headers(&f, NULL);
	CHECK(strstr(body, "&lt;t&gt;") != NULL && strstr(body, "&lt;m&gt;"));
	CHECK(strstr(body, "<t>") == NULL);
	fx_free(&f);
	cfg.htdocs = "htdocs";
}

/* Every template, with exactly the variables its caller gives it. */
static void
render_ok(const char *tpl, const struct page_var *v, size_t n,
    const char *expect)
{
	struct fixture f;
	const char *body;

	fx_init(&f, METHOD_GET, NULL, NULL);
	page_show(&f.c, 200, tpl, "Title", "https://app.example", v, n);
	body = buf_str(&f.res.body);
	CHECK(f.res.status == 200);
	check_page_headers(&f, "https://app.example");
	CHECK(strstr(body, "<!DOCTYPE html>") != NULL);
	CHECK(strstr(body, "{{") == NULL && strstr(body, "}}") == NULL);
	CHECK(strstr(body, expect) != NULL);
	if (f.res.status != 200 || strstr(body, expect) == NULL)
		fprintf(stderr, "template %s:\n%s\n", tpl, body);
	fx_free(&f);
}

static void
test_templates(void)
{
	const struct page_var login[] = {
		{ "action", "/oauth/authorize" },
		{ "csrf", "c" },
		{ "hidden", "" },
		{ "intro", "to continue" },
		{ "notice", "" },
		{ "username", "<u>" },
	};
	const struct page_var consent[] = {
		{ "action", "/oauth/authorize" },
		{ "csrf", "c" },
		{ "hidden", "" },
		{ "client", "<App>" },
		{ "username", "alice" },
		{ "scopes", "<li>Your username</li>" },
		{ "destination", "https://app.example" },
	};
	const struct page_var devices[] = {
		{ "username", "alice" },
		{ "rows", "" },
		{ "action", "/account/devices" },
		{ "csrf", "c" },
		{ "others_hidden", "hidden" },
	};
	const struct page_var device[] = {
		{ "device", "d" },
		{ "kind", "k" },
		{ "created", "c" },
		{ "created_iso", "ci" },
		{ "seen", "s" },
		{ "seen_iso", "si" },
		{ "current", "" },
		{ "row_class", "device" },
		{ "action", "/account/devices" },
		{ "csrf", "c" },
		{ "session_id", "1" },
	};
	const struct page_var error[] = {
		{ "heading", "h" },
		{ "message", "m" },
	};

	cfg.htdocs = "htdocs";
	render_ok("login", login, ARRAY_SIZE(login), "value=\"&lt;u&gt;\"");
	render_ok("consent", consent, ARRAY_SIZE(consent), "&lt;App&gt;");
	render_ok("devices", devices, ARRAY_SIZE(devices), "alice");
	render_ok("device", device, ARRAY_SIZE(device), "value=\"signout\"");
	render_ok("error", error, ARRAY_SIZE(error), "<h1");
}

int
main(void)
{
	RUN(test_escape);
	RUN(test_urlencode);
	RUN(test_render);
	RUN(test_cookie);
	RUN(test_set_cookie);
	RUN(test_cookie_count);
	RUN(test_csrf);
	RUN(test_origin);
	RUN(test_self_and_device);
	RUN(test_redirect);
	RUN(test_error_page);
	RUN(test_templates);
	return unit_done();
}

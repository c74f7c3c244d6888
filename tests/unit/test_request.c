/* test_request.c - request variables, body reading and the four parsers. */
#include "../../src/request.c"
#include "../../src/plist.c"
#include "../../src/mime.c"
#include "../../src/jsonbody.c"

#include "unit.h"

/*
 * A fake web server: CGI variables from a table, a body served `chunk`
 * bytes per read (short reads), optionally endless or failing.
 */
struct fake {
	const char *const *env; /* name, value, ..., NULL */
	const char *body;
	size_t len;
	size_t pos;     /* bytes handed out so far */
	size_t chunk;   /* at most this per read; 0 for no limit */
	int endless;    /* serve 'x' forever after the body */
	int fail_after; /* return -1 once pos reaches len */
};

static const char *
fake_getenv(void *ctx, const char *name)
{
	const struct fake *f = ctx;
	size_t i;

	for (i = 0; f->env[i] != NULL; i += 2)
		if (strcmp(f->env[i], name) == 0)
			return f->env[i + 1];
	return NULL;
}

static long
fake_read(void *ctx, char *buf, size_t n)
{
	struct fake *f = ctx;
	size_t i;

	if (f->chunk != 0 && n > f->chunk)
		n = f->chunk;
	if (f->endless) {
		for (i = 0; i < n; i++)
			buf[i] =
			    i + f->pos < f->len ? f->body[f->pos + i] : 'x';
		f->pos += n;
		return (long)n;
	}
	if (f->pos >= f->len)
		return f->fail_after ? -1 : 0;
	if (n > f->len - f->pos)
		n = f->len - f->pos;
	memcpy(buf, f->body + f->pos, n);
	f->pos += n;
	return (long)n;
}

static int
fake_write(void *ctx, const char *buf, size_t n)
{
	(void)ctx;
	(void)buf;
	(void)n;
	return 0;
}

/* Set up req over f; the body is f->body (may be NULL). */
static void
fake_request(struct request *req, struct arena *a, struct io *io,
    struct fake *f)
{
	io->getenv = fake_getenv;
	io->read = fake_read;
	io->write = fake_write;
	io->ctx = f;
	if (f->body != NULL && f->len == 0)
		f->len = strlen(f->body);
	request_init(req, a, io);
}

static size_t
list_len(const struct param *p)
{
	size_t n = 0;

	for (; p != NULL; p = p->next)
		n++;
	return n;
}

/* The i-th parameter of a list. */
static const struct param *
nth(const struct param *p, size_t i)
{
	while (p != NULL && i-- > 0)
		p = p->next;
	return p;
}

static int
parse_form(struct arena *a, const char *s, struct param **list)
{
	return request_parse_urlencoded(a, s, strlen(s), PARAM_BODY, list);
}

/*
 * Percent-decoding and application/x-www-form-urlencoded
 */

static void
test_pct_decode(void)
{
	struct arena *a = arena_new();
	char *out;
	size_t len;

	CHECK(request_pct_decode(a, "a+b%20c%2Bd", 11, 1, &out, &len) == 0);
	CHECK_STREQ(out, "a b c+d");
	CHECK(len == 7);
	CHECK(request_pct_decode(a, "a+b", 3, 0, &out, &len) == 0);
	CHECK_STREQ(out, "a+b");
	CHECK(request_pct_decode(a, "%e2%82%AC", 9, 1, &out, &len) == 0);
	CHECK_STREQ(out, "\xe2\x82\xac");
	/* A decoded NUL is reported through the length. */
	CHECK(request_pct_decode(a, "x%00y", 5, 1, &out, &len) == 0);
	CHECK(len == 3 && out[1] == '\0');
	CHECK(request_pct_decode(a, "%G1", 3, 1, &out, &len) == -1);
	CHECK(request_pct_decode(a, "%1G", 3, 1, &out, &len) == -1);
	CHECK(request_pct_decode(a, "ab%", 3, 1, &out, &len) == -1);
	CHECK(request_pct_decode(a, "ab%4", 4, 1, &out, &len) == -1);
	/* Only n bytes count: "%41" cut to "%4" is malformed. */
	CHECK(request_pct_decode(a, "%41", 2, 1, &out, &len) == -1);
	CHECK(request_pct_decode(a, "", 0, 1, &out, &len) == 0 && len == 0);
	arena_free(a);
}

static void
test_urlencoded_basic(void)
{
	struct arena *a = arena_new();
	struct param *l = NULL;

	CHECK(
	    parse_form(a, "a=1&b=hello+world&c=%41%62%e2%82%ac&d=&e", &l) == 0);
	CHECK(list_len(l) == 5);
	CHECK_STREQ(nth(l, 0)->name, "a");
	CHECK_STREQ(nth(l, 0)->value, "1");
	CHECK_STREQ(nth(l, 1)->value, "hello world");
	CHECK_STREQ(nth(l, 2)->value, "Ab\xe2\x82\xac");
	CHECK(nth(l, 2)->len == 5);
	CHECK_STREQ(nth(l, 3)->name, "d");
	CHECK_STREQ(nth(l, 3)->value, "");
	/* No '=': the name with an empty value. */
	CHECK_STREQ(nth(l, 4)->name, "e");
	CHECK_STREQ(nth(l, 4)->value, "");
	CHECK(nth(l, 4)->len == 0);
	CHECK(nth(l, 0)->src == PARAM_BODY && nth(l, 0)->jtype == PJ_STRING);

	/* Names are decoded too; '=' in a value is kept. */
	l = NULL;
	CHECK(parse_form(a, "user+name=x%3Dy=z&%61%5B%5D=1&a[]=2", &l) == 0);
	CHECK_STREQ(nth(l, 0)->name, "user name");
	CHECK_STREQ(nth(l, 0)->value, "x=y=z");
	/* PHP-style names are kept literally. */
	CHECK_STREQ(nth(l, 1)->name, "a[]");
	CHECK_STREQ(nth(l, 2)->name, "a[]");
	CHECK_STREQ(nth(l, 2)->value, "2");
	arena_free(a);
}

static void
test_urlencoded_pieces(void)
{
	struct arena *a = arena_new();
	struct param *l = NULL;

	/* Empty pieces and nameless ones are skipped. */
	CHECK(parse_form(a, "&&a=1&&=x&=&b=2&", &l) == 0);
	CHECK(list_len(l) == 2);
	CHECK_STREQ(nth(l, 0)->name, "a");
	CHECK_STREQ(nth(l, 1)->name, "b");
	/* ';' is no separator. */
	l = NULL;
	CHECK(parse_form(a, "a=1;b=2", &l) == 0);
	CHECK(list_len(l) == 1);
	CHECK_STREQ(nth(l, 0)->value, "1;b=2");
	/* Duplicates are kept, in order. */
	l = NULL;
	CHECK(parse_form(a, "scope=a&scope=b&scope=c", &l) == 0);
	CHECK(list_len(l) == 3);
	CHECK_STREQ(nth(l, 0)->value, "a");
	CHECK_STREQ(nth(l, 2)->value, "c");
	l = NULL;
	CHECK(parse_form(a, "", &l) == 0 && l == NULL);
	CHECK(parse_form(a, "&", &l) == 0 && l == NULL);
	/* Control characters other than NUL are the handlers' business. */
	CHECK(parse_form(a, "t=%09%0A", &l) == 0);
	CHECK_STREQ(l->value, "\t\n");
	arena_free(a);
}

static void
test_urlencoded_bad(void)
{
	static const char *const bad[] = {
		"a=%G1",
		"a=%",
		"a=%4",
		"a=1&b=%zz",
		"%=1",
		"a%2=1",
		"a=%00",       /* NUL in a value */
		"a%00b=1",     /* NUL in a name */
		"=%00",        /* even in a skipped piece */
		"a=%FF",       /* invalid UTF-8 */
		"a=%C0%80",    /* overlong NUL */
		"a=%ED%A0%80", /* surrogate */
		"a=%E2%82",    /* truncated */
		"%FF=1",
		"a=\xff", /* raw, not escaped */
		"ok=1&a=%e2%82%ac%80",
	};
	struct arena *a = arena_new();
	struct param *l;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		l = NULL;
		if (parse_form(a, bad[i], &l) != -1 || l != NULL) {
			fprintf(stderr, "accepted: %s\n", bad[i]);
			CHECK(0);
		}
	}
	/* A raw NUL inside the n bytes is refused too. */
	l = NULL;
	CHECK(request_parse_urlencoded(a, "a=1\0b", 5, PARAM_BODY, &l) == -1);
	arena_free(a);
}

static void
test_urlencoded_append(void)
{
	struct arena *a = arena_new();
	struct param *l = NULL;

	CHECK(parse_form(a, "a=1", &l) == 0);
	CHECK(parse_form(a, "b=2&c=3", &l) == 0);
	CHECK(list_len(l) == 3);
	CHECK_STREQ(nth(l, 2)->name, "c");
	/* A failed parse appends nothing, not even its good prefix. */
	CHECK(parse_form(a, "d=4&e=%", &l) == -1);
	CHECK(list_len(l) == 3);
	arena_free(a);
}

static void
test_urlencoded_cap(void)
{
	struct arena *a = arena_new();
	struct buf b = BUF_INIT;
	struct param *l = NULL;
	size_t i;

	for (i = 0; i < PLIST_MAX; i++)
		buf_printf(&b, "%sp%zu=%zu", i > 0 ? "&" : "", i, i);
	CHECK(request_parse_urlencoded(a, b.p, b.len, PARAM_QUERY, &l) == 0);
	CHECK(list_len(l) == PLIST_MAX);
	/* One more, in the same source or appended to it, is too many. */
	CHECK(parse_form(a, "x=1", &l) == -1);
	CHECK(list_len(l) == PLIST_MAX);
	l = NULL;
	buf_puts(&b, "&last=1");
	CHECK(request_parse_urlencoded(a, b.p, b.len, PARAM_QUERY, &l) == -1);
	CHECK(l == NULL);
	/* Skipped pieces do not count. */
	l = NULL;
	buf_reset(&b);
	for (i = 0; i < 3 * PLIST_MAX; i++)
		buf_puts(&b, "&=x&");
	buf_puts(&b, "a=1");
	CHECK(request_parse_urlencoded(a, b.p, b.len, PARAM_QUERY, &l) == 0);
	CHECK(list_len(l) == 1);
	buf_free(&b);
	arena_free(a);
}

/*
 * multipart/form-data
 */

#define CT_MP "multipart/form-data; boundary=XyZ"

static int
parse_mp(struct arena *a, const char *ct, const char *body, struct param **list)
{
	return request_parse_multipart(a, body, strlen(body), ct, list);
}

static void
test_multipart_basic(void)
{
	struct arena *a = arena_new();
	struct param *l = NULL;
	const char *body =
	    "--XyZ\r\n"
	    "Content-Disposition: form-data; name=\"username\"\r\n"
	    "\r\n"
	    "alice\r\n"
	    "--XyZ\r\n"
	    "content-disposition: FORM-DATA; name=\"password\"\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "\r\n"
	    "p\xc3\xa4ss word\r\n"
	    "--XyZ--\r\n";

	CHECK(parse_mp(a, CT_MP, body, &l) == 0);
	CHECK(list_len(l) == 2);
	CHECK_STREQ(nth(l, 0)->name, "username");
	CHECK_STREQ(nth(l, 0)->value, "alice");
	CHECK_STREQ(nth(l, 1)->name, "password");
	CHECK_STREQ(nth(l, 1)->value, "p\xc3\xa4ss word");
	CHECK(nth(l, 1)->len == 10);
	CHECK(nth(l, 1)->src == PARAM_BODY);
	arena_free(a);
}

static void
test_multipart_boundary(void)
{
	struct arena *a = arena_new();
	struct param *l = NULL;
	const char *body = "--a'b(c)+_,-./:=? d\r\n"
			   "Content-Disposition: form-data; name=x\r\n\r\n"
			   "1\r\n--a'b(c)+_,-./:=? d--";

	/* Quoted, with every bchar; parameter names ignore case. */
	CHECK(
	    parse_mp(a,
		"Multipart/Form-Data ; charset=utf-8; BOUNDARY=\"a'b(c)+_,-./:=? d\"",
		body, &l) == 0);
	CHECK(list_len(l) == 1 && strcmp(l->value, "1") == 0);

	/* What curl and browsers send. */
	l = NULL;
	CHECK(
	    parse_mp(a,
		"multipart/form-data; boundary=------------------------d74496d66958873e",
		"--------------------------d74496d66958873e\r\n"
		"Content-Disposition: form-data; name=\"a\"\r\n\r\n"
		"b\r\n"
		"--------------------------d74496d66958873e--\r\n",
		&l) == 0);
	CHECK(list_len(l) == 1);

	/* No boundary, an empty one, one too long, two of them, bad chars. */
	l = NULL;
	CHECK(parse_mp(a, "multipart/form-data", "--XyZ--", &l) == -1);
	CHECK(parse_mp(a, "multipart/form-data; boundary=", "----", &l) == -1);
	CHECK(parse_mp(a, "multipart/form-data; boundary=\"\"", "----", &l) ==
	    -1);
	CHECK(parse_mp(a, "multipart/form-data; boundary=\"x \"", "--x --",
		  &l) == -1);
	CHECK(parse_mp(a,
		  "multipart/form-data; boundary="
		  "12345678901234567890123456789012345678901234567890"
		  "123456789012345678901",
		  "--x--", &l) == -1);
	CHECK(parse_mp(a, "multipart/form-data; boundary=XyZ; boundary=Q",
		  "--XyZ--", &l) == -1);
	CHECK(parse_mp(a, "multipart/form-data; boundary=\"a*b\"", "--a*b--",
		  &l) == -1);
	CHECK(parse_mp(a, "multipart/form-data; boundary=\"XyZ", "--XyZ--",
		  &l) == -1);
	/* Only multipart/form-data. */
	CHECK(
	    parse_mp(a, "multipart/mixed; boundary=XyZ", "--XyZ--", &l) == -1);
	/* A quoted parameter hiding "boundary=" is not the boundary. */
	CHECK(parse_mp(a, "multipart/form-data; x=\"; boundary=XyZ\"",
		  "--XyZ--", &l) == -1);
	CHECK(l == NULL);
	/* 70 characters is the most. */
	CHECK(parse_mp(a,
		  "multipart/form-data; boundary="
		  "12345678901234567890123456789012345678901234567890"
		  "12345678901234567890",
		  "--12345678901234567890123456789012345678901234567890"
		  "12345678901234567890--",
		  &l) == 0);
	arena_free(a);
}

static void
test_multipart_framing(void)
{
	struct arena *a = arena_new();
	struct param *l = NULL;

	/* CRLF inside a value is kept; the CRLF before "--" is not. */
	CHECK(parse_mp(a, CT_MP,
		  "--XyZ\r\nContent-Disposition: form-data; name=\"t\"\r\n\r\n"
		  "line1\r\nline2\r\n\r\n--XyZ--",
		  &l) == 0);
	CHECK_STREQ(l->value, "line1\r\nline2\r\n");
	/* The boundary not after CRLF is content. */
	l = NULL;
	CHECK(parse_mp(a, CT_MP,
		  "--XyZ\r\nContent-Disposition: form-data; name=\"t\"\r\n\r\n"
		  "a--XyZ b\n--XyZ--\r\n--XyZ--",
		  &l) == 0);
	CHECK_STREQ(l->value, "a--XyZ b\n--XyZ--");
	/* Empty value; preamble, transport padding and epilogue. */
	l = NULL;
	CHECK(parse_mp(a, CT_MP,
		  "preamble\r\n--XyZ \t\r\nContent-Disposition: form-data; "
		  "name=\"e\"\r\n\r\n\r\n--XyZ--\r\nepilogue --XyZ junk",
		  &l) == 0);
	CHECK(list_len(l) == 1 && strcmp(l->value, "") == 0);
	/* Bare LF line ends are not multipart. */
	l = NULL;
	CHECK(
	    parse_mp(a, CT_MP,
		"--XyZ\nContent-Disposition: form-data; name=\"t\"\n\nv\n--XyZ--",
		&l) == -1);
	/* Missing final delimiter, or a body cut short. */
	CHECK(
	    parse_mp(a, CT_MP,
		"--XyZ\r\nContent-Disposition: form-data; name=\"t\"\r\n\r\nv",
		&l) == -1);
	CHECK(parse_mp(a, CT_MP,
		  "--XyZ\r\nContent-Disposition: form-data; name=\"t\"\r\n\r\n"
		  "v\r\n--XyZ",
		  &l) == -1);
	CHECK(parse_mp(a, CT_MP,
		  "--XyZ\r\nContent-Disposition: form-data; name=\"t\"\r\n",
		  &l) == -1);
	CHECK(parse_mp(a, CT_MP, "", &l) == -1);
	CHECK(parse_mp(a, CT_MP, "no delimiter at all", &l) == -1);
	/* A delimiter followed by something else than CRLF or "--". */
	CHECK(parse_mp(a, CT_MP,
		  "--XyZ\r\nContent-Disposition: form-data; name=\"t\"\r\n\r\n"
		  "v\r\n--XyZextra\r\n--XyZ--",
		  &l) == -1);
	CHECK(parse_mp(a, CT_MP, "--XyZ-", &l) == -1);
	CHECK(l == NULL);
	/* No parts at all is an empty form. */
	CHECK(parse_mp(a, CT_MP, "--XyZ--", &l) == 0 && l == NULL);
	arena_free(a);
}

static void
test_multipart_parts(void)
{
	static const char files[] =
	    "--XyZ\r\nContent-Disposition: form-data; name=\"f\"; "
	    "filename=\"a.bin\"\r\nContent-Type: application/octet-stream\r\n"
	    "\r\n\x00\xff\xfe\r\n"
	    "--XyZ\r\nContent-Disposition: form-data; name=\"g\"; "
	    "filename=\"\"\r\n\r\n\r\n"
	    "--XyZ\r\nContent-Disposition: form-data; name=\"h\"; "
	    "filename*=UTF-8''%e2%82%ac.txt\r\n\r\nx\r\n"
	    "--XyZ\r\nContent-Disposition: form-data; name=\"k\"\r\n\r\n"
	    "v\r\n--XyZ--";
	struct arena *a = arena_new();
	struct param *l = NULL;

	/* File parts are skipped, binary content and all. */
	CHECK(request_parse_multipart(a, files, sizeof(files) - 1, CT_MP, &l) ==
	    0);
	CHECK(list_len(l) == 1);
	CHECK_STREQ(l->name, "k");
	CHECK_STREQ(l->value, "v");

	/* Names: UTF-8, escaped quotes, unquoted tokens; empty is skipped. */
	l = NULL;
	CHECK(
	    parse_mp(a, CT_MP,
		"--XyZ\r\nContent-Disposition: form-data; name=\"n\xc3\xa4me\"\r\n"
		"\r\n1\r\n"
		"--XyZ\r\nContent-Disposition: form-data;name=\"a\\\"b\"\r\n\r\n2\r\n"
		"--XyZ\r\nContent-Disposition:form-data; name=tok\r\n\r\n3\r\n"
		"--XyZ\r\nContent-Disposition: form-data; name=\"\"\r\n\r\n4\r\n"
		"--XyZ--",
		&l) == 0);
	CHECK(list_len(l) == 3);
	CHECK_STREQ(nth(l, 0)->name, "n\xc3\xa4me");
	CHECK_STREQ(nth(l, 1)->name, "a\"b");
	CHECK_STREQ(nth(l, 2)->name, "tok");
	/* Multipart values are raw: no percent-decoding, '+' stays. */
	l = NULL;
	CHECK(parse_mp(a, CT_MP,
		  "--XyZ\r\nContent-Disposition: form-data; name=\"v\"\r\n\r\n"
		  "a+b%20c\r\n--XyZ--",
		  &l) == 0);
	CHECK_STREQ(l->value, "a+b%20c");
	arena_free(a);
}

static void
test_multipart_bad_parts(void)
{
	static const char *const bad[] = {
		/* no Content-Disposition */
		"--XyZ\r\nContent-Type: text/plain\r\n\r\nv\r\n--XyZ--",
		/* no headers at all */
		"--XyZ\r\n\r\nv\r\n--XyZ--",
		/* no name */
		"--XyZ\r\nContent-Disposition: form-data\r\n\r\nv\r\n--XyZ--",
		"--XyZ\r\nContent-Disposition: form-data; filename=\"f\"\r\n\r\n"
		"v\r\n--XyZ--",
		/* not form-data */
		"--XyZ\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nv\r\n"
		"--XyZ--",
		/* two names, two dispositions */
		"--XyZ\r\nContent-Disposition: form-data; name=\"a\"; name=\"b\"\r\n"
		"\r\nv\r\n--XyZ--",
		"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n"
		"Content-Disposition: form-data; name=\"b\"\r\n\r\nv\r\n--XyZ--",
		/* unterminated quote, bad parameter syntax */
		"--XyZ\r\nContent-Disposition: form-data; name=\"a\r\n\r\nv\r\n"
		"--XyZ--",
		"--XyZ\r\nContent-Disposition: form-data; name\r\n\r\nv\r\n--XyZ--",
		"--XyZ\r\nContent-Disposition: form-data name=\"a\"\r\n\r\nv\r\n"
		"--XyZ--",
		/* folded header, header without colon */
		"--XyZ\r\nContent-Disposition: form-data;\r\n name=\"a\"\r\n\r\nv\r\n"
		"--XyZ--",
		"--XyZ\r\nContent-Disposition form-data; name=\"a\"\r\n\r\nv\r\n"
		"--XyZ--",
		/* invalid UTF-8 in the value or the name */
		"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n\xff\r\n"
		"--XyZ--",
		"--XyZ\r\nContent-Disposition: form-data; name=\"\xc0\x80\"\r\n\r\n"
		"v\r\n--XyZ--",
		/* checked even when the name is empty */
		"--XyZ\r\nContent-Disposition: form-data; name=\"\"\r\n\r\n\xff\r\n"
		"--XyZ--",
	};
	static const char nul[] =
	    "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n"
	    "x\0y\r\n--XyZ--";
	struct arena *a = arena_new();
	struct param *l;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		l = NULL;
		if (parse_mp(a, CT_MP, bad[i], &l) != -1 || l != NULL) {
			fprintf(stderr, "accepted multipart #%zu\n", i);
			CHECK(0);
		}
	}
	/* A NUL in a value. */
	l = NULL;
	CHECK(
	    request_parse_multipart(a, nul, sizeof(nul) - 1, CT_MP, &l) == -1);
	CHECK(l == NULL);
	arena_free(a);
}

static void
test_multipart_many_headers(void)
{
	struct arena *a = arena_new();
	struct buf b = BUF_INIT;
	struct param *l = NULL;
	size_t i;

	buf_puts(&b, "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n");
	for (i = 1; i < PART_MAX_HEADERS; i++)
		buf_puts(&b, "X-Pad: 1\r\n");
	buf_puts(&b, "\r\nv\r\n--XyZ--");
	CHECK(parse_mp(a, CT_MP, b.p, &l) == 0);
	buf_reset(&b);
	buf_puts(&b, "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n");
	for (i = 0; i < PART_MAX_HEADERS; i++)
		buf_puts(&b, "X-Pad: 1\r\n");
	buf_puts(&b, "\r\nv\r\n--XyZ--");
	l = NULL;
	CHECK(parse_mp(a, CT_MP, b.p, &l) == -1);
	buf_free(&b);
	arena_free(a);
}

/*
 * application/json
 */

static int
parse_json(struct arena *a, const char *s, struct param **list)
{
	return request_parse_json(a, s, strlen(s), list);
}

static void
test_json_types(void)
{
	struct arena *a = arena_new();
	struct param *l = NULL;
	const struct param *p;

	CHECK(
	    parse_json(a,
		" {\"s\": \"x\\/y \\u00e9\\ud83d\\ude00\", \"i\": 5, \"neg\": -3,"
		" \"d\": 2.50, \"e\": 1e5, \"big\": 18446744073709551615,"
		" \"t\": true, \"f\": false, \"n\": null,"
		" \"arr\": [\"openid\", \"profile\"], \"empty\": [],"
		" \"mixed\": [1, \"a\"], \"obj\": {\"k\": \"v/w\", \"z\": [null]}"
		"}\r\n\t ",
		&l) == 0);
	CHECK(list_len(l) == 13);
	/* In order of appearance. */
	p = nth(l, 0);
	CHECK_STREQ(p->name, "s");
	CHECK_STREQ(p->value, "x/y \xc3\xa9\xf0\x9f\x98\x80");
	CHECK(p->jtype == PJ_STRING && p->len == strlen(p->value));
	p = nth(l, 1);
	CHECK_STREQ(p->value, "5");
	CHECK(p->jtype == PJ_NUMBER);
	CHECK_STREQ(nth(l, 2)->value, "-3");
	CHECK_STREQ(nth(l, 3)->value, "2.50");
	CHECK(nth(l, 3)->jtype == PJ_NUMBER);
	CHECK_STREQ(nth(l, 4)->value, "1e5");
	CHECK_STREQ(nth(l, 5)->value, "18446744073709551615");
	p = nth(l, 6);
	CHECK_STREQ(p->value, "true");
	CHECK(p->jtype == PJ_BOOL);
	CHECK_STREQ(nth(l, 7)->value, "false");
	p = nth(l, 8);
	CHECK_STREQ(p->value, "");
	CHECK(p->jtype == PJ_NULL && p->len == 0);
	p = nth(l, 9);
	CHECK_STREQ(p->value, "openid profile");
	CHECK(p->jtype == PJ_ARRAY);
	p = nth(l, 10);
	CHECK_STREQ(p->value, "");
	CHECK(p->jtype == PJ_ARRAY);
	p = nth(l, 11);
	CHECK_STREQ(p->value, "[1,\"a\"]");
	CHECK(p->jtype == PJ_OTHER);
	p = nth(l, 12);
	CHECK_STREQ(p->value, "{\"k\":\"v/w\",\"z\":[null]}");
	CHECK(p->jtype == PJ_OTHER);
	CHECK(p->src == PARAM_BODY);

	l = NULL;
	CHECK(parse_json(a, "{}", &l) == 0 && l == NULL);
	CHECK(parse_json(a, "{\"\":1}", &l) == 0);
	CHECK(l != NULL && strcmp(l->name, "") == 0);
	arena_free(a);
}

static void
test_json_bad(void)
{
	static const char *const bad[] = {
		"",
		"   ",
		"[1]",
		"\"x\"",
		"1",
		"true",
		"null",
		"{\"a\":1} x",
		"{\"a\":1}{}",
		"{\"a\":1}\"",
		"{\"a\":1",
		"{\"a\":\"x\\u0000y\"}", /* NUL in a value */
		"{\"a\\u0000b\":1}",     /* ... in a key json-c would cut */
		"{\"a\":[\"\\u0000\"]}", /* ... nested */
		"{\"a\":1,\"a\":2}",     /* duplicate key json-c collapses */
		"{'a':1}",
		"{\"a\":NaN}",
		"{\"a\":Infinity}",
		"{\"a\":-Infinity}",
		"{\"a\":1.}",
		"{\"a\":.5}",
		"{\"a\":01}",
		"{\"a\":-}",
		"{\"a\":+1}",
		"{\"a\":1e}",
		"{\"a\":0x10}",
		"{\"a\":1,}",
		"{\"a\":[1,]}",
		"/*c*/{\"a\":1}",
		"{\"a\":1}//c",
		"{\"a\":tru}",
		"{\"a\":truex}",
		"{\"a\":\"\x01\"}",         /* raw control character */
		"{\"a\":\"\xff\"}",         /* invalid UTF-8 */
		"{\"a\":\"\xed\xa0\x80\"}", /* raw surrogate */
		"{\"a\":\"\\ud800\"}",      /* lone high surrogate */
		"{\"a\":\"\\udc00\"}",      /* lone low surrogate */
		"{\"a\":\"\\ud800\\u0041\"}",
		"{\"a\":\"\\x41\"}",
		"{\"a\":\"\\u12\"}",
		"{\"a\":18446744073709551616}", /* json-c would clamp */
		"{\"a\":-9223372036854775809}",
		"{\"a\":99999999999999999999999}",
		"\xef\xbb\xbf{}", /* byte order mark */
		"{\"a\" 1}",
		"{1:2}",
		"{\"a\":1 \"b\":2}",
		"{\"a\"::1}",
	};
	struct arena *a = arena_new();
	struct param *l;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		l = NULL;
		if (parse_json(a, bad[i], &l) != -1 || l != NULL) {
			fprintf(stderr, "accepted JSON: %s\n", bad[i]);
			CHECK(0);
		}
	}
	/* A NUL after the object. */
	l = NULL;
	CHECK(request_parse_json(a, "{\"a\":1}\0", 8, &l) == -1);
	CHECK(request_parse_json(a, "{\"a\":1\0}", 8, &l) == -1);
	CHECK(l == NULL);
	/* The limits are still accepted. */
	CHECK(parse_json(a, "{\"a\":-9223372036854775808,\"b\":0,\"c\":-0}",
		  &l) == 0);
	CHECK_STREQ(l->value, "-9223372036854775808");
	arena_free(a);
}

static void
test_json_depth(void)
{
	struct arena *a = arena_new();
	struct buf b = BUF_INIT;
	struct param *l = NULL;
	int i;

	/* The top-level object and 30 arrays: 31 levels pass... */
	buf_puts(&b, "{\"a\":");
	for (i = 0; i < JSON_MAX_DEPTH - 2; i++)
		buf_putc(&b, '[');
	for (i = 0; i < JSON_MAX_DEPTH - 2; i++)
		buf_putc(&b, ']');
	buf_putc(&b, '}');
	CHECK(parse_json(a, b.p, &l) == 0);
	CHECK(l != NULL && l->jtype == PJ_OTHER);
	/* ...32 do not. */
	buf_reset(&b);
	buf_puts(&b, "{\"a\":");
	for (i = 0; i < JSON_MAX_DEPTH - 1; i++)
		buf_putc(&b, '[');
	for (i = 0; i < JSON_MAX_DEPTH - 1; i++)
		buf_putc(&b, ']');
	buf_putc(&b, '}');
	l = NULL;
	CHECK(parse_json(a, b.p, &l) == -1);
	/* Deep nesting never reaches json-c's recursion. */
	buf_reset(&b);
	for (i = 0; i < 100000; i++)
		buf_putc(&b, '[');
	CHECK(parse_json(a, b.p, &l) == -1);
	buf_free(&b);
	arena_free(a);
}

static void
test_json_errors(void)
{
	struct arena *a = arena_new();
	struct param *l = NULL;

	/* The internal parser tells syntax from encoding. */
	CHECK(jsonbody_parse(a, "[1]", 3, &l) == INPUT_JSON);
	CHECK(jsonbody_parse(a, "{\"a\":1", 6, &l) == INPUT_JSON);
	CHECK(
	    jsonbody_parse(a, "{\"a\":\"\\u0000\"}", 14, &l) == INPUT_ENCODING);
	CHECK(jsonbody_parse(a, "{\"a\":\"\xff\"}", 9, &l) == INPUT_ENCODING);
	CHECK(
	    jsonbody_parse(a, "{\"a\":\"\\ud800\"}", 14, &l) == INPUT_ENCODING);
	CHECK(jsonbody_parse(a, "{\"a\":1}", 7, &l) == INPUT_OK);
	CHECK(l != NULL && l->next == NULL);
	arena_free(a);
}

/*
 * The request: variables, body, parameter lookup
 */

static void
test_init(void)
{
	static const char *const env[] = {
		"REQUEST_METHOD",
		"POST",
		"PATH_INFO",
		"/v1/oauth/",
		"SCRIPT_NAME",
		"/api",
		"QUERY_STRING",
		"a=1&b=x+y",
		"CONTENT_TYPE",
		"application/x-www-form-urlencoded",
		"CONTENT_LENGTH",
		"0",
		"REMOTE_ADDR",
		"192.0.2.1",
		"HTTP_USER_AGENT",
		"curl/7.88",
		"HTTP_AUTHORIZATION",
		"Bearer t",
		"HTTP_COOKIE",
		"s=1",
		"HTTP_HOST",
		"example.org",
		"HTTPS",
		"on",
		"HTTP_X_FORWARDED_FOR",
		"198.51.100.7",
		NULL,
	};
	struct arena *a = arena_new();
	struct fake f = { env, NULL, 0, 0, 0, 0, 0 };
	struct request req;
	struct io io;
	size_t i;

	fake_request(&req, a, &io, &f);
	CHECK(req.arena == a && req.io == &io);
	CHECK(req.method == METHOD_POST);
	CHECK_STREQ(req.method_str, "POST");
	CHECK_STREQ(req.path, "/v1/oauth/");
	CHECK_STREQ(req.script_name, "/api");
	CHECK_STREQ(req.query, "a=1&b=x+y");
	CHECK_STREQ(req.content_type, "application/x-www-form-urlencoded");
	CHECK_STREQ(req.remote_addr, "192.0.2.1");
	CHECK_STREQ(req.user_agent, "curl/7.88");
	CHECK_STREQ(req.authorization, "Bearer t");
	CHECK_STREQ(req.cookie, "s=1");
	CHECK_STREQ(req.host, "example.org");
	CHECK(req.https == 1);
	CHECK(req.content_length == 0);
	/* Copies, not the server's pointers. */
	CHECK(req.path != env[3]);
	CHECK(strlen(req.id) == 16);
	for (i = 0; i < 16; i++)
		CHECK(strchr("0123456789abcdef", req.id[i]) != NULL);
	CHECK(req.query_err == INPUT_OK && req.body_err == INPUT_OK);
	CHECK(list_len(req.query_params) == 2);
	CHECK_STREQ(request_value(&req, "b"), "x y");
	CHECK(req.query_params->src == PARAM_QUERY);
	CHECK_STREQ(request_header(&req, "HTTP_X_FORWARDED_FOR"),
	    "198.51.100.7");
	CHECK(request_header(&req, "HTTP_X_NONE") == NULL);
	CHECK(request_read_body(&req, 1024) == 0);
	CHECK(req.body_kind == BODY_NONE && req.body == NULL);
	arena_free(a);
}

static void
test_init_defaults(void)
{
	static const char *const none[] = { NULL };
	static const char *const odd[] = {
		"REQUEST_METHOD",
		"get",
		"PATH_INFO",
		"",
		"HTTPS",
		"off",
		"QUERY_STRING",
		"a=%zz&b=1",
		"CONTENT_LENGTH",
		"",
		NULL,
	};
	static const char *const methods[] = { "GET", "HEAD", "PUT", "" };
	struct arena *a = arena_new();
	struct fake f = { none, NULL, 0, 0, 0, 0, 0 };
	struct request req, req2;
	struct io io;
	const char *env[3] = { "REQUEST_METHOD", NULL, NULL };
	size_t i;

	fake_request(&req, a, &io, &f);
	CHECK(req.method == METHOD_OTHER);
	CHECK_STREQ(req.method_str, "");
	CHECK_STREQ(req.path, "/");
	CHECK_STREQ(req.query, "");
	CHECK_STREQ(req.content_type, "");
	CHECK_STREQ(req.remote_addr, "");
	CHECK_STREQ(req.host, "");
	CHECK(req.user_agent == NULL && req.authorization == NULL &&
	    req.cookie == NULL);
	CHECK(req.https == 0 && req.content_length == -1);
	CHECK(req.query_params == NULL && req.query_err == INPUT_OK);
	/* Two requests, two ids. */
	fake_request(&req2, a, &io, &f);
	CHECK(strcmp(req.id, req2.id) != 0);

	f.env = odd;
	fake_request(&req, a, &io, &f);
	CHECK(req.method == METHOD_OTHER); /* methods are case-sensitive */
	CHECK_STREQ(req.path, "/");
	CHECK(req.https == 0);
	CHECK(req.content_length == -1 && req.body_err == INPUT_OK);
	/* A bad query string: marked, and no parameters from it. */
	CHECK(req.query_err == INPUT_ENCODING && req.query_params == NULL);
	CHECK(request_value(&req, "b") == NULL);

	f.env = env;
	for (i = 0; i < ARRAY_SIZE(methods); i++) {
		env[1] = methods[i];
		fake_request(&req, a, &io, &f);
		CHECK(req.method ==
		    (i == 0        ? METHOD_GET :
			    i == 1 ? METHOD_HEAD :
				     METHOD_OTHER));
	}
	arena_free(a);
}

/* Content-Length for post(): computed from the body, or left out. */
#define CL_AUTO NULL
#define CL_NONE "-"

/*
 * A POST: query string, Content-Type (NULL for none), the body of len bytes
 * (strlen when 0) and Content-Length (CL_AUTO, CL_NONE or a literal).
 */
static struct request
post(struct arena *a, struct io *io, struct fake *f, const char *query,
    const char *ctype, const char *body, size_t len, const char *cl)
{
	static char clbuf[32];
	static const char *env[9];
	struct request req;
	size_t i = 0;
	int r;

	memset(f, 0, sizeof(*f));
	f->body = body;
	f->len = len == 0 && body != NULL ? strlen(body) : len;
	env[i++] = "REQUEST_METHOD";
	env[i++] = "POST";
	if (query != NULL) {
		env[i++] = "QUERY_STRING";
		env[i++] = query;
	}
	if (ctype != NULL) {
		env[i++] = "CONTENT_TYPE";
		env[i++] = ctype;
	}
	if (cl == CL_AUTO) {
		r = snprintf(clbuf, sizeof(clbuf), "%zu", f->len);
		CHECK(r > 0 && (size_t)r < sizeof(clbuf));
		cl = clbuf;
	}
	if (strcmp(cl, CL_NONE) != 0) {
		env[i++] = "CONTENT_LENGTH";
		env[i++] = cl;
	}
	env[i] = NULL;
	f->env = env;
	fake_request(&req, a, io, f);
	return req;
}

#define FORM "application/x-www-form-urlencoded"

static void
test_body_kinds(void)
{
	static const char text_body[] = "a=1\0\xff\xfe";
	static const char mp_body[] =
	    "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n"
	    "b\r\n--XyZ--";
	struct arena *a = arena_new();
	struct request req;
	struct fake f;
	struct io io;

	req = post(a, &io, &f, NULL, FORM "; charset=UTF-8", "user=a&pw=b%21",
	    0, CL_AUTO);
	CHECK(request_read_body(&req, 100) == 0);
	CHECK(req.body_kind == BODY_FORM && req.body_err == INPUT_OK);
	CHECK_STREQ(req.body, "user=a&pw=b%21");
	CHECK(req.body_len == 14);
	CHECK(list_len(req.body_params) == 2);
	CHECK_STREQ(request_value(&req, "pw"), "b!");

	/* No Content-Type at all: a form, as old clients meant it. */
	req = post(a, &io, &f, NULL, NULL, "user=a&pw=b+c", 0, CL_AUTO);
	CHECK(request_read_body(&req, 100) == 0);
	CHECK(req.body_kind == BODY_FORM);
	CHECK_STREQ(request_value(&req, "pw"), "b c");

	req = post(a, &io, &f, NULL, " Application/JSON ; charset=utf-8",
	    "{\"a\":12}", 0, CL_AUTO);
	CHECK(request_read_body(&req, 100) == 0);
	CHECK(req.body_kind == BODY_JSON);
	CHECK_STREQ(request_value(&req, "a"), "12");
	CHECK(request_param(&req, "a")->jtype == PJ_NUMBER);

	req = post(a, &io, &f, NULL, "application/vnd.api+json", "{\"a\":12}",
	    0, CL_AUTO);
	CHECK(request_read_body(&req, 100) == 0);
	CHECK(req.body_kind == BODY_JSON);
	CHECK_STREQ(request_value(&req, "a"), "12");

	req = post(a, &io, &f, NULL, "application/+json", "{\"a\":12}", 0,
	    CL_AUTO);
	CHECK(request_read_body(&req, 100) == 0);
	CHECK(req.body_kind == BODY_OTHER);

	/* Parameters but no media type is not "no Content-Type". */
	req = post(a, &io, &f, NULL, "; charset=utf-8", "a=1", 0, CL_AUTO);
	CHECK(request_read_body(&req, 100) == 0);
	CHECK(req.body_kind == BODY_OTHER && req.body_params == NULL);

	/* Any other type is kept raw, unparsed, and is no error. */
	req = post(a, &io, &f, NULL, "text/plain", text_body,
	    sizeof(text_body) - 1, CL_AUTO);
	CHECK(request_read_body(&req, 100) == 0);
	CHECK(req.body_kind == BODY_OTHER && req.body_params == NULL);
	CHECK(req.body_len == 6 && memcmp(req.body, text_body, 6) == 0);
	CHECK(req.body[6] == '\0');

	req = post(a, &io, &f, NULL, "multipart/form-data; boundary=\"XyZ\"",
	    mp_body, 0, CL_AUTO);
	CHECK(request_read_body(&req, 100) == 0);
	CHECK(req.body_kind == BODY_MULTIPART);
	CHECK_STREQ(request_value(&req, "a"), "b");

	/* An empty body is no body, whatever its type. */
	req = post(a, &io, &f, NULL, "application/json", "", 0, CL_AUTO);
	CHECK(request_read_body(&req, 100) == 0);
	CHECK(req.body_kind == BODY_NONE && req.body == NULL);
	arena_free(a);
}

static void
test_body_parse_errors(void)
{
	struct arena *a = arena_new();
	struct request req;
	struct fake f;
	struct io io;

	req = post(a, &io, &f, "q=1", FORM, "a=1&b=%00", 0, CL_AUTO);
	CHECK(request_read_body(&req, 100) == -1);
	CHECK(req.body_err == INPUT_ENCODING && req.body_params == NULL);
	CHECK(req.body_kind == BODY_FORM);
	/* The query string is still there. */
	CHECK_STREQ(request_value(&req, "q"), "1");
	CHECK(request_value(&req, "a") == NULL);

	req =
	    post(a, &io, &f, NULL, "application/json", "[1,2,3,4]", 0, CL_AUTO);
	CHECK(request_read_body(&req, 100) == -1);
	CHECK(req.body_err == INPUT_JSON && req.body_params == NULL);
	CHECK(req.body_kind == BODY_JSON);

	req = post(a, &io, &f, NULL, "application/json", "{\"a\":\"\xff\"}", 0,
	    CL_AUTO);
	CHECK(request_read_body(&req, 100) == -1);
	CHECK(req.body_err == INPUT_ENCODING);

	req = post(a, &io, &f, NULL, "multipart/form-data; boundary=XyZ",
	    "--XyZ\r\nab", 0, CL_AUTO);
	CHECK(request_read_body(&req, 100) == -1);
	CHECK(req.body_err == INPUT_ENCODING && req.body_params == NULL);
	CHECK(req.body_kind == BODY_MULTIPART);

	/* A multipart body whose content type lost its boundary. */
	req = post(a, &io, &f, NULL, "multipart/form-data", "--XyZ--", 0,
	    CL_AUTO);
	CHECK(request_read_body(&req, 100) == -1);
	CHECK(req.body_err == INPUT_ENCODING);
	arena_free(a);
}

static void
test_body_limits(void)
{
	char body[10000];
	struct arena *a = arena_new();
	struct request req;
	struct fake f;
	struct io io;

	memset(body, 'a', sizeof(body));

	/* Over the limit by Content-Length: refused, but read to the end. */
	req = post(a, &io, &f, NULL, FORM, body, sizeof(body), CL_AUTO);
	CHECK(request_read_body(&req, 9999) == -1);
	CHECK(req.body_err == INPUT_TOO_LARGE);
	CHECK(req.body == NULL && req.body_len == 0 && req.body_params == NULL);
	CHECK(req.body_kind == BODY_FORM);
	CHECK(f.pos == sizeof(body));

	/* Drained in bounded chunks, at most 16 MiB, from an endless peer. */
	req = post(a, &io, &f, NULL, FORM, body, 1, "99999999999");
	f.endless = 1;
	CHECK(request_read_body(&req, 65536) == -1);
	CHECK(req.body_err == INPUT_TOO_LARGE);
	CHECK(f.pos == DRAIN_MAX);

	/* Exactly the limit fits. */
	req = post(a, &io, &f, NULL, FORM, body, 10, CL_AUTO);
	CHECK(request_read_body(&req, 10) == 0);
	CHECK(req.body_len == 10 && req.body_err == INPUT_OK);
	/* Only Content-Length bytes are read, even when more are there. */
	req = post(a, &io, &f, NULL, FORM, body, 20, "10");
	CHECK(request_read_body(&req, 100) == 0);
	CHECK(req.body_len == 10 && f.pos == 10);

	/* Short reads are looped over. */
	req = post(a, &io, &f, NULL, FORM, body, sizeof(body), CL_AUTO);
	f.chunk = 7;
	CHECK(request_read_body(&req, sizeof(body)) == 0);
	CHECK(req.body_len == sizeof(body) && list_len(req.body_params) == 1);

	/* Fewer bytes than announced: INPUT_IO. */
	req = post(a, &io, &f, NULL, FORM, body, 9000, "10000");
	CHECK(request_read_body(&req, sizeof(body)) == -1);
	CHECK(req.body_err == INPUT_IO && req.body == NULL);
	CHECK(req.body_params == NULL);
	/* A read error likewise. */
	req = post(a, &io, &f, NULL, FORM, body, 5000, "10000");
	f.fail_after = 1;
	CHECK(request_read_body(&req, sizeof(body)) == -1);
	CHECK(req.body_err == INPUT_IO);

	/* No Content-Length (chunked): within the limit... */
	req = post(a, &io, &f, NULL, FORM, "a=1&b=2", 0, CL_NONE);
	f.chunk = 3;
	CHECK(req.content_length == -1);
	CHECK(request_read_body(&req, 7) == 0);
	CHECK_STREQ(req.body, "a=1&b=2");
	CHECK(req.body_len == 7);
	CHECK(list_len(req.body_params) == 2);
	/* ...over it, refused and drained... */
	req = post(a, &io, &f, NULL, FORM, body, sizeof(body), CL_NONE);
	CHECK(request_read_body(&req, 9999) == -1);
	CHECK(req.body_err == INPUT_TOO_LARGE && req.body == NULL);
	CHECK(f.pos == sizeof(body));
	/* ...an error while reading... */
	req = post(a, &io, &f, NULL, FORM, body, 100, CL_NONE);
	f.fail_after = 1;
	CHECK(request_read_body(&req, 9999) == -1);
	CHECK(req.body_err == INPUT_IO);
	/* ...and nothing at all. */
	req = post(a, &io, &f, NULL, FORM, "", 0, CL_NONE);
	CHECK(request_read_body(&req, 9999) == 0);
	CHECK(req.body_kind == BODY_NONE && req.body == NULL);
	/* An endless chunked body: limit + 1 read, then 16 MiB drained. */
	req = post(a, &io, &f, NULL, FORM, body, 1, CL_NONE);
	f.endless = 1;
	CHECK(request_read_body(&req, 100) == -1);
	CHECK(req.body_err == INPUT_TOO_LARGE);
	CHECK(f.pos == 101 + DRAIN_MAX);
	/* A zero limit refuses any byte. */
	req = post(a, &io, &f, NULL, FORM, "a", 0, CL_NONE);
	CHECK(request_read_body(&req, 0) == -1);
	CHECK(req.body_err == INPUT_TOO_LARGE);
	arena_free(a);
}

static void
test_body_bad_length(void)
{
	static const char *const bad[] = { "-1", "12x", "+5", " 5", "0x10",
		"99999999999999999999999", "1 2" };
	struct arena *a = arena_new();
	struct request req;
	struct fake f;
	struct io io;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		req = post(a, &io, &f, NULL, FORM, "a=1&b=2", 0, bad[i]);
		CHECK(req.content_length == -1);
		CHECK(req.body_err == INPUT_ENCODING);
		CHECK(request_read_body(&req, 100) == -1);
		CHECK(req.body_err == INPUT_ENCODING && req.body == NULL);
		CHECK(req.body_params == NULL);
		/* Drained all the same. */
		CHECK(f.pos == 7);
	}
	/* Empty means none (some servers send it so). */
	req = post(a, &io, &f, NULL, FORM, "a=1", 0, "");
	CHECK(req.content_length == -1 && req.body_err == INPUT_OK);
	CHECK(request_read_body(&req, 100) == 0);
	CHECK_STREQ(request_value(&req, "a"), "1");
	arena_free(a);
}

static void
test_param_lookup(void)
{
	struct arena *a = arena_new();
	struct request req;
	struct fake f;
	struct io io;
	const struct param *p;

	req = post(a, &io, &f, "a=q1&b=q&a=q2&only=query", FORM,
	    "a=b1&c=&a=b2&z", 0, CL_AUTO);
	CHECK(request_read_body(&req, 100) == 0);
	/* The body wins; within a source the last one. */
	p = request_param(&req, "a");
	CHECK(p != NULL && strcmp(p->value, "b2") == 0);
	CHECK(p != NULL && p->src == PARAM_BODY);
	CHECK_STREQ(request_value(&req, "b"), "q");
	p = request_param(&req, "b");
	CHECK(p != NULL && p->src == PARAM_QUERY);
	CHECK_STREQ(request_value(&req, "only"), "query");
	/* Empty strings are present. */
	CHECK_STREQ(request_value(&req, "c"), "");
	CHECK_STREQ(request_value(&req, "z"), "");
	CHECK(request_value(&req, "missing") == NULL);
	CHECK(request_param(&req, "missing") == NULL);
	CHECK(request_count(&req, "a") == 4);
	CHECK(request_count(&req, "b") == 1);
	CHECK(request_count(&req, "missing") == 0);
	CHECK(request_has_duplicates(&req) == 1);

	req = post(a, &io, &f, "x=1&y=2", NULL, NULL, 0, CL_NONE);
	CHECK(request_read_body(&req, 100) == 0);
	CHECK(request_has_duplicates(&req) == 0);
	CHECK(request_count(&req, "x") == 1);
	arena_free(a);
}

static void
test_duplicates_across(void)
{
	struct arena *a = arena_new();
	struct request req;
	struct fake f;
	struct io io;

	/* One in the query and one in the body is a duplicate too. */
	req = post(a, &io, &f, "client_id=q", "application/json",
	    "{\"client_id\":\"b\"}", 0, CL_AUTO);
	CHECK(request_read_body(&req, 100) == 0);
	CHECK(request_has_duplicates(&req) == 1);
	CHECK(request_count(&req, "client_id") == 2);
	CHECK_STREQ(request_value(&req, "client_id"), "b");

	/* And two in the body alone. */
	req = post(a, &io, &f, "x=1", FORM, "a=1&a=2", 0, CL_AUTO);
	CHECK(request_read_body(&req, 100) == 0);
	CHECK(request_has_duplicates(&req) == 1);
	CHECK_STREQ(request_value(&req, "a"), "2");
	arena_free(a);
}

static void
test_arena_reuse(void)
{
	struct arena *a = arena_new();
	struct request req;
	struct fake f;
	struct io io;
	int i;

	/* A warm FastCGI process: many requests over one arena. */
	for (i = 0; i < 1000; i++) {
		req = post(a, &io, &f, "a=1",
		    "multipart/form-data; boundary=XyZ",
		    "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n"
		    "b\r\n--XyZ--",
		    0, CL_AUTO);
		CHECK(request_read_body(&req, 100) == 0);
		CHECK_STREQ(request_value(&req, "a"), "b");
		arena_reset(a);
	}
	arena_free(a);
}

int
main(void)
{
	RUN(test_pct_decode);
	RUN(test_urlencoded_basic);
	RUN(test_urlencoded_pieces);
	RUN(test_urlencoded_bad);
	RUN(test_urlencoded_append);
	RUN(test_urlencoded_cap);
	RUN(test_multipart_basic);
	RUN(test_multipart_boundary);
	RUN(test_multipart_framing);
	RUN(test_multipart_parts);
	RUN(test_multipart_bad_parts);
	RUN(test_multipart_many_headers);
	RUN(test_json_types);
	RUN(test_json_bad);
	RUN(test_json_depth);
	RUN(test_json_errors);
	RUN(test_init);
	RUN(test_init_defaults);
	RUN(test_body_kinds);
	RUN(test_body_parse_errors);
	RUN(test_body_limits);
	RUN(test_body_bad_length);
	RUN(test_param_lookup);
	RUN(test_duplicates_across);
	RUN(test_arena_reuse);
	return unit_done();
}

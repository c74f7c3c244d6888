/* request.c - see request.h */
#include "request.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>

#include "arena.h"
#include "buf.h"
#include "jsonbody.h"
#include "mime.h"
#include "plist.h"
#include "utf8.h"
#include "util.h"

/* Bodies we refuse are still read and thrown away, in chunks this big... */
#define DRAIN_CHUNK 4096
/* ...up to this much; past it the connection is not worth saving. */
#define DRAIN_MAX (16UL * 1024 * 1024)

/*
 * application/x-www-form-urlencoded
 */

int
request_pct_decode(struct arena *a, const char *s, size_t n, int plus_space,
    char **out, size_t *outlen)
{
	char *d;
	size_t i, j = 0;
	int hi, lo;

	d = arena_alloc(a, n + 1);
	for (i = 0; i < n; i++) {
		if (s[i] == '%') {
			/*
			 * PHP passes "%G1" and a trailing "%" through as they
			 * are; we refuse them, as the WHATWG URL parser's
			 * "validation error" would, so that two readers of one
			 * request cannot disagree about a value.
			 */
			if (n - i < 3 || (hi = hex_digit(s[i + 1])) < 0 ||
			    (lo = hex_digit(s[i + 2])) < 0)
				return -1;
			d[j++] = (char)(hi << 4 | lo);
			i += 2;
		} else if (s[i] == '+' && plus_space)
			d[j++] = ' ';
		else
			d[j++] = s[i];
	}
	d[j] = '\0';
	*out = d;
	*outlen = j;
	return 0;
}

int
request_parse_urlencoded(struct arena *a, const char *s, size_t n,
    enum param_src src, struct param **list)
{
	struct plist pl;
	const char *amp, *eq;
	char *name, *value;
	size_t i, end, nlen, vlen, vstart;

	plist_init(&pl, list);
	/* Only '&' separates: the HTML ';' alternative died with HTML 4. */
	for (i = 0; i < n; i = end + 1) {
		amp = memchr(s + i, '&', n - i);
		end = amp != NULL ? (size_t)(amp - s) : n;
		if (end == i)
			continue; /* "a=1&&b=2", a leading or trailing '&' */
		eq = memchr(s + i, '=', end - i);
		vstart = eq != NULL ? (size_t)(eq - s) + 1 : end;
		if (request_pct_decode(a, s + i,
			(eq != NULL ? vstart - 1 : end) - i, 1, &name,
			&nlen) == -1 ||
		    request_pct_decode(a, s + vstart, end - vstart, 1, &value,
			&vlen) == -1)
			return -1;
		if (nlen == 0) {
			/* "=x" names nothing (PHP drops it too), but is checked. */
			if (!plist_text_ok(value, vlen))
				return -1;
			continue;
		}
		if (plist_add(a, &pl, name, nlen, value, vlen, src,
			PJ_STRING) == -1)
			return -1;
	}
	plist_commit(&pl, list);
	return 0;
}

/* The body parsers live in mime.c and jsonbody.c; these keep request.h's API. */
int
request_parse_multipart(struct arena *a, const char *body, size_t n,
    const char *content_type, struct param **list)
{
	return mime_parse_multipart(a, body, n, content_type, list);
}

int
request_parse_json(struct arena *a, const char *body, size_t n,
    struct param **list)
{
	return jsonbody_parse(a, body, n, list) == INPUT_OK ? 0 : -1;
}

/*
 * The request
 */

static const char *
env(const struct request *req, const char *name)
{
	return req->io->getenv(req->io->ctx, name);
}

/*
 * A copy in the arena: FCGX_GetParam()'s strings live only until the next
 * accept, and nothing of a request may outlive its arena anyway.
 */
static const char *
env_dup(const struct request *req, const char *name, const char *absent)
{
	const char *s = env(req, name);

	return s != NULL ? arena_strdup(req->arena, s) : absent;
}

static enum method
method_of(const char *s)
{
	/* Methods are case-sensitive (RFC 7231 section 4.1). */
	if (strcmp(s, "GET") == 0)
		return METHOD_GET;
	if (strcmp(s, "POST") == 0)
		return METHOD_POST;
	if (strcmp(s, "HEAD") == 0)
		return METHOD_HEAD;
	return METHOD_OTHER;
}

/* splitmix64's finaliser: a bijection that spreads every input bit. */
static uint64_t
mix64(uint64_t x)
{
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static void
request_id(char id[17])
{
	/*
	 * The one mutable state of this file. An id only ties the log lines
	 * of one request together: it needs to be unique, not secret. So
	 * RAND_bytes() runs once per process (it costs a few microseconds
	 * a call, about 2 % of a /readyz request: docs/performance.md) and
	 * every request takes the next value of a counter from there, mixed
	 * by mix64(), a bijection: distinct within the process, and
	 * distinct across processes unless two random 64-bit starts meet.
	 * When RAND_bytes() fails the start is the time and pid instead.
	 */
	static uint64_t next;
	static int seeded;
	static const char hex[] = "0123456789abcdef";
	unsigned char r[8];
	struct timespec ts;
	uint64_t x;
	size_t i;

	if (!seeded) {
		if (RAND_bytes(r, sizeof(r)) == 1) {
			for (x = 0, i = 0; i < sizeof(r); i++)
				x = x << 8 | r[i];
		} else {
			ERR_clear_error();
			if (clock_gettime(CLOCK_REALTIME, &ts) == -1)
				ts.tv_sec = ts.tv_nsec = 0;
			x = (uint64_t)ts.tv_sec * 1000000000U +
			    (uint64_t)ts.tv_nsec;
			x ^= (uint64_t)getpid() << 40;
		}
		next = x;
		seeded = 1;
	}
	x = mix64(next++);
	for (i = 0; i < 8; i++) {
		r[i] = (unsigned char)(x >> (8 * i));
		id[2 * i] = hex[r[i] >> 4];
		id[2 * i + 1] = hex[r[i] & 0x0f];
	}
	id[16] = '\0';
}

void
request_init(struct request *req, struct arena *a, const struct io *io)
{
	unsigned long long cl;
	const char *s;

	memset(req, 0, sizeof(*req));
	req->arena = a;
	req->io = io;
	req->method_str = env_dup(req, "REQUEST_METHOD", "");
	req->method = method_of(req->method_str);
	s = env(req, "PATH_INFO");
	req->path = s != NULL && *s != '\0' ? arena_strdup(a, s) : "/";
	req->script_name = env_dup(req, "SCRIPT_NAME", "");
	req->query = env_dup(req, "QUERY_STRING", "");
	req->content_type = env_dup(req, "CONTENT_TYPE", "");
	req->remote_addr = env_dup(req, "REMOTE_ADDR", "");
	req->user_agent = env_dup(req, "HTTP_USER_AGENT", NULL);
	req->authorization = env_dup(req, "HTTP_AUTHORIZATION", NULL);
	req->cookie = env_dup(req, "HTTP_COOKIE", NULL);
	req->host = env_dup(req, "HTTP_HOST", "");
	s = env(req, "HTTPS");
	req->https = s != NULL && strcasecmp(s, "on") == 0;

	/*
	 * RFC 7230 section 3.3.2: Content-Length is 1*DIGIT (parse_ull()
	 * refuses signs). Some servers pass an empty one for "none". A bad
	 * one cannot be reported from here, so it is kept in body_err for
	 * request_read_body() to act on.
	 */
	req->content_length = -1;
	s = env(req, "CONTENT_LENGTH");
	if (s != NULL && *s != '\0') {
		if (parse_ull(s, LLONG_MAX, &cl) == 0)
			req->content_length = (long long)cl;
		else
			req->body_err = INPUT_ENCODING;
	}
	request_id(req->id);
	if (request_parse_urlencoded(a, req->query, strlen(req->query),
		PARAM_QUERY, &req->query_params) == -1)
		req->query_err = INPUT_ENCODING;
}

/*
 * Read into dst until n bytes, the end of the input or an error: the count
 * read; *err is 1 after an error.
 */
static size_t
read_full(const struct io *io, char *dst, size_t n, int *err)
{
	size_t got = 0;
	long r;

	*err = 0;
	while (got < n) {
		r = io->read(io->ctx, dst + got, n - got);
		if (r == 0)
			break;
		if (r < 0 || (unsigned long)r > n - got) {
			*err = 1;
			break;
		}
		got += (size_t)r;
	}
	return got;
}

/*
 * Read and discard up to max bytes of a body we refuse. Under FastCGI the
 * web server writes the whole body to our socket whatever we answer; a
 * body left unread can break the connection before our response is read.
 */
static void
drain(const struct io *io, size_t max)
{
	char chunk[DRAIN_CHUNK];
	size_t done = 0, want;
	long r;

	while (done < max) {
		want = max - done < sizeof(chunk) ? max - done : sizeof(chunk);
		r = io->read(io->ctx, chunk, want);
		if (r <= 0 || (unsigned long)r > want)
			break;
		done += (size_t)r;
	}
	/* What we threw away may hold a password. */
	OPENSSL_cleanse(chunk, sizeof(chunk));
}

/*
 * A body without Content-Length (chunked): up to cap bytes into *b; 0,
 * or -1 on a read error.
 */
static int
read_unsized(const struct io *io, struct buf *b, size_t cap)
{
	size_t want, got;
	int err;

	while (b->len < cap) {
		want = cap - b->len < DRAIN_CHUNK ? cap - b->len : DRAIN_CHUNK;
		buf_grow(b, want);
		got = read_full(io, b->p + b->len, want, &err);
		b->len += got;
		b->p[b->len] = '\0';
		if (err)
			return -1;
		if (got < want)
			break; /* end of input */
	}
	return 0;
}

int
request_read_body(struct request *req, size_t limit)
{
	const struct io *io = req->io;
	struct buf b = BUF_INIT;
	long long cl = req->content_length;
	size_t n;
	char *body;
	int err;

	req->body = NULL;
	req->body_len = 0;
	req->body_params = NULL;
	/*
	 * body_kind follows Content-Type even when the body is refused, so a
	 * handler can tell "a JSON body we refused" from "no body".
	 */
	req->body_kind = mime_body_kind(req->content_type);
	if (req->body_err != INPUT_OK) {
		/* request_init() found a Content-Length that is no number. */
		drain(io, DRAIN_MAX);
		goto out;
	}
	if (cl >= 0) {
		/* Refused before a byte is kept (SPEC section 11). */
		if ((unsigned long long)cl > limit) {
			req->body_err = INPUT_TOO_LARGE;
			drain(io,
			    (unsigned long long)cl < DRAIN_MAX ? (size_t)cl :
								 DRAIN_MAX);
			goto out;
		}
		n = (size_t)cl;
		body = arena_alloc(req->arena, n + 1);
		/* Fewer bytes than announced: the client went away. */
		if (read_full(io, body, n, &err) != n) {
			req->body_err = INPUT_IO;
			goto out;
		}
	} else {
		/* One byte over the limit tells "too large" from "just fits". */
		if (read_unsized(io, &b,
			limit < SIZE_MAX ? limit + 1 : limit) == -1) {
			req->body_err = INPUT_IO;
			goto out;
		}
		if (b.len > limit) {
			req->body_err = INPUT_TOO_LARGE;
			drain(io, DRAIN_MAX);
			goto out;
		}
		n = b.len;
		body = arena_strndup(req->arena, buf_str(&b), n);
	}
	if (n == 0) {
		req->body_kind = BODY_NONE;
		goto out;
	}
	req->body = body;
	req->body_len = n;

	/* On failure the parsers append nothing: body_params stays empty. */
	switch (req->body_kind) {
	case BODY_FORM:
		if (request_parse_urlencoded(req->arena, body, n, PARAM_BODY,
			&req->body_params) == -1)
			req->body_err = INPUT_ENCODING;
		break;
	case BODY_MULTIPART:
		if (mime_parse_multipart(req->arena, body, n, req->content_type,
			&req->body_params) == -1)
			req->body_err = INPUT_ENCODING;
		break;
	case BODY_JSON:
		req->body_err =
		    jsonbody_parse(req->arena, body, n, &req->body_params);
		break;
	default:
		break; /* kept raw for the handler */
	}
out:
	buf_free(&b);
	return req->body_err == INPUT_OK ? 0 : -1;
}

/*
 * Reading parameters
 */

static const struct param *
last_of(const struct param *p, const char *name)
{
	const struct param *found = NULL;

	for (; p != NULL; p = p->next)
		if (strcmp(p->name, name) == 0)
			found = p;
	return found;
}

const struct param *
request_param(const struct request *req, const char *name)
{
	const struct param *p;

	/* PHP's $_REQUEST with request_order "GP": the body wins. */
	if ((p = last_of(req->body_params, name)) != NULL)
		return p;
	return last_of(req->query_params, name);
}

const char *
request_value(const struct request *req, const char *name)
{
	const struct param *p = request_param(req, name);

	return p != NULL ? p->value : NULL;
}

size_t
request_count(const struct request *req, const char *name)
{
	const struct param *p;
	size_t n = 0;

	for (p = req->query_params; p != NULL; p = p->next)
		if (strcmp(p->name, name) == 0)
			n++;
	for (p = req->body_params; p != NULL; p = p->next)
		if (strcmp(p->name, name) == 0)
			n++;
	return n;
}

int
request_has_duplicates(const struct request *req)
{
	const struct param *p;

	/* O(n^2), with n at most 2 * PLIST_MAX. */
	for (p = req->query_params; p != NULL; p = p->next)
		if (request_count(req, p->name) > 1)
			return 1;
	for (p = req->body_params; p != NULL; p = p->next)
		if (request_count(req, p->name) > 1)
			return 1;
	return 0;
}

const char *
request_header(const struct request *req, const char *cgi_name)
{
	return env(req, cgi_name);
}

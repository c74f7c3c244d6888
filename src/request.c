/* request.c - see request.h */
#include "request.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>

#include "arena.h"
#include "buf.h"
#include "utf8.h"
#include "util.h"

/*
 * More parameters than this in one source (query string or body) is
 * refused as INPUT_ENCODING: no form of ours has a tenth of it, and it
 * keeps the O(n^2) duplicate checks below cheap whatever a client sends.
 */
#define MAX_PARAMS 256
/* Bodies we refuse are still read and thrown away, in chunks this big... */
#define DRAIN_CHUNK 4096
/* ...up to this much; past it the connection is not worth saving. */
#define DRAIN_MAX (16UL * 1024 * 1024)
/*
 * json_tokener_new_ex(32) refuses a 32nd level of nesting; the pre-check
 * in json_lex() uses the same bound so the two never disagree.
 */
#define JSON_MAX_DEPTH 32
/* RFC 2046 section 5.1.1: a boundary is 1 to 70 characters. */
#define BOUNDARY_MAX 70
/* Browsers send two or three headers per part; a bound keeps us linear. */
#define PART_MAX_HEADERS 16

/* A parameter list being built: appended to the caller's only when whole. */
struct plist {
	struct param *head;
	struct param *tail;
	size_t n; /* parameters in the caller's list plus ours */
};

static void
plist_init(struct plist *pl, struct param *const *list)
{
	const struct param *p;

	pl->head = pl->tail = NULL;
	pl->n = 0;
	for (p = *list; p != NULL; p = p->next)
		pl->n++;
}

/* Text a handler may see: no NUL byte, valid UTF-8 (STYLE habit 3). */
static int
text_ok(const char *s, size_t n)
{
	return memchr(s, '\0', n) == NULL && utf8_valid(s, n);
}

/*
 * The one place a parameter is created, so every parser gives the same
 * guarantee: name and value checked by text_ok(), copied to the arena.
 */
static int
plist_add(struct arena *a, struct plist *pl, const char *name, size_t nlen,
    const char *value, size_t vlen, enum param_src src, enum param_jtype jtype)
{
	struct param *p;

	if (!text_ok(name, nlen) || !text_ok(value, vlen))
		return -1;
	if (pl->n >= MAX_PARAMS)
		return -1;
	p = arena_alloc(a, sizeof(*p));
	p->name = arena_strndup(a, name, nlen);
	p->value = arena_strndup(a, value, vlen);
	p->len = vlen;
	p->src = src;
	p->jtype = jtype;
	p->next = NULL;
	if (pl->tail != NULL)
		pl->tail->next = p;
	else
		pl->head = p;
	pl->tail = p;
	pl->n++;
	return 0;
}

static void
plist_commit(struct plist *pl, struct param **list)
{
	while (*list != NULL)
		list = &(*list)->next;
	*list = pl->head;
}

/*
 * application/x-www-form-urlencoded
 */

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

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
			if (n - i < 3 || (hi = hexval(s[i + 1])) < 0 ||
			    (lo = hexval(s[i + 2])) < 0)
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
		if (request_pct_decode(a, s + i, (eq != NULL ? vstart - 1 : end) - i,
		    1, &name, &nlen) == -1 ||
		    request_pct_decode(a, s + vstart, end - vstart, 1, &value,
		    &vlen) == -1)
			return -1;
		if (nlen == 0) {
			/* "=x" names nothing (PHP drops it too), but is checked. */
			if (!text_ok(value, vlen))
				return -1;
			continue;
		}
		if (plist_add(a, &pl, name, nlen, value, vlen, src, PJ_STRING) ==
		    -1)
			return -1;
	}
	plist_commit(&pl, list);
	return 0;
}

/*
 * Header fields with parameters: Content-Type, Content-Disposition
 */

/* RFC 7230 section 3.2.6 tchar. */
static int
is_tchar(int c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static size_t
skip_ows(const char *s, size_t n, size_t i)
{
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	return i;
}

/* 1 when s[0..n) is `word`, ignoring ASCII case. */
static int
word_eq(const char *s, size_t n, const char *word)
{
	return n == strlen(word) && strncasecmp(s, word, n) == 0;
}

/*
 * The value of parameter `want` in s[0..n), a header value's parameter
 * list ("; name=value; name=\"quoted\"", RFC 7231 section 3.1.1.1, RFC 6266
 * section 4.1): 1 with a copy in *out, 0 when absent, -1 when the list is
 * malformed or holds `want` twice -- a proxy in front of us might read the
 * other one. Only the wanted value is copied, so a long list costs no
 * more than one pass.
 */
static int
hdr_param(struct arena *a, const char *s, size_t n, const char *want,
    char **out, size_t *outlen)
{
	size_t i = 0, ns, ne, vs, ve, vlen;
	int found = 0, match;
	char *v;

	for (;;) {
		i = skip_ows(s, n, i);
		if (i == n)
			break;
		if (s[i] != ';')
			return -1;
		i = skip_ows(s, n, i + 1);
		if (i == n)
			break; /* a trailing ';' is harmless */
		for (ns = i; i < n && is_tchar((unsigned char)s[i]); i++)
			continue;
		ne = i;
		if (ne == ns)
			return -1;
		i = skip_ows(s, n, i);
		if (i == n || s[i] != '=')
			return -1;
		i = skip_ows(s, n, i + 1);
		match = word_eq(s + ns, ne - ns, want);
		if (match && found)
			return -1;
		if (i < n && s[i] == '"') {
			/* quoted-string: a backslash quotes the next byte. */
			for (vs = ++i, vlen = 0;; i++, vlen++) {
				if (i == n)
					return -1;
				if (s[i] == '"')
					break;
				if (s[i] == '\\' && ++i == n)
					return -1;
				if (((unsigned char)s[i] < 0x20 && s[i] != '\t') ||
				    s[i] == 0x7f)
					return -1;
			}
			ve = i++;
			if (match) {
				v = arena_alloc(a, vlen + 1);
				for (vlen = 0; vs < ve; vs++) {
					if (s[vs] == '\\')
						vs++;
					v[vlen++] = s[vs];
				}
				*out = v;
				*outlen = vlen;
				found = 1;
			}
		} else {
			for (vs = i; i < n && is_tchar((unsigned char)s[i]); i++)
				continue;
			if (i == vs)
				return -1;
			if (match) {
				*out = arena_strndup(a, s + vs, i - vs);
				*outlen = i - vs;
				found = 1;
			}
		}
	}
	return found;
}

/*
 * The media type of a Content-Type value: its start and length, without
 * parameters or surrounding whitespace.
 */
static const char *
media_type(const char *ct, size_t *len)
{
	size_t i, n;

	i = skip_ows(ct, strlen(ct), 0);
	for (n = 0; ct[i + n] != '\0' && ct[i + n] != ';'; n++)
		continue;
	while (n > 0 && (ct[i + n - 1] == ' ' || ct[i + n - 1] == '\t'))
		n--;
	*len = n;
	return ct + i;
}

static enum body_kind
body_kind_of(const char *ct)
{
	const char *t;
	size_t n;

	/*
	 * No Content-Type at all: some old clients post a form without one
	 * (PHP parsed it as a form all the same).
	 */
	if (*ct == '\0')
		return BODY_FORM;
	t = media_type(ct, &n);
	if (word_eq(t, n, "application/x-www-form-urlencoded"))
		return BODY_FORM;
	if (word_eq(t, n, "multipart/form-data"))
		return BODY_MULTIPART;
	if (word_eq(t, n, "application/json"))
		return BODY_JSON;
	/* RFC 6839 section 3.1: application/<something>+json. */
	if (n > sizeof("application/+json") - 1 &&
	    strncasecmp(t, "application/", 12) == 0 &&
	    strncasecmp(t + n - 5, "+json", 5) == 0)
		return BODY_JSON;
	return BODY_OTHER;
}

/*
 * multipart/form-data (RFC 7578, framed as in RFC 2046 section 5.1.1)
 */

/* RFC 2046 bchars; every client we know of stays well inside them. */
static int
is_bchar(int c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("'()+_,-./:=? ", c) != NULL;
}

/* The boundary parameter of a multipart/form-data content type. */
static int
multipart_boundary(struct arena *a, const char *ct, char **b, size_t *blen)
{
	const char *t;
	size_t n, i;

	t = media_type(ct, &n);
	if (!word_eq(t, n, "multipart/form-data"))
		return -1;
	if (hdr_param(a, t + n, strlen(t + n), "boundary", b, blen) != 1)
		return -1;
	if (*blen == 0 || *blen > BOUNDARY_MAX || (*b)[*blen - 1] == ' ')
		return -1;
	for (i = 0; i < *blen; i++)
		if (!is_bchar((unsigned char)(*b)[i]))
			return -1;
	return 0;
}

/*
 * Content-Disposition: form-data; name="..."[; filename="..."] of one
 * part (RFC 7578 section 4.2): the name, and whether the part is a file.
 */
static int
part_disposition(struct arena *a, const char *s, size_t n, char **name,
    size_t *nlen, int *is_file)
{
	char *fn;
	size_t i, ts, fnlen;
	int r1, r2;

	i = skip_ows(s, n, 0);
	for (ts = i; i < n && is_tchar((unsigned char)s[i]); i++)
		continue;
	if (!word_eq(s + ts, i - ts, "form-data"))
		return -1;
	if (hdr_param(a, s + i, n - i, "name", name, nlen) != 1)
		return -1;
	/* filename* is RFC 6266's extended form; either marks a file. */
	if ((r1 = hdr_param(a, s + i, n - i, "filename", &fn, &fnlen)) == -1 ||
	    (r2 = hdr_param(a, s + i, n - i, "filename*", &fn, &fnlen)) == -1)
		return -1;
	*is_file = r1 == 1 || r2 == 1;
	return 0;
}

/*
 * The header block of a part starting at *pos, through its empty line;
 * *pos is left at the part's body. Only Content-Disposition matters
 * (Content-Type and the rest are ignored) and it must be there, once.
 */
static int
part_headers(struct arena *a, const char *body, size_t n, size_t *pos,
    char **name, size_t *nlen, int *is_file)
{
	const char *line, *eol, *colon, *c;
	size_t i = *pos, llen;
	int nheaders = 0, seen = 0;

	for (;;) {
		if ((eol = memmem(body + i, n - i, "\r\n", 2)) == NULL)
			return -1;
		line = body + i;
		llen = (size_t)(eol - line);
		i += llen + 2;
		if (llen == 0)
			break;
		if (++nheaders > PART_MAX_HEADERS)
			return -1;
		/*
		 * A field name is a token: this also refuses obsolete line
		 * folding (a line starting with a space), which RFC 7578
		 * senders never use.
		 */
		if ((colon = memchr(line, ':', llen)) == NULL || colon == line)
			return -1;
		for (c = line; c < colon; c++)
			if (!is_tchar((unsigned char)*c))
				return -1;
		if (!word_eq(line, (size_t)(colon - line), "Content-Disposition"))
			continue;
		if (seen++)
			return -1;
		if (part_disposition(a, colon + 1, llen - (size_t)(colon + 1 - line),
		    name, nlen, is_file) == -1)
			return -1;
	}
	if (!seen)
		return -1;
	*pos = i;
	return 0;
}

int
request_parse_multipart(struct arena *a, const char *body, size_t n,
    const char *content_type, struct param **list)
{
	struct plist pl;
	char delim[4 + BOUNDARY_MAX];
	char *b, *name;
	const char *p;
	size_t blen, dlen, pos, vend, nlen;
	int is_file;

	if (n == 0 || content_type == NULL ||
	    multipart_boundary(a, content_type, &b, &blen) == -1)
		return -1;
	/* The delimiter is CRLF "--" boundary (RFC 2046 section 5.1.1). */
	memcpy(delim, "\r\n--", 4);
	memcpy(delim + 4, b, blen);
	dlen = 4 + blen;

	plist_init(&pl, list);
	/* The first delimiter opens the body or ends a preamble. */
	if (n >= dlen - 2 && memcmp(body, delim + 2, dlen - 2) == 0)
		pos = dlen - 2;
	else if ((p = memmem(body, n, delim, dlen)) != NULL)
		pos = (size_t)(p - body) + dlen;
	else
		return -1;

	/* Here pos is just past a "--boundary". */
	for (;;) {
		if (n - pos >= 2 && body[pos] == '-' && body[pos + 1] == '-')
			break; /* the close delimiter: the epilogue is ignored */
		/*
		 * Only transport padding and CRLF may follow a delimiter.
		 * Anything else means the boundary also occurs inside a part,
		 * which RFC 2046 forbids; we refuse rather than guess where
		 * the part ends.
		 */
		pos = skip_ows(body, n, pos);
		if (n - pos < 2 || body[pos] != '\r' || body[pos + 1] != '\n')
			return -1;
		pos += 2;
		if (part_headers(a, body, n, &pos, &name, &nlen, &is_file) == -1)
			return -1;
		/* No next delimiter: the body was cut short. */
		if ((p = memmem(body + pos, n - pos, delim, dlen)) == NULL)
			return -1;
		vend = (size_t)(p - body);
		/*
		 * A file part would be PHP's $_FILES: no API of ours takes a
		 * file, so its (binary) content is skipped unchecked.
		 */
		if (!is_file) {
			if (nlen == 0) {
				if (!text_ok(body + pos, vend - pos))
					return -1;
			} else if (plist_add(a, &pl, name, nlen, body + pos,
			    vend - pos, PARAM_BODY, PJ_STRING) == -1)
				return -1;
		}
		pos = vend + dlen;
	}
	plist_commit(&pl, list);
	return 0;
}

/*
 * application/json
 *
 * json-c's tokener, even with JSON_TOKENER_STRICT, accepts more than RFC
 * 8259 (single quotes, NaN and Infinity, raw control characters in
 * strings, "1."), clamps integers it cannot hold, turns a lone surrogate
 * escape into U+FFFD, cuts an object key at "\u0000" and keeps only the
 * last of duplicate keys. json_lex() checks the tokens first, so that a
 * value is refused rather than changed; json-c then checks the structure
 * and builds the tree.
 */

/* RFC 8259 section 2 whitespace. */
static int
json_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* What may follow a number or a literal. */
static int
json_delim(const char *s, size_t n, size_t i)
{
	return i == n || json_ws(s[i]) || s[i] == ',' || s[i] == ']' ||
	    s[i] == '}';
}

static int
json_digit(const char *s, size_t n, size_t i)
{
	return i < n && s[i] >= '0' && s[i] <= '9';
}

static int
json_hex4(const char *s, size_t n, size_t i, unsigned int *u)
{
	size_t k;
	int h;

	if (n - i < 4)
		return -1;
	for (*u = 0, k = 0; k < 4; k++) {
		if ((h = hexval(s[i + k])) < 0)
			return -1;
		*u = *u << 4 | (unsigned int)h;
	}
	return 0;
}

/*
 * A string from its opening quote at *ip; *ip ends past the closing one.
 * Returns INPUT_OK, INPUT_JSON (bad syntax) or INPUT_ENCODING (NUL, a lone
 * surrogate, invalid UTF-8).
 */
static enum input_err
json_lex_string(const char *s, size_t n, size_t *ip)
{
	unsigned int cp, u;
	size_t i = *ip + 1, k;
	unsigned char c;

	for (;;) {
		if (i == n)
			return INPUT_JSON;
		c = (unsigned char)s[i];
		if (c == '"')
			break;
		if (c == '\0')
			return INPUT_ENCODING;
		if (c < 0x20)
			return INPUT_JSON; /* RFC 8259 section 7 */
		if (c >= 0x80) {
			if ((k = utf8_decode(s + i, n - i, &cp)) == 0)
				return INPUT_ENCODING;
			i += k;
			continue;
		}
		i++;
		if (c != '\\')
			continue;
		if (i == n)
			return INPUT_JSON;
		if (s[i] != 'u') {
			if (s[i] == '\0' || strchr("\"\\/bfnrt", s[i]) == NULL)
				return INPUT_JSON;
			i++;
			continue;
		}
		if (json_hex4(s, n, i + 1, &u) == -1)
			return INPUT_JSON;
		i += 5;
		if (u == 0 || (u >= 0xdc00 && u <= 0xdfff))
			return INPUT_ENCODING;
		if (u >= 0xd800 && u <= 0xdbff) {
			/* A high surrogate must be followed by a low one. */
			if (n - i < 2 || s[i] != '\\' || s[i + 1] != 'u')
				return INPUT_ENCODING;
			if (json_hex4(s, n, i + 2, &u) == -1)
				return INPUT_JSON;
			if (u < 0xdc00 || u > 0xdfff)
				return INPUT_ENCODING;
			i += 6;
		}
	}
	*ip = i + 1;
	return INPUT_OK;
}

/*
 * An integer json-c can hold without clamping: int64 when negative,
 * uint64 otherwise. d[0..n) are the digits, without leading zeros.
 */
static int
json_int_fits(const char *d, size_t n, int neg)
{
	const char *max = neg ? "9223372036854775808" : "18446744073709551615";
	size_t mlen = strlen(max);

	return n < mlen || (n == mlen && memcmp(d, max, n) <= 0);
}

/* A number at *ip (RFC 8259 section 6); *ip ends past it. */
static int
json_lex_number(const char *s, size_t n, size_t *ip)
{
	size_t i = *ip, ds;
	int neg = 0, integral = 1;

	if (s[i] == '-') {
		neg = 1;
		i++;
	}
	ds = i;
	if (i < n && s[i] == '0')
		i++;
	else if (json_digit(s, n, i))
		while (json_digit(s, n, i))
			i++;
	else
		return -1;
	if (!json_int_fits(s + ds, i - ds, neg))
		integral = -1;
	if (i < n && s[i] == '.') {
		integral = 0;
		if (!json_digit(s, n, ++i))
			return -1;
		while (json_digit(s, n, i))
			i++;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		integral = 0;
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		if (!json_digit(s, n, i))
			return -1;
		while (json_digit(s, n, i))
			i++;
	}
	/* An integer json-c would clamp is refused, not changed. */
	if (integral == -1 || !json_delim(s, n, i))
		return -1;
	*ip = i;
	return 0;
}

/*
 * Check the tokens of s[0..n) and count the members of the top-level
 * object (the ':' at depth 1) into *members.
 */
static enum input_err
json_lex(const char *s, size_t n, size_t *members)
{
	static const char *const literals[] = {"true", "false", "null"};
	enum input_err e;
	size_t i = 0, k, len;
	int depth = 0;

	*members = 0;
	while (i < n) {
		switch (s[i]) {
		case ' ':
		case '\t':
		case '\r':
		case '\n':
		case ',':
			i++;
			break;
		case '{':
		case '[':
			if (++depth >= JSON_MAX_DEPTH)
				return INPUT_JSON;
			i++;
			break;
		case '}':
		case ']':
			depth--; /* mismatches are json-c's to find */
			i++;
			break;
		case ':':
			if (depth == 1)
				(*members)++;
			i++;
			break;
		case '"':
			if ((e = json_lex_string(s, n, &i)) != INPUT_OK)
				return e;
			break;
		case '-':
		case '0':
		case '1':
		case '2':
		case '3':
		case '4':
		case '5':
		case '6':
		case '7':
		case '8':
		case '9':
			if (json_lex_number(s, n, &i) == -1)
				return INPUT_JSON;
			break;
		default:
			for (k = 0; k < ARRAY_SIZE(literals); k++) {
				len = strlen(literals[k]);
				if (n - i >= len &&
				    memcmp(s + i, literals[k], len) == 0 &&
				    json_delim(s, n, i + len))
					break;
			}
			if (k == ARRAY_SIZE(literals))
				return s[i] == '\0' ? INPUT_ENCODING : INPUT_JSON;
			i += len;
			break;
		}
	}
	return INPUT_OK;
}

/* Every element of array v is a string: joined by spaces into *b. */
static int
json_join_strings(struct json_object *v, struct buf *b)
{
	struct json_object *e;
	size_t i, len = json_object_array_length(v);

	for (i = 0; i < len; i++) {
		e = json_object_array_get_idx(v, i);
		if (!json_object_is_type(e, json_type_string))
			return 0;
		if (i > 0)
			buf_putc(b, ' ');
		buf_add(b, json_object_get_string(e),
		    (size_t)json_object_get_string_len(e));
	}
	return 1;
}

/* One member of the top-level object as a parameter (see param_jtype). */
static int
json_member(struct arena *a, struct plist *pl, const char *key,
    struct json_object *v)
{
	struct buf b = BUF_INIT;
	enum param_jtype jtype;
	const char *s;
	size_t len;
	int r;

	switch (json_object_get_type(v)) {
	case json_type_null:
		s = "";
		jtype = PJ_NULL;
		break;
	case json_type_boolean:
		s = json_object_get_boolean(v) ? "true" : "false";
		jtype = PJ_BOOL;
		break;
	case json_type_int:
	case json_type_double:
		/* json-c prints a double as it was written ("2.50"). */
		s = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
		jtype = PJ_NUMBER;
		break;
	case json_type_string:
		s = json_object_get_string(v);
		jtype = PJ_STRING;
		break;
	case json_type_array:
		if (json_join_strings(v, &b)) {
			s = buf_str(&b);
			jtype = PJ_ARRAY;
			break;
		}
		/* FALLTHROUGH */
	default:
		s = json_object_to_json_string_ext(v,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
		jtype = PJ_OTHER;
		break;
	}
	/* json_lex() refused "\u0000", so strlen() sees the whole value. */
	len = s != NULL ? strlen(s) : 0;
	r = plist_add(a, pl, key, strlen(key), s != NULL ? s : "", len,
	    PARAM_BODY, jtype);
	buf_free(&b);
	return r;
}

static enum input_err
json_parse(struct arena *a, const char *body, size_t n, struct param **list)
{
	struct json_tokener *tok = NULL;
	struct json_object *obj = NULL;
	struct plist pl;
	enum input_err err;
	size_t members, i;

	if (n > INT_MAX) {
		err = INPUT_JSON;
		goto out;
	}
	if ((err = json_lex(body, n, &members)) != INPUT_OK)
		goto out;
	err = INPUT_JSON;
	for (i = 0; i < n && json_ws(body[i]); i++)
		continue;
	if (i == n || body[i] != '{')
		goto out;
	if ((tok = json_tokener_new_ex(JSON_MAX_DEPTH)) == NULL)
		abort(); /* out of memory, as in xmalloc() */
	json_tokener_set_flags(tok,
	    JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, body, (int)n);
	if (obj == NULL || json_tokener_get_error(tok) != json_tokener_success)
		goto out;
	/* One value, then only whitespace. */
	for (i = json_tokener_get_parse_end(tok); i < n; i++)
		if (!json_ws(body[i]))
			goto out;
	if (!json_object_is_type(obj, json_type_object))
		goto out;
	/*
	 * json-c kept only the last of duplicate keys; RFC 6749 section 3.1
	 * forbids repeated parameters and a collapsed one could not be seen.
	 */
	if ((size_t)json_object_object_length(obj) != members)
		goto out;
	err = INPUT_ENCODING;
	plist_init(&pl, list);
	{
		json_object_object_foreach(obj, key, val) {
			if (json_member(a, &pl, key, val) == -1)
				goto out;
		}
	}
	plist_commit(&pl, list);
	err = INPUT_OK;
out:
	json_object_put(obj);
	if (tok != NULL)
		json_tokener_free(tok);
	return err;
}

int
request_parse_json(struct arena *a, const char *body, size_t n,
    struct param **list)
{
	return json_parse(a, body, n, list) == INPUT_OK ? 0 : -1;
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
	 * The one mutable static of this file. The id only ties log lines
	 * together, so when RAND_bytes() fails a counter (distinct within a
	 * process) mixed with the time and pid (distinct across processes)
	 * is good enough -- and better than failing the request.
	 */
	static uint64_t fallback_seq;
	static const char hex[] = "0123456789abcdef";
	unsigned char r[8];
	struct timespec ts;
	uint64_t x;
	size_t i;

	if (RAND_bytes(r, sizeof(r)) != 1) {
		ERR_clear_error();
		if (clock_gettime(CLOCK_REALTIME, &ts) == -1)
			ts.tv_sec = ts.tv_nsec = 0;
		x = (uint64_t)ts.tv_sec * 1000000000U + (uint64_t)ts.tv_nsec;
		x ^= (uint64_t)getpid() << 40;
		x = mix64(x + ++fallback_seq * 0x9e3779b97f4a7c15ULL);
		for (i = 0; i < sizeof(r); i++)
			r[i] = (unsigned char)(x >> (8 * i));
	}
	for (i = 0; i < sizeof(r); i++) {
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
	req->body_kind = body_kind_of(req->content_type);
	if (req->body_err != INPUT_OK) {
		/* request_init() found a Content-Length that is no number. */
		drain(io, DRAIN_MAX);
		goto out;
	}
	if (cl >= 0) {
		/* Refused before a byte is kept (SPEC section 11). */
		if ((unsigned long long)cl > limit) {
			req->body_err = INPUT_TOO_LARGE;
			drain(io, (unsigned long long)cl < DRAIN_MAX ?
			    (size_t)cl : DRAIN_MAX);
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
		if (read_unsized(io, &b, limit < SIZE_MAX ? limit + 1 : limit) ==
		    -1) {
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
		if (request_parse_multipart(req->arena, body, n,
		    req->content_type, &req->body_params) == -1)
			req->body_err = INPUT_ENCODING;
		break;
	case BODY_JSON:
		req->body_err = json_parse(req->arena, body, n,
		    &req->body_params);
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

	/* O(n^2), with n at most 2 * MAX_PARAMS. */
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

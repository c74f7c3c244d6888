/* mime.c - see mime.h */
#include "mime.h"

#include <string.h>
#include <strings.h>

#include "arena.h"
#include "plist.h"
#include "utf8.h"

/* RFC 2046 section 5.1.1: a boundary is 1 to 70 characters. */
#define BOUNDARY_MAX 70
/* Browsers send two or three headers per part; a bound keeps us linear. */
#define PART_MAX_HEADERS 16

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
				if (((unsigned char)s[i] < 0x20 &&
					s[i] != '\t') ||
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
			for (vs = i; i < n && is_tchar((unsigned char)s[i]);
			     i++)
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

enum body_kind
mime_body_kind(const char *ct)
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
		if (!word_eq(line, (size_t)(colon - line),
			"Content-Disposition"))
			continue;
		if (seen++)
			return -1;
		if (part_disposition(a, colon + 1,
			llen - (size_t)(colon + 1 - line), name, nlen,
			is_file) == -1)
			return -1;
	}
	if (!seen)
		return -1;
	*pos = i;
	return 0;
}

int
mime_parse_multipart(struct arena *a, const char *body, size_t n,
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
		if (part_headers(a, body, n, &pos, &name, &nlen, &is_file) ==
		    -1)
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
				if (!plist_text_ok(body + pos, vend - pos))
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

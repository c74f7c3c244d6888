/*
 * fuzz_urlencoded.c - libFuzzer driver for request_parse_urlencoded().
 *
 * The input is a query string or form body. Checked: a parse either fails
 * and appends nothing, or every parameter is valid UTF-8 without NUL,
 * len == strlen(value), at most 256 of them, and percent-encoding what
 * came out and parsing it again gives the same list back. The raw input
 * also goes through utf8_sanitize() and utf8_prefix() (the User-Agent path
 * of device-info), whose results must be valid UTF-8.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "request.h"
#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_params(const struct param *p, enum param_src src)
{
	size_t n = 0;

	for (; p != NULL; p = p->next, n++) {
		if (p->name == NULL || p->value == NULL || p->name[0] == '\0')
			abort();
		if (strlen(p->value) != p->len || !utf8_valid(p->value, p->len))
			abort();
		if (!utf8_valid(p->name, strlen(p->name)))
			abort();
		if (p->src != src || p->jtype != PJ_STRING)
			abort();
	}
	if (n > 256)
		abort();
}

/* Everything but unreserved characters escaped, spaces as '+'. */
static void
encode(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char c;

	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
		    c == '~')
			buf_putc(b, (char)c);
		else if (c == ' ')
			buf_putc(b, '+');
		else {
			buf_putc(b, '%');
			buf_putc(b, hex[c >> 4]);
			buf_putc(b, hex[c & 0x0f]);
		}
	}
}

/* What the legacy dialect does to a User-Agent (SPEC 12b). */
static void
check_utf8(struct arena *a, const char *s, size_t n)
{
	size_t len, cut, max = n % 64;
	char *out;

	out = utf8_sanitize(a, s, n, &len);
	if (!utf8_valid(out, len) || out[len] != '\0' || len < n)
		abort();
	if (utf8_valid(s, n) != (len == n && memcmp(out, s, n) == 0))
		abort();
	if (utf8_count(out, len) != utf8_count(s, n))
		abort();
	cut = utf8_prefix(out, len, max);
	if (!utf8_valid(out, cut) || utf8_count(out, cut) > max)
		abort();
	if (cut < len && utf8_count(out, cut) != max)
		abort();
	cut = utf8_prefix(s, n, max);
	if (cut > n || !utf8_valid(s, cut))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct arena *a;
	struct param *list = NULL, *again = NULL;
	const struct param *p, *q;
	struct buf b = BUF_INIT;

	if (a == NULL)
		a = arena_new();
	check_utf8(a, (const char *)data, size);
	if (request_parse_urlencoded(a, (const char *)data, size, PARAM_QUERY,
	    &list) == -1) {
		if (list != NULL)
			abort();
		goto out;
	}
	check_params(list, PARAM_QUERY);

	/* Round trip: what we decoded, encoded again, decodes the same. */
	for (p = list; p != NULL; p = p->next) {
		if (p != list)
			buf_putc(&b, '&');
		encode(&b, p->name);
		buf_putc(&b, '=');
		encode(&b, p->value);
	}
	if (request_parse_urlencoded(a, buf_str(&b), b.len, PARAM_BODY,
	    &again) == -1)
		abort();
	for (p = list, q = again; p != NULL && q != NULL;
	    p = p->next, q = q->next)
		if (strcmp(p->name, q->name) != 0 || p->len != q->len ||
		    memcmp(p->value, q->value, p->len) != 0)
			abort();
	if (p != NULL || q != NULL)
		abort();
out:
	buf_free(&b);
	arena_reset(a);
	return 0;
}

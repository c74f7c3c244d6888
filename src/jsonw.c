/* jsonw.c - see jsonw.h */
#include "jsonw.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "utf8.h"

static const char hexdig[] = "0123456789abcdef";

/* Misuse of the writer is a programming error, not an input error. */
static void
misuse(const char *what)
{
	fprintf(stderr, "oauth-fcgi: jsonw: %s\n", what);
	abort();
}

/*
 * PHP's JSON_PRETTY_PRINT: a newline, then four spaces per open container
 * (php_json_pretty_print_indent() in ext/json/json_encoder.c).
 */
static void
newline_indent(struct jsonw *w)
{
	int i;

	buf_putc(w->out, '\n');
	for (i = 0; i < w->depth; i++)
		buf_add(w->out, "    ", 4);
}

/* Whatever has to precede a value: a separator, or nothing after a key. */
static void
before_value(struct jsonw *w)
{
	if (w->after_key) {
		w->after_key = 0;
		return;
	}
	if (w->depth == 0)
		return;
	if (w->is_obj[w->depth - 1])
		misuse("value in an object without a key");
	if (w->count[w->depth - 1])
		buf_putc(w->out, ',');
	w->count[w->depth - 1] = 1;
	if (w->style == JSONW_PHP_PRETTY)
		newline_indent(w);
}

/* \uXXXX with lower-case hex, as both PHP and JSON.stringify write it. */
static void
put_u16(struct buf *out, unsigned int u)
{
	char e[6];

	e[0] = '\\';
	e[1] = 'u';
	e[2] = hexdig[(u >> 12) & 0xf];
	e[3] = hexdig[(u >> 8) & 0xf];
	e[4] = hexdig[(u >> 4) & 0xf];
	e[5] = hexdig[u & 0xf];
	buf_add(out, e, sizeof(e));
}

/*
 * One non-ASCII sequence at s[0..n); returns the bytes consumed. PHP
 * escapes every code point above U+007F (json_escape_string() without
 * JSON_UNESCAPED_UNICODE), astral ones as a UTF-16 surrogate pair (RFC 8259
 * section 7); JSON.stringify writes them as they are. A byte that does not
 * start a valid sequence becomes U+FFFD, as PHP's
 * JSON_INVALID_UTF8_SUBSTITUTE would write it, instead of invalid output.
 */
static size_t
put_nonascii(struct jsonw *w, const char *s, size_t n)
{
	unsigned int cp;
	size_t len;

	if ((len = utf8_decode(s, n, &cp)) == 0) {
		if (w->style == JSONW_PHP_PRETTY)
			put_u16(w->out, 0xfffd);
		else
			buf_add(w->out, "\xef\xbf\xbd", 3);
		return 1;
	}
	if (w->style == JSONW_COMPACT)
		buf_add(w->out, s, len);
	else if (cp >= 0x10000) {
		cp -= 0x10000;
		put_u16(w->out, 0xd800 | (cp >> 10));
		put_u16(w->out, 0xdc00 | (cp & 0x3ff));
	} else
		put_u16(w->out, cp);
	return len;
}

/*
 * A JSON string (RFC 8259 section 7). Both styles escape '"', '\\' and
 * the control characters below U+0020 (\b \f \n \r \t, the rest \u00XX);
 * only PHP escapes '/' (JSON_UNESCAPED_SLASHES is not set in the legacy
 * code). DEL (0x7f) is written raw by both.
 */
static void
put_string(struct jsonw *w, const char *s, size_t n)
{
	size_t i = 0, run;
	unsigned char c;
	const char *esc;

	buf_putc(w->out, '"');
	while (i < n) {
		/* Copy the longest run that needs no escaping in one go. */
		for (run = i; run < n; run++) {
			c = (unsigned char)s[run];
			if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\' ||
			    (c == '/' && w->style == JSONW_PHP_PRETTY))
				break;
		}
		if (run > i)
			buf_add(w->out, s + i, run - i);
		if ((i = run) == n)
			break;
		c = (unsigned char)s[i];
		if (c >= 0x80) {
			i += put_nonascii(w, s + i, n - i);
			continue;
		}
		switch (c) {
		case '"':
			esc = "\\\"";
			break;
		case '\\':
			esc = "\\\\";
			break;
		case '/':
			esc = "\\/";
			break;
		case '\b':
			esc = "\\b";
			break;
		case '\f':
			esc = "\\f";
			break;
		case '\n':
			esc = "\\n";
			break;
		case '\r':
			esc = "\\r";
			break;
		case '\t':
			esc = "\\t";
			break;
		default:
			esc = NULL;
			put_u16(w->out, c);
			break;
		}
		if (esc != NULL)
			buf_add(w->out, esc, 2);
		i++;
	}
	buf_putc(w->out, '"');
}

static void
open_container(struct jsonw *w, int obj)
{
	before_value(w);
	if (w->depth >= JSONW_MAX_DEPTH)
		misuse("nesting deeper than JSONW_MAX_DEPTH");
	buf_putc(w->out, obj ? '{' : '[');
	w->count[w->depth] = 0;
	w->is_obj[w->depth] = (unsigned char)obj;
	w->depth++;
}

/*
 * PHP writes an empty container as "{}" or "[]" on one line; a non-empty
 * one gets its closing bracket on a line of its own at the outer indent.
 */
static void
close_container(struct jsonw *w, int obj)
{
	if (w->depth == 0 || w->is_obj[w->depth - 1] != obj)
		misuse("close does not match open");
	if (w->after_key)
		misuse("close after a key without a value");
	w->depth--;
	if (w->count[w->depth] && w->style == JSONW_PHP_PRETTY)
		newline_indent(w);
	buf_putc(w->out, obj ? '}' : ']');
}

void
jsonw_init(struct jsonw *w, struct buf *out, enum jsonw_style style)
{
	memset(w, 0, sizeof(*w));
	w->out = out;
	w->style = style;
}

void
jsonw_obj_open(struct jsonw *w)
{
	open_container(w, 1);
}

void
jsonw_obj_close(struct jsonw *w)
{
	close_container(w, 1);
}

void
jsonw_arr_open(struct jsonw *w)
{
	open_container(w, 0);
}

void
jsonw_arr_close(struct jsonw *w)
{
	close_container(w, 0);
}

void
jsonw_key(struct jsonw *w, const char *key)
{
	if (key == NULL || w->depth == 0 || !w->is_obj[w->depth - 1] ||
	    w->after_key)
		misuse("key outside an object or without a value");
	if (w->count[w->depth - 1])
		buf_putc(w->out, ',');
	w->count[w->depth - 1] = 1;
	if (w->style == JSONW_PHP_PRETTY)
		newline_indent(w);
	put_string(w, key, strlen(key));
	/* PHP: "key": value; JSON.stringify: "key":value. */
	if (w->style == JSONW_PHP_PRETTY)
		buf_add(w->out, ": ", 2);
	else
		buf_putc(w->out, ':');
	w->after_key = 1;
}

void
jsonw_str(struct jsonw *w, const char *s)
{
	/* A NULL string is an absent value (a NULL column): write null. */
	if (s == NULL)
		jsonw_null(w);
	else
		jsonw_strn(w, s, strlen(s));
}

void
jsonw_strn(struct jsonw *w, const char *s, size_t n)
{
	before_value(w);
	put_string(w, s, n);
}

void
jsonw_int(struct jsonw *w, long long v)
{
	before_value(w);
	buf_printf(w->out, "%lld", v);
}

void
jsonw_bool(struct jsonw *w, int v)
{
	before_value(w);
	if (v)
		buf_add(w->out, "true", 4);
	else
		buf_add(w->out, "false", 5);
}

void
jsonw_null(struct jsonw *w)
{
	before_value(w);
	buf_add(w->out, "null", 4);
}

void
jsonw_kstr(struct jsonw *w, const char *key, const char *s)
{
	jsonw_key(w, key);
	jsonw_str(w, s);
}

void
jsonw_kint(struct jsonw *w, const char *key, long long v)
{
	jsonw_key(w, key);
	jsonw_int(w, v);
}

void
jsonw_kbool(struct jsonw *w, const char *key, int v)
{
	jsonw_key(w, key);
	jsonw_bool(w, v);
}

void
jsonw_knull(struct jsonw *w, const char *key)
{
	jsonw_key(w, key);
	jsonw_null(w);
}

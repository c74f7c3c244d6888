/* jsonbody.c - see jsonbody.h */
#include "jsonbody.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "arena.h"
#include "buf.h"
#include "plist.h"
#include "utf8.h"
#include "util.h"

/*
 * json_tokener_new_ex(32) refuses a 32nd level of nesting; the pre-check
 * in json_lex() uses the same bound so the two never disagree.
 */
#define JSON_MAX_DEPTH 32

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
		if ((h = hex_digit(s[i + k])) < 0)
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
	static const char *const literals[] = { "true", "false", "null" };
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
				return s[i] == '\0' ? INPUT_ENCODING :
						      INPUT_JSON;
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

enum input_err
jsonbody_parse(struct arena *a, const char *body, size_t n, struct param **list)
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
		json_object_object_foreach(obj, key, val)
		{
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

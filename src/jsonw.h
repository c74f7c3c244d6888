/*
 * jsonw.h - a streaming JSON writer with two output styles.
 *
 * JSONW_COMPACT writes what JavaScript's JSON.stringify writes: no spaces,
 * '/' unescaped, non-ASCII as raw UTF-8, control characters as \b \f \n \r
 * \t or \u00XX. Used by every dialect except the legacy one.
 *
 * JSONW_PHP_PRETTY writes byte for byte what PHP's
 * json_encode($v, JSON_PRETTY_PRINT) writes: 4-space indentation, "key": value,
 * '/' as "\/", every non-ASCII code point as \uXXXX with lower-case hex
 * (astral ones as a surrogate pair), empty arrays "[]" and empty objects
 * "{}", no trailing newline. Used by the legacy dialect (SPEC section L).
 *
 * Strings passed in must be valid UTF-8 (parameters are validated on the way
 * in); an invalid byte is written as U+FFFD rather than producing bad JSON.
 * Nesting deeper than JSONW_MAX_DEPTH aborts (a programming error).
 */
#ifndef JSONW_H
#define JSONW_H

#include <stddef.h>

struct buf;

#define JSONW_MAX_DEPTH 16

enum jsonw_style { JSONW_COMPACT, JSONW_PHP_PRETTY };

struct jsonw {
	struct buf *out;
	enum jsonw_style style;
	int depth;
	/* per level: 0 nothing written yet, 1 something written */
	unsigned char count[JSONW_MAX_DEPTH];
	unsigned char is_obj[JSONW_MAX_DEPTH];
	int after_key; /* a key was just written: the value follows it */
};

void jsonw_init(struct jsonw *w, struct buf *out, enum jsonw_style style);
void jsonw_obj_open(struct jsonw *w);
void jsonw_obj_close(struct jsonw *w);
void jsonw_arr_open(struct jsonw *w);
void jsonw_arr_close(struct jsonw *w);
/* Inside an object: the next member's key. */
void jsonw_key(struct jsonw *w, const char *key);
void jsonw_str(struct jsonw *w, const char *s);
void jsonw_strn(struct jsonw *w, const char *s, size_t n);
void jsonw_int(struct jsonw *w, long long v);
void jsonw_bool(struct jsonw *w, int v);
void jsonw_null(struct jsonw *w);
/* Shorthands for a member: key then value. */
void jsonw_kstr(struct jsonw *w, const char *key, const char *s);
void jsonw_kint(struct jsonw *w, const char *key, long long v);
void jsonw_kbool(struct jsonw *w, const char *key, int v);
void jsonw_knull(struct jsonw *w, const char *key);

#endif

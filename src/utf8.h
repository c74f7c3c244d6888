/*
 * utf8.h - UTF-8 checks used by parameter validation and device-info.
 *
 * "Valid" means RFC 3629 UTF-8: no overlong forms, no surrogates
 * (U+D800..U+DFFF), nothing above U+10FFFF.
 */
#ifndef UTF8_H
#define UTF8_H

#include <stddef.h>

struct arena;

/* 1 when s[0..n) is valid UTF-8, else 0. */
int utf8_valid(const char *s, size_t n);
/* Number of code points in valid UTF-8 s[0..n). */
size_t utf8_count(const char *s, size_t n);
/*
 * Byte length of the longest prefix of valid UTF-8 s[0..n) holding at most
 * max code points: cutting there never splits a character.
 */
size_t utf8_prefix(const char *s, size_t n, size_t max);
/*
 * Copy of s[0..n) with every byte that is not part of a valid sequence
 * replaced by U+FFFD (EF BF BD); NUL-terminated, from the arena; the new
 * length in *outlen when outlen is not NULL.
 */
char *utf8_sanitize(struct arena *a, const char *s, size_t n, size_t *outlen);
/*
 * Decode one code point from s[0..n) into *cp; returns the bytes used, or 0
 * if s does not start with a valid sequence.
 */
size_t utf8_decode(const char *s, size_t n, unsigned int *cp);

#endif

/* utf8.c - see utf8.h */
#include "utf8.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"

/* U+FFFD REPLACEMENT CHARACTER, what utf8_sanitize() puts for a bad byte. */
static const char replacement[] = "\xef\xbf\xbd";
#define REPLACEMENT_LEN (sizeof(replacement) - 1)

size_t
utf8_decode(const char *s, size_t n, unsigned int *cp)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned int c, min;
	size_t len, i;

	if (n == 0)
		return 0;
	c = p[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	/*
	 * RFC 3629 section 4: the lead byte gives the length; C0, C1 and
	 * F5..FF can only start overlong or out-of-range forms and never
	 * appear, a bare continuation byte (80..BF) starts nothing.
	 */
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		c &= 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		c &= 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		c &= 0x07;
		min = 0x10000;
	} else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3f);
	}
	/* Overlong (E0 80 80), UTF-16 surrogates (ED A0 80), past U+10FFFF. */
	if (c < min || (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return 0;
	*cp = c;
	return len;
}

int
utf8_valid(const char *s, size_t n)
{
	unsigned int cp;
	size_t i = 0, k;

	while (i < n) {
		/* ASCII runs are the common case: no decoding needed. */
		if ((unsigned char)s[i] < 0x80) {
			i++;
			continue;
		}
		if ((k = utf8_decode(s + i, n - i, &cp)) == 0)
			return 0;
		i += k;
	}
	return 1;
}

/*
 * utf8_count() is meant for valid input; given invalid input it counts each
 * bad byte as one code point, what utf8_sanitize() would turn it into.
 */
size_t
utf8_count(const char *s, size_t n)
{
	unsigned int cp;
	size_t i = 0, k, count = 0;

	while (i < n) {
		if ((k = utf8_decode(s + i, n - i, &cp)) == 0)
			k = 1;
		i += k;
		count++;
	}
	return count;
}

/*
 * Given invalid input, the prefix stops before the first byte that does
 * not start a valid sequence: whatever the caller passed, what it stores
 * after the cut is valid UTF-8 and ends on a character boundary, even
 * when s itself was cut in the middle of a character.
 */
size_t
utf8_prefix(const char *s, size_t n, size_t max)
{
	unsigned int cp;
	size_t i = 0, k, count = 0;

	while (i < n && count < max) {
		if ((k = utf8_decode(s + i, n - i, &cp)) == 0)
			break;
		i += k;
		count++;
	}
	return i;
}

char *
utf8_sanitize(struct arena *a, const char *s, size_t n, size_t *outlen)
{
	unsigned int cp;
	size_t i, k, len = 0;
	char *out, *p;

	/* First pass sizes the copy exactly: at most 3 bytes per input byte. */
	if (n > (SIZE_MAX - 1) / REPLACEMENT_LEN)
		abort();
	for (i = 0; i < n; i += k) {
		if ((k = utf8_decode(s + i, n - i, &cp)) == 0) {
			k = 1;
			len += REPLACEMENT_LEN;
		} else
			len += k;
	}
	out = p = arena_alloc(a, len + 1);
	for (i = 0; i < n; i += k) {
		if ((k = utf8_decode(s + i, n - i, &cp)) == 0) {
			k = 1;
			memcpy(p, replacement, REPLACEMENT_LEN);
			p += REPLACEMENT_LEN;
		} else {
			memcpy(p, s + i, k);
			p += k;
		}
	}
	*p = '\0';
	if (outlen != NULL)
		*outlen = len;
	return out;
}

/*
 * secret.h - random tokens, digests and constant-time comparison.
 *
 * Every token, refresh token and authorization code is 40 lower-case hex
 * characters from 20 bytes of RAND_bytes (SPEC section 3: the legacy format,
 * 160 bits). Only SHA-256 digests are stored; lookups compare digests.
 */
#ifndef SECRET_H
#define SECRET_H

#include <stddef.h>

#define SECRET_RAW_LEN 20
#define SECRET_HEX_LEN 40 /* characters, without the NUL */
#define DIGEST_LEN 32     /* SHA-256 */

/* A fresh token in out[41]: 0, or -1 when RAND_bytes fails (no output). */
int secret_token(char out[SECRET_HEX_LEN + 1]);
/* 1 when s is exactly 40 lower-case hex characters. */
int secret_is_token(const char *s);
/* SHA-256 of s[0..n). */
void secret_digest(const char *s, size_t n, unsigned char out[DIGEST_LEN]);
/* SHA-1 of s[0..n) (the legacy `auth_tokens.auth_key`), 20 raw bytes. */
void secret_sha1(const char *s, size_t n, unsigned char out[20]);
/* Lower-case hex of raw[0..n) into out (2n+1 bytes). */
void secret_hex(const unsigned char *raw, size_t n, char *out);
/* Decode 2n hex characters into raw[0..n): 0, or -1 if not hex. */
int secret_unhex(const char *hex, size_t n, unsigned char *raw);
/* Random bytes: 0 or -1. */
int secret_random(unsigned char *out, size_t n);
/* 1 when a[0..n) equals b[0..n), in time independent of the content. */
int secret_equal(const void *a, const void *b, size_t n);
/*
 * 1 when strings a and b are equal; constant time for equal lengths (the
 * length itself is not secret: all our secrets have fixed length).
 */
int secret_streq(const char *a, const char *b);
/* base64url without padding (RFC 7636 S256): out needs 4*ceil(n/3)+1. */
size_t secret_b64url(const unsigned char *raw, size_t n, char *out);

#endif

/* secret.c - see secret.h */
#include "secret.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "log.h"

static const char hexdig[] = "0123456789abcdef";

/* RFC 4648 section 5: the URL- and filename-safe alphabet. */
static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/*
 * SHA-1 and SHA-256 of a buffer fail only when OpenSSL cannot allocate or
 * its default provider is missing: there is no sensible answer to return
 * (a wrong digest would be a wrong lookup), so treat it like out of memory
 * (STYLE habit 6) and let mod_fcgid start a fresh process.
 */
static void
digest_failed(void)
{
	fprintf(stderr, "oauth-fcgi: secret: digest failed: %s\n",
	    ERR_error_string(ERR_get_error(), NULL));
	abort();
}

static void
digest(const EVP_MD *md, const char *s, size_t n, unsigned char *out,
    unsigned int outlen)
{
	unsigned int len = 0;

	if (md == NULL ||
	    EVP_Digest(s != NULL ? s : "", n, out, &len, md, NULL) != 1 ||
	    len != outlen)
		digest_failed();
}

void
secret_digest(const char *s, size_t n, unsigned char out[DIGEST_LEN])
{
	/*
	 * Every request that presents a token hashes it. EVP_Digest() with
	 * EVP_sha256() looks the algorithm up in the provider store and
	 * builds a context on every call; fetched once and reused, the
	 * same hash costs a fraction (docs/performance.md). Both live as
	 * long as the process.
	 */
	static EVP_MD *sha256;
	static EVP_MD_CTX *ctx;
	unsigned int len = 0;

	if (sha256 == NULL &&
	    (sha256 = EVP_MD_fetch(NULL, "SHA2-256", NULL)) == NULL)
		digest_failed();
	if (ctx == NULL && (ctx = EVP_MD_CTX_new()) == NULL)
		digest_failed();
	if (EVP_DigestInit_ex2(ctx, sha256, NULL) != 1 ||
	    EVP_DigestUpdate(ctx, s != NULL ? s : "", n) != 1 ||
	    EVP_DigestFinal_ex(ctx, out, &len) != 1 || len != DIGEST_LEN)
		digest_failed();
}

int
secret_random(unsigned char *out, size_t n)
{
	if (n == 0)
		return 0;
	if (n > INT_MAX)
		return -1;
	if (RAND_bytes(out, (int)n) != 1) {
		log_warn("RAND_bytes: %s",
		    ERR_error_string(ERR_get_error(), NULL));
		return -1;
	}
	return 0;
}

int
secret_token(char out[SECRET_HEX_LEN + 1])
{
	unsigned char raw[SECRET_RAW_LEN];
	int rc = -1;

	/* SPEC section 3: 20 bytes of RAND_bytes as 40 lower-case hex. */
	out[0] = '\0';
	if (secret_random(raw, sizeof(raw)) == -1)
		goto out;
	secret_hex(raw, sizeof(raw), out);
	rc = 0;
out:
	OPENSSL_cleanse(raw, sizeof(raw));
	return rc;
}

int
secret_is_token(const char *s)
{
	size_t i;

	if (s == NULL)
		return 0;
	/* Lower case only: strchr() would also accept the NUL. */
	for (i = 0; i < SECRET_HEX_LEN; i++)
		if (s[i] == '\0' || strchr(hexdig, s[i]) == NULL)
			return 0;
	return s[SECRET_HEX_LEN] == '\0';
}

void
secret_sha1(const char *s, size_t n, unsigned char out[20])
{
	/*
	 * Only to find tokens of an imported legacy database, whose
	 * auth_tokens.auth_key is sha1($token) in hex (SPEC section 3).
	 */
	digest(EVP_sha1(), s, n, out, 20);
}

void
secret_hex(const unsigned char *raw, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hexdig[raw[i] >> 4];
		out[2 * i + 1] = hexdig[raw[i] & 0xf];
	}
	out[2 * n] = '\0';
}

static int
hexval(char c)
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
secret_unhex(const char *hex, size_t n, unsigned char *raw)
{
	size_t i;
	int hi, lo;

	/* Character by character: a NUL stops us before reading past it. */
	for (i = 0; i < n; i++) {
		if ((hi = hexval(hex[2 * i])) == -1 ||
		    (lo = hexval(hex[2 * i + 1])) == -1) {
			OPENSSL_cleanse(raw, n);
			return -1;
		}
		raw[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

int
secret_equal(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}

int
secret_streq(const char *a, const char *b)
{
	size_t la, lb;

	if (a == NULL || b == NULL)
		return 0;
	la = strlen(a);
	lb = strlen(b);
	/* The length is public (fixed for every secret we hold). */
	if (la != lb)
		return 0;
	return CRYPTO_memcmp(a, b, la) == 0;
}

size_t
secret_b64url(const unsigned char *raw, size_t n, char *out)
{
	size_t i, o = 0;
	unsigned long v;

	/* RFC 7636 appendix A: base64url with the '=' padding removed. */
	for (i = 0; i + 3 <= n; i += 3) {
		v = (unsigned long)raw[i] << 16 |
		    (unsigned long)raw[i + 1] << 8 | raw[i + 2];
		out[o++] = b64url[(v >> 18) & 0x3f];
		out[o++] = b64url[(v >> 12) & 0x3f];
		out[o++] = b64url[(v >> 6) & 0x3f];
		out[o++] = b64url[v & 0x3f];
	}
	if (n - i == 1) {
		v = (unsigned long)raw[i] << 16;
		out[o++] = b64url[(v >> 18) & 0x3f];
		out[o++] = b64url[(v >> 12) & 0x3f];
	} else if (n - i == 2) {
		v = (unsigned long)raw[i] << 16 |
		    (unsigned long)raw[i + 1] << 8;
		out[o++] = b64url[(v >> 18) & 0x3f];
		out[o++] = b64url[(v >> 12) & 0x3f];
		out[o++] = b64url[(v >> 6) & 0x3f];
	}
	out[o] = '\0';
	return o;
}

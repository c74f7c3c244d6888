/* test_secret.c - tokens, digests, hex, base64url, constant-time compare. */
#include <limits.h>

#include "core/secret.h"
#include "unit.h"

static void
test_token(void)
{
	char a[SECRET_HEX_LEN + 1], b[SECRET_HEX_LEN + 1];
	size_t i;

	CHECK(secret_token(a) == 0);
	CHECK(secret_token(b) == 0);
	CHECK(strlen(a) == SECRET_HEX_LEN);
	for (i = 0; i < SECRET_HEX_LEN; i++)
		CHECK((a[i] >= '0' && a[i] <= '9') ||
		    (a[i] >= 'a' && a[i] <= 'f'));
	CHECK(secret_is_token(a));
	CHECK(secret_is_token(b));
	/* 160 random bits: equal tokens mean a broken generator. */
	CHECK(strcmp(a, b) != 0);
}

static void
test_is_token(void)
{
	CHECK(secret_is_token("6a9382f695dc36f38e46dc08726fc8a3a22a270f"));
	CHECK(secret_is_token("0000000000000000000000000000000000000000"));
	/* 39 and 41 characters */
	CHECK(!secret_is_token("6a9382f695dc36f38e46dc08726fc8a3a22a270"));
	CHECK(!secret_is_token("6a9382f695dc36f38e46dc08726fc8a3a22a270f0"));
	/* upper case, not hex, space, empty, NULL */
	CHECK(!secret_is_token("6A9382F695DC36F38E46DC08726FC8A3A22A270F"));
	CHECK(!secret_is_token("6a9382f695dc36f38e46dc08726fc8a3a22a270g"));
	CHECK(!secret_is_token(" a9382f695dc36f38e46dc08726fc8a3a22a270f"));
	CHECK(!secret_is_token(""));
	CHECK(!secret_is_token(NULL));
}

static void
test_random(void)
{
	unsigned char a[32], b[32];

	CHECK(secret_random(a, sizeof(a)) == 0);
	CHECK(secret_random(b, sizeof(b)) == 0);
	CHECK(memcmp(a, b, sizeof(a)) != 0);
	CHECK(secret_random(a, 0) == 0);
	/* More than RAND_bytes can take is refused before a byte is written. */
	CHECK(secret_random(a, (size_t)INT_MAX + 1) == -1);
}

/* FIPS 180-2 appendix B.1 and A.1: "abc". */
static void
test_digests(void)
{
	unsigned char d[DIGEST_LEN], s1[20];
	char hex[2 * DIGEST_LEN + 1];

	secret_digest("abc", 3, d);
	secret_hex(d, sizeof(d), hex);
	CHECK_STREQ(hex,
	    "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
	secret_digest("", 0, d);
	secret_hex(d, sizeof(d), hex);
	CHECK_STREQ(hex,
	    "e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855");
	/* Only n bytes are read. */
	secret_digest("abcdef", 3, d);
	secret_hex(d, sizeof(d), hex);
	CHECK_STREQ(hex,
	    "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
	secret_sha1("abc", 3, s1);
	secret_hex(s1, sizeof(s1), hex);
	CHECK_STREQ(hex, "a9993e364706816aba3e25717850c26c9cd0d89d");
}

static void
test_hex(void)
{
	static const unsigned char raw[] = { 0x00, 0x01, 0x7f, 0x80, 0xab,
		0xff };
	unsigned char back[sizeof(raw)], tok[SECRET_RAW_LEN];
	char hex[2 * sizeof(raw) + 1];
	char t[SECRET_HEX_LEN + 1], again[SECRET_HEX_LEN + 1];

	secret_hex(raw, sizeof(raw), hex);
	CHECK_STREQ(hex, "00017f80abff");
	CHECK(secret_unhex(hex, sizeof(raw), back) == 0);
	CHECK(memcmp(raw, back, sizeof(raw)) == 0);
	/* Upper case decodes too. */
	CHECK(secret_unhex("00017F80ABFF", sizeof(raw), back) == 0);
	CHECK(memcmp(raw, back, sizeof(raw)) == 0);
	secret_hex(raw, 0, hex);
	CHECK_STREQ(hex, "");

	/* A token round-trips through its 20 raw bytes. */
	CHECK(secret_token(t) == 0);
	CHECK(secret_unhex(t, sizeof(tok), tok) == 0);
	secret_hex(tok, sizeof(tok), again);
	CHECK_STREQ(again, t);

	CHECK(secret_unhex("0g", 1, back) == -1);
	CHECK(secret_unhex("g0", 1, back) == -1);
	CHECK(secret_unhex("00 1", 2, back) == -1);
	CHECK(secret_unhex("-1", 1, back) == -1);
	/* A string shorter than 2n stops at its NUL. */
	CHECK(secret_unhex("0", 1, back) == -1);
	CHECK(secret_unhex("00", 2, back) == -1);
}

static void
test_equal(void)
{
	CHECK(secret_equal("abcdef", "abcdef", 6));
	CHECK(!secret_equal("abcdef", "abcdeg", 6));
	CHECK(!secret_equal("xbcdef", "abcdef", 6));
	CHECK(secret_equal("abc", "abd", 2));
	CHECK(secret_equal("", "", 0));

	CHECK(secret_streq("6a9382f695dc36f38e46dc08726fc8a3a22a270f",
	    "6a9382f695dc36f38e46dc08726fc8a3a22a270f"));
	CHECK(!secret_streq("6a9382f695dc36f38e46dc08726fc8a3a22a270f",
	    "6a9382f695dc36f38e46dc08726fc8a3a22a2700"));
	CHECK(!secret_streq("abc", "abcd"));
	CHECK(!secret_streq("abcd", "abc"));
	CHECK(!secret_streq("", "a"));
	CHECK(secret_streq("", ""));
	CHECK(!secret_streq(NULL, "a"));
	CHECK(!secret_streq("a", NULL));
	CHECK(!secret_streq(NULL, NULL));
}

static void
b64(const char *in, size_t n, const char *want)
{
	char out[64];
	size_t len;

	len = secret_b64url((const unsigned char *)in, n, out);
	CHECK_STREQ(out, want);
	CHECK(len == strlen(want));
}

static void
test_b64url(void)
{
	/* RFC 4648 section 10, without the padding. */
	b64("", 0, "");
	b64("f", 1, "Zg");
	b64("fo", 2, "Zm8");
	b64("foo", 3, "Zm9v");
	b64("foob", 4, "Zm9vYg");
	b64("fooba", 5, "Zm9vYmE");
	b64("foobar", 6, "Zm9vYmFy");
	/* The two characters that differ from base64: '-' and '_'. */
	b64("\xfb\xff", 2, "-_8");
	b64("\xff\xff\xff", 3, "____");
	b64("\0\0\0", 3, "AAAA");
}

/* RFC 7636 appendix B: the verifier from its octets, then S256. */
static void
test_pkce_s256(void)
{
	static const unsigned char octets[32] = { 116, 24, 223, 180, 151, 153,
		224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212, 37, 77,
		105, 214, 191, 240, 91, 88, 5, 88, 83, 132, 141, 121 };
	const char *verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
	unsigned char d[DIGEST_LEN];
	char out[4 * ((DIGEST_LEN + 2) / 3) + 1];

	CHECK(secret_b64url(octets, sizeof(octets), out) == 43);
	CHECK_STREQ(out, verifier);
	secret_digest(verifier, strlen(verifier), d);
	CHECK(secret_b64url(d, sizeof(d), out) == 43);
	CHECK_STREQ(out, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

int
main(void)
{
	RUN(test_token);
	RUN(test_is_token);
	RUN(test_random);
	RUN(test_digests);
	RUN(test_hex);
	RUN(test_equal);
	RUN(test_b64url);
	RUN(test_pkce_s256);
	return unit_done();
}

/* test_utf8.c - RFC 3629 validation, counting, cutting and sanitising. */
#include "../../src/utf8.c"

#include "unit.h"

struct sample {
	const char *s;
	size_t n;
	int valid;
	const char *why;
};

#define S(lit, valid, why)                                                     \
	{                                                                      \
		lit, sizeof(lit) - 1, valid, why                               \
	}

static const struct sample samples[] = {
	S("", 1, "empty"),
	S("plain ascii", 1, "ASCII"),
	S("a\0b", 1, "U+0000 is UTF-8 (NUL is refused elsewhere)"),
	S("\x7f", 1, "U+007F"),
	S("\xc2\x80", 1, "U+0080, smallest 2-byte"),
	S("\xdf\xbf", 1, "U+07FF, largest 2-byte"),
	S("\xe0\xa0\x80", 1, "U+0800, smallest 3-byte"),
	S("\xed\x9f\xbf", 1, "U+D7FF, just below the surrogates"),
	S("\xee\x80\x80", 1, "U+E000, just above the surrogates"),
	S("\xef\xbf\xbd", 1, "U+FFFD"),
	S("\xef\xbf\xbf", 1, "U+FFFF (a noncharacter, still UTF-8)"),
	S("\xf0\x90\x80\x80", 1, "U+10000, smallest 4-byte"),
	S("\xf4\x8f\xbf\xbf", 1, "U+10FFFF, the last code point"),
	S("gr\xc3\xbc\xc3\x9f \xe2\x82\xac \xf0\x9f\x98\x80", 1, "mixed"),
	S("\x80", 0, "lone continuation byte"),
	S("\xbf", 0, "lone continuation byte"),
	S("\xc0\x80", 0, "overlong NUL (C0 80)"),
	S("\xc1\xbf", 0, "overlong U+007F"),
	S("\xe0\x80\x80", 0, "overlong 3-byte NUL (E0 80 80)"),
	S("\xe0\x9f\xbf", 0, "overlong U+07FF"),
	S("\xf0\x80\x80\x80", 0, "overlong 4-byte NUL"),
	S("\xf0\x8f\xbf\xbf", 0, "overlong U+FFFF"),
	S("\xed\xa0\x80", 0, "surrogate U+D800 (ED A0 80)"),
	S("\xed\xbf\xbf", 0, "surrogate U+DFFF"),
	S("\xed\xa0\xbd\xed\xb8\x80", 0, "CESU-8 surrogate pair"),
	S("\xf4\x90\x80\x80", 0, "U+110000 (F4 90 80 80)"),
	S("\xf5\x80\x80\x80", 0, "F5 lead byte"),
	S("\xff", 0, "FF"),
	S("\xfe", 0, "FE"),
	S("\xc3", 0, "truncated 2-byte"),
	S("\xe2\x82", 0, "truncated 3-byte"),
	S("\xf0\x9f\x98", 0, "truncated 4-byte"),
	S("ab\xe2\x82", 0, "truncated at the end"),
	S("\xe2\x82z", 0, "ASCII inside a sequence"),
	S("\xc3\xc3\xbc", 0, "lead byte inside a sequence"),
	S("\xf8\x88\x80\x80\x80", 0, "old 5-byte form"),
};

static void
test_valid_table(void)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(samples); i++) {
		if (utf8_valid(samples[i].s, samples[i].n) !=
		    samples[i].valid) {
			fprintf(stderr, "utf8_valid wrong: %s\n",
			    samples[i].why);
			CHECK(0);
		}
	}
}

static void
test_decode(void)
{
	unsigned int cp = 0;

	CHECK(utf8_decode("A", 1, &cp) == 1 && cp == 'A');
	CHECK(utf8_decode("\xc3\xa9", 2, &cp) == 2 && cp == 0xe9);
	CHECK(utf8_decode("\xe2\x82\xac", 3, &cp) == 3 && cp == 0x20ac);
	CHECK(utf8_decode("\xf0\x9f\x98\x80", 4, &cp) == 4 && cp == 0x1f600);
	CHECK(utf8_decode("\xf4\x8f\xbf\xbf", 4, &cp) == 4 && cp == 0x10ffff);
	/* Only n bytes are looked at. */
	CHECK(utf8_decode("\xe2\x82\xac", 2, &cp) == 0);
	CHECK(utf8_decode("", 0, &cp) == 0);
	CHECK(utf8_decode("\xed\xa0\x80", 3, &cp) == 0);
	CHECK(utf8_decode("\xc0\x80", 2, &cp) == 0);
	CHECK(utf8_decode("\xf4\x90\x80\x80", 4, &cp) == 0);
}

static void
test_count(void)
{
	CHECK(utf8_count("", 0) == 0);
	CHECK(utf8_count("abc", 3) == 3);
	CHECK(utf8_count("\xc3\xa9t\xc3\xa9", 5) == 3);
	CHECK(utf8_count("\xf0\x9f\x98\x80\xe2\x82\xac", 7) == 2);
	/* Invalid bytes count one each, as utf8_sanitize() would see them. */
	CHECK(utf8_count("a\xff\xe2\x82", 4) == 4);
}

static void
test_prefix(void)
{
	/* "é€😀x": 2 + 3 + 4 + 1 bytes. */
	const char *s = "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80x";
	size_t n = strlen(s), max, cut;

	CHECK(utf8_prefix(s, n, 0) == 0);
	CHECK(utf8_prefix(s, n, 1) == 2);
	CHECK(utf8_prefix(s, n, 2) == 5);
	CHECK(utf8_prefix(s, n, 3) == 9);
	CHECK(utf8_prefix(s, n, 4) == n);
	CHECK(utf8_prefix(s, n, 200) == n);
	CHECK(utf8_prefix("abc", 3, 2) == 2);
	/* Whatever the cut, the prefix is valid and holds <= max. */
	for (max = 0; max < 6; max++) {
		cut = utf8_prefix(s, n, max);
		CHECK(utf8_valid(s, cut));
		CHECK(utf8_count(s, cut) <= max);
	}
	/* A 200-character cut of 300 two-byte characters: 400 bytes. */
	{
		char big[600];
		size_t i;

		for (i = 0; i < sizeof(big); i += 2) {
			big[i] = '\xc3';
			big[i + 1] = '\xa9';
		}
		CHECK(utf8_prefix(big, sizeof(big), 200) == 400);
		/* Even when the byte length would end mid-character. */
		CHECK(utf8_prefix(big, 401, 300) == 400);
	}
	CHECK(utf8_prefix(s, n, utf8_count(s, n)) == n);
	/* Given invalid input, the cut stops before the first bad byte. */
	CHECK(utf8_prefix("ab\xff"
			  "cd",
		  5, 10) == 2);
	CHECK(utf8_prefix("ab\xe2\x82", 4, 10) == 2);
	CHECK(utf8_prefix("\xed\xa0\x80", 3, 1) == 0);
}

static void
test_sanitize(void)
{
	struct arena *a = arena_new();
	size_t len = 99;
	char *out;

	out = utf8_sanitize(a, "ok \xc3\xa9", 5, &len);
	CHECK_STREQ(out, "ok \xc3\xa9");
	CHECK(len == 5);
	out = utf8_sanitize(a,
	    "a\xff"
	    "b",
	    3, &len);
	CHECK_STREQ(out,
	    "a\xef\xbf\xbd"
	    "b");
	CHECK(len == 5);
	/* Each invalid byte of a sequence becomes one U+FFFD. */
	out = utf8_sanitize(a, "\xed\xa0\x80", 3, &len);
	CHECK_STREQ(out, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	CHECK(len == 9);
	out = utf8_sanitize(a, "x\xe2\x82", 3, NULL);
	CHECK_STREQ(out, "x\xef\xbf\xbd\xef\xbf\xbd");
	/* A truncated sequence before a valid character keeps the latter. */
	out = utf8_sanitize(a, "\xe2\xc3\xa9", 3, &len);
	CHECK_STREQ(out, "\xef\xbf\xbd\xc3\xa9");
	out = utf8_sanitize(a, "", 0, &len);
	CHECK_STREQ(out, "");
	CHECK(len == 0);
	out = utf8_sanitize(a, "\xc0\x80", 2, &len);
	CHECK(len == 6 && utf8_valid(out, len));
	arena_free(a);
}

static void
test_sanitize_table(void)
{
	struct arena *a = arena_new();
	size_t i, len;
	char *out;

	/* The output is always valid, and unchanged for valid input. */
	for (i = 0; i < ARRAY_SIZE(samples); i++) {
		out = utf8_sanitize(a, samples[i].s, samples[i].n, &len);
		CHECK(utf8_valid(out, len));
		CHECK(out[len] == '\0');
		if (samples[i].valid)
			CHECK(len == samples[i].n &&
			    memcmp(out, samples[i].s, len) == 0);
		else
			CHECK(len > samples[i].n);
	}
	arena_free(a);
}

int
main(void)
{
	RUN(test_valid_table);
	RUN(test_decode);
	RUN(test_count);
	RUN(test_prefix);
	RUN(test_sanitize);
	RUN(test_sanitize_table);
	return unit_done();
}

/*
 * test_password.c - crypt(3) hashing and verification (SPEC section 3).
 *
 * bcrypt tests that make new hashes use cost 4 so the suite stays fast;
 * the legacy $2y$10$ hash is the one the spec names.
 */
#include <crypt.h>
#include <stdlib.h>
#include <time.h>

#include "core/password.h"
#include "unit.h"

/* The legacy default admin's hash of "password" (SPEC section 3). */
static const char legacy[] =
    "$2y$10$CwuNhiptwoCO41TSmvxIj.U461K.wKoCdwEH52c9lzkm8Vjz7NybW";

static int
verify(const char *pw, const char *hash)
{
	return password_verify(pw, strlen(pw), hash);
}

/* Before password_configure(): yescrypt at cost 5, the default. */
static void
test_unconfigured_default(void)
{
	char h[PASSWORD_HASH_MAX];

	CHECK(password_hash("secret", 6, h) == 0);
	CHECK(strncmp(h, "$y$j9T$", 7) == 0);
	CHECK(verify("secret", h));
	password_dummy("secret", 6);
}

static void
test_legacy_bcrypt(void)
{
	CHECK(password_configure(PASSWORD_YESCRYPT, 0) == 0);
	CHECK(verify("password", legacy));
	CHECK(!verify("Password", legacy));
	CHECK(!verify("password ", legacy));
	CHECK(!verify("passwor", legacy));
	/* Only n bytes count. */
	CHECK(password_verify("password123", 8, legacy));
	CHECK(!password_verify("password123", 9, legacy));
	/* crypt(3) would stop at the NUL and match: we must not. */
	CHECK(!password_verify("password\0x", 10, legacy));
	CHECK(!password_verify("", 0, legacy));
	CHECK(!password_verify(NULL, 8, legacy));
}

static void
test_yescrypt_new(void)
{
	char h[PASSWORD_HASH_MAX], h2[PASSWORD_HASH_MAX];

	CHECK(password_configure(PASSWORD_YESCRYPT, 5) == 0);
	CHECK(password_hash("correct horse", 13, h) == 0);
	CHECK(strncmp(h, "$y$j9T$", 7) == 0);
	CHECK(crypt_checksalt(h) == CRYPT_SALT_OK);
	CHECK(verify("correct horse", h));
	CHECK(!verify("correct horsE", h));
	CHECK(!verify("correct hors", h));
	/* A fresh salt every time. */
	CHECK(password_hash("correct horse", 13, h2) == 0);
	CHECK(strcmp(h, h2) != 0);
	CHECK(verify("correct horse", h2));
	/* Non-ASCII bytes are just bytes. */
	CHECK(password_hash("p\xc3\xa4ss", 5, h) == 0);
	CHECK(verify("p\xc3\xa4ss", h));
	CHECK(!verify("pass", h));
}

static void
test_bcrypt_new(void)
{
	char h[PASSWORD_HASH_MAX];

	CHECK(password_configure(PASSWORD_BCRYPT, 0) == 0);
	CHECK(password_hash("password", 8, h) == 0);
	CHECK(strncmp(h, "$2y$10$", 7) == 0);
	CHECK(strlen(h) == 60);
	CHECK(verify("password", h));
	CHECK(!verify("Password", h));
	CHECK(!password_needs_rehash(h));
	CHECK(!password_needs_rehash(legacy));

	CHECK(password_configure(PASSWORD_BCRYPT, 4) == 0);
	CHECK(password_hash("password", 8, h) == 0);
	CHECK(strncmp(h, "$2y$04$", 7) == 0);
	CHECK(verify("password", h));
}

static void
test_needs_rehash(void)
{
	/* yescrypt cost 7 ("jBT"): written out, hashing it costs 64 MiB. */
	static const char y7[] = "$y$jBT$j7OHigld8AWbaf.h.d6Gl/$"
				 "5AA9QyqUsw/YX5.BVbhin12Ec8.tWsP1wq2svyVb0A0";
	char y3[PASSWORD_HASH_MAX], y5[PASSWORD_HASH_MAX];
	char b4[PASSWORD_HASH_MAX];

	CHECK(password_configure(PASSWORD_YESCRYPT, 3) == 0);
	CHECK(password_hash("pw", 2, y3) == 0);
	CHECK(password_configure(PASSWORD_BCRYPT, 4) == 0);
	CHECK(password_hash("pw", 2, b4) == 0);
	CHECK(password_configure(PASSWORD_YESCRYPT, 5) == 0);
	CHECK(password_hash("pw", 2, y5) == 0);

	/* Under yescrypt cost 5. */
	CHECK(password_needs_rehash(legacy));
	CHECK(password_needs_rehash(b4));
	CHECK(!password_needs_rehash(y5));
	CHECK(password_needs_rehash(y3));
	CHECK(!password_needs_rehash(y7));
	/* Parameters crypt_gensalt never writes: replaced by ours. */
	CHECK(password_needs_rehash(
	    "$y$j9V$uynobsUIKkCMHLJihIee30$"
	    "5AA9QyqUsw/YX5.BVbhin12Ec8.tWsP1wq2svyVb0A0"));
	CHECK(password_needs_rehash(
	    "$6$saltsalt$qFmFH.bQmmtXzyBY0s9v7Oicd2z4"
	    "XSIecDzlB5KiA2/jctKu9YterLp8wwnSq.qc.eoxqOmSuNp2xS0ktL3nh/"));
	CHECK(password_needs_rehash("abJnggxhB/yWI"));
	CHECK(password_needs_rehash(""));
	CHECK(password_needs_rehash(NULL));

	/* Under bcrypt cost 10: lower cost or another spelling is replaced. */
	CHECK(password_configure(PASSWORD_BCRYPT, 10) == 0);
	CHECK(!password_needs_rehash(legacy));
	CHECK(password_needs_rehash(b4));
	CHECK(password_needs_rehash(y5));
	CHECK(password_needs_rehash(
	    "$2b$10$CwuNhiptwoCO41TSmvxIj.U461K.wKoCdwEH52c9lzkm8Vjz7NybW"));
	/* A higher cost is not weaker: left alone. */
	CHECK(!password_needs_rehash(
	    "$2y$12$CwuNhiptwoCO41TSmvxIj.U461K.wKoCdwEH52c9lzkm8Vjz7NybW"));
	/* A cost field that does not parse. */
	CHECK(password_needs_rehash(
	    "$2y$1a$CwuNhiptwoCO41TSmvxIj.U461K.wKoCdwEH52c9lzkm8Vjz7NybW"));
}

static void
test_length_policy(void)
{
	char pw[PASSWORD_MAX + 2], h[PASSWORD_HASH_MAX];

	memset(pw, 'x', sizeof(pw));
	/* yescrypt: 1..PASSWORD_MAX bytes, no NUL. */
	CHECK(password_configure(PASSWORD_YESCRYPT, 1) == 0);
	CHECK(!password_acceptable(pw, 0));
	CHECK(password_acceptable(pw, 1));
	CHECK(password_acceptable(pw, 73));
	CHECK(password_acceptable(pw, PASSWORD_MAX));
	CHECK(!password_acceptable(pw, PASSWORD_MAX + 1));
	CHECK(!password_acceptable("ab\0cd", 5));
	CHECK(!password_acceptable(NULL, 3));
	CHECK(password_hash(pw, PASSWORD_MAX, h) == 0);
	CHECK(password_verify(pw, PASSWORD_MAX, h));
	CHECK(!password_verify(pw, PASSWORD_MAX - 1, h));
	CHECK(!password_verify(pw, PASSWORD_MAX + 1, h));
	CHECK(password_hash(pw, PASSWORD_MAX + 1, h) == -1);
	CHECK(password_hash(pw, 0, h) == -1);
	CHECK(password_hash("ab\0cd", 5, h) == -1);
}

/*
 * bcrypt reads 72 bytes: a 73-byte password is never hashed with it and
 * never matches a bcrypt hash, even one whose first 72 bytes match.
 */
static void
test_bcrypt_72(void)
{
	char pw[PASSWORD_BCRYPT_MAX + 1], h[PASSWORD_HASH_MAX];
	struct crypt_data *cd;
	const char *raw;

	memset(pw, 'k', sizeof(pw));
	CHECK(password_configure(PASSWORD_BCRYPT, 4) == 0);
	CHECK(password_acceptable(pw, PASSWORD_BCRYPT_MAX));
	CHECK(!password_acceptable(pw, PASSWORD_BCRYPT_MAX + 1));
	CHECK(password_hash(pw, PASSWORD_BCRYPT_MAX + 1, h) == -1);
	CHECK(password_hash(pw, PASSWORD_BCRYPT_MAX, h) == 0);
	CHECK(password_verify(pw, PASSWORD_BCRYPT_MAX, h));
	CHECK(!password_verify(pw, PASSWORD_BCRYPT_MAX + 1, h));

	/* The premise: crypt(3) itself would accept the 73 bytes. */
	cd = calloc(1, sizeof(*cd));
	CHECK(cd != NULL);
	if (cd == NULL)
		return;
	memcpy(cd->input, pw, sizeof(pw));
	cd->input[sizeof(pw)] = '\0';
	raw = crypt_rn(cd->input, h, cd, (int)sizeof(*cd));
	CHECK(raw != NULL && strcmp(raw, h) == 0);
	free(cd);

	/* yescrypt has no such limit. */
	CHECK(password_configure(PASSWORD_YESCRYPT, 1) == 0);
	CHECK(password_hash(pw, PASSWORD_BCRYPT_MAX + 1, h) == 0);
	CHECK(password_verify(pw, PASSWORD_BCRYPT_MAX + 1, h));
	CHECK(!password_verify(pw, PASSWORD_BCRYPT_MAX, h));
}

static void
test_malformed(void)
{
	CHECK(!verify("password", "*0"));
	CHECK(!verify("password", "*1"));
	CHECK(!verify("password", ""));
	CHECK(!verify("password", NULL));
	CHECK(!verify("password", "*"));
	CHECK(!verify("password", "!"));
	/* A locked account: "!" before a valid hash. */
	CHECK(!verify("password",
	    "!$2y$10$CwuNhiptwoCO41TSmvxIj.U461K.wKoCdwE"
	    "H52c9lzkm8Vjz7NybW"));
	/* Well-formed prefix, truncated body: libxcrypt fails. */
	CHECK(!verify("password", "$2y$10$short"));
	CHECK(!verify("password", "$2y$10$CwuNhiptwoCO41TSmvxIj.U461K.wKoCd"));
	/* A crypt output equal to the setting proves nothing. */
	CHECK(!verify("password", "$y$j9T$uynobsUIKkCMHLJihIee30"));
}

/* Obsolete methods verify in crypt(3) but are refused (crypt_checksalt). */
static void
test_obsolete(void)
{
	static const char des[] = "abJnggxhB/yWI";
	static const char md5[] = "$1$abc$BXBqpb9BZcZhXLgbee.0s/";
	static const char sha512[] =
	    "$6$saltsalt$qFmFH.bQmmtXzyBY0s9v7Oicd2z4"
	    "XSIecDzlB5KiA2/jctKu9YterLp8wwnSq.qc.eoxqOmSuNp2xS0ktL3nh/";
	struct crypt_data *cd;
	const char *raw;

	cd = calloc(1, sizeof(*cd));
	CHECK(cd != NULL);
	if (cd == NULL)
		return;
	raw = crypt_rn("password", des, cd, (int)sizeof(*cd));
	CHECK(raw != NULL && strcmp(raw, des) == 0);
	raw = crypt_rn("password", md5, cd, (int)sizeof(*cd));
	CHECK(raw != NULL && strcmp(raw, md5) == 0);
	free(cd);

	CHECK(!verify("password", des));
	CHECK(!verify("password", md5));
	/* sha512crypt is not obsolete: it verifies (and gets upgraded). */
	CHECK(verify("password", sha512));
	CHECK(!verify("passwort", sha512));
}

static void
test_configure_range(void)
{
	char h[PASSWORD_HASH_MAX];

	CHECK(password_configure(PASSWORD_BCRYPT, 5) == 0);
	/* (Cost 11, the top, is not tried: it hashes with 1 GiB.) */
	CHECK(password_configure(PASSWORD_YESCRYPT, 12) == -1);
	CHECK(password_configure(PASSWORD_BCRYPT, 3) == -1);
	CHECK(password_configure(PASSWORD_BCRYPT, 32) == -1);
	CHECK(password_configure((enum password_scheme)7, 5) == -1);
	/* A refused configuration leaves the previous one in force. */
	CHECK(password_hash("pw", 2, h) == 0);
	CHECK(strncmp(h, "$2y$05$", 7) == 0);
	CHECK(password_configure(PASSWORD_YESCRYPT, 1) == 0);
	CHECK(password_hash("pw", 2, h) == 0);
	CHECK(strncmp(h, "$y$j75$", 7) == 0);
}

/* The dummy does the work and never matters; it must not crash on junk. */
static void
test_dummy(void)
{
	char big[PASSWORD_MAX + 1];

	memset(big, 'd', sizeof(big));
	CHECK(password_configure(PASSWORD_YESCRYPT, 1) == 0);
	password_dummy("password", 8);
	password_dummy("", 0);
	password_dummy(big, sizeof(big));
	CHECK(password_configure(PASSWORD_BCRYPT, 4) == 0);
	password_dummy("password", 8);
}

/* CPU seconds of one password_dummy(). */
static double
dummy_cpu(void)
{
	struct timespec a, b;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
	password_dummy("guess", 5);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
	return (double)(b.tv_sec - a.tv_sec) +
	    (double)(b.tv_nsec - a.tv_nsec) / 1e9;
}

/* SPEC 14, equal cost: what cannot be checked says so, at no cost. */
static void
test_check(void)
{
	static const char *const unusable[] = { "*", "!", "", "garbage",
		"$9$unknown$x", "$1$saltsalt$obsoleteMD5cryptXXXXXX" };
	size_t i;

	CHECK(password_configure(PASSWORD_YESCRYPT, 1) == 0);
	CHECK(password_check("password", 8, legacy) == 1);
	CHECK(password_check("Password", 8, legacy) == 0);
	for (i = 0; i < sizeof(unusable) / sizeof(unusable[0]); i++)
		CHECK(password_check("password", 8, unusable[i]) == -1);
	CHECK(password_check("", 0, legacy) == -1);
}

/* The dummy runs the costliest stored method (CPU time, loose ratios). */
static void
test_stored(void)
{
	static const char *const one[] = { "$2y$09" };
	static const char *const mixed[] = { "", "$y$j75", "$1", "$2y$09" };
	static const char *const none[] = { "", "*", "$1" };
	double cheap, dear;

	CHECK(password_configure(PASSWORD_YESCRYPT, 1) == 0);
	cheap = dummy_cpu();
	password_stored(one, 1);
	dear = dummy_cpu();
	CHECK(dear > 2 * cheap);
	password_stored(none, 3); /* nothing that verifies: configured */
	CHECK(dummy_cpu() < dear / 2);
	password_stored(mixed, 4); /* weighed: bcrypt 9 beats yescrypt 1 */
	CHECK(dummy_cpu() > 2 * cheap);
}

int
main(void)
{
	RUN(test_unconfigured_default);
	RUN(test_legacy_bcrypt);
	RUN(test_yescrypt_new);
	RUN(test_bcrypt_new);
	RUN(test_needs_rehash);
	RUN(test_length_policy);
	RUN(test_bcrypt_72);
	RUN(test_malformed);
	RUN(test_obsolete);
	RUN(test_configure_range);
	RUN(test_dummy);
	RUN(test_check);
	RUN(test_stored);
	return unit_done();
}

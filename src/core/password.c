/* password.c - see password.h */
#include "password.h"

#include <crypt.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "log.h"
#include "secret.h"
#include "util.h"

/* libxcrypt refuses a phrase of CRYPT_MAX_PASSPHRASE_SIZE bytes or more. */
_Static_assert(PASSWORD_MAX < CRYPT_MAX_PASSPHRASE_SIZE,
    "PASSWORD_MAX must leave room for the NUL in crypt_data.input");
_Static_assert(PASSWORD_HASH_MAX <= CRYPT_OUTPUT_SIZE,
    "a stored hash must fit crypt_data.setting");

#define YESCRYPT_COST_MAX 11
#define YESCRYPT_PARAMS_MAX 16
/* Distinct stored methods weighed for the dummy (users.hash_method). */
#define STORED_MAX 8

/* Cost ranges libxcrypt's crypt_gensalt accepts, and our defaults. */
static const struct scheme {
	const char *prefix;
	unsigned long min, max, dflt;
} schemes[] = {
	/* yescrypt: the memory-hard default of libxcrypt (SPEC section 3). */
	[PASSWORD_YESCRYPT] = { "$y$", 1, YESCRYPT_COST_MAX, 5 },
	/*
	 * bcrypt as PHP's password_hash() writes it: PHP's crypt() reads
	 * "$2y$" (and "$2a$"), so a PHP app sharing the users table keeps
	 * verifying what we write. libxcrypt generates "$2y$" settings.
	 */
	[PASSWORD_BCRYPT] = { "$2y$", 4, 31, 10 },
};

static struct {
	int ready; /* password_configure() succeeded */
	enum password_scheme scheme;
	unsigned long cost;
	/*
	 * The setting (method, cost, a fixed salt) password_dummy() runs:
	 * that of the costliest method stored in the users table
	 * (password_stored()), or of the configured scheme until told.
	 */
	char dummy[CRYPT_GENSALT_OUTPUT_SIZE];
	/* What one run of each setting weighed cost, in CPU microseconds. */
	struct {
		char setting[CRYPT_GENSALT_OUTPUT_SIZE];
		long long us;
	} weighed[STORED_MAX];
	/*
	 * The parameter field ("j9T" in "$y$j9T$salt$hash") crypt_gensalt
	 * writes for each yescrypt cost, so a stored hash's cost can be
	 * looked up rather than decoding yescrypt's encoding of N and r.
	 */
	char yparams[YESCRYPT_COST_MAX + 1][YESCRYPT_PARAMS_MAX];
} cur = { .scheme = PASSWORD_YESCRYPT, .cost = 5 };

/* bcrypt in every spelling libxcrypt verifies: $2a$, $2b$, $2y$. */
static int
is_bcrypt(const char *hash)
{
	return hash[0] == '$' && hash[1] == '2';
}

/*
 * A stored hash we are willing to run: a method libxcrypt knows and does
 * not call legacy (DES, BSDi, MD5, SunMD5, sha1crypt, NT, "$2x$" ...: SPEC
 * section 3 "refuse obsolete methods"). CRYPT_SALT_TOO_CHEAP still
 * verifies, so the login that proves the password can upgrade the hash
 * (password_needs_rehash).
 */
static int
hash_usable(const char *hash)
{
	int rc;

	if (hash == NULL || strlen(hash) >= PASSWORD_HASH_MAX)
		return 0;
	rc = crypt_checksalt(hash);
	return rc == CRYPT_SALT_OK || rc == CRYPT_SALT_TOO_CHEAP;
}

/*
 * The length policy for a password checked against a hash of the given
 * kind. A NUL would end the phrase early for crypt(3), and bcrypt ignores
 * everything after byte 72: in both cases a prefix of the password would be
 * what is checked, so neither is ever hashed (password.h).
 */
static int
phrase_usable(const char *pw, size_t n, int bcrypt)
{
	if (pw == NULL || n == 0 || n > PASSWORD_MAX ||
	    memchr(pw, '\0', n) != NULL)
		return 0;
	if (bcrypt && n > PASSWORD_BCRYPT_MAX)
		return 0;
	return 1;
}

/*
 * crypt_rn() of pw[0..n) with `setting`, in a scratch crypt_data that
 * is wiped afterwards (it holds the password). Returns the hash in out, or
 * -1 on failure: NULL or a '*' failure token from libxcrypt.
 */
static int
run_crypt(const char *pw, size_t n, const char *setting,
    char out[PASSWORD_HASH_MAX])
{
	struct crypt_data *cd;
	const char *h;
	size_t len;
	int rc = -1;

	/* 32 KiB: the heap, not the stack. */
	cd = xcalloc(1, sizeof(*cd));
	memcpy(cd->input, pw, n);
	cd->input[n] = '\0';
	errno = 0;
	h = crypt_rn(cd->input, setting, cd, (int)sizeof(*cd));
	if (h == NULL || h[0] == '*') {
		log_warn("crypt_rn failed: %s", strerror(errno));
		goto out;
	}
	if ((len = strlen(h)) >= PASSWORD_HASH_MAX) {
		log_warn("crypt_rn: hash of %zu bytes is too long", len);
		goto out;
	}
	memcpy(out, h, len + 1);
	rc = 0;
out:
	OPENSSL_cleanse(cd, sizeof(*cd));
	free(cd);
	return rc;
}

/* A new hash with an explicit scheme and cost (never 0 = "default"). */
static int
hash_with(enum password_scheme scheme, unsigned long cost, const char *pw,
    size_t n, char out[PASSWORD_HASH_MAX])
{
	const char *prefix = schemes[scheme].prefix;
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	const char *ok;

	if (!phrase_usable(pw, n, scheme == PASSWORD_BCRYPT))
		return -1;
	/* No random bytes passed: libxcrypt draws the salt from getentropy. */
	ok = crypt_gensalt_rn(prefix, cost, NULL, 0, setting,
	    (int)sizeof(setting));
	if (ok == NULL) {
		log_warn("crypt_gensalt_rn(%s, %lu): %s", prefix, cost,
		    strerror(errno));
		return -1;
	}
	return run_crypt(pw, n, setting, out);
}

/* Fill cur.yparams from crypt_gensalt: 0 or -1. */
static int
yparams_init(void)
{
	/* The salt is irrelevant here: fixed bytes spare the entropy. */
	static const char zeros[16];
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	const struct scheme *s = &schemes[PASSWORD_YESCRYPT];
	const char *p, *end;
	unsigned long c;

	for (c = s->min; c <= s->max; c++) {
		p = crypt_gensalt_rn(s->prefix, c, zeros, (int)sizeof(zeros),
		    setting, (int)sizeof(setting));
		if (p == NULL)
			return -1;
		p += strlen(s->prefix);
		if ((end = strchr(p, '$')) == NULL ||
		    (size_t)(end - p) >= YESCRYPT_PARAMS_MAX)
			return -1;
		memcpy(cur.yparams[c], p, (size_t)(end - p));
		cur.yparams[c][end - p] = '\0';
	}
	return 0;
}

/*
 * The setting of `prefix` at `cost` with a fixed salt (all zero bytes):
 * the salt of a dummy run does not matter, and a fixed one spares the
 * entropy. 0 or -1.
 */
static int
setting_of(const char *prefix, unsigned long cost,
    char out[CRYPT_GENSALT_OUTPUT_SIZE])
{
	static const char zeros[16];

	return crypt_gensalt_rn(prefix, cost, zeros, (int)sizeof(zeros), out,
		   CRYPT_GENSALT_OUTPUT_SIZE) == NULL ?
	    -1 :
	    0;
}

int
password_configure(enum password_scheme scheme, unsigned long cost)
{
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	const struct scheme *s;

	if ((unsigned int)scheme >= ARRAY_SIZE(schemes))
		return -1;
	s = &schemes[scheme];
	/* The configuration's 0 means the default: resolve it here. */
	if (cost == 0)
		cost = s->dflt;
	if (cost < s->min || cost > s->max)
		return -1;
	if (yparams_init() == -1) {
		log_warn("crypt_gensalt_rn($y$) refused");
		return -1;
	}
	/*
	 * No hash is computed here: a plain CGI process runs this for every
	 * request (SPEC 14, docs/deploying.md). The dummy's setting is the
	 * configured one until the stored methods are known.
	 */
	if (setting_of(s->prefix, cost, setting) == -1) {
		log_warn("crypt_gensalt_rn(%s, %lu): %s", s->prefix, cost,
		    strerror(errno));
		return -1;
	}
	memcpy(cur.dummy, setting, sizeof(setting));
	cur.scheme = scheme;
	cur.cost = cost;
	cur.ready = 1;
	return 0;
}

/* Configure the defaults if nobody did (a CLI command, a unit test). */
static int
ready(void)
{
	if (cur.ready)
		return 1;
	return password_configure(cur.scheme, cur.cost) == 0;
}

int
password_check(const char *pw, size_t n, const char *hash)
{
	char out[PASSWORD_HASH_MAX];
	int match;

	if (!hash_usable(hash) || !phrase_usable(pw, n, is_bcrypt(hash)))
		return -1;
	if (run_crypt(pw, n, hash, out) == -1)
		return -1;
	/* Hashes are not secrets, but a timing oracle on them is needless. */
	match = secret_streq(out, hash);
	/* A wrong guess may be the user's other password: no trace of it. */
	OPENSSL_cleanse(out, sizeof(out));
	return match;
}

int
password_verify(const char *pw, size_t n, const char *hash)
{
	return password_check(pw, n, hash) == 1;
}

/* One crypt(3) run of `setting`, its result thrown away: 0 or -1. */
static int
run_setting(const char *pw, size_t n, const char *setting)
{
	static const char stand_in[] = "not-a-password";
	char out[PASSWORD_HASH_MAX];
	int rc;

	/* A phrase crypt(3) refuses would cost nothing: run another. */
	if (!phrase_usable(pw, n, is_bcrypt(setting))) {
		pw = stand_in;
		n = sizeof(stand_in) - 1;
	}
	rc = run_crypt(pw, n, setting, out);
	OPENSSL_cleanse(out, sizeof(out));
	return rc;
}

void
password_dummy(const char *pw, size_t n)
{
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];

	if (!ready())
		return;
	/*
	 * The same work as verifying a hash of the costliest stored method
	 * (SPEC 14, equal cost): crypt(3) of the phrase with that method's
	 * setting is exactly what a verify does, so no hash needs to be
	 * made beforehand.
	 */
	memcpy(setting, cur.dummy, sizeof(setting));
	if (run_setting(pw, n, setting) == -1 &&
	    setting_of(schemes[cur.scheme].prefix, cur.cost, setting) == 0)
		(void)run_setting(pw, n, setting);
}

/*
 * The dummy setting of a stored method as users.hash_method has it
 * ("$2y$10", "$y$j9T", "$6$rounds=9000", "$6" ...), with a fixed salt:
 * 0, or -1 for a method that is not weighed (obsolete, unknown, no hash:
 * those answer with the dummy themselves, never costing more).
 */
static int
method_setting(const char *m, char out[CRYPT_GENSALT_OUTPUT_SIZE])
{
	char prefix[8];
	const char *salt;
	unsigned long cost;
	int rc;

	if (m[0] == '$' && m[1] == '2' && m[2] != '\0' && m[3] == '$' &&
	    m[4] >= '0' && m[4] <= '9' && m[5] >= '0' && m[5] <= '9' &&
	    m[6] == '\0') {
		memcpy(prefix, m, 4);
		prefix[4] = '\0';
		cost = (unsigned long)(m[4] - '0') * 10 +
		    (unsigned long)(m[5] - '0');
		if (setting_of(prefix, cost, out) == -1)
			return -1;
	} else {
		/* The salt the fixed bytes make, in the method's own form. */
		if (strncmp(m, "$y$", 3) == 0 || strncmp(m, "$gy$", 4) == 0)
			salt = "......................";
		else if (strcmp(m, "$5") == 0 || strcmp(m, "$6") == 0 ||
		    strncmp(m, "$5$rounds=", 10) == 0 ||
		    strncmp(m, "$6$rounds=", 10) == 0)
			salt = "................";
		else
			return -1;
		rc = snprintf(out, CRYPT_GENSALT_OUTPUT_SIZE, "%s$%s", m, salt);
		if (rc < 0 || rc >= CRYPT_GENSALT_OUTPUT_SIZE)
			return -1;
	}
	return hash_usable(out) ? 0 : -1;
}

/* CPU microseconds of one run of `setting` (remembered); -1 if it fails. */
static long long
weigh(const char *setting)
{
	static unsigned next;
	struct timespec a, b;
	size_t i;
	long long us;

	for (i = 0; i < STORED_MAX; i++)
		if (strcmp(cur.weighed[i].setting, setting) == 0)
			return cur.weighed[i].us;
	/*
	 * The process's own CPU time, not the wall clock: other processes
	 * of a loaded machine do not inflate it. Hash costs differ by
	 * machine (yescrypt is memory-bound, bcrypt not), so they are
	 * measured here rather than assumed.
	 */
	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a) == -1 ||
	    run_setting("x", 1, setting) == -1 ||
	    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b) == -1)
		return -1;
	us = (long long)(b.tv_sec - a.tv_sec) * 1000000 +
	    (b.tv_nsec - a.tv_nsec) / 1000;
	if (strlen(setting) >= sizeof(cur.weighed[0].setting))
		return us; /* not remembered: it cannot be */
	i = next++ % STORED_MAX;
	memcpy(cur.weighed[i].setting, setting, strlen(setting) + 1);
	cur.weighed[i].us = us;
	return us;
}

void
password_stored(const char *const *methods, size_t n)
{
	char settings[STORED_MAX][CRYPT_GENSALT_OUTPUT_SIZE];
	size_t i, k = 0, best = 0;
	long long w, most = -1;

	if (!ready())
		return;
	for (i = 0; i < n && k < STORED_MAX; i++)
		if (method_setting(methods[i], settings[k]) == 0)
			k++;
	if (k == 0) {
		/* Nothing stored that verifies: the configured scheme. */
		(void)setting_of(schemes[cur.scheme].prefix, cur.cost,
		    cur.dummy);
		return;
	}
	/* One method: nothing to weigh (the usual yescrypt-only table). */
	for (i = 0; k > 1 && i < k; i++) {
		if ((w = weigh(settings[i])) > most) {
			most = w;
			best = i;
		}
	}
	memcpy(cur.dummy, settings[best], sizeof(cur.dummy));
}

int
password_hash(const char *pw, size_t n, char out[PASSWORD_HASH_MAX])
{
	if (!ready())
		return -1;
	return hash_with(cur.scheme, cur.cost, pw, n, out);
}

/*
 * The cost of a stored hash of the configured scheme, or 0 when it has
 * none we recognise. bcrypt writes it in decimal: "$2y$10$". yescrypt
 * encodes N and r (and optional p, t, g) in the parameter field;
 * crypt_gensalt writes one fixed field per cost, so the field is looked up
 * among those.
 * A field we never write (parameters tuned by hand, or a ROM) reads as
 * unknown: the hash is not of the configured cost and is replaced.
 */
static unsigned long
hash_cost(const char *hash)
{
	const char *p, *end;
	unsigned long c;
	size_t len;

	if (cur.scheme == PASSWORD_BCRYPT) {
		p = hash + strlen(schemes[PASSWORD_BCRYPT].prefix);
		if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9' ||
		    p[2] != '$')
			return 0;
		return (unsigned long)(p[0] - '0') * 10 +
		    (unsigned long)(p[1] - '0');
	}
	p = hash + strlen(schemes[PASSWORD_YESCRYPT].prefix);
	if ((end = strchr(p, '$')) == NULL)
		return 0;
	len = (size_t)(end - p);
	for (c = 1; c <= YESCRYPT_COST_MAX; c++) {
		if (strlen(cur.yparams[c]) == len &&
		    memcmp(cur.yparams[c], p, len) == 0)
			return c;
	}
	return 0;
}

int
password_needs_rehash(const char *hash)
{
	const char *prefix;

	if (!ready())
		return 0;
	/*
	 * Unusable (it cannot verify, so no login gets here), or too cheap
	 * by libxcrypt's own judgement.
	 */
	if (!hash_usable(hash) || crypt_checksalt(hash) == CRYPT_SALT_TOO_CHEAP)
		return 1;
	/*
	 * Another method ("$2y$" under yescrypt, "$6$", "$2b$" where PHP
	 * wants "$2y$" ...) is replaced by the configured one (SPEC section
	 * 3: upgraded on the next successful login).
	 */
	prefix = schemes[cur.scheme].prefix;
	if (strncmp(hash, prefix, strlen(prefix)) != 0)
		return 1;
	/*
	 * A lower cost is upgraded; a higher one is left alone: it is not
	 * weaker, and lowering the configured cost must not weaken hashes.
	 */
	return hash_cost(hash) < cur.cost;
}

int
password_acceptable(const char *pw, size_t n)
{
	return phrase_usable(pw, n, cur.scheme == PASSWORD_BCRYPT);
}

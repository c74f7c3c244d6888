/* throttle.c - see throttle.h */
#include "throttle.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "db.h"
#include "utf8.h"

#define KEY_BUF (THROTTLE_KEY_MAX * 4 + 1)

/*
 * The name as the throttle keys it: ASCII lower-cased (usernames compare
 * case-insensitively in the users table, so "Admin" and "admin" share a
 * counter) and cut to the column's length at a character boundary.
 */
static void
key_of(const char *login, char out[KEY_BUF], int lower)
{
	size_t n = strlen(login), i;

	n = utf8_prefix(login, n, THROTTLE_KEY_MAX);
	for (i = 0; i < n; i++)
		out[i] =
		    lower ? (char)tolower((unsigned char)login[i]) : login[i];
	out[n] = '\0';
}

/* Seconds still locked for n failures, the last at `last`; 0 if free. */
static long long
locked_for(long long n, long long max, long long last, long long now)
{
	long long delay, until;
	long long shift;

	if (n < max)
		return 0;
	shift = n - max;
	delay = cfg.throttle_delay;
	while (shift-- > 0 && delay < cfg.throttle_window)
		delay *= 2;
	if (delay > cfg.throttle_window)
		delay = cfg.throttle_window;
	until = last + delay;
	return until > now ? until - now : 0;
}

static long long
max_ll(long long a, long long b)
{
	return a > b ? a : b;
}

struct login_tx {
	const char *login; /* the key_of() string */
	unsigned long long user_id;
	const char *ip;
	long long now;
	long long retry_after; /* out: > 0 when locked */
};

/*
 * Lock the address's and the account's (or string's) rows, count, and
 * record the attempt unless locked. The row locks make every other
 * attempt on either key wait here until this one commits, so its count
 * includes every attempt recorded before it. Locked: DB_NOTFOUND, which
 * rolls back (a refused attempt changes nothing).
 */
static int
login_tx(void *arg)
{
	struct login_tx *x = arg;
	char uid[24];
	struct db_throttle_key k[2];
	long long n, last, n_ip, last_ip;
	int rc;

	snprintf(uid, sizeof(uid), "%llu", x->user_id);
	k[0] = (struct db_throttle_key){ 'i', x->ip, "" };
	k[1] = x->user_id != 0 ? (struct db_throttle_key){ 'u', "", uid } :
				 (struct db_throttle_key){ 'n', "", x->login };
	if ((rc = db_throttle_lock(k, x->now)) != DB_OK)
		return rc;
	if ((rc = db_failures_count(x->login, x->user_id, x->ip,
		 x->now - cfg.throttle_window, &n, &last, &n_ip, &last_ip)) !=
	    DB_OK)
		return rc;
	x->retry_after =
	    max_ll(locked_for(n, cfg.throttle_user_max, last, x->now),
		locked_for(n_ip, cfg.throttle_ip_max, last_ip, x->now));
	if (x->retry_after > 0)
		return DB_NOTFOUND;
	return db_failure_add(x->login, x->user_id, x->ip, x->now);
}

int
throttle_login_begin(const char *login, unsigned long long user_id,
    const char *ip, long long now, long long *retry_after)
{
	char key[KEY_BUF];
	struct login_tx x;
	int rc;

	key_of(login, key, 1);
	memset(&x, 0, sizeof(x));
	x.login = key;
	x.user_id = user_id;
	x.ip = ip;
	x.now = now;
	rc = db_tx(login_tx, &x);
	*retry_after = x.retry_after;
	if (rc == DB_NOTFOUND && x.retry_after > 0)
		return 1;
	return rc == DB_OK ? 0 : -1;
}

int
throttle_login_ok(unsigned long long user_id)
{
	return db_failures_clear(user_id) == DB_OK ? 0 : -1;
}

struct client_tx {
	const char *client_id; /* cut to the column */
	const char *ip;
	long long now;
	long long retry_after; /* out: > 0 when locked */
};

/* The lock a key gets from its n-th failure made now (0: none). */
static long long
until_after(long long n, long long max, long long now)
{
	long long s = locked_for(n, max, now, now);

	return s > 0 ? now + s : 0;
}

/*
 * Like login_tx(), after the secret was found wrong: lock the address's
 * and the pair's rows (in the primary key's order, as the statements
 * that read them: db.c CLIENT_LOCK_KEYS), count, then record the failure
 * and, when it locks a key, that key's locked_until, which successful
 * authentications read.
 */
static int
client_tx(void *arg)
{
	struct client_tx *x = arg;
	struct db_throttle_key k[2];
	long long n, last, n_ip, last_ip, until;
	int rc;

	k[0] = (struct db_throttle_key){ 'a', x->ip, "" };
	k[1] = (struct db_throttle_key){ 'p', x->ip, x->client_id };
	if ((rc = db_throttle_lock(k, x->now)) != DB_OK)
		return rc;
	if ((rc = db_client_failures_count(x->client_id, x->ip,
		 x->now - cfg.throttle_window, &n, &last, &n_ip, &last_ip)) !=
	    DB_OK)
		return rc;
	x->retry_after =
	    max_ll(locked_for(n, cfg.throttle_client_max, last, x->now),
		locked_for(n_ip, cfg.throttle_client_ip_max, last_ip, x->now));
	if (x->retry_after > 0)
		return DB_NOTFOUND;
	if ((rc = db_client_failure_add(x->client_id, x->ip, x->now)) != DB_OK)
		return rc;
	if ((until = until_after(n_ip + 1, cfg.throttle_client_ip_max,
		 x->now)) > 0 &&
	    (rc = db_throttle_until(&k[0], until)) != DB_OK)
		return rc;
	if ((until = until_after(n + 1, cfg.throttle_client_max, x->now)) > 0 &&
	    (rc = db_throttle_until(&k[1], until)) != DB_OK)
		return rc;
	return DB_OK;
}

int
throttle_client_fail(const char *client_id, const char *ip, long long now,
    long long *retry_after)
{
	char key[KEY_BUF];
	struct client_tx x;
	int rc;

	/* client_id compares exactly (utf8mb4_bin): no lower-casing. */
	key_of(client_id, key, 0);
	memset(&x, 0, sizeof(x));
	x.client_id = key;
	x.ip = ip;
	x.now = now;
	rc = db_tx(client_tx, &x);
	*retry_after = x.retry_after;
	if (rc == DB_NOTFOUND && x.retry_after > 0)
		return 1;
	return rc == DB_OK ? 0 : -1;
}

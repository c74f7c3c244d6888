/* throttle.c - see throttle.h */
#include "throttle.h"

#include <ctype.h>
#include <string.h>

#include "config.h"
#include "db.h"
#include "utf8.h"

/*
 * The name as the throttle keys it: ASCII lower-cased (usernames compare
 * case-insensitively in the users table, so "Admin" and "admin" share a
 * counter) and cut to the column's length at a character boundary.
 */
static void
key_of(const char *login, char out[THROTTLE_KEY_MAX * 4 + 1])
{
	size_t n = strlen(login), i;

	n = utf8_prefix(login, n, THROTTLE_KEY_MAX);
	for (i = 0; i < n; i++)
		out[i] = (char)tolower((unsigned char)login[i]);
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

int
throttle_check(const char *login, const char *ip, long long now,
    long long *retry_after, long long *failures)
{
	char key[THROTTLE_KEY_MAX * 4 + 1];
	long long n_login, last_login, n_ip, last_ip, a, b;

	key_of(login, key);
	*retry_after = 0;
	*failures = 0;
	if (db_failures_count(key, ip, now - cfg.throttle_window, &n_login,
		&last_login, &n_ip, &last_ip) != DB_OK)
		return -1;
	*failures = n_login;
	a = locked_for(n_login, cfg.throttle_user_max, last_login, now);
	b = locked_for(n_ip, cfg.throttle_ip_max, last_ip, now);
	*retry_after = a > b ? a : b;
	return *retry_after > 0;
}

int
throttle_fail(const char *login, const char *ip, long long now)
{
	char key[THROTTLE_KEY_MAX * 4 + 1];

	key_of(login, key);
	return db_failure_add(key, ip, now) == DB_OK ? 0 : -1;
}

int
throttle_clear(const char *login)
{
	char key[THROTTLE_KEY_MAX * 4 + 1];

	key_of(login, key);
	return db_failures_clear(key) == DB_OK ? 0 : -1;
}

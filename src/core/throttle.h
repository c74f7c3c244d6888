/*
 * throttle.h - the login throttle of SPEC section 11, kept in MySQL so every
 * FastCGI process (and every host) shares it.
 *
 * After throttle_user_max failures for one login name, or throttle_ip_max
 * from one client address, within throttle_window seconds, that name or
 * address is locked: every attempt is refused, a correct password
 * included, until last failure + throttle_delay * 2^(failures - max)
 * (capped at the window). Refused attempts are not failures (they cost no
 * hash work and do not extend the lock); each further real failure doubles
 * the delay. The server never sleeps on a request: the caller reports the
 * remaining seconds in Retry-After. A successful login clears the name's
 * failures, not the address's.
 */
#ifndef THROTTLE_H
#define THROTTLE_H

#define THROTTLE_KEY_MAX 191

/*
 * 0 when login/ip may try; 1 when locked (*retry_after > 0 seconds); -1 on
 * a database error. *failures gets the name's recent failures (a success
 * with none has nothing to clear).
 */
int throttle_check(const char *login, const char *ip, long long now,
    long long *retry_after, long long *failures);
/* Record one failure: 0 or -1. */
int throttle_fail(const char *login, const char *ip, long long now);
/* Forget the name's failures after a successful login: 0 or -1. */
int throttle_clear(const char *login);

#endif

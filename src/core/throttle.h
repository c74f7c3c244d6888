/*
 * throttle.h - the login and client-authentication throttles of SPEC
 * sections 11 and 14, kept in MySQL so every FastCGI process (and every
 * host) shares them.
 *
 * Logins: after throttle_user_max failures for one account (by user id:
 * its username and phone number share one counter), or for one unknown
 * login string, or throttle_ip_max from one client address, within
 * throttle_window seconds, that account, string or address is locked:
 * every attempt is refused, a correct password included, until last
 * failure + throttle_delay * 2^(failures - max) (capped at the window).
 * Refused attempts are not failures (they cost no hash work and do not
 * extend the lock); each further real failure doubles the delay.
 *
 * Atomic (SPEC 14): an attempt is recorded *before* its password is
 * verified, in one transaction that first locks the key rows of the
 * account (or string) and the address, then counts, then inserts the
 * attempt -- so of any number of concurrent attempts at most the limit
 * reach a password check. A successful login deletes the account's
 * failures, the attempt it recorded itself included; a failed one leaves
 * its attempt as the failure.
 *
 * Clients: the same rule per (client_id, address) pair
 * (throttle_client_max) and per address (throttle_client_ip_max), so one
 * address cannot lock a client out for the others. A client secret costs
 * no hash work, so the secret is checked first and only a failure takes
 * the transaction (lock, count, record); a success learns of a lock from
 * the statement that read the client anyway (db_client_auth() ...).
 *
 * The server never sleeps on a request: the caller reports the remaining
 * seconds in Retry-After.
 */
#ifndef THROTTLE_H
#define THROTTLE_H

#define THROTTLE_KEY_MAX 191

/*
 * Record a login attempt of `login` (resolved to user_id, 0 when unknown)
 * from ip before its password is checked: 0 (recorded: go on), 1 when
 * locked (*retry_after > 0 seconds; nothing recorded), -1 on a database
 * error.
 */
int throttle_login_begin(const char *login, unsigned long long user_id,
    const char *ip, long long now, long long *retry_after);
/* The login succeeded: forget the account's failures. 0 or -1. */
int throttle_login_ok(unsigned long long user_id);

/*
 * A client authentication failed (unknown client_id, wrong or missing
 * secret): 0 when recorded (answer invalid_client), 1 when the pair or
 * the address is locked (answer 429; *retry_after > 0; not recorded), -1
 * on a database error.
 */
int throttle_client_fail(const char *client_id, const char *ip, long long now,
    long long *retry_after);

#endif

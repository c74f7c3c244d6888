/*
 * password.h - crypt(3) hashing and verification through libxcrypt.
 *
 * SPEC section 3. Any hash libxcrypt knows verifies, PHP's $2y$10$ bcrypt
 * included, so a legacy users table imports as is. New hashes use the
 * configured scheme (yescrypt "$y$" by default, or bcrypt "$2y$" for a PHP
 * app sharing the table) at the configured cost, passed explicitly. An
 * output starting with '*' is failure; obsolete methods are refused
 * (crypt_checksalt). Unknown users cost the same hash work (password_dummy).
 *
 * Equal cost (SPEC 14): an unknown user, a disabled one and a stored hash
 * that cannot be verified cost one run of the costliest hash method still
 * stored in the users table (password_stored(); one yescrypt run for a
 * yescrypt-only table, one bcrypt-10 run while imported $2y$10$ hashes
 * are costlier). Nothing is hashed at start-up: a plain CGI process pays
 * for a hash only when its request needs one.
 *
 * Length policy (decided, docs/architecture.md): a password is 1 to
 * PASSWORD_MAX bytes. bcrypt reads only the first 72 bytes, so a longer
 * password is never hashed with bcrypt (password_hash fails) and never
 * verified against a bcrypt hash (no match): a truncated prefix must not
 * log anyone in.
 */
#ifndef PASSWORD_H
#define PASSWORD_H

#include <stddef.h>

#define PASSWORD_MAX 511 /* bytes; CRYPT_MAX_PASSPHRASE_SIZE counts the NUL */
#define PASSWORD_BCRYPT_MAX 72
#define PASSWORD_HASH_MAX 256 /* room for any hash string, with the NUL */

enum password_scheme { PASSWORD_YESCRYPT, PASSWORD_BCRYPT };

/*
 * Choose the scheme and cost for new hashes (yescrypt cost 1..11, default
 * 5; bcrypt 4..31, default 10). Cheap: no hash is computed. 0, or -1 when
 * the cost is out of range or libxcrypt refuses.
 */
int password_configure(enum password_scheme scheme, unsigned long cost);
/*
 * 1 when pw[0..n) matches the crypt(3) string `hash`; 0 when it does not
 * (after the hash work); -1 when it cannot be checked at all (malformed,
 * obsolete or unknown hash, unusable password), having cost no work.
 */
int password_check(const char *pw, size_t n, const char *hash);
/* password_check() == 1. */
int password_verify(const char *pw, size_t n, const char *hash);
/*
 * The same work as verifying a hash of the costliest stored method; no
 * result. Any pw (even one crypt(3) would refuse) costs the full work.
 */
void password_dummy(const char *pw, size_t n);
/*
 * The hash methods stored in the users table, as users.hash_method has
 * them ("$y$j9T", "$2y$10", "$6$rounds=9000", "" ...): the dummy becomes
 * the costliest of those that verify. With two or more, each is weighed
 * once per process (one run each, CPU time; hash costs differ by machine)
 * and remembered. None that verifies: the configured scheme.
 */
void password_stored(const char *const *methods, size_t n);
/* A new hash of pw[0..n) into out[PASSWORD_HASH_MAX]: 0 or -1. */
int password_hash(const char *pw, size_t n, char out[PASSWORD_HASH_MAX]);
/*
 * 1 when `hash` is not of the configured scheme and cost (or weaker), so a
 * successful login should store a new hash (upgrade on login).
 */
int password_needs_rehash(const char *hash);
/* 1 when pw[0..n) is acceptable as a new password (length policy). */
int password_acceptable(const char *pw, size_t n);

#endif

/*
 * user.h - logging a person in, and creating users.
 *
 * user_login() is the one login path of every dialect and of the login
 * page: throttle check, user lookup, password verification (with the same
 * hash work for an unknown name), failure accounting, and the upgrade of an
 * old or weaker stored hash on success (SPEC sections 3 and 11).
 */
#ifndef USER_H
#define USER_H

#include <stddef.h>

#include "db.h"
#include "error.h"

enum login_by {
	LOGIN_USERNAME, /* legacy, password grant */
	LOGIN_PHONE,    /* chat-app dialect */
	LOGIN_ANY       /* login page: username, else phone number */
};

struct login_result {
	struct db_user user;   /* the user, on OE_OK */
	long long retry_after; /* on OE_THROTTLED: seconds */
	int unknown_user;      /* on OE_BAD_CREDENTIALS: which half failed */
	int wrong_password;    /* (DEV debug output only) */
	int db_write;          /* on OE_SERVER: a write failed (else a read) */
	char db_error[256];    /* on OE_SERVER: the server's message */
};

/*
 * Log `login` in with password pw[0..pwlen) from client address ip.
 * Returns OE_OK, OE_BAD_CREDENTIALS, OE_THROTTLED or OE_SERVER.
 */
enum oauth_err user_login(const char *login, const char *pw, size_t pwlen,
    const char *ip, enum login_by by, long long now, struct login_result *res);

/*
 * Create a user: u's username, phone, email, first, last, level are read;
 * the password is hashed here. OE_OK (u->id set), OE_BAD_INPUT (a field is
 * malformed or the password unacceptable; *why says which), OE_CONFLICT
 * (username, phone or email taken), OE_SERVER.
 */
enum oauth_err user_create(struct db_user *u, const char *pw, size_t pwlen,
    const char *ip, long long now, const char **why);

/*
 * Set a new password and, in the same transaction, sign out every session
 * of the user (their tokens die with them); *signed_out gets how many.
 * OE_OK, OE_BAD_INPUT, OE_NO_OBJECT, OE_SERVER.
 */
enum oauth_err user_set_password(const char *username, const char *pw,
    size_t pwlen, long long now, unsigned long long *signed_out);

/*
 * Disable (1) or enable (0) a user. A disabled user cannot log in and its
 * tokens and sign-in cookies are refused by every check (the token check
 * reads the flag with the token); nothing is revoked, so enabling the
 * user again brings back the tokens still unexpired.
 * OE_OK, OE_NO_OBJECT, OE_SERVER.
 */
enum oauth_err user_set_disabled(const char *username, int disabled);

/* Look a user up by id: OE_OK, OE_NO_OBJECT, OE_SERVER. */
enum oauth_err user_get(unsigned long long id, struct db_user *u);

/* Look a user up by name: OE_OK, OE_NO_OBJECT, OE_SERVER. */
enum oauth_err user_find(const char *username, struct db_user *u);

#endif

/*
 * Bring over a user whose password hash is kept as it is (legacy import:
 * PHP's $2y$ hashes verify, and are upgraded on the next login).
 * OE_OK (u->id set), OE_CONFLICT, OE_BAD_INPUT, OE_SERVER.
 */
enum oauth_err user_import(struct db_user *u, long long now);

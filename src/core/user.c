/* user.c - see user.h */
#include "user.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "password.h"
#include "throttle.h"
#include "utf8.h"

static void
copy_error(struct login_result *res, int write)
{
	res->db_write = write;
	snprintf(res->db_error, sizeof(res->db_error), "%s", db_error());
}

static int
lookup(const char *login, enum login_by by, struct db_user *u)
{
	int rc;

	switch (by) {
	case LOGIN_PHONE:
		return db_user_by_phone(login, u);
	case LOGIN_ANY:
		rc = db_user_by_username(login, u);
		if (rc == DB_NOTFOUND)
			rc = db_user_by_phone(login, u);
		return rc;
	case LOGIN_USERNAME:
	default:
		return db_user_by_username(login, u);
	}
}

enum oauth_err
user_login(const char *login, const char *pw, size_t pwlen, const char *ip,
    enum login_by by, long long now, struct login_result *res)
{
	char newhash[PASSWORD_HASH_MAX];
	long long failures = 0;
	int rc, ok;

	memset(res, 0, sizeof(*res));
	switch (throttle_check(login, ip, now, &res->retry_after, &failures)) {
	case 1:
		return OE_THROTTLED;
	case -1:
		copy_error(res, 0);
		return OE_SERVER;
	}
	/*
	 * A name longer than any stored one cannot exist; the lookup would
	 * only fail, so skip it, but not the hash work below.
	 */
	if (!utf8_valid(login, strlen(login)) ||
	    utf8_count(login, strlen(login)) > 191)
		rc = DB_NOTFOUND;
	else
		rc = lookup(login, by, &res->user);
	if (rc == DB_ERROR) {
		copy_error(res, 0);
		return OE_SERVER;
	}
	if (rc == DB_NOTFOUND) {
		/* The same work as a real verify: no timing oracle. */
		password_dummy(pw, pwlen);
		res->unknown_user = 1;
		ok = 0;
	} else {
		ok = password_verify(pw, pwlen, res->user.hash) &&
		    !res->user.disabled;
		res->wrong_password = !ok;
	}
	if (!ok) {
		if (throttle_fail(login, ip, now) == -1)
			log_warn("could not record a failed login: %s",
			    db_error());
		return OE_BAD_CREDENTIALS;
	}
	if (failures > 0 && throttle_clear(login) == -1)
		log_warn("could not clear login failures: %s", db_error());
	/* SPEC 3: an older or weaker stored hash is upgraded on login. */
	if (password_needs_rehash(res->user.hash) &&
	    password_hash(pw, pwlen, newhash) == 0) {
		if (db_user_set_hash(res->user.id, newhash) == DB_OK)
			snprintf(res->user.hash, sizeof(res->user.hash), "%s",
			    newhash);
		else
			log_warn("hash upgrade of user %llu failed: %s",
			    res->user.id, db_error());
	}
	return OE_OK;
}

static int
field_ok(const char *s, size_t max)
{
	size_t n = strlen(s);

	return utf8_valid(s, n) && utf8_count(s, n) <= max;
}

/*
 * SPEC 14: '+' or a digit, then only digits, spaces, '-', '(' and ')'.
 * Such a name could be someone's phone number, and the sign-in page takes
 * either (username first).
 */
static int
phone_shaped(const char *s)
{
	if (*s != '+' && !(*s >= '0' && *s <= '9'))
		return 0;
	return strspn(s + 1, "0123456789 -()") == strlen(s + 1);
}

/*
 * A login string names one person: the username must be no one's phone
 * number and the phone number no one's username (the columns compare
 * case-insensitively, like the login lookup). 1 clash, 0 none, -1 error.
 * XXX: two registrations racing (one's name the other's phone) both pass;
 * the sign-in still finds the username first.
 */
static int
login_clash(const struct db_user *u)
{
	struct db_user other;
	int rc;

	if ((rc = db_user_by_phone(u->username, &other)) != DB_NOTFOUND)
		return rc == DB_OK ? 1 : -1;
	if (u->phone[0] == '\0')
		return 0;
	if (strcasecmp(u->phone, u->username) == 0)
		return 1;
	if ((rc = db_user_by_username(u->phone, &other)) != DB_NOTFOUND)
		return rc == DB_OK ? 1 : -1;
	return 0;
}

enum oauth_err
user_create(struct db_user *u, const char *pw, size_t pwlen, const char *ip,
    long long now, const char **why)
{
	size_t i;
	int rc;

	*why = NULL;
	if (u->username[0] == '\0' || !field_ok(u->username, 191))
		*why = "username must be 1 to 191 characters";
	else if (!field_ok(u->phone, 32) || !field_ok(u->email, 191) ||
	    !field_ok(u->first, 100) || !field_ok(u->last, 100))
		*why = "a field is too long or not valid UTF-8";
	else if (!password_acceptable(pw, pwlen))
		*why = "password must be 1 to 511 bytes (72 with bcrypt)";
	for (i = 0; *why == NULL && u->username[i] != '\0'; i++)
		if ((unsigned char)u->username[i] < 0x20 ||
		    u->username[i] == 0x7f)
			*why = "username must not hold control characters";
	if (*why == NULL && phone_shaped(u->username))
		*why = "username must not look like a phone number";
	if (*why != NULL)
		return OE_BAD_INPUT;
	if ((rc = login_clash(u)) != 0) {
		if (rc == -1)
			return OE_SERVER;
		*why = "username, phone number or email already registered";
		return OE_CONFLICT;
	}
	if (password_hash(pw, pwlen, u->hash) == -1) {
		*why = "password hashing failed";
		return OE_SERVER;
	}
	u->created_at = now;
	rc = db_user_insert(u, ip);
	if (rc == DB_DUP) {
		*why = "username, phone number or email already registered";
		return OE_CONFLICT;
	}
	return rc == DB_OK ? OE_OK : OE_SERVER;
}

enum oauth_err
user_get(unsigned long long id, struct db_user *u)
{
	return oauth_err_from_db(db_user_by_id(id, u), OE_NO_OBJECT);
}

enum oauth_err
user_find(const char *username, struct db_user *u)
{
	return oauth_err_from_db(db_user_by_username(username, u),
	    OE_NO_OBJECT);
}

enum oauth_err
user_set_password(const char *username, const char *pw, size_t pwlen)
{
	char hash[PASSWORD_HASH_MAX];
	struct db_user u;
	enum oauth_err e;

	if (!password_acceptable(pw, pwlen))
		return OE_BAD_INPUT;
	if ((e = user_find(username, &u)) != OE_OK)
		return e;
	if (password_hash(pw, pwlen, hash) == -1)
		return OE_SERVER;
	return db_user_set_hash(u.id, hash) == DB_OK ? OE_OK : OE_SERVER;
}

enum oauth_err
user_import(struct db_user *u, long long now)
{
	int rc;

	if (u->username[0] == '\0' || !field_ok(u->username, 191) ||
	    !field_ok(u->phone, 32) || !field_ok(u->email, 191) ||
	    !field_ok(u->first, 100) || !field_ok(u->last, 100) ||
	    u->hash[0] == '\0')
		return OE_BAD_INPUT;
	u->created_at = now;
	rc = db_user_insert(u, "import");
	if (rc == DB_DUP)
		return OE_CONFLICT;
	return rc == DB_OK ? OE_OK : OE_SERVER;
}

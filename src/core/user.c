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

/*
 * How often a process asks which hash methods the users table holds
 * (equal cost, SPEC 14): one index-only query (sql/003_throttle.sql), on
 * a login, at most this often.
 */
#define HASH_METHODS_EVERY 10

struct methods {
	char v[8][33];
	const char *p[8];
	size_t n;
};

static void
method_seen(const char *method, void *arg)
{
	struct methods *m = arg;

	if (m->n >= 8)
		return;
	snprintf(m->v[m->n], sizeof(m->v[m->n]), "%s", method);
	m->p[m->n] = m->v[m->n];
	m->n++;
}

/* Tell password.c which methods are stored, now and then. */
static void
learn_hash_methods(long long now)
{
	static long long learned_at;
	struct methods m;

	if (learned_at != 0 && now - learned_at < HASH_METHODS_EVERY &&
	    now >= learned_at)
		return;
	learned_at = now;
	memset(&m, 0, sizeof(m));
	if (db_user_hash_methods(method_seen, &m, 8) != DB_OK) {
		log_warn("could not read the stored hash methods: %s",
		    db_error());
		return; /* keep the last ones */
	}
	password_stored(m.p, m.n);
}

enum oauth_err
user_login(const char *login, const char *pw, size_t pwlen, const char *ip,
    enum login_by by, long long now, struct login_result *res)
{
	char newhash[PASSWORD_HASH_MAX];
	int rc, ok;

	memset(res, 0, sizeof(*res));
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
	/*
	 * SPEC 14: the attempt is recorded before the password is checked,
	 * against the account it resolved to (its username and phone
	 * number share one counter), or the string typed when unknown.
	 */
	switch (throttle_login_begin(login, rc == DB_OK ? res->user.id : 0, ip,
	    now, &res->retry_after)) {
	case 1:
		memset(&res->user, 0, sizeof(res->user));
		return OE_THROTTLED;
	case -1:
		memset(&res->user, 0, sizeof(res->user));
		copy_error(res, 1);
		return OE_SERVER;
	}
	learn_hash_methods(now);
	if (rc == DB_NOTFOUND) {
		/* The same work as a real verify: no timing oracle. */
		password_dummy(pw, pwlen);
		res->unknown_user = 1;
		ok = 0;
	} else if (res->user.disabled) {
		/* Not even checked: the costliest work, like an unknown name. */
		password_dummy(pw, pwlen);
		ok = 0;
	} else {
		ok = password_check(pw, pwlen, res->user.hash);
		/* A hash that cannot verify ('*', '!', unknown method ...). */
		if (ok == -1)
			password_dummy(pw, pwlen);
		ok = ok == 1;
	}
	res->wrong_password = !ok && !res->unknown_user;
	if (!ok)
		return OE_BAD_CREDENTIALS; /* the recorded attempt stays */
	/* The attempt recorded above goes with the account's failures. */
	if (throttle_login_ok(res->user.id) == -1)
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

struct passwd_ctx {
	unsigned long long id, n;
	const char *hash;
	long long now;
};

static int
passwd_tx(void *p)
{
	struct passwd_ctx *x = p;
	int rc;

	if ((rc = db_user_set_hash(x->id, x->hash)) != DB_OK)
		return rc;
	/* Its own db_tx() runs inside this one (a nested call joins). */
	return db_session_revoke_user(x->id, x->now, 0, &x->n);
}

enum oauth_err
user_set_password(const char *username, const char *pw, size_t pwlen,
    long long now, unsigned long long *signed_out)
{
	char hash[PASSWORD_HASH_MAX];
	struct passwd_ctx x;
	struct db_user u;
	enum oauth_err e;

	*signed_out = 0;
	if (!password_acceptable(pw, pwlen))
		return OE_BAD_INPUT;
	if ((e = user_find(username, &u)) != OE_OK)
		return e;
	if (password_hash(pw, pwlen, hash) == -1)
		return OE_SERVER;
	/*
	 * A new password is a new start: whoever knew the old one is signed
	 * out with everyone else (SPEC 14), in the same transaction.
	 */
	x.id = u.id;
	x.n = 0;
	x.hash = hash;
	x.now = now;
	if (db_tx(passwd_tx, &x) != DB_OK)
		return OE_SERVER;
	*signed_out = x.n;
	return OE_OK;
}

enum oauth_err
user_set_disabled(const char *username, int disabled)
{
	struct db_user u;
	enum oauth_err e;

	if ((e = user_find(username, &u)) != OE_OK)
		return e;
	return db_user_set_disabled(u.id, disabled) == DB_OK ? OE_OK :
							       OE_SERVER;
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

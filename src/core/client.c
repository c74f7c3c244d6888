/* client.c - see client.h */
#include "client.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "password.h"
#include "throttle.h"
#include "utf8.h"

#define SECRET_PREFIX "sha256:"

static const char *const grant_names[GRANT__MAX] = {
	[GRANT_AUTHORIZATION_CODE] = "authorization_code",
	[GRANT_CLIENT_CREDENTIALS] = "client_credentials",
	[GRANT_PASSWORD] = "password",
	[GRANT_REFRESH_TOKEN] = "refresh_token",
	[GRANT_IMPLICIT] = "implicit",
};

const char *
grant_name(enum grant g)
{
	return (unsigned)g < GRANT__MAX ? grant_names[g] : "";
}

int
grant_parse(const char *name, size_t n)
{
	int g;

	for (g = 0; g < GRANT__MAX; g++)
		if (strlen(grant_names[g]) == n &&
		    strncmp(grant_names[g], name, n) == 0)
			return g;
	return -1;
}

/* 1 when the `sep`-separated list holds the word w[0..n). */
static int
list_has(const char *list, char sep, const char *w, size_t n)
{
	const char *p = list, *e;

	while (*p != '\0') {
		while (*p == sep)
			p++;
		if (*p == '\0')
			break;
		e = strchr(p, sep);
		if (e == NULL)
			e = p + strlen(p);
		if ((size_t)(e - p) == n && strncmp(p, w, n) == 0)
			return 1;
		p = e;
	}
	return 0;
}

int
client_has_grant(const struct db_client *c, enum grant g)
{
	const char *name = grant_name(g);

	return list_has(c->grants, ' ', name, strlen(name));
}

int
client_redirect_ok(const struct db_client *c, const char *uri)
{
	/* RFC 6749 §3.1.2.3 / RFC 9700 §4.1.3: exact string comparison. */
	return uri != NULL && *uri != '\0' &&
	    list_has(c->redirect_uris, '\n', uri, strlen(uri));
}

int
client_default_redirect(const struct db_client *c, char *out, size_t n)
{
	size_t len = strcspn(c->redirect_uris, "\n");

	/* RFC 6749 §3.1.2.3: only when exactly one URI is registered. */
	if (len == 0 || c->redirect_uris[len] != '\0' || len >= n)
		return -1;
	memcpy(out, c->redirect_uris, len);
	out[len] = '\0';
	return 0;
}

int
scope_valid(const char *scope)
{
	const unsigned char *p = (const unsigned char *)scope;

	/* scope-token = 1*( %x21 / %x23-5B / %x5D-7E ), joined by SP */
	for (; *p != '\0'; p++) {
		if (*p == ' ')
			continue;
		if (*p < 0x21 || *p == 0x22 || *p == 0x5c || *p > 0x7e)
			return 0;
	}
	return strlen(scope) <= 1000;
}

int
scope_has(const char *scope, const char *one)
{
	return list_has(scope, ' ', one, strlen(one));
}

int
scope_subset(const char *sub, const char *super)
{
	char one[1001];
	const char *p = sub;
	size_t n;

	while (*p != '\0') {
		while (*p == ' ')
			p++;
		n = strcspn(p, " ");
		if (n == 0)
			break;
		if (n >= sizeof(one))
			return 0;
		memcpy(one, p, n);
		one[n] = '\0';
		if (!scope_has(super, one))
			return 0;
		p += n;
	}
	return 1;
}

int
client_scope_ok(const struct db_client *c, const char *scope)
{
	static const char user_scopes[] =
	    "username email firstname lastname phone";
	const char *allowed = c->scopes[0] ? c->scopes : user_scopes;
	const char *p = scope, *e;

	if (!scope_valid(scope))
		return 0;
	while (*p != '\0') {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		e = strchr(p, ' ');
		if (e == NULL)
			e = p + strlen(p);
		if (!list_has(allowed, ' ', p, (size_t)(e - p)))
			return 0;
		p = e;
	}
	return 1;
}

static const char *
check_fields(const struct db_client *c)
{
	const char *p, *e;
	size_t n = strlen(c->client_id);

	if (n == 0 || !utf8_valid(c->client_id, n) ||
	    utf8_count(c->client_id, n) > 191)
		return "client_id must be 1 to 191 characters";
	for (p = c->client_id; *p != '\0'; p++)
		if ((unsigned char)*p < 0x21 || *p == 0x7f)
			return "client_id must not hold spaces or controls";
	if (!utf8_valid(c->name, strlen(c->name)) ||
	    utf8_count(c->name, strlen(c->name)) > 200)
		return "name must be at most 200 characters";
	if (!scope_valid(c->scopes))
		return "scopes must be RFC 6749 scope tokens";
	/* Redirect URIs: absolute, no fragment (RFC 6749 §3.1.2). */
	for (p = c->redirect_uris; *p != '\0'; p = *e ? e + 1 : e) {
		e = p + strcspn(p, "\n");
		if (e == p || memchr(p, '#', (size_t)(e - p)) != NULL ||
		    memchr(p, ':', (size_t)(e - p)) == NULL ||
		    memchr(p, ' ', (size_t)(e - p)) != NULL)
			return "redirect URIs must be absolute, without "
			       "fragment or spaces";
	}
	if (!utf8_valid(c->redirect_uris, strlen(c->redirect_uris)))
		return "redirect URIs must be valid UTF-8";
	/* A redirect that runs script in the browser is no redirect. */
	for (p = c->redirect_uris; *p != '\0'; p = *e ? e + 1 : e) {
		e = p + strcspn(p, "\n");
		if (strncasecmp(p, "javascript:", 11) == 0 ||
		    strncasecmp(p, "data:", 5) == 0 ||
		    strncasecmp(p, "vbscript:", 9) == 0)
			return "redirect URIs must not use a script scheme";
		for (const char *q = p; q < e; q++)
			if ((unsigned char)*q < 0x20 || *q == 0x7f)
				return "redirect URIs must not hold control "
				       "characters";
	}
	return NULL;
}

enum oauth_err
client_create(struct db_client *c, int generate, const char *chosen,
    char secret_out[SECRET_HEX_LEN + 1], long long now, const char **why)
{
	unsigned char d[DIGEST_LEN];
	char hex[DIGEST_LEN * 2 + 1];
	int rc;

	if ((*why = check_fields(c)) != NULL)
		return OE_BAD_INPUT;
	c->secret_hash[0] = '\0';
	if (generate) {
		if (secret_token(secret_out) == -1) {
			*why = "no randomness";
			return OE_SERVER;
		}
		secret_digest(secret_out, SECRET_HEX_LEN, d);
		secret_hex(d, sizeof(d), hex);
		snprintf(c->secret_hash, sizeof(c->secret_hash), "%s%s",
		    SECRET_PREFIX, hex);
		c->is_public = 0;
	} else if (chosen != NULL) {
		if (!password_acceptable(chosen, strlen(chosen))) {
			*why = "client_secret must be 1 to 511 bytes";
			return OE_BAD_INPUT;
		}
		if (password_hash(chosen, strlen(chosen), c->secret_hash) ==
		    -1) {
			*why = "secret hashing failed";
			return OE_SERVER;
		}
		c->is_public = 0;
	} else if (!c->is_public) {
		*why = "a confidential client needs a secret";
		return OE_BAD_INPUT;
	}
	c->created_at = now;
	rc = db_client_insert(c);
	if (rc == DB_DUP) {
		*why = "client_id already registered";
		return OE_CONFLICT;
	}
	return rc == DB_OK ? OE_OK : OE_SERVER;
}

enum oauth_err
client_find(const char *client_id, struct db_client *c)
{
	if (client_id == NULL || strlen(client_id) > 191 * 4)
		return OE_INVALID_CLIENT;
	return oauth_err_from_db(db_client_by_client_id(client_id, c),
	    OE_INVALID_CLIENT);
}

enum oauth_err
client_by_ref(unsigned long long ref, struct db_client *c)
{
	return oauth_err_from_db(db_client_by_ref(ref, c), OE_INVALID_CLIENT);
}

enum oauth_err
client_delete(const char *client_id, unsigned long long *revoked)
{
	struct db_client c;
	enum oauth_err e;

	*revoked = 0;
	if ((e = client_find(client_id, &c)) != OE_OK)
		return e;
	/*
	 * The processes that remember this client (client_remember()) need
	 * no word of it: their checked INSERT finds no row and falls back
	 * to client_find(), which answers unknown.
	 */
	return oauth_err_from_db(db_client_delete(c.id, revoked),
	    OE_INVALID_CLIENT);
}

enum oauth_err
client_check_secret(const struct db_client *c, const char *secret)
{
	unsigned char d[DIGEST_LEN], stored[DIGEST_LEN];
	size_t plen = strlen(SECRET_PREFIX);

	if (c->is_public)
		return secret == NULL ? OE_OK : OE_INVALID_CLIENT;
	if (secret == NULL)
		return OE_INVALID_CLIENT;
	if (strncmp(c->secret_hash, SECRET_PREFIX, plen) == 0) {
		if (strlen(c->secret_hash) != plen + DIGEST_LEN * 2 ||
		    secret_unhex(c->secret_hash + plen, DIGEST_LEN, stored) ==
			-1)
			return OE_INVALID_CLIENT;
		secret_digest(secret, strlen(secret), d);
		return secret_equal(d, stored, DIGEST_LEN) ? OE_OK :
							     OE_INVALID_CLIENT;
	}
	return password_verify(secret, strlen(secret), c->secret_hash) ?
	    OE_OK :
	    OE_INVALID_CLIENT;
}

enum oauth_err
client_throttle(const char *client_id, const char *ip, long long now,
    enum oauth_err e, struct db_client *c)
{
	long long retry = 0;

	if (e == OE_OK)
		return c->locked_until > now ? OE_CLIENT_THROTTLED : OE_OK;
	if (e != OE_INVALID_CLIENT || client_id == NULL || ip == NULL)
		return e;
	switch (throttle_client_fail(client_id, ip, now, &retry)) {
	case 1:
		c->locked_until = now + retry;
		return OE_CLIENT_THROTTLED;
	case -1:
		log_warn("could not record a failed client authentication: %s",
		    db_error());
		break;
	}
	return OE_INVALID_CLIENT;
}

enum oauth_err
client_authenticate(const char *client_id, const char *secret, const char *ip,
    long long now, struct db_client *c)
{
	enum oauth_err e;

	memset(c, 0, sizeof(*c));
	snprintf(c->auth_ip, sizeof(c->auth_ip), "%s", ip ? ip : "");
	/*
	 * The client and its lock in one statement: a successful
	 * authentication costs no more round trips than before.
	 */
	if (client_id == NULL || strlen(client_id) > 191 * 4)
		e = OE_INVALID_CLIENT;
	else
		e = oauth_err_from_db(db_client_auth(client_id, c),
		    OE_INVALID_CLIENT);
	/* Locked: no secret is checked (a chosen one costs a hash). */
	if (e == OE_OK && c->locked_until > now)
		return OE_CLIENT_THROTTLED;
	if (e == OE_OK)
		e = client_check_secret(c, secret);
	return client_throttle(client_id, ip, now, e, c);
}

/* The fields the checked INSERT compares, and nothing else. */
struct remembered {
	unsigned long long id;
	char client_id[191 * 4 + 1];
	char secret_hash[256];
	char grants[256];
	char scopes[1001];
	long long access_ttl;
};

#define REMEMBERED 4

static struct remembered memory[REMEMBERED];
static unsigned next_slot;

static struct remembered *
remembered(const char *client_id)
{
	size_t i;

	for (i = 0; i < REMEMBERED; i++)
		if (memory[i].id != 0 &&
		    strcmp(memory[i].client_id, client_id) == 0)
			return &memory[i];
	return NULL;
}

void
client_remember(const struct db_client *c)
{
	struct remembered *m;

	if (c->is_public || strlen(c->client_id) >= sizeof(m->client_id) ||
	    strlen(c->secret_hash) >= sizeof(m->secret_hash))
		return;
	if ((m = remembered(c->client_id)) == NULL)
		m = &memory[next_slot++ % REMEMBERED];
	memset(m, 0, sizeof(*m));
	m->id = c->id;
	snprintf(m->client_id, sizeof(m->client_id), "%s", c->client_id);
	snprintf(m->secret_hash, sizeof(m->secret_hash), "%s", c->secret_hash);
	snprintf(m->grants, sizeof(m->grants), "%s", c->grants);
	snprintf(m->scopes, sizeof(m->scopes), "%s", c->scopes);
	m->access_ttl = c->access_ttl;
}

enum oauth_err
client_recall(const char *client_id, const char *secret, struct db_client *c)
{
	const struct remembered *m;

	if (client_id == NULL || (m = remembered(client_id)) == NULL)
		return OE_INVALID_CLIENT;
	memset(c, 0, sizeof(*c));
	c->id = m->id;
	memcpy(c->client_id, m->client_id, sizeof(m->client_id));
	memcpy(c->secret_hash, m->secret_hash, sizeof(m->secret_hash));
	memcpy(c->grants, m->grants, sizeof(m->grants));
	memcpy(c->scopes, m->scopes, sizeof(m->scopes));
	c->access_ttl = m->access_ttl;
	return client_check_secret(c, secret);
}

void
client_forget(const char *client_id)
{
	struct remembered *m;

	if (client_id != NULL && (m = remembered(client_id)) != NULL)
		memset(m, 0, sizeof(*m));
}

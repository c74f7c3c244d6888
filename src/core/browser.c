/* browser.c - see browser.h */
#include "browser.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "client.h"
#include "config.h"
#include "session.h"
#include "token.h"

struct signin_ctx {
	struct db_token row;
	const char *device;
	long long now;
};

static int
signin_tx(void *p)
{
	struct signin_ctx *x = p;
	int rc;

	if ((rc = db_session_insert(x->row.user_id, 0, x->device, x->now,
		 &x->row.session_id)) != DB_OK)
		return rc;
	return db_token_insert(&x->row);
}

enum oauth_err
browser_signin(unsigned long long user_id, const char *device, long long now,
    char cookie[SECRET_HEX_LEN + 1], unsigned long long *session_id)
{
	struct signin_ctx x;

	memset(&x, 0, sizeof(x));
	if (secret_token(cookie) == -1)
		return OE_SERVER;
	secret_digest(cookie, SECRET_HEX_LEN, x.row.digest);
	x.row.kind = TOKEN_BROWSER;
	x.row.user_id = user_id;
	x.row.created_ms = now * 1000;
	x.row.expires_at = now + cfg.login_cookie_ttl;
	x.device = device;
	x.now = now;
	if (db_tx(signin_tx, &x) != DB_OK) {
		memset(cookie, 0, SECRET_HEX_LEN + 1);
		return OE_SERVER;
	}
	*session_id = x.row.session_id;
	return OE_OK;
}

enum oauth_err
browser_check(const char *cookie, long long now, struct db_token *t)
{
	unsigned char digest[DB_DIGEST_LEN];
	int rc;

	if (cookie == NULL || !secret_is_token(cookie))
		return OE_INVALID_TOKEN;
	secret_digest(cookie, SECRET_HEX_LEN, digest);
	rc = db_token_get(digest, t);
	if (rc == DB_NOTFOUND)
		return OE_INVALID_TOKEN;
	if (rc != DB_OK)
		return OE_SERVER;
	/* A disabled user's cookie is refused like a signed-out one. */
	if (t->kind != TOKEN_BROWSER || t->revoked || t->expires_at <= now ||
	    t->session_revoked_at != 0 || t->user_disabled)
		return OE_INVALID_TOKEN;
	(void)session_touch(t->session_id, t->session_last_access, now);
	return OE_OK;
}

int
browser_csrf_ready(void)
{
	return cfg.instance_secret != NULL && cfg.instance_secret[0] != '\0';
}

int
browser_csrf(unsigned long long session_id, const char *pre,
    char out[BROWSER_CSRF_LEN + 1])
{
	unsigned char key[128], mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	size_t keylen;
	char msg[96];
	int n, rc = -1;

	out[0] = '\0';
	if (!browser_csrf_ready())
		return -1;
	keylen = strlen(cfg.instance_secret) / 2;
	if (keylen > sizeof(key) ||
	    secret_unhex(cfg.instance_secret, keylen, key) == -1)
		goto out;
	/* Labelled, so a value of one kind is never the other's. */
	if (session_id != 0)
		n = snprintf(msg, sizeof(msg), "oauth-fcgi csrf session %llu",
		    session_id);
	else if (pre != NULL && secret_is_token(pre))
		n = snprintf(msg, sizeof(msg), "oauth-fcgi csrf pre-session %s",
		    pre);
	else
		goto out;
	if (n < 0 || (size_t)n >= sizeof(msg))
		goto out;
	if (HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)msg,
		(size_t)n, mac, &maclen) == NULL ||
	    maclen != BROWSER_CSRF_LEN / 2)
		goto out;
	secret_hex(mac, maclen, out);
	rc = 0;
out:
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(mac, sizeof(mac));
	return rc;
}

int
consent_covers(unsigned long long user_id, unsigned long long client_ref,
    const char *scope)
{
	char have[1001];

	if (db_consent_get(user_id, client_ref, have, sizeof(have)) != DB_OK)
		return 0;
	/* "" is "never asked"; an approval of nothing is stored as " ". */
	return have[0] != '\0' && scope_subset(scope, have);
}

enum oauth_err
consent_remember(unsigned long long user_id, unsigned long long client_ref,
    const char *scope, long long now)
{
	char have[1001], merged[1001], one[1001];
	const char *p = scope;
	size_t n;
	int len;

	if (db_consent_get(user_id, client_ref, have, sizeof(have)) != DB_OK)
		return OE_SERVER;
	len = snprintf(merged, sizeof(merged), "%s", have);
	while (*p != '\0') {
		while (*p == ' ')
			p++;
		n = strcspn(p, " ");
		if (n == 0)
			break;
		if (n < sizeof(one)) {
			memcpy(one, p, n);
			one[n] = '\0';
			if (!scope_has(merged, one) &&
			    (size_t)len + n + 2 < sizeof(merged))
				len += snprintf(merged + len,
				    sizeof(merged) - (size_t)len, "%s%s",
				    len ? " " : "", one);
		}
		p += n;
	}
	/*
	 * An empty approved scope is still an approval: store a marker the
	 * scope grammar can't produce, so "approved nothing" differs from
	 * "never asked".
	 */
	if (merged[0] == '\0')
		snprintf(merged, sizeof(merged), "%s", " ");
	return db_consent_put(user_id, client_ref, merged, now) == DB_OK ?
	    OE_OK :
	    OE_SERVER;
}

/* grant.c - see grant.h */
#include "grant.h"

#include <stdio.h>
#include <string.h>

#include "config.h"
#include "log.h"

static const char user_scopes[] = SCOPE_ALL_USER;

/* How long a used code's row is kept for replay detection (SPEC 14). */
#define CODE_REPLAY_KEEP 86400

static long long
access_ttl(const struct db_client *c)
{
	return c->access_ttl > 0 ? c->access_ttl : cfg.access_token_ttl;
}

enum oauth_err
grant_scope(const struct db_client *c, const char *requested, int for_user,
    char out[1001])
{
	const char *p;
	size_t n = 0;

	if (requested == NULL || *requested == '\0') {
		/* RFC 6749 §3.3: a documented default when none is asked. */
		snprintf(out, 1001, "%s",
		    c->scopes[0] ? c->scopes : (for_user ? user_scopes : ""));
		return OE_OK;
	}
	if (!client_scope_ok(c, requested))
		return OE_INVALID_SCOPE;
	/* Normalise: single spaces, no leading or trailing ones. */
	for (p = requested; *p != '\0'; p++) {
		if (*p == ' ' && (n == 0 || out[n - 1] == ' '))
			continue;
		if (n >= 1000)
			return OE_INVALID_SCOPE;
		out[n++] = *p;
	}
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
	return OE_OK;
}

static void
fill_result(struct grant_result *r, const struct db_client *c,
    const char *scope, unsigned long long user_id)
{
	snprintf(r->scope, sizeof(r->scope), "%s", scope);
	r->expires_in = access_ttl(c);
	r->user_id = user_id;
}

enum oauth_err
grant_password(const struct db_client *c, const char *username, const char *pw,
    size_t pwlen, const char *scope, const char *ip, const char *device,
    int dialect, long long now, struct grant_result *r, struct login_result *lr)
{
	struct issue_req ir;
	char sc[1001];
	enum oauth_err e;

	memset(r, 0, sizeof(*r));
	if (!client_has_grant(c, GRANT_PASSWORD))
		return OE_UNAUTHORIZED_CLIENT;
	if ((e = grant_scope(c, scope, 1, sc)) != OE_OK)
		return e;
	if ((e = user_login(username, pw, pwlen, ip, LOGIN_ANY, now, lr)) !=
	    OE_OK)
		return e;
	memset(&ir, 0, sizeof(ir));
	ir.user_id = lr->user.id;
	ir.client_ref = c->id;
	ir.device_info = device;
	ir.scope = sc;
	ir.access_ttl = access_ttl(c);
	ir.refresh_ttl = client_has_grant(c, GRANT_REFRESH_TOKEN) ?
	    cfg.refresh_token_ttl :
	    0;
	ir.dialect = dialect;
	if ((e = token_issue_session(&ir, now, &r->tok)) != OE_OK)
		return e;
	fill_result(r, c, sc, lr->user.id);
	return OE_OK;
}

static enum oauth_err
client_credentials(const struct db_client *c, const char *scope, int dialect,
    long long now, struct grant_result *r, int checked)
{
	struct pair_req pr;
	char sc[1001];
	enum oauth_err e;
	int rc;

	memset(r, 0, sizeof(*r));
	/* §4.4: only confidential clients can authenticate for themselves. */
	if (c->is_public || !client_has_grant(c, GRANT_CLIENT_CREDENTIALS))
		return OE_UNAUTHORIZED_CLIENT;
	if ((e = grant_scope(c, scope, 0, sc)) != OE_OK)
		return e;
	memset(&pr, 0, sizeof(pr));
	pr.client_ref = c->id;
	pr.scope = sc;
	pr.access_ttl = access_ttl(c);
	pr.dialect = dialect;
	pr.checked = checked ? c : NULL;
	/*
	 * One row (no refresh token, §4.4.3): a single INSERT is atomic by
	 * itself, so no transaction and its extra round trips.
	 */
	rc = token_insert_pair(&pr, now, &r->tok);
	if (rc == DB_NOTFOUND)
		return OE_INVALID_CLIENT; /* the remembered row is stale */
	if (rc != DB_OK)
		return OE_SERVER;
	fill_result(r, c, sc, 0);
	return OE_OK;
}

enum oauth_err
grant_client_credentials(const struct db_client *c, const char *scope,
    int dialect, long long now, struct grant_result *r)
{
	return client_credentials(c, scope, dialect, now, r, 0);
}

enum oauth_err
grant_client_credentials_remembered(const struct db_client *c,
    const char *scope, int dialect, long long now, struct grant_result *r)
{
	return client_credentials(c, scope, dialect, now, r, 1);
}

int
pkce_verifier_valid(const char *v)
{
	size_t n = strlen(v), i;

	if (n < 43 || n > 128)
		return 0;
	for (i = 0; i < n; i++) {
		char ch = v[i];

		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
			(ch >= '0' && ch <= '9') || ch == '-' || ch == '.' ||
			ch == '_' || ch == '~'))
			return 0;
	}
	return 1;
}

int
pkce_challenge_valid(const char *v)
{
	return pkce_verifier_valid(v);
}

/* RFC 7636 §4.6. */
static int
pkce_ok(const struct db_token *code, const char *verifier)
{
	unsigned char d[DIGEST_LEN];
	char b64[64];
	size_t n;

	if (code->code_challenge[0] == '\0')
		return verifier == NULL; /* RFC 9700 §4.8.2: no downgrade */
	if (verifier == NULL || !pkce_verifier_valid(verifier))
		return 0;
	if (code->code_method == PKCE_PLAIN)
		return secret_streq(verifier, code->code_challenge);
	secret_digest(verifier, strlen(verifier), d);
	n = secret_b64url(d, sizeof(d), b64);
	b64[n] = '\0';
	return secret_streq(b64, code->code_challenge);
}

struct code_ctx {
	const struct db_client *c;
	const char *code, *redirect_uri, *verifier;
	int dialect;
	long long now;
	struct grant_result *r;
	enum oauth_err result;
};

static int
code_tx(void *p)
{
	struct code_ctx *x = p;
	unsigned char digest[DB_DIGEST_LEN];
	struct db_token row;
	struct pair_req pr;
	int rc;

	x->result = OE_INVALID_GRANT;
	secret_digest(x->code, strlen(x->code), digest);
	rc = db_token_get_locked(digest, &row);
	if (rc == DB_NOTFOUND)
		return DB_OK;
	if (rc != DB_OK)
		return rc;
	if (row.kind != TOKEN_CODE || row.client_ref != x->c->id)
		return DB_OK;
	if (row.used_at != 0) {
		/*
		 * RFC 6749 §4.1.2: a code used twice is stolen or replayed;
		 * revoke what the first exchange issued, and commit that.
		 */
		log_info("authorization code replayed: revoking its tokens");
		if (row.has_family)
			return db_token_revoke_family(row.family);
		return DB_OK;
	}
	/* SPEC 14: a disabled user's code is refused (not revoked). */
	if (row.revoked || row.expires_at <= x->now ||
	    row.session_revoked_at != 0 || row.user_disabled || row.client_gone)
		return DB_OK;
	/* §4.1.3: the same redirect_uri when the request had one. */
	if (row.redirect_uri[0] != '\0' &&
	    (x->redirect_uri == NULL ||
		strcmp(row.redirect_uri, x->redirect_uri) != 0))
		return DB_OK;
	/* PKCE before anything is issued. */
	if (!pkce_ok(&row, x->verifier))
		return DB_OK;
	/*
	 * SPEC 14: the used code's row outlives the purge for a day after
	 * its issue, so a replay within it still revokes what it gave.
	 */
	if ((rc = db_code_mark_used(digest, x->now,
		 row.created_ms / 1000 + CODE_REPLAY_KEEP)) != DB_OK)
		return rc == DB_NOTFOUND ? DB_OK : rc;
	memset(&pr, 0, sizeof(pr));
	pr.session_id = row.session_id;
	pr.client_ref = row.client_ref;
	pr.user_id = row.user_id;
	pr.scope = row.scope;
	pr.access_ttl = access_ttl(x->c);
	pr.refresh_ttl = client_has_grant(x->c, GRANT_REFRESH_TOKEN) ?
	    cfg.refresh_token_ttl :
	    0;
	pr.family = row.has_family ? row.family : NULL;
	pr.dialect = x->dialect;
	memset(&x->r->tok, 0, sizeof(x->r->tok));
	if ((rc = token_insert_pair(&pr, x->now, &x->r->tok)) != DB_OK)
		return rc;
	fill_result(x->r, x->c, row.scope, row.user_id);
	x->result = OE_OK;
	return DB_OK;
}

enum oauth_err
grant_authorization_code(const struct db_client *c, const char *code,
    const char *redirect_uri, const char *verifier, int dialect, long long now,
    struct grant_result *r)
{
	struct code_ctx x = { c, code, redirect_uri, verifier, dialect, now, r,
		OE_INVALID_GRANT };

	memset(r, 0, sizeof(*r));
	if (!client_has_grant(c, GRANT_AUTHORIZATION_CODE))
		return OE_UNAUTHORIZED_CLIENT;
	if (code == NULL || !secret_is_token(code))
		return OE_INVALID_GRANT;
	if (db_tx(code_tx, &x) != DB_OK)
		return OE_SERVER;
	return x.result;
}

struct refresh_ctx {
	const struct db_client *c;
	const char *refresh, *scope;
	int dialect;
	long long now;
	struct grant_result *r;
	enum oauth_err result;
};

static int
refresh_tx(void *p)
{
	struct refresh_ctx *x = p;
	unsigned char digest[DB_DIGEST_LEN];
	struct db_token row;
	struct pair_req pr;
	char sc[1001];
	long long fend;
	int rc;

	x->result = OE_INVALID_GRANT;
	secret_digest(x->refresh, strlen(x->refresh), digest);
	/* The row lock makes concurrent refreshes queue: one wins. */
	rc = db_token_get_locked(digest, &row);
	if (rc == DB_NOTFOUND)
		return DB_OK;
	if (rc != DB_OK)
		return rc;
	if (row.kind != TOKEN_REFRESH || row.client_ref != x->c->id)
		return DB_OK;
	if (row.used_at != 0) {
		if (x->now - row.used_at <= cfg.refresh_grace)
			return DB_OK; /* a race between two tabs, not theft */
		log_info("retired refresh token reused: revoking its family");
		return row.has_family ? db_token_revoke_family(row.family) :
					DB_OK;
	}
	/*
	 * SPEC 14: no rotation for a disabled user; the family is kept, so
	 * enabling the user again brings it back.
	 */
	if (row.revoked || row.expires_at <= x->now ||
	    row.session_revoked_at != 0 || row.user_disabled || row.client_gone)
		return DB_OK;
	/*
	 * SPEC 14: the family's absolute end. A token from before the
	 * column existed starts the count at its own issue.
	 */
	if ((rc = db_token_family_end(digest, &fend)) != DB_OK)
		return rc;
	if (fend == 0)
		fend = row.created_ms / 1000 + cfg.refresh_max_ttl;
	if (fend <= x->now)
		return DB_OK;
	/* §6: a narrower scope may be asked, never a wider one. */
	if (x->scope != NULL && *x->scope != '\0') {
		if (grant_scope(x->c, x->scope, 1, sc) != OE_OK ||
		    !scope_subset(sc, row.scope)) {
			x->result = OE_INVALID_SCOPE;
			return DB_OK;
		}
	} else {
		snprintf(sc, sizeof(sc), "%s", row.scope);
	}
	if ((rc = db_token_mark_used(digest, x->now)) != DB_OK)
		return rc == DB_NOTFOUND ? DB_OK : rc;
	memset(&pr, 0, sizeof(pr));
	pr.session_id = row.session_id;
	pr.client_ref = row.client_ref;
	pr.user_id = row.user_id;
	pr.scope = sc;
	pr.access_ttl = access_ttl(x->c);
	pr.refresh_ttl = cfg.refresh_token_ttl;
	pr.family = row.has_family ? row.family : NULL;
	pr.family_end = fend;
	pr.dialect = x->dialect;
	memset(&x->r->tok, 0, sizeof(x->r->tok));
	if ((rc = token_insert_pair(&pr, x->now, &x->r->tok)) != DB_OK)
		return rc;
	fill_result(x->r, x->c, sc, row.user_id);
	x->result = OE_OK;
	return DB_OK;
}

enum oauth_err
grant_refresh(const struct db_client *c, const char *refresh, const char *scope,
    int dialect, long long now, struct grant_result *r)
{
	struct refresh_ctx x = { c, refresh, scope, dialect, now, r,
		OE_INVALID_GRANT };

	memset(r, 0, sizeof(*r));
	if (!client_has_grant(c, GRANT_REFRESH_TOKEN))
		return OE_UNAUTHORIZED_CLIENT;
	if (refresh == NULL || !secret_is_token(refresh))
		return OE_INVALID_GRANT;
	if (db_tx(refresh_tx, &x) != DB_OK)
		return OE_SERVER;
	return x.result;
}

struct codeissue_ctx {
	struct db_token row;
	const char *device;
};

static int
codeissue_tx(void *p)
{
	struct codeissue_ctx *x = p;
	int rc;

	if ((rc = db_session_insert(x->row.user_id, x->row.client_ref,
		 x->device, x->row.created_ms / 1000, &x->row.session_id)) !=
	    DB_OK)
		return rc;
	return db_token_insert(&x->row);
}

enum oauth_err
grant_code_issue(const struct db_client *c, unsigned long long user_id,
    const char *device, const char *redirect_uri, const char *scope,
    const char *challenge, enum pkce_method method, int dialect, long long now,
    char code[SECRET_HEX_LEN + 1])
{
	struct codeissue_ctx x;

	memset(&x, 0, sizeof(x));
	x.row.kind = TOKEN_CODE;
	x.row.client_ref = c->id;
	x.row.user_id = user_id;
	snprintf(x.row.scope, sizeof(x.row.scope), "%s", scope);
	x.row.created_ms = now * 1000;
	x.row.expires_at = now + cfg.code_ttl;
	if (secret_random(x.row.family, DB_FAMILY_LEN) == -1 ||
	    secret_token(code) == -1)
		return OE_SERVER;
	x.row.has_family = 1;
	snprintf(x.row.redirect_uri, sizeof(x.row.redirect_uri), "%s",
	    redirect_uri ? redirect_uri : "");
	snprintf(x.row.code_challenge, sizeof(x.row.code_challenge), "%s",
	    challenge ? challenge : "");
	x.row.code_method = challenge ? (int)method : 0;
	x.row.dialect = dialect;
	secret_digest(code, SECRET_HEX_LEN, x.row.digest);
	x.device = device;
	if (db_tx(codeissue_tx, &x) != DB_OK) {
		memset(code, 0, SECRET_HEX_LEN + 1);
		return OE_SERVER;
	}
	return OE_OK;
}

enum oauth_err
grant_implicit(const struct db_client *c, unsigned long long user_id,
    const char *device, const char *scope, int dialect, long long now,
    struct grant_result *r)
{
	struct issue_req ir;
	enum oauth_err e;

	memset(r, 0, sizeof(*r));
	if (!client_has_grant(c, GRANT_IMPLICIT))
		return OE_UNAUTHORIZED_CLIENT;
	memset(&ir, 0, sizeof(ir));
	ir.user_id = user_id;
	ir.client_ref = c->id;
	ir.device_info = device;
	ir.scope = scope;
	ir.access_ttl = access_ttl(c);
	ir.dialect = dialect;
	if ((e = token_issue_session(&ir, now, &r->tok)) != OE_OK)
		return e;
	fill_result(r, c, scope, user_id);
	return OE_OK;
}

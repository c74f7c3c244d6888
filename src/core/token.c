/* token.c - see token.h */
#include "token.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client.h"
#include "config.h"
#include "log.h"
#include "session.h"

long long
token_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct issue_ctx {
	const struct issue_req *req;
	long long now;
	struct issued *out;
};

static int
new_token(struct db_token *row, char hex[SECRET_HEX_LEN + 1])
{
	if (secret_token(hex) == -1)
		return -1;
	secret_digest(hex, SECRET_HEX_LEN, row->digest);
	return 0;
}

int
token_insert_pair(const struct pair_req *r, long long now, struct issued *out)
{
	struct db_token row;
	int rc;

	memset(&row, 0, sizeof(row));
	row.kind = TOKEN_ACCESS;
	row.session_id = r->session_id;
	row.client_ref = r->client_ref;
	row.user_id = r->user_id;
	snprintf(row.scope, sizeof(row.scope), "%s", r->scope);
	if (out->created_ms == 0)
		out->created_ms = now * 1000 + token_now_ms() % 1000;
	row.created_ms = out->created_ms;
	row.expires_at = now + r->access_ttl;
	row.dialect = r->dialect;
	/*
	 * A family ties a refresh token to its successors and the access
	 * tokens issued with them. A token issued alone (client_credentials,
	 * implicit) has none to join: no random draw, a NULL in the row.
	 */
	if (r->family != NULL) {
		memcpy(row.family, r->family, DB_FAMILY_LEN);
		row.has_family = 1;
	} else if (r->refresh_ttl > 0) {
		if (secret_random(row.family, DB_FAMILY_LEN) == -1)
			return DB_ERROR;
		row.has_family = 1;
	}
	if (new_token(&row, out->access) == -1)
		return DB_ERROR;
	rc = r->checked != NULL ? db_token_insert_checked(&row, r->checked) :
				  db_token_insert(&row);
	if (rc != DB_OK)
		return rc;
	out->expires_at = row.expires_at;
	out->session_id = r->session_id;
	out->refresh[0] = '\0';
	if (r->refresh_ttl <= 0)
		return DB_OK;
	row.kind = TOKEN_REFRESH;
	row.expires_at = now + r->refresh_ttl;
	/* Sliding, but never past the family's absolute end (SPEC 14). */
	row.family_expires_at =
	    r->family_end > 0 ? r->family_end : now + cfg.refresh_max_ttl;
	if (row.expires_at > row.family_expires_at)
		row.expires_at = row.family_expires_at;
	if (new_token(&row, out->refresh) == -1)
		return DB_ERROR;
	return db_token_insert(&row);
}

static int
issue_tx(void *p)
{
	struct issue_ctx *c = p;
	const struct issue_req *req = c->req;
	struct pair_req pr;
	unsigned long long sid;
	int rc;

	if ((rc = db_session_insert(req->user_id, req->client_ref,
		 req->device_info, c->now, &sid)) != DB_OK)
		return rc;
	memset(&pr, 0, sizeof(pr));
	pr.session_id = sid;
	pr.client_ref = req->client_ref;
	pr.user_id = req->user_id;
	pr.scope = req->scope;
	pr.access_ttl = req->access_ttl;
	pr.refresh_ttl = req->refresh_ttl;
	pr.dialect = req->dialect;
	return token_insert_pair(&pr, c->now, c->out);
}

enum oauth_err
token_issue_session(const struct issue_req *req, long long now,
    struct issued *out)
{
	struct issue_ctx c = { req, now, out };
	int rc;

	memset(out, 0, sizeof(*out));
	out->created_ms = token_now_ms();
	/* Issue time and expiry come from one clock reading (SPEC L). */
	if (out->created_ms / 1000 != now)
		out->created_ms = now * 1000 + out->created_ms % 1000;
	rc = db_tx(issue_tx, &c);
	if (rc != DB_OK) {
		/* Nothing of it was committed: forget the tokens too. */
		memset(out->access, 0, sizeof(out->access));
		memset(out->refresh, 0, sizeof(out->refresh));
		return OE_SERVER;
	}
	return OE_OK;
}

/*
 * Tokens imported from the legacy table are known only by the SHA-1 it
 * kept; they are stored under SHA-256 of that SHA-1 (SPEC 3,
 * import-legacy). Looked for only when the token is not found as itself.
 */
static int
lookup_imported(const char *token, struct db_token *t, int named)
{
	unsigned char digest[DB_DIGEST_LEN], sha1[20];

	secret_sha1(token, SECRET_HEX_LEN, sha1);
	secret_digest((const char *)sha1, sizeof(sha1), digest);
	return named ? db_token_get_named(digest, t) : db_token_get(digest, t);
}

static enum oauth_err
lookup_err(int rc)
{
	if (rc == DB_NOTFOUND)
		return OE_INVALID_TOKEN;
	return rc == DB_OK ? OE_OK : OE_SERVER;
}

enum oauth_err
token_lookup(const char *token, struct db_token *t)
{
	unsigned char digest[DB_DIGEST_LEN];
	int rc;

	if (token == NULL || !secret_is_token(token))
		return OE_INVALID_TOKEN;
	secret_digest(token, SECRET_HEX_LEN, digest);
	rc = db_token_get(digest, t);
	if (rc == DB_NOTFOUND)
		rc = lookup_imported(token, t, 0);
	return lookup_err(rc);
}

enum oauth_err
token_lookup_with_client(const char *client_id, const char *token,
    struct db_client *cl, struct db_token *t, enum oauth_err *te)
{
	unsigned char digest[DB_DIGEST_LEN];
	enum oauth_err e;
	int rc, found;

	memset(t, 0, sizeof(*t));
	*te = OE_INVALID_TOKEN;
	if (token == NULL || !secret_is_token(token) ||
	    strlen(client_id) > 191 * 4)
		return client_find(client_id, cl);
	secret_digest(token, SECRET_HEX_LEN, digest);
	rc = db_client_token(client_id, digest, cl, t, &found);
	if ((e = oauth_err_from_db(rc, OE_INVALID_CLIENT)) != OE_OK)
		return e;
	*te = found ? OE_OK : lookup_err(lookup_imported(token, t, 1));
	return OE_OK;
}

int
token_live(const struct db_token *t, long long now)
{
	return !t->revoked && t->expires_at > now &&
	    t->session_revoked_at == 0 && !t->user_disabled &&
	    !t->client_gone && !(t->kind == TOKEN_REFRESH && t->used_at != 0) &&
	    !(t->kind == TOKEN_CODE && t->used_at != 0);
}

int
token_first_party(const struct db_token *t)
{
	return t->client_ref == 0 || scope_has(t->scope, SCOPE_SESSIONS);
}

enum oauth_err
token_check(const char *token, long long now, struct db_token *t)
{
	enum oauth_err e;

	if ((e = token_lookup(token, t)) != OE_OK)
		return e;
	if (t->kind != TOKEN_ACCESS || !token_live(t, now))
		return OE_INVALID_TOKEN;
	if (session_touch(t->session_id, t->session_last_access, now) == 1)
		t->session_last_access = now;
	return OE_OK;
}

enum oauth_err
token_revoke(const struct db_token *t)
{
	int rc;

	if (t->kind == TOKEN_REFRESH && t->has_family)
		rc = db_token_revoke_family(t->family);
	else
		rc = db_token_revoke(t->digest);
	return rc == DB_OK ? OE_OK : OE_SERVER;
}

void
token_purge_maybe(long long now)
{
	unsigned long long n;

	if (cfg.purge_every <= 0 || rand() % cfg.purge_every != 0)
		return;
	if (db_purge(now, 100, &n) != DB_OK)
		log_warn("purge failed: %s", db_error());
}

struct import_ctx {
	struct db_token row;
	const char *device_info;
	long long now;
};

static int
import_tx(void *p)
{
	struct import_ctx *c = p;
	int rc;

	if ((rc = db_session_insert(c->row.user_id, 0, c->device_info, c->now,
		 &c->row.session_id)) != DB_OK)
		return rc;
	return db_token_insert(&c->row);
}

enum oauth_err
token_import_legacy(unsigned long long user_id, const char *auth_key,
    const char *device_info, long long expiry, long long now)
{
	struct import_ctx c;
	unsigned char sha1[20];
	char lower[SECRET_HEX_LEN + 1];
	size_t i;
	int rc;

	if (strlen(auth_key) != SECRET_HEX_LEN)
		return OE_BAD_INPUT;
	for (i = 0; i < SECRET_HEX_LEN; i++)
		lower[i] = (char)(auth_key[i] >= 'A' && auth_key[i] <= 'F' ?
			auth_key[i] - 'A' + 'a' :
			auth_key[i]);
	lower[SECRET_HEX_LEN] = '\0';
	if (secret_unhex(lower, sizeof(sha1), sha1) == -1)
		return OE_BAD_INPUT;
	memset(&c, 0, sizeof(c));
	secret_digest((const char *)sha1, sizeof(sha1), c.row.digest);
	c.row.kind = TOKEN_ACCESS;
	c.row.user_id = user_id;
	snprintf(c.row.scope, sizeof(c.row.scope), "%s", SCOPE_ALL_USER);
	c.row.created_ms = now * 1000;
	c.row.expires_at = expiry;
	c.row.dialect = 0; /* DIALECT_LEGACY */
	c.device_info = device_info;
	c.now = now;
	rc = db_tx(import_tx, &c);
	if (rc == DB_DUP)
		return OE_CONFLICT;
	return rc == DB_OK ? OE_OK : OE_SERVER;
}

/*
 * db.h - every SQL statement the server runs, prepared (STYLE habit 9).
 *
 * One connection per process, opened on first use and kept; its prepared
 * statements are kept with it. When the server goes away (restart, idle
 * timeout) the connection and its statements are dropped and the next call
 * connects again, so a FastCGI process outlives a database restart without
 * help. Nothing here knows HTTP or any dialect.
 *
 * Return values: DB_OK (0) on success; DB_NOTFOUND (1) when a lookup found
 * no row or an update matched none; DB_DUP (2) when an insert hit a unique
 * key; DB_ERROR (-1) when the database is unreachable or a statement
 * failed — db_error() then has the server's message (for the DEV build's
 * legacy debug output; never shown in production).
 *
 * Transactions: db_tx() runs a function between BEGIN and COMMIT and reruns
 * it from the start, a few times with a small random backoff, when the
 * server reports a deadlock or Galera certification conflict (1213) or a
 * lock wait timeout (1205) (SPEC section 2, scale-out).
 */
#ifndef DB_H
#define DB_H

#include <stddef.h>

#define DB_OK 0
#define DB_NOTFOUND 1
#define DB_DUP 2
#define DB_ERROR (-1)

#define DB_DIGEST_LEN 32
#define DB_FAMILY_LEN 16

enum token_kind {
	TOKEN_ACCESS = 1,
	TOKEN_REFRESH = 2,
	TOKEN_CODE = 3,
	TOKEN_BROWSER = 4 /* the sign-in cookie of the login pages */
};

struct db_user {
	unsigned long long id;
	/* Sizes hold the column's characters at 4 bytes each, plus NUL. */
	char username[191 * 4 + 1];
	char phone[32 * 4 + 1]; /* "" when NULL */
	char email[191 * 4 + 1];
	char first[100 * 4 + 1];
	char last[100 * 4 + 1];
	char hash[256];
	int level;
	long long created_at;
	int disabled;
	int has_phone, has_email;
};

struct db_session {
	unsigned long long id;
	unsigned long long user_id;
	unsigned long long client_ref; /* 0 when NULL */
	char device_info[200 * 4 + 1];
	long long created_at;
	long long last_access;
	long long revoked_at; /* 0 when live */
	long long expiry;     /* latest live access token's expiry (lists) */
	char client_name[201 * 4];
	int browser; /* a sign-in of the login pages (a live kind-4 token) */
};

struct db_token {
	unsigned char digest[DB_DIGEST_LEN];
	int kind;
	unsigned long long session_id; /* 0 when NULL */
	unsigned long long client_ref; /* 0 when NULL */
	unsigned long long user_id;    /* 0 when NULL */
	char scope[1001];
	long long created_ms;
	long long expires_at;
	int revoked;
	unsigned char family[DB_FAMILY_LEN];
	int has_family;
	long long used_at; /* 0 when NULL */
	char redirect_uri[2001];
	char code_challenge[129];
	int code_method;
	int dialect;
	long long family_expires_at; /* refresh tokens; 0 when NULL (insert) */
	/* filled by db_token_get() from the session row */
	long long session_last_access;
	long long session_revoked_at; /* 0 when live or no session */
	/* from the users and clients rows, in the same statement (SPEC 14) */
	int user_disabled; /* it has a user, and the user is disabled or gone */
	int client_gone;   /* it was issued to a client that was deleted */
	/* db_token_get_named() only: the owner's names ("" when none/deleted) */
	char username[191 * 4 + 1];
	char client_id[191 * 4 + 1];
};

struct db_client {
	unsigned long long id; /* internal reference (tokens.client_ref) */
	char client_id[191 * 4 + 1];
	char secret_hash[256]; /* "" for public clients */
	char name[201 * 4];
	char redirect_uris[8192]; /* one per line */
	char grants[256];         /* space-separated */
	char scopes[1001];        /* space-separated */
	int is_public;
	int resource_server;
	long long access_ttl; /* 0: the configured default */
	long long created_at;
	/*
	 * The client authentication throttle (SPEC 14). In: auth_ip, the
	 * address the client authenticates from, read by the statements that
	 * fold the lock check in (db_client_auth, db_client_token,
	 * db_token_insert_checked). Out: locked_until, unix seconds until
	 * which the (client_id, address) pair or the address is locked out
	 * (0: free, or not looked up).
	 */
	char auth_ip[46];
	long long locked_until;
};

/* Connect now (idempotent): DB_OK or DB_ERROR. */
int db_open(void);
/* Close the statements and the connection; the library too when `final`. */
void db_close(int final);
/* The last error message from the server or the client library. */
const char *db_error(void);
/* 1 when the last failure was 1213/1205 (rerunning may succeed). */
int db_retryable(void);
/* One trivial query (readiness): DB_OK or DB_ERROR. */
int db_ping(void);

/*
 * Run fn(arg) in a transaction; fn returns DB_OK to commit, anything else
 * to roll back (then returned). Rerun on 1213/1205 up to 4 times.
 */
int db_tx(int (*fn)(void *arg), void *arg);

/* Migrations (the SQL embedded from sql/): apply pending ones. */
int db_migrate(int verbose);

/* users */
int db_user_by_username(const char *username, struct db_user *u);
int db_user_by_phone(const char *phone, struct db_user *u);
int db_user_by_id(unsigned long long id, struct db_user *u);
/* Insert u (phone/email "" → NULL); sets u->id. DB_DUP on a taken name. */
int db_user_insert(struct db_user *u, const char *remote_ip);
int db_user_set_hash(unsigned long long id, const char *hash);
int db_user_set_disabled(unsigned long long id, int disabled);
int db_user_delete(unsigned long long id);
/* cb for every user by id; stops early when cb returns non-zero. */
int db_user_list(int (*cb)(const struct db_user *u, void *arg), void *arg);

/* clients */
int db_client_insert(struct db_client *c);
int db_client_by_client_id(const char *client_id, struct db_client *c);
int db_client_by_ref(unsigned long long id, struct db_client *c);
/*
 * Delete client `id` and, in the same transaction, revoke every token it
 * was issued (access, refresh, code) and forget its consents (SPEC 14).
 * DB_OK (*tokens: how many were revoked), DB_NOTFOUND, DB_ERROR.
 */
int db_client_delete(unsigned long long id, unsigned long long *tokens);
int db_client_list(int (*cb)(const struct db_client *c, void *arg), void *arg);

/* sessions */
int db_session_insert(unsigned long long user_id, unsigned long long client_ref,
    const char *device_info, long long now, unsigned long long *id);
/* last_access = now, if it is still <= stale (no change otherwise). */
int db_session_touch(unsigned long long id, long long now, long long stale);
/* Revoke session `id` if it is user_id's and live: DB_OK or DB_NOTFOUND. */
int db_session_revoke(unsigned long long id, unsigned long long user_id,
    long long now);
/* Revoke every live session of the user; *n gets how many. */
int db_session_revoke_user(unsigned long long user_id, long long now,
    unsigned long long except_id, unsigned long long *n);
/* Live sessions of a user (not revoked, with a live access token). */
int db_session_list(unsigned long long user_id, long long now,
    int (*cb)(const struct db_session *s, void *arg), void *arg);

/* tokens */
int db_token_insert(const struct db_token *t);
/*
 * Insert access token t (no session, no user, no family: client
 * credentials) for client c, only if c's row still has the id, client_id,
 * secret hash, grants, scopes and access_ttl given and is confidential:
 * DB_OK, DB_NOTFOUND (the row differs or is gone), DB_DUP, DB_ERROR.
 */
int db_token_insert_checked(const struct db_token *t,
    const struct db_client *c);
/*
 * Token by digest, joined with its session, user and client (user_disabled,
 * client_gone). DB_NOTFOUND when absent.
 */
int db_token_get(const unsigned char digest[DB_DIGEST_LEN], struct db_token *t);
/* Same, with the owner's username and client_id (introspection). */
int db_token_get_named(const unsigned char digest[DB_DIGEST_LEN],
    struct db_token *t);
/*
 * The client by client_id and, in the same statement, the token like
 * db_token_get_named(): DB_NOTFOUND when the client is absent; else
 * *token_found says whether t was filled.
 */
int db_client_token(const char *client_id,
    const unsigned char digest[DB_DIGEST_LEN], struct db_client *c,
    struct db_token *t, int *token_found);
/*
 * The client by client_id for authentication from c->auth_ip (set by the
 * caller, kept): db_client_by_client_id() plus c->locked_until, in the
 * same statement.
 */
int db_client_auth(const char *client_id, struct db_client *c);
/*
 * Like db_token_get(), locking the token's and its session's rows (SELECT
 * ... FOR UPDATE) inside a transaction; the user and client are read
 * without a lock.
 */
int db_token_get_locked(const unsigned char digest[DB_DIGEST_LEN],
    struct db_token *t);
int db_token_revoke(const unsigned char digest[DB_DIGEST_LEN]);
int db_token_revoke_session(unsigned long long session_id);
int db_token_revoke_family(const unsigned char family[DB_FAMILY_LEN]);
/* Mark a code or refresh token used at `now`, only if still unused. */
int db_token_mark_used(const unsigned char digest[DB_DIGEST_LEN],
    long long now);
/*
 * Mark a code used at `now`, only if still unused, and keep its row until
 * at least keep_until (expires_at, which the purge goes by): replay
 * detection outlives the purge (SPEC 14). DB_OK or DB_NOTFOUND.
 */
int db_code_mark_used(const unsigned char digest[DB_DIGEST_LEN], long long now,
    long long keep_until);
/* The family end of a refresh token (0 when NULL): DB_OK, DB_NOTFOUND. */
int db_token_family_end(const unsigned char digest[DB_DIGEST_LEN],
    long long *end);

/* consent: the scopes a user approved for a client ("" when none) */
int db_consent_get(unsigned long long user_id, unsigned long long client_ref,
    char *scope, size_t size);
int db_consent_put(unsigned long long user_id, unsigned long long client_ref,
    const char *scope, long long now);

/*
 * login throttle (SPEC 11, 14): failures within [since, now] of the
 * account user_id (when not 0) or else of the name `login`, and of the
 * address; the newest of each (0 when none).
 */
int db_failures_count(const char *login, unsigned long long user_id,
    const char *ip, long long since, long long *n_login, long long *last_login,
    long long *n_ip, long long *last_ip);
/* One failure (or attempt) of `login`, resolved to user_id (0: unknown). */
int db_failure_add(const char *login, unsigned long long user_id,
    const char *ip, long long now);
/* Forget every failure of the account. */
int db_failures_clear(unsigned long long user_id);

/*
 * A throttle key: kind ('i', 'u', 'n', 'a', 'p': sql/003_throttle.sql), the
 * address ("" when none) and the name ("" when none).
 */
struct db_throttle_key {
	char kind;
	const char *ip;
	const char *name;
};
/*
 * Lock both keys' rows until the transaction ends (creating them), in the
 * order given. Inside db_tx() only.
 */
int db_throttle_lock(const struct db_throttle_key k[2], long long now);
/* Set the key's locked_until. */
int db_throttle_until(const struct db_throttle_key *k, long long until);
/* client authentication failures, like db_failures_count() */
int db_client_failures_count(const char *client_id, const char *ip,
    long long since, long long *n_pair, long long *last_pair, long long *n_ip,
    long long *last_ip);
int db_client_failure_add(const char *client_id, const char *ip, long long now);

/*
 * The distinct hash methods stored in users (sql/003_throttle.sql:
 * "$y$j9T", "$2y$10", "" ...): cb for each, at most `max`.
 */
int db_user_hash_methods(void (*cb)(const char *method, void *arg), void *arg,
    size_t max);

/*
 * Delete at most `limit` expired tokens, old login and client failures and
 * idle throttle keys, and the
 * sessions without tokens among the next `limit` session ids (a window
 * that sweeps the table across calls); *deleted gets the total. Small
 * batches, bounded work: no long locks, no scan of the live sessions.
 */
int db_purge(long long now, unsigned int limit, unsigned long long *deleted);
/* Every session without tokens, in windows of 1000 ids (oauth.fcgi purge). */
int db_purge_sessions_all(long long now, unsigned long long *deleted);

/*
 * Legacy import (SPEC section 3): read `users` and `auth_tokens` of the
 * database `name` on the same server (selected with mysql_select_db, no SQL
 * is built from the name). Callbacks per row; rows are consumed fully.
 */
struct db_legacy_user {
	unsigned long long id;
	char username[191 * 4 + 1];
	char password[256];
	char first[401], last[401], email[191 * 4 + 1], phone[32 * 4 + 1];
	int level;
};
struct db_legacy_token {
	unsigned long long user_id;
	char auth_key[41];
	char device_info[801];
	long long expiry;
};
int db_legacy_read(const char *name,
    int (*user_cb)(const struct db_legacy_user *u, void *arg),
    int (*token_cb)(const struct db_legacy_token *t, void *arg), void *arg);

#endif

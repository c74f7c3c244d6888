/*
 * db.c - see db.h. Every statement is a row of stmts[]; run() prepares it on
 * first use on the current connection and keeps it.
 */
#include "db.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mysql.h>
#include <errmsg.h>
#include <mysqld_error.h>

#include "config.h"
#include "log.h"
#include "buf.h"
#include "migrations.h"
#include "util.h"

enum stmt {
	S_PING,
	S_SYNC_WAIT,
	S_USER_BY_NAME,
	S_USER_BY_PHONE,
	S_USER_BY_ID,
	S_USER_INSERT,
	S_USER_SET_HASH,
	S_USER_SET_DISABLED,
	S_USER_DELETE,
	S_USER_LIST,
	S_CLIENT_INSERT,
	S_CLIENT_BY_ID,
	S_CLIENT_BY_REF,
	S_CLIENT_DELETE,
	S_CLIENT_TOKENS_REVOKE,
	S_CLIENT_CONSENTS_DELETE,
	S_CLIENT_LIST,
	S_SESSION_INSERT,
	S_SESSION_TOUCH,
	S_SESSION_REVOKE,
	S_SESSION_REVOKE_USER,
	S_TOKENS_REVOKE_USER,
	S_SESSION_LIST,
	S_TOKEN_INSERT,
	S_TOKEN_INSERT_CHECKED,
	S_TOKEN_GET,
	S_TOKEN_GET_NAMED,
	S_TOKEN_GET_LOCKED,
	S_CLIENT_TOKEN,
	S_TOKEN_REVOKE,
	S_TOKEN_REVOKE_SESSION,
	S_TOKEN_REVOKE_FAMILY,
	S_TOKEN_MARK_USED,
	S_CODE_MARK_USED,
	S_TOKEN_FAMILY_END,
	S_CONSENT_GET,
	S_CONSENT_PUT,
	S_FAILURES,
	S_FAILURES_USER,
	S_FAILURE_ADD,
	S_FAILURES_CLEAR,
	S_THROTTLE_LOCK,
	S_THROTTLE_UNTIL,
	S_CLIENT_FAILURES,
	S_CLIENT_FAILURE_ADD,
	S_CLIENT_AUTH,
	S_USER_HASH_METHODS,
	S_PURGE_CLIENT_FAILURES,
	S_PURGE_THROTTLE_LOCKS,
	S_PURGE_TOKENS,
	S_PURGE_FAILURES,
	S_PURGE_SESSIONS,
	S_SESSIONS_MAX_ID,
	S_MIGRATIONS_CREATE,
	S_MIGRATIONS_MAX,
	S_MIGRATIONS_ADD,
	S__MAX
};

#define USER_COLS                                                              \
	"id, username, phone_number, email, firstname, lastname, "             \
	"password_hash, access_level, created_at, disabled"
#define CLIENT_COLS                                                            \
	"id, client_id, COALESCE(secret_hash, ''), name, "                     \
	"redirect_uris, grants, scopes, is_public, resource_server, "          \
	"COALESCE(access_ttl, 0), created_at"
#define TOKEN_COLS                                                             \
	"t.digest, t.kind, t.session_id, t.client_ref, "                       \
	"t.user_id, t.scope, t.created_ms, t.expires_at, t.revoked, "          \
	"t.family, t.used_at, t.redirect_uri, t.code_challenge, "              \
	"t.code_method, t.dialect, s.last_access, s.revoked_at"
/*
 * Whether the token's owner still stands: its user disabled (or gone), its
 * client gone (SPEC 14). From the users and clients rows joined by primary
 * key as u and c; OWNER_COLS_UNLOCKED reads them by scalar subqueries
 * instead, which a SELECT ... FOR UPDATE does not lock (InnoDB reads
 * subqueries of a locking SELECT without locks; checked on MariaDB 10.11).
 */
#define OWNER_COLS                                                             \
	"t.user_id IS NOT NULL AND COALESCE(u.disabled, 1) <> 0, "             \
	"t.client_ref IS NOT NULL AND c.id IS NULL"
#define OWNER_COLS_UNLOCKED                                                    \
	"t.user_id IS NOT NULL AND COALESCE((SELECT x.disabled FROM users x "  \
	"WHERE x.id = t.user_id), 1) <> 0, t.client_ref IS NOT NULL AND NOT "  \
	"EXISTS (SELECT 1 FROM clients y WHERE y.id = t.client_ref)"

/*
 * The two throttle keys of a client k authenticating from an address
 * (SPEC 14): the (client_id, address) pair and the address. Four point
 * lookups in the primary key, in its order ('a' before 'p'), which is also
 * the order core/throttle.c locks them in: no lock-order inversion
 * against a failure being recorded (the INSERT ... SELECT of
 * S_TOKEN_INSERT_CHECKED reads them with shared locks). The address is
 * the one parameter.
 */
#define CLIENT_LOCK_KEYS                                                       \
	"l.kind IN ('a', 'p') AND l.ip = ? AND l.name IN (k.client_id, '')"
/* The lock as a column of a statement reading clients k. */
#define CLIENT_LOCKED_UNTIL                                                    \
	"(SELECT COALESCE(MAX(l.locked_until), 0) FROM throttle_locks l "      \
	"WHERE " CLIENT_LOCK_KEYS ")"

/*
 * users.hash_method of the row's password_hash: the method and cost
 * without the salt ("$y$j9T", "$2y$10", "$1", "" for '*'), as
 * sql/003_throttle.sql fills it for the rows it found (equal cost, SPEC 14).
 */
#define HASH_METHOD                                                            \
	"LEFT(IF(password_hash LIKE '$y$%' OR password_hash LIKE '$gy$%' OR "  \
	"password_hash LIKE '$2_$%' OR password_hash LIKE '$5$rounds=%' OR "   \
	"password_hash LIKE '$6$rounds=%', "                                   \
	"SUBSTRING_INDEX(password_hash, '$', 3), IF(password_hash LIKE '$%', " \
	"SUBSTRING_INDEX(password_hash, '$', 2), '')), 32)"

static const char *const sql[S__MAX] = {
	[S_PING] = "SELECT 1",
	[S_SYNC_WAIT] = "SET SESSION wsrep_sync_wait = ?",
	[S_USER_BY_NAME] = "SELECT " USER_COLS " FROM users WHERE username = ?",
	[S_USER_BY_PHONE] =
	    "SELECT " USER_COLS " FROM users WHERE phone_number = ?",
	[S_USER_BY_ID] = "SELECT " USER_COLS " FROM users WHERE id = ?",
	/*
	 * hash_method is written with password_hash, from the value just
	 * assigned to it (a column named in VALUES or SET after it reads the
	 * new value): see HASH_METHOD.
	 */
	[S_USER_INSERT] =
	    "INSERT INTO users (username, phone_number, email, "
	    "firstname, lastname, password_hash, access_level, created_at, "
	    "remote_ip, disabled, hash_method) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
	    "?, 0, " HASH_METHOD ")",
	[S_USER_SET_HASH] = "UPDATE users SET password_hash = ?, "
			    "hash_method = " HASH_METHOD " WHERE id = ?",
	[S_USER_SET_DISABLED] = "UPDATE users SET disabled = ? WHERE id = ?",
	[S_USER_DELETE] = "DELETE FROM users WHERE id = ?",
	[S_USER_LIST] = "SELECT " USER_COLS " FROM users ORDER BY id",
	[S_CLIENT_INSERT] =
	    "INSERT INTO clients (client_id, secret_hash, "
	    "name, redirect_uris, grants, scopes, is_public, resource_server, "
	    "access_ttl, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	[S_CLIENT_BY_ID] = "SELECT " CLIENT_COLS " FROM clients WHERE "
			   "client_id = ?",
	[S_CLIENT_BY_REF] = "SELECT " CLIENT_COLS " FROM clients WHERE id = ?",
	[S_CLIENT_DELETE] = "DELETE FROM clients WHERE id = ?",
	/* By ix_tokens_client (sql/005_access.sql): no scan, no long lock. */
	[S_CLIENT_TOKENS_REVOKE] = "UPDATE tokens SET revoked = 1 WHERE "
				   "client_ref = ? AND revoked = 0",
	[S_CLIENT_CONSENTS_DELETE] =
	    "DELETE FROM consents WHERE client_ref = ?",
	[S_CLIENT_LIST] = "SELECT " CLIENT_COLS " FROM clients ORDER BY id",
	[S_SESSION_INSERT] =
	    "INSERT INTO sessions (user_id, client_ref, "
	    "device_info, created_at, last_access) VALUES (?, ?, ?, ?, ?)",
	/*
	 * Only while still stale: the processes that all saw the same old
	 * last_access in the same second then make one change between them.
	 * Unconditional, each wrote and committed (an fsync each) in turn
	 * behind the row lock: a stall of about 250 ms every minute for a
	 * session in use by 60 processes at once (make bench, verify-token).
	 */
	[S_SESSION_TOUCH] = "UPDATE sessions SET last_access = ? WHERE id = ? "
			    "AND last_access <= ?",
	[S_SESSION_REVOKE] = "UPDATE sessions SET revoked_at = ? WHERE id = ? "
			     "AND user_id = ? AND revoked_at IS NULL",
	[S_SESSION_REVOKE_USER] =
	    "UPDATE sessions SET revoked_at = ? WHERE "
	    "user_id = ? AND revoked_at IS NULL AND id <> ?",
	[S_TOKENS_REVOKE_USER] =
	    "UPDATE tokens t JOIN sessions s ON "
	    "s.id = t.session_id SET t.revoked = 1 WHERE s.user_id = ? AND "
	    "s.revoked_at = ? AND t.revoked = 0",
	/* The newest live access token of each live session gives expiry. */
	[S_SESSION_LIST] =
	    "SELECT s.id, s.client_ref, s.device_info, "
	    "s.created_at, s.last_access, MAX(t.expires_at), "
	    "COALESCE(c.name, c.client_id, ''), MAX(t.kind = 4) FROM sessions s "
	    "JOIN tokens t ON t.session_id = s.id AND t.kind IN (1, 4) AND "
	    "t.revoked = 0 AND t.expires_at > ? "
	    "LEFT JOIN clients c ON c.id = s.client_ref "
	    "WHERE s.user_id = ? AND s.revoked_at IS NULL "
	    "GROUP BY s.id ORDER BY s.id",
	[S_TOKEN_INSERT] =
	    "INSERT INTO tokens (digest, kind, session_id, "
	    "client_ref, user_id, scope, created_ms, expires_at, revoked, "
	    "family, used_at, redirect_uri, code_challenge, code_method, "
	    "dialect, family_expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, "
	    "NULL, ?, ?, ?, ?, ?)",
	/*
	 * A client_credentials token for a client remembered from an earlier
	 * request (core/client.c): inserted only if the client's row still
	 * holds exactly what the process remembered, so the insert is the
	 * check and one round trip does both (docs/performance.md). No row
	 * inserted: the memory is stale, and the caller asks again.
	 */
	[S_TOKEN_INSERT_CHECKED] =
	    "INSERT INTO tokens (digest, kind, session_id, client_ref, "
	    "user_id, scope, created_ms, expires_at, revoked, family, used_at, "
	    "redirect_uri, code_challenge, code_method, dialect) "
	    "SELECT ?, ?, NULL, c.id, NULL, ?, ?, ?, 0, NULL, NULL, NULL, "
	    "NULL, NULL, ? FROM clients c WHERE c.id = ? AND "
	    "BINARY c.client_id = BINARY ? AND "
	    "BINARY COALESCE(c.secret_hash, '') = BINARY ? AND "
	    "BINARY c.grants = BINARY ? AND BINARY c.scopes = BINARY ? AND "
	    "c.is_public = 0 AND COALESCE(c.access_ttl, 0) = ? AND NOT EXISTS "
	    "(SELECT 1 FROM throttle_locks l WHERE l.kind IN ('a', 'p') AND "
	    "l.ip = ? AND l.name IN (c.client_id, '') AND l.locked_until > ?)",
	/*
	 * Every check of a presented token: the token, its session, its
	 * user (disabled?) and its client (deleted?), each by primary key in
	 * one statement, so a sign-out, a disable or a delete made through
	 * any process or node holds on the very next request (SPEC 14). A
	 * join by primary key costs about what the token lookup alone does
	 * (docs/performance.md); a second statement would cost a round trip.
	 */
	[S_TOKEN_GET] = "SELECT " TOKEN_COLS ", " OWNER_COLS " FROM tokens t "
			"LEFT JOIN sessions s ON s.id = t.session_id "
			"LEFT JOIN users u ON u.id = t.user_id "
			"LEFT JOIN clients c ON c.id = t.client_ref "
			"WHERE t.digest = ?",
	/*
	 * With the owner's username and client_id, so introspection needs no
	 * further query: every join is by primary key. The locked variant
	 * below must not join users and clients: FOR UPDATE would lock them.
	 */
	[S_TOKEN_GET_NAMED] =
	    "SELECT " TOKEN_COLS ", " OWNER_COLS ", u.username, c.client_id "
	    "FROM tokens t LEFT JOIN sessions s ON "
	    "s.id = t.session_id LEFT JOIN users u ON "
	    "u.id = t.user_id LEFT JOIN clients c ON "
	    "c.id = t.client_ref WHERE t.digest = ?",
	/*
	 * Introspection in one round trip: the calling client by client_id
	 * and, LEFT JOINed so a missing token still returns the client, the
	 * token with its session and owner's names. The column order is
	 * CLIENT_COLS of k, then the columns of S_TOKEN_GET_NAMED.
	 */
	[S_CLIENT_TOKEN] =
	    "SELECT k.id, k.client_id, COALESCE(k.secret_hash, ''), k.name, "
	    "k.redirect_uris, k.grants, k.scopes, k.is_public, "
	    "k.resource_server, COALESCE(k.access_ttl, 0), k.created_at, " TOKEN_COLS
	    ", " OWNER_COLS ", u.username, c.client_id, " CLIENT_LOCKED_UNTIL
	    " FROM clients k "
	    "LEFT JOIN tokens t ON t.digest = ? "
	    "LEFT JOIN sessions s ON s.id = t.session_id "
	    "LEFT JOIN users u ON u.id = t.user_id "
	    "LEFT JOIN clients c ON c.id = t.client_ref "
	    "WHERE k.client_id = ?",
	[S_TOKEN_GET_LOCKED] =
	    "SELECT " TOKEN_COLS ", " OWNER_COLS_UNLOCKED " FROM tokens t "
	    "LEFT JOIN sessions s ON s.id = t.session_id WHERE t.digest = ? "
	    "FOR UPDATE",
	[S_TOKEN_REVOKE] = "UPDATE tokens SET revoked = 1 WHERE digest = ?",
	[S_TOKEN_REVOKE_SESSION] = "UPDATE tokens SET revoked = 1 WHERE "
				   "session_id = ? AND revoked = 0",
	[S_TOKEN_REVOKE_FAMILY] = "UPDATE tokens SET revoked = 1 WHERE "
				  "family = ? AND revoked = 0",
	[S_TOKEN_MARK_USED] = "UPDATE tokens SET used_at = ? WHERE digest = ? "
			      "AND used_at IS NULL",
	/*
	 * The purge deletes by expires_at: a used code's row stays until
	 * keep_until, so a replay still finds it and revokes what it gave.
	 */
	[S_CODE_MARK_USED] = "UPDATE tokens SET used_at = ?, expires_at = "
			     "GREATEST(expires_at, ?) WHERE digest = ? AND "
			     "used_at IS NULL",
	[S_TOKEN_FAMILY_END] = "SELECT COALESCE(family_expires_at, 0) FROM "
			       "tokens WHERE digest = ?",
	[S_CONSENT_GET] = "SELECT scope FROM consents WHERE user_id = ? AND "
			  "client_ref = ?",
	[S_CONSENT_PUT] =
	    "INSERT INTO consents (user_id, client_ref, scope, "
	    "created_at) VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE "
	    "scope = VALUES(scope)",
	/* Both counters in one round trip; each an index range scan. */
	[S_FAILURES] =
	    "SELECT (SELECT COUNT(*) FROM login_failures WHERE login = ? AND "
	    "created_at > ?), (SELECT COALESCE(MAX(created_at), 0) FROM "
	    "login_failures WHERE login = ? AND created_at > ?), "
	    "(SELECT COUNT(*) FROM login_failures WHERE ip = ? AND "
	    "created_at > ?), (SELECT COALESCE(MAX(created_at), 0) FROM "
	    "login_failures WHERE ip = ? AND created_at > ?)",
	/* The same for an account: its failures whatever name was typed. */
	[S_FAILURES_USER] =
	    "SELECT (SELECT COUNT(*) FROM login_failures WHERE user_id = ? "
	    "AND created_at > ?), (SELECT COALESCE(MAX(created_at), 0) FROM "
	    "login_failures WHERE user_id = ? AND created_at > ?), "
	    "(SELECT COUNT(*) FROM login_failures WHERE ip = ? AND "
	    "created_at > ?), (SELECT COALESCE(MAX(created_at), 0) FROM "
	    "login_failures WHERE ip = ? AND created_at > ?)",
	[S_FAILURE_ADD] = "INSERT INTO login_failures (login, user_id, ip, "
			  "created_at) VALUES (?, ?, ?, ?)",
	[S_FAILURES_CLEAR] = "DELETE FROM login_failures WHERE user_id = ?",
	/*
	 * Lock two throttle keys for the rest of the transaction, creating
	 * their rows if need be. The row is changed (seq), not only locked,
	 * so that on Galera two nodes taking the same key conflict at
	 * certification and one transaction is rerun (db_tx()).
	 */
	[S_THROTTLE_LOCK] =
	    "INSERT INTO throttle_locks (kind, ip, name, seq, locked_until, "
	    "updated_at) VALUES (?, ?, ?, 1, 0, ?), (?, ?, ?, 1, 0, ?) "
	    "ON DUPLICATE KEY UPDATE seq = seq + 1, "
	    "updated_at = VALUES(updated_at)",
	[S_THROTTLE_UNTIL] = "UPDATE throttle_locks SET locked_until = ? "
			     "WHERE kind = ? AND ip = ? AND name = ?",
	[S_CLIENT_FAILURES] =
	    "SELECT (SELECT COUNT(*) FROM client_failures WHERE ip = ? AND "
	    "client_id = ? AND created_at > ?), (SELECT "
	    "COALESCE(MAX(created_at), 0) FROM client_failures WHERE ip = ? "
	    "AND client_id = ? AND created_at > ?), (SELECT COUNT(*) FROM "
	    "client_failures WHERE ip = ? AND created_at > ?), (SELECT "
	    "COALESCE(MAX(created_at), 0) FROM client_failures WHERE ip = ? "
	    "AND created_at > ?)",
	[S_CLIENT_FAILURE_ADD] = "INSERT INTO client_failures (client_id, ip, "
				 "created_at) VALUES (?, ?, ?)",
	/*
	 * A client authenticating, and in the same statement whether its
	 * address is locked out (no extra round trip on success).
	 */
	[S_CLIENT_AUTH] = "SELECT " CLIENT_COLS ", " CLIENT_LOCKED_UNTIL
			  " FROM clients k WHERE k.client_id = ?",
	/* One index entry per distinct value (sql/003_throttle.sql). */
	[S_USER_HASH_METHODS] = "SELECT DISTINCT hash_method FROM users",
	[S_PURGE_TOKENS] = "DELETE FROM tokens WHERE expires_at < ? LIMIT ?",
	[S_PURGE_FAILURES] = "DELETE FROM login_failures WHERE created_at < ? "
			     "LIMIT ?",
	[S_PURGE_CLIENT_FAILURES] = "DELETE FROM client_failures WHERE "
				    "created_at < ? LIMIT ?",
	[S_PURGE_THROTTLE_LOCKS] =
	    "DELETE FROM throttle_locks WHERE "
	    "updated_at < ? AND locked_until < ? LIMIT ?",
	/*
	 * A session is dead once no token of it is left. Looked for in a
	 * window of ids, never in the whole table: every live session older
	 * than the cutoff would be examined (and, by a DELETE, locked) on
	 * each purge otherwise -- 35 ms of MariaDB a purge with 20,000 live
	 * sessions, every 100th request.
	 */
	[S_PURGE_SESSIONS] =
	    "DELETE FROM sessions WHERE id >= ? AND id < ? AND "
	    "created_at < ? AND NOT EXISTS (SELECT 1 FROM tokens t WHERE "
	    "t.session_id = sessions.id)",
	[S_SESSIONS_MAX_ID] = "SELECT COALESCE(MAX(id), 0) FROM sessions",
	[S_MIGRATIONS_CREATE] =
	    "CREATE TABLE IF NOT EXISTS schema_migrations ("
	    "version INT NOT NULL PRIMARY KEY COMMENT 'sql/NNN_*.sql number', "
	    "name VARCHAR(255) NOT NULL, applied_at BIGINT NOT NULL) "
	    "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 "
	    "COMMENT='applied schema migrations'",
	[S_MIGRATIONS_MAX] = "SELECT COALESCE(MAX(version), 0) FROM "
			     "schema_migrations",
	[S_MIGRATIONS_ADD] = "INSERT INTO schema_migrations (version, name, "
			     "applied_at) VALUES (?, ?, ?)",
};

static MYSQL *conn;
static MYSQL_STMT *stmts[S__MAX];
static int in_tx;
static unsigned int last_errno;
static char last_error[512];

/* A result column fetched as text (binary-safe with its length). */
struct res {
	char *buf;
	size_t size;
	unsigned long len;
	my_bool null;
	my_bool error;
};

static void
set_error(unsigned int no, const char *msg)
{
	last_errno = no;
	snprintf(last_error, sizeof(last_error), "%s", msg ? msg : "");
}

const char *
db_error(void)
{
	return last_error;
}

int
db_retryable(void)
{
	return last_errno == ER_LOCK_DEADLOCK ||
	    last_errno == ER_LOCK_WAIT_TIMEOUT;
}

/* Errors after which the connection is unusable. */
static int
conn_lost(unsigned int no)
{
	return no == CR_SERVER_GONE_ERROR || no == CR_SERVER_LOST ||
	    no == CR_CONNECTION_ERROR || no == CR_CONN_HOST_ERROR ||
	    no == CR_COMMANDS_OUT_OF_SYNC || no == ER_CONNECTION_KILLED ||
	    no == ER_SERVER_SHUTDOWN || no == 4031 /* client idle timeout */;
}

static void
drop_conn(void)
{
	size_t i;

	for (i = 0; i < S__MAX; i++) {
		if (stmts[i] != NULL)
			mysql_stmt_close(stmts[i]);
		stmts[i] = NULL;
	}
	if (conn != NULL)
		mysql_close(conn);
	conn = NULL;
	in_tx = 0;
}

void
db_close(int final)
{
	drop_conn();
	if (final)
		mysql_library_end();
}

int
db_open(void)
{
	unsigned int timeout;
	const char *host, *sock;

	if (conn != NULL)
		return DB_OK;
	if ((conn = mysql_init(NULL)) == NULL) {
		set_error(CR_OUT_OF_MEMORY, "mysql_init failed");
		return DB_ERROR;
	}
	timeout = 3;
	mysql_options(conn, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
	timeout = 10;
	mysql_options(conn, MYSQL_OPT_READ_TIMEOUT, &timeout);
	mysql_options(conn, MYSQL_OPT_WRITE_TIMEOUT, &timeout);
	mysql_options(conn, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	host = cfg.db_host[0] != '\0' ? cfg.db_host : NULL;
	sock = cfg.db_socket[0] != '\0' ? cfg.db_socket : NULL;
	if (mysql_real_connect(conn, host, cfg.db_user, cfg.db_password,
		cfg.db_name, cfg.db_port, sock, 0) == NULL) {
		set_error(mysql_errno(conn), mysql_error(conn));
		log_warn("cannot connect to the database: %s", last_error);
		mysql_close(conn);
		conn = NULL;
		return DB_ERROR;
	}
	if (cfg.db_sync_wait != 0) {
		MYSQL_STMT *st = mysql_stmt_init(conn);
		MYSQL_BIND b;
		long long v = cfg.db_sync_wait;

		memset(&b, 0, sizeof(b));
		b.buffer_type = MYSQL_TYPE_LONGLONG;
		b.buffer = &v;
		if (st == NULL ||
		    mysql_stmt_prepare(st, sql[S_SYNC_WAIT],
			strlen(sql[S_SYNC_WAIT])) != 0 ||
		    mysql_stmt_bind_param(st, &b) != 0 ||
		    mysql_stmt_execute(st) != 0)
			log_warn("wsrep_sync_wait not set: %s",
			    st ? mysql_stmt_error(st) : "no memory");
		if (st != NULL)
			mysql_stmt_close(st);
	}
	return DB_OK;
}

static MYSQL_STMT *
prepare(enum stmt id)
{
	MYSQL_STMT *st;

	if (stmts[id] != NULL)
		return stmts[id];
	if ((st = mysql_stmt_init(conn)) == NULL) {
		set_error(CR_OUT_OF_MEMORY, "mysql_stmt_init failed");
		return NULL;
	}
	if (mysql_stmt_prepare(st, sql[id], strlen(sql[id])) != 0) {
		set_error(mysql_stmt_errno(st), mysql_stmt_error(st));
		mysql_stmt_close(st);
		return NULL;
	}
	stmts[id] = st;
	return st;
}

/*
 * Execute statement id with parameters `in`. Outside a transaction a lost
 * connection is reopened and the statement run once more (the server may
 * have restarted since the last request); inside one the transaction is
 * gone with the connection, so the caller sees the error and db_tx()
 * decides. Returns the statement, or NULL with the error recorded.
 */
static MYSQL_STMT *
run(enum stmt id, MYSQL_BIND *in)
{
	MYSQL_STMT *st;
	unsigned int no;
	int attempt;

	if (in_tx && conn == NULL)
		return NULL; /* the transaction died with its connection */
	for (attempt = 0; attempt < 2; attempt++) {
		if (db_open() != DB_OK)
			return NULL;
		if ((st = prepare(id)) != NULL) {
			if ((in == NULL ||
				mysql_stmt_bind_param(st, in) == 0) &&
			    mysql_stmt_execute(st) == 0)
				return st;
			set_error(mysql_stmt_errno(st), mysql_stmt_error(st));
		}
		no = last_errno;
		if (!conn_lost(no))
			break;
		log_warn("database connection lost (%u): %s", no, last_error);
		if (in_tx) {
			drop_conn();
			in_tx =
			    1; /* db_tx() still owns the failed transaction */
			return NULL;
		}
		drop_conn();
	}
	if (!conn_lost(last_errno) && last_errno != ER_DUP_ENTRY)
		log_warn("statement %d failed (%u): %s", (int)id, last_errno,
		    last_error);
	return NULL;
}

/* Bind result columns as text and buffer the whole result. */
static int
bind_results(MYSQL_STMT *st, struct res *out, size_t n)
{
	MYSQL_BIND b[48];
	size_t i;

	if (n > ARRAY_SIZE(b))
		abort();
	memset(b, 0, sizeof(b));
	for (i = 0; i < n; i++) {
		b[i].buffer_type = MYSQL_TYPE_STRING;
		b[i].buffer = out[i].buf;
		b[i].buffer_length = out[i].size;
		b[i].length = &out[i].len;
		b[i].is_null = &out[i].null;
		b[i].error = &out[i].error;
	}
	if (mysql_stmt_bind_result(st, b) != 0 ||
	    mysql_stmt_store_result(st) != 0) {
		set_error(mysql_stmt_errno(st), mysql_stmt_error(st));
		mysql_stmt_free_result(st);
		return DB_ERROR;
	}
	return DB_OK;
}

/* Next row: DB_OK, DB_NOTFOUND at the end, DB_ERROR. */
static int
fetch(MYSQL_STMT *st, struct res *out, size_t n)
{
	size_t i;
	int rc = mysql_stmt_fetch(st);

	if (rc == MYSQL_NO_DATA)
		return DB_NOTFOUND;
	if (rc == 1) {
		set_error(mysql_stmt_errno(st), mysql_stmt_error(st));
		return DB_ERROR;
	}
	/* MYSQL_DATA_TRUNCATED: every buffer is sized to its column. */
	for (i = 0; i < n; i++) {
		if (out[i].null) {
			out[i].len = 0;
		} else if (out[i].len >= out[i].size) {
			set_error(CR_UNKNOWN_ERROR, "column value too long");
			return DB_ERROR;
		}
		out[i].buf[out[i].null ? 0 : out[i].len] = '\0';
	}
	return DB_OK;
}

/* Run a statement expected to return at most one row. */
static int
run_row(enum stmt id, MYSQL_BIND *in, struct res *out, size_t n)
{
	MYSQL_STMT *st = run(id, in);
	int rc;

	if (st == NULL)
		return DB_ERROR;
	if (bind_results(st, out, n) != DB_OK)
		return DB_ERROR;
	rc = fetch(st, out, n);
	mysql_stmt_free_result(st);
	return rc;
}

/* Run a statement that changes rows; *affected if not NULL. */
static int
run_change(enum stmt id, MYSQL_BIND *in, unsigned long long *affected)
{
	MYSQL_STMT *st = run(id, in);

	if (st == NULL)
		return last_errno == ER_DUP_ENTRY ? DB_DUP : DB_ERROR;
	if (affected != NULL)
		*affected = mysql_stmt_affected_rows(st);
	return DB_OK;
}

/* Parameter binders. The bound memory must live until run() returns. */
static void
p_str(MYSQL_BIND *b, const char *s)
{
	memset(b, 0, sizeof(*b));
	b->buffer_type = MYSQL_TYPE_STRING;
	b->buffer = (void *)(uintptr_t)s;
	b->buffer_length = strlen(s);
}

static void
p_str_or_null(MYSQL_BIND *b, const char *s)
{
	memset(b, 0, sizeof(*b));
	if (s == NULL || *s == '\0')
		b->buffer_type = MYSQL_TYPE_NULL;
	else
		p_str(b, s);
}

static void
p_bin(MYSQL_BIND *b, const unsigned char *p, size_t n)
{
	memset(b, 0, sizeof(*b));
	b->buffer_type = MYSQL_TYPE_BLOB;
	b->buffer = (void *)(uintptr_t)p;
	b->buffer_length = n;
}

static void
p_ll(MYSQL_BIND *b, const long long *v)
{
	memset(b, 0, sizeof(*b));
	b->buffer_type = MYSQL_TYPE_LONGLONG;
	b->buffer = (void *)(uintptr_t)v;
}

static void
p_ull(MYSQL_BIND *b, const unsigned long long *v)
{
	p_ll(b, (const long long *)(const void *)v);
	b->is_unsigned = 1;
}

/* 0 is never a valid id: it stands for NULL. */
static void
p_ref(MYSQL_BIND *b, const unsigned long long *v)
{
	memset(b, 0, sizeof(*b));
	if (*v == 0)
		b->buffer_type = MYSQL_TYPE_NULL;
	else
		p_ull(b, v);
}

static void
r_set(struct res *r, char *buf, size_t size)
{
	memset(r, 0, sizeof(*r));
	r->buf = buf;
	r->size = size;
}

static long long
r_ll(const struct res *r)
{
	long long v = 0;

	if (!r->null &&
	    parse_ll(r->buf, -0x7fffffffffffffffLL - 1, 0x7fffffffffffffffLL,
		&v) == -1)
		v = 0;
	return v;
}

static unsigned long long
r_ull(const struct res *r)
{
	unsigned long long v = 0;

	if (!r->null && parse_ull(r->buf, ~0ULL, &v) == -1)
		v = 0;
	return v;
}

/* users */

struct user_row {
	struct res r[10];
	char id[24], level[24], created[24], disabled[8];
};

static void
user_bind(struct user_row *row, struct db_user *u)
{
	memset(u, 0, sizeof(*u));
	r_set(&row->r[0], row->id, sizeof(row->id));
	r_set(&row->r[1], u->username, sizeof(u->username));
	r_set(&row->r[2], u->phone, sizeof(u->phone));
	r_set(&row->r[3], u->email, sizeof(u->email));
	r_set(&row->r[4], u->first, sizeof(u->first));
	r_set(&row->r[5], u->last, sizeof(u->last));
	r_set(&row->r[6], u->hash, sizeof(u->hash));
	r_set(&row->r[7], row->level, sizeof(row->level));
	r_set(&row->r[8], row->created, sizeof(row->created));
	r_set(&row->r[9], row->disabled, sizeof(row->disabled));
}

static void
user_fill(struct user_row *row, struct db_user *u)
{
	u->id = r_ull(&row->r[0]);
	u->has_phone = !row->r[2].null;
	u->has_email = !row->r[3].null;
	u->level = (int)r_ll(&row->r[7]);
	u->created_at = r_ll(&row->r[8]);
	u->disabled = r_ll(&row->r[9]) != 0;
}

static int
user_get(enum stmt id, MYSQL_BIND *in, struct db_user *u)
{
	struct user_row row;
	int rc;

	user_bind(&row, u);
	rc = run_row(id, in, row.r, ARRAY_SIZE(row.r));
	if (rc == DB_OK)
		user_fill(&row, u);
	return rc;
}

int
db_user_by_username(const char *username, struct db_user *u)
{
	MYSQL_BIND in[1];

	p_str(&in[0], username);
	return user_get(S_USER_BY_NAME, in, u);
}

int
db_user_by_phone(const char *phone, struct db_user *u)
{
	MYSQL_BIND in[1];

	p_str(&in[0], phone);
	return user_get(S_USER_BY_PHONE, in, u);
}

int
db_user_by_id(unsigned long long id, struct db_user *u)
{
	MYSQL_BIND in[1];

	p_ull(&in[0], &id);
	return user_get(S_USER_BY_ID, in, u);
}

int
db_user_insert(struct db_user *u, const char *remote_ip)
{
	MYSQL_BIND in[9];
	long long level = u->level, created = u->created_at;
	MYSQL_STMT *st;

	p_str(&in[0], u->username);
	p_str_or_null(&in[1], u->phone);
	p_str_or_null(&in[2], u->email);
	p_str(&in[3], u->first);
	p_str(&in[4], u->last);
	p_str(&in[5], u->hash);
	p_ll(&in[6], &level);
	p_ll(&in[7], &created);
	p_str(&in[8], remote_ip ? remote_ip : "");
	if ((st = run(S_USER_INSERT, in)) == NULL)
		return last_errno == ER_DUP_ENTRY ? DB_DUP : DB_ERROR;
	u->id = mysql_stmt_insert_id(st);
	return DB_OK;
}

int
db_user_set_hash(unsigned long long id, const char *hash)
{
	MYSQL_BIND in[2];

	p_str(&in[0], hash);
	p_ull(&in[1], &id);
	return run_change(S_USER_SET_HASH, in, NULL);
}

int
db_user_set_disabled(unsigned long long id, int disabled)
{
	MYSQL_BIND in[2];
	long long v = disabled != 0;

	p_ll(&in[0], &v);
	p_ull(&in[1], &id);
	return run_change(S_USER_SET_DISABLED, in, NULL);
}

int
db_user_delete(unsigned long long id)
{
	MYSQL_BIND in[1];
	unsigned long long n = 0;
	int rc;

	p_ull(&in[0], &id);
	if ((rc = run_change(S_USER_DELETE, in, &n)) != DB_OK)
		return rc;
	return n > 0 ? DB_OK : DB_NOTFOUND;
}

int
db_user_list(int (*cb)(const struct db_user *u, void *arg), void *arg)
{
	struct user_row row;
	struct db_user u;
	MYSQL_STMT *st;
	int rc;

	if ((st = run(S_USER_LIST, NULL)) == NULL)
		return DB_ERROR;
	user_bind(&row, &u);
	if (bind_results(st, row.r, ARRAY_SIZE(row.r)) != DB_OK)
		return DB_ERROR;
	while ((rc = fetch(st, row.r, ARRAY_SIZE(row.r))) == DB_OK) {
		user_fill(&row, &u);
		if (cb(&u, arg) != 0)
			break;
	}
	mysql_stmt_free_result(st);
	return rc == DB_ERROR ? DB_ERROR : DB_OK;
}

/* clients */

struct client_row {
	struct res r[11];
	char id[24], pub[8], rs[8], ttl[24], created[24];
};

static void
client_bind(struct client_row *row, struct res *r, struct db_client *c)
{
	memset(c, 0, sizeof(*c));
	r_set(&r[0], row->id, sizeof(row->id));
	r_set(&r[1], c->client_id, sizeof(c->client_id));
	r_set(&r[2], c->secret_hash, sizeof(c->secret_hash));
	r_set(&r[3], c->name, sizeof(c->name));
	r_set(&r[4], c->redirect_uris, sizeof(c->redirect_uris));
	r_set(&r[5], c->grants, sizeof(c->grants));
	r_set(&r[6], c->scopes, sizeof(c->scopes));
	r_set(&r[7], row->pub, sizeof(row->pub));
	r_set(&r[8], row->rs, sizeof(row->rs));
	r_set(&r[9], row->ttl, sizeof(row->ttl));
	r_set(&r[10], row->created, sizeof(row->created));
}

static void
client_fill(const struct res *r, struct db_client *c)
{
	c->id = r_ull(&r[0]);
	c->is_public = r_ll(&r[7]) != 0;
	c->resource_server = r_ll(&r[8]) != 0;
	c->access_ttl = r_ll(&r[9]);
	c->created_at = r_ll(&r[10]);
}

static int
client_get(enum stmt id, MYSQL_BIND *in, struct db_client *c)
{
	struct client_row row;
	int rc;

	client_bind(&row, row.r, c);
	rc = run_row(id, in, row.r, ARRAY_SIZE(row.r));
	if (rc == DB_OK)
		client_fill(row.r, c);
	return rc;
}

int
db_client_insert(struct db_client *c)
{
	MYSQL_BIND in[10];
	long long pub = c->is_public, rs = c->resource_server;
	MYSQL_STMT *st;

	p_str(&in[0], c->client_id);
	p_str_or_null(&in[1], c->secret_hash);
	p_str(&in[2], c->name);
	p_str(&in[3], c->redirect_uris);
	p_str(&in[4], c->grants);
	p_str(&in[5], c->scopes);
	p_ll(&in[6], &pub);
	p_ll(&in[7], &rs);
	if (c->access_ttl > 0)
		p_ll(&in[8], &c->access_ttl);
	else
		p_str_or_null(&in[8], NULL);
	p_ll(&in[9], &c->created_at);
	if ((st = run(S_CLIENT_INSERT, in)) == NULL)
		return last_errno == ER_DUP_ENTRY ? DB_DUP : DB_ERROR;
	c->id = mysql_stmt_insert_id(st);
	return DB_OK;
}

int
db_client_by_client_id(const char *client_id, struct db_client *c)
{
	MYSQL_BIND in[1];

	p_str(&in[0], client_id);
	return client_get(S_CLIENT_BY_ID, in, c);
}

int
db_client_auth(const char *client_id, struct db_client *c)
{
	struct client_row row;
	struct res r[12];
	char ip[sizeof(c->auth_ip)], until[24];
	MYSQL_BIND in[2];
	int rc;

	/* client_bind() clears c: keep the address the caller set. */
	memcpy(ip, c->auth_ip, sizeof(ip));
	ip[sizeof(ip) - 1] = '\0';
	client_bind(&row, r, c);
	r_set(&r[11], until, sizeof(until));
	p_str(&in[0], ip);
	p_str(&in[1], client_id);
	rc = run_row(S_CLIENT_AUTH, in, r, ARRAY_SIZE(r));
	memcpy(c->auth_ip, ip, sizeof(ip));
	if (rc == DB_OK) {
		client_fill(r, c);
		c->locked_until = r_ll(&r[11]);
	}
	return rc;
}

int
db_client_by_ref(unsigned long long id, struct db_client *c)
{
	MYSQL_BIND in[1];

	p_ull(&in[0], &id);
	return client_get(S_CLIENT_BY_REF, in, c);
}

struct client_delete_arg {
	unsigned long long id, tokens;
};

static int
client_delete_tx(void *p)
{
	struct client_delete_arg *a = p;
	MYSQL_BIND in[1];
	unsigned long long n = 0;
	int rc;

	p_ull(&in[0], &a->id);
	if ((rc = run_change(S_CLIENT_DELETE, in, &n)) != DB_OK)
		return rc;
	if (n == 0)
		return DB_NOTFOUND;
	if ((rc = run_change(S_CLIENT_TOKENS_REVOKE, in, &a->tokens)) != DB_OK)
		return rc;
	return run_change(S_CLIENT_CONSENTS_DELETE, in, NULL);
}

int
db_client_delete(unsigned long long id, unsigned long long *tokens)
{
	struct client_delete_arg a = { id, 0 };
	int rc = db_tx(client_delete_tx, &a);

	if (tokens != NULL)
		*tokens = rc == DB_OK ? a.tokens : 0;
	return rc;
}

int
db_client_list(int (*cb)(const struct db_client *c, void *arg), void *arg)
{
	struct client_row row;
	struct db_client c;
	MYSQL_STMT *st;
	int rc;

	if ((st = run(S_CLIENT_LIST, NULL)) == NULL)
		return DB_ERROR;
	client_bind(&row, row.r, &c);
	if (bind_results(st, row.r, ARRAY_SIZE(row.r)) != DB_OK)
		return DB_ERROR;
	while ((rc = fetch(st, row.r, ARRAY_SIZE(row.r))) == DB_OK) {
		client_fill(row.r, &c);
		if (cb(&c, arg) != 0)
			break;
	}
	mysql_stmt_free_result(st);
	return rc == DB_ERROR ? DB_ERROR : DB_OK;
}

/* sessions */

int
db_session_insert(unsigned long long user_id, unsigned long long client_ref,
    const char *device_info, long long now, unsigned long long *id)
{
	MYSQL_BIND in[5];
	MYSQL_STMT *st;

	p_ull(&in[0], &user_id);
	p_ref(&in[1], &client_ref);
	p_str(&in[2], device_info);
	p_ll(&in[3], &now);
	p_ll(&in[4], &now);
	if ((st = run(S_SESSION_INSERT, in)) == NULL)
		return DB_ERROR;
	*id = mysql_stmt_insert_id(st);
	return DB_OK;
}

int
db_session_touch(unsigned long long id, long long now, long long stale)
{
	MYSQL_BIND in[3];

	p_ll(&in[0], &now);
	p_ull(&in[1], &id);
	p_ll(&in[2], &stale);
	return run_change(S_SESSION_TOUCH, in, NULL);
}

struct revoke_arg {
	unsigned long long id, user_id, except, n;
	long long now;
};

static int
session_revoke_tx(void *p)
{
	struct revoke_arg *a = p;
	MYSQL_BIND in[3];
	unsigned long long n = 0;
	int rc;

	p_ll(&in[0], &a->now);
	p_ull(&in[1], &a->id);
	p_ull(&in[2], &a->user_id);
	if ((rc = run_change(S_SESSION_REVOKE, in, &n)) != DB_OK)
		return rc;
	if (n == 0)
		return DB_NOTFOUND;
	p_ull(&in[0], &a->id);
	return run_change(S_TOKEN_REVOKE_SESSION, in, NULL);
}

int
db_session_revoke(unsigned long long id, unsigned long long user_id,
    long long now)
{
	struct revoke_arg a = { id, user_id, 0, 0, now };

	return db_tx(session_revoke_tx, &a);
}

static int
session_revoke_user_tx(void *p)
{
	struct revoke_arg *a = p;
	MYSQL_BIND in[3];
	int rc;

	p_ll(&in[0], &a->now);
	p_ull(&in[1], &a->user_id);
	p_ull(&in[2], &a->except);
	if ((rc = run_change(S_SESSION_REVOKE_USER, in, &a->n)) != DB_OK)
		return rc;
	/* Tokens of exactly the sessions revoked just now. */
	p_ull(&in[0], &a->user_id);
	p_ll(&in[1], &a->now);
	return run_change(S_TOKENS_REVOKE_USER, in, NULL);
}

int
db_session_revoke_user(unsigned long long user_id, long long now,
    unsigned long long except_id, unsigned long long *n)
{
	struct revoke_arg a = { 0, user_id, except_id, 0, now };
	int rc = db_tx(session_revoke_user_tx, &a);

	if (n != NULL)
		*n = a.n;
	return rc;
}

int
db_session_list(unsigned long long user_id, long long now,
    int (*cb)(const struct db_session *s, void *arg), void *arg)
{
	struct db_session s;
	struct res r[8];
	char id[24], client[24], created[24], last[24], expiry[24], browser[8];
	MYSQL_BIND in[2];
	MYSQL_STMT *st;
	int rc;

	p_ll(&in[0], &now);
	p_ull(&in[1], &user_id);
	if ((st = run(S_SESSION_LIST, in)) == NULL)
		return DB_ERROR;
	memset(&s, 0, sizeof(s));
	r_set(&r[0], id, sizeof(id));
	r_set(&r[1], client, sizeof(client));
	r_set(&r[2], s.device_info, sizeof(s.device_info));
	r_set(&r[3], created, sizeof(created));
	r_set(&r[4], last, sizeof(last));
	r_set(&r[5], expiry, sizeof(expiry));
	r_set(&r[6], s.client_name, sizeof(s.client_name));
	r_set(&r[7], browser, sizeof(browser));
	if (bind_results(st, r, ARRAY_SIZE(r)) != DB_OK)
		return DB_ERROR;
	while ((rc = fetch(st, r, ARRAY_SIZE(r))) == DB_OK) {
		s.id = r_ull(&r[0]);
		s.user_id = user_id;
		s.client_ref = r_ull(&r[1]);
		s.created_at = r_ll(&r[3]);
		s.last_access = r_ll(&r[4]);
		s.expiry = r_ll(&r[5]);
		s.browser = r_ll(&r[7]) != 0;
		if (cb(&s, arg) != 0)
			break;
	}
	mysql_stmt_free_result(st);
	return rc == DB_ERROR ? DB_ERROR : DB_OK;
}

/* tokens */

int
db_token_insert(const struct db_token *t)
{
	MYSQL_BIND in[14];
	long long kind = t->kind, method = t->code_method, dialect = t->dialect;
	long long fend = t->family_expires_at;

	p_bin(&in[0], t->digest, DB_DIGEST_LEN);
	p_ll(&in[1], &kind);
	p_ref(&in[2], &t->session_id);
	p_ref(&in[3], &t->client_ref);
	p_ref(&in[4], &t->user_id);
	p_str(&in[5], t->scope);
	p_ll(&in[6], &t->created_ms);
	p_ll(&in[7], &t->expires_at);
	if (t->has_family)
		p_bin(&in[8], t->family, DB_FAMILY_LEN);
	else
		p_str_or_null(&in[8], NULL);
	p_str_or_null(&in[9], t->kind == TOKEN_CODE ? t->redirect_uri : NULL);
	p_str_or_null(&in[10],
	    t->kind == TOKEN_CODE ? t->code_challenge : NULL);
	if (t->kind == TOKEN_CODE && t->code_method != 0)
		p_ll(&in[11], &method);
	else
		p_str_or_null(&in[11], NULL);
	p_ll(&in[12], &dialect);
	if (fend != 0)
		p_ll(&in[13], &fend);
	else
		p_str_or_null(&in[13], NULL);
	return run_change(S_TOKEN_INSERT, in, NULL);
}

/* The result buffers of TOKEN_COLS (+ username, client_id when named). */
struct token_row {
	char digest[DB_DIGEST_LEN + 1], kind[8], session[24], client[24],
	    user[24], created[24], expires[24], revoked[8],
	    family[DB_FAMILY_LEN + 1], used[24], method[8], dialect[8],
	    slast[24], srevoked[24], udisabled[8], cgone[8];
};

#define TOKEN_NCOLS 19
#define TOKEN_NCOLS_NAMED 21

static void
token_bind(struct token_row *row, struct res *r, struct db_token *t)
{
	memset(t, 0, sizeof(*t));
	r_set(&r[0], row->digest, sizeof(row->digest));
	r_set(&r[1], row->kind, sizeof(row->kind));
	r_set(&r[2], row->session, sizeof(row->session));
	r_set(&r[3], row->client, sizeof(row->client));
	r_set(&r[4], row->user, sizeof(row->user));
	r_set(&r[5], t->scope, sizeof(t->scope));
	r_set(&r[6], row->created, sizeof(row->created));
	r_set(&r[7], row->expires, sizeof(row->expires));
	r_set(&r[8], row->revoked, sizeof(row->revoked));
	r_set(&r[9], row->family, sizeof(row->family));
	r_set(&r[10], row->used, sizeof(row->used));
	r_set(&r[11], t->redirect_uri, sizeof(t->redirect_uri));
	r_set(&r[12], t->code_challenge, sizeof(t->code_challenge));
	r_set(&r[13], row->method, sizeof(row->method));
	r_set(&r[14], row->dialect, sizeof(row->dialect));
	r_set(&r[15], row->slast, sizeof(row->slast));
	r_set(&r[16], row->srevoked, sizeof(row->srevoked));
	r_set(&r[17], row->udisabled, sizeof(row->udisabled));
	r_set(&r[18], row->cgone, sizeof(row->cgone));
	/* Bound always, fetched only by the named statements. */
	r_set(&r[19], t->username, sizeof(t->username));
	r_set(&r[20], t->client_id, sizeof(t->client_id));
}

static void
token_fill(struct token_row *row, const struct res *r,
    const unsigned char digest[DB_DIGEST_LEN], struct db_token *t)
{
	memcpy(t->digest, digest, DB_DIGEST_LEN);
	t->kind = (int)r_ll(&r[1]);
	t->session_id = r_ull(&r[2]);
	t->client_ref = r_ull(&r[3]);
	t->user_id = r_ull(&r[4]);
	t->created_ms = r_ll(&r[6]);
	t->expires_at = r_ll(&r[7]);
	t->revoked = r_ll(&r[8]) != 0;
	if (!r[9].null && r[9].len == DB_FAMILY_LEN) {
		memcpy(t->family, row->family, DB_FAMILY_LEN);
		t->has_family = 1;
	}
	t->used_at = r_ll(&r[10]);
	t->code_method = (int)r_ll(&r[13]);
	t->dialect = (int)r_ll(&r[14]);
	t->session_last_access = r_ll(&r[15]);
	t->session_revoked_at = r_ll(&r[16]);
	t->user_disabled = r_ll(&r[17]) != 0;
	t->client_gone = r_ll(&r[18]) != 0;
}

static int
token_get(enum stmt id, const unsigned char digest[DB_DIGEST_LEN],
    struct db_token *t)
{
	struct token_row row;
	struct res r[TOKEN_NCOLS_NAMED];
	MYSQL_BIND in[1];
	int rc;

	token_bind(&row, r, t);
	p_bin(&in[0], digest, DB_DIGEST_LEN);
	rc = run_row(id, in, r,
	    id == S_TOKEN_GET_NAMED ? TOKEN_NCOLS_NAMED : TOKEN_NCOLS);
	if (rc == DB_OK)
		token_fill(&row, r, digest, t);
	return rc;
}

int
db_token_insert_checked(const struct db_token *t, const struct db_client *c)
{
	MYSQL_BIND in[14];
	long long kind = t->kind, dialect = t->dialect;
	long long now = t->created_ms / 1000;
	unsigned long long n = 0;
	int rc;

	p_bin(&in[0], t->digest, DB_DIGEST_LEN);
	p_ll(&in[1], &kind);
	p_str(&in[2], t->scope);
	p_ll(&in[3], &t->created_ms);
	p_ll(&in[4], &t->expires_at);
	p_ll(&in[5], &dialect);
	p_ull(&in[6], &c->id);
	p_str(&in[7], c->client_id);
	p_str(&in[8], c->secret_hash);
	p_str(&in[9], c->grants);
	p_str(&in[10], c->scopes);
	p_ll(&in[11], &c->access_ttl);
	/* Not while the address is locked out (the throttle, SPEC 14). */
	p_str(&in[12], c->auth_ip);
	p_ll(&in[13], &now);
	if ((rc = run_change(S_TOKEN_INSERT_CHECKED, in, &n)) != DB_OK)
		return rc;
	return n == 1 ? DB_OK : DB_NOTFOUND;
}

int
db_token_get(const unsigned char digest[DB_DIGEST_LEN], struct db_token *t)
{
	return token_get(S_TOKEN_GET, digest, t);
}

int
db_token_get_named(const unsigned char digest[DB_DIGEST_LEN],
    struct db_token *t)
{
	return token_get(S_TOKEN_GET_NAMED, digest, t);
}

int
db_client_token(const char *client_id,
    const unsigned char digest[DB_DIGEST_LEN], struct db_client *c,
    struct db_token *t, int *token_found)
{
	struct client_row crow;
	struct token_row trow;
	struct res r[11 + TOKEN_NCOLS_NAMED + 1];
	char ip[sizeof(c->auth_ip)], until[24];
	MYSQL_BIND in[3];
	int rc;

	*token_found = 0;
	/* client_bind() clears c: keep the address the caller set. */
	memcpy(ip, c->auth_ip, sizeof(ip));
	ip[sizeof(ip) - 1] = '\0';
	client_bind(&crow, r, c);
	token_bind(&trow, r + 11, t);
	r_set(&r[11 + TOKEN_NCOLS_NAMED], until, sizeof(until));
	p_str(&in[0], ip);
	p_bin(&in[1], digest, DB_DIGEST_LEN);
	p_str(&in[2], client_id);
	rc = run_row(S_CLIENT_TOKEN, in, r, ARRAY_SIZE(r));
	memcpy(c->auth_ip, ip, sizeof(ip));
	if (rc != DB_OK)
		return rc;
	client_fill(r, c);
	c->locked_until = r_ll(&r[11 + TOKEN_NCOLS_NAMED]);
	/* tokens.kind is NOT NULL: NULL means the LEFT JOIN found none. */
	if (!r[11 + 1].null) {
		token_fill(&trow, r + 11, digest, t);
		*token_found = 1;
	} else {
		memset(t, 0, sizeof(*t));
	}
	return DB_OK;
}

int
db_token_get_locked(const unsigned char digest[DB_DIGEST_LEN],
    struct db_token *t)
{
	return token_get(S_TOKEN_GET_LOCKED, digest, t);
}

int
db_token_revoke(const unsigned char digest[DB_DIGEST_LEN])
{
	MYSQL_BIND in[1];

	p_bin(&in[0], digest, DB_DIGEST_LEN);
	return run_change(S_TOKEN_REVOKE, in, NULL);
}

int
db_token_revoke_session(unsigned long long session_id)
{
	MYSQL_BIND in[1];

	p_ull(&in[0], &session_id);
	return run_change(S_TOKEN_REVOKE_SESSION, in, NULL);
}

int
db_token_revoke_family(const unsigned char family[DB_FAMILY_LEN])
{
	MYSQL_BIND in[1];

	p_bin(&in[0], family, DB_FAMILY_LEN);
	return run_change(S_TOKEN_REVOKE_FAMILY, in, NULL);
}

int
db_token_mark_used(const unsigned char digest[DB_DIGEST_LEN], long long now)
{
	MYSQL_BIND in[2];
	unsigned long long n = 0;
	int rc;

	p_ll(&in[0], &now);
	p_bin(&in[1], digest, DB_DIGEST_LEN);
	if ((rc = run_change(S_TOKEN_MARK_USED, in, &n)) != DB_OK)
		return rc;
	return n > 0 ? DB_OK : DB_NOTFOUND;
}

int
db_code_mark_used(const unsigned char digest[DB_DIGEST_LEN], long long now,
    long long keep_until)
{
	MYSQL_BIND in[3];
	unsigned long long n = 0;
	int rc;

	p_ll(&in[0], &now);
	p_ll(&in[1], &keep_until);
	p_bin(&in[2], digest, DB_DIGEST_LEN);
	if ((rc = run_change(S_CODE_MARK_USED, in, &n)) != DB_OK)
		return rc;
	return n > 0 ? DB_OK : DB_NOTFOUND;
}

int
db_token_family_end(const unsigned char digest[DB_DIGEST_LEN], long long *end)
{
	struct res r[1];
	char buf[24];
	MYSQL_BIND in[1];
	int rc;

	*end = 0;
	r_set(&r[0], buf, sizeof(buf));
	p_bin(&in[0], digest, DB_DIGEST_LEN);
	if ((rc = run_row(S_TOKEN_FAMILY_END, in, r, 1)) == DB_OK)
		*end = r_ll(&r[0]);
	return rc;
}

/* consent */

int
db_consent_get(unsigned long long user_id, unsigned long long client_ref,
    char *scope, size_t size)
{
	struct res r[1];
	MYSQL_BIND in[2];
	int rc;

	p_ull(&in[0], &user_id);
	p_ull(&in[1], &client_ref);
	r_set(&r[0], scope, size);
	rc = run_row(S_CONSENT_GET, in, r, 1);
	if (rc == DB_NOTFOUND)
		scope[0] = '\0';
	return rc == DB_ERROR ? DB_ERROR : DB_OK;
}

int
db_consent_put(unsigned long long user_id, unsigned long long client_ref,
    const char *scope, long long now)
{
	MYSQL_BIND in[4];

	p_ull(&in[0], &user_id);
	p_ull(&in[1], &client_ref);
	p_str(&in[2], scope);
	p_ll(&in[3], &now);
	return run_change(S_CONSENT_PUT, in, NULL);
}

/* login throttle */

/* The four counters of S_FAILURES* / S_CLIENT_FAILURES into out[4]. */
static int
count4(enum stmt id, MYSQL_BIND *in, long long out[4])
{
	struct res r[4];
	char v[4][24];
	size_t i;
	int rc;

	for (i = 0; i < 4; i++)
		r_set(&r[i], v[i], sizeof(v[i]));
	if ((rc = run_row(id, in, r, 4)) == DB_ERROR)
		return rc;
	for (i = 0; i < 4; i++)
		out[i] = rc == DB_OK ? r_ll(&r[i]) : 0;
	return DB_OK;
}

int
db_failures_count(const char *login, unsigned long long user_id, const char *ip,
    long long since, long long *n_login, long long *last_login, long long *n_ip,
    long long *last_ip)
{
	MYSQL_BIND in[8];
	long long v[4];
	size_t i;

	for (i = 0; i < 4; i++) {
		if (i >= 2)
			p_str(&in[2 * i], ip);
		else if (user_id != 0)
			p_ull(&in[2 * i], &user_id);
		else
			p_str(&in[2 * i], login);
		p_ll(&in[2 * i + 1], &since);
	}
	if (count4(user_id != 0 ? S_FAILURES_USER : S_FAILURES, in, v) != DB_OK)
		return DB_ERROR;
	*n_login = v[0];
	*last_login = v[1];
	*n_ip = v[2];
	*last_ip = v[3];
	return DB_OK;
}

int
db_failure_add(const char *login, unsigned long long user_id, const char *ip,
    long long now)
{
	MYSQL_BIND in[4];

	p_str(&in[0], login);
	p_ref(&in[1], &user_id);
	p_str(&in[2], ip);
	p_ll(&in[3], &now);
	return run_change(S_FAILURE_ADD, in, NULL);
}

int
db_failures_clear(unsigned long long user_id)
{
	MYSQL_BIND in[1];

	p_ull(&in[0], &user_id);
	return run_change(S_FAILURES_CLEAR, in, NULL);
}

int
db_throttle_lock(const struct db_throttle_key k[2], long long now)
{
	MYSQL_BIND in[8];
	char kind[2][2];
	size_t i;

	for (i = 0; i < 2; i++) {
		kind[i][0] = k[i].kind;
		kind[i][1] = '\0';
		p_str(&in[4 * i], kind[i]);
		p_str(&in[4 * i + 1], k[i].ip);
		p_str(&in[4 * i + 2], k[i].name);
		p_ll(&in[4 * i + 3], &now);
	}
	return run_change(S_THROTTLE_LOCK, in, NULL);
}

int
db_throttle_until(const struct db_throttle_key *k, long long until)
{
	MYSQL_BIND in[4];
	char kind[2] = { k->kind, '\0' };

	p_ll(&in[0], &until);
	p_str(&in[1], kind);
	p_str(&in[2], k->ip);
	p_str(&in[3], k->name);
	return run_change(S_THROTTLE_UNTIL, in, NULL);
}

int
db_client_failures_count(const char *client_id, const char *ip, long long since,
    long long *n_pair, long long *last_pair, long long *n_ip,
    long long *last_ip)
{
	MYSQL_BIND in[10];
	long long v[4];
	size_t i;

	for (i = 0; i < 2; i++) {
		p_str(&in[3 * i], ip);
		p_str(&in[3 * i + 1], client_id);
		p_ll(&in[3 * i + 2], &since);
		p_str(&in[6 + 2 * i], ip);
		p_ll(&in[6 + 2 * i + 1], &since);
	}
	if (count4(S_CLIENT_FAILURES, in, v) != DB_OK)
		return DB_ERROR;
	*n_pair = v[0];
	*last_pair = v[1];
	*n_ip = v[2];
	*last_ip = v[3];
	return DB_OK;
}

int
db_client_failure_add(const char *client_id, const char *ip, long long now)
{
	MYSQL_BIND in[3];

	p_str(&in[0], client_id);
	p_str(&in[1], ip);
	p_ll(&in[2], &now);
	return run_change(S_CLIENT_FAILURE_ADD, in, NULL);
}

int
db_user_hash_methods(void (*cb)(const char *method, void *arg), void *arg,
    size_t max)
{
	struct res r[1];
	char method[64];
	MYSQL_STMT *st;
	size_t n = 0;
	int rc;

	if ((st = run(S_USER_HASH_METHODS, NULL)) == NULL)
		return DB_ERROR;
	r_set(&r[0], method, sizeof(method));
	if (bind_results(st, r, 1) != DB_OK)
		return DB_ERROR;
	while ((rc = fetch(st, r, 1)) == DB_OK)
		if (n++ < max)
			cb(method, arg);
	mysql_stmt_free_result(st);
	return rc == DB_ERROR ? DB_ERROR : DB_OK;
}

/* Dead sessions with ids in [first, first + n): *deleted += their count. */
static int
purge_sessions(unsigned long long first, unsigned long long n, long long now,
    unsigned long long *deleted)
{
	MYSQL_BIND in[3];
	unsigned long long end = first + n, k = 0;
	/* Give a fresh session a minute to receive its first token. */
	long long cutoff = now - 60;

	p_ull(&in[0], &first);
	p_ull(&in[1], &end);
	p_ll(&in[2], &cutoff);
	if (run_change(S_PURGE_SESSIONS, in, &k) != DB_OK)
		return DB_ERROR;
	*deleted += k;
	return DB_OK;
}

static int
sessions_max_id(unsigned long long *max)
{
	struct res r[1];
	char v[24];
	int rc;

	r_set(&r[0], v, sizeof(v));
	if ((rc = run_row(S_SESSIONS_MAX_ID, NULL, r, 1)) != DB_OK)
		return rc == DB_NOTFOUND ? DB_OK : rc;
	*max = r_ull(&r[0]);
	return DB_OK;
}

/* Throttle keys idle for a day and not locked (SPEC 14). */
static int
purge_throttle_locks(long long now, long long cutoff, long long lim,
    unsigned long long *n)
{
	MYSQL_BIND in[3];

	p_ll(&in[0], &cutoff);
	p_ll(&in[1], &now);
	p_ll(&in[2], &lim);
	return run_change(S_PURGE_THROTTLE_LOCKS, in, n);
}

int
db_purge(long long now, unsigned int limit, unsigned long long *deleted)
{
	/*
	 * The next window of session ids this process looks at: the windows
	 * sweep the table from a random start (so the processes spread
	 * out) and wrap after its highest id.
	 */
	static unsigned long long cursor, max_id;
	MYSQL_BIND in[2];
	long long lim = limit, cutoff;
	unsigned long long n = 0;

	*deleted = 0;
	p_ll(&in[0], &now);
	p_ll(&in[1], &lim);
	if (run_change(S_PURGE_TOKENS, in, &n) != DB_OK)
		return DB_ERROR;
	*deleted += n;
	/* Failures older than a day can no longer lock anything. */
	cutoff = now - 86400;
	p_ll(&in[0], &cutoff);
	if (run_change(S_PURGE_FAILURES, in, &n) != DB_OK)
		return DB_ERROR;
	*deleted += n;
	if (run_change(S_PURGE_CLIENT_FAILURES, in, &n) != DB_OK)
		return DB_ERROR;
	*deleted += n;
	if (purge_throttle_locks(now, cutoff, lim, &n) != DB_OK)
		return DB_ERROR;
	*deleted += n;
	if (cursor == 0 || cursor > max_id) {
		if (sessions_max_id(&max_id) != DB_OK)
			return DB_ERROR;
		cursor = cursor == 0 && max_id > 0 ?
		    1 + (unsigned long long)rand() % max_id :
		    1;
	}
	if (purge_sessions(cursor, limit, now, deleted) != DB_OK)
		return DB_ERROR;
	cursor += limit;
	return DB_OK;
}

int
db_purge_sessions_all(long long now, unsigned long long *deleted)
{
	unsigned long long max = 0, first;

	*deleted = 0;
	if (sessions_max_id(&max) != DB_OK)
		return DB_ERROR;
	for (first = 1; first <= max; first += 1000)
		if (purge_sessions(first, 1000, now, deleted) != DB_OK)
			return DB_ERROR;
	return DB_OK;
}

/* transactions */

static void
backoff(int attempt)
{
	struct timespec ts;
	unsigned int ms =
	    (unsigned int)(5 << attempt) + (unsigned int)(rand() % 10);

	ts.tv_sec = 0;
	ts.tv_nsec = (long)ms * 1000000L;
	nanosleep(&ts, NULL);
}

int
db_tx(int (*fn)(void *arg), void *arg)
{
	int attempt, rc = DB_ERROR, reconnected = 0;

	if (in_tx) /* nested: part of the caller's transaction */
		return fn(arg);
	for (attempt = 0; attempt < 4; attempt++) {
		if (db_open() != DB_OK)
			return DB_ERROR;
		/*
		 * An explicit transaction on an autocommit connection: one
		 * round trip to begin, COMMIT or ROLLBACK to end, nothing to
		 * restore (toggling autocommit would cost two more).
		 */
		if (mysql_real_query(conn, "START TRANSACTION", 17) != 0) {
			set_error(mysql_errno(conn), mysql_error(conn));
			if (conn_lost(last_errno) && !reconnected) {
				drop_conn();
				reconnected = 1;
				continue;
			}
			return DB_ERROR;
		}
		in_tx = 1;
		rc = fn(arg);
		if (conn == NULL) {
			/*
			 * The connection died inside the transaction: the
			 * server rolled it back, so running it again from the
			 * start is safe (once: a database that is down stays
			 * down). Also after a rerun: on Galera a transaction
			 * rerun after a certification conflict (1213) has been
			 * seen to lose its connection (2006) once more.
			 */
			in_tx = 0;
			if (!reconnected && conn_lost(last_errno)) {
				reconnected = 1;
				continue;
			}
			return DB_ERROR;
		}
		if (rc == DB_OK) {
			if (mysql_commit(conn) == 0) {
				in_tx = 0;
				return DB_OK;
			}
			set_error(mysql_errno(conn), mysql_error(conn));
			rc = DB_ERROR;
		}
		/* Roll back everything fn did, whatever it returned. */
		if (mysql_rollback(conn) != 0) {
			drop_conn();
			return DB_ERROR;
		}
		in_tx = 0;
		if (rc == DB_ERROR && db_retryable()) {
			log_info("transaction conflict (%u), attempt %d",
			    last_errno, attempt + 1);
			backoff(attempt);
			continue;
		}
		return rc;
	}
	return rc;
}

int
db_ping(void)
{
	struct res r[1];
	char one[8];

	r_set(&r[0], one, sizeof(one));
	return run_row(S_PING, NULL, r, 1) == DB_OK ? DB_OK : DB_ERROR;
}

/* migrations */

/*
 * Run one migration file: statements end with ';' at the end of a line;
 * lines starting with "--" are comments. The text is ours (compiled in),
 * never input, so mysql_real_query on it is not SQL built from input.
 */
static int
run_script(const char *text)
{
	struct buf stmt = BUF_INIT;
	const char *line = text, *nl;
	size_t n, k;
	int rc = DB_OK;

	while (*line != '\0' && rc == DB_OK) {
		nl = strchr(line, '\n');
		n = nl ? (size_t)(nl - line) : strlen(line);
		k = 0;
		while (k < n && (line[k] == ' ' || line[k] == '\t'))
			k++;
		if (!(n - k >= 2 && line[k] == '-' && line[k + 1] == '-')) {
			buf_add(&stmt, line, n);
			buf_putc(&stmt, '\n');
			while (n > 0 &&
			    (line[n - 1] == ' ' || line[n - 1] == '\r'))
				n--;
			if (n > 0 && line[n - 1] == ';') {
				if (mysql_real_query(conn, stmt.p, stmt.len) !=
				    0) {
					set_error(mysql_errno(conn),
					    mysql_error(conn));
					rc = DB_ERROR;
				}
				buf_reset(&stmt);
			}
		}
		line = nl ? nl + 1 : line + strlen(line);
	}
	buf_free(&stmt);
	return rc;
}

int
db_migrate(int verbose)
{
	struct res r[1];
	char maxv[24];
	long long cur, version, now = (long long)time(NULL);
	MYSQL_BIND in[3];
	size_t i;

	if (run_change(S_MIGRATIONS_CREATE, NULL, NULL) != DB_OK)
		return DB_ERROR;
	r_set(&r[0], maxv, sizeof(maxv));
	if (run_row(S_MIGRATIONS_MAX, NULL, r, 1) != DB_OK)
		return DB_ERROR;
	cur = r_ll(&r[0]);
	for (i = 0; i < migrations_count; i++) {
		if (migrations[i].version <= cur)
			continue;
		if (verbose)
			printf("applying %s\n", migrations[i].name);
		if (run_script(migrations[i].sql) != DB_OK) {
			fprintf(stderr, "migration %s failed: %s\n",
			    migrations[i].name, last_error);
			return DB_ERROR;
		}
		version = migrations[i].version;
		p_ll(&in[0], &version);
		p_str(&in[1], migrations[i].name);
		p_ll(&in[2], &now);
		if (run_change(S_MIGRATIONS_ADD, in, NULL) != DB_OK)
			return DB_ERROR;
	}
	if (verbose)
		printf("schema at version %lld\n",
		    migrations_count > 0 ?
			(long long)migrations[migrations_count - 1].version :
			0LL);
	return DB_OK;
}

/* legacy import */

static const char legacy_users_full[] =
    "SELECT id, username, password, "
    "firstname, lastname, email, phone_number, access_level FROM users";
static const char legacy_users_min[] = "SELECT id, username, password, '', "
				       "'', '', '', 0 FROM users";
static const char legacy_tokens[] =
    "SELECT user_id, auth_key, "
    "COALESCE(device_info, ''), expiry FROM auth_tokens WHERE expiry > ?";

/* Prepare and run a one-off statement on the currently selected database. */
static MYSQL_STMT *
adhoc(const char *q, MYSQL_BIND *in)
{
	MYSQL_STMT *st = mysql_stmt_init(conn);

	if (st == NULL)
		return NULL;
	if (mysql_stmt_prepare(st, q, strlen(q)) != 0 ||
	    (in != NULL && mysql_stmt_bind_param(st, in) != 0) ||
	    mysql_stmt_execute(st) != 0) {
		set_error(mysql_stmt_errno(st), mysql_stmt_error(st));
		mysql_stmt_close(st);
		return NULL;
	}
	return st;
}

int
db_legacy_read(const char *name,
    int (*user_cb)(const struct db_legacy_user *u, void *arg),
    int (*token_cb)(const struct db_legacy_token *t, void *arg), void *arg)
{
	struct db_legacy_user u;
	struct db_legacy_token t;
	struct res r[8];
	char id[24], level[24], expiry[24];
	long long now = (long long)time(NULL);
	MYSQL_BIND in[1];
	MYSQL_STMT *st = NULL;
	int rc = DB_ERROR, frc;

	if (db_open() != DB_OK)
		return DB_ERROR;
	/* COM_INIT_DB: the name is an argument, not SQL text. */
	if (mysql_select_db(conn, name) != 0) {
		set_error(mysql_errno(conn), mysql_error(conn));
		return DB_ERROR;
	}
	/* Legacy tables differ in their optional columns: try all first. */
	if ((st = adhoc(legacy_users_full, NULL)) == NULL &&
	    (st = adhoc(legacy_users_min, NULL)) == NULL)
		goto out;
	memset(&u, 0, sizeof(u));
	r_set(&r[0], id, sizeof(id));
	r_set(&r[1], u.username, sizeof(u.username));
	r_set(&r[2], u.password, sizeof(u.password));
	r_set(&r[3], u.first, sizeof(u.first));
	r_set(&r[4], u.last, sizeof(u.last));
	r_set(&r[5], u.email, sizeof(u.email));
	r_set(&r[6], u.phone, sizeof(u.phone));
	r_set(&r[7], level, sizeof(level));
	if (bind_results(st, r, 8) != DB_OK)
		goto out;
	while ((frc = fetch(st, r, 8)) == DB_OK) {
		u.id = r_ull(&r[0]);
		u.level = (int)r_ll(&r[7]);
		if (user_cb(&u, arg) != 0)
			break;
	}
	mysql_stmt_free_result(st);
	mysql_stmt_close(st);
	st = NULL;
	if (frc == DB_ERROR)
		goto out;

	p_ll(&in[0], &now);
	if ((st = adhoc(legacy_tokens, in)) == NULL)
		goto out;
	memset(&t, 0, sizeof(t));
	r_set(&r[0], id, sizeof(id));
	r_set(&r[1], t.auth_key, sizeof(t.auth_key));
	r_set(&r[2], t.device_info, sizeof(t.device_info));
	r_set(&r[3], expiry, sizeof(expiry));
	if (bind_results(st, r, 4) != DB_OK)
		goto out;
	while ((frc = fetch(st, r, 4)) == DB_OK) {
		t.user_id = r_ull(&r[0]);
		t.expiry = r_ll(&r[3]);
		if (token_cb(&t, arg) != 0)
			break;
	}
	mysql_stmt_free_result(st);
	if (frc != DB_ERROR)
		rc = DB_OK;
out:
	if (st != NULL)
		mysql_stmt_close(st);
	if (conn != NULL && mysql_select_db(conn, cfg.db_name) != 0) {
		set_error(mysql_errno(conn), mysql_error(conn));
		drop_conn();
		rc = DB_ERROR;
	}
	return rc;
}

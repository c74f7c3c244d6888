/*
 * config.h - the one configuration file, and environment overrides.
 *
 * The file named by $OAUTH_CONFIG holds `key = value` lines; '#' starts a
 * comment line; blank lines are ignored; unknown keys are an error (a typo
 * must not silently leave a default in force). Every key can be overridden
 * by the environment variable OAUTH_<KEY> in upper case (OAUTH_DB_PASSWORD).
 * The configuration is read once at start-up, before the first FastCGI
 * accept (libfcgi replaces environ per request; SPEC section 1).
 *
 * Keys, defaults and meaning are in the table in config.c and in
 * docs/configuration.md.
 */
#ifndef CONFIG_H
#define CONFIG_H

#include <stddef.h>

enum dialect {
	DIALECT_LEGACY, /* POST /v1/oauth/ (SPEC L) */
	DIALECT_OAUTH2, /* /oauth/... RFC 6749 (SPEC R) */
	DIALECT_CHAT,   /* /api/oauth/... (SPEC B) */
	DIALECT_NODE,   /* /register_client, /token, /api (SPEC N) */
	DIALECT_PHONE,  /* /v4/oauth/... (SPEC P) */
	DIALECT__MAX
};

enum registration { REGISTRATION_OFF, REGISTRATION_OPEN, REGISTRATION_TOKEN };

struct config {
	/* database */
	char *db_host; /* "" (or "localhost") with db_socket: unix socket */
	unsigned int db_port;
	char *db_socket;
	char *db_user;
	char *db_password;
	char *db_name;
	int db_sync_wait; /* wsrep_sync_wait for causal reads; 0 = off */

	char *issuer; /* e.g. https://auth.example.com (no trailing slash) */
	char *htdocs; /* templates and static files of the web pages */

	/* lifetimes, seconds */
	long long legacy_token_ttl;  /* 2592000, SPEC section 3 */
	long long access_token_ttl;  /* 3600 */
	long long refresh_token_ttl; /* 2592000 */
	long long code_ttl;          /* 60 */
	long long chat_token_ttl;    /* 3600 */
	long long refresh_grace;     /* 10: a retry inside it is not theft */
	long long login_cookie_ttl;  /* 86400: browser sign-in */
	long long refresh_max_ttl; /* 7776000: a refresh family's whole life */

	int dialect_on[DIALECT__MAX];
	enum registration registration;
	long long
	    admin_level; /* registration = token: the bearer's user level */
	int pkce_plain;  /* allow code_challenge_method=plain */

	/* login throttle, SPEC section 11 */
	long long throttle_user_max; /* 5 failures per username ... */
	long long throttle_ip_max;   /* 20 failures per client IP ... */
	long long throttle_window;   /* ... within 900 s */
	long long throttle_delay;    /* 2 s: first lock; doubles per failure */
	/* client authentication throttle, SPEC section 14 (same window) */
	long long throttle_client_max;    /* 20 per (client_id, IP) ... */
	long long throttle_client_ip_max; /* 20 per client IP */

	int password_bcrypt;         /* password_scheme = bcrypt */
	unsigned long password_cost; /* 0 = the scheme's default */

	/*
	 * instance_secret: 32 to 128 random bytes, hex in the file; the key
	 * of the CSRF tokens of the web pages (core/browser.h). "" when the
	 * file has none: the pages then refuse to run (SPEC 14).
	 */
	char *instance_secret;

	size_t body_limit;     /* 65536 */
	long long purge_every; /* 1 request in N also purges a batch; 0 off */
};

extern struct config cfg;

/*
 * Set defaults, read the file at `path` (NULL: $OAUTH_CONFIG; no file at
 * all is allowed only when path is NULL and $OAUTH_CONFIG is unset), then
 * apply environment overrides. 0, or -1 with a message in err[errsz].
 */
int config_load(const char *path, char *err, size_t errsz);
void config_free(void);
/* The dialect's configuration name ("legacy", "oauth2", ...). */
const char *config_dialect_name(enum dialect d);

#endif

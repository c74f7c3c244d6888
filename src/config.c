/*
 * config.c - see config.h. The key table below is the reference list of
 * every setting; docs/configuration.md repeats it for operators.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

struct config cfg;

enum ktype {
	K_STR,
	K_INT,
	K_UINT,
	K_SIZE,
	K_BOOL,
	K_DIALECTS,
	K_REG,
	K_SCHEME,
	K_SECRET
};

struct key {
	const char *name;
	enum ktype type;
	size_t off;
	const char *def;
	long long min, max; /* for numbers */
};

#define O(f) offsetof(struct config, f)

static const struct key keys[] = {
	{ "db_host", K_STR, O(db_host), "", 0, 0 },
	{ "db_port", K_UINT, O(db_port), "3306", 1, 65535 },
	{ "db_socket", K_STR, O(db_socket), "", 0, 0 },
	{ "db_user", K_STR, O(db_user), "oauth", 0, 0 },
	{ "db_password", K_STR, O(db_password), "", 0, 0 },
	{ "db_name", K_STR, O(db_name), "oauth", 0, 0 },
	{ "db_sync_wait", K_INT, O(db_sync_wait), "0", 0, 15 },
	{ "issuer", K_STR, O(issuer), "http://127.0.0.1:8080", 0, 0 },
	{ "htdocs", K_STR, O(htdocs), "htdocs", 0, 0 },
	{ "legacy_token_ttl", K_INT, O(legacy_token_ttl), "2592000", 1,
	    315360000 },
	{ "access_token_ttl", K_INT, O(access_token_ttl), "3600", 1,
	    315360000 },
	{ "refresh_token_ttl", K_INT, O(refresh_token_ttl), "2592000", 1,
	    315360000 },
	{ "code_ttl", K_INT, O(code_ttl), "60", 1, 3600 },
	{ "chat_token_ttl", K_INT, O(chat_token_ttl), "3600", 1, 315360000 },
	{ "refresh_grace", K_INT, O(refresh_grace), "10", 0, 300 },
	{ "login_cookie_ttl", K_INT, O(login_cookie_ttl), "86400", 60,
	    31536000 },
	{ "refresh_max_ttl", K_INT, O(refresh_max_ttl), "7776000", 1,
	    315360000 },
	{ "dialects", K_DIALECTS, 0, "legacy oauth2 chat node phone", 0, 0 },
	{ "registration", K_REG, O(registration), "off", 0, 0 },
	{ "admin_level", K_INT, O(admin_level), "9", -2147483647, 2147483647 },
	{ "pkce_plain", K_BOOL, O(pkce_plain), "0", 0, 1 },
	{ "throttle_user_max", K_INT, O(throttle_user_max), "5", 1, 1000000 },
	{ "throttle_ip_max", K_INT, O(throttle_ip_max), "20", 1, 1000000 },
	{ "throttle_window", K_INT, O(throttle_window), "900", 1, 86400 },
	{ "throttle_delay", K_INT, O(throttle_delay), "2", 1, 86400 },
	{ "throttle_client_max", K_INT, O(throttle_client_max), "20", 1,
	    1000000 },
	{ "throttle_client_ip_max", K_INT, O(throttle_client_ip_max), "20", 1,
	    1000000 },
	{ "password_scheme", K_SCHEME, O(password_bcrypt), "yescrypt", 0, 0 },
	{ "password_cost", K_UINT, O(password_cost), "0", 0, 31 },
	{ "instance_secret", K_SECRET, O(instance_secret), "", 64, 256 },
	{ "body_limit", K_SIZE, O(body_limit), "65536", 1024, 1048576 },
	{ "purge_every", K_INT, O(purge_every), "100", 0, 1000000 },
};

static const char *dialect_names[DIALECT__MAX] = {
	"legacy",
	"oauth2",
	"chat",
	"node",
	"phone",
};

const char *
config_dialect_name(enum dialect d)
{
	return d < DIALECT__MAX ? dialect_names[d] : "?";
}

static int
set_dialects(const char *v, char *err, size_t errsz)
{
	char word[32];
	size_t n;
	int d, found;

	memset(cfg.dialect_on, 0, sizeof(cfg.dialect_on));
	while (*v != '\0') {
		while (*v == ' ' || *v == ',' || *v == '\t')
			v++;
		if (*v == '\0')
			break;
		n = strcspn(v, " ,\t");
		if (n >= sizeof(word))
			goto bad;
		memcpy(word, v, n);
		word[n] = '\0';
		v += n;
		found = 0;
		for (d = 0; d < DIALECT__MAX; d++)
			if (strcmp(word, dialect_names[d]) == 0)
				cfg.dialect_on[d] = found = 1;
		if (!found)
			goto bad;
	}
	return 0;
bad:
	snprintf(err, errsz,
	    "dialects: unknown dialect (known: legacy oauth2 "
	    "chat node phone)");
	return -1;
}

static int
set_key(const struct key *k, const char *v, char *err, size_t errsz)
{
	char *base = (char *)&cfg;
	long long n;

	switch (k->type) {
	case K_SECRET:
		/* Nothing weak: 64 to 256 hex digits (32 to 128 bytes), or none. */
		n = (long long)strlen(v);
		if (n != 0 &&
		    (n < k->min || n > k->max || n % 2 != 0 ||
			strspn(v, "0123456789abcdefABCDEF") != (size_t)n)) {
			snprintf(err, errsz,
			    "%s: expected %lld to %lld hex digits "
			    "(openssl rand -hex 32)",
			    k->name, k->min, k->max);
			return -1;
		}
		/* FALLTHROUGH */
	case K_STR: {
		char **p = (char **)(base + k->off);

		free(*p);
		*p = xstrdup(v);
		return 0;
	}
	case K_INT:
	case K_UINT:
	case K_SIZE:
	case K_BOOL:
		if (parse_ll(v, k->min, k->max, &n) == -1) {
			snprintf(err, errsz,
			    "%s: expected a number from %lld to "
			    "%lld",
			    k->name, k->min, k->max);
			return -1;
		}
		if (k->type == K_UINT && k->off == O(db_port))
			*(unsigned int *)(base + k->off) = (unsigned int)n;
		else if (k->type == K_UINT)
			*(unsigned long *)(base + k->off) = (unsigned long)n;
		else if (k->type == K_SIZE)
			*(size_t *)(base + k->off) = (size_t)n;
		else if (k->type == K_BOOL || k->off == O(db_sync_wait))
			*(int *)(base + k->off) = (int)n;
		else
			*(long long *)(base + k->off) = n;
		return 0;
	case K_DIALECTS:
		return set_dialects(v, err, errsz);
	case K_REG:
		if (strcmp(v, "off") == 0)
			cfg.registration = REGISTRATION_OFF;
		else if (strcmp(v, "open") == 0)
			cfg.registration = REGISTRATION_OPEN;
		else if (strcmp(v, "token") == 0)
			cfg.registration = REGISTRATION_TOKEN;
		else {
			snprintf(err, errsz,
			    "registration: off, open or token");
			return -1;
		}
		return 0;
	case K_SCHEME:
		if (strcmp(v, "yescrypt") == 0)
			cfg.password_bcrypt = 0;
		else if (strcmp(v, "bcrypt") == 0)
			cfg.password_bcrypt = 1;
		else {
			snprintf(err, errsz,
			    "password_scheme: yescrypt or bcrypt");
			return -1;
		}
		return 0;
	}
	return -1;
}

static const struct key *
find_key(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(keys); i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int
read_file(const char *path, char *err, size_t errsz)
{
	char line[4096], *k, *v, *eq;
	const struct key *key;
	unsigned int lineno = 0;
	FILE *f;
	int rc = -1;

	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			snprintf(err, errsz, "%s:%u: line too long", path,
			    lineno);
			goto out;
		}
		k = trim(line);
		if (*k == '\0' || *k == '#')
			continue;
		if ((eq = strchr(k, '=')) == NULL) {
			snprintf(err, errsz, "%s:%u: expected key = value",
			    path, lineno);
			goto out;
		}
		*eq = '\0';
		k = trim(k);
		v = trim(eq + 1);
		if ((key = find_key(k)) == NULL) {
			snprintf(err, errsz, "%s:%u: unknown key '%.64s'", path,
			    lineno, k);
			goto out;
		}
		if (set_key(key, v, err, errsz) == -1) {
			char msg[256];

			snprintf(msg, sizeof(msg), "%s", err);
			snprintf(err, errsz, "%s:%u: %s", path, lineno, msg);
			goto out;
		}
	}
	rc = 0;
out:
	/* The file holds the database password: leave no copy on the stack. */
	memset(line, 0, sizeof(line));
	fclose(f);
	return rc;
}

int
config_load(const char *path, char *err, size_t errsz)
{
	char envname[64];
	const char *v;
	size_t i, j;

	config_free();
	for (i = 0; i < ARRAY_SIZE(keys); i++)
		if (set_key(&keys[i], keys[i].def, err, errsz) == -1)
			return -1;
	if (path == NULL)
		path = getenv("OAUTH_CONFIG");
	if (path != NULL && *path != '\0' && read_file(path, err, errsz) == -1)
		return -1;
	for (i = 0; i < ARRAY_SIZE(keys); i++) {
		snprintf(envname, sizeof(envname), "OAUTH_%s", keys[i].name);
		for (j = 6; envname[j] != '\0'; j++)
			envname[j] = (char)toupper((unsigned char)envname[j]);
		if ((v = getenv(envname)) == NULL)
			continue;
		if (set_key(&keys[i], v, err, errsz) == -1)
			return -1;
	}
	/* The issuer is joined with paths: keep it without a trailing '/'. */
	for (i = strlen(cfg.issuer); i > 0 && cfg.issuer[i - 1] == '/'; i--)
		cfg.issuer[i - 1] = '\0';
	return 0;
}

void
config_free(void)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(keys); i++) {
		if (keys[i].type == K_STR || keys[i].type == K_SECRET) {
			char **p = (char **)((char *)&cfg + keys[i].off);

			if (*p != NULL) {
				memset(*p, 0, strlen(*p));
				free(*p);
				*p = NULL;
			}
		}
	}
}

/*
 * cli.c - see cli.h. The commands are rows of a table (git's commands[]);
 * cli_main() loads the configuration and connects once for all of them.
 */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "config.h"
#include "route.h"
#include "db.h"
#include "core/client.h"
#include "core/password.h"
#include "core/session.h"
#include "core/token.h"
#include "core/user.h"
#include "util.h"

#define EXIT_USAGE 64 /* sysexits' EX_USAGE: apart from "exists" */
#define EXIT_EXISTS 2
#define EXIT_NOTFOUND 3

struct command {
	const char *name;
	const char *sub; /* NULL: no sub-command */
	int (*fn)(int argc, char **argv);
	const char *usage;
};

/* "--name value" options, in any order after the positional arguments. */
static const char *
opt(int argc, char **argv, const char *name)
{
	int i;

	for (i = 0; i < argc - 1; i++)
		if (strcmp(argv[i], name) == 0)
			return argv[i + 1];
	return NULL;
}

static int
check_opts(int argc, char **argv, int npos, const char *const *known)
{
	int i, j, ok;

	for (i = npos; i < argc; i++) {
		ok = 0;
		for (j = 0; known[j] != NULL; j++)
			if (strcmp(argv[i], known[j]) == 0)
				ok = 1;
		if (!ok || i + 1 >= argc) {
			fprintf(stderr, "unexpected or incomplete option: %s\n",
			    argv[i]);
			return -1;
		}
		i++;
	}
	return 0;
}

/*
 * A password from stdin: one line when stdin is not a terminal; prompted
 * twice, without echo, when it is. 0, or -1 with a message.
 */
static int
read_password(char *out, size_t size)
{
	char again[PASSWORD_MAX + 2];
	struct termios t, quiet;
	int tty = isatty(STDIN_FILENO);
	size_t n;
	int rc = -1;

	if (tty) {
		tcgetattr(STDIN_FILENO, &t);
		quiet = t;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
		fputs("Password: ", stderr);
	}
	if (fgets(out, (int)size, stdin) == NULL) {
		fprintf(stderr, "no password on stdin\n");
		goto out;
	}
	n = strcspn(out, "\r\n");
	if (out[n] == '\0' && !feof(stdin)) {
		fprintf(stderr, "password too long\n");
		goto out;
	}
	out[n] = '\0';
	if (tty) {
		fputs("\nAgain: ", stderr);
		if (fgets(again, sizeof(again), stdin) == NULL)
			goto out;
		again[strcspn(again, "\r\n")] = '\0';
		if (strcmp(out, again) != 0) {
			fprintf(stderr, "\npasswords differ\n");
			goto out;
		}
		fputs("\n", stderr);
	}
	rc = 0;
out:
	if (tty)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &t);
	OPENSSL_cleanse(again, sizeof(again));
	return rc;
}

static int
db_fail(const char *what)
{
	fprintf(stderr, "%s: database error: %s\n", what, db_error());
	return 1;
}

static int
cmd_migrate(int argc, char **argv)
{
	(void)argv;
	if (argc != 0)
		return EXIT_USAGE;
	return db_migrate(1) == DB_OK ? 0 : db_fail("migrate");
}

static void
copy(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

static int
cmd_user_add(int argc, char **argv)
{
	static const char *const known[] = { "--phone", "--email", "--first",
		"--last", "--level", NULL };
	char pw[PASSWORD_MAX + 2];
	struct db_user u;
	const char *why, *lv;
	long long level = 0;
	enum oauth_err e;
	int rc = 1;

	if (argc < 1 || check_opts(argc, argv, 1, known) == -1)
		return EXIT_USAGE;
	memset(&u, 0, sizeof(u));
	copy(u.username, sizeof(u.username), argv[0]);
	copy(u.phone, sizeof(u.phone), opt(argc, argv, "--phone"));
	copy(u.email, sizeof(u.email), opt(argc, argv, "--email"));
	copy(u.first, sizeof(u.first), opt(argc, argv, "--first"));
	copy(u.last, sizeof(u.last), opt(argc, argv, "--last"));
	if ((lv = opt(argc, argv, "--level")) != NULL &&
	    parse_ll(lv, -2147483647, 2147483647, &level) == -1) {
		fprintf(stderr, "--level: expected a number\n");
		return EXIT_USAGE;
	}
	u.level = (int)level;
	if (read_password(pw, sizeof(pw)) == -1)
		return 1;
	e = user_create(&u, pw, strlen(pw), "cli", (long long)time(NULL), &why);
	OPENSSL_cleanse(pw, sizeof(pw));
	switch (e) {
	case OE_OK:
		printf("user %s created with id %llu\n", u.username, u.id);
		rc = 0;
		break;
	case OE_CONFLICT:
		fprintf(stderr, "user add: %s\n", why);
		rc = EXIT_EXISTS;
		break;
	case OE_BAD_INPUT:
		fprintf(stderr, "user add: %s\n", why);
		rc = 1;
		break;
	default:
		rc = db_fail("user add");
	}
	return rc;
}

static int
cmd_user_passwd(int argc, char **argv)
{
	char pw[PASSWORD_MAX + 2];
	unsigned long long n;
	enum oauth_err e;

	if (argc != 1)
		return EXIT_USAGE;
	if (read_password(pw, sizeof(pw)) == -1)
		return 1;
	e = user_set_password(argv[0], pw, strlen(pw), (long long)time(NULL),
	    &n);
	OPENSSL_cleanse(pw, sizeof(pw));
	switch (e) {
	case OE_OK:
		printf("password of %s changed\n", argv[0]);
		printf("signed out %llu sessions\n", n);
		return 0;
	case OE_NO_OBJECT:
		fprintf(stderr, "user passwd: no user %s\n", argv[0]);
		return EXIT_NOTFOUND;
	case OE_BAD_INPUT:
		fprintf(stderr,
		    "user passwd: password must be 1 to 511 bytes "
		    "(72 with bcrypt)\n");
		return 1;
	default:
		return db_fail("user passwd");
	}
}

static int
cmd_user_del(int argc, char **argv)
{
	struct db_user u;
	unsigned long long n;
	long long now = (long long)time(NULL);

	if (argc != 1)
		return EXIT_USAGE;
	switch (user_find(argv[0], &u)) {
	case OE_OK:
		break;
	case OE_NO_OBJECT:
		fprintf(stderr, "user del: no user %s\n", argv[0]);
		return EXIT_NOTFOUND;
	default:
		return db_fail("user del");
	}
	/* Sign the user out everywhere first: no token outlives its user. */
	if (session_revoke_all(u.id, 0, now, &n) != OE_OK ||
	    db_user_delete(u.id) == DB_ERROR)
		return db_fail("user del");
	printf("user %s deleted (%llu sessions signed out)\n", argv[0], n);
	return 0;
}

/* user disable / user enable */
static int
set_disabled(int argc, char **argv, int disabled)
{
	const char *what = disabled ? "user disable" : "user enable";

	if (argc != 1)
		return EXIT_USAGE;
	switch (user_set_disabled(argv[0], disabled)) {
	case OE_OK:
		printf("user %s %s\n", argv[0],
		    disabled ? "disabled" : "enabled");
		return 0;
	case OE_NO_OBJECT:
		fprintf(stderr, "%s: no user %s\n", what, argv[0]);
		return EXIT_NOTFOUND;
	default:
		return db_fail(what);
	}
}

static int
cmd_user_disable(int argc, char **argv)
{
	return set_disabled(argc, argv, 1);
}

static int
cmd_user_enable(int argc, char **argv)
{
	return set_disabled(argc, argv, 0);
}

static int
print_user(const struct db_user *u, void *arg)
{
	(void)arg;
	printf("%llu\t%s\t%s\t%s\t%s %s\t%d\t%s\n", u->id, u->username,
	    u->phone, u->email, u->first, u->last, u->level,
	    u->disabled ? "disabled" : "active");
	return 0;
}

static int
cmd_user_list(int argc, char **argv)
{
	(void)argv;
	if (argc != 0)
		return EXIT_USAGE;
	printf("id\tusername\tphone\temail\tname\tlevel\tstatus\n");
	return db_user_list(print_user, NULL) == DB_OK ? 0 :
							 db_fail("user list");
}

static int
print_session(const struct db_session *s, void *arg)
{
	(void)arg;
	printf("%llu\t%s\t%lld\t%lld\t%lld\t%s\n", s->id, s->device_info,
	    s->created_at, s->last_access, s->expiry,
	    s->client_name[0] ? s->client_name : "-");
	return 0;
}

static int
cmd_sessions(int argc, char **argv)
{
	struct db_user u;

	if (argc != 1)
		return EXIT_USAGE;
	switch (user_find(argv[0], &u)) {
	case OE_OK:
		break;
	case OE_NO_OBJECT:
		fprintf(stderr, "sessions: no user %s\n", argv[0]);
		return EXIT_NOTFOUND;
	default:
		return db_fail("sessions");
	}
	printf("session\tdevice\tcreated\tlast_access\texpiry\tclient\n");
	return session_list(u.id, (long long)time(NULL), print_session, NULL) ==
		OE_OK ?
	    0 :
	    db_fail("sessions");
}

static int
cmd_revoke(int argc, char **argv)
{
	static const char *const known[] = { "--user", "--session", NULL };
	const char *name, *sid;
	unsigned long long id, n = 0;
	long long now = (long long)time(NULL);
	struct db_user u;

	if (check_opts(argc, argv, 0, known) == -1 ||
	    (name = opt(argc, argv, "--user")) == NULL)
		return EXIT_USAGE;
	switch (user_find(name, &u)) {
	case OE_OK:
		break;
	case OE_NO_OBJECT:
		fprintf(stderr, "revoke: no user %s\n", name);
		return EXIT_NOTFOUND;
	default:
		return db_fail("revoke");
	}
	if ((sid = opt(argc, argv, "--session")) == NULL) {
		if (session_revoke_all(u.id, 0, now, &n) != OE_OK)
			return db_fail("revoke");
		printf("revoked %llu sessions of %s\n", n, name);
		return 0;
	}
	if (parse_ull(sid, ~0ULL, &id) == -1) {
		fprintf(stderr, "revoke: --session takes a session id\n");
		return EXIT_USAGE;
	}
	switch (session_revoke(u.id, id, now)) {
	case OE_OK:
		printf("revoked session %llu of %s\n", id, name);
		return 0;
	case OE_NO_OBJECT:
		fprintf(stderr, "revoke: %s has no live session %llu\n", name,
		    id);
		return EXIT_NOTFOUND;
	default:
		return db_fail("revoke");
	}
}

static int
cmd_purge(int argc, char **argv)
{
	unsigned long long n, total = 0;
	long long now = (long long)time(NULL);

	(void)argv;
	if (argc != 0)
		return EXIT_USAGE;
	/* Small batches, each its own statement: no long locks. */
	do {
		if (db_purge(now, 1000, &n) != DB_OK)
			return db_fail("purge");
		total += n;
	} while (n > 0);
	/* The sessions left without tokens, all of them this time. */
	if (db_purge_sessions_all(now, &n) != DB_OK)
		return db_fail("purge");
	total += n;
	printf("purged %llu expired rows\n", total);
	return 0;
}

/* Append every value of a repeatable option, each may hold a list. */
static int
collect(int argc, char **argv, const char *name, char sep, char *out,
    size_t size)
{
	size_t len = 0, n;
	const char *v;
	int i;

	out[0] = '\0';
	for (i = 0; i < argc - 1; i++) {
		if (strcmp(argv[i], name) != 0)
			continue;
		v = argv[++i];
		while (*v != '\0') {
			while (*v == ' ' || *v == ',')
				v++;
			n = strcspn(v, " ,");
			if (n == 0)
				break;
			if (len + n + 2 > size)
				return -1;
			if (len > 0)
				out[len++] = sep;
			memcpy(out + len, v, n);
			len += n;
			out[len] = '\0';
			v += n;
		}
	}
	return 0;
}

static int
cmd_client_add(int argc, char **argv)
{
	static const char *const known[] = { "--redirect-uri", "--grant",
		"--scope", "--public", "--access-ttl", "--name",
		"--resource-server", NULL };
	char secret[SECRET_HEX_LEN + 1];
	struct db_client c;
	const char *why, *ttl, *p;
	long long v;
	int i, pos = 1;
	enum oauth_err e;

	if (argc < 1)
		return EXIT_USAGE;
	memset(&c, 0, sizeof(c));
	/* Flags without a value first, then check the valued ones. */
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--public") == 0)
			c.is_public = 1;
		else if (strcmp(argv[i], "--resource-server") == 0)
			c.resource_server = 1;
		else
			continue;
		memmove(&argv[i], &argv[i + 1],
		    (size_t)(argc - i - 1) * sizeof(*argv));
		argc--;
		i--;
	}
	if (check_opts(argc, argv, pos, known) == -1)
		return EXIT_USAGE;
	copy(c.client_id, sizeof(c.client_id), argv[0]);
	copy(c.name, sizeof(c.name), opt(argc, argv, "--name"));
	if (collect(argc, argv, "--redirect-uri", '\n', c.redirect_uris,
		sizeof(c.redirect_uris)) == -1 ||
	    collect(argc, argv, "--grant", ' ', c.grants, sizeof(c.grants)) ==
		-1 ||
	    collect(argc, argv, "--scope", ' ', c.scopes, sizeof(c.scopes)) ==
		-1) {
		fprintf(stderr, "client add: too many values\n");
		return EXIT_USAGE;
	}
	if (c.grants[0] == '\0') {
		fprintf(stderr, "client add: at least one --grant\n");
		return EXIT_USAGE;
	}
	for (p = c.grants; *p != '\0';) {
		size_t n = strcspn(p, " ");

		if (grant_parse(p, n) == -1) {
			fprintf(stderr,
			    "client add: unknown grant '%.*s' (known: "
			    "authorization_code client_credentials password "
			    "refresh_token implicit)\n",
			    (int)n, p);
			return EXIT_USAGE;
		}
		p += n;
		while (*p == ' ')
			p++;
	}
	if ((client_has_grant(&c, GRANT_AUTHORIZATION_CODE) ||
		client_has_grant(&c, GRANT_IMPLICIT)) &&
	    c.redirect_uris[0] == '\0') {
		fprintf(stderr,
		    "client add: authorization_code and implicit "
		    "need --redirect-uri\n");
		return EXIT_USAGE;
	}
	if (c.is_public && client_has_grant(&c, GRANT_CLIENT_CREDENTIALS)) {
		fprintf(stderr,
		    "client add: a public client cannot use "
		    "client_credentials\n");
		return EXIT_USAGE;
	}
	if ((ttl = opt(argc, argv, "--access-ttl")) != NULL) {
		if (parse_ll(ttl, 1, 315360000, &v) == -1) {
			fprintf(stderr,
			    "client add: --access-ttl in seconds\n");
			return EXIT_USAGE;
		}
		c.access_ttl = v;
	}
	e = client_create(&c, !c.is_public, NULL, secret, (long long)time(NULL),
	    &why);
	switch (e) {
	case OE_OK:
		printf("client_id: %s\n", c.client_id);
		if (!c.is_public)
			printf("client_secret: %s\n", secret);
		OPENSSL_cleanse(secret, sizeof(secret));
		return 0;
	case OE_CONFLICT:
		fprintf(stderr, "client add: %s\n", why);
		return EXIT_EXISTS;
	case OE_BAD_INPUT:
		fprintf(stderr, "client add: %s\n", why);
		return EXIT_USAGE;
	default:
		return db_fail("client add");
	}
}

static int
cmd_client_del(int argc, char **argv)
{
	unsigned long long n;

	if (argc != 1)
		return EXIT_USAGE;
	/* Its tokens, codes and consents go with it, in one transaction. */
	switch (client_delete(argv[0], &n)) {
	case OE_OK:
		break;
	case OE_INVALID_CLIENT:
		fprintf(stderr, "client del: no client %s\n", argv[0]);
		return EXIT_NOTFOUND;
	default:
		return db_fail("client del");
	}
	printf("client %s deleted (%llu tokens revoked)\n", argv[0], n);
	return 0;
}

static int
print_client(const struct db_client *c, void *arg)
{
	char uris[sizeof(c->redirect_uris)];
	size_t i;

	(void)arg;
	snprintf(uris, sizeof(uris), "%s", c->redirect_uris);
	for (i = 0; uris[i] != '\0'; i++)
		if (uris[i] == '\n')
			uris[i] = ' ';
	printf("%s\t%s\t%s\t%s\t%s\t%s\t%lld\n", c->client_id,
	    c->is_public ?
		"public" :
		(c->resource_server ? "resource-server" : "confidential"),
	    c->name, c->grants, c->scopes, uris, c->access_ttl);
	return 0;
}

static int
cmd_client_list(int argc, char **argv)
{
	(void)argv;
	if (argc != 0)
		return EXIT_USAGE;
	printf("client_id\ttype\tname\tgrants\tscopes\tredirect_uris\t"
	       "access_ttl\n");
	return db_client_list(print_client, NULL) == DB_OK ?
	    0 :
	    db_fail("client list");
}

/* import-legacy: read everything first, then write (one connection). */
struct legacy_data {
	struct db_legacy_user *users;
	size_t nusers, capusers;
	struct db_legacy_token *tokens;
	size_t ntokens, captokens;
};

static int
collect_user(const struct db_legacy_user *u, void *arg)
{
	struct legacy_data *d = arg;

	if (d->nusers == d->capusers) {
		d->capusers = d->capusers ? d->capusers * 2 : 64;
		d->users = xrealloc(d->users, d->capusers * sizeof(*d->users));
	}
	d->users[d->nusers++] = *u;
	return 0;
}

static int
collect_token(const struct db_legacy_token *t, void *arg)
{
	struct legacy_data *d = arg;

	if (d->ntokens == d->captokens) {
		d->captokens = d->captokens ? d->captokens * 2 : 64;
		d->tokens =
		    xrealloc(d->tokens, d->captokens * sizeof(*d->tokens));
	}
	d->tokens[d->ntokens++] = *t;
	return 0;
}

static int
cmd_import_legacy(int argc, char **argv)
{
	static const char *const known[] = { "--from-db", NULL };
	struct legacy_data d;
	unsigned long long *ids = NULL;
	long long now = (long long)time(NULL);
	size_t i, j, users = 0, kept = 0, tokens = 0, skipped = 0;
	const char *name;
	struct db_user u;
	enum oauth_err e;
	int rc = 1;

	if (check_opts(argc, argv, 0, known) == -1 ||
	    (name = opt(argc, argv, "--from-db")) == NULL)
		return EXIT_USAGE;
	memset(&d, 0, sizeof(d));
	if (db_legacy_read(name, collect_user, collect_token, &d) != DB_OK) {
		db_fail("import-legacy");
		goto out;
	}
	ids = xcalloc(d.nusers ? d.nusers : 1, sizeof(*ids));
	for (i = 0; i < d.nusers; i++) {
		const struct db_legacy_user *l = &d.users[i];

		memset(&u, 0, sizeof(u));
		copy(u.username, sizeof(u.username), l->username);
		copy(u.phone, sizeof(u.phone), l->phone);
		copy(u.email, sizeof(u.email), l->email);
		copy(u.first, sizeof(u.first), l->first);
		copy(u.last, sizeof(u.last), l->last);
		copy(u.hash, sizeof(u.hash), l->password);
		u.level = l->level;
		e = user_import(&u, now);
		if (e == OE_CONFLICT && user_find(l->username, &u) == OE_OK) {
			/* Imported before (or the name exists): keep it. */
			ids[i] = u.id;
			kept++;
		} else if (e == OE_OK) {
			ids[i] = u.id;
			users++;
		} else if (e == OE_SERVER) {
			db_fail("import-legacy");
			goto out;
		} else {
			fprintf(stderr,
			    "import-legacy: user %s skipped (invalid "
			    "or its phone/email is taken)\n",
			    l->username);
		}
	}
	for (j = 0; j < d.ntokens; j++) {
		const struct db_legacy_token *t = &d.tokens[j];
		unsigned long long uid = 0;

		for (i = 0; i < d.nusers; i++)
			if (d.users[i].id == t->user_id)
				uid = ids[i];
		if (uid == 0) {
			skipped++;
			continue;
		}
		e = token_import_legacy(uid, t->auth_key,
		    t->device_info[0] ? t->device_info : "Unknown", t->expiry,
		    now);
		if (e == OE_OK)
			tokens++;
		else if (e == OE_SERVER) {
			db_fail("import-legacy");
			goto out;
		} else
			skipped++;
	}
	printf("imported %zu users (%zu already present), %zu tokens "
	       "(%zu skipped)\n",
	    users, kept, tokens, skipped);
	rc = 0;
out:
	free(ids);
	if (d.users != NULL)
		OPENSSL_cleanse(d.users, d.capusers * sizeof(*d.users));
	free(d.users);
	free(d.tokens);
	return rc;
}

/* The route table, for docs and the OpenAPI consistency test. */
static int
cmd_routes(int argc, char **argv)
{
	static const char *const dnames[] = { "legacy", "oauth2", "chat",
		"node", "phone" };
	const struct route *r;
	unsigned n, i;

	(void)argv;
	if (argc != 0)
		return EXIT_USAGE;
	r = route_table(&n);
	for (i = 0; i < n; i++)
		printf("%s\t%s\t%s%s%s\n", r[i].pattern,
		    r[i].dialect >= 0 ? dnames[r[i].dialect] : "-",
		    (r[i].flags & RM_ALL) == RM_ALL ?
			"ANY" :
			(r[i].flags & RM_GET ? "GET" : ""),
		    (r[i].flags & RM_ALL) != RM_ALL && r[i].flags & RM_GET &&
			    r[i].flags & RM_POST ?
			"," :
			"",
		    (r[i].flags & RM_ALL) != RM_ALL && r[i].flags & RM_POST ?
			"POST" :
			"");
	return 0;
}

static const struct command commands[] = {
	{ "routes", NULL, cmd_routes, "routes  (the route table)" },
	{ "migrate", NULL, cmd_migrate, "migrate" },
	{ "user", "add", cmd_user_add,
	    "user add <username> [--phone P] "
	    "[--email E] [--first F] [--last L] [--level N]  (password on "
	    "stdin)" },
	{ "user", "passwd", cmd_user_passwd,
	    "user passwd <username>  "
	    "(password on stdin)" },
	{ "user", "del", cmd_user_del, "user del <username>" },
	{ "user", "disable", cmd_user_disable, "user disable <username>" },
	{ "user", "enable", cmd_user_enable, "user enable <username>" },
	{ "user", "list", cmd_user_list, "user list" },
	{ "client", "add", cmd_client_add,
	    "client add <client_id> "
	    "--redirect-uri URI [--redirect-uri URI...] --grant G [--grant "
	    "G...] [--scope S...] [--public] [--access-ttl SECONDS] [--name "
	    "TEXT] [--resource-server]  (prints the secret once)" },
	{ "client", "del", cmd_client_del, "client del <client_id>" },
	{ "client", "list", cmd_client_list, "client list" },
	{ "sessions", NULL, cmd_sessions, "sessions <username>" },
	{ "revoke", NULL, cmd_revoke,
	    "revoke --user <username> [--session ID]" },
	{ "purge", NULL, cmd_purge, "purge" },
	{ "import-legacy", NULL, cmd_import_legacy,
	    "import-legacy --from-db NAME" },
};

void
cli_usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: OAUTH_CONFIG=/path/oauth.conf oauth.fcgi COMMAND\n");
	for (i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(f, "  %s\n", commands[i].usage);
}

int
cli_main(int argc, char **argv)
{
	const struct command *c = NULL;
	char err[512];
	size_t i;
	int skip, rc;

	for (i = 0; i < ARRAY_SIZE(commands) && c == NULL; i++) {
		if (strcmp(argv[1], commands[i].name) != 0)
			continue;
		if (commands[i].sub == NULL)
			c = &commands[i];
		else if (argc > 2 && strcmp(argv[2], commands[i].sub) == 0)
			c = &commands[i];
	}
	if (c == NULL) {
		if (strcmp(argv[1], "help") != 0 &&
		    strcmp(argv[1], "--help") != 0) {
			fprintf(stderr, "unknown command: %s\n", argv[1]);
			cli_usage(stderr);
			return EXIT_USAGE;
		}
		cli_usage(stdout);
		return 0;
	}
	if (c->fn == cmd_routes)
		return cmd_routes(argc - 2, argv + 2);
	if (config_load(NULL, err, sizeof(err)) == -1) {
		fprintf(stderr, "configuration: %s\n", err);
		return 1;
	}
	if (password_configure(cfg.password_bcrypt ? PASSWORD_BCRYPT :
						     PASSWORD_YESCRYPT,
		cfg.password_cost) == -1) {
		fprintf(stderr, "password_scheme/password_cost refused\n");
		config_free();
		return 1;
	}
	if (db_open() != DB_OK) {
		fprintf(stderr, "cannot connect to the database: %s\n",
		    db_error());
		config_free();
		return 1;
	}
	skip = c->sub != NULL ? 3 : 2;
	rc = c->fn(argc - skip, argv + skip);
	if (rc == EXIT_USAGE)
		fprintf(stderr, "usage: oauth.fcgi %s\n", c->usage);
	db_close(1);
	config_free();
	return rc;
}

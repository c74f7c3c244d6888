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
#include "migrations.h"
#include "core/client.h"
#include "core/password.h"
#include "core/session.h"
#include "core/token.h"
#include "core/user.h"
#include "util.h"

#define EXIT_USAGE 64 /* sysexits' EX_USAGE: apart from "exists" */
#define EXIT_EXISTS 2
#define EXIT_NOTFOUND 3

#ifndef OAUTH_VERSION
#define OAUTH_VERSION "unknown" /* the Makefile's VERSION */
#endif
#ifndef OAUTH_VARIANT
#define OAUTH_VARIANT "unknown" /* prod, dev, san, dev-san */
#endif

/* An option of a command: "--name VALUE", or a flag without a value. */
struct cli_opt {
	const char *name;
	int flags;
};
#define OPT_VALUE 1    /* takes the next argument as its value */
#define OPT_REQUIRED 2 /* must be given */

/*
 * One row per command. The dispatcher answers --help (anywhere on the
 * line) from `usage` and `help` before anything runs, and, for a row that
 * declares `args`, checks the line against `args` and `opts`, so that an
 * unknown option, a missing argument or value, or one argument too many
 * is refused (64, one line naming it) before the command sees it. The
 * command then gets its positional arguments first, then the options in
 * the order given. A row without `args` (NULL) is passed through as is.
 */
struct command {
	const char *name;
	const char *sub; /* NULL: no sub-command */
	int (*fn)(int argc, char **argv);
	const char *usage;
	const char *help;           /* one line: what it does */
	const char *args;           /* "<username>", "" for none; NULL */
	const struct cli_opt *opts; /* ends with { NULL, 0 }; NULL: none */
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

/*
 * Progress of a long command, only when stderr is a terminal: one line
 * rewritten in place at most five times a second, with the count, the
 * rate and the time elapsed. Files and pipes get the summary line alone.
 */
struct progress {
	const char *what, *phase;
	int tty, showing;
	double start, phase_start, shown;
};

static double
seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
progress_start(struct progress *p, const char *what)
{
	p->what = what;
	p->phase = NULL;
	p->tty = isatty(STDERR_FILENO);
	p->showing = 0;
	p->start = p->phase_start = p->shown = seconds();
}

static double
progress_elapsed(const struct progress *p)
{
	return seconds() - p->start;
}

/*
 * `done` of `total` (0: not known) in this phase; the rate is the phase's,
 * the time the command's. `last` ends the line.
 */
static void
progress_show(struct progress *p, const char *phase, unsigned long long done,
    unsigned long long total, int last)
{
	double t = seconds(), el;
	char of[32] = "";

	if (!p->tty)
		return;
	if (p->phase == NULL || strcmp(p->phase, phase) != 0) {
		p->phase = phase;
		p->phase_start = t;
	}
	if (!last && t - p->shown < 0.2)
		return;
	p->shown = t;
	el = t - p->phase_start;
	if (total > 0)
		snprintf(of, sizeof(of), "/%llu", total);
	fprintf(stderr, "\r%s: %s %llu%s, %.0f/s, %.1f s elapsed\033[K%s",
	    p->what, phase, done, of, el > 0 ? (double)done / el : 0.0,
	    t - p->start, last ? "\n" : "");
	fflush(stderr);
	p->showing = !last;
}

/* Before another message: the progress line is erased. */
static void
progress_clear(struct progress *p)
{
	if (p->showing)
		fputs("\r\033[K", stderr);
	p->showing = 0;
}

static int
cmd_purge(int argc, char **argv)
{
	unsigned long long n, total = 0;
	long long now = (long long)time(NULL);
	struct progress pr;

	(void)argv;
	if (argc != 0)
		return EXIT_USAGE;
	progress_start(&pr, "purge");
	/* Small batches, each its own statement: no long locks. */
	do {
		if (db_purge(now, 1000, &n) != DB_OK) {
			progress_clear(&pr);
			return db_fail("purge");
		}
		total += n;
		progress_show(&pr, "rows", total, 0, 0);
	} while (n > 0);
	/* The sessions left without tokens, all of them this time. */
	if (db_purge_sessions_all(now, &n) != DB_OK) {
		progress_clear(&pr);
		return db_fail("purge");
	}
	total += n;
	progress_show(&pr, "rows", total, 0, 1);
	printf("purged %llu expired rows in %.1f s\n", total,
	    progress_elapsed(&pr));
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
	struct progress *pr;
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
	progress_show(d->pr, "reading rows", d->nusers, 0, 0);
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
	progress_show(d->pr, "reading rows", d->nusers + d->ntokens, 0, 0);
	return 0;
}

/*
 * Legacy user id -> index into legacy_data.users, so that each token finds
 * its user in constant time (the import is linear in users + tokens, not
 * their product). Open addressing; a slot holds index + 1, 0 is empty.
 */
struct idmap {
	size_t *slot;
	size_t mask;
	unsigned shift;
};

static size_t
idmap_hash(const struct idmap *m, unsigned long long id)
{
	/* Fibonacci hashing (the top bits): ids are mostly consecutive. */
	return (size_t)((id * 0x9E3779B97F4A7C15ULL) >> m->shift);
}

static void
idmap_build(struct idmap *m, const struct legacy_data *d)
{
	size_t size = 16, i, h;
	unsigned bits = 4;

	while (size < 2 * d->nusers) {
		size *= 2;
		bits++;
	}
	m->slot = xcalloc(size, sizeof(*m->slot));
	m->mask = size - 1;
	m->shift = 64 - bits;
	for (i = 0; i < d->nusers; i++) {
		h = idmap_hash(m, d->users[i].id);
		while (m->slot[h] != 0 &&
		    d->users[m->slot[h] - 1].id != d->users[i].id)
			h = (h + 1) & m->mask;
		m->slot[h] = i + 1; /* a repeated id: the last row wins */
	}
}

/* The index + 1 of the user with this legacy id; 0: none. */
static size_t
idmap_find(const struct idmap *m, const struct legacy_data *d,
    unsigned long long id)
{
	size_t h = idmap_hash(m, id);

	while (m->slot[h] != 0 && d->users[m->slot[h] - 1].id != id)
		h = (h + 1) & m->mask;
	return m->slot[h];
}

static int
cmd_import_legacy(int argc, char **argv)
{
	struct legacy_data d;
	struct idmap map = { NULL, 0, 0 };
	struct progress pr;
	unsigned long long *ids = NULL;
	long long now = (long long)time(NULL);
	size_t i, j, k, users = 0, kept = 0, invalid = 0, tokens = 0,
			skipped = 0;
	const char *name;
	struct db_user u;
	enum oauth_err e;
	int rc = 1;

	if ((name = opt(argc, argv, "--from-db")) == NULL)
		return EXIT_USAGE;
	memset(&d, 0, sizeof(d));
	progress_start(&pr, "import-legacy");
	d.pr = &pr;
	if (db_legacy_read(name, collect_user, collect_token, &d) != DB_OK) {
		progress_clear(&pr);
		db_fail("import-legacy");
		goto out;
	}
	progress_show(&pr, "reading rows", d.nusers + d.ntokens, 0, 1);
	ids = xcalloc(d.nusers ? d.nusers : 1, sizeof(*ids));
	for (i = 0; i < d.nusers; i++) {
		const struct db_legacy_user *l = &d.users[i];

		progress_show(&pr, "users", i, d.nusers, 0);
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
			progress_clear(&pr);
			db_fail("import-legacy");
			goto out;
		} else {
			invalid++;
			progress_clear(&pr);
			fprintf(stderr,
			    "import-legacy: user %s skipped (invalid "
			    "or its phone/email is taken)\n",
			    l->username);
		}
	}
	progress_show(&pr, "users", d.nusers, d.nusers, 1);
	idmap_build(&map, &d);
	for (j = 0; j < d.ntokens; j++) {
		const struct db_legacy_token *t = &d.tokens[j];
		unsigned long long uid = 0;

		progress_show(&pr, "tokens", j, d.ntokens, 0);
		if ((k = idmap_find(&map, &d, t->user_id)) != 0)
			uid = ids[k - 1];
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
			progress_clear(&pr);
			db_fail("import-legacy");
			goto out;
		} else
			skipped++;
	}
	progress_show(&pr, "tokens", d.ntokens, d.ntokens, 1);
	printf("imported %zu users (%zu already present, %zu skipped), %zu "
	       "tokens (%zu skipped) in %.1f s\n",
	    users, kept, invalid, tokens, skipped, progress_elapsed(&pr));
	rc = 0;
out:
	free(map.slot);
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

/*
 * Options of the commands. A command that learns a new option gets it
 * here too: the dispatcher refuses any option not declared.
 */
static const struct cli_opt user_add_opts[] = { { "--phone", OPT_VALUE },
	{ "--email", OPT_VALUE }, { "--first", OPT_VALUE },
	{ "--last", OPT_VALUE }, { "--level", OPT_VALUE }, { NULL, 0 } };
static const struct cli_opt client_add_opts[] = { { "--redirect-uri",
						      OPT_VALUE },
	{ "--grant", OPT_VALUE | OPT_REQUIRED }, { "--scope", OPT_VALUE },
	{ "--public", 0 }, { "--access-ttl", OPT_VALUE },
	{ "--name", OPT_VALUE }, { "--resource-server", 0 }, { NULL, 0 } };
static const struct cli_opt revoke_opts[] = { { "--user",
						  OPT_VALUE | OPT_REQUIRED },
	{ "--session", OPT_VALUE }, { NULL, 0 } };
static const struct cli_opt import_opts[] = {
	{ "--from-db", OPT_VALUE | OPT_REQUIRED }, { NULL, 0 }
};

static const struct command commands[] = {
	{ "routes", NULL, cmd_routes, "routes",
	    "Print the route table (needs no configuration).", "", NULL },
	{ "migrate", NULL, cmd_migrate, "migrate",
	    "Apply the schema migrations the database has not recorded.", "",
	    NULL },
	{ "user", "add", cmd_user_add,
	    "user add <username> [--phone P] "
	    "[--email E] [--first F] [--last L] [--level N]  (password on "
	    "stdin)",
	    "Create a user; the password is read from stdin.", "<username>",
	    user_add_opts },
	{ "user", "passwd", cmd_user_passwd,
	    "user passwd <username>  "
	    "(password on stdin)",
	    "Set a new password (read from stdin); every session of the user "
	    "is signed out.",
	    "<username>", NULL },
	{ "user", "del", cmd_user_del, "user del <username>",
	    "Sign the user out everywhere, then delete the user.", "<username>",
	    NULL },
	{ "user", "disable", cmd_user_disable, "user disable <username>",
	    "Disable the user: its tokens stop working at once.", "<username>",
	    NULL },
	{ "user", "enable", cmd_user_enable, "user enable <username>",
	    "Enable a disabled user again.", "<username>", NULL },
	{ "user", "list", cmd_user_list, "user list",
	    "List every user, tab-separated.", "", NULL },
	{ "client", "add", cmd_client_add,
	    "client add <client_id> "
	    "--redirect-uri URI [--redirect-uri URI...] --grant G [--grant "
	    "G...] [--scope S...] [--public] [--access-ttl SECONDS] [--name "
	    "TEXT] [--resource-server]  (prints the secret once)",
	    "Register a client; its secret is printed once.", "<client_id>",
	    client_add_opts },
	{ "client", "del", cmd_client_del, "client del <client_id>",
	    "Delete a client; everything it was issued is revoked.",
	    "<client_id>", NULL },
	{ "client", "list", cmd_client_list, "client list",
	    "List every client, tab-separated.", "", NULL },
	{ "sessions", NULL, cmd_sessions, "sessions <username>",
	    "List the user's live device sessions.", "<username>", NULL },
	{ "revoke", NULL, cmd_revoke, "revoke --user <username> [--session ID]",
	    "Sign out one session of the user, or all of them.", "",
	    revoke_opts },
	{ "purge", NULL, cmd_purge, "purge",
	    "Delete expired rows in batches (progress on a terminal).", "",
	    NULL },
	{ "import-legacy", NULL, cmd_import_legacy,
	    "import-legacy --from-db NAME",
	    "Import the users and unexpired tokens of a legacy vms database "
	    "(progress on a terminal).",
	    "", import_opts },
};

void
cli_usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: OAUTH_CONFIG=/path/oauth.conf oauth.fcgi COMMAND\n");
	for (i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(f, "  %s\n", commands[i].usage);
	fprintf(f, "  COMMAND --help  (its usage)\n  --version\n");
}

static int
is_help(const char *arg)
{
	return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

static void
command_help(FILE *f, const struct command *c)
{
	fprintf(f, "usage: oauth.fcgi %s\n", c->usage);
	if (c->help != NULL)
		fprintf(f, "%s\n", c->help);
}

/* The n-th word (from 0) of a command's `args`, for a message. */
static void
arg_name(const char *args, int n, char *out, size_t size)
{
	size_t len;

	for (;;) {
		args += strspn(args, " ");
		len = strcspn(args, " ");
		if (n-- == 0 || len == 0)
			break;
		args += len;
	}
	snprintf(out, size, "%.*s", (int)len, args);
}

static const struct cli_opt *
find_opt(const struct command *c, const char *arg, int *index)
{
	int i;

	for (i = 0; c->opts != NULL && c->opts[i].name != NULL; i++)
		if (strcmp(c->opts[i].name, arg) == 0) {
			*index = i;
			return &c->opts[i];
		}
	return NULL;
}

/*
 * Check a command line (argv after the command's words) against the row's
 * `args` and `opts`, and write it to `out` (room for argc) with the
 * positional arguments first. 0, or -1 with one line on stderr naming the
 * unknown option, the missing argument, value or option, or the argument
 * too many.
 */
static int
check_line(const struct command *c, const char *cmd, int argc, char **argv,
    char **out)
{
	const struct cli_opt *o;
	char name[64];
	unsigned long seen = 0;
	int want = 0, npos = 0, nout, i, k;
	const char *w;

	for (w = c->args; *(w += strspn(w, " ")) != '\0'; w += strcspn(w, " "))
		want++;
	for (i = 0; i < argc; i++) {
		if (argv[i][0] != '-' || argv[i][1] == '\0') {
			if (npos == want) {
				fprintf(stderr,
				    "%s: unexpected argument '%s' (see "
				    "oauth.fcgi %s --help)\n",
				    cmd, argv[i], cmd);
				return -1;
			}
			out[npos++] = argv[i];
			continue;
		}
		if ((o = find_opt(c, argv[i], &k)) == NULL) {
			fprintf(stderr,
			    "%s: unknown option %s (see oauth.fcgi %s "
			    "--help)\n",
			    cmd, argv[i], cmd);
			return -1;
		}
		if ((o->flags & OPT_VALUE) && i + 1 >= argc) {
			fprintf(stderr, "%s: missing value for option %s\n",
			    cmd, argv[i]);
			return -1;
		}
		seen |= 1UL << k;
		i += (o->flags & OPT_VALUE) ? 1 : 0;
	}
	if (npos < want) {
		arg_name(c->args, npos, name, sizeof(name));
		fprintf(stderr,
		    "%s: missing argument %s (see oauth.fcgi %s --help)\n", cmd,
		    name, cmd);
		return -1;
	}
	for (k = 0; c->opts != NULL && c->opts[k].name != NULL; k++)
		if ((c->opts[k].flags & OPT_REQUIRED) && !(seen & 1UL << k)) {
			fprintf(stderr,
			    "%s: missing option %s (see oauth.fcgi %s "
			    "--help)\n",
			    cmd, c->opts[k].name, cmd);
			return -1;
		}
	/* The options, in their order, after the positional arguments. */
	nout = npos;
	for (i = 0; i < argc; i++) {
		if (argv[i][0] != '-' || argv[i][1] == '\0')
			continue;
		o = find_opt(c, argv[i], &k);
		out[nout++] = argv[i];
		if (o->flags & OPT_VALUE)
			out[nout++] = argv[++i];
	}
	return 0;
}

/* The rows of a command name, for `user --help` and a missing sub. */
static void
group_usage(FILE *f, const char *name)
{
	size_t i;

	fprintf(f, "usage:\n");
	for (i = 0; i < ARRAY_SIZE(commands); i++)
		if (strcmp(commands[i].name, name) == 0)
			fprintf(f, "  oauth.fcgi %s\n", commands[i].usage);
}

int
cli_main(int argc, char **argv)
{
	const struct command *c = NULL;
	char err[512], cmd[64], **args = NULL;
	size_t i;
	int first = 1, help = 0, group = 0, skip, nargs, j, rc;

	/* help [COMMAND [SUB]], --help, -h */
	if (strcmp(argv[1], "help") == 0 || is_help(argv[1])) {
		if (argc == 2) {
			cli_usage(stdout);
			return 0;
		}
		help = 1;
		first = 2;
	} else if (strcmp(argv[1], "--version") == 0) {
		if (argc > 2) {
			fprintf(stderr, "--version: unexpected argument '%s'\n",
			    argv[2]);
			return EXIT_USAGE;
		}
		printf("oauth-fcgi %s (%s build, schema %d)\n", OAUTH_VERSION,
		    OAUTH_VARIANT,
		    migrations_count > 0 ?
			migrations[migrations_count - 1].version :
			0);
		return 0;
	} else if (argv[1][0] == '-') {
		fprintf(stderr, "unknown option %s (see oauth.fcgi --help)\n",
		    argv[1]);
		return EXIT_USAGE;
	}
	for (i = 0; i < ARRAY_SIZE(commands) && c == NULL; i++) {
		if (strcmp(argv[first], commands[i].name) != 0)
			continue;
		if (commands[i].sub == NULL)
			c = &commands[i];
		else if (argc > first + 1 &&
		    strcmp(argv[first + 1], commands[i].sub) == 0)
			c = &commands[i];
		else
			group = 1;
	}
	if (c == NULL && group &&
	    (argc == first + 1 || is_help(argv[first + 1]))) {
		/* "user", "user --help", "help user": the sub-commands. */
		if (help || argc > first + 1) {
			group_usage(stdout, argv[first]);
			return 0;
		}
		fprintf(stderr, "%s: missing sub-command\n", argv[first]);
		group_usage(stderr, argv[first]);
		return EXIT_USAGE;
	}
	if (c == NULL) {
		fprintf(stderr, "unknown command: %s%s%s\n", argv[first],
		    group ? " " : "", group ? argv[first + 1] : "");
		cli_usage(stderr);
		return EXIT_USAGE;
	}
	skip = first + (c->sub != NULL ? 2 : 1);
	for (j = skip; j < argc && !help; j++)
		help = is_help(argv[j]);
	if (help) {
		/* Before anything else: --help never changes anything. */
		command_help(stdout, c);
		return 0;
	}
	snprintf(cmd, sizeof(cmd), "%s%s%s", c->name, c->sub ? " " : "",
	    c->sub ? c->sub : "");
	nargs = argc - skip;
	if (c->args != NULL) {
		args = xcalloc((size_t)nargs + 1, sizeof(*args));
		if (check_line(c, cmd, nargs, argv + skip, args) == -1) {
			free(args);
			return EXIT_USAGE;
		}
		memcpy(argv + skip, args, (size_t)nargs * sizeof(*args));
		free(args);
	}
	if (c->fn == cmd_routes)
		return cmd_routes(nargs, argv + skip);
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
	rc = c->fn(nargs, argv + skip);
	if (rc == EXIT_USAGE)
		fprintf(stderr, "usage: oauth.fcgi %s\n", c->usage);
	db_close(1);
	config_free();
	return rc;
}

/*
 * main.c - the binary's three faces (SPEC section 1):
 *
 *   1. FastCGI under mod_fcgid: fd 0 is a listening socket; one process
 *      serves many requests through the reentrant FCGX_* API, keeping one
 *      database connection and its prepared statements;
 *   2. plain CGI under mod_cgi (XAMPP): one request on stdin/stdout;
 *   3. the admin CLI when started with arguments (src/cli/).
 *
 * Settings are read once, before the first accept: libfcgi replaces
 * environ per request, so nothing here reads getenv() after that.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include <fcgiapp.h>
#include <openssl/rand.h>

#include "arena.h"
#include "buf.h"
#include "cli/cli.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "core/password.h"
#include "request.h"
#include "response.h"
#include "route.h"
#include "core/token.h"

static volatile sig_atomic_t stopping;

static void
on_term(int sig)
{
	(void)sig;
	/* Finish the request in hand, then leave the accept loop. */
	stopping = 1;
	FCGX_ShutdownPending();
}

/* The FastCGI face's io. */
static const char *
fcgi_getenv(void *ctx, const char *name)
{
	return FCGX_GetParam(name, ((FCGX_Request *)ctx)->envp);
}

static long
fcgi_read(void *ctx, char *buf, size_t n)
{
	int max = n > 65536 ? 65536 : (int)n;
	int got = FCGX_GetStr(buf, max, ((FCGX_Request *)ctx)->in);

	return got < 0 ? -1 : got;
}

static int
fcgi_write(void *ctx, const char *buf, size_t n)
{
	FCGX_Stream *out = ((FCGX_Request *)ctx)->out;

	while (n > 0) {
		int chunk = n > 65536 ? 65536 : (int)n;

		if (FCGX_PutStr(buf, chunk, out) != chunk)
			return -1;
		buf += chunk;
		n -= (size_t)chunk;
	}
	return 0;
}

/* The CGI face's io. */
static const char *
cgi_getenv(void *ctx, const char *name)
{
	(void)ctx;
	return getenv(name);
}

static long
cgi_read(void *ctx, char *buf, size_t n)
{
	size_t got;

	(void)ctx;
	got = fread(buf, 1, n, stdin);
	return got == 0 && ferror(stdin) ? -1 : (long)got;
}

static int
cgi_write(void *ctx, const char *buf, size_t n)
{
	(void)ctx;
	if (fwrite(buf, 1, n, stdout) != n || fflush(stdout) != 0)
		return -1;
	return 0;
}

static int config_ok;

/*
 * Serve one request; everything it allocated is released after. 1 when
 * housekeeping may follow, 0 after a health check.
 */
static int
serve(const struct io *io, struct arena *a)
{
	struct request req;
	struct response res;
	int probe;

	request_init(&req, a, io);
	log_set_request(req.id);
	response_init(&res);
	if (config_ok) {
		route_dispatch(&req, &res);
	} else {
		/* Never a blank 500: say the service is unavailable. */
		response_header(&res, "Retry-After", "30");
		response_text(&res, 503, "text/plain; charset=utf-8",
		    "service misconfigured; see the error log\n");
	}
	if (response_send(&res, io, req.method == METHOD_HEAD) == -1)
		log_info("client went away before the response was sent");
	response_free(&res);
	log_set_request(NULL);
	probe = req.probe;
	arena_reset(a);
	return !probe;
}

static void
seed_rand(void)
{
	unsigned int seed;

	/* rand() only spreads purges and backoffs; secrets use RAND_bytes. */
	if (RAND_bytes((unsigned char *)&seed, sizeof(seed)) != 1)
		seed = (unsigned int)time(NULL) ^ (unsigned int)getpid();
	srand(seed);
}

/*
 * A relative htdocs is taken from the binary's own place (cgi/../htdocs in
 * the source tree), never from the working directory mod_fcgid happens to
 * start us in.
 */
static void
resolve_htdocs(void)
{
	char exe[4096], *slash;
	ssize_t n;

	if (cfg.htdocs[0] == '/')
		return;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return;
	exe[n] = '\0';
	if ((slash = strrchr(exe, '/')) == NULL)
		return;
	*slash = '\0';
	{
		struct buf b = BUF_INIT;

		buf_printf(&b, "%s/../%s", exe, cfg.htdocs);
		free(cfg.htdocs);
		cfg.htdocs = xstrdup(buf_str(&b));
		buf_free(&b);
	}
}

/* SPEC 1: the file with the database password is readable by us alone. */
static void
check_config_mode(void)
{
	const char *path = getenv("OAUTH_CONFIG");
	struct stat st;

	if (path != NULL && *path != '\0' && stat(path, &st) == 0 &&
	    (st.st_mode & 077) != 0)
		log_warn("%s is readable by group or others (mode %03o): it "
			 "holds the database password; chmod 600 it",
		    path, (unsigned)(st.st_mode & 0777));
}

static int
setup(void)
{
	char err[512];

	if (config_load(NULL, err, sizeof(err)) == -1) {
		log_warn("configuration: %s", err);
		return -1;
	}
	check_config_mode();
	resolve_htdocs();
	if (password_configure(cfg.password_bcrypt ? PASSWORD_BCRYPT :
						     PASSWORD_YESCRYPT,
		cfg.password_cost) == -1) {
		log_warn("password_scheme/password_cost refused by libxcrypt");
		return -1;
	}
	seed_rand();
	return 0;
}

static int
run_fastcgi(void)
{
	FCGX_Request fr;
	struct io io = { fcgi_getenv, fcgi_read, fcgi_write, NULL };
	struct sigaction sa;
	struct arena *a;
	int housekeeping;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a blocked accept() must return on SIGTERM. */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (FCGX_InitRequest(&fr, 0, FCGI_FAIL_ACCEPT_ON_INTR) != 0)
		return 1;
	io.ctx = &fr;
	a = arena_new();
	if (config_ok)
		(void)db_open(); /* warm: the first request needn't connect */
	while (!stopping && FCGX_Accept_r(&fr) >= 0) {
		housekeeping = serve(&io, a);
		FCGX_Finish_r(&fr);
		if (config_ok && housekeeping)
			token_purge_maybe((long long)time(NULL));
	}
	FCGX_Free(&fr, 1);
	arena_free(a);
	db_close(1);
	config_free();
	return 0;
}

static int
run_cgi(void)
{
	struct io io = { cgi_getenv, cgi_read, cgi_write, NULL };
	struct arena *a = arena_new();
	int housekeeping;

	housekeeping = serve(&io, a);
	arena_free(a);
	if (config_ok && housekeeping)
		token_purge_maybe((long long)time(NULL));
	db_close(1);
	config_free();
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc > 1)
		return cli_main(argc, argv);
	if (FCGX_Init() != 0)
		return 1;
	if (!FCGX_IsCGI()) {
		config_ok = setup() == 0;
		return run_fastcgi();
	}
	if (getenv("REQUEST_METHOD") == NULL) {
		/* Started from a shell without a command. */
		cli_usage(stderr);
		return 64; /* EX_USAGE */
	}
	config_ok = setup() == 0;
	return run_cgi();
}

/*
 * bare.c - the smallest FastCGI program: a constant answer.
 *
 * `make bench` mounts it at /bare/ in the same Apache, under the same
 * mod_fcgid settings as cgi/oauth.fcgi, so that GET /healthz of the real
 * binary can be compared with what mod_fcgid and Apache cost on their own
 * (docs/performance.md, target "/healthz within 10 % of a bare program").
 * It uses the same reentrant FCGX_* loop as src/main.c, and stops on
 * SIGTERM the same way, so the two differ only in what the application does.
 *
 * Built by bench/run.sh: cc -O2 bench/bare.c -lfcgi
 */
#include <signal.h>
#include <string.h>

#include <fcgiapp.h>

static volatile sig_atomic_t stopping;

static void
on_term(int sig)
{
	(void)sig;
	stopping = 1;
	FCGX_ShutdownPending();
}

int
main(void)
{
	static const char answer[] = "Status: 200 OK\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "\r\n"
	    "ok\n";
	FCGX_Request fr;
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (FCGX_Init() != 0 ||
	    FCGX_InitRequest(&fr, 0, FCGI_FAIL_ACCEPT_ON_INTR) != 0)
		return 1;
	while (!stopping && FCGX_Accept_r(&fr) >= 0) {
		FCGX_PutStr(answer, (int)sizeof(answer) - 1, fr.out);
		FCGX_Finish_r(&fr);
	}
	FCGX_Free(&fr, 1);
	return 0;
}

/* log.c - see log.h */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

static const char *cur_request;

void
log_set_request(const char *id)
{
	cur_request = id;
}

static void vlog(const char *, const char *, const char *, va_list)
    PRINTF_LIKE(3, 0);

static void
vlog(const char *level, const char *func, const char *fmt, va_list ap)
{
	char msg[1024];
	size_t i;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* One event, one line: never let a value start a forged log line. */
	for (i = 0; msg[i] != '\0'; i++)
		if (msg[i] == '\n' || msg[i] == '\r')
			msg[i] = ' ';
	fprintf(stderr, "oauth-fcgi[%ld] %s %s req=%s: %s\n", (long)getpid(),
	    level, func, cur_request ? cur_request : "-", msg);
	fflush(stderr);
}

void
log_warn_(const char *func, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("warn", func, fmt, ap);
	va_end(ap);
}

void
log_info_(const char *func, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("info", func, fmt, ap);
	va_end(ap);
}

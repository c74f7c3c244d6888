/*
 * log.h - one line per event on stderr, which Apache puts in its error log.
 *
 * Each line carries the function name and the current request id
 * ("oauth-fcgi[pid] warn db_exec req=1a2b...: message"). Secrets are never
 * passed here: no tokens, passwords, client secrets or their digests.
 */
#ifndef LOG_H
#define LOG_H

#include "util.h"

/* The request id printed on following lines; NULL between requests. */
void log_set_request(const char *id);
void log_warn_(const char *func, const char *fmt, ...) PRINTF_LIKE(2, 3);
void log_info_(const char *func, const char *fmt, ...) PRINTF_LIKE(2, 3);

#define log_warn(...) log_warn_(__func__, __VA_ARGS__)
#define log_info(...) log_info_(__func__, __VA_ARGS__)

#endif

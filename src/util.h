/*
 * util.h - allocation that never fails (it aborts), checked number parsing.
 *
 * Out of memory is not an error path (STYLE habit 6): x*alloc() print one line
 * and abort(); mod_fcgid starts a fresh process.
 */
#ifndef UTIL_H
#define UTIL_H

#include <stddef.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#if defined(__GNUC__)
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#define UNUSED __attribute__((unused))
#else
#define PRINTF_LIKE(f, a)
#define UNUSED
/* The value of one hex digit (either case), or -1. */
int hex_digit(int c);

#endif

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

/*
 * Parse a whole string as a base-10 number within [min, max].
 * Returns 0 and stores the value, or -1 (empty, trailing garbage, range).
 */
int parse_ll(const char *s, long long min, long long max, long long *out);
int parse_ull(const char *s, unsigned long long max, unsigned long long *out);

/* The value of one hex digit (either case), or -1. */
int hex_digit(int c);

#endif

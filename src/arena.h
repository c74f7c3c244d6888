/*
 * arena.h - per-request memory (after h2o's h2o_mem_pool_t).
 *
 * Everything a request allocates comes from its arena and is released in one
 * step by arena_reset() when the request ends; no request-scoped pointer
 * outlives that call. The first block is kept across resets so a warm
 * FastCGI process does no malloc for a typical request. Allocation never
 * fails (aborts on out of memory). Memory is wiped on reset: request bodies
 * hold passwords.
 */
#ifndef ARENA_H
#define ARENA_H

#include <stddef.h>

#include "util.h"

struct arena;

struct arena *arena_new(void);
/* n bytes aligned for any type, zero-filled. */
void *arena_alloc(struct arena *a, size_t n);
/* Copy of s[0..n) with a NUL after it. */
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_strdup(struct arena *a, const char *s);
char *arena_printf(struct arena *a, const char *fmt, ...) PRINTF_LIKE(2, 3);
/* Release everything allocated since arena_new() or the last reset. */
void arena_reset(struct arena *a);
void arena_free(struct arena *a);

#endif

/*
 * buf.h - a growable byte string (after git's strbuf).
 *
 * A buf always holds a NUL after its `len` bytes, so `p` can be used as a C
 * string when the content has no NUL of its own. A zeroed struct buf (or
 * BUF_INIT) is an empty buffer; buf_free() releases it and leaves it empty.
 * Growth never fails (xrealloc aborts on out of memory).
 */
#ifndef BUF_H
#define BUF_H

#include <stddef.h>

#include "util.h"

struct buf {
	char *p;    /* content, NUL-terminated; NULL while nothing was added */
	size_t len; /* bytes of content */
	size_t cap; /* bytes allocated */
};

#define BUF_INIT                                                               \
	{                                                                      \
		NULL, 0, 0                                                     \
	}

void buf_grow(struct buf *b, size_t extra);
void buf_add(struct buf *b, const void *data, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) PRINTF_LIKE(2, 3);
/* Empty the buffer but keep its memory. */
void buf_reset(struct buf *b);
/* Wipe the content (OPENSSL_cleanse) and release the memory. */
void buf_free(struct buf *b);
/* The content as a C string; "" for an empty buffer. */
const char *buf_str(const struct buf *b);

#endif

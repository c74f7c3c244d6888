/* arena.c - see arena.h */
#include "arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#define ARENA_BLOCK 16384
#define ARENA_ALIGN 16

struct block {
	struct block *next;
	size_t size; /* usable bytes after the header */
	size_t used;
	max_align_t data[]; /* the usable bytes */
};

struct arena {
	struct block *head; /* newest block first; the last one is kept */
};

static struct block *
block_new(size_t size)
{
	struct block *b = xmalloc(sizeof(*b) + size);

	b->next = NULL;
	b->size = size;
	b->used = 0;
	return b;
}

struct arena *
arena_new(void)
{
	struct arena *a = xmalloc(sizeof(*a));

	a->head = block_new(ARENA_BLOCK);
	return a;
}

void *
arena_alloc(struct arena *a, size_t n)
{
	struct block *b = a->head;
	size_t off = (b->used + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	void *p;

	if (n > SIZE_MAX / 2)
		abort();
	if (off + n > b->size) {
		size_t size = n > ARENA_BLOCK / 2 ? n : ARENA_BLOCK;

		b = block_new(size);
		b->next = a->head;
		a->head = b;
		off = 0;
	}
	p = (char *)b->data + off;
	b->used = off + n;
	memset(p, 0, n);
	return p;
}

char *
arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);

	if (n > 0)
		memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

char *
arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap;
	int n;
	char *p;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return arena_strdup(a, "");
	p = arena_alloc(a, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

void
arena_reset(struct arena *a)
{
	struct block *b = a->head;

	while (b->next != NULL) {
		struct block *next = b->next;

		OPENSSL_cleanse(b->data, b->used);
		free(b);
		b = next;
	}
	OPENSSL_cleanse(b->data, b->used);
	b->used = 0;
	a->head = b;
}

void
arena_free(struct arena *a)
{
	if (a == NULL)
		return;
	arena_reset(a);
	free(a->head);
	free(a);
}

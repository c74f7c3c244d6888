/*
 * fuzz_multipart.c - libFuzzer driver for request_parse_multipart().
 *
 * The first input byte picks the mode: even, the rest is a body under the
 * fixed content type "multipart/form-data; boundary=XyZ"; odd, the bytes up
 * to the first newline (the client sends Content-Type too) are the content
 * type and the rest is the body. Checked: a parse either fails and appends
 * nothing, or every parameter is valid UTF-8 without NUL, has a name,
 * len == strlen(value), at most 256 of them.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "request.h"
#include "utf8.h"

#define FIXED_TYPE "multipart/form-data; boundary=XyZ"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_params(const struct param *p)
{
	size_t n = 0;

	for (; p != NULL; p = p->next, n++) {
		if (p->name == NULL || p->value == NULL || p->name[0] == '\0')
			abort();
		if (strlen(p->value) != p->len || !utf8_valid(p->value, p->len))
			abort();
		if (!utf8_valid(p->name, strlen(p->name)))
			abort();
		if (p->src != PARAM_BODY || p->jtype != PJ_STRING)
			abort();
	}
	if (n > 256)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct arena *a;
	struct param *list = NULL;
	const char *body, *ct = FIXED_TYPE, *nl;

	if (size == 0)
		return 0;
	if (a == NULL)
		a = arena_new();
	body = (const char *)data + 1;
	size--;
	if (data[0] & 1) {
		/* CONTENT_TYPE is a C string: no NUL, NUL-terminated. */
		if ((nl = memchr(body, '\n', size)) == NULL ||
		    memchr(body, '\0', (size_t)(nl - body)) != NULL)
			goto out;
		ct = arena_strndup(a, body, (size_t)(nl - body));
		size -= (size_t)(nl - body) + 1;
		body = nl + 1;
	}
	if (request_parse_multipart(a, body, size, ct, &list) == -1) {
		if (list != NULL)
			abort();
		goto out;
	}
	check_params(list);
out:
	arena_reset(a);
	return 0;
}

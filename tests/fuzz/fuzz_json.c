/*
 * fuzz_json.c - libFuzzer driver for request_parse_json().
 *
 * The input is a request body. Checked: a parse either fails and appends
 * nothing, or the body was an object and every member became a parameter
 * that is valid UTF-8 without NUL, len == strlen(value), with a value that
 * agrees with its jtype, at most 256 of them, no name twice.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "request.h"
#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_params(const struct param *list)
{
	const struct param *p, *q;
	size_t n = 0;

	for (p = list; p != NULL; p = p->next, n++) {
		if (p->name == NULL || p->value == NULL)
			abort();
		if (strlen(p->value) != p->len || !utf8_valid(p->value, p->len))
			abort();
		if (!utf8_valid(p->name, strlen(p->name)))
			abort();
		if (p->src != PARAM_BODY)
			abort();
		switch (p->jtype) {
		case PJ_NULL:
			if (p->len != 0)
				abort();
			break;
		case PJ_BOOL:
			if (strcmp(p->value, "true") != 0 &&
			    strcmp(p->value, "false") != 0)
				abort();
			break;
		case PJ_NUMBER:
			if (p->len == 0 || strchr("-0123456789", p->value[0]) ==
			    NULL)
				abort();
			break;
		case PJ_OTHER:
			if (p->value[0] != '{' && p->value[0] != '[')
				abort();
			break;
		case PJ_STRING:
		case PJ_ARRAY:
			break;
		default:
			abort();
		}
		/* json-c collapses duplicate keys; we refuse them. */
		for (q = p->next; q != NULL; q = q->next)
			if (strcmp(p->name, q->name) == 0)
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
	size_t i;

	if (a == NULL)
		a = arena_new();
	if (request_parse_json(a, (const char *)data, size, &list) == -1) {
		if (list != NULL)
			abort();
		goto out;
	}
	/* Only an object parses: the first byte past whitespace is '{'. */
	for (i = 0; i < size && strchr(" \t\r\n", data[i]) != NULL &&
	    data[i] != '\0'; i++)
		continue;
	if (i == size || data[i] != '{')
		abort();
	check_params(list);
out:
	arena_reset(a);
	return 0;
}

/* plist.c - see plist.h */
#include "plist.h"

#include <string.h>

#include "arena.h"
#include "utf8.h"

void
plist_init(struct plist *pl, struct param *const *list)
{
	const struct param *p;

	pl->head = pl->tail = NULL;
	pl->n = 0;
	for (p = *list; p != NULL; p = p->next)
		pl->n++;
}

/* Text a handler may see: no NUL byte, valid UTF-8 (STYLE habit 3). */
int
plist_text_ok(const char *s, size_t n)
{
	return memchr(s, '\0', n) == NULL && utf8_valid(s, n);
}

/*
 * The one place a parameter is created, so every parser gives the same
 * guarantee: name and value checked by plist_text_ok(), copied to the arena.
 */
int
plist_add(struct arena *a, struct plist *pl, const char *name, size_t nlen,
    const char *value, size_t vlen, enum param_src src, enum param_jtype jtype)
{
	struct param *p;

	if (!plist_text_ok(name, nlen) || !plist_text_ok(value, vlen))
		return -1;
	if (pl->n >= PLIST_MAX)
		return -1;
	p = arena_alloc(a, sizeof(*p));
	p->name = arena_strndup(a, name, nlen);
	p->value = arena_strndup(a, value, vlen);
	p->len = vlen;
	p->src = src;
	p->jtype = jtype;
	p->next = NULL;
	if (pl->tail != NULL)
		pl->tail->next = p;
	else
		pl->head = p;
	pl->tail = p;
	pl->n++;
	return 0;
}

void
plist_commit(struct plist *pl, struct param **list)
{
	while (*list != NULL)
		list = &(*list)->next;
	*list = pl->head;
}

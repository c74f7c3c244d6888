/*
 * plist.h - building a parameter list: the one place a struct param is
 * made, so every parser (urlencoded, multipart, JSON) gives the same
 * guarantee: name and value hold no NUL and are valid UTF-8 (STYLE 3), and
 * a source never has more than PLIST_MAX parameters.
 *
 * Parsers collect into a plist and append it to the caller's list only
 * when the whole source parsed (plist_commit), so a malformed source adds
 * nothing.
 */
#ifndef PLIST_H
#define PLIST_H

#include <stddef.h>

#include "request.h"

struct arena;

/*
 * More parameters than this in one source (query string or body) is
 * refused as INPUT_ENCODING: no form of ours has a tenth of it, and it
 * keeps the O(n^2) duplicate checks cheap whatever a client sends.
 */
#define PLIST_MAX 256

/* A parameter list being built: appended to the caller's only when whole. */
struct plist {
	struct param *head;
	struct param *tail;
	size_t n; /* parameters in the caller's list plus ours */
};

/* Start a list that will be appended to *list. */
void plist_init(struct plist *pl, struct param *const *list);
/* 1 when s[0..n) may reach a handler: no NUL byte, valid UTF-8. */
int plist_text_ok(const char *s, size_t n);
/* Add a copy (in the arena): 0, or -1 (bad text or too many). */
int plist_add(struct arena *a, struct plist *pl, const char *name, size_t nlen,
    const char *value, size_t vlen, enum param_src src, enum param_jtype jtype);
/* Append the collected parameters to *list. */
void plist_commit(struct plist *pl, struct param **list);

#endif

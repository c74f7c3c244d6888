/*
 * mime.h - Content-Type and multipart/form-data (RFC 7578, framed as in
 * RFC 2046 section 5.1.1): what kind of body a request has, and its
 * fields. Strict on purpose: bare LF line ends, folded headers, repeated
 * parameters and ambiguous delimiters are refused. File parts are skipped
 * (PHP put them in $_FILES, which no API of ours reads).
 */
#ifndef MIME_H
#define MIME_H

#include <stddef.h>

#include "request.h"

struct arena;

/* The kind of body a Content-Type announces ("" → a form, as PHP did). */
enum body_kind mime_body_kind(const char *content_type);
/*
 * The fields of a multipart/form-data body, appended to *list: 0, or -1
 * with nothing appended when the body or its boundary is malformed.
 */
int mime_parse_multipart(struct arena *a, const char *body, size_t n,
    const char *content_type, struct param **list);

#endif

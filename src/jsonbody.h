/*
 * jsonbody.h - a JSON request body as parameters (RFC 8259).
 *
 * json-c alone is too lenient (NaN, single quotes, raw control characters,
 * clamped integers, lone surrogates turned into U+FFFD, keys cut at
 * \u0000, duplicate keys collapsed), so the tokens are checked first and a
 * value is refused rather than changed; json-c then checks the structure.
 * The body must be one object; each member becomes a parameter as
 * request.h's enum param_jtype describes.
 */
#ifndef JSONBODY_H
#define JSONBODY_H

#include <stddef.h>

#include "request.h"

struct arena;

/*
 * Parse body[0..n) and append its members to *list: INPUT_OK; INPUT_JSON
 * (not JSON, not an object, duplicate keys, numbers json-c would clamp);
 * INPUT_ENCODING (a NUL, a lone surrogate or invalid UTF-8 in a string).
 * Nothing is appended on failure.
 */
enum input_err jsonbody_parse(struct arena *a, const char *body, size_t n,
    struct param **list);

#endif

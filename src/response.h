/*
 * response.h - status, headers and body of one response, written at once.
 *
 * Handlers fill a response; main.c sends it. Every response carries
 * X-Content-Type-Options: nosniff; response_no_store() adds the
 * Cache-Control: no-store and Pragma: no-cache that every response holding
 * a token must have (RFC 6749 §5.1, SPEC 11). Header values are cleaned of
 * CR and LF so no input can split a header.
 */
#ifndef RESPONSE_H
#define RESPONSE_H

#include "buf.h"
#include "util.h"

struct io;

struct response {
	int status;               /* 200 unless set */
	const char *content_type; /* NULL: no body headers */
	struct buf head;          /* extra header lines, "Name: value\r\n" */
	struct buf body;
	int no_store;
};

void response_init(struct response *r);
void response_free(struct response *r);
/* Add one header line; the formatted value loses any CR/LF. */
void response_header(struct response *r, const char *name, const char *fmt, ...)
    PRINTF_LIKE(3, 4);
void response_no_store(struct response *r);
/* Replace status, type and body with text: a plain answer. */
void response_text(struct response *r, int status, const char *type,
    const char *text);
/*
 * Make body (released here) the JSON answer with the given status.
 */
void response_json(struct response *r, int status, struct buf *body);
/* Write it all through io (no body for HEAD): 0, or -1 if the peer left. */
int response_send(const struct response *r, const struct io *io, int head_only);
/* "OK", "Not Found", ... */
const char *response_reason(int status);

#endif

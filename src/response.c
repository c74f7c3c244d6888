/* response.c - see response.h */
#include "response.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "request.h"

void
response_init(struct response *r)
{
	memset(r, 0, sizeof(*r));
	r->status = 200;
}

void
response_free(struct response *r)
{
	buf_free(&r->head);
	buf_free(&r->body);
}

void
response_header(struct response *r, const char *name, const char *fmt, ...)
{
	char probe[1];
	size_t start, i;
	va_list ap;
	int n;

	buf_printf(&r->head, "%s: ", name);
	start = r->head.len;
	va_start(ap, fmt);
	n = vsnprintf(probe, sizeof(probe), fmt, ap);
	va_end(ap);
	if (n > 0) {
		buf_grow(&r->head, (size_t)n);
		va_start(ap, fmt);
		vsnprintf(r->head.p + start, (size_t)n + 1, fmt, ap);
		va_end(ap);
		r->head.len += (size_t)n;
	}
	/* No value may split the header block. */
	for (i = start; i < r->head.len; i++)
		if (r->head.p[i] == '\r' || r->head.p[i] == '\n')
			r->head.p[i] = ' ';
	buf_puts(&r->head, "\r\n");
}

void
response_no_store(struct response *r)
{
	r->no_store = 1;
}

void
response_text(struct response *r, int status, const char *type,
    const char *text)
{
	r->status = status;
	r->content_type = type;
	buf_reset(&r->body);
	buf_puts(&r->body, text);
}

void
response_json(struct response *r, int status, struct buf *body)
{
	r->status = status;
	r->content_type = "application/json";
	buf_free(&r->body);
	r->body = *body;
	*body = (struct buf)BUF_INIT;
}

const char *
response_reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 201:
		return "Created";
	case 204:
		return "No Content";
	case 302:
		return "Found";
	case 303:
		return "See Other";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 409:
		return "Conflict";
	case 413:
		return "Payload Too Large";
	case 429:
		return "Too Many Requests";
	case 500:
		return "Internal Server Error";
	case 503:
		return "Service Unavailable";
	default:
		return "Unknown";
	}
}

int
response_send(const struct response *r, const struct io *io, int head_only)
{
	struct buf out = BUF_INIT;
	int rc;

	buf_printf(&out, "Status: %d %s\r\n", r->status,
	    response_reason(r->status));
	if (r->content_type != NULL)
		buf_printf(&out, "Content-Type: %s\r\n", r->content_type);
	buf_printf(&out, "Content-Length: %zu\r\n", r->body.len);
	buf_puts(&out, "X-Content-Type-Options: nosniff\r\n");
	if (r->no_store)
		buf_puts(&out,
		    "Cache-Control: no-store\r\nPragma: no-cache\r\n");
	buf_add(&out, buf_str(&r->head), r->head.len);
	buf_puts(&out, "\r\n");
	if (!head_only)
		buf_add(&out, buf_str(&r->body), r->body.len);
	rc = io->write(io->ctx, out.p, out.len);
	buf_free(&out);
	return rc;
}

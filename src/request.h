/*
 * request.h - one HTTP request: where it came from, its validated parameters.
 *
 * A request is filled in two steps by the face that accepted it (main.c):
 * request_init() reads the CGI/FastCGI variables through an io, then
 * request_read_body() reads and parses the body. Everything hangs off the
 * request's arena and is gone after arena_reset().
 *
 * Parameters (from the query string and from the body) are stored as
 * decoded, NUL-terminated strings. A value that is not valid
 * percent-encoding, holds a NUL byte or is not valid UTF-8 is never stored:
 * the whole source is marked bad instead (query_err / body_err), so a
 * handler that reads a parameter only ever sees validated text (STYLE 3).
 */
#ifndef REQUEST_H
#define REQUEST_H

#include <stddef.h>

struct arena;

/* How the face talks to the web server: CGI (stdio) or FastCGI (FCGX). */
struct io {
	/* A CGI variable ("REQUEST_METHOD", "HTTP_AUTHORIZATION"), or NULL. */
	const char *(*getenv)(void *ctx, const char *name);
	/* Up to n body bytes into buf: count read, 0 at end, -1 on error. */
	long (*read)(void *ctx, char *buf, size_t n);
	/* All n bytes of output: 0, or -1 when the client went away. */
	int (*write)(void *ctx, const char *buf, size_t n);
	void *ctx;
};

enum method { METHOD_GET, METHOD_POST, METHOD_HEAD, METHOD_OTHER };

enum body_kind {
	BODY_NONE,      /* no body (or empty) */
	BODY_FORM,      /* application/x-www-form-urlencoded */
	BODY_MULTIPART, /* multipart/form-data */
	BODY_JSON,      /* application/json (a top-level object) */
	BODY_OTHER      /* any other content type: body kept raw, not parsed */
};

enum input_err {
	INPUT_OK,
	INPUT_TOO_LARGE, /* Content-Length (or the bytes sent) over the limit */
	INPUT_ENCODING,  /* bad %xx, NUL, invalid UTF-8, malformed multipart */
	INPUT_JSON,      /* body is not valid JSON, or not a JSON object */
	INPUT_IO         /* the body could not be read in full */
};

enum param_src { PARAM_QUERY, PARAM_BODY };

/*
 * The JSON type a body value had; PJ_STRING for every non-JSON source.
 * value holds: a string as is; a number as json-c prints it ("5", "2.5");
 * a bool as "true"/"false"; null as ""; an array whose elements are all
 * strings as those strings joined by one space (PJ_ARRAY); anything else
 * (objects, mixed arrays) as its compact JSON text (PJ_OTHER), so a
 * handler can refuse a wrong type by looking at jtype.
 */
enum param_jtype { PJ_STRING, PJ_NUMBER, PJ_BOOL, PJ_NULL, PJ_ARRAY, PJ_OTHER };

struct param {
	const char *name;  /* decoded, NUL-terminated */
	const char *value; /* decoded, NUL-terminated, valid UTF-8, no NUL */
	size_t len;        /* strlen(value) */
	enum param_src src;
	enum param_jtype jtype;
	struct param *next; /* in order of appearance */
};

struct request {
	struct arena *arena;
	const struct io *io;
	enum method method;
	const char *method_str;    /* REQUEST_METHOD as sent */
	const char *path;          /* PATH_INFO, "/" when empty; routing key */
	const char *script_name;   /* SCRIPT_NAME: where Apache mounts us */
	const char *query;         /* QUERY_STRING, "" when absent */
	const char *content_type;  /* CONTENT_TYPE or "" */
	const char *remote_addr;   /* REMOTE_ADDR or "" */
	const char *user_agent;    /* HTTP_USER_AGENT or NULL (raw bytes) */
	const char *authorization; /* HTTP_AUTHORIZATION or NULL */
	const char *cookie;        /* HTTP_COOKIE or NULL */
	const char *host;          /* HTTP_HOST or "" */
	int https;                 /* HTTPS=on */
	long long content_length;  /* -1 when absent */
	char id[17];               /* request id for log lines (hex) */
	int probe; /* a health check: no housekeeping (purge) after it */

	struct param *query_params;
	struct param *body_params;
	enum input_err query_err;
	enum input_err body_err;
	enum body_kind body_kind;
	const char *body; /* raw body, NUL-terminated (NULL if none) */
	size_t body_len;
};

/*
 * Fill req from the io's variables; parse the query string. Never fails:
 * a bad query string sets query_err.
 */
void request_init(struct request *req, struct arena *a, const struct io *io);
/*
 * Read the body (at most `limit` bytes: a larger Content-Length is refused
 * before a byte is read) and parse it by content type. Sets body_err and
 * body_kind; returns 0, or -1 when body_err is not INPUT_OK.
 */
int request_read_body(struct request *req, size_t limit);

/*
 * The parameter `name`: the last one in the body, else the last one in the
 * query string (PHP's $_REQUEST order: the body wins). NULL when absent.
 */
const struct param *request_param(const struct request *req, const char *name);
/* Its value, or NULL. */
const char *request_value(const struct request *req, const char *name);
/* How many times `name` appears, body and query together (RFC 6749 §3.1). */
size_t request_count(const struct request *req, const char *name);
/* 1 when any parameter (body or query) appears more than once. */
int request_has_duplicates(const struct request *req);

/* A request header by its CGI name ("HTTP_X_FORWARDED_FOR"), or NULL. */
const char *request_header(const struct request *req, const char *cgi_name);

/*
 * Parsers, exposed for unit tests and fuzzers. Each appends to *list (in
 * order) and returns 0, or -1 with nothing appended on malformed input.
 */
int request_parse_urlencoded(struct arena *a, const char *s, size_t n,
    enum param_src src, struct param **list);
int request_parse_multipart(struct arena *a, const char *body, size_t n,
    const char *content_type, struct param **list);
int request_parse_json(struct arena *a, const char *body, size_t n,
    struct param **list);
/* Percent-decode s[0..n) ('+' is a space when plus_space): -1 if malformed. */
int request_pct_decode(struct arena *a, const char *s, size_t n, int plus_space,
    char **out, size_t *outlen);

#endif

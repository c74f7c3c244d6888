/*
 * test_jsonw.c - the JSON writer in both styles.
 *
 * The PHP-style expectations are what PHP's json_encode($v,
 * JSON_PRETTY_PRINT) writes (ext/json/json_encoder.c): the legacy dialect
 * must reproduce it byte for byte (SPEC section L).
 */
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "jsonw.h"
#include "unit.h"

static struct buf out;
static struct jsonw w;

static void
start(enum jsonw_style style)
{
	buf_reset(&out);
	jsonw_init(&w, &out, style);
}

static void
test_php_success(void)
{
	start(JSONW_PHP_PRETTY);
	jsonw_obj_open(&w);
	jsonw_kbool(&w, "success", 1);
	jsonw_key(&w, "data");
	jsonw_obj_open(&w);
	jsonw_kstr(&w, "access_token",
	    "6a9382f695dc36f38e46dc08726fc8a3a22a270f");
	jsonw_kint(&w, "expiry", 1501257349);
	jsonw_obj_close(&w);
	jsonw_obj_close(&w);
	CHECK_STREQ(buf_str(&out),
	    "{\n"
	    "    \"success\": true,\n"
	    "    \"data\": {\n"
	    "        \"access_token\": "
	    "\"6a9382f695dc36f38e46dc08726fc8a3a22a270f\",\n"
	    "        \"expiry\": 1501257349\n"
	    "    }\n"
	    "}");
	CHECK(w.depth == 0);
}

static void
test_php_error_debug(void)
{
	start(JSONW_PHP_PRETTY);
	jsonw_obj_open(&w);
	jsonw_kbool(&w, "success", 0);
	jsonw_key(&w, "errors");
	jsonw_obj_open(&w);
	jsonw_kstr(&w, "message", "Wrong username/password. Please try again.");
	jsonw_kstr(&w, "type", "OAuthException");
	jsonw_kstr(&w, "code", "1142");
	jsonw_obj_close(&w);
	jsonw_key(&w, "debug");
	jsonw_obj_open(&w);
	jsonw_kstr(&w, "username", "Username bob does not exist.");
	jsonw_kstr(&w, "password", "Incorrect password.");
	jsonw_obj_close(&w);
	jsonw_obj_close(&w);
	CHECK_STREQ(buf_str(&out),
	    "{\n"
	    "    \"success\": false,\n"
	    "    \"errors\": {\n"
	    "        \"message\": "
	    "\"Wrong username\\/password. Please try again.\",\n"
	    "        \"type\": \"OAuthException\",\n"
	    "        \"code\": \"1142\"\n"
	    "    },\n"
	    "    \"debug\": {\n"
	    "        \"username\": \"Username bob does not exist.\",\n"
	    "        \"password\": \"Incorrect password.\"\n"
	    "    }\n"
	    "}");
}

/* {"data": [{"a": 1}, {"b": 2}], "e": [], "o": {}, "n": [1, [2, null]]} */
static void
test_php_nested(void)
{
	start(JSONW_PHP_PRETTY);
	jsonw_obj_open(&w);
	jsonw_key(&w, "data");
	jsonw_arr_open(&w);
	jsonw_obj_open(&w);
	jsonw_kint(&w, "a", 1);
	jsonw_obj_close(&w);
	jsonw_obj_open(&w);
	jsonw_kint(&w, "b", 2);
	jsonw_obj_close(&w);
	jsonw_arr_close(&w);
	jsonw_key(&w, "e");
	jsonw_arr_open(&w);
	jsonw_arr_close(&w);
	jsonw_key(&w, "o");
	jsonw_obj_open(&w);
	jsonw_obj_close(&w);
	jsonw_key(&w, "n");
	jsonw_arr_open(&w);
	jsonw_int(&w, 1);
	jsonw_arr_open(&w);
	jsonw_int(&w, 2);
	jsonw_null(&w);
	jsonw_arr_close(&w);
	jsonw_arr_close(&w);
	jsonw_obj_close(&w);
	CHECK_STREQ(buf_str(&out),
	    "{\n"
	    "    \"data\": [\n"
	    "        {\n"
	    "            \"a\": 1\n"
	    "        },\n"
	    "        {\n"
	    "            \"b\": 2\n"
	    "        }\n"
	    "    ],\n"
	    "    \"e\": [],\n"
	    "    \"o\": {},\n"
	    "    \"n\": [\n"
	    "        1,\n"
	    "        [\n"
	    "            2,\n"
	    "            null\n"
	    "        ]\n"
	    "    ]\n"
	    "}");
}

/* SPEC 12b: the shape of GET /v1/oauth/sessions/. */
static void
test_php_sessions(void)
{
	start(JSONW_PHP_PRETTY);
	jsonw_obj_open(&w);
	jsonw_kbool(&w, "success", 1);
	jsonw_key(&w, "data");
	jsonw_arr_open(&w);
	jsonw_obj_open(&w);
	jsonw_kint(&w, "session_id", 7);
	jsonw_kstr(&w, "device_info", "Mozilla/5.0 (X11) \xc3\xa9");
	jsonw_kint(&w, "created", 1501257349);
	jsonw_knull(&w, "last_access");
	jsonw_kint(&w, "expiry", 1503849349);
	jsonw_kbool(&w, "current", 1);
	jsonw_obj_close(&w);
	jsonw_arr_close(&w);
	jsonw_obj_close(&w);
	CHECK_STREQ(buf_str(&out),
	    "{\n"
	    "    \"success\": true,\n"
	    "    \"data\": [\n"
	    "        {\n"
	    "            \"session_id\": 7,\n"
	    "            \"device_info\": \"Mozilla\\/5.0 (X11) \\u00e9\",\n"
	    "            \"created\": 1501257349,\n"
	    "            \"last_access\": null,\n"
	    "            \"expiry\": 1503849349,\n"
	    "            \"current\": true\n"
	    "        }\n"
	    "    ]\n"
	    "}");
}

static void
test_empty(void)
{
	start(JSONW_PHP_PRETTY);
	jsonw_obj_open(&w);
	jsonw_obj_close(&w);
	CHECK_STREQ(buf_str(&out), "{}");
	start(JSONW_PHP_PRETTY);
	jsonw_arr_open(&w);
	jsonw_arr_close(&w);
	CHECK_STREQ(buf_str(&out), "[]");
	start(JSONW_COMPACT);
	jsonw_obj_open(&w);
	jsonw_obj_close(&w);
	CHECK_STREQ(buf_str(&out), "{}");
	start(JSONW_COMPACT);
	jsonw_arr_open(&w);
	jsonw_arr_close(&w);
	CHECK_STREQ(buf_str(&out), "[]");
	start(JSONW_PHP_PRETTY);
	jsonw_arr_open(&w);
	jsonw_int(&w, 1);
	jsonw_int(&w, 2);
	jsonw_arr_close(&w);
	CHECK_STREQ(buf_str(&out), "[\n    1,\n    2\n]");
}

static void
test_compact(void)
{
	start(JSONW_COMPACT);
	jsonw_obj_open(&w);
	jsonw_kint(&w, "a", 1);
	jsonw_key(&w, "b");
	jsonw_arr_open(&w);
	jsonw_int(&w, 1);
	jsonw_int(&w, 2);
	jsonw_arr_close(&w);
	jsonw_key(&w, "c");
	jsonw_obj_open(&w);
	jsonw_obj_close(&w);
	jsonw_obj_close(&w);
	CHECK_STREQ(buf_str(&out), "{\"a\":1,\"b\":[1,2],\"c\":{}}");

	start(JSONW_COMPACT);
	jsonw_obj_open(&w);
	jsonw_kstr(&w, "access_token", "ab/cd");
	jsonw_kstr(&w, "token_type", "Bearer");
	jsonw_kbool(&w, "t", 1);
	jsonw_kbool(&w, "f", 0);
	jsonw_knull(&w, "n");
	jsonw_kstr(&w, "s", NULL);
	jsonw_key(&w, "l");
	jsonw_arr_open(&w);
	jsonw_obj_open(&w);
	jsonw_kint(&w, "x", -1);
	jsonw_obj_close(&w);
	jsonw_arr_open(&w);
	jsonw_arr_close(&w);
	jsonw_str(&w, "");
	jsonw_arr_close(&w);
	jsonw_obj_close(&w);
	CHECK_STREQ(buf_str(&out),
	    "{\"access_token\":\"ab/cd\",\"token_type\":\"Bearer\","
	    "\"t\":true,\"f\":false,\"n\":null,\"s\":null,"
	    "\"l\":[{\"x\":-1},[],\"\"]}");
}

static void
test_integers(void)
{
	start(JSONW_COMPACT);
	jsonw_arr_open(&w);
	jsonw_int(&w, 0);
	jsonw_int(&w, -42);
	jsonw_int(&w, LLONG_MAX);
	jsonw_int(&w, LLONG_MIN);
	jsonw_arr_close(&w);
	CHECK_STREQ(buf_str(&out),
	    "[0,-42,9223372036854775807,"
	    "-9223372036854775808]");
}

/*
 * ASCII escapes. PHP: '/' as "\/"; both: '"' '\\' \b \f \n \r \t, other
 * controls \u00XX lower-case; DEL raw. An embedded NUL (jsonw_strn) too.
 */
static const char ascii_in[] = "a/b\"c\\d\b\f\n\r\t\x01\x1f\x7f<>&'";
static void
test_escapes_ascii(void)
{
	start(JSONW_PHP_PRETTY);
	jsonw_str(&w, ascii_in);
	CHECK_STREQ(buf_str(&out),
	    "\"a\\/b\\\"c\\\\d\\b\\f\\n\\r\\t\\u0001\\u001f\x7f<>&'\"");
	start(JSONW_COMPACT);
	jsonw_str(&w, ascii_in);
	CHECK_STREQ(buf_str(&out),
	    "\"a/b\\\"c\\\\d\\b\\f\\n\\r\\t\\u0001\\u001f\x7f<>&'\"");

	start(JSONW_COMPACT);
	jsonw_strn(&w, "a\0b", 3);
	CHECK_STREQ(buf_str(&out), "\"a\\u0000b\"");
	start(JSONW_PHP_PRETTY);
	jsonw_strn(&w, "a\0b", 3);
	CHECK_STREQ(buf_str(&out), "\"a\\u0000b\"");
	/* jsonw_strn writes exactly n bytes. */
	start(JSONW_COMPACT);
	jsonw_strn(&w, "abcdef", 3);
	CHECK_STREQ(buf_str(&out), "\"abc\"");
}

/* A key is a string like any other: escaped the same way. */
static void
test_escaped_key(void)
{
	start(JSONW_PHP_PRETTY);
	jsonw_obj_open(&w);
	jsonw_kint(&w, "a/\xc3\xa9\"", 1);
	jsonw_obj_close(&w);
	CHECK_STREQ(buf_str(&out), "{\n    \"a\\/\\u00e9\\\"\": 1\n}");
	start(JSONW_COMPACT);
	jsonw_obj_open(&w);
	jsonw_kint(&w, "a/\xc3\xa9\"", 1);
	jsonw_obj_close(&w);
	CHECK_STREQ(buf_str(&out), "{\"a/\xc3\xa9\\\"\":1}");
}

/*
 * é (2 bytes), € (3), U+2028 (3), U+FFFF (3), U+1F600 (4, astral),
 * U+10FFFF (4, the last code point).
 */
static const char uni_in[] = "\xc3\xa9 \xe2\x82\xac \xe2\x80\xa8 \xef\xbf\xbf "
			     "\xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf";
static void
test_escapes_unicode(void)
{
	start(JSONW_PHP_PRETTY);
	jsonw_str(&w, uni_in);
	CHECK_STREQ(buf_str(&out),
	    "\"\\u00e9 \\u20ac \\u2028 \\uffff "
	    "\\ud83d\\ude00 \\udbff\\udfff\"");
	/* JSON.stringify leaves every non-ASCII character raw. */
	start(JSONW_COMPACT);
	jsonw_str(&w, uni_in);
	CHECK(out.len == strlen(uni_in) + 2);
	CHECK(memcmp(out.p + 1, uni_in, strlen(uni_in)) == 0);
}

/*
 * Bytes that are not valid UTF-8 each become U+FFFD: a lone continuation
 * byte, 0xff, a truncated sequence, an overlong '/', an encoded surrogate.
 */
static void
test_invalid_utf8(void)
{
	static const char in[] = "a\x80"
				 "b\xff"
				 "c\xe2\x82"
				 "d\xc0\xaf"
				 "e\xed\xa0\x80"
				 "f\xe2";

	start(JSONW_PHP_PRETTY);
	jsonw_str(&w, in);
	CHECK_STREQ(buf_str(&out),
	    "\"a\\ufffdb\\ufffdc\\ufffd\\ufffd"
	    "d\\ufffd\\ufffde\\ufffd\\ufffd\\ufffdf\\ufffd\"");
	start(JSONW_COMPACT);
	jsonw_str(&w, in);
	CHECK_STREQ(buf_str(&out),
	    "\"a\xef\xbf\xbd"
	    "b\xef\xbf\xbd"
	    "c\xef\xbf\xbd\xef\xbf\xbd"
	    "d\xef\xbf\xbd\xef\xbf\xbd"
	    "e\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
	    "f\xef\xbf\xbd\"");
}

/* The writer appends: what was in the buffer before stays. */
static void
test_appends(void)
{
	buf_reset(&out);
	buf_puts(&out, "x=");
	jsonw_init(&w, &out, JSONW_COMPACT);
	jsonw_arr_open(&w);
	jsonw_arr_close(&w);
	CHECK_STREQ(buf_str(&out), "x=[]");
}

/* Nesting JSONW_MAX_DEPTH deep works; one more aborts. */
static void
nest(int levels)
{
	int i;

	start(JSONW_COMPACT);
	for (i = 0; i < levels; i++)
		jsonw_arr_open(&w);
	for (i = 0; i < levels; i++)
		jsonw_arr_close(&w);
}

/* 1 when fn() dies of SIGABRT in a child process. */
static int
aborts(void (*fn)(void))
{
	pid_t pid;
	int status;

	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) == -1)
		return 0;
	if (pid == 0) {
		if (freopen("/dev/null", "w", stderr) == NULL)
			_exit(2);
		fn();
		_exit(0);
	}
	if (waitpid(pid, &status, 0) == -1)
		return 0;
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}

static void
too_deep(void)
{
	nest(JSONW_MAX_DEPTH + 1);
}

static void
value_without_key(void)
{
	start(JSONW_COMPACT);
	jsonw_obj_open(&w);
	jsonw_int(&w, 1);
}

static void
key_in_array(void)
{
	start(JSONW_COMPACT);
	jsonw_arr_open(&w);
	jsonw_key(&w, "a");
}

static void
mismatched_close(void)
{
	start(JSONW_COMPACT);
	jsonw_arr_open(&w);
	jsonw_obj_close(&w);
}

static void
close_after_key(void)
{
	start(JSONW_COMPACT);
	jsonw_obj_open(&w);
	jsonw_key(&w, "a");
	jsonw_obj_close(&w);
}

static void
test_misuse(void)
{
	nest(JSONW_MAX_DEPTH);
	CHECK(out.len == 2 * JSONW_MAX_DEPTH);
	CHECK(w.depth == 0);
	CHECK(aborts(too_deep));
	CHECK(aborts(value_without_key));
	CHECK(aborts(key_in_array));
	CHECK(aborts(mismatched_close));
	CHECK(aborts(close_after_key));
}

int
main(void)
{
	RUN(test_php_success);
	RUN(test_php_error_debug);
	RUN(test_php_nested);
	RUN(test_php_sessions);
	RUN(test_empty);
	RUN(test_compact);
	RUN(test_integers);
	RUN(test_escapes_ascii);
	RUN(test_escaped_key);
	RUN(test_escapes_unicode);
	RUN(test_invalid_utf8);
	RUN(test_appends);
	RUN(test_misuse);
	buf_free(&out);
	return unit_done();
}

/*
 * unit.h - the in-repo unit test harness (one header, no library).
 *
 * A test file is a program: it may #include the .c it tests to reach static
 * functions (as h2o does), defines test functions, and ends with
 *
 *     int main(void) { RUN(test_a); RUN(test_b); return unit_done(); }
 *
 * Each CHECK counts as one check; RUN reports each test function as
 * "ok - name" or "not ok - name" and unit_done() prints
 * "unit <file>: N passed, M failed" (tests, not checks) and returns 0 or 1.
 */
#ifndef UNIT_H
#define UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_failed_checks;
static int unit_tests_passed, unit_tests_failed;

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			unit_failed_checks++;                                  \
			fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, \
			    __LINE__, #cond);                                  \
		}                                                              \
	} while (0)

#define CHECK_STREQ(a, b)                                                      \
	do {                                                                   \
		const char *unit_a_ = (a), *unit_b_ = (b);                     \
		if (unit_a_ == NULL || unit_b_ == NULL ||                      \
		    strcmp(unit_a_, unit_b_) != 0) {                           \
			unit_failed_checks++;                                  \
			fprintf(stderr, "%s:%d: \"%s\" != \"%s\"\n", __FILE__, \
			    __LINE__, unit_a_ ? unit_a_ : "(null)",            \
			    unit_b_ ? unit_b_ : "(null)");                     \
		}                                                              \
	} while (0)

#define RUN(fn)                                                                \
	do {                                                                   \
		int unit_before_ = unit_failed_checks;                         \
		fn();                                                          \
		if (unit_failed_checks == unit_before_) {                      \
			unit_tests_passed++;                                   \
			printf("ok - %s\n", #fn);                              \
		} else {                                                       \
			unit_tests_failed++;                                   \
			printf("not ok - %s\n", #fn);                          \
		}                                                              \
	} while (0)

/* A macro, so __FILE__ names the test program, not this header. */
#define unit_done() unit_done_(__FILE__)

static int
unit_done_(const char *file)
{
	printf("unit %s: %d passed, %d failed\n", file, unit_tests_passed,
	    unit_tests_failed);
	return unit_tests_failed == 0 ? 0 : 1;
}

#endif

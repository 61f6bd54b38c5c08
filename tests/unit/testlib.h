/*
 * testlib.h - what the host test programs share: TAP output (a case is
 * "ok N - name" or "not ok N - name", diagnostics "# ...", the plan at
 * the end) and reading inputs into exact-size heap copies, so ASan sees
 * any read past a buffer the code under test was handed.
 *
 * Each program defines TESTLIB_NAME (for error messages) before it
 * includes this file.
 */
#ifndef KEEL_TESTLIB_H
#define KEEL_TESTLIB_H

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef TESTLIB_NAME
#error "define TESTLIB_NAME before including testlib.h"
#endif

static int tap_n;
static int tap_failed;
static int case_failed; /* diagnostics in the current case */

/* A diagnostic line; it also marks the current case failed. */
__attribute__((format(printf, 1, 2), unused)) static void diag(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("# ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	case_failed = 1;
}

__attribute__((format(printf, 2, 3), unused)) static void tap_result(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s %d - ", ok ? "ok" : "not ok", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!ok)
		tap_failed = 1;
}

/* The plan line; the exit status (1 if any case failed). */
__attribute__((unused)) static int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

/* A named case of a table; @run reports failures through diag(). */
struct tap_case {
	const char *name;
	void (*run)(void);
};

/* Run every case of @cases (or only the one named @only) as a TAP case. */
__attribute__((unused)) static int tap_run_cases(const struct tap_case *cases, size_t n,
						 const char *only)
{
	int ran = 0;

	for (size_t i = 0; i < n; i++) {
		if (only && strcmp(only, cases[i].name))
			continue;
		ran++;
		case_failed = 0;
		cases[i].run();
		tap_result(!case_failed, "%s", cases[i].name);
	}
	if (!ran) {
		fprintf(stderr, TESTLIB_NAME ": no case named %s\n", only);
		return 2;
	}
	return tap_done();
}

/* The whole file, or exit 2 with the reason. */
__attribute__((unused)) static void *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	void *buf;
	long n;

	if (!f) {
		fprintf(stderr, TESTLIB_NAME ": %s: %s\n", path, strerror(errno));
		exit(2);
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(n ? (size_t)n : 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, TESTLIB_NAME ": %s: short read\n", path);
		exit(2);
	}
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* A heap copy of exactly @len bytes. */
__attribute__((unused)) static uint8_t *copy_exact(const void *src, size_t len)
{
	uint8_t *p = malloc(len ? len : 1);

	if (!p)
		abort();
	memcpy(p, src, len);
	return p;
}

#endif

/*
 * uart_test.h - what the UART host tests (uart_hw_test.c, uart_args_test.c,
 * uart_server_test.c) share on top of tests/unit/testlib.h: expect_eq(),
 * CASE() for their cases[] table and UART_TEST_MAIN(), their main().
 * tests/uart/test_uart_model.py reads the case names from the table.
 */
#ifndef KEEL_UART_TEST_H
#define KEEL_UART_TEST_H

#ifndef KEEL_TESTLIB_H
#error "include testlib.h before uart_test.h"
#endif

/* A diagnostic (the expression, both values, the line) unless @got == @want as long long. */
#define expect_eq(got, want)                                                                       \
	do {                                                                                       \
		long long g_ = (long long)(got), w_ = (long long)(want);                           \
		if (g_ != w_)                                                                      \
			diag("%s = %lld, want %lld (line %d)", #got, g_, w_, __LINE__);            \
	} while (0)

/* clang-format off */
#define CASE(fn) { #fn, fn }
/* clang-format on */

/* main(): every case of the table @cases, or only the one argv[1] names. */
#define UART_TEST_MAIN(cases)                                                                      \
	int main(int argc, char **argv)                                                            \
	{                                                                                          \
		return tap_run_cases(cases, sizeof(cases) / sizeof((cases)[0]),                    \
				     argc > 1 ? argv[1] : NULL);                                   \
	}

#endif

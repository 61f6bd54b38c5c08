/*
 * selftest.h - in-kernel self-tests, chosen with selftest=<suite>[,<suite>]
 * and reported in KTAP (Linux's kernel test format), ending with
 * "N passed, N failed". crash-* suites end in a panic on purpose: they
 * prove that a fault is caught and reported.
 */
#ifndef KEEL_SELFTEST_H
#define KEEL_SELFTEST_H

#include "keel.h"

/* Boot hart, at the end of bring-up. Runs @list, then powers off. */
__noreturn void selftest_run(const char *list);

#endif

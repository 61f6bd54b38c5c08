/*
 * selftest.h - in-kernel self-tests, chosen with selftest=<suite>[,<suite>]
 * and reported in KTAP (Linux's kernel test format), ending with
 * "N passed, N failed". crash-* suites end in a panic on purpose: they
 * prove that a fault is caught and reported.
 */
#ifndef KEEL_SELFTEST_H
#define KEEL_SELFTEST_H

#include "keel.h"

/* selftest_smp.c: the "smp" suite. */
bool selftest_smp_online(void);
bool selftest_kthread_tree(void);
bool selftest_smp_counters(void);
bool selftest_smp_ipi_pingpong(void);
bool selftest_smp_call_all(void);
bool selftest_smp_tlb_shootdown(void);
bool selftest_smp_migration(void);
bool selftest_smp_spread(void);
bool selftest_wait_timeout(void);
bool selftest_hotplug(void);
bool selftest_spin_stuck(void);

/* kernel_init, at the end of bring-up. Runs @list, then powers off. */
__noreturn void selftest_run(const char *list);

#endif

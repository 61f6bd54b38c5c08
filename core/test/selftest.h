/*
 * selftest.h - in-kernel self-tests, chosen with selftest=<suite>[,<suite>]
 * and reported in KTAP (Linux's kernel test format), ending with
 * "N passed, N failed". crash-* suites end in a panic on purpose: they
 * prove that a fault is caught and reported.
 *
 * Only the test Image (build/Image-test, core/main.c built with
 * KEEL_SELFTESTS=1 and linked with core/test/) has them.
 */
#ifndef KEEL_SELFTEST_H
#define KEEL_SELFTEST_H

#include "keel.h"
#include "lib/log.h"
#include "lib/panic.h"

#ifndef KEEL_SELFTESTS
#define KEEL_SELFTESTS 0
#endif

/* selftest_smp.c: the "smp" suite. */
bool selftest_smp_online(void);
bool selftest_kthread_tree(void);
bool selftest_smp_counters(void);
bool selftest_smp_ipi_pingpong(void);
bool selftest_smp_call_all(void);
bool selftest_smp_tlb_shootdown(void);
bool selftest_smp_migration(void);
bool selftest_smp_spread(void);
bool selftest_smp_call_timeout(void);
bool selftest_wait_timeout(void);
bool selftest_hotplug(void);
bool selftest_spin_stuck(void);

#if KEEL_SELFTESTS
/* kernel_init, at the end of bring-up. Runs @list, then powers off. */
__noreturn void selftest_run(const char *list);
/* Does selftest=@list (may be NULL) ask for in-kernel suites? */
bool selftest_in_kernel(const char *list);
/* The program a user-space self-test named by @list runs as pid 1, or NULL. */
const char *selftest_user_program(const char *list);
/* The environment string that program needs (syscall_fuzz_ms=N), or NULL. */
const char *selftest_user_env(void);
#else
/*
 * The shipping Image has no self-tests (build/Image-test has them): it
 * says so once and boots as if selftest= were not there.
 */
static __attribute__((noinline, unused)) void selftest_absent(const char *list)
{
	static bool said;

	if (!said) {
		said = true;
		pr_warn("selftest: this Image has no self-tests (selftest=%s ignored); "
			"boot build/Image-test\n",
			list);
	}
}

/* Always false, and inline so that gcc drops what a true answer would run. */
static inline __attribute__((always_inline)) bool selftest_in_kernel(const char *list)
{
	if (list)
		selftest_absent(list);
	return false;
}

static inline __noreturn void selftest_run(const char *list)
{
	(void)list;
	__builtin_unreachable(); /* selftest_in_kernel() said no */
}

static inline const char *selftest_user_program(const char *list)
{
	(void)selftest_in_kernel(list);
	return NULL;
}

static inline const char *selftest_user_env(void)
{
	return NULL;
}
#endif

#endif

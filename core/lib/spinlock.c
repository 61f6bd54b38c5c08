/*
 * spinlock.c - the out-of-line part of spinlock.h: the stuck-lock report
 * of DEBUG builds. It prints straight to the console (the log's own lock
 * may be the one that is stuck).
 */
#define SPINLOCK_DEFINE /* the out-of-line copies of -Os builds */
#include "spinlock.h"
#include "log.h"

unsigned long spin_warn_ticks = 1UL << 24; /* set from the timebase by timer.c */
unsigned long spin_stuck_reports;	   /* atomic */

void spin_report_stuck(struct spinlock *l, unsigned long waited_ticks)
{
	int holder = __atomic_load_n(&l->holder_cpu, __ATOMIC_RELAXED);

	log_raw_printf(
		"spinlock: cpu %u waited %lu ticks for lock %p held by cpu %d, taken at %p\n",
		this_cpu()->id, waited_ticks, (void *)l, holder,
		(void *)__atomic_load_n(&l->holder_pc, __ATOMIC_RELAXED));
	__atomic_fetch_add(&spin_stuck_reports, 1, __ATOMIC_RELAXED);
}

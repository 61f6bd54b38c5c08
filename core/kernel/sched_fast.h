/*
 * sched_fast.h - the scheduler's one step the fast paths take inline:
 * making a task current (sched_enter()), as sched.c's switch does. Only
 * sched.c and object/ipc_fast.c include it; sched.h has the contracts.
 */
#ifndef KEEL_SCHED_FAST_H
#define KEEL_SCHED_FAST_H

#include "keel.h"
#include "arch/cpu.h"
#include "arch/riscv.h"
#include "lib/panic.h"
#include "mm/as.h"
#include "sched.h"
#include "task.h"

/*
 * sched_take()'s rarer half (sched.c): the tick starts or stops (a task
 * after the idle task, or back to it), or @next's address space is not
 * a plain satp write away (kernel threads, an ASID to flush); then the
 * rest of sched_take(). Returns @ret, so that callers may tail-call it.
 */
void *sched_take_slow(struct cpu *c, struct task *prev, struct task *next, void *ret);

/*
 * Interrupts off: @next, which no run queue holds and no cpu runs,
 * becomes @c's current task in place of @prev; only the stacks are left
 * to switch. Returns @ret (a fast path's frame: no call keeps it live).
 */
static inline __attribute__((always_inline)) void *sched_take(struct cpu *c, struct task *prev,
							      struct task *next, void *ret)
{
	struct as *as = next->as;

	next->on_cpu = 1;
	if (next->last_cpu != c->id) {
		next->migrations++;
		next->cpus_seen++;
		next->last_cpu = c->id;
	}
	next->cpu = c->id;
	next->switches++;
	__atomic_store_n(&next->state, TASK_RUNNING, __ATOMIC_RELEASE);
	/* trap.S checks sp against the running task's stack, and enters U traps on it. */
	c->stack_lo = next->stack_lo;
	c->kstack_top = next->stack_top;
	/* The common case, a user task after a user task: as_activate()'s satp write alone. */
	if (c->tick_on != (next != c->idle) || !as ||
	    (as != c->active_as &&
	     (!as->asid || (as->tlb_stale.bits[c->id / 64] >> (c->id % 64)) & 1)))
		return sched_take_slow(c, prev, next, ret);
	if (as != c->active_as)
		csr_write(satp, as->satp);
	c->active_as = as;
	c->current = next;
	c->prev = prev;
	return ret;
}

/* sched.h's contract, returning @ret as sched_take(); inline for the fast paths. */
static inline __attribute__((always_inline)) void *sched_enter(struct task *next, void *ret)
{
	struct cpu *c = this_cpu();

	if (DEBUG)
		BUG_ON(c->preempt_count || (next->pid == 0 && next != c->idle));
	/* It may still be leaving another cpu (woken while going to sleep). */
	while (__atomic_load_n(&next->on_cpu, __ATOMIC_ACQUIRE))
		cpu_relax();
	return sched_take(c, c->current, next, ret);
}

#endif

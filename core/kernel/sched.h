/*
 * sched.h - the scheduler: a run queue per cpu, priorities, affinity,
 * preemption on the tick, wake-ups across harts by IPI, idle harts that
 * steal work before they sleep in wfi, and busy ones that push work to
 * idle harts on their tick.
 */
#ifndef KEEL_SCHED_H
#define KEEL_SCHED_H

#include "keel.h"
#include "arch/cpu.h"
#include "lib/cpumask.h"

struct task;

/* Boot hart, once: run queues, and this context becomes swapper/0. */
__init void sched_init(void);
/* A secondary, once: its context becomes swapper/N. */
void sched_init_hart(void);
/* The idle loop of this cpu; never returns. */
__noreturn void sched_idle(void);
/*
 * Boot: @fn serves, with interrupts off, the interrupts that woke an idle
 * cpu from wfi (the trap layer's), so the common wake-up of a driver by
 * its device costs no trap entry and exit.
 */
void sched_set_idle_irq(void (*fn)(void));

/* Give up the cpu (the current task stays ready unless it blocked). */
void schedule(void);
void sched_yield(void);
/*
 * The current task, which has made itself TASK_BLOCKED, gives this cpu
 * straight to @next, a blocked task it has just answered (IPC): no run
 * queue, no wake-up of another cpu. False, and nothing done, if @next
 * may not run here, something else waits here, or another waker got it
 * first: the caller then wakes it and blocks the usual way.
 */
bool sched_handoff(struct task *next);

/*
 * Interrupts off, in a system call: the current task, still runnable,
 * gives this cpu to @t, which it has claimed from BLOCKED to READY
 * (a notification waiter its signal woke; sched_may_yield_to() said
 * yes, interrupts off since). It goes to the front of its priority's
 * queue, so it runs again as soon as @t stops, ahead of those it was
 * ahead of; returns when it does.
 */
void sched_yield_to(struct task *t);
/*
 * Interrupts off, the current task BLOCKED, @next claimed by the caller
 * (BLOCKED -> READY, on no queue, off every cpu): run @next here now.
 */
void sched_switch_direct(struct task *next);
/*
 * sched_enter(next, ret), inline in kernel/sched_fast.h (for the IPC fast
 * paths; returns @ret): interrupts off, as sched_switch_direct() but without
 * the switch: @next becomes this cpu's current task (c->prev the one it
 * replaces) and the caller runs it, from its trap frame or by
 * sched_switch() to its context; sched_finish_switch() must follow once
 * off the old stack.
 */
/*
 * Interrupts off, the current task BLOCKED, this cpu not going offline:
 * take what schedule() would run next here off the run queue (this
 * cpu's idle task if none; the current task itself if a wake-up has
 * queued it meanwhile). The caller runs it (sched_enter()).
 */
struct task *sched_pick(void);
/* The stack switch itself (switch.S): save into @from, resume @to. */
struct context;
void sched_switch(struct context *from, struct context *to);
/* Make a BLOCKED (or new) task READY on a cpu it may run on; false if it was not blocked. */
bool sched_wake(struct task *t);
/* Block the current task until woken or until the time CSR passes @deadline (0 = never). */
void sched_block_until(uint64_t deadline);

void sched_set_affinity(struct task *t, const struct cpumask *m);
void sched_set_prio(struct task *t, unsigned int prio);
/* Move the current task to @cpu now (for tests and hotplug). */
int __must_check sched_migrate_current(unsigned int cpu);

/* From the trap path. */
void sched_tick(void);
void sched_timeouts(void);
uint64_t sched_next_timeout(void);
void sched_preempt_check(void);
/* A new task's first instructions run this before its function. */
void sched_finish_switch(void);

/* Tasks queued on @cpu's run queue: a racy look, as every read of it. */
static inline unsigned int sched_nr_ready(unsigned int cpu)
{
	/* Relaxed: a hint; the queue's lock orders what matters. */
	return __atomic_load_n(&cpus[cpu].nr_ready, __ATOMIC_RELAXED);
}
bool sched_cpu_idle(unsigned int cpu);

static inline void cpu_relax(void)
{
	/* Zihintpause "pause" (a hint, FENCE-encoded): QEMU lets other vCPUs run. */
	__asm__ __volatile__(".insn i 0x0F, 0, x0, x0, 0x010" : : : "memory");
}

#endif

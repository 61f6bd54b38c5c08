/*
 * sched_fast.h - the scheduler's steps the fast paths take inline: the
 * common case of a wake-up (queue on this cpu), the pick, and making a
 * task current (sched_enter()), as sched.c does them (sched.c uses these
 * too). Only sched.c and object/ipc_fast.c include it; sched.h has the
 * contracts.
 */
#ifndef KEEL_SCHED_FAST_H
#define KEEL_SCHED_FAST_H

#include "keel.h"
#include "arch/cpu.h"
#include "arch/riscv.h"
#include "lib/panic.h"
#include "mm/as.h"
#include "sched.h"
#include "lib/spinlock.h"
#include "runq.h"
#include "task.h"

/* A cpu's run queue (sched.c): here so that the fast paths can queue and pick inline. */
struct rq {
	struct spinlock lock;
	struct runq q;	       /* guarded by lock */
	struct task *timeouts; /* timed waits started on this cpu */
	bool offline;	       /* guarded by lock: its cpu is gone, queue elsewhere */
	struct cpu *cpu;       /* immutable after sched_init(): whose queue; nr_ready there */
};

extern struct rq *sched_rqs;	   /* one per possible cpu; sched.c */
extern unsigned int sched_nr_idle; /* atomic: cpus sleeping in their idle loop; sched.c */

#define rq_task(e) ((struct task *)((char *)(e)-offsetof(struct task, rq_entry)))

/* Caller holds rq->lock. */
static inline __attribute__((always_inline)) void rq_enqueue(struct rq *rq, struct task *t)
{
	t->rq_entry.prio = t->prio;
	runq_push(&rq->q, &t->rq_entry);
	__atomic_store_n(&rq->cpu->nr_ready, rq->q.nr, __ATOMIC_RELAXED);
	__atomic_store_n(&t->state, TASK_READY, __ATOMIC_RELEASE);
}

/* Caller holds rq->lock. rq_enqueue(), but ahead of its priority's FIFO. */
static inline __attribute__((always_inline)) void rq_enqueue_front(struct rq *rq, struct task *t)
{
	t->rq_entry.prio = t->prio;
	runq_push_front(&rq->q, &t->rq_entry);
	__atomic_store_n(&rq->cpu->nr_ready, rq->q.nr, __ATOMIC_RELAXED);
	__atomic_store_n(&t->state, TASK_READY, __ATOMIC_RELEASE);
}

static inline bool rq_allowed(const struct runq_entry *e, void *cpu)
{
	return cpumask_test(&rq_task(e)->affinity, (unsigned int)(uintptr_t)cpu);
}

/* Caller holds rq->lock. rq_first(), taken off the queue. */
static inline __attribute__((always_inline)) struct task *rq_take_first(struct rq *rq,
									unsigned int cpu)
{
	struct runq_entry *e = runq_take_first(&rq->q, rq_allowed, (void *)(uintptr_t)cpu);

	if (!e)
		return NULL;
	__atomic_store_n(&rq->cpu->nr_ready, rq->q.nr, __ATOMIC_RELAXED);
	return rq_task(e);
}

/*
 * Is any cpu sleeping in its idle loop? A racy look, as every read of the
 * mask: one counter, not the mask's words (sched_idle() counts a cpu in
 * after it sets its bit, and out just before it clears it).
 */
static inline bool sched_any_idle(void)
{
	return __atomic_load_n(&sched_nr_idle, __ATOMIC_ACQUIRE) != 0;
}

/*
 * sched_wake()'s other cases (sched.c), interrupts off, @t claimed READY:
 * an idle cpu serving a device interrupt, or a cpu chosen by
 * sched_select_cpu(). Returns true.
 */
bool sched_wake_far(struct task *t);

/* sched_wake() with interrupts off; its common case inline. */
static inline __attribute__((always_inline)) bool sched_wake_irqoff(struct task *t)
{
	int expected = TASK_BLOCKED;
	struct cpu *c = this_cpu();

	if (!__atomic_compare_exchange_n(&t->state, &expected, TASK_READY, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE))
		return false;
	/*
	 * The common case where sched_select_cpu() keeps it here (it last
	 * ran here, may stay, this cpu runs a task and no cpu idles): queue
	 * it without the general path's layers. A cpu that runs a task and
	 * is not going offline has its queue online (and is not in its idle
	 * loop's interrupt hook, sched_wake_far()'s first case).
	 */
	if (__builtin_expect(
		    t->cpu == c->id && c->current != c->idle && cpumask_test(&t->affinity, c->id) &&
			    !__atomic_load_n(&c->dying, __ATOMIC_ACQUIRE) && !sched_any_idle(),
		    1)) {
		struct rq *rq = &sched_rqs[c->id];

		spin_lock_irqoff(&rq->lock);
		rq_enqueue(rq, t);
		spin_unlock_irqoff(&rq->lock);
		if (t->prio < c->current->prio) /* sched_kick() here */
			c->need_resched = true;
		return true;
	}
	return sched_wake_far(t);
}

/*
 * Interrupts off, @me running on @c: may @t, which @me's notif_signal
 * woke, have this cpu at once (sched_yield_to())? Only where it may run,
 * on a cpu that stays, and at @me's priority or a more urgent one.
 */
static inline __attribute__((always_inline)) bool sched_may_yield_to(struct cpu *c, struct task *me,
								     struct task *t)
{
	/*
	 * dying relaxed: a hotplug that starts just after this look is met
	 * as any ready task's, by this cpu's next schedule() (sched_evacuate()).
	 */
	return t->prio <= me->prio && ((t->affinity.bits[c->id / 64] >> (c->id % 64)) & 1) &&
	       !__atomic_load_n(&c->dying, __ATOMIC_RELAXED);
}

/* sched_pick() (sched.h's contract), inline. */
static inline __attribute__((always_inline)) struct task *sched_pick_irqoff(void)
{
	struct cpu *c = this_cpu();
	struct rq *rq = &sched_rqs[c->id];
	struct task *next;

	spin_lock_irqoff(&rq->lock);
	next = rq_take_first(rq, c->id);
	if (!next)
		next = c->idle;
	c->need_resched = false;
	spin_unlock_irqoff(&rq->lock);
	return next;
}

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

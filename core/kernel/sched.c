/*
 * sched.c - per-cpu run queues and the decisions about who runs where.
 *
 * Each cpu has a run queue: a FIFO per priority (0 most urgent) of READY
 * tasks. A cpu runs the most urgent ready task; equal priorities take
 * turns on the tick. Its idle task (swapper/N) runs when the queue is
 * empty: it first tries to steal a ready task from the busiest queue,
 * then sleeps in wfi with the tick stopped. A wake-up puts the task on an
 * idle cpu it may run on if there is one (else where it last ran) and
 * sends that cpu an IPI. A busy cpu with tasks waiting pushes one to an
 * idle cpu on its tick.
 *
 * A task is READY in exactly one queue, or RUNNING on exactly one cpu, or
 * BLOCKED/DEAD in none. on_cpu stays 1 until the cpu that ran it has
 * switched away (sched_finish_switch), so a task woken elsewhere while
 * it is still going to sleep is not run twice at once.
 *
 * Locking: rq->lock guards the queue, its timeouts list and the rq_entry,
 * cpu, prio and affinity fields of its tasks; always taken with
 * interrupts off; never two rq locks at once. The idle mask is atomic.
 */
#include "sched.h"
#include "sched_fast.h"
#include "mm/as.h"
#include "runq.h"
#include "arch/cpu.h"
#include "ipi.h"
#include "lib/log.h"
#include "lib/panic.h"
#include "arch/riscv.h"
#include "smp.h"
#include "task.h"
#include "timer.h"
#include "arch/trap.h"

struct rq *sched_rqs; /* one per possible cpu, from sched_init(); immutable after */
static struct cpumask sched_idle_mask; /* atomic: cpus sleeping in their idle loop */
unsigned int sched_nr_idle;	       /* atomic: the cpus in sched_idle_mask, for one look */
static void (*sched_idle_irq)(void);   /* immutable after boot: see sched_set_idle_irq() */

void sched_set_idle_irq(void (*fn)(void))
{
	sched_idle_irq = fn;
}

static void sched_enqueue_on(struct task *t, unsigned int cpu);
__cold static unsigned int sched_fallback_cpu(struct task *t);

static unsigned long irq_save(void)
{
	unsigned long flags = csr_read(sstatus) & SSTATUS_SIE;

	csr_clear(sstatus, SSTATUS_SIE);
	return flags;
}

static void irq_restore(unsigned long flags)
{
	csr_set(sstatus, flags);
}

/* Caller holds rq->lock. Unlink @t (READY in @rq). */
static void rq_remove(struct rq *rq, struct task *t)
{
	BUG_ON(!runq_remove(&rq->q, &t->rq_entry));
	__atomic_store_n(&rq->cpu->nr_ready, rq->q.nr, __ATOMIC_RELAXED);
}

/* Caller holds rq->lock. The most urgent task that may run on @cpu. */
static struct task *rq_first(struct rq *rq, unsigned int cpu)
{
	struct runq_entry *e = runq_first(&rq->q, rq_allowed, (void *)(uintptr_t)cpu);

	return e ? rq_task(e) : NULL;
}

/* Caller holds rq->lock. Any queued task, whatever its affinity. */
static struct task *rq_first_any(struct rq *rq)
{
	struct runq_entry *e = runq_first(&rq->q, NULL, NULL);

	return e ? rq_task(e) : NULL;
}

/* Caller holds rq->lock. The task after @t in its queue, or NULL. */
static struct task *rq_next(struct task *t)
{
	return t->rq_entry.next ? rq_task(t->rq_entry.next) : NULL;
}

bool sched_cpu_idle(unsigned int cpu)
{
	return cpumask_test_atomic(&sched_idle_mask, cpu);
}

__cold static void sched_init_cpu(unsigned int cpu)
{
	struct cpu *c = &cpus[cpu];
	struct rq *rq = &sched_rqs[cpu];

	if (!c->idle) {
		c->idle = task_make_idle(cpu); /* the boot hart; smp.c made the others' */
	} else {
		/* Made by smp.c, or back from hotplug (the old idle context ended in hart_stop). */
		c->idle->state = TASK_RUNNING;
		c->idle->on_cpu = 1;
	}
	c->current = c->idle;
	c->prev = NULL;
	c->need_resched = false;
	spin_lock(&rq->lock);
	rq->offline = false;
	spin_unlock(&rq->lock);
}

__init void sched_init(void)
{
	sched_rqs = smp_alloc_percpu(sizeof(*sched_rqs), "run queues");
	for (unsigned int cpu = 0; cpu < smp_possible_cpus(); cpu++) {
		sched_rqs[cpu].lock = (struct spinlock)SPINLOCK_INIT;
		sched_rqs[cpu].cpu = &cpus[cpu];
	}
	sched_init_cpu(0);
	pr_info("sched: %u priorities, per-cpu run queues, tick %u Hz while busy\n", TASK_PRIOS,
		timer_hz());
}

__cold void sched_init_hart(void)
{
	sched_init_cpu(this_cpu()->id);
}

/* Runs on the cpu that switched, right after sched_switch() returns. */
void sched_finish_switch(void)
{
	struct cpu *c = this_cpu();
	struct task *prev = c->prev;

	c->prev = NULL;
	if (!prev)
		return;
	/* A dead user task's address space goes now: no hart runs it any more. */
	if (prev->as && __atomic_load_n(&prev->state, __ATOMIC_ACQUIRE) == TASK_DEAD) {
		as_destroy(prev->as);
		prev->as = NULL;
	}
	/* Pairs with the acquire loads in schedule() and task_join(). */
	__atomic_store_n(&prev->on_cpu, 0, __ATOMIC_RELEASE);
	if (prev->detached && __atomic_load_n(&prev->state, __ATOMIC_ACQUIRE) == TASK_DEAD)
		task_free(prev);
}

/* The tick runs while a real task runs, and stops for the idle task. */
static void sched_tick_for(struct cpu *c, struct task *next)
{
	bool want = next != c->idle;

	if (want != c->tick_on)
		want ? timer_tick_start() : timer_tick_stop();
}

/* Interrupts off. Send every task of @c's queue (and @prev, if it runs) to other cpus. */
__cold static void sched_evacuate(struct cpu *c, struct task *prev)
{
	struct rq *rq = &sched_rqs[c->id];
	struct task *list = NULL, *t;

	spin_lock(&rq->lock);
	while ((t = rq_first_any(rq))) {
		rq_remove(rq, t);
		t->evac_next = list;
		list = t;
	}
	spin_unlock(&rq->lock);
	if (prev != c->idle && __atomic_load_n(&prev->state, __ATOMIC_ACQUIRE) == TASK_RUNNING) {
		/* Its new cpu waits for on_cpu to drop once we have switched away. */
		__atomic_store_n(&prev->state, TASK_READY, __ATOMIC_RELEASE);
		prev->evac_next = list;
		list = prev;
	}
	while (list) {
		t = list;
		list = t->evac_next;
		sched_enqueue_on(t, sched_fallback_cpu(t));
	}
}

static void sched_switch_to(struct cpu *c, struct task *prev, struct task *next);

void schedule(void)
{
	unsigned long flags = irq_save();
	struct cpu *c = this_cpu();
	struct task *prev = c->current, *next;
	struct rq *rq = &sched_rqs[c->id];

	BUG_ON(c->preempt_count);
	if (__atomic_load_n(&c->dying, __ATOMIC_ACQUIRE))
		sched_evacuate(c, prev);
	spin_lock(&rq->lock);
	if (prev != c->idle && __atomic_load_n(&prev->state, __ATOMIC_ACQUIRE) == TASK_RUNNING)
		rq_enqueue(rq, prev); /* preempted or yielding: to the back */
	next = rq_take_first(rq, c->id);
	if (!next)
		next = c->idle;
	c->need_resched = false;
	spin_unlock(&rq->lock);

	if (next == prev) {
		__atomic_store_n(&next->state, TASK_RUNNING, __ATOMIC_RELEASE);
		irq_restore(flags);
		return;
	}
	sched_switch_to(c, prev, next);
	irq_restore(flags);
}

void *sched_take_slow(struct cpu *c, struct task *prev, struct task *next, void *ret)
{
	sched_tick_for(c, next);
	if (next->as != c->active_as) {
		as_activate(next->as);
		c->active_as = next->as;
	}
	c->current = next;
	c->prev = prev;
	return ret;
}

/* Interrupts off: leave @prev for @next, which no run queue holds, on cpu @c. */
static void sched_switch_to(struct cpu *c, struct task *prev, struct task *next)
{
	BUG_ON(next->pid == 0 && next != c->idle); /* another hart's idle task */
	/* It may still be leaving another cpu (woken while going to sleep). */
	while (__atomic_load_n(&next->on_cpu, __ATOMIC_ACQUIRE))
		cpu_relax();
	sched_take(c, prev, next, NULL);
	sched_switch(&prev->ctx, &next->ctx);
	sched_finish_switch();
}

struct task *sched_pick(void)
{
	return sched_pick_irqoff();
}

void sched_switch_direct(struct task *next)
{
	struct cpu *c = this_cpu();

	BUG_ON(c->preempt_count);
	c->need_resched = false;
	sched_switch_to(c, c->current, next);
}

bool sched_handoff(struct task *next)
{
	unsigned long flags = irq_save();
	struct cpu *c = this_cpu();
	struct task *prev = c->current;
	int expected = TASK_BLOCKED;

	/*
	 * Only where it may run, on a cpu that stays, ahead of nothing more
	 * urgent, and only a task wholly off its last cpu: one still
	 * switching away there is woken the usual way. Claim it as a waker
	 * does (BLOCKED -> READY): schedule() on that cpu must not see it
	 * RUNNING and queue it again.
	 */
	if (__atomic_load_n(&c->dying, __ATOMIC_ACQUIRE) || !cpumask_test(&next->affinity, c->id) ||
	    next == prev || sched_nr_ready(c->id) ||
	    __atomic_load_n(&next->on_cpu, __ATOMIC_ACQUIRE) ||
	    !__atomic_compare_exchange_n(&next->state, &expected, TASK_READY, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		irq_restore(flags);
		return false;
	}
	BUG_ON(c->preempt_count);
	c->need_resched = false;
	sched_switch_to(c, prev, next);
	irq_restore(flags);
	return true;
}

void sched_yield_to(struct task *t)
{
	struct cpu *c = this_cpu();
	struct task *me = c->current;
	struct rq *rq = &sched_rqs[c->id];

	BUG_ON(c->preempt_count || me == c->idle);
	spin_lock(&rq->lock);
	rq_enqueue_front(rq, me);
	spin_unlock(&rq->lock);
	/* need_resched stays: a more urgent task that asked for this cpu preempts @t. */
	sched_switch_to(c, me, t);
}

void sched_yield(void)
{
	schedule();
}

/*
 * Where a waking task should go: an idle cpu it may use, else where it
 * was. Its own cpu first, if it may stay and that cpu is idle, or is
 * this one with nothing but its idle task running (a device interrupt
 * that woke a driver from idle): then no mask is built and no IPI sent.
 * (A cpu in sched_idle_mask is online; this one runs, so it is too.)
 */
static unsigned int sched_select_cpu(struct task *t)
{
	struct cpumask ok, idle;
	unsigned int cpu = t->cpu;
	struct cpu *me = this_cpu();

	if (cpumask_test(&t->affinity, cpu) &&
	    (cpu == me->id ? me->current == me->idle && !me->dying : sched_cpu_idle(cpu)))
		return cpu;
	/* No cpu idle (every hart busy): where it was, as below, without building masks. */
	if (!sched_any_idle() && cpumask_test(&t->affinity, cpu) &&
	    (cpu == me->id ? !me->dying : smp_cpu_online(cpu)))
		return cpu;
	if (!cpumask_and(&ok, &t->affinity, &smp_online_mask))
		return t->cpu; /* nowhere online: leave it where it was */
	if (cpumask_test(&ok, t->cpu) && sched_cpu_idle(t->cpu))
		return t->cpu;
	for (unsigned int i = 0; i < CPUMASK_LONGS; i++)
		idle.bits[i] = __atomic_load_n(&sched_idle_mask.bits[i], __ATOMIC_ACQUIRE);
	if (cpumask_and(&idle, &idle, &ok)) {
		cpu = cpumask_next_wrap(&idle, t->cpu);
		if (cpu < KEEL_MAX_CPUS)
			return cpu;
	}
	if (cpumask_test(&ok, t->cpu))
		return t->cpu;
	return cpumask_next_wrap(&ok, this_cpu()->id);
}

/* Make @cpu look at its queue: locally a flag, remotely an IPI if it helps. */
static void sched_kick(unsigned int cpu, unsigned int prio)
{
	struct cpu *c = &cpus[cpu];
	struct task *cur = __atomic_load_n(&c->current, __ATOMIC_RELAXED);

	if (cpu == this_cpu()->id) {
		if (cur == c->idle || prio < cur->prio)
			c->need_resched = true;
		return;
	}
	/* Pairs with the fence in sched_idle(): either it sees the task or we see it idle. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (sched_cpu_idle(cpu) || !cur || cur == c->idle || prio < cur->prio)
		ipi_send(cpu, IPI_RESCHED);
}

/* An online cpu @t may run on; if there is none, its affinity is broken (logged). */
__cold static unsigned int sched_fallback_cpu(struct task *t)
{
	struct cpumask ok;

	if (!cpumask_and(&ok, &t->affinity, &smp_online_mask)) {
		pr_warn("sched: %s (pid %d): no online hart allowed; now any\n", t->name, t->pid);
		for (unsigned int i = 0; i < CPUMASK_LONGS; i++)
			ok.bits[i] = __atomic_load_n(&smp_online_mask.bits[i], __ATOMIC_ACQUIRE);
		t->affinity = ok;
	}
	return cpumask_next_wrap(&ok, t->cpu);
}

/* Put a READY-to-be task on @cpu's queue (another, if @cpu went offline) and tell it. */
static void sched_enqueue_on(struct task *t, unsigned int cpu)
{
	unsigned long flags = irq_save();
	struct rq *rq;

	for (;;) {
		rq = &sched_rqs[cpu];
		spin_lock(&rq->lock);
		if (!rq->offline)
			break;
		spin_unlock(&rq->lock);
		cpu = sched_fallback_cpu(t);
	}
	t->cpu = cpu;
	rq_enqueue(rq, t);
	spin_unlock(&rq->lock);
	sched_kick(cpu, t->prio);
	irq_restore(flags);
}

bool sched_wake_far(struct task *t)
{
	struct cpu *c = this_cpu();

	/*
	 * Woken by a device interrupt this idle cpu serves in its idle loop
	 * (interrupts off): the idle loop switches to it as soon as the hook
	 * returns, with no run queue in between. Claimed READY, on no queue,
	 * nobody else can take it meanwhile.
	 */
	if (c->in_idle_irq && !c->idle_next && cpumask_test(&t->affinity, c->id) &&
	    !__atomic_load_n(&c->dying, __ATOMIC_ACQUIRE)) {
		c->idle_next = t;
		return true;
	}
	sched_enqueue_on(t, sched_select_cpu(t));
	return true;
}

bool sched_wake(struct task *t)
{
	unsigned long flags = irq_save();
	bool woken = sched_wake_irqoff(t);

	irq_restore(flags);
	return woken;
}

__cold void sched_set_affinity(struct task *t, const struct cpumask *m)
{
	unsigned long flags = irq_save();
	struct rq *rq = &sched_rqs[t->cpu];

	spin_lock(&rq->lock);
	t->affinity = *m;
	spin_unlock(&rq->lock);
	irq_restore(flags);
}

void sched_set_prio(struct task *t, unsigned int prio)
{
	t->prio = prio < TASK_PRIOS ? prio : TASK_PRIOS - 1;
}

__cold int sched_migrate_current(unsigned int cpu)
{
	struct task *t = task_current();
	struct cpumask one;

	if (cpu >= KEEL_MAX_CPUS || !smp_cpu_online(cpu))
		return -KEEL_EINVAL;
	cpumask_clear_all(&one);
	cpumask_set(&one, cpu);
	sched_set_affinity(t, &one);
	if (this_cpu()->id == cpu)
		return 0;
	local_irq_disable();
	/* Queue ourselves over there; @cpu waits for on_cpu before it runs us. */
	sched_enqueue_on(t, cpu);
	schedule();
	local_irq_enable();
	return this_cpu()->id == cpu ? 0 : -KEEL_EBUSY;
}

/* Idle @c: take one ready task from the busiest other queue. */
__cold static bool sched_steal(struct cpu *c)
{
	unsigned int victim = KEEL_MAX_CPUS, most = 0;
	struct task *t = NULL;
	struct rq *rq;

	for (unsigned int cpu = 0; cpu < smp_possible_cpus(); cpu++) {
		unsigned int n = sched_nr_ready(cpu);

		if (cpu != c->id && n > most) {
			most = n;
			victim = cpu;
		}
	}
	if (victim == KEEL_MAX_CPUS)
		return false;
	rq = &sched_rqs[victim];
	spin_lock(&rq->lock);
	t = rq_first(rq, c->id);
	if (t)
		rq_remove(rq, t);
	spin_unlock(&rq->lock);
	if (!t)
		return false;
	rq = &sched_rqs[c->id];
	spin_lock(&rq->lock);
	t->cpu = c->id;
	rq_enqueue(rq, t);
	spin_unlock(&rq->lock);
	return true;
}

/*
 * The idle task of a cpu going offline, interrupts off: refuse new work,
 * hand everything queued (and every timed wait started here) to other
 * cpus, say we are gone and stop the hart through SBI HSM.
 */
__cold static __noreturn void sched_cpu_die(struct cpu *c)
{
	struct rq *rq = &sched_rqs[c->id];
	struct task *timed;

	spin_lock(&rq->lock);
	rq->offline = true;
	timed = rq->timeouts;
	rq->timeouts = NULL;
	spin_unlock(&rq->lock);
	sched_evacuate(c, c->idle);
	/* A timed waiter wakes early and waits again elsewhere: wait loops re-check. */
	while (timed) {
		struct task *t = timed;

		timed = t->timeout_next;
		t->wake_at = 0;
		sched_wake(t);
	}
	cpumask_clear_atomic(&sched_idle_mask, c->id);
	smp_cpu_dead(c);
}

__cold void sched_idle(void)
{
	struct cpu *c = this_cpu();

	for (;;) {
		local_irq_disable();
		if (__atomic_load_n(&c->dying, __ATOMIC_ACQUIRE))
			sched_cpu_die(c);
		if (!sched_nr_ready(c->id) && !c->need_resched && !sched_steal(c)) {
			cpumask_set_atomic(&sched_idle_mask, c->id);
			__atomic_fetch_add(&sched_nr_idle, 1, __ATOMIC_RELEASE);
			/* Pairs with the fence in sched_kick(). */
			__atomic_thread_fence(__ATOMIC_SEQ_CST);
			timer_reprogram();
			/* A pending interrupt ends wfi even while masked (priv. spec 3.3.3). */
			if (!sched_nr_ready(c->id) && !c->need_resched)
				riscv_wfi();
			__atomic_fetch_sub(&sched_nr_idle, 1, __ATOMIC_RELEASE);
			cpumask_clear_atomic(&sched_idle_mask, c->id);
			/* What woke us, served here without a trap frame (interrupts still off). */
			if (sched_idle_irq) {
				c->in_idle_irq = true;
				sched_idle_irq();
				c->in_idle_irq = false;
			}
		}
		if (c->idle_next) {
			struct task *t = c->idle_next;

			c->idle_next = NULL;
			sched_switch_direct(t);
		}
		local_irq_enable();
		if (sched_nr_ready(c->id) || c->need_resched)
			schedule();
	}
}

/* The tick, on a cpu running a task: time-slice it, push waiting work to idle cpus. */
__cold void sched_tick(void)
{
	struct cpu *c = this_cpu();
	struct rq *rq = &sched_rqs[c->id];
	struct task *t, *cur = c->current;
	unsigned int target = KEEL_MAX_CPUS;

	if (!sched_nr_ready(c->id))
		return;
	spin_lock(&rq->lock);
	t = rq_first(rq, c->id);
	if (t && t->prio <= cur->prio)
		c->need_resched = true;
	/* More waiting than this cpu can run: give one to an idle cpu. */
	for (struct task *w = t; w; w = rq_next(w)) {
		for (unsigned int cpu = 0; cpu < smp_possible_cpus(); cpu++) {
			if (cpu != c->id && sched_cpu_idle(cpu) &&
			    cpumask_test(&w->affinity, cpu)) {
				target = cpu;
				break;
			}
		}
		if (target < KEEL_MAX_CPUS) {
			rq_remove(rq, w);
			t = w;
			break;
		}
	}
	spin_unlock(&rq->lock);
	if (target < KEEL_MAX_CPUS)
		sched_enqueue_on(t, target);
}

void sched_block_until(uint64_t deadline)
{
	unsigned long flags = irq_save();
	struct cpu *c = this_cpu();
	struct task *t = c->current;
	struct rq *rq;

	irq_restore(flags);
	t->timed_out = false;
	if (deadline) {
		flags = irq_save();
		c = this_cpu();
		rq = &sched_rqs[c->id];
		spin_lock(&rq->lock);
		t->wake_at = deadline;
		t->timeout_cpu = c->id;
		t->timeout_next = rq->timeouts;
		rq->timeouts = t;
		spin_unlock(&rq->lock);
		timer_reprogram();
		irq_restore(flags);
	}
	schedule();
	if (!deadline)
		return;
	/* Woken (or timed out): make sure we are off the timeouts list. */
	flags = irq_save();
	rq = &sched_rqs[t->timeout_cpu];
	spin_lock(&rq->lock);
	for (struct task **pp = &rq->timeouts; *pp; pp = &(*pp)->timeout_next) {
		if (*pp == t) {
			*pp = t->timeout_next;
			break;
		}
	}
	t->wake_at = 0;
	spin_unlock(&rq->lock);
	irq_restore(flags);
}

/* From the timer interrupt: wake the timed waits of this cpu that are due. */
__cold void sched_timeouts(void)
{
	struct rq *rq = &sched_rqs[this_cpu()->id];
	uint64_t now = riscv_rdtime();
	struct task *due[32];
	unsigned int n;

	/*
	 * Take the due tasks off the list under the lock, into an array: once
	 * the lock is dropped a due task may be woken by someone else, run
	 * and start another timed wait, reusing its timeout_next. Waking one
	 * that has moved on is a spurious wake-up, which every waiter allows.
	 */
	do {
		n = 0;
		spin_lock(&rq->lock);
		for (struct task **pp = &rq->timeouts; *pp && n < ARRAY_SIZE(due);) {
			struct task *t = *pp;

			if (t->wake_at && t->wake_at <= now) {
				*pp = t->timeout_next;
				t->timed_out = true;
				due[n++] = t;
			} else {
				pp = &t->timeout_next;
			}
		}
		spin_unlock(&rq->lock);
		for (unsigned int i = 0; i < n; i++)
			sched_wake(due[i]);
	} while (n == ARRAY_SIZE(due));
}

uint64_t sched_next_timeout(void)
{
	struct rq *rq = &sched_rqs[this_cpu()->id];
	uint64_t next = UINT64_MAX;

	/*
	 * Only this cpu adds to its list (sched_block_until()), so an empty
	 * list read without the lock stays empty until we add: no lock for
	 * the common case, a switch with no timed wait anywhere here.
	 */
	if (!__atomic_load_n(&rq->timeouts, __ATOMIC_RELAXED))
		return next;
	spin_lock(&rq->lock);
	for (struct task *t = rq->timeouts; t; t = t->timeout_next)
		if (t->wake_at && t->wake_at < next)
			next = t->wake_at;
	spin_unlock(&rq->lock);
	return next;
}

/* At the end of a trap: switch if the tick or an IPI asked for it. */
void sched_preempt_check(void)
{
	struct cpu *c = this_cpu();

	if (c->need_resched && !c->preempt_count && c->current)
		schedule();
}

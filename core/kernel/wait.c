/*
 * wait.c - wait queues, completions, mutexes, sleeping.
 *
 * A waiter puts itself on the queue and marks itself BLOCKED under the
 * owner's lock, drops the lock and calls the scheduler; a waker takes a
 * task off the queue under the same lock and makes it READY. A wake-up
 * that comes between the unlock and the switch is not lost: the state is
 * READY by then and schedule() simply lets the task go on.
 */
#include "wait.h"
#include "arch/cpu.h"
#include "lib/log.h"
#include "arch/riscv.h"
#include "sched.h"
#include "task.h"
#include "timer.h"

/* Caller holds the owner's lock. */
void wq_add(struct waitqueue *wq, struct task *t)
{
	t->wq_next = NULL;
	if (wq->tail)
		wq->tail->wq_next = t;
	else
		wq->head = t;
	wq->tail = t;
}

/* Caller holds the owner's lock. */
void wq_del(struct waitqueue *wq, struct task *t)
{
	struct task *prev = NULL;

	for (struct task *w = wq->head; w; prev = w, w = w->wq_next) {
		if (w != t)
			continue;
		if (prev)
			prev->wq_next = w->wq_next;
		else
			wq->head = w->wq_next;
		if (wq->tail == w)
			wq->tail = prev;
		return;
	}
}

/* Caller holds the owner's lock. */
struct task *wq_pop(struct waitqueue *wq)
{
	struct task *t = wq->head;

	if (t) {
		wq->head = t->wq_next;
		if (!wq->head)
			wq->tail = NULL;
	}
	return t;
}

void completion_init(struct completion *c)
{
	c->lock = (struct spinlock)SPINLOCK_INIT;
	c->done = 0;
	c->wq.head = c->wq.tail = NULL;
}

void complete(struct completion *c)
{
	unsigned long flags = spin_lock_irqsave(&c->lock);
	struct task *t;

	c->done++;
	t = wq_pop(&c->wq);
	spin_unlock_irqrestore(&c->lock, flags);
	if (t)
		sched_wake(t);
}

void complete_all(struct completion *c)
{
	unsigned long flags = spin_lock_irqsave(&c->lock);
	struct task *all;

	c->done = UINT32_MAX / 2; /* every later wait passes too */
	all = c->wq.head;
	c->wq.head = c->wq.tail = NULL;
	spin_unlock_irqrestore(&c->lock, flags);
	while (all) {
		struct task *t = all;

		all = t->wq_next;
		sched_wake(t);
	}
}

static uint64_t wait_deadline(unsigned int timeout_ms)
{
	if (timeout_ms == WAIT_FOREVER)
		return 0;
	return riscv_rdtime() + (uint64_t)timeout_ms * timer_timebase() / 1000;
}

static int wait_completion(struct completion *c, unsigned int timeout_ms, const char *what,
			   bool killable)
{
	struct task *me = task_current();
	uint64_t deadline = wait_deadline(timeout_ms);
	unsigned long flags = spin_lock_irqsave(&c->lock);

	while (!c->done) {
		if (killable && task_killed(me)) {
			spin_unlock_irqrestore(&c->lock, flags);
			return -KEEL_ETIMEDOUT;
		}
		if (deadline && riscv_rdtime() >= deadline) {
			spin_unlock_irqrestore(&c->lock, flags);
			pr_warn("wait: %s (pid %d) gave up waiting for %s after %u ms\n", me->name,
				me->pid, what, timeout_ms);
			return -KEEL_ETIMEDOUT;
		}
		wq_add(&c->wq, me);
		if (killable)
			task_block_killable(me);
		else
			__atomic_store_n(&me->state, TASK_BLOCKED, __ATOMIC_RELEASE);
		/* Interrupts stay off until we are switched out: no preemption while BLOCKED. */
		spin_unlock(&c->lock);
		sched_block_until(deadline);
		spin_lock(&c->lock);
		wq_del(&c->wq, me);
	}
	c->done--;
	spin_unlock_irqrestore(&c->lock, flags);
	return 0;
}

int wait_for_completion(struct completion *c, unsigned int timeout_ms, const char *what)
{
	return wait_completion(c, timeout_ms, what, false);
}

int wait_for_completion_killable(struct completion *c)
{
	return wait_completion(c, WAIT_FOREVER, NULL, true);
}

void mutex_init(struct mutex *m)
{
	m->lock = (struct spinlock)SPINLOCK_INIT;
	m->owner = NULL;
	m->wq.head = m->wq.tail = NULL;
}

void mutex_lock(struct mutex *m)
{
	struct task *me = task_current();
	unsigned long flags = spin_lock_irqsave(&m->lock);

	while (m->owner) {
		wq_add(&m->wq, me);
		__atomic_store_n(&me->state, TASK_BLOCKED, __ATOMIC_RELEASE);
		spin_unlock(&m->lock);
		sched_block_until(0);
		spin_lock(&m->lock);
		wq_del(&m->wq, me);
	}
	m->owner = me;
	spin_unlock_irqrestore(&m->lock, flags);
}

void mutex_unlock(struct mutex *m)
{
	unsigned long flags = spin_lock_irqsave(&m->lock);
	struct task *t;

	m->owner = NULL;
	t = wq_pop(&m->wq);
	spin_unlock_irqrestore(&m->lock, flags);
	if (t)
		sched_wake(t);
}

void task_sleep_us(uint64_t us)
{
	uint64_t deadline = riscv_rdtime() + us * timer_timebase() / 1000000;
	struct task *me = task_current();

	unsigned long flags = csr_read(sstatus) & SSTATUS_SIE;

	while (riscv_rdtime() < deadline && !task_killed(me)) {
		csr_clear(sstatus, SSTATUS_SIE);
		task_block_killable(me);
		sched_block_until(deadline);
		csr_set(sstatus, flags);
	}
}

/*
 * ipc_fast.c - the IPC fast paths, as seL4's fastpath: ipc_call and
 * ipc_reply_recv in their common case, notif_signal and notif_wait,
 * straight from the trap frame. Built for speed (tools/gen-kernel-ninja.py's
 * HOT set), as are the notification's signal and the end of a wait the
 * fast path blocked, the way of a device interrupt to its driver; the
 * objects and every other case are ipc.c's, built for size.
 *
 * Call and reply_recv: a message of label and four words (no handle), a
 * partner already waiting, blocked and off every cpu, that may run here,
 * and nothing else ready here. Anything unusual and nothing is touched:
 * the caller takes the slow path (NULL).
 *
 * The caller blocks with nothing on its kernel stack: its user registers
 * are all in its frame (trap_entry.S saved s0-s11 too) and its context
 * resumes at ipc_fast_resume, which finishes the call through the slow
 * path's own wait (ipc_fast_resumed()). Such a task is marked fast_wait.
 * A partner so marked gets its result written into its frame and runs
 * from there at once: its wait ends exactly as ipc_fast_resumed() would
 * end it. A partner blocked in the slow path gets the message in its
 * struct ipc_task and is switched to as any woken task. Either way the
 * state left behind is the slow path's, so either side may take the
 * other path next time, and a kill, a signal, a closed handle or a
 * timeout that meets a fast waiter is handled by the slow path's code.
 *
 * Notifications: signal and wait without the system call table's
 * layers, and a wait that blocks runs what this hart runs next itself
 * (sched_pick()): a task that waits on a notification through this
 * path and whose bits are there takes them and runs straight from its
 * frame. The waiter's state stays the slow path's (on the
 * notification's waiters until a signal takes it off), and what it gets
 * is computed when it runs, as ipc_notif_wait() does, so signals that
 * come meanwhile add up the same.
 *
 * A signal that wakes a waiter which may run on this hart, at the
 * signaller's priority or a more urgent one, hands the hart to it (both
 * paths: ipc_notif_signal_task(), sched_yield_to()): the signaller goes
 * to the front of its run queue, to resume from its frame (it is marked
 * fast_wait, its result set), and the waiter takes its bits and runs at
 * once. notif_signal and notif_wait save s0-s11 in the frame only to
 * switch (trap_entry.S, .Lnotif_fast), so a task made current without
 * a frame is returned as IPC_FAST_CTX, not switched to here.
 *
 * Locking: ipc.c's (ipc_lock for endpoints, each notification's lock).
 * Interrupts are off throughout (the trap entry left them off), so
 * this_cpu() stays ours.
 */
#include "ipc.h"
#include "ipc_impl.h"
#include "handle.h"
#include "arch/cpu.h"
#include "arch/trap.h"
#include "kernel/sched.h"
#include "kernel/sched_fast.h"
#include "platform/cmdline.h"
#include "keel/syscall.h"

#define FA(n) tf_arg(tf, n)
#define FAST  inline __attribute__((always_inline))

static void notif_fast_resumed(struct trap_frame *tf);
static __attribute__((noinline)) void notif_wake_bound(struct notification *n);

void ipc_fast_resume(void); /* arch/trap_entry.S */

/* May this system call of @me on @c try a fast path at all? Relaxed looks: hints. */
static FAST bool fast_may(struct cpu *c, struct task *me)
{
	/*
	 * dying relaxed too: a hotplug that starts just after this look is
	 * met as on the slow path (sched_handoff()), by the cpu's next pick.
	 */
	return cmdline.ipc_fastpath && !__atomic_load_n(&me->killed, __ATOMIC_RELAXED) &&
	       !__atomic_load_n(&c->dying, __ATOMIC_RELAXED);
}

/* As fast_may(), for a call or reply_recv, which also wants nothing else ready here. */
static FAST bool fast_may_switch(struct cpu *c, struct task *me)
{
	return !__atomic_load_n(&c->nr_ready, __ATOMIC_RELAXED) && fast_may(c, me);
}

/*
 * @me's object of type @kt in handle a0 with @need, or NULL. No lock: it
 * is our own table, which only we change (a spawn fills a child's before
 * it first runs), and the slot's load depends on the table's address.
 */
static FAST struct kobj *fast_obj(struct task *me, struct trap_frame *tf,
				  const struct kobj_type *kt, unsigned int need)
{
	struct handle_table *ht = __atomic_load_n(&me->handles, __ATOMIC_RELAXED);
	unsigned long h = FA(1);
	struct handle *e;

	if (!ht || h >= HANDLE_MAX)
		return NULL;
	e = &ht->slot[h];
	if (!e->obj || e->obj->kt != kt || (e->rights & need) != need)
		return NULL;
	return e->obj;
}

/* @cpu in @t's affinity (@cpu is a real cpu id: no bounds check). */
static FAST bool fast_allowed(struct task *t, unsigned int cpu)
{
	return (t->affinity.bits[cpu / 64] >> (cpu % 64)) & 1;
}

/*
 * Is @t parked in the core, off every cpu, free to run on @cpu? Relaxed
 * looks, each a hint (the claim, fast_claim(), orders what follows; a
 * kill that lands after the look is seen at @t's return to user mode,
 * as on the slow path), but on_cpu's: its acquire pairs with the release
 * of the cpu @t left, as sched_enter()'s wait would. It stays 0 until
 * our claim: only a claimer runs @t, and an IPC waiter blocks again only
 * under ipc_lock, which we hold from this look to the claim, so no wake,
 * run and block comes between. So fast_switch() needs no wait.
 */
static FAST bool fast_partner(struct task *t, unsigned int cpu)
{
	return t && fast_allowed(t, cpu) && !__atomic_load_n(&t->killed, __ATOMIC_RELAXED) &&
	       !__atomic_load_n(&t->on_cpu, __ATOMIC_ACQUIRE) &&
	       __atomic_load_n(&t->state, __ATOMIC_RELAXED) == TASK_BLOCKED;
}

/* Claim blocked @t as a waker does: from here on it is ours to run. */
static FAST bool fast_claim(struct task *t)
{
	int expected = TASK_BLOCKED;

	return __atomic_compare_exchange_n(&t->state, &expected, TASK_READY, false,
					   __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

static FAST struct trap_frame *fast_frame(struct task *t)
{
	return (struct trap_frame *)(t->stack_top - sizeof(struct trap_frame));
}

/*
 * The owner's lock held: @me waits as ipc_fast_resume, with nothing of
 * its own on this stack, on @on (an endpoint, or a notification). As
 * task_block_killable(), but the caller looks at the kill after it
 * (fast_killed()), and wakes us if it came meanwhile: we see it then.
 */
static FAST void fast_block(struct task *me, struct trap_frame *tf, struct kobj *on)
{
	me->ipc.fast_wait = true;
	me->ipc.fast_ep = on;
	me->ctx.ra = (unsigned long)ipc_fast_resume;
	me->ctx.sp = (unsigned long)tf;
	/* Release: a waker on another hart claims us, then reads ctx. */
	__atomic_store_n(&me->state, TASK_BLOCKED, __ATOMIC_RELEASE);
}

/*
 * After fast_block(): were we killed? The full fence orders our store of
 * the state before this load, as the kill orders its store of killed
 * before its wake-up's look at the state (task_kill(): the store, a full
 * fence, then the compare-and-swap): one of us sees the other.
 */
static FAST bool fast_killed(struct task *me)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return __atomic_load_n(&me->killed, __ATOMIC_RELAXED);
}

/* Run @next, claimed, blocked in the slow path, from its context; never returns. */
static __attribute__((noinline, noreturn)) void fast_run_ctx(struct task *next)
{
	struct context dead; /* ours is set (fast_block()): the save goes nowhere */

	sched_enter(next, NULL);
	sched_switch(&dead, &next->ctx);
	__builtin_unreachable();
}

/* fast_switch()'s rare cases: we were killed meanwhile, or @next has no frame @to. */
static __attribute__((noinline)) struct trap_frame *
fast_switch_slow(struct spinlock *l, struct task *me, struct task *next, struct trap_frame *to)
{
	if (fast_killed(me)) {
		sched_wake(me);
		/* Back at once, as the slow path never blocks a killed caller. */
		this_cpu()->need_resched = true;
	}
	spin_unlock_irqoff(l);
	if (!to)
		fast_run_ctx(next);
	return sched_enter(next, to);
}

/*
 * The owner's lock @l held, @me blocked (fast_block()), @next claimed:
 * drop @l and run @next here. Returns @to, its frame to leave through;
 * without one (@next blocked in the slow path) switches to its context,
 * never to return. Every call is in tail position: the common case
 * needs no stack frame.
 */
static FAST struct trap_frame *fast_switch(struct spinlock *l, struct task *me, struct task *next,
					   struct trap_frame *to)
{
	if (__builtin_expect(fast_killed(me) || !to, 0))
		return fast_switch_slow(l, me, next, to);
	spin_unlock_irqoff(l);
	return sched_take(this_cpu(), me, next, to); /* sched_enter(), on_cpu known 0 */
}

/* ipc_lock held: partner @p, fast_wait, gets @tf's message and @ret in its frame. */
static FAST struct trap_frame *fast_give(struct trap_frame *tf, struct task *p, long ret)
{
	struct trap_frame *pf = fast_frame(p);

	p->ipc.fast_wait = false;
	tf_arg(pf, 1) = (unsigned long)ret;
	tf_arg(pf, 2) = FA(2);
	for (int i = 0; i < IPC_WORDS; i++)
		tf_arg(pf, 3 + i) = FA(3 + i);
	tf_arg(pf, 7) = (unsigned long)KEEL_HANDLE_NONE;
	return pf;
}

/* ipc_lock held: @p, claimed, gets @tf's message as its receive's or its call's result. */
static FAST struct trap_frame *fast_deliver(struct trap_frame *tf, struct task *p, long ret)
{
	ipc_end_wait(p, 0);
	if (p->ipc.fast_wait)
		return fast_give(tf, p, ret);
	/* ipc_words_from_frame(), inline: no call in the common path. */
	p->ipc.msg.label = FA(2);
	for (int i = 0; i < IPC_WORDS; i++)
		p->ipc.msg.w[i] = FA(3 + i);
	p->ipc.msg.xfer = NULL;
	p->ipc.msg.xfer_rights = 0;
	return NULL;
}

struct trap_frame *ipc_fast_call(struct trap_frame *tf)
{
	struct cpu *c = this_cpu();
	struct task *me = c->current, *p;
	struct trap_frame *pf;
	struct endpoint *ep;
	struct kobj *o;

	if ((long)FA(7) != KEEL_HANDLE_NONE || !fast_may_switch(c, me))
		return NULL;
	o = fast_obj(me, tf, &ipc_ep_type, KEEL_R_SEND);
	if (!o)
		return NULL;
	ep = ep_of(o);
	spin_lock_irqoff(&ipc_lock);
	p = ep->receivers.head;
	if (!ep->nrecv || !fast_partner(p, c->id) || p->ipc.reply_to || !fast_claim(p)) {
		spin_unlock_irqoff(&ipc_lock);
		return NULL;
	}
	/* ipc_call()'s rendezvous with a waiting receiver, and its wait for the reply. */
	ep->receivers.head = p->wq_next; /* wq_pop() */
	if (!p->wq_next)
		ep->receivers.tail = NULL;
	p->ipc.reply_to = me;
	p->ipc.reply_lost = false;
	p->ipc.sender = me->pid;
	me->ipc.state = IPC_WAIT_REPLY;
	me->ipc.server = p;
	ipc_call_enter(me);
	pf = fast_deliver(tf, p, me->pid);
	fast_block(me, tf, o);
	return fast_switch(&ipc_lock, me, p, pf);
}

struct trap_frame *ipc_fast_reply_recv(struct trap_frame *tf)
{
	struct cpu *c = this_cpu();
	struct task *me = c->current, *p;
	struct trap_frame *pf;
	struct endpoint *ep;
	struct kobj *o;

	if ((long)FA(7) != KEEL_HANDLE_NONE || !fast_may_switch(c, me))
		return NULL;
	o = fast_obj(me, tf, &ipc_ep_type, KEEL_R_RECEIVE);
	if (!o)
		return NULL;
	ep = ep_of(o);
	spin_lock_irqoff(&ipc_lock);
	p = me->ipc.reply_to;
	if (!ep->nsend || ep->bound || ep->senders.head || !fast_partner(p, c->id) ||
	    p->ipc.state != IPC_WAIT_REPLY || !fast_claim(p)) {
		spin_unlock_irqoff(&ipc_lock);
		return NULL;
	}
	/* ipc_reply_recv(): the reply, and a receive with no caller queued. */
	me->ipc.reply_to = NULL;
	me->ipc.state = IPC_RECEIVING;
	me->wq_next = NULL; /* wq_add() */
	if (ep->receivers.tail)
		ep->receivers.tail->wq_next = me;
	else
		ep->receivers.head = me;
	ep->receivers.tail = me;
	pf = fast_deliver(tf, p, 0);
	if (pf)
		ipc_call_leave(p); /* its ipc_call() is over: ipc_fast_resumed() would leave */
	fast_block(me, tf, o);
	return fast_switch(&ipc_lock, me, p, pf);
}

/* The current task's notification handle in a0 with @need, or NULL. */
static FAST struct notification *fast_notif(struct task *me, struct trap_frame *tf,
					    unsigned int need)
{
	struct kobj *o = fast_obj(me, tf, &ipc_notif_type, need);

	return o ? notif_of(o) : NULL;
}

/*
 * notif_signal handing this hart to @t (sched_may_yield_to(), claimed),
 * @n's lock held: @me goes to the front of the queue, to resume from @tf
 * (ipc_fast_resume, or a pick of the fast path's: fast_picked()); @t
 * runs, from its frame with its bits if it waits through the fast path.
 */
static FAST struct trap_frame *fast_yield_to(struct cpu *c, struct notification *n, struct task *me,
					     struct trap_frame *tf, struct task *t)
{
	struct rq *rq = &sched_rqs[c->id];
	struct trap_frame *to = NULL;

	if (t->ipc.fast_wait) { /* fast_notif_done(), its bits there */
		to = fast_frame(t);
		t->ipc.fast_wait = false;
		tf_arg(to, 1) = 0;
		tf_arg(to, 2) = n->bits;
		n->bits = 0;
	}
	spin_unlock_irqoff(&n->lock);
	me->ipc.fast_wait = true;
	me->ctx.ra = (unsigned long)ipc_fast_resume;
	me->ctx.sp = (unsigned long)tf;
	spin_lock_irqoff(&rq->lock);
	rq_enqueue_front(rq, me); /* sched_yield_to() */
	spin_unlock_irqoff(&rq->lock);
	return sched_enter(t, to ? to : (struct trap_frame *)IPC_FAST_CTX);
}

struct trap_frame *ipc_fast_signal(struct trap_frame *tf)
{
	struct cpu *c = this_cpu();
	struct task *me = c->current, *t;
	/* A kill is met at the return to user mode; a dying cpu in sched_may_yield_to(). */
	struct notification *n = cmdline.ipc_fastpath ? fast_notif(me, tf, KEEL_R_SIGNAL) : NULL;

	if (!n)
		return NULL;
	spin_lock_irqoff(&n->lock);
	if (n->bound_ep) { /* a receiver of the endpoint may take them: the general way */
		spin_unlock_irqoff(&n->lock);
		return NULL;
	}
	/* ipc_notif_signal_task() without a bound endpoint. */
	FA(1) = 0;
	n->bits |= FA(2);
	t = n->bits ? n->waiters.head : NULL;
	if (t) {
		n->waiters.head = t->wq_next; /* wq_pop() */
		if (!t->wq_next)
			n->waiters.tail = NULL;
		if (sched_may_yield_to(c, me, t) && fast_claim(t))
			return fast_yield_to(c, n, me, tf, t);
		sched_wake_irqoff(t);
	}
	spin_unlock_irqoff(&n->lock);
	return tf;
}

/*
 * @t, a notification waiter of the fast path taken off the run queue
 * (ours to run): its bits, if there are any, into its frame; its frame,
 * or NULL if it must run its own way (ipc_fast_resume) to wait on.
 */
static FAST struct trap_frame *fast_notif_done(struct task *t)
{
	struct notification *n = notif_of(t->ipc.fast_ep);
	struct trap_frame *tf = fast_frame(t);
	unsigned long bits;

	spin_lock_irqoff(&n->lock);
	bits = n->bits;
	if (!bits) {
		spin_unlock_irqoff(&n->lock);
		return NULL;
	}
	wq_del(&n->waiters, t);
	n->bits = 0;
	t->ipc.fast_wait = false;
	spin_unlock_irqoff(&n->lock);
	FA(1) = 0;
	FA(2) = bits;
	return tf;
}

/*
 * @t, taken off the run queue, is marked fast_wait: a notification waiter
 * (fast_notif_done()) or a signaller that handed its hart over
 * (fast_yield_to(), its result set). Its frame to run from, or NULL.
 */
static FAST struct trap_frame *fast_picked(struct task *t)
{
	unsigned long nr = fast_frame(t)->regs[17 - 1];

	if (nr == SYS_notif_wait)
		return fast_notif_done(t);
	if (nr != SYS_notif_signal)
		return NULL;
	t->ipc.fast_wait = false;
	return fast_frame(t);
}

struct trap_frame *ipc_fast_wait(struct trap_frame *tf)
{
	struct cpu *c = this_cpu();
	struct task *me = c->current, *next;
	struct notification *n;
	struct trap_frame *to = NULL;

	n = cmdline.ipc_fastpath ? fast_notif(me, tf, KEEL_R_WAIT) : NULL;
	if (!n)
		return NULL;
	spin_lock_irqoff(&n->lock);
	if (n->bits) { /* a kill is met at the return to user mode, as on the slow path */
		FA(2) = n->bits;
		n->bits = 0;
		spin_unlock_irqoff(&n->lock);
		FA(1) = 0;
		return tf;
	}
	if (!fast_may(c, me)) {
		spin_unlock_irqoff(&n->lock);
		return NULL;
	}
	me->wq_next = NULL; /* wq_add() */
	if (n->waiters.tail)
		n->waiters.tail->wq_next = me;
	else
		n->waiters.head = me;
	n->waiters.tail = me;
	fast_block(me, tf, &n->obj);
	if (fast_killed(me))
		sched_wake(me);
	spin_unlock_irqoff(&n->lock);
	next = sched_pick_irqoff();
	if (next == me) { /* woken meanwhile (a kill): go on as ipc_fast_resume would */
		__atomic_store_n(&me->state, TASK_RUNNING, __ATOMIC_RELEASE);
		notif_fast_resumed(tf);
		return tf;
	}
	if (next->ipc.fast_wait)
		to = fast_picked(next);
	return sched_enter(next, to ? to : (struct trap_frame *)IPC_FAST_CTX);
}

void ipc_fast_switch_ctx(void)
{
	/* Ours is set (fast_block(), fast_yield_to()): the save goes nowhere. */
	struct context dead;

	sched_switch(&dead, &this_cpu()->current->ctx);
	__builtin_unreachable();
}

/*
 * The rest of a notification's way from a device interrupt to its driver
 * (irq.c signals, the driver's wait resumes): here, built for speed too.
 */

/*
 * ipc_notif_signal(), and with @me (notif_signal's caller) the hand-off
 * to the waiter it wakes (sched_may_yield_to()); NULL: an interrupt or an
 * exit signals, and the waiter is woken as any task.
 */
static FAST void notif_signal(struct kobj *o, unsigned long bits, struct task *me)
{
	struct notification *n = notif_of(o);
	unsigned long flags = spin_lock_irqsave(&n->lock);
	struct task *t, *to = NULL;
	struct endpoint *ep;

	n->bits |= bits;
	t = n->bits ? wq_pop(&n->waiters) : NULL;
	/* Interrupts are off (the lock's irqsave) until the hand-off: this cpu stays ours. */
	if (t && me && sched_may_yield_to(this_cpu(), me, t) && fast_claim(t))
		to = t;
	else if (t)
		sched_wake_irqoff(t);
	ep = n->bits ? n->bound_ep : NULL;
	spin_unlock(&n->lock);
	if (ep)
		notif_wake_bound(n);
	if (to)
		sched_yield_to(to);
	csr_set(sstatus, flags); /* spin_unlock_irqrestore()'s second half */
}

void ipc_notif_signal(struct kobj *o, unsigned long bits)
{
	notif_signal(o, bits, NULL);
}

void ipc_notif_signal_task(struct kobj *o, unsigned long bits)
{
	notif_signal(o, bits, task_current());
}

/*
 * Wake a receiver of @n's bound endpoint; it takes the bits itself.
 * ipc_lock comes before a notification's lock, so take both afresh and
 * look again: the endpoint's last drop clears bound_ep under our lock
 * before it frees the endpoint, so while we hold that lock and bound_ep
 * names it, it is there.
 */
static __attribute__((noinline)) void notif_wake_bound(struct notification *n)
{
	unsigned long flags = spin_lock_irqsave(&ipc_lock);
	struct endpoint *ep;
	struct task *t;

	spin_lock(&n->lock);
	ep = n->bits ? n->bound_ep : NULL;
	if (ep && ep->bound == n) {
		t = wq_pop(&ep->receivers);
		if (t) { /* ipc.c's ipc_finish() */
			ipc_end_wait(t, IPC_NOTIFIED);
			sched_wake(t);
		}
	}
	spin_unlock(&n->lock);
	spin_unlock_irqrestore(&ipc_lock, flags);
}

/* ipc_fast_resume for a notification wait: finish it as ipc_notif_wait() does. */
static void notif_fast_resumed(struct trap_frame *tf)
{
	struct task *me = task_current();
	struct notification *n = notif_of(me->ipc.fast_ep);
	unsigned long flags = spin_lock_irqsave(&n->lock);

	me->ipc.fast_wait = false;
	wq_del(&n->waiters, me);
	FA(2) = ipc_notif_take(n, me);
	spin_unlock_irqrestore(&n->lock, flags);
	FA(1) = 0;
}

void ipc_fast_resumed(struct trap_frame *tf)
{
	if (tf->regs[17 - 1] == SYS_notif_signal) /* handed its hart over: its result is set */
		task_current()->ipc.fast_wait = false;
	else if (tf->regs[17 - 1] == SYS_notif_wait)
		notif_fast_resumed(tf);
	else
		ipc_ep_fast_resumed(tf);
}

/*
 * ipc.c - synchronous endpoints and notifications.
 *
 * A call finds a receiver waiting (or queues on the endpoint's senders);
 * the message moves from the caller's struct ipc_task to the receiver's,
 * which records the caller in reply_to. The caller then waits for the
 * reply, which moves back the same way. Nothing is copied through user
 * memory: syscall.c fills and empties struct ipc_msg from the trap frames.
 *
 * Nobody waits forever on a partner that cannot come: an endpoint counts
 * the references that may send and those that may receive. When the last
 * receiver reference goes, queued callers fail with -KEEL_EPEER (and later
 * calls fail at once); when the last sender reference goes, waiting
 * receivers do. A task that exits owing a reply fails that caller. A call
 * that could only ever be taken by the caller itself, or by tasks that
 * are themselves stuck in calls waiting, in the end, on the caller (a
 * cycle), is -KEEL_EDEADLK (ipc_only_me()).
 *
 * A kill ends every wait here: a queued call or receive leaves its
 * queue; a caller whose message a server took leaves too, and that
 * server's reply then fails with -KEEL_EPEER (reply_lost).
 *
 * Locking: ipc_lock guards every endpoint and every task's struct
 * ipc_task (one lock: a rendezvous touches two tasks and an endpoint at
 * once). A notification has its own lock. Lock order: ipc_lock, a handle
 * table's lock, a run queue's lock. Wake-ups are made under the lock, so
 * the woken task cannot be gone by then; each waiter loops on its state,
 * so an early or spurious wake-up is harmless (wait.c's rule).
 */
#include "ipc.h"
#include "arch/cpu.h"
#include "handle.h"
#include "arch/riscv.h"
#include "kernel/sched.h"
#include "lib/spinlock.h"
#include "lib/string.h"
#include "kernel/task.h"
#include "arch/trap.h"
#include "kernel/wait.h"
#include "mm/kmem.h"
#include "lib/quota.h"
#include "platform/cmdline.h"

enum {
	IPC_IDLE,	/* not waiting: its status and msg are its result */
	IPC_SENDING,	/* queued on an endpoint's senders */
	IPC_RECEIVING,	/* queued on an endpoint's receivers */
	IPC_WAIT_REPLY, /* a receiver took its message */
};

/* A receiver's status when its endpoint's bound notification woke it. */
#define IPC_NOTIFIED 1

struct endpoint {
	struct kobj obj;
	struct quota *quota;		 /* charged one object (a reference), or NULL */
	unsigned int refs, nsend, nrecv; /* references, and those with each right */
	struct waitqueue senders;	 /* callers no receiver has taken yet */
	struct waitqueue receivers;	 /* receivers no caller has come to yet */
	struct notification *bound;	 /* a reference; set once by ipc_ep_bind() */
};

struct notification {
	struct kobj obj;
	struct quota *quota; /* charged one object (a reference), or NULL */
	struct spinlock lock;
	unsigned long bits;	   /* guarded by lock */
	struct waitqueue waiters;  /* guarded by lock */
	unsigned int refs;	   /* atomic; freed at 0 */
	struct endpoint *bound_ep; /* guarded by lock; no reference (the endpoint holds ours) */
};

static struct spinlock ipc_lock = SPINLOCK_INIT;
static struct kmem_cache ipc_ep_cache = KMEM_CACHE_INIT("endpoint", struct endpoint, false);
static struct kmem_cache ipc_notif_cache =
	KMEM_CACHE_INIT("notification", struct notification, false);
static struct task *ipc_callers; /* guarded by ipc_lock: tasks in ipc_call (ipc.call_next) */

/*
 * The cycle check's bounds: how many tasks it follows one after another,
 * and how many steps in all. Past either it assumes no cycle (the call
 * waits). Cycles of servers calling each other are short.
 */
#define IPC_CYCLE_DEPTH 16
#define IPC_CYCLE_STEPS 64

/* A freed endpoint or notification gives its object back to @q, and the reference. */
static void ipc_uncharge(struct quota *q)
{
	if (!q)
		return;
	quota_uncharge(q, QUOTA_OBJECTS, 1);
	quota_put(q);
}

static struct endpoint *ep_of(struct kobj *o)
{
	return (struct endpoint *)o;
}

/* ipc_lock held: end @t's wait with @status; the caller wakes it (or hands it the hart). */
static void ipc_end_wait(struct task *t, int status)
{
	t->ipc.status = status;
	t->ipc.state = IPC_IDLE;
	t->ipc.server = NULL;
}

/* ipc_lock held: end @t's wait with @status, and wake it. */
static void ipc_finish(struct task *t, int status)
{
	ipc_end_wait(t, status);
	sched_wake(t);
}

/* ipc_lock held: @t is in ipc_call (queued, or waiting for the reply) until ipc_call_leave(). */
static void ipc_call_enter(struct task *t)
{
	t->ipc.call_prev = NULL;
	t->ipc.call_next = ipc_callers;
	if (ipc_callers)
		ipc_callers->ipc.call_prev = t;
	ipc_callers = t;
	t->ipc.in_call = true;
}

static void ipc_call_leave(struct task *t)
{
	if (!t->ipc.in_call)
		return;
	if (t->ipc.call_prev)
		t->ipc.call_prev->ipc.call_next = t->ipc.call_next;
	else
		ipc_callers = t->ipc.call_next;
	if (t->ipc.call_next)
		t->ipc.call_next->ipc.call_prev = t->ipc.call_prev;
	t->ipc.in_call = false;
	t->ipc.calling = NULL;
}

/* ipc_lock held: fail every task on @wq. */
static void ipc_fail_all(struct waitqueue *wq)
{
	struct task *t;

	while ((t = wq_pop(wq)))
		ipc_finish(t, -KEEL_EPEER);
}

/* The receive references to @o that @t holds, counting one riding in its message @m. */
static unsigned int ipc_own_receivers(struct task *t, struct kobj *o, const struct ipc_msg *m)
{
	return handle_count(t, o, KEEL_R_RECEIVE) +
	       (m->xfer == o && (m->xfer_rights & KEEL_R_RECEIVE));
}

/* The cycle check's state: whose call it judges, and the tasks it follows. */
struct ipc_walk {
	struct task *me;
	struct task *path[IPC_CYCLE_DEPTH]; /* each waits on the next */
	unsigned int depth, steps;
};

static bool ipc_only_me(struct ipc_walk *w, struct kobj *o);

/*
 * ipc_lock held: is task @t stuck for as long as w->me is? It is w->me,
 * or it is in ipc_call waiting on a server that is stuck, or queued on an
 * endpoint only stuck tasks can receive on. A task met again on the path
 * waits on a loop of such tasks: stuck too (no task of the loop has a
 * way out, or another branch would have found it).
 */
static bool ipc_waits_on(struct ipc_walk *w, struct task *t)
{
	bool stuck = false;

	if (t == w->me)
		return true;
	for (unsigned int i = 0; i < w->depth; i++)
		if (w->path[i] == t)
			return true;
	if (!t->ipc.in_call || w->depth == IPC_CYCLE_DEPTH || !w->steps)
		return false;
	w->steps--;
	w->path[w->depth++] = t;
	if (t->ipc.state == IPC_WAIT_REPLY)
		stuck = t->ipc.server && ipc_waits_on(w, t->ipc.server);
	else if (t->ipc.state == IPC_SENDING)
		stuck = ipc_only_me(w, t->ipc.calling);
	w->depth--;
	return stuck;
}

/*
 * ipc_lock held: could a call on endpoint @o only ever be taken by
 * w->me? So when every receive reference to @o is w->me's own (its
 * table's, or one riding in its message), or held by a task in ipc_call
 * that is stuck (ipc_waits_on). Tasks in ipc_call cannot exit or change
 * their tables, so counting their handles is safe; a reference held
 * anywhere else (a task not in a call, a message in flight) means some
 * task may yet receive: false.
 */
static bool ipc_only_me(struct ipc_walk *w, struct kobj *o)
{
	unsigned int held = ipc_own_receivers(w->me, o, &w->me->ipc.msg);

	for (struct task *t = ipc_callers; t && held < ep_of(o)->nrecv; t = t->ipc.call_next) {
		unsigned int n;

		if (t == w->me)
			continue;
		n = handle_count(t, o, KEEL_R_RECEIVE);
		if (!n)
			continue;
		if (!ipc_waits_on(w, t))
			return false;
		held += n;
	}
	return held >= ep_of(o)->nrecv;
}

/* ipc_lock held: would @t, queued or about to queue on @o, wait for ever? */
static bool ipc_deadlocked(struct task *t, struct kobj *o)
{
	struct ipc_walk w = { .me = t, .depth = 0, .steps = IPC_CYCLE_STEPS };

	return ipc_only_me(&w, o);
}

static void ep_hold(struct kobj *o, unsigned int rights)
{
	struct endpoint *ep = ep_of(o);
	unsigned long flags = spin_lock_irqsave(&ipc_lock);

	ep->refs++;
	ep->nsend += !!(rights & KEEL_R_SEND);
	ep->nrecv += !!(rights & KEEL_R_RECEIVE);
	spin_unlock_irqrestore(&ipc_lock, flags);
}

static void ep_drop(struct kobj *o, unsigned int rights)
{
	struct endpoint *ep = ep_of(o);
	struct notification *n = NULL;
	unsigned long flags = spin_lock_irqsave(&ipc_lock);
	bool dead;

	if ((rights & KEEL_R_SEND) && !--ep->nsend)
		ipc_fail_all(&ep->receivers);
	if ((rights & KEEL_R_RECEIVE) && !--ep->nrecv) {
		ipc_fail_all(&ep->senders);
	} else if (rights & KEEL_R_RECEIVE) {
		/* A queued caller now left with no receiver but itself (or its cycle). */
		struct task *t = ep->senders.head, *next;

		for (; t; t = next) {
			next = t->wq_next;
			if (ipc_deadlocked(t, o)) {
				wq_del(&ep->senders, t);
				ipc_finish(t, -KEEL_EDEADLK);
			}
		}
	}
	/* A waiter holds a reference, so no one waits on a freed endpoint. */
	dead = !--ep->refs;
	if (dead) {
		n = ep->bound;
		ep->bound = NULL;
	}
	spin_unlock_irqrestore(&ipc_lock, flags);
	if (n) {
		/* Before the free: ipc_notif_signal() reaches @ep only while bound_ep says so. */
		flags = spin_lock_irqsave(&n->lock);
		n->bound_ep = NULL;
		spin_unlock_irqrestore(&n->lock, flags);
		kobj_drop(&n->obj, KEEL_R_WAIT);
	}
	if (dead) {
		struct quota *q = ep->quota;

		kmem_free(&ipc_ep_cache, ep);
		ipc_uncharge(q);
	}
}

static const struct kobj_type ep_type = {
	.name = "endpoint",
	.type = KEEL_OBJ_ENDPOINT,
	.hold = ep_hold,
	.drop = ep_drop,
};

long ipc_ep_create(void)
{
	struct quota *q = task_current()->quota;
	int err = quota_charge(q, QUOTA_OBJECTS, 1);
	struct endpoint *ep;

	if (err)
		return err;
	ep = kmem_alloc(&ipc_ep_cache); /* zeroed */
	if (!ep) {
		quota_uncharge(q, QUOTA_OBJECTS, 1);
		return -KEEL_ENOMEM;
	}
	ep->obj.kt = &ep_type;
	ep->refs = ep->nsend = ep->nrecv = 1; /* the creator's handle */
	ep->quota = q;
	if (q)
		quota_get(q);
	return handle_install(task_current(), &ep->obj, KEEL_R_EP_ALL);
}

void ipc_msg_release(struct ipc_msg *m)
{
	if (m->xfer)
		kobj_drop(m->xfer, m->xfer_rights);
	m->xfer = NULL;
}

/* ipc_lock held: move @from's message to @to (the handle's reference goes with it). */
static void ipc_move(struct task *from, struct task *to)
{
	to->ipc.msg = from->ipc.msg;
	from->ipc.msg.xfer = NULL;
}

/*
 * ipc_lock held: @me, killed while a server holds its message, gives up
 * on the reply. The server learns it when it replies (-KEEL_EPEER).
 */
static void ipc_abandon(struct task *me)
{
	struct task *s = me->ipc.server;

	if (s && s->ipc.reply_to == me) {
		s->ipc.reply_to = NULL;
		s->ipc.reply_lost = true;
	}
	ipc_end_wait(me, -KEEL_EPEER);
}

/*
 * ipc_lock held: sleep until the current task is IDLE, or until
 * @deadline (0: none) or a kill while it is still queued on @wq, when it
 * leaves the queue: -KEEL_ETIMEDOUT / -KEEL_EPEER. A caller whose message
 * a server took waits for the reply, unless killed (-KEEL_EPEER).
 */
static int ipc_wait(struct task *me, struct waitqueue *wq, uint64_t deadline, struct task *handoff)
{
	while (me->ipc.state != IPC_IDLE) {
		bool queued = me->ipc.state == IPC_SENDING || me->ipc.state == IPC_RECEIVING;

		if (me->ipc.state == IPC_WAIT_REPLY && task_killed(me)) {
			ipc_abandon(me);
			if (handoff)
				sched_wake(handoff);
			return -KEEL_EPEER;
		}
		if (queued && (task_killed(me) || (deadline && riscv_rdtime() >= deadline))) {
			wq_del(wq, me);
			me->ipc.state = IPC_IDLE;
			if (handoff)
				sched_wake(handoff);
			return task_killed(me) ? -KEEL_EPEER : -KEEL_ETIMEDOUT;
		}
		task_block_killable(me);
		/* Interrupts stay off until we are switched out (wait.c). */
		spin_unlock(&ipc_lock);
		/*
		 * The fast path: the partner we just made runnable gets this
		 * hart at once. (It cannot go away meanwhile: it is blocked in
		 * the core, and only we could have woken it.)
		 */
		if (handoff && !sched_handoff(handoff)) {
			sched_wake(handoff);
			sched_block_until(queued ? deadline : 0);
		} else if (!handoff) {
			sched_block_until(queued ? deadline : 0);
		}
		handoff = NULL;
		spin_lock(&ipc_lock);
	}
	if (handoff)
		sched_wake(handoff);
	return 0;
}

/*
 * ipc_lock held: @me takes caller @c's message and owes it a reply. A
 * caller it still owed one is abandoned now (a server may receive a
 * notification while it works for a caller; taking a second caller
 * means it gave up on the first).
 */
static void ipc_take(struct task *me, struct task *c)
{
	if (me->ipc.reply_to)
		ipc_finish(me->ipc.reply_to, -KEEL_EPEER);
	ipc_move(c, me);
	me->ipc.reply_to = c;
	me->ipc.reply_lost = false;
	me->ipc.sender = c->pid;
	c->ipc.state = IPC_WAIT_REPLY;
	c->ipc.server = me;
}

long ipc_call(struct kobj *o, struct ipc_msg *m)
{
	struct endpoint *ep = ep_of(o);
	struct task *me = task_current(), *r;
	unsigned long flags = spin_lock_irqsave(&ipc_lock);
	long err;

	me->ipc.msg = *m;
	m->xfer = NULL;
	if (!ep->nrecv) {
		err = -KEEL_EPEER;
		goto fail;
	}
	r = wq_pop(&ep->receivers);
	if (r) {
		ipc_take(r, me);
		ipc_end_wait(r, 0); /* ipc_wait() below hands it this hart */
	} else {
		/* No one but us, or tasks waiting on us, could ever take this. */
		if (ipc_deadlocked(me, o)) {
			err = -KEEL_EDEADLK;
			goto fail;
		}
		me->ipc.state = IPC_SENDING;
		me->ipc.calling = o;
		wq_add(&ep->senders, me);
	}
	ipc_call_enter(me);
	err = ipc_wait(me, &ep->senders, 0, r);
	if (!err)
		err = me->ipc.status;
	if (err)
		goto fail;
	*m = me->ipc.msg;
	me->ipc.msg.xfer = NULL;
	ipc_call_leave(me);
	spin_unlock_irqrestore(&ipc_lock, flags);
	return 0;
fail:
	ipc_call_leave(me);
	spin_unlock_irqrestore(&ipc_lock, flags);
	ipc_msg_release(&me->ipc.msg); /* ours alone now: no partner has it */
	return err;
}

/* Take the bits of notification @n, if any. */
static unsigned long notif_take(struct notification *n)
{
	unsigned long flags = spin_lock_irqsave(&n->lock);
	unsigned long bits = n->bits;

	n->bits = 0;
	spin_unlock_irqrestore(&n->lock, flags);
	return bits;
}

/* ipc_lock held: wait on @ep for a caller (its pid) or bound bits (0), or -KEEL_E*. */
static long ipc_recv_locked(struct endpoint *ep, struct task *me, struct ipc_msg *m,
			    uint64_t deadline, struct task *handoff)
{
	for (;;) {
		struct task *c = wq_pop(&ep->senders);
		unsigned long bits;
		int err;

		if (c) {
			ipc_take(me, c);
			break;
		}
		bits = ep->bound ? notif_take(ep->bound) : 0;
		if (bits) {
			if (handoff)
				sched_wake(handoff);
			memset(m, 0, sizeof(*m));
			m->label = KEEL_LABEL_NOTIFY;
			m->w[0] = bits;
			return 0;
		}
		/* With a bound notification, interrupts may still come. */
		if (!ep->nsend && !ep->bound) {
			if (handoff)
				sched_wake(handoff);
			return -KEEL_EPEER;
		}
		me->ipc.state = IPC_RECEIVING;
		wq_add(&ep->receivers, me);
		err = ipc_wait(me, &ep->receivers, deadline, handoff);
		handoff = NULL; /* woken or handed the hart by ipc_wait() */
		if (err)
			return err;
		if (me->ipc.status == IPC_NOTIFIED)
			continue;
		if (me->ipc.status)
			return me->ipc.status;
		break;
	}
	if (handoff)
		sched_wake(handoff);
	*m = me->ipc.msg;
	me->ipc.msg.xfer = NULL;
	return me->ipc.sender;
}

/*
 * ipc_lock held: answer the caller @me owes with @m; -KEEL_ENOENT if none.
 * With @woken NULL the caller is woken here; else it is left for the
 * caller of this to wake (or hand the hart to), in *@woken.
 */
static long ipc_reply_locked(struct task *me, struct ipc_msg *m, struct task **woken)
{
	struct task *c = me->ipc.reply_to;

	if (!c && me->ipc.reply_lost) {
		me->ipc.reply_lost = false; /* the caller was killed: said once */
		return -KEEL_EPEER;
	}
	if (!c)
		return -KEEL_ENOENT;
	me->ipc.reply_to = NULL;
	c->ipc.msg = *m;
	m->xfer = NULL;
	if (woken) {
		ipc_end_wait(c, 0);
		*woken = c;
	} else {
		ipc_finish(c, 0);
	}
	return 0;
}

long ipc_recv(struct kobj *o, struct ipc_msg *m)
{
	return ipc_recv_until(o, m, 0);
}

long ipc_recv_until(struct kobj *o, struct ipc_msg *m, uint64_t deadline)
{
	struct task *me = task_current();
	unsigned long flags = spin_lock_irqsave(&ipc_lock);
	long ret;

	ret = ipc_recv_locked(ep_of(o), me, m, deadline, NULL);
	spin_unlock_irqrestore(&ipc_lock, flags);
	return ret;
}

long ipc_reply(struct ipc_msg *m)
{
	unsigned long flags = spin_lock_irqsave(&ipc_lock);
	long err = ipc_reply_locked(task_current(), m, NULL);

	spin_unlock_irqrestore(&ipc_lock, flags);
	if (err)
		ipc_msg_release(m);
	return err;
}

long ipc_reply_recv(struct kobj *o, struct ipc_msg *m)
{
	struct task *me = task_current();
	unsigned long flags = spin_lock_irqsave(&ipc_lock);
	long ret;

	struct task *caller = NULL;
	long err = ipc_reply_locked(me, m, &caller);

	/* A caller killed before its reply: that is the result; nothing is received. */
	if (err == -KEEL_EPEER) {
		spin_unlock_irqrestore(&ipc_lock, flags);
		ipc_msg_release(m);
		return err;
	}
	/* No caller to answer (the loop's first turn): just receive. */
	if (err && m->xfer) {
		/* Dropping a reference may take ipc_lock. */
		spin_unlock_irqrestore(&ipc_lock, flags);
		ipc_msg_release(m);
		flags = spin_lock_irqsave(&ipc_lock);
	}
	/* The caller answered gets this hart if we now wait (the fast path). */
	ret = ipc_recv_locked(ep_of(o), me, m, 0, caller);
	spin_unlock_irqrestore(&ipc_lock, flags);
	return ret;
}

long ipc_ep_bind(struct kobj *e, struct kobj *o)
{
	struct endpoint *ep = ep_of(e);
	struct notification *n = (struct notification *)o, *old = NULL;
	unsigned long flags, nflags;
	long err = 0;

	kobj_hold(o, KEEL_R_WAIT); /* the endpoint's reference */
	flags = spin_lock_irqsave(&ipc_lock);
	nflags = spin_lock_irqsave(&n->lock);
	if (n->bound_ep) {
		err = -KEEL_EBUSY; /* bound already, here or elsewhere */
	} else {
		/* A new binding replaces the old (a driver restarted: its new notification). */
		old = ep->bound;
		ep->bound = n;
		n->bound_ep = ep;
	}
	spin_unlock_irqrestore(&n->lock, nflags);
	if (old) {
		nflags = spin_lock_irqsave(&old->lock);
		old->bound_ep = NULL;
		spin_unlock_irqrestore(&old->lock, nflags);
	}
	spin_unlock_irqrestore(&ipc_lock, flags);
	if (err)
		kobj_drop(o, KEEL_R_WAIT);
	if (old)
		kobj_drop(&old->obj, KEEL_R_WAIT);
	return err;
}

void ipc_task_exit(struct task *t)
{
	unsigned long flags = spin_lock_irqsave(&ipc_lock);

	if (t->ipc.reply_to)
		ipc_finish(t->ipc.reply_to, -KEEL_EPEER);
	t->ipc.reply_to = NULL;
	t->ipc.reply_lost = false;
	ipc_call_leave(t);
	spin_unlock_irqrestore(&ipc_lock, flags);
	ipc_msg_release(&t->ipc.msg);
}

/* --- notifications ------------------------------------------------------ */

static struct notification *notif_of(struct kobj *o)
{
	return (struct notification *)o;
}

static void notif_hold(struct kobj *o, unsigned int rights)
{
	(void)rights;
	__atomic_fetch_add(&notif_of(o)->refs, 1, __ATOMIC_RELAXED);
}

static void notif_drop(struct kobj *o, unsigned int rights)
{
	struct quota *q = notif_of(o)->quota;

	(void)rights;
	/* The last reference frees it: no one can signal or wait on it any more. */
	if (__atomic_fetch_sub(&notif_of(o)->refs, 1, __ATOMIC_ACQ_REL) == 1) {
		kmem_free(&ipc_notif_cache, notif_of(o));
		ipc_uncharge(q);
	}
}

static const struct kobj_type notif_type = {
	.name = "notification",
	.type = KEEL_OBJ_NOTIFICATION,
	.hold = notif_hold,
	.drop = notif_drop,
};

long ipc_notif_create(void)
{
	struct quota *q = task_current()->quota;
	int err = quota_charge(q, QUOTA_OBJECTS, 1);
	struct notification *n;

	if (err)
		return err;
	n = kmem_alloc(&ipc_notif_cache); /* zeroed: no bits, no waiters */
	if (!n) {
		quota_uncharge(q, QUOTA_OBJECTS, 1);
		return -KEEL_ENOMEM;
	}
	n->obj.kt = &notif_type;
	n->lock = (struct spinlock)SPINLOCK_INIT;
	n->refs = 1;
	n->quota = q;
	if (q)
		quota_get(q);
	return handle_install(task_current(), &n->obj, KEEL_R_NOTIF_ALL);
}

void ipc_notif_signal(struct kobj *o, unsigned long bits)
{
	struct notification *n = notif_of(o);
	unsigned long flags = spin_lock_irqsave(&n->lock);
	struct task *t;

	struct endpoint *ep;

	n->bits |= bits;
	t = n->bits ? wq_pop(&n->waiters) : NULL;
	if (t)
		sched_wake(t);
	ep = n->bits ? n->bound_ep : NULL;
	spin_unlock_irqrestore(&n->lock, flags);
	if (!ep)
		return;
	/*
	 * Wake a receiver of the bound endpoint; it takes the bits itself.
	 * ipc_lock comes before a notification's lock, so take both afresh
	 * and look again: the endpoint's last drop clears bound_ep under our
	 * lock before it frees the endpoint, so while we hold that lock and
	 * bound_ep names it, it is there.
	 */
	flags = spin_lock_irqsave(&ipc_lock);
	spin_lock(&n->lock);
	ep = n->bits ? n->bound_ep : NULL;
	if (ep && ep->bound == n) {
		t = wq_pop(&ep->receivers);
		if (t)
			ipc_finish(t, IPC_NOTIFIED);
	}
	spin_unlock(&n->lock);
	spin_unlock_irqrestore(&ipc_lock, flags);
}

unsigned long ipc_notif_wait(struct kobj *o)
{
	struct notification *n = notif_of(o);
	struct task *me = task_current();
	unsigned long flags = spin_lock_irqsave(&n->lock);
	unsigned long bits;

	while (!n->bits && !task_killed(me)) {
		wq_add(&n->waiters, me);
		task_block_killable(me);
		spin_unlock(&n->lock);
		sched_block_until(0);
		spin_lock(&n->lock);
		wq_del(&n->waiters, me);
	}
	bits = n->bits;
	n->bits = 0;
	spin_unlock_irqrestore(&n->lock, flags);
	return bits;
}

/* --- the fast path -------------------------------------------------------- */

/* --- the register codec: one message in a1-a6, for the slow and fast paths --- */

void ipc_words_from_frame(const struct trap_frame *tf, struct ipc_msg *m)
{
	m->label = tf_arg(tf, 2);
	for (int i = 0; i < IPC_WORDS; i++)
		m->w[i] = tf_arg(tf, 3 + i);
	m->xfer = NULL;
	m->xfer_rights = 0;
}

long ipc_msg_from_frame(const struct trap_frame *tf, struct ipc_msg *m)
{
	long h = (long)tf_arg(tf, 7);

	ipc_words_from_frame(tf, m);
	if (h == KEEL_HANDLE_NONE)
		return 0;
	return handle_take(h, &m->xfer, &m->xfer_rights);
}

void ipc_msg_to_frame(struct trap_frame *tf, struct task *t, const struct ipc_msg *m)
{
	long h = KEEL_HANDLE_NONE;

	if (m->xfer) {
		h = handle_install(t, m->xfer, m->xfer_rights);
		if (h < 0)
			h = KEEL_HANDLE_NONE; /* no room: the handle is dropped */
	}
	tf_arg(tf, 2) = m->label;
	for (int i = 0; i < IPC_WORDS; i++)
		tf_arg(tf, 3 + i) = m->w[i];
	tf_arg(tf, 7) = (unsigned long)h;
}

/*
 * ipc_call and ipc_reply_recv in their common case, straight from the
 * trap frame to the partner, as seL4's fastpath does: a message of label
 * and four words (no handle), a partner already waiting, blocked and off
 * every cpu, that may run here, and nothing else ready here. Anything
 * unusual and nothing is touched: the caller takes the slow path.
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
 */

#define FA(n) tf_arg(tf, n)

void ipc_fast_resume(void); /* arch/trap_entry.S */

/* The current task's object of type @kt in handle a0 with @need, or NULL (lock-free: our own
 * table). */
static inline __attribute__((always_inline)) struct kobj *
fast_obj(struct trap_frame *tf, const struct kobj_type *kt, unsigned int need)
{
	struct handle_table *ht = __atomic_load_n(&this_cpu()->current->handles, __ATOMIC_ACQUIRE);
	long h = (long)FA(1);
	struct handle *e;

	if (!ht || (unsigned long)h >= HANDLE_MAX)
		return NULL;
	e = &ht->slot[h];
	if (!e->obj || e->obj->kt != kt || (e->rights & need) != need)
		return NULL;
	return e->obj;
}

static inline __attribute__((always_inline)) struct endpoint *fast_ep(struct trap_frame *tf,
								      unsigned int need)
{
	struct kobj *o = fast_obj(tf, &ep_type, need);

	return o ? ep_of(o) : NULL;
}

/*
 * Is @t parked in the core, off every cpu, free to run on @cpu? Relaxed
 * looks, each a hint: the claim (the CAS on state) orders what follows,
 * sched_enter() waits for on_cpu with acquire, and a kill that lands
 * after the look is seen at @t's return to user mode, as on the slow path.
 */
static inline __attribute__((always_inline)) bool fast_partner(struct task *t, unsigned int cpu)
{
	return t && cpumask_test(&t->affinity, cpu) &&
	       !__atomic_load_n(&t->killed, __ATOMIC_RELAXED) &&
	       !__atomic_load_n(&t->on_cpu, __ATOMIC_RELAXED) &&
	       __atomic_load_n(&t->state, __ATOMIC_RELAXED) == TASK_BLOCKED;
}

/* task_block_killable(), inline: a kill since our last look wakes us, and we see it then. */
static inline void fast_block(struct task *me)
{
	/* Pairs with the kill's store: one of us sees the other. */
	__atomic_store_n(&me->state, TASK_BLOCKED, __ATOMIC_SEQ_CST);
	if (task_killed(me))
		sched_wake(me);
}

static struct trap_frame *fast_frame(struct task *t)
{
	return (struct trap_frame *)(t->stack_top - sizeof(struct trap_frame));
}

/* ipc_lock held: partner @p, fast_wait, gets @tf's message and @ret in its frame. */
static struct trap_frame *fast_give(struct trap_frame *tf, struct task *p, long ret)
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

struct trap_frame *ipc_fast(struct trap_frame *tf, unsigned long nr)
{
	struct cpu *c = this_cpu(); /* interrupts are off: we stay on this hart */
	struct task *me = c->current, *p;
	bool call = nr == SYS_ipc_call;
	struct trap_frame *pf = NULL;
	struct endpoint *ep;
	int expected = TASK_BLOCKED;

	/* A hint only: fast_block() looks at our kill again, ordered. */
	if ((long)FA(7) != KEEL_HANDLE_NONE || !cmdline.ipc_fastpath ||
	    __atomic_load_n(&me->killed, __ATOMIC_RELAXED) || sched_nr_ready(c->id) ||
	    __atomic_load_n(&c->dying, __ATOMIC_ACQUIRE))
		return NULL;
	ep = fast_ep(tf, call ? KEEL_R_SEND : KEEL_R_RECEIVE);
	if (!ep)
		return NULL;
	spin_lock_irqoff(&ipc_lock);
	if (call) {
		p = ep->receivers.head;
		if (!ep->nrecv || !fast_partner(p, c->id) || p->ipc.reply_to)
			goto slow;
	} else {
		p = me->ipc.reply_to;
		if (!ep->nsend || ep->bound || ep->senders.head || !fast_partner(p, c->id) ||
		    p->ipc.state != IPC_WAIT_REPLY)
			goto slow;
	}
	/* Claim it as a waker does: from here on it is ours to run. */
	if (!__atomic_compare_exchange_n(&p->state, &expected, TASK_READY, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE))
		goto slow;
	if (call) {
		wq_pop(&ep->receivers);
		p->ipc.reply_to = me;
		p->ipc.reply_lost = false;
		p->ipc.sender = me->pid;
		me->ipc.state = IPC_WAIT_REPLY;
		me->ipc.server = p;
		ipc_call_enter(me);
	} else {
		me->ipc.reply_to = NULL;
		me->ipc.state = IPC_RECEIVING;
		wq_add(&ep->receivers, me);
	}
	ipc_end_wait(p, 0);
	if (p->ipc.fast_wait) {
		pf = fast_give(tf, p, call ? me->pid : 0);
		if (!call)
			ipc_call_leave(p);
	} else {
		ipc_words_from_frame(tf, &p->ipc.msg);
	}
	/* We wait as ipc_fast_resume: nothing of ours stays on this stack. */
	me->ipc.fast_wait = true;
	me->ipc.fast_ep = &ep->obj;
	me->ctx.ra = (unsigned long)ipc_fast_resume;
	me->ctx.sp = (unsigned long)tf;
	fast_block(me);
	spin_unlock_irqoff(&ipc_lock);
	sched_enter(p);
	if (!pf) {
		struct context dead; /* our context is set: the switch's save goes nowhere */

		sched_switch(&dead, &p->ctx);
		__builtin_unreachable();
	}
	return pf;
slow:
	spin_unlock_irqoff(&ipc_lock);
	return NULL;
}

static void notif_fast_resumed(struct trap_frame *tf);

void ipc_fast_resumed(struct trap_frame *tf)
{
	struct task *me = task_current();
	struct endpoint *ep = ep_of(me->ipc.fast_ep);
	bool call = tf->regs[17 - 1] == SYS_ipc_call;
	struct ipc_msg m = { 0 };
	long ret;

	if (tf->regs[17 - 1] == SYS_notif_wait) {
		notif_fast_resumed(tf);
		return;
	}
	spin_lock(&ipc_lock);
	me->ipc.fast_wait = false;
	/* Woken early (a kill, say): wait on, or give up, as the slow path does. */
	ret = me->ipc.state != IPC_IDLE
		      ? ipc_wait(me, call ? &ep->senders : &ep->receivers, 0, NULL)
		      : 0;
	if (!ret)
		ret = me->ipc.status;
	if (call) {
		ipc_call_leave(me);
	} else if (ret == IPC_NOTIFIED) {
		/* Bound and signalled while we waited: receive on, as ipc_recv_locked() does. */
		ret = ipc_recv_locked(ep, me, &m, 0, NULL);
		spin_unlock(&ipc_lock);
		goto out;
	} else if (!ret) {
		ret = me->ipc.sender;
	}
	m = me->ipc.msg;
	me->ipc.msg.xfer = NULL;
	spin_unlock(&ipc_lock);
out:
	FA(1) = (unsigned long)ret;
	if (ret >= 0)
		ipc_msg_to_frame(tf, me, &m);
	else
		ipc_msg_release(&m);
}

/*
 * The notification's fast path: signal and wait straight from the
 * frame, without the system call table's layers, and a wait that blocks
 * runs what this hart runs next itself (sched_pick()): a task that
 * waits on a notification through this path and whose bits are there
 * takes them and runs straight from its frame. The waiter's state stays
 * the slow path's (on the notification's waiters until a signal takes
 * it off), and what it gets is computed when it runs, as
 * ipc_notif_wait() does, so signals that come meanwhile add up the same.
 */

/* The current task's notification handle in a0 with @need, or NULL. */
static inline __attribute__((always_inline)) struct notification *fast_notif(struct trap_frame *tf,
									     unsigned int need)
{
	struct kobj *o = fast_obj(tf, &notif_type, need);

	return o ? notif_of(o) : NULL;
}

struct trap_frame *ipc_fast_signal(struct trap_frame *tf)
{
	struct notification *n = cmdline.ipc_fastpath ? fast_notif(tf, KEEL_R_SIGNAL) : NULL;

	struct task *t;

	if (!n)
		return NULL;
	FA(1) = 0;
	spin_lock_irqoff(&n->lock);
	if (n->bound_ep) { /* a receiver of the endpoint may take them: the general way */
		spin_unlock_irqoff(&n->lock);
		ipc_notif_signal(&n->obj, FA(2));
		return tf;
	}
	/* ipc_notif_signal() without a bound endpoint. */
	n->bits |= FA(2);
	t = n->bits ? wq_pop(&n->waiters) : NULL;
	if (t)
		sched_wake(t);
	spin_unlock_irqoff(&n->lock);
	return tf;
}

/*
 * @t, a notification waiter of the fast path taken off the run queue
 * (ours to run): its bits, if there are any, into its frame; its frame,
 * or NULL if it must run its own way (ipc_fast_resume) to wait on.
 */
static struct trap_frame *fast_notif_done(struct task *t)
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

struct trap_frame *ipc_fast_wait(struct trap_frame *tf)
{
	struct cpu *c = this_cpu();
	struct task *me = c->current, *next;
	struct notification *n;
	struct trap_frame *to = NULL;

	if (!cmdline.ipc_fastpath || task_killed(me) ||
	    __atomic_load_n(&c->dying, __ATOMIC_ACQUIRE))
		return NULL;
	n = fast_notif(tf, KEEL_R_WAIT);
	if (!n)
		return NULL;
	spin_lock_irqoff(&n->lock);
	if (n->bits) {
		FA(2) = n->bits;
		n->bits = 0;
		spin_unlock_irqoff(&n->lock);
		FA(1) = 0;
		return tf;
	}
	/* We wait as ipc_fast_resume: nothing of ours stays on this stack. */
	wq_add(&n->waiters, me);
	me->ipc.fast_wait = true;
	me->ipc.fast_ep = &n->obj;
	me->ctx.ra = (unsigned long)ipc_fast_resume;
	me->ctx.sp = (unsigned long)tf;
	fast_block(me);
	spin_unlock_irqoff(&n->lock);
	next = sched_pick();
	if (next == me) { /* woken meanwhile (a kill): go on as ipc_fast_resume would */
		__atomic_store_n(&me->state, TASK_RUNNING, __ATOMIC_RELEASE);
		notif_fast_resumed(tf);
		return tf;
	}
	if (next->ipc.fast_wait && fast_frame(next)->regs[17 - 1] == SYS_notif_wait)
		to = fast_notif_done(next);
	sched_enter(next);
	if (!to) {
		struct context dead; /* our context is set: the switch's save goes nowhere */

		sched_switch(&dead, &next->ctx);
		__builtin_unreachable();
	}
	return to;
}

/* ipc_fast_resume for a notification wait: finish it as ipc_notif_wait() does. */
static void notif_fast_resumed(struct trap_frame *tf)
{
	struct task *me = task_current();
	struct notification *n = notif_of(me->ipc.fast_ep);
	unsigned long flags = spin_lock_irqsave(&n->lock);

	me->ipc.fast_wait = false;
	wq_del(&n->waiters, me);
	while (!n->bits && !task_killed(me)) {
		wq_add(&n->waiters, me);
		task_block_killable(me);
		spin_unlock(&n->lock);
		sched_block_until(0);
		spin_lock(&n->lock);
		wq_del(&n->waiters, me);
	}
	FA(2) = n->bits;
	n->bits = 0;
	spin_unlock_irqrestore(&n->lock, flags);
	FA(1) = 0;
}

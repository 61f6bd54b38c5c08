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
 *
 * Elsewhere: the fast paths of call, reply_recv, notif_signal and
 * notif_wait (ipc_fast.c, built for speed), which leave the state this
 * file's slow paths would; what the two share is in ipc_impl.h. A task
 * the fast paths blocked finishes its call here (ipc_fast_resumed()).
 */
#include "ipc.h"
#include "ipc_impl.h"
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

struct spinlock ipc_lock = SPINLOCK_INIT;
struct task *ipc_callers;
static struct kmem_cache ipc_ep_cache = KMEM_CACHE_INIT("endpoint", struct endpoint, false);
static struct kmem_cache ipc_notif_cache =
	KMEM_CACHE_INIT("notification", struct notification, false);

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

/* ipc_lock held: end @t's wait with @status, and wake it. */
static void ipc_finish(struct task *t, int status)
{
	ipc_end_wait(t, status);
	sched_wake(t);
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

const struct kobj_type ipc_ep_type = {
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
	ep->obj.kt = &ipc_ep_type;
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

const struct kobj_type ipc_notif_type = {
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
	n->obj.kt = &ipc_notif_type;
	n->lock = (struct spinlock)SPINLOCK_INIT;
	n->refs = 1;
	n->quota = q;
	if (q)
		quota_get(q);
	return handle_install(task_current(), &n->obj, KEEL_R_NOTIF_ALL);
}

unsigned long ipc_notif_take(struct notification *n, struct task *me)
{
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
	return bits;
}

unsigned long ipc_notif_wait(struct kobj *o)
{
	struct notification *n = notif_of(o);
	unsigned long flags = spin_lock_irqsave(&n->lock);
	unsigned long bits = ipc_notif_take(n, task_current());

	spin_unlock_irqrestore(&n->lock, flags);
	return bits;
}

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

/* --- where a task the fast paths blocked resumes (ipc_fast.c) ---------------- */

#define FA(n) tf_arg(tf, n)

void ipc_ep_fast_resumed(struct trap_frame *tf)
{
	struct task *me = task_current();
	struct endpoint *ep = ep_of(me->ipc.fast_ep);
	bool call = tf->regs[17 - 1] == SYS_ipc_call;
	struct ipc_msg m = { 0 };
	long ret;

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

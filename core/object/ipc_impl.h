/*
 * ipc_impl.h - what ipc.c (the IPC objects and their slow paths) and
 * ipc_fast.c (the fast paths, built for speed) share: the endpoint and
 * notification objects, the global IPC lock and the few steps both take.
 * Nothing outside object/ipc*.c includes it. The locking rules are
 * ipc.c's (its file comment).
 */
#ifndef KEEL_IPC_IMPL_H
#define KEEL_IPC_IMPL_H

#include "keel.h"
#include "lib/kobj.h"
#include "lib/spinlock.h"
#include "kernel/task.h"
#include "kernel/wait.h"

struct quota;
struct trap_frame;

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

extern struct spinlock ipc_lock;
extern struct task *ipc_callers; /* guarded by ipc_lock: tasks in ipc_call (ipc.call_next) */
extern const struct kobj_type ipc_ep_type, ipc_notif_type;

static inline struct endpoint *ep_of(struct kobj *o)
{
	return (struct endpoint *)o;
}

static inline struct notification *notif_of(struct kobj *o)
{
	return (struct notification *)o;
}

/*
 * @n->lock held, interrupts off: wait until @n has bits or @me is killed,
 * then take them (0: killed with none). ipc_notif_wait(), and a fast
 * notif_wait that blocked and resumes.
 */
unsigned long ipc_notif_take(struct notification *n, struct task *me);

/* ipc_lock held: end @t's wait with @status; the caller wakes it (or hands it the hart). */
static inline void ipc_end_wait(struct task *t, int status)
{
	t->ipc.status = status;
	t->ipc.state = IPC_IDLE;
	t->ipc.server = NULL;
}

/* ipc_lock held: @t is in ipc_call (queued, or waiting for the reply) until ipc_call_leave(). */
static inline void ipc_call_enter(struct task *t)
{
	t->ipc.call_prev = NULL;
	t->ipc.call_next = ipc_callers;
	if (ipc_callers)
		ipc_callers->ipc.call_prev = t;
	ipc_callers = t;
	t->ipc.in_call = true;
}

static inline void ipc_call_leave(struct task *t)
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

/* ipc_fast_resumed() for a call or reply_recv (ipc.c): finish it as the slow path would. */
void ipc_ep_fast_resumed(struct trap_frame *tf);

#endif

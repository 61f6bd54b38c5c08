/*
 * ipc_state.h - the IPC state every task carries (struct ipc_task, in
 * struct task), and the message it holds. Only object/ipc.c reads or
 * writes these fields, under its ipc_lock; they sit here so that
 * kernel/task.h need not include the object layer.
 */
#ifndef KEEL_IPC_STATE_H
#define KEEL_IPC_STATE_H

#include "keel.h"

struct kobj;
struct task;

#define IPC_WORDS 4

/* One message in flight. A handle riding in it holds its own reference. */
struct ipc_msg {
	unsigned long label;
	unsigned long w[IPC_WORDS];
	struct kobj *xfer; /* NULL: no handle */
	unsigned int xfer_rights;
};

/* A task's side of IPC; every field is guarded by ipc_lock (ipc.c). */
struct ipc_task {
	struct ipc_msg msg;    /* what it sends, then what it got */
	int state;	       /* IPC_*: what it waits for */
	int status;	       /* the result its partner left it */
	int sender;	       /* pid of the caller it received from */
	struct task *reply_to; /* a caller it took and owes a reply */
	bool reply_lost;       /* that caller was killed before the reply */
	struct task *server;   /* while it waits for a reply: who owes it */
	struct kobj *calling;  /* while queued as a caller: the endpoint */
	/* While in ipc_call (queued or waiting for the reply): the list of such tasks. */
	struct task *call_prev, *call_next;
	bool in_call;
	/*
	 * Blocked by ipc_fast(): its kernel stack holds nothing, its context
	 * resumes at ipc_fast_resume with sp at its trap frame, and whoever
	 * claims it with its wait ended may write the result into that frame
	 * and run it straight from there. fast_ep: the endpoint (or, for
	 * notif_wait, the notification) it waits on. Guarded by ipc_lock (by
	 * the notification's lock for notif_wait).
	 */
	bool fast_wait;
	struct kobj *fast_ep;
};

#endif

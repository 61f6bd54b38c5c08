/*
 * serve.h - the server side of the runtime: report ready to the parent,
 * and the loop every server runs: receive, dispatch by label to a table
 * of handlers, reply. A receive also returns the notification bound to
 * the server's endpoint (an interrupt, child exits, input from below):
 * that goes to the server's notify function, and is not answered.
 *
 * A handler gets the request (the caller's pid, the message) and fills
 * the reply's words (and a handle to pass); what it returns is the
 * reply's label, 0 or -KEEL_E*. A handle that came with the message is
 * closed after the handler unless the handler took it (set m.handle to
 * KEEL_HANDLE_NONE). A label without a handler is answered
 * s->unknown (default -KEEL_ENOSYS).
 *
 * One thread per server; nothing here is shared.
 */
#ifndef KEEL_SERVE_H
#define KEEL_SERVE_H

#include <stdint.h>

#include "keel.h"

struct keel_req {
	long pid;	   /* the caller */
	struct keel_msg m; /* its message */
	struct keel_msg r; /* the reply: words and handle (label from the handler) */
	int close_reply;   /* close r.handle once it is sent (a copy made for the caller) */
};

struct keel_op {
	unsigned long label;
	long (*fn)(struct keel_req *q);
};

struct keel_server {
	const char *name; /* in its lines: "<name>: receive: ..." */
	long ep;	  /* its endpoint (keel_serve_init makes it) */
	const struct keel_op *ops;
	unsigned int nops;
	long unknown; /* the reply to a label without a handler; 0: -KEEL_ENOSYS */
	/* The bound notification's bits (an interrupt, ...); NULL: ignored. */
	void (*notify)(unsigned long bits);
	/* Called before each receive, and when tick_us passes without a message. */
	void (*tick)(void);
	uint64_t tick_us; /* 0: receive waits as long as it takes */
	int said_recv;	  /* a failing receive is said once */
};

#define KEEL_OPS_N(ops) (sizeof(ops) / sizeof((ops)[0]))

/* Make @s's endpoint; 0 or -KEEL_E*. */
long keel_serve_init(struct keel_server *s);
/*
 * PROTO_READY to the parent (slot PROTO_H_PARENT): @name (may be empty)
 * and a send handle to @ep. 0 or -KEEL_E* (the parent's refusal too).
 */
long keel_ready(long ep, const char *name);
/* As keel_ready(), saying a failure as "<name>: cannot report ready: <why>". */
long keel_ready_say(long ep, const char *name);
/*
 * Take one message (or the notification), dispatch it and reply; wait at
 * most @timeout_us (< 0: as long as it takes). 1 if something was
 * served, 0 on the timeout, -KEEL_E* if the receive failed.
 */
long keel_serve_once(struct keel_server *s, long timeout_us);
/* Serve for good. */
__attribute__((noreturn)) void keel_serve(struct keel_server *s);

#endif

/*
 * serve.c - ready, and the serve loop (serve.h).
 */
#include <stdio.h>

#include "proto.h"
#include "serve.h"

#define SERVE_RETRY_US 10000 /* after a failing receive */

long keel_serve_init(struct keel_server *s)
{
	s->ep = keel_ep_create();
	return s->ep < 0 ? s->ep : 0;
}

long keel_ready(long ep, const char *name)
{
	struct keel_msg m = { .label = PROTO_READY }, r;
	long err;

	proto_name_pack(name, m.w);
	m.handle = keel_handle_dup(ep, KEEL_R_SEND | KEEL_R_DUPLICATE | KEEL_R_TRANSFER);
	if (m.handle < 0)
		return m.handle;
	err = keel_ipc_call(PROTO_H_PARENT, &m, &r);
	keel_handle_close(m.handle); /* the parent has its own copy */
	if (!err && (long)r.label < 0)
		err = (long)r.label;
	if (!err && r.handle >= 0)
		keel_handle_close(r.handle);
	return err;
}

long keel_ready_say(long ep, const char *name)
{
	long err = keel_ready(ep, name);

	if (err)
		printf("%s: cannot report ready: %s\n", name, keel_strerror(err));
	return err;
}

/* Run the handler for @q's label; the reply's label goes in q->r. */
static void dispatch(struct keel_server *s, struct keel_req *q)
{
	long rc = s->unknown ? s->unknown : -KEEL_ENOSYS;

	q->r = (struct keel_msg){ .handle = KEEL_HANDLE_NONE };
	q->close_reply = 0;
	for (unsigned int i = 0; i < s->nops; i++) {
		if (s->ops[i].label == q->m.label) {
			rc = s->ops[i].fn(q);
			break;
		}
	}
	if (q->m.handle >= 0)
		keel_handle_close(q->m.handle); /* not taken */
	q->r.label = (unsigned long)rc;
}

/* After the reply: the handle made for the caller is the caller's now. */
static void replied(struct keel_req *q)
{
	if (q->close_reply && q->r.handle >= 0)
		keel_handle_close(q->r.handle);
	q->close_reply = 0;
}

/* A receive failed (not a timeout): say it once, do not spin. */
static void recv_failed(struct keel_server *s, long err)
{
	if (!s->said_recv) {
		s->said_recv = 1;
		printf("%s: receive: %s\n", s->name, keel_strerror(err));
	}
	keel_sleep_us(SERVE_RETRY_US);
}

long keel_serve_once(struct keel_server *s, long timeout_us)
{
	struct keel_req q;
	long pid;

	if (s->tick)
		s->tick();
	pid = timeout_us < 0 ? keel_ipc_recv(s->ep, &q.m)
			     : keel_ipc_recv_timeout(s->ep, &q.m, (uint64_t)timeout_us);
	if (pid == -KEEL_ETIMEDOUT)
		return 0;
	if (pid < 0) {
		recv_failed(s, pid);
		return pid;
	}
	if (q.m.label == KEEL_LABEL_NOTIFY) {
		if (s->notify)
			s->notify(q.m.w[0]);
		return 1;
	}
	q.pid = pid;
	dispatch(s, &q);
	keel_ipc_reply(&q.r);
	replied(&q);
	return 1;
}

void keel_serve(struct keel_server *s)
{
	struct keel_req q = { .r = { .handle = KEEL_HANDLE_NONE } };
	int owe = 0;

	for (;;) {
		long pid;

		if (s->tick)
			s->tick();
		if (owe && !s->tick_us) {
			/* Reply and receive in one call: the common path. */
			pid = keel_ipc_reply_recv(s->ep, &q.r, &q.m);
		} else {
			if (owe)
				keel_ipc_reply(&q.r);
			pid = s->tick_us ? keel_ipc_recv_timeout(s->ep, &q.m, s->tick_us)
					 : keel_ipc_recv(s->ep, &q.m);
		}
		if (owe)
			replied(&q);
		if (pid == -KEEL_ETIMEDOUT || (pid < 0 && owe)) {
			owe = 0;
			continue; /* or the caller went before its reply: receive again */
		}
		owe = 0;
		if (pid < 0) {
			recv_failed(s, pid);
			continue;
		}
		if (q.m.label == KEEL_LABEL_NOTIFY) {
			if (s->notify)
				s->notify(q.m.w[0]);
			continue;
		}
		q.pid = pid;
		dispatch(s, &q);
		owe = 1;
	}
}

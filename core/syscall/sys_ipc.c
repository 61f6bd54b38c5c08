/*
 * sys_ipc.c - handles, endpoints and notifications from user space:
 * handle_close, handle_dup, ep_create, ipc_call, ipc_recv, ipc_reply,
 * ipc_reply_recv, ipc_recv_timeout, notif_create, notif_signal,
 * notif_wait, ep_bind.
 *
 * Messages live in registers only (label in a1, four words in a2-a5, a
 * handle in a6): they are read from the trap frame once, into a struct
 * ipc_msg. The fast paths (object/ipc_fast.c) are tried first, by
 * arch/trap_entry.S.
 */
#include "sys_common.h"
#include "arch/riscv.h"
#include "kernel/task.h"
#include "kernel/timer.h"
#include "lib/string.h"
#include "object/handle.h"
#include "object/ipc.h"

SYSCALL_DEFINE1(handle_close, long, h)
{
	return handle_close(h);
}

SYSCALL_DEFINE2(handle_dup, long, h, unsigned int, rights)
{
	return handle_dup(h, rights);
}

SYSCALL_DEFINE0(ep_create)
{
	return ipc_ep_create();
}

SYSCALL_DEFINE0(notif_create)
{
	return ipc_notif_create();
}

/* call, reply and reply_recv: send from the registers, then maybe receive into them. */
static long sys_ipc(struct trap_frame *tf, unsigned long nr)
{
	struct ipc_msg m;
	struct kobj *ep = NULL;
	long ret;

	if (nr != SYS_ipc_reply) {
		unsigned int need = nr == SYS_ipc_call ? KEEL_R_SEND : KEEL_R_RECEIVE;

		ret = handle_get((long)tf_arg(tf, 1), KEEL_OBJ_ENDPOINT, need, &ep);
		if (ret)
			return ret;
	}
	if (nr == SYS_ipc_recv) {
		memset(&m, 0, sizeof(m));
		ret = ipc_recv(ep, &m);
	} else {
		ret = ipc_msg_from_frame(tf, &m);
		if (ret)
			return ret;
		if (nr == SYS_ipc_call)
			ret = ipc_call(ep, &m);
		else if (nr == SYS_ipc_reply)
			return ipc_reply(&m);
		else
			ret = ipc_reply_recv(ep, &m);
	}
	if (ret >= 0)
		ipc_msg_to_frame(tf, task_current(), &m);
	return ret;
}

static long sys_notif(struct trap_frame *tf, unsigned long nr)
{
	unsigned int need = nr == SYS_notif_signal ? KEEL_R_SIGNAL : KEEL_R_WAIT;
	struct kobj *n;
	long err = handle_get((long)tf_arg(tf, 1), KEEL_OBJ_NOTIFICATION, need, &n);

	if (err)
		return err;
	if (nr == SYS_notif_signal)
		ipc_notif_signal_task(n, tf_arg(tf, 2));
	else
		tf_arg(tf, 2) = ipc_notif_wait(n);
	return 0;
}

SYSCALL_DEFINE_FRAME(ipc_recv_timeout)
{
	struct kobj *ep;
	struct ipc_msg m;
	uint64_t hz = timer_timebase(), us = tf_arg(tf, 2);
	long ret = handle_get((long)tf_arg(tf, 1), KEEL_OBJ_ENDPOINT, KEEL_R_RECEIVE, &ep);

	if (ret)
		return ret;
	memset(&m, 0, sizeof(m));
	/* 0 us: just look. Clamp to an hour: no overflow below. */
	us = MIN(us, 3600ULL * 1000000);
	ret = ipc_recv_until(ep, &m, riscv_rdtime() + us * hz / 1000000 + 1);
	if (ret >= 0)
		ipc_msg_to_frame(tf, task_current(), &m);
	return ret;
}

SYSCALL_DEFINE_FRAME(ipc_call)
{
	return sys_ipc(tf, SYS_ipc_call);
}

SYSCALL_DEFINE_FRAME(ipc_recv)
{
	return sys_ipc(tf, SYS_ipc_recv);
}

SYSCALL_DEFINE_FRAME(ipc_reply)
{
	return sys_ipc(tf, SYS_ipc_reply);
}

SYSCALL_DEFINE_FRAME(ipc_reply_recv)
{
	return sys_ipc(tf, SYS_ipc_reply_recv);
}

SYSCALL_DEFINE_FRAME(notif_signal)
{
	return sys_notif(tf, SYS_notif_signal);
}

SYSCALL_DEFINE_FRAME(notif_wait)
{
	return sys_notif(tf, SYS_notif_wait);
}

SYSCALL_DEFINE2(ep_bind, long, eh, long, nh)
{
	struct kobj *ep, *n;
	long err = handle_get(eh, KEEL_OBJ_ENDPOINT, KEEL_R_RECEIVE, &ep);

	if (!err)
		err = handle_get(nh, KEEL_OBJ_NOTIFICATION, KEEL_R_WAIT, &n);
	return err ? err : ipc_ep_bind(ep, n);
}

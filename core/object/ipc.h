/*
 * ipc.h - synchronous endpoints and notifications (DESIGN.md section 4).
 *
 * An endpoint is a rendezvous: ipc_call() blocks until a receiver takes
 * the message and replies; ipc_recv() blocks until a caller comes. A
 * message is a label, four words and at most one handle, carried in
 * registers from one task's trap frame to the other's (syscall.c). A
 * notification is a word of bits: signal ORs bits in, wait takes them all.
 */
#ifndef KEEL_IPC_H
#define KEEL_IPC_H

#include "keel.h"
#include "kernel/ipc_state.h"

struct kobj;
struct task;

/* Each returns 0 (recv: the caller's pid) or -KEEL_E*; @m goes in and comes back. */
long __must_check ipc_ep_create(void);
long __must_check ipc_call(struct kobj *ep, struct ipc_msg *m);
long __must_check ipc_recv(struct kobj *ep, struct ipc_msg *m);
/* As ipc_recv(), giving up at time-CSR @deadline (0: never) with -KEEL_ETIMEDOUT. */
long __must_check ipc_recv_until(struct kobj *ep, struct ipc_msg *m, uint64_t deadline);
/*
 * Bind notification @n to endpoint @ep (each to one at most): a receive
 * on @ep also ends when @n has bits, which it takes, with label
 * KEEL_LABEL_NOTIFY and the bits in w[0]. -KEEL_EBUSY if either is bound.
 */
long __must_check ipc_ep_bind(struct kobj *ep, struct kobj *n);
long __must_check ipc_reply(struct ipc_msg *m);
long __must_check ipc_reply_recv(struct kobj *ep, struct ipc_msg *m);

long __must_check ipc_notif_create(void);
/* Interrupts and exits signal: a waiter woken is queued as any wake-up. */
void ipc_notif_signal(struct kobj *n, unsigned long bits);
/*
 * notif_signal's system call: a waiter woken that may run on this hart
 * at the caller's priority or a more urgent one runs at once, the caller
 * next (sched_yield_to()); returns when the caller runs again.
 */
void ipc_notif_signal_task(struct kobj *n, unsigned long bits);
unsigned long ipc_notif_wait(struct kobj *n);

/* Drop a message's handle, if it carries one. */
void ipc_msg_release(struct ipc_msg *m);
/* At exit, before its handles close: fail the caller @t still owes a reply. */
void ipc_task_exit(struct task *t);

struct trap_frame;
/*
 * The fast paths (ipc_fast.c), interrupts off, from arch/trap_entry.S. Each returns NULL if it does
 * not apply (nothing done: the slow path follows); @tf if done without a switch; else (a call, a
 * reply_recv, a wait that blocked or a signal that handed its hart over) the frame of the task
 * made current, to leave through. Without one, a call or reply_recv switches to that task's
 * context and does not return; a signal or wait returns IPC_FAST_CTX (arch/trap.h), and the
 * caller, once it has saved s0-s11 in @tf, calls ipc_fast_switch_ctx().
 */
struct trap_frame *ipc_fast_call(struct trap_frame *tf);
struct trap_frame *ipc_fast_reply_recv(struct trap_frame *tf);
struct trap_frame *ipc_fast_signal(struct trap_frame *tf);
struct trap_frame *ipc_fast_wait(struct trap_frame *tf);
/*
 * arch/trap_entry.S's ipc_fast_resume, interrupts off: a task blocked
 * by a fast path runs again; finish its call into @tf as the slow path would.
 */
void ipc_fast_resumed(struct trap_frame *tf);
/* After IPC_FAST_CTX: switch to the context of the task made current; never returns. */
void ipc_fast_switch_ctx(void) __attribute__((noreturn));

struct trap_frame;
/*
 * The one register codec of a message: label in a1, IPC_WORDS words in
 * a2-a5, a handle number in a6 (KEEL_HANDLE_NONE for none).
 * ipc_words_from_frame: label and words, no handle. ipc_msg_from_frame:
 * with the handle, whose reference it takes (it needs KEEL_R_TRANSFER).
 * ipc_msg_to_frame: into @tf for task @t; a handle gets a slot in @t's
 * table (a6), or is dropped (-1) when the table is full.
 */
void ipc_words_from_frame(const struct trap_frame *tf, struct ipc_msg *m);
long __must_check ipc_msg_from_frame(const struct trap_frame *tf, struct ipc_msg *m);
void ipc_msg_to_frame(struct trap_frame *tf, struct task *t, const struct ipc_msg *m);

#endif

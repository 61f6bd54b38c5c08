/*
 * trap.h - trap entry and the trap frame. core/arch/trap_entry.S saves a trap_frame
 * on the kernel stack and calls trap_handler(); the offsets below are
 * what the assembly uses and are checked against the struct in trap.c.
 */
#ifndef KEEL_TRAP_H
#define KEEL_TRAP_H

/* Offsets into struct trap_frame: x1..x31 at 8 * (n - 1), then CSRs. */
#define TF_SEPC	   (31 * 8)
#define TF_SSTATUS (32 * 8)
#define TF_SCAUSE  (33 * 8)
#define TF_STVAL   (34 * 8)
#define TF_SIZE	   (36 * 8) /* 16-byte aligned */
#define TF_REG(n)  (((n)-1) * 8)

/*
 * The system calls for which trap_entry.S saves s0-s11 in the frame too
 * (so an IPC fast path may leave from another task's frame): numbers
 * FIRST..LAST, ipc_call to notif_wait (checked in dispatch.c), and the
 * four it sends straight to their fast paths (object/ipc_fast.c).
 */
#define TRAP_SYS_IPC_FIRST	18
#define TRAP_SYS_IPC_LAST	24
#define TRAP_SYS_IPC_CALL	18
#define TRAP_SYS_IPC_REPLY_RECV 21
#define TRAP_SYS_NOTIF_WAIT	24
#define TRAP_SYS_NOTIF_SIGNAL	23
/*
 * What notif_signal's and notif_wait's fast paths return when the task
 * they made current runs from its context, not a frame (.Lnotif_fast):
 * not a frame's address.
 */
#define IPC_FAST_CTX 1

/*
 * What the IPC path of trap_entry.S reads to end a fast path's switch
 * (.Lipc_fast): struct cpu's current, prev and
 * need_resched, struct task's on_cpu and killed. Checked in dispatch.c.
 */
#define TRAP_CPU_CURRENT      88
#define TRAP_CPU_PREV	      104
#define TRAP_CPU_NEED_RESCHED 116
#define TRAP_TASK_ON_CPU      176
#define TRAP_TASK_KILLED      384

#ifndef __ASSEMBLER__
#include "keel.h"

struct trap_frame {
	unsigned long regs[31]; /* x1 (ra) .. x31 (t6); x0 is not saved */
	unsigned long sepc, sstatus, scause, stval;
	unsigned long pad;
};

/* System-call argument @n (1-based: a0 is 1), an lvalue; regs[] starts at x1. */
#define tf_arg(tf, n) ((tf)->regs[10 + (n)-2])

const char *trap_cause_str(unsigned long scause);

static inline void local_irq_enable(void)
{
	__asm__ __volatile__("csrsi sstatus, %0" : : "i"(1 << 1) : "memory"); /* SSTATUS_SIE */
}

static inline void local_irq_disable(void)
{
	__asm__ __volatile__("csrci sstatus, %0" : : "i"(1 << 1) : "memory"); /* SSTATUS_SIE */
}
#endif

#endif

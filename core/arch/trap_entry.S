/*
 * trap_entry.S - the S-mode trap vector. Saves every register in a trap_frame
 * on a kernel stack, calls trap_handler(frame), restores, sret.
 *
 * sscratch is 0 while the hart runs kernel code and holds this hart's
 * struct cpu pointer while it runs user code, so the first instruction
 * tells the two apart. In the kernel, tp always points at this hart's
 * struct cpu (core/arch/cpu.h); in user space it is the program's own.
 *
 * From the kernel: the frame goes on the current stack, or on the cpu's
 * overflow stack if the current one has run into its guard page, so the
 * handler can still report it. From user space: on the running task's
 * kernel stack (cpu->kstack_top).
 *
 * A system call (ecall from U-mode) takes a shorter way, as seL4's
 * fastpath does: it saves only what docs/syscalls.md ("Registers") says
 * an ecall keeps or reads - sp, tp, gp, ra, a0-a7, sepc (already past
 * the ecall), sstatus - and calls syscall_entry(frame). s0-s11 need no
 * saving: the C code keeps them by the psABI, and a task that blocks
 * keeps them on its kernel stack. The way back loads the same set and
 * zeroes t0-t6, which the ABI lets a call clobber, so no kernel value
 * leaks to user space. Nothing reads the frame's other slots of a
 * system call (exec builds a whole new frame and leaves through
 * trap_enter_frame). The IPC calls (ipc_call .. notif_wait) save s0-s11
 * too and try their fast paths first, which may leave through another
 * task's frame (see .Lipc; notif_signal too: it may hand its hart to
 * the waiter it wakes).
 */
#include "cpu.h"
#include "riscv.h"
#include "trap.h"

.macro SAVE_CALLEE_SAVED /* s0-s11: x8, x9, x18-x27 */
	sd	x8, TF_REG(8)(sp)
	sd	x9, TF_REG(9)(sp)
	sd	x18, TF_REG(18)(sp)
	sd	x19, TF_REG(19)(sp)
	sd	x20, TF_REG(20)(sp)
	sd	x21, TF_REG(21)(sp)
	sd	x22, TF_REG(22)(sp)
	sd	x23, TF_REG(23)(sp)
	sd	x24, TF_REG(24)(sp)
	sd	x25, TF_REG(25)(sp)
	sd	x26, TF_REG(26)(sp)
	sd	x27, TF_REG(27)(sp)
.endm

.macro LOAD_CALLEE_SAVED
	ld	x8, TF_REG(8)(sp)
	ld	x9, TF_REG(9)(sp)
	ld	x18, TF_REG(18)(sp)
	ld	x19, TF_REG(19)(sp)
	ld	x20, TF_REG(20)(sp)
	ld	x21, TF_REG(21)(sp)
	ld	x22, TF_REG(22)(sp)
	ld	x23, TF_REG(23)(sp)
	ld	x24, TF_REG(24)(sp)
	ld	x25, TF_REG(25)(sp)
	ld	x26, TF_REG(26)(sp)
	ld	x27, TF_REG(27)(sp)
.endm

.macro SAVE_GPRS_EXCEPT_SP_TP_T0_T1
	SAVE_CALLEE_SAVED
	sd	x1, TF_REG(1)(sp)
	sd	x3, TF_REG(3)(sp)
	sd	x7, TF_REG(7)(sp)
	sd	x10, TF_REG(10)(sp)
	sd	x11, TF_REG(11)(sp)
	sd	x12, TF_REG(12)(sp)
	sd	x13, TF_REG(13)(sp)
	sd	x14, TF_REG(14)(sp)
	sd	x15, TF_REG(15)(sp)
	sd	x16, TF_REG(16)(sp)
	sd	x17, TF_REG(17)(sp)
	sd	x28, TF_REG(28)(sp)
	sd	x29, TF_REG(29)(sp)
	sd	x30, TF_REG(30)(sp)
	sd	x31, TF_REG(31)(sp)
.endm

.macro SAVE_CSRS
	csrr	t0, sepc
	sd	t0, TF_SEPC(sp)
	csrr	t0, sstatus
	sd	t0, TF_SSTATUS(sp)
	csrr	t0, scause
	sd	t0, TF_SCAUSE(sp)
	csrr	t0, stval
	sd	t0, TF_STVAL(sp)
.endm

/*
 * syscall_exit() (syscall/dispatch.c) after a fast path: to \slow
 * (syscall_exit_check()) if a switch is due or the task now current was
 * killed. t0 only.
 */
.macro SYSCALL_EXIT_CHECK slow
	lbu	t0, TRAP_CPU_NEED_RESCHED(tp)
	bnez	t0, \slow
	ld	t0, TRAP_CPU_CURRENT(tp)
	fence	rw, rw				/* task_killed(): sequentially consistent */
	lbu	t0, TRAP_TASK_KILLED(t0)
	fence	r, rw
	bnez	t0, \slow
.endm

	.section .text
	.balign 4
	.globl	trap_entry
trap_entry:
	csrrw	tp, sscratch, tp
	bnez	tp, .Lfrom_user
	csrrw	tp, sscratch, tp		/* from the kernel: tp back, sscratch 0 */

	csrw	sscratch, t0
	ld	t0, CPU_STACK_LO(tp)
	addi	t0, t0, TF_SIZE
	bltu	sp, t0, .Loverflow
	addi	sp, sp, -TF_SIZE
	sd	t1, TF_REG(6)(sp)
	addi	t1, sp, TF_SIZE			/* the interrupted sp */
	j	.Lsave
.Loverflow:
	mv	t0, sp
	ld	sp, CPU_EMERG_SP(tp)
	addi	sp, sp, -TF_SIZE
	sd	t1, TF_REG(6)(sp)
	mv	t1, t0
.Lsave:
	sd	t1, TF_REG(2)(sp)
	csrr	t0, sscratch
	sd	t0, TF_REG(5)(sp)
	csrw	sscratch, zero
	sd	x4, TF_REG(4)(sp)
	SAVE_GPRS_EXCEPT_SP_TP_T0_T1
	SAVE_CSRS
	j	.Lhandle

.Lfrom_user:
	/* tp = this hart's struct cpu; sscratch = the user's tp. */
	sd	sp, CPU_USER_SP(tp)
	ld	sp, CPU_KSTACK_TOP(tp)
	addi	sp, sp, -TF_SIZE
	sd	t0, TF_REG(5)(sp)
	csrr	t0, scause
	addi	t0, t0, -EXC_ECALL_U
	beqz	t0, .Lsyscall
	sd	t1, TF_REG(6)(sp)
	ld	t0, CPU_USER_SP(tp)
	sd	t0, TF_REG(2)(sp)
	csrr	t0, sscratch
	sd	t0, TF_REG(4)(sp)
	csrw	sscratch, zero			/* in the kernel now */
	SAVE_GPRS_EXCEPT_SP_TP_T0_T1
	SAVE_CSRS

.Lhandle:
	mv	a0, sp
	call	trap_handler
	/* fall through */

/* trap_return(frame in sp): back to where the frame says (SPP). */
	.globl	trap_return
trap_return:
	csrci	sstatus, SSTATUS_SIE		/* no interrupt while half restored */
	ld	t0, TF_SEPC(sp)
	csrw	sepc, t0
	ld	t0, TF_SSTATUS(sp)
	csrw	sstatus, t0
	andi	t0, t0, SSTATUS_SPP
	bnez	t0, 1f
	/*
	 * To user space: the trap entry must find this hart's struct cpu
	 * in sscratch, and the program gets its own tp back.
	 */
	csrw	sscratch, tp
	ld	x4, TF_REG(4)(sp)
1:	/* To the kernel: tp stays (a task may resume on another hart). */
	ld	x1, TF_REG(1)(sp)
	ld	x3, TF_REG(3)(sp)
	ld	x5, TF_REG(5)(sp)
	ld	x6, TF_REG(6)(sp)
	ld	x7, TF_REG(7)(sp)
	LOAD_CALLEE_SAVED
	ld	x10, TF_REG(10)(sp)
	ld	x11, TF_REG(11)(sp)
	ld	x12, TF_REG(12)(sp)
	ld	x13, TF_REG(13)(sp)
	ld	x14, TF_REG(14)(sp)
	ld	x15, TF_REG(15)(sp)
	ld	x16, TF_REG(16)(sp)
	ld	x17, TF_REG(17)(sp)
	ld	x28, TF_REG(28)(sp)
	ld	x29, TF_REG(29)(sp)
	ld	x30, TF_REG(30)(sp)
	ld	x31, TF_REG(31)(sp)
	ld	x2, TF_REG(2)(sp)
	sret

/*
 * A system call from U-mode, t0 saved (and free again). Interrupts are
 * off (the trap cleared SIE); syscall_entry() returns with them off.
 */
.Lsyscall:
	ld	t0, CPU_USER_SP(tp)
	sd	t0, TF_REG(2)(sp)
	csrr	t0, sscratch
	sd	t0, TF_REG(4)(sp)
	csrw	sscratch, zero			/* in the kernel now */
	sd	x1, TF_REG(1)(sp)
	sd	x3, TF_REG(3)(sp)
	sd	x10, TF_REG(10)(sp)
	sd	x11, TF_REG(11)(sp)
	sd	x12, TF_REG(12)(sp)
	sd	x13, TF_REG(13)(sp)
	sd	x14, TF_REG(14)(sp)
	sd	x15, TF_REG(15)(sp)
	sd	x16, TF_REG(16)(sp)
	sd	x17, TF_REG(17)(sp)
	csrr	t0, sepc
	addi	t0, t0, 4			/* return past the ecall (4 bytes: no c.ecall) */
	sd	t0, TF_SEPC(sp)
	csrr	t0, sstatus
	sd	t0, TF_SSTATUS(sp)
	addi	t0, a7, -TRAP_SYS_IPC_FIRST
	sltiu	t0, t0, TRAP_SYS_IPC_LAST - TRAP_SYS_IPC_FIRST + 1
	bnez	t0, .Lipc
	mv	a0, sp
	call	syscall_entry

.Lsyscall_return:
	ld	t0, TF_SEPC(sp)
	csrw	sepc, t0
	ld	t0, TF_SSTATUS(sp)		/* SPP = U, SPIE as the caller had it */
	csrw	sstatus, t0
	csrw	sscratch, tp			/* this hart's cpu, for the next trap */
	ld	x1, TF_REG(1)(sp)
	ld	x3, TF_REG(3)(sp)
	ld	x4, TF_REG(4)(sp)
	ld	x10, TF_REG(10)(sp)
	ld	x11, TF_REG(11)(sp)
	ld	x12, TF_REG(12)(sp)
	ld	x13, TF_REG(13)(sp)
	ld	x14, TF_REG(14)(sp)
	ld	x15, TF_REG(15)(sp)
	ld	x16, TF_REG(16)(sp)
	ld	x17, TF_REG(17)(sp)
	li	x5, 0
	li	x6, 0
	li	x7, 0
	li	x28, 0
	li	x29, 0
	li	x30, 0
	li	x31, 0
	ld	x2, TF_REG(2)(sp)
	sret

/*
 * ipc_call .. notif_wait: s0-s11 go into the frame as well, so the
 * task's user state is all there. The calls with a fast path
 * (object/ipc_fast.c) go straight to it; it returns NULL (not taken:
 * the slow path, syscall_entry(), follows), our frame (done, no switch),
 * or the frame of the task it has just made current, blocked or queued
 * in the same way: then we move to that task's stack and finish the
 * switch there. notif_signal and notif_wait save s0-s11 only once their
 * fast path has returned (still the user's: the psABI keeps them), and
 * only to switch or to take the slow path; their fast path may also
 * return IPC_FAST_CTX: the task made current runs from its context.
 */
#if TRAP_SYS_NOTIF_WAIT != TRAP_SYS_NOTIF_SIGNAL + 1 || TRAP_SYS_NOTIF_WAIT != TRAP_SYS_IPC_LAST
#error ".Lipc takes notif_signal and notif_wait for the last two IPC calls"
#endif
.Lipc:
	addi	t0, a7, -TRAP_SYS_NOTIF_SIGNAL
	bgez	t0, .Lnotif			/* notif_signal (t0 0) or notif_wait */
	SAVE_CALLEE_SAVED
	mv	a0, sp
	addi	t0, a7, -TRAP_SYS_IPC_CALL
	beqz	t0, .Lipc_call
	addi	t0, a7, -TRAP_SYS_IPC_REPLY_RECV
	bnez	t0, .Lipc_slow
	call	ipc_fast_reply_recv
	j	.Lipc_fast
.Lnotif:
	mv	a0, sp
	bnez	t0, .Lnotif_wait
	call	ipc_fast_signal
	j	.Lnotif_fast
.Lnotif_wait:
	call	ipc_fast_wait
.Lnotif_fast:
	beq	a0, sp, .Lnotif_exit		/* done, no switch: s0-s11 as they were */
	SAVE_CALLEE_SAVED
	beqz	a0, .Lipc_slow
	li	t0, IPC_FAST_CTX
	bne	a0, t0, .Lipc_switch
	call	ipc_fast_switch_ctx		/* never returns */
.Lnotif_exit:
	SYSCALL_EXIT_CHECK .Lnotif_exit_slow
	j	.Lsyscall_return
.Lnotif_exit_slow:
	call	syscall_exit_check
	j	.Lsyscall_return
.Lipc_call:
	call	ipc_fast_call
.Lipc_fast:
	beqz	a0, .Lipc_slow
	beq	a0, sp, .Lipc_exit		/* done, no switch */
.Lipc_switch:
	/*
	 * The end of the switch: off the stack of the task we left
	 * (cpu->prev, blocked or queued by the fast path: not dead), it
	 * may run elsewhere. The release pairs with the acquire loads of
	 * on_cpu (kernel/sched.c, kernel/sched_fast.h).
	 */
	mv	sp, a0
	ld	t0, TRAP_CPU_PREV(tp)
	sd	zero, TRAP_CPU_PREV(tp)
	fence	rw, w
	sw	zero, TRAP_TASK_ON_CPU(t0)
.Lipc_exit:
	SYSCALL_EXIT_CHECK .Lipc_exit_slow
.Lipc_return:
	LOAD_CALLEE_SAVED
	j	.Lsyscall_return
.Lipc_exit_slow:
	call	syscall_exit_check
	j	.Lipc_return
.Lipc_slow:
	mv	a0, sp
	call	syscall_entry
	j	.Lipc_return

/*
 * Where a task blocked by the IPC fast path resumes when the scheduler
 * runs it (ipc_fast() set its context: ra here, sp its frame): finish the
 * switch, finish the call as the slow path would, and leave.
 */
	.globl	ipc_fast_resume
ipc_fast_resume:
	call	sched_finish_switch
	mv	a0, sp
	call	ipc_fast_resumed
	call	syscall_exit_check
	j	.Lipc_return

/* trap_enter_frame(frame): start running from a frame built by C (user_enter). */
	.globl	trap_enter_frame
trap_enter_frame:
	mv	sp, a0
	j	trap_return

/*
 * dispatch.c - the system call entry: arch/trap_entry.S calls
 * syscall_entry() for every ecall from U-mode, with a short frame (see
 * there). a7 indexes the one table made from
 * include/keel/syscalls.h; each family of calls is a sys_<family>.c file
 * beside this one (sys_process, sys_ipc, sys_mem, sys_irq, sys_console,
 * sys_system). docs/syscalls.md describes each call.
 */
#include "dispatch.h"
#include "sys_common.h"
#include "arch/cpu.h"
#include "arch/trap.h"
#include "kernel/sched.h"
#include "kernel/task.h"
#include "lib/log.h"
#include "lib/ratelimit.h"
#include "object/ipc.h"
#include "object/process.h"
#include "keel/syscall.h"

typedef long (*sys_fn)(struct trap_frame *tf);

/* The one table: a7 -> handler, from include/keel/syscalls.h. */
#define SYS_ENTRY(nr, name, kind, n, args, ret) [nr] = sys_entry_##name,
static const sys_fn sys_table[SYS_MAX] = { KEEL_SYSCALLS(SYS_ENTRY) };
#undef SYS_ENTRY

/*
 * The rare ends of a system call: the task was killed, or the tick or an
 * IPI asked for another task. Kept out of line so the common path stays
 * a few instructions.
 */
static __attribute__((noinline)) void syscall_exit_slow(void)
{
	process_check_killed();
	sched_preempt_check();
	process_check_killed(); /* a kill that came while switched away */
}

_Static_assert(TRAP_SYS_IPC_FIRST <= SYS_ipc_call && SYS_ipc_call <= TRAP_SYS_IPC_LAST &&
		       TRAP_SYS_IPC_FIRST <= SYS_ipc_reply_recv &&
		       SYS_ipc_reply_recv <= TRAP_SYS_IPC_LAST &&
		       TRAP_SYS_IPC_FIRST <= SYS_notif_signal &&
		       SYS_notif_signal <= TRAP_SYS_IPC_LAST &&
		       TRAP_SYS_IPC_FIRST <= SYS_notif_wait && SYS_notif_wait <= TRAP_SYS_IPC_LAST,
	       "trap.h's range of IPC system calls");
_Static_assert(TRAP_SYS_NOTIF_SIGNAL == SYS_notif_signal && TRAP_SYS_IPC_CALL == SYS_ipc_call &&
		       TRAP_SYS_IPC_REPLY_RECV == SYS_ipc_reply_recv &&
		       TRAP_SYS_NOTIF_WAIT == SYS_notif_wait,
	       "trap.h's IPC system call numbers");
_Static_assert(TRAP_CPU_CURRENT == offsetof(struct cpu, current) &&
		       TRAP_CPU_PREV == offsetof(struct cpu, prev) &&
		       TRAP_CPU_NEED_RESCHED == offsetof(struct cpu, need_resched) &&
		       TRAP_TASK_ON_CPU == offsetof(struct task, on_cpu) &&
		       TRAP_TASK_KILLED == offsetof(struct task, killed),
	       "trap.h's struct cpu and struct task offsets");

/* The end of every system call, interrupts off: a kill or a switch due? */
static inline void syscall_exit(void)
{
	struct cpu *c = this_cpu();

	if (__builtin_expect(c->need_resched || task_killed(c->current), 0))
		syscall_exit_slow();
}

void syscall_exit_check(void)
{
	syscall_exit();
}

/*
 * arch/trap_entry.S's system call path, interrupts off, @tf holding what
 * docs/syscalls.md says a call reads (a0-a7, sepc already past the
 * ecall). Returns with interrupts off and the result in the frame's a0.
 */
void syscall_entry(struct trap_frame *tf)
{
	unsigned long nr = tf->regs[17 - 1]; /* a7 */

	if (__builtin_expect(nr < SYS_MAX, 1)) {
		local_irq_enable();
		tf->regs[10 - 1] = (unsigned long)sys_table[nr](tf);
		local_irq_disable();
	} else {
		tf->regs[10 - 1] = (unsigned long)-KEEL_ENOSYS;
	}
	syscall_exit();
}

void syscall_user_fault(struct trap_frame *tf)
{
	struct task *t = task_current();
	unsigned long code = tf->scause & ~SCAUSE_INTERRUPT;
	struct task *to = process_report_to(t);

	pr_task(to, LOG_ERR, "%s[%d]: %s at 0x%lx epc 0x%lx on hart %lu; killed\n", t->name, t->pid,
		trap_cause_str(tf->scause), tf->stval, tf->sepc, this_cpu()->hartid);
	process_report_done(t, to);
	local_irq_enable();
	process_exit(TASK_EXIT_FAULT | (int)code);
}

/*
 * dispatch.c - the system call entry: trap_handler() passes every ecall
 * from U-mode here. a7 indexes the one table made from
 * include/keel/syscalls.h; each family of calls is a sys_<family>.c file
 * beside this one (sys_process, sys_ipc, sys_mem, sys_irq, sys_console,
 * sys_system). docs/syscalls.md describes each call.
 */
#include "dispatch.h"
#include "sys_common.h"
#include "arch/cpu.h"
#include "arch/trap.h"
#include "kernel/task.h"
#include "lib/log.h"
#include "object/ipc.h"
#include "object/process.h"
#include "keel/syscall.h"

typedef long (*sys_fn)(struct trap_frame *tf);

/* The one table: a7 -> handler, from include/keel/syscalls.h. */
#define SYS_ENTRY(nr, name, kind, n, args, ret) [nr] = sys_entry_##name,
static const sys_fn sys_table[SYS_MAX] = { KEEL_SYSCALLS(SYS_ENTRY) };
#undef SYS_ENTRY

static long syscall_dispatch(struct trap_frame *tf)
{
	unsigned long nr = tf->regs[17 - 1];	/* a7 */

	if (nr >= SYS_MAX)
		return -KEEL_ENOSYS;
	return sys_table[nr](tf);
}

void syscall_handle(struct trap_frame *tf)
{
	unsigned long nr = tf->regs[17 - 1];	/* a7 */

	tf->sepc += 4;		/* past the ecall */
	if ((nr == SYS_ipc_call || nr == SYS_ipc_reply_recv) && ipc_fast(tf, nr)) {
		process_check_killed();
		return;
	}
	local_irq_enable();
	tf->regs[10 - 1] = (unsigned long)syscall_dispatch(tf);
	local_irq_disable();
	process_check_killed();
}

void syscall_user_fault(struct trap_frame *tf)
{
	struct task *t = task_current();
	unsigned long code = tf->scause & ~SCAUSE_INTERRUPT;

	struct task *to = process_report_to(t);

	pr_task(to, LOG_ERR, "%s[%d]: %s at 0x%lx epc 0x%lx on hart %lu; killed\n", t->name,
		t->pid, trap_cause_str(tf->scause), tf->stval, tf->sepc, this_cpu()->hartid);
	process_report_done(t, to);
	local_irq_enable();
	process_exit(TASK_EXIT_FAULT | (int)code);
}

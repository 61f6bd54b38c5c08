/*
 * process.c - the object side of a user task's end: its IPC partners
 * get an error instead of a hang, its handles close, its children go to
 * init, and its parent, if it asked (child_notif), is signalled. Then
 * kernel/task.c's task_exit() ends the thread.
 *
 * Locking: process_notif_lock guards every task's child_notif and
 * child_bits; a parent exiting drops its notification under it, so a
 * child signalling it never uses a dropped one. Lock order:
 * process_notif_lock, then a notification's lock.
 */
#include "process.h"
#include "lib/ratelimit.h"
#include "arch/cpu.h"
#include "arch/riscv.h"
#include "arch/trap.h"
#include "handle.h"
#include "ipc.h"
#include "kernel/task.h"
#include "mm/as.h"
#include "lib/log.h"
#include "lib/panic.h"

static struct spinlock process_notif_lock = SPINLOCK_INIT;

void process_set_child_notif(struct kobj *n, unsigned long bits)
{
	struct task *me = task_current();
	unsigned long flags = spin_lock_irqsave(&process_notif_lock);
	struct kobj *old = me->child_notif;

	me->child_notif = n;
	me->child_bits = bits;
	spin_unlock_irqrestore(&process_notif_lock, flags);
	if (old)
		kobj_drop(old, KEEL_R_SIGNAL);
}

/* Signal task @pid's child notification, if it has one. */
static void process_signal(int pid)
{
	struct task *p = task_find(pid);
	unsigned long flags;

	if (!p)
		return;
	/* The lock keeps @p from dropping its notification meanwhile. */
	flags = spin_lock_irqsave(&process_notif_lock);
	if (p->child_notif)
		ipc_notif_signal(p->child_notif, p->child_bits);
	spin_unlock_irqrestore(&process_notif_lock, flags);
	task_put(p);
}

struct process_reparent_ctx {
	struct task *dying;
	bool any;
};

static void process_adopt_one(struct task *c, void *arg)
{
	struct process_reparent_ctx *ctx = arg;

	if (c == ctx->dying || __atomic_load_n(&c->ppid, __ATOMIC_RELAXED) != ctx->dying->pid)
		return;
	__atomic_store_n(&c->ppid, 1, __ATOMIC_RELAXED);
	ctx->any = true;
}

/*
 * @t's children go to init (pid 1), as in Linux: init waits for every
 * child that exits, so none is left dead in the pool. Init is told, for
 * those already dead.
 */
static void process_reparent(struct task *t)
{
	struct process_reparent_ctx ctx = { t, false };

	task_for_each(process_adopt_one, &ctx);
	if (ctx.any)
		process_signal(1);
}

void process_exit(int code)
{
	struct task *t = task_current();

	if (t->pid == 1 && t->as)
		panic("Attempted to kill init! exitcode=0x%08x", (unsigned int)code);
	/*
	 * Devices it drove stop first (a virtio device is reset), while the
	 * DMA buffers it gave them are still its: they are freed only with
	 * its address space, after its cpu switches away. And before its
	 * parent hears of the exit, so a restarted driver finds them reset.
	 */
	as_quiesce(t->as);
	/* Its callers and partners get an error, not a hang (ipc.c). */
	ipc_task_exit(t);
	handle_table_free(t);
	process_set_child_notif(NULL, 0);
	log_console_claim(t->pid, false); /* a console server gives the console back */
	if (t->as && t->pid > 1)
		process_reparent(t);
	task_set_exited(code);
	process_signal(t->ppid); /* after: its wait_any() must find us exited */
	task_exit(code);
}

/*
 * Whose rate limit a task's death report is charged to: its parent's,
 * which is what can start dying tasks in a loop (each child is new and
 * would have a full burst of its own); the task's own if it has none.
 * A held reference: give it back with process_report_done().
 */
struct task *process_report_to(struct task *t)
{
	struct task *p = t->ppid ? task_find(t->ppid) : NULL;

	return p ? p : t;
}

void process_report_done(struct task *t, struct task *to)
{
	if (to != t)
		task_put(to);
}

void process_check_killed(void)
{
	struct task *t = this_cpu()->current; /* interrupts are off */
	struct task *to;

	if (!task_killed(t))
		return;
	to = process_report_to(t);
	pr_task(to, LOG_ERR, "%s[%d]: killed\n", t->name, t->pid);
	process_report_done(t, to);
	local_irq_enable();
	process_exit(TASK_EXIT_KILLED);
}

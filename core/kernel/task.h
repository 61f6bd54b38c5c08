/*
 * task.h - kernel tasks: the idle task of each hart (pid 0, swapper/N),
 * kernel_init (pid 1), kthreadd (pid 2) and the kernel threads it makes.
 *
 * A task runs on one hart at a time on its own kernel stack (guard page
 * under it); sched.c moves it between harts.
 */
#ifndef KEEL_TASK_H
#define KEEL_TASK_H

#include "keel.h"
#include "arch/cpu.h"
#include "lib/cpumask.h"
#include "lib/ratelimit.h"
#include "arch/riscv.h"
#include "ipc_state.h"
#include "runq.h"
#include "wait.h"

struct handle_table;
struct kobj;
struct quota;

#define TASK_NAME_LEN	  16
#define TASK_PRIOS	  RUNQ_PRIOS /* 0 is the most urgent */
#define TASK_PRIO_DEFAULT 4
#define TASK_EXIT_FAULT	  0x100 /* | scause: killed by a fault */
#define TASK_EXIT_KILLED  0x209 /* ended by kill (9, as SIGKILL) */

enum task_state {
	TASK_RUNNING, /* current on some cpu */
	TASK_READY,   /* in a run queue */
	TASK_BLOCKED, /* waiting; a wake-up makes it READY */
	TASK_DEAD,    /* exited; its cpu frees or its joiner reaps it */
};

/* Callee-saved state, saved and restored by core/kernel/switch.S. */
struct context {
	unsigned long ra, sp;
	unsigned long s[12];
};

struct task {
	struct context ctx; /* owned by the cpu that runs or switches it */
	int pid;	    /* immutable after creation */
	int ppid;	    /* atomic: init (1) adopts the children of a task that exits */
	char name[TASK_NAME_LEN];
	int state;			  /* atomic: enum task_state */
	unsigned int refs;		  /* guarded by task_lock: freed to its cache at 0 */
	bool freed;			  /* guarded by task_lock: its own reference is gone */
	struct task *pid_next;		  /* guarded by task_lock: its pid hash chain */
	struct task *all_next, *all_prev; /* guarded by task_lock: every task, oldest first */
	int on_cpu;			  /* atomic: 1 while a cpu still runs on its stack */
	unsigned int cpu;	    /* where it runs or is queued; guarded by that rq's lock */
	unsigned int prio;	    /* guarded by its rq's lock */
	struct cpumask affinity;    /* where it may run; guarded by its rq's lock */
	struct runq_entry rq_entry; /* guarded by its rq's lock */
	struct task *evac_next;	    /* a hart going offline lists its tasks here */
	struct task *wq_next;	    /* guarded by the waitqueue's lock */
	/* A timed wait: guarded by the lock of the rq of timeout_cpu. */
	uint64_t wake_at; /* time CSR deadline, 0 = none */
	unsigned int timeout_cpu;
	struct task *timeout_next;
	bool timed_out;
	/* The thread function, and how it ends. */
	void (*fn)(void *arg);
	void *arg;
	bool detached;		       /* freed at exit; else task_join() reaps it */
	int exit_code;		       /* set by task_set_exited() */
	struct as *as;		       /* user address space, NULL for kernel threads */
	uintptr_t user_entry, user_sp; /* a spawned task's start, until it runs */
	struct completion exited;
	bool killed; /* atomic: kill() asked it to end */
	/* Signalled when a child exits; guarded by process.c's notif lock. */
	struct kobj *child_notif;
	unsigned long child_bits;
	/* What it may reach (object/handle.c) and its IPC state (object/ipc.c, under ipc_lock). */
	struct handle_table *handles; /* atomic pointer; NULL until its first handle */
	/* What it and its descendants may take (lib/quota.h): a reference, NULL for kernel tasks.
	 */
	struct quota *quota; /* set before it first runs; dropped when it is freed */
	struct ipc_task ipc;
	/* Its stack: one slot of the kernel stack region (vm.h); KSTACK_SLOTS: a boot stack. */
	unsigned int stack_slot;
	uintptr_t stack_lo, stack_top;
	/* Lines it can make the core print (pr_task); lib/ratelimit.c's lock. */
	struct ratelimit log_limit;
	/* Counters, for ps and the self-tests. Owned by the running cpu. */
	uint64_t switches, migrations;
	unsigned int cpus_seen; /* distinct cpus it ran on (approximate) */
	unsigned int last_cpu;
};

/*
 * A log line task @t can make the core print as often as it likes (a
 * refused program, a fault report, a refused MMIO window, a kill): rate
 * limited per task, a burst then one a second (lib/ratelimit.h).
 */
#define pr_task(t, level, ...)                                                                     \
	do {                                                                                       \
		struct task *pr_task_ = (t);                                                       \
		if (log_ratelimit(&pr_task_->log_limit, pr_task_->name, pr_task_->pid))            \
			log_printf(level, __VA_ARGS__);                                            \
	} while (0)

/* Create a ready-to-run kernel task; sched_wake() starts it. NULL if out of tasks or memory. */
struct task *task_create(const char *name, void (*fn)(void *), void *arg, int ppid);
/* The idle task of this cpu, made from the context that calls it. */
struct task *task_make_idle(unsigned int cpu);
/*
 * The current task has ended with @code: its joiner (task_join) may go
 * on. Called once, just before task_exit(); process_exit() tells the
 * parent in between.
 */
void task_set_exited(int code);
/* Leave the current task with @code (the thread side only: see process_exit()); never returns. */
__noreturn void task_exit(int code);
/*
 * The task with @pid, not yet freed, with a reference the caller gives
 * back with task_put(): the slot is not reused meanwhile. NULL if none.
 */
struct task *task_find(int pid);
/* Give back a reference from task_find() or task_for_each(); the last one frees the task. */
void task_put(struct task *t);
/* Wait (up to @timeout_ms) for @t to exit, then free it. */
int __must_check task_join(struct task *t, unsigned int timeout_ms);
/* Drop a dead task's own reference (sched.c, after switching away from it; task_join). */
void task_free(struct task *t);
/* The task running on this cpu. */
static inline struct task *task_current(void)
{
	/* Interrupts off: no move to another hart between reading tp and current. */
	unsigned long flags = csr_read_clear(sstatus, SSTATUS_SIE) & SSTATUS_SIE;
	struct task *t = this_cpu()->current;

	csr_set(sstatus, flags);
	return t;
}
/*
 * Walk every task not yet freed (ps, reparenting, tests), each held by a
 * reference while @fn runs (@fn may sleep); returns how many it visited.
 */
unsigned int task_for_each(void (*fn)(struct task *t, void *arg), void *arg);
const char *task_state_str(int state);
/* Tasks not yet freed to the cache (self-tests). */
unsigned long task_nr(void);
/* Freed kernel stacks kept mapped, and slots waiting for a TLB flush (self-tests). */
void task_stack_stats(unsigned int *cached, unsigned int *stale);
/*
 * Has kill() asked @t to end? It does at its next return to user mode,
 * and every wait ends early for it. Sequentially consistent: it pairs
 * with the store in task_kill() (see task_block_killable()).
 */
static inline bool task_killed(struct task *t)
{
	return __atomic_load_n(&t->killed, __ATOMIC_SEQ_CST);
}
/*
 * The current task is about to block in a wait that a kill must end
 * (the waiter's lock held, its queue entry made): marks it BLOCKED, and
 * if it was killed meanwhile, READY again, so the block returns at once
 * and the waiter sees task_killed(). No kill is lost between the
 * waiter's last look and its block.
 */
void task_block_killable(struct task *me);
/* Ask user task @pid to end; wakes it if it waits. -KEEL_ENOENT: none, or it has exited. */
int __must_check task_kill(int pid);

#endif

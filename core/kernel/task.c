/*
 * task.c - task structures, pids, kernel stacks, exit and join.
 *
 * Tasks live in a fixed pool (TASK_MAX). Each kernel thread gets a stack
 * slot of the kernel stack region (vm.h) with a guard page under it;
 * slots below KEEL_MAX_CPUS belong to the secondaries' boot stacks. A
 * freed slot keeps its pages and goes to a free list, so no mapping is
 * ever removed (and no TLB shootdown is needed) when tasks come and go.
 *
 * A task is freed when its last reference goes: its own, dropped when it
 * is reaped (task_join) or, detached, once off its cpu; and one for each
 * task_find() or task_for_each() still looking at it. So a pointer from
 * task_find() never names a slot reused by another task.
 *
 * This is the thread side only: a user task's handles, IPC, parent and
 * children are the object layer's (object/process.c, process_exit()).
 *
 * Locking: task_lock guards the pool, the refs, the pid counter and the
 * slot free list. A task's scheduling fields are the scheduler's (sched.c).
 */
#include "lib/err.h"
#include "task.h"
#include "arch/cpu.h"
#include "lib/fmt.h"
#include "lib/log.h"
#include "arch/riscv.h"
#include "lib/panic.h"
#include "lib/quota.h"
#include "sched.h"
#include "smp.h"
#include "lib/string.h"
#include "arch/trap.h"
#include "mm/vm.h"

static struct task task_pool[TASK_MAX];		    /* guarded by task_lock */
static bool task_used[TASK_MAX];		    /* guarded by task_lock */
static int task_next_pid = 1;			    /* guarded by task_lock */
static unsigned int task_free_slots[TASK_MAX];	    /* guarded by task_lock */
static unsigned int task_nfree_slots;		    /* guarded by task_lock */
static unsigned int task_next_slot = KEEL_MAX_CPUS; /* guarded by task_lock */
static struct spinlock task_lock = SPINLOCK_INIT;

extern char task_trampoline[];
void task_main(struct task *t);

const char *task_state_str(int state)
{
	static const char *const names[] = { "running", "ready", "blocked", "dead" };

	return state >= 0 && state < (int)ARRAY_SIZE(names) ? names[state] : "?";
}

static struct task *task_alloc(void)
{
	unsigned long flags = spin_lock_irqsave(&task_lock);
	struct task *t = NULL;

	for (unsigned int i = 0; i < TASK_MAX; i++) {
		if (!task_used[i]) {
			task_used[i] = true;
			t = &task_pool[i];
			/* Under the lock: task_find() must not see the old pid. */
			memset(t, 0, sizeof(*t));
			t->refs = 1; /* its own, until it is reaped */
			break;
		}
	}
	spin_unlock_irqrestore(&task_lock, flags);
	return t;
}

static void task_release(struct task *t)
{
	unsigned long flags = spin_lock_irqsave(&task_lock);

	task_used[t - task_pool] = false;
	spin_unlock_irqrestore(&task_lock, flags);
}

/* A stack slot: a freed one if there is one, else a fresh one. */
static int task_get_stack(struct task *t)
{
	unsigned long flags = spin_lock_irqsave(&task_lock);
	unsigned int slot;
	bool fresh = false;
	int err;

	if (task_nfree_slots) {
		slot = task_free_slots[--task_nfree_slots];
	} else {
		slot = task_next_slot++;
		fresh = true;
	}
	spin_unlock_irqrestore(&task_lock, flags);

	t->stack_slot = slot;
	t->stack_lo = KSTACK_BASE + (uintptr_t)slot * KSTACK_SLOT + PAGE_SIZE;
	t->stack_top = t->stack_lo + KSTACK_SIZE;
	if (!fresh)
		return 0;
	err = vm_alloc_kstack(slot, &t->stack_lo, &t->stack_top);
	if (err) {
		/* The slot number is spent; its pages were never mapped. */
		pr_err("task: no stack for a new task: %s\n", kerr_str(err));
	}
	return err;
}

static void task_put_stack(struct task *t)
{
	unsigned long flags = spin_lock_irqsave(&task_lock);

	task_free_slots[task_nfree_slots++] = t->stack_slot;
	spin_unlock_irqrestore(&task_lock, flags);
}

static int task_new_pid(void)
{
	unsigned long flags = spin_lock_irqsave(&task_lock);
	int pid = task_next_pid++;

	spin_unlock_irqrestore(&task_lock, flags);
	return pid;
}

static void task_set_name(struct task *t, const char *name)
{
	fmt_snprintf(t->name, sizeof(t->name), "%s", name);
}

struct task *task_create(const char *name, void (*fn)(void *), void *arg, int ppid)
{
	struct task *t = task_alloc();

	if (!t)
		return NULL;
	if (task_get_stack(t)) {
		task_release(t);
		return NULL;
	}
	t->pid = task_new_pid();
	t->ppid = ppid;
	task_set_name(t, name);
	t->fn = fn;
	t->arg = arg;
	t->prio = TASK_PRIO_DEFAULT;
	t->cpu = this_cpu()->id;
	t->last_cpu = t->cpu;
	cpumask_fill(&t->affinity, smp_possible_cpus());
	completion_init(&t->exited);
	/* Not yet runnable: sched_wake() moves it from BLOCKED to READY. */
	t->state = TASK_BLOCKED;
	t->ctx.ra = (unsigned long)task_trampoline;
	/* The top of the stack is kept for the user trap frame (exec_enter, trap.S). */
	t->ctx.sp = t->stack_top - sizeof(struct trap_frame);
	t->ctx.s[0] = (unsigned long)t;
	return t;
}

struct task *task_make_idle(unsigned int cpu)
{
	struct task *t = task_alloc();
	struct cpu *c = &cpus[cpu];

	if (!t)
		panic("task: no task for swapper/%u", cpu);
	t->pid = 0;
	t->ppid = 0;
	fmt_snprintf(t->name, sizeof(t->name), "swapper/%u", cpu);
	t->state = TASK_RUNNING;
	t->on_cpu = 1;
	t->cpu = cpu;
	t->last_cpu = cpu;
	t->cpus_seen = 1;
	t->prio = TASK_PRIOS; /* below everything; never queued */
	t->stack_lo = c->stack_lo;
	t->stack_top = c->stack_top;
	t->detached = true;
	cpumask_clear_all(&t->affinity);
	cpumask_set(&t->affinity, cpu);
	completion_init(&t->exited);
	return t;
}

struct task *task_find(int pid)
{
	struct task *found = NULL;
	unsigned long flags = spin_lock_irqsave(&task_lock);

	for (unsigned int i = 0; i < TASK_MAX && !found && pid > 0; i++) {
		if (task_used[i] && !task_pool[i].freed && task_pool[i].pid == pid) {
			found = &task_pool[i];
			found->refs++;
		}
	}
	spin_unlock_irqrestore(&task_lock, flags);
	return found;
}

void task_put(struct task *t)
{
	unsigned long flags = spin_lock_irqsave(&task_lock);
	bool last = !--t->refs;

	spin_unlock_irqrestore(&task_lock, flags);
	if (!last)
		return;
	if (t->quota)
		quota_put(t->quota); /* its task count goes once nothing else holds the node */
	task_put_stack(t);
	task_release(t);
}

/* The task in slot @i with a reference, or NULL if the slot is free. */
static struct task *task_hold_slot(unsigned int i)
{
	unsigned long flags;
	struct task *t = NULL;

	/* A free slot is skipped without the lock: ps and wait_any walk all of them. */
	if (!__atomic_load_n(&task_used[i], __ATOMIC_RELAXED))
		return NULL;
	flags = spin_lock_irqsave(&task_lock);

	if (task_used[i] && !task_pool[i].freed) {
		t = &task_pool[i];
		t->refs++;
	}
	spin_unlock_irqrestore(&task_lock, flags);
	return t;
}

/* First C code of a new task (core/kernel/switch.S task_trampoline). */
void task_main(struct task *t)
{
	local_irq_enable();
	t->fn(t->arg);
	task_exit(0);
}

int task_kill(int pid)
{
	struct task *t = task_find(pid);
	int err = 0;

	if (!t)
		return -KEEL_ENOENT;
	if (__atomic_load_n(&t->exited.done, __ATOMIC_ACQUIRE))
		err = -KEEL_ENOENT;			 /* exited; only its reaping is left */
	else if (pid <= 1 || (!t->as && !t->user_entry)) /* as is NULL while exec_enter() runs */
		err = -KEEL_EDENIED;
	if (!err) {
		/* Pairs with the load in task_block_killable(): one of us sees the other. */
		__atomic_store_n(&t->killed, true, __ATOMIC_SEQ_CST);
		sched_wake(t); /* out of a wait, if it is in one */
	}
	task_put(t);
	return err;
}

void task_block_killable(struct task *me)
{
	__atomic_store_n(&me->state, TASK_BLOCKED, __ATOMIC_SEQ_CST);
	/*
	 * A kill that came before our store found us RUNNING and woke no
	 * one: wake ourselves (schedule() then lets us go on at once).
	 */
	if (task_killed(me))
		sched_wake(me);
}

void task_set_exited(int code)
{
	struct task *t = task_current();

	t->exit_code = code;
	/* Wakes a joiner; it frees us only once no cpu runs on our stack. */
	complete_all(&t->exited);
}

void task_exit(int code)
{
	struct task *t = task_current();

	if (t->pid == 1 && t->as)
		panic("Attempted to kill init! exitcode=0x%08x", (unsigned int)code);
	if (!__atomic_load_n(&t->exited.done, __ATOMIC_ACQUIRE))
		task_set_exited(code);
	local_irq_disable();
	__atomic_store_n(&t->state, TASK_DEAD, __ATOMIC_RELEASE);
	schedule();
	panic("task: %s (pid %d) ran after its exit", t->name, t->pid);
}

void task_free(struct task *t)
{
	unsigned long flags = spin_lock_irqsave(&task_lock);

	t->freed = true; /* no task_find() finds it now: reaped once */
	spin_unlock_irqrestore(&task_lock, flags);
	task_put(t);
}

int task_join(struct task *t, unsigned int timeout_ms)
{
	int err = wait_for_completion(&t->exited, timeout_ms, t->name);

	if (err)
		return err;
	/* Pairs with the release in sched_finish_switch(): off its stack for good. */
	while (__atomic_load_n(&t->on_cpu, __ATOMIC_ACQUIRE) ||
	       __atomic_load_n(&t->state, __ATOMIC_ACQUIRE) != TASK_DEAD)
		cpu_relax();
	task_free(t);
	return 0;
}

unsigned int task_for_each(void (*fn)(struct task *t, void *arg), void *arg)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < TASK_MAX; i++) {
		struct task *t = task_hold_slot(i);

		if (!t)
			continue;
		fn(t, arg);
		task_put(t);
		n++;
	}
	return n;
}

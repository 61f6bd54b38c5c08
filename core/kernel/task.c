/*
 * task.c - task structures, pids, kernel stacks, exit and join.
 *
 * Tasks live in a fixed pool (TASK_MAX). Each kernel thread gets a stack
 * slot of the kernel stack region (vm.h) with a guard page under it;
 * slots below KEEL_MAX_CPUS belong to the secondaries' boot stacks. A
 * freed slot keeps its pages and goes to a free list, so no mapping is
 * ever removed (and no TLB shootdown is needed) when tasks come and go.
 *
 * Locking: task_lock guards the pool, the pid counter and the slot free
 * list. A task's scheduling fields are the scheduler's (sched.c).
 */
#include "task.h"
#include "arch/cpu.h"
#include "lib/fmt.h"
#include "object/handle.h"
#include "object/ipc.h"
#include "lib/log.h"
#include "arch/riscv.h"
#include "lib/panic.h"
#include "sched.h"
#include "smp.h"
#include "lib/string.h"
#include "arch/trap.h"
#include "mm/vm.h"

static struct task task_pool[TASK_MAX];		/* guarded by task_lock */
static bool task_used[TASK_MAX];		/* guarded by task_lock */
static int task_next_pid = 1;			/* guarded by task_lock */
static unsigned int task_free_slots[TASK_MAX];	/* guarded by task_lock */
static unsigned int task_nfree_slots;		/* guarded by task_lock */
static unsigned int task_next_slot = KEEL_MAX_CPUS;	/* guarded by task_lock */
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
			break;
		}
	}
	spin_unlock_irqrestore(&task_lock, flags);
	if (t)
		memset(t, 0, sizeof(*t));
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
	t->prio = TASK_PRIOS;		/* below everything; never queued */
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

	for (unsigned int i = 0; i < TASK_MAX && !found; i++)
		if (task_used[i] && task_pool[i].pid == pid && pid > 0)
			found = &task_pool[i];
	spin_unlock_irqrestore(&task_lock, flags);
	return found;
}


/* First C code of a new task (core/kernel/switch.S task_trampoline). */
void task_main(struct task *t)
{
	local_irq_enable();
	t->fn(t->arg);
	task_exit(0);
}

static struct spinlock task_notif_lock = SPINLOCK_INIT;

void task_set_child_notif(struct kobj *n, unsigned long bits)
{
	struct task *me = task_current();
	unsigned long flags = spin_lock_irqsave(&task_notif_lock);
	struct kobj *old = me->child_notif;

	me->child_notif = n;
	me->child_bits = bits;
	spin_unlock_irqrestore(&task_notif_lock, flags);
	if (old)
		kobj_drop(old, KEEL_R_SIGNAL);
}

/* Tell @t's parent, if it asked, that @t is exiting. */
static void task_notify_parent(struct task *t)
{
	unsigned long flags = spin_lock_irqsave(&task_notif_lock);
	struct task *p = task_find(t->ppid);

	/* The lock keeps the parent from dropping its notification meanwhile. */
	if (p && p->child_notif)
		ipc_notif_signal(p->child_notif, p->child_bits);
	spin_unlock_irqrestore(&task_notif_lock, flags);
}

/*
 * @t's children go to init (pid 1), as in Linux: init waits for every
 * child that exits, so none is left dead in the pool. Init is told, for
 * those already dead.
 */
static void task_reparent(struct task *t)
{
	bool any = false;

	for (unsigned int i = 0; i < TASK_MAX; i++) {
		struct task *c = &task_pool[i];

		if (!__atomic_load_n(&task_used[i], __ATOMIC_ACQUIRE) || c == t ||
		    __atomic_load_n(&c->ppid, __ATOMIC_RELAXED) != t->pid)
			continue;
		__atomic_store_n(&c->ppid, 1, __ATOMIC_RELAXED);
		any = true;
	}
	if (any) {
		unsigned long flags = spin_lock_irqsave(&task_notif_lock);
		struct task *init = task_find(1);

		if (init && init->child_notif)
			ipc_notif_signal(init->child_notif, init->child_bits);
		spin_unlock_irqrestore(&task_notif_lock, flags);
	}
}

int task_kill(int pid)
{
	struct task *t = task_find(pid);

	if (!t || !t->as || pid <= 1)
		return t ? -KEEL_EDENIED : -KEEL_ENOENT;
	__atomic_store_n(&t->killed, true, __ATOMIC_RELEASE);
	sched_wake(t);		/* out of a wait, if it is in one */
	return 0;
}

void task_exit(int code)
{
	struct task *t = task_current();

	t->exit_code = code;
	if (t->pid == 1 && t->as)
		panic("Attempted to kill init! exitcode=0x%08x", (unsigned int)code);
	/* Its callers and partners get an error, not a hang (ipc.c). */
	ipc_task_exit(t);
	handle_table_free(t);
	task_set_child_notif(NULL, 0);
	log_console_claim(t->pid, false);	/* a console server gives the console back */
	/* Wakes a joiner; it frees us only once no cpu runs on our stack. */
	if (t->as && t->pid > 1)
		task_reparent(t);
	complete_all(&t->exited);
	task_notify_parent(t);		/* after: its wait_any() must find us exited */
	local_irq_disable();
	__atomic_store_n(&t->state, TASK_DEAD, __ATOMIC_RELEASE);
	schedule();
	panic("task: %s (pid %d) ran after its exit", t->name, t->pid);
}

void task_free(struct task *t)
{
	task_put_stack(t);
	task_release(t);
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
		if (!__atomic_load_n(&task_used[i], __ATOMIC_ACQUIRE))
			continue;
		fn(&task_pool[i], arg);
		n++;
	}
	return n;
}

/*
 * task.c - task structures, pids, kernel stacks, exit and join.
 *
 * Tasks come from a typesafe kmem cache (mm/kmem.h): the memory of a
 * freed task stays a task, so a stale pointer still reads one (as with
 * the fixed pool of old), and the cache grows a page at a time with no
 * bound but memory and the limits (lib/quota.h charges a user task to
 * its spawner's tree). The idle tasks are made on the boot hart, before
 * a secondary starts (smp.c), so bring-up never queues on the cache.
 *
 * pid -> task is a hash of TASK_PID_BUCKETS chains; every live task is
 * also on one list in creation order, for task_for_each(). A task is on
 * both from task_publish() until it is freed (task_free: off the hash)
 * and its last reference goes (task_put: off the list).
 *
 * Kernel stacks: a slot of the kernel stack region (vm.h, KSTACK_SLOTS)
 * with an unmapped guard page under it; slots below KEEL_MAX_CPUS are the
 * secondaries' boot stacks. A freed stack is kept mapped in a small cache
 * (KSTACK_CACHE) for the next task; beyond that its pages go back to pmem
 * at once and its slot is "stale": another hart may still hold its old
 * translation, so the slot is reused only after every hart has flushed
 * its TLB (tlb_flush_kernel_all), done for a batch (KSTACK_STALE_BATCH)
 * by a task_create(), never where a task is freed (in the scheduler).
 *
 * A task is freed when its last reference goes: its own, dropped when it
 * is reaped (task_join) or, detached, once off its cpu; and one for each
 * task_find() or task_for_each() still looking at it. So a pointer from
 * task_find() never names a task reused for another.
 *
 * This is the thread side only: a user task's handles, IPC, parent and
 * children are the object layer's (object/process.c, process_exit()).
 *
 * Locking: task_lock guards the refs, the hash, the list, the pid counter
 * and the stack slots' bitmaps and cache; mapping and unmapping a stack
 * is vm.c's (vm_lock), outside task_lock. Order: task_lock, then kmem's
 * and pmem's locks. A task's scheduling fields are the scheduler's
 * (sched.c).
 */
#include "lib/err.h"
#include "keel/strtab.h"
#include "task.h"
#include "arch/cpu.h"
#include "lib/fmt.h"
#include "lib/log.h"
#include "arch/riscv.h"
#include "lib/panic.h"
#include "lib/quota.h"
#include "sched.h"
#include "smp.h"
#include "tlb.h"
#include "lib/string.h"
#include "arch/trap.h"
#include "mm/kmem.h"
#include "mm/vm.h"

#define TASK_PID_BUCKETS   256 /* chains of the pid hash; a power of two */
#define KSTACK_CACHE	   8   /* freed stacks kept mapped for the next tasks */
#define KSTACK_STALE_BATCH 256 /* stale slots that make task_create() flush */
#define KSTACK_WORDS	   (KSTACK_SLOTS / 64)

_Static_assert(KEEL_MAX_CPUS % 64 == 0, "the boot stacks' slots fill whole bitmap words");

static struct kmem_cache task_cache = KMEM_CACHE_INIT("task", struct task, KMEM_TYPESAFE);
static struct task *task_pid_hash[TASK_PID_BUCKETS]; /* guarded by task_lock */
static struct task *task_first, *task_last;	     /* guarded by task_lock: every task */
static int task_next_pid = 1;			     /* guarded by task_lock */
static unsigned long task_count;		     /* guarded by task_lock: on the list */
/* Stack slots: bit set = handed out, cached or stale. Boot stacks' slots are never here. */
static uint64_t kstack_taken[KSTACK_WORDS]; /* guarded by task_lock */
static uint64_t kstack_stale[KSTACK_WORDS]; /* guarded by task_lock: unmapped, not yet flushed */
static unsigned int kstack_nstale;	    /* guarded by task_lock */
static bool kstack_flushing;		    /* guarded by task_lock: a flush is under way */
static uint64_t kstack_flush_set[KSTACK_WORDS]; /* the flusher's: what it flushes for */
static unsigned int kstack_cache[KSTACK_CACHE]; /* guarded by task_lock: mapped, free slots */
static unsigned int kstack_ncache;		/* guarded by task_lock */
static struct spinlock task_lock = SPINLOCK_INIT;

extern char task_trampoline[];
void task_main(struct task *t);

const char *task_state_str(int state)
{
	static const char names[] = "running\0ready\0blocked\0dead";
	const char *s = state < 0 ? NULL : strtab_nth(names, sizeof(names), (unsigned long)state);

	return s ? s : "?";
}

static struct task *task_alloc(void)
{
	struct task *t = kmem_alloc(&task_cache); /* zeroed */

	if (t)
		t->refs = 1; /* its own, until it is reaped */
	return t;
}

static struct task **task_bucket(int pid)
{
	return &task_pid_hash[(unsigned int)pid & (TASK_PID_BUCKETS - 1)];
}

/* Made: findable by pid (if it has one) and walked by task_for_each(). */
static void task_publish(struct task *t)
{
	unsigned long flags = spin_lock_irqsave(&task_lock);

	if (t->pid > 0) {
		struct task **b = task_bucket(t->pid);

		t->pid_next = *b;
		*b = t;
	}
	t->all_prev = task_last;
	if (task_last)
		task_last->all_next = t;
	else
		task_first = t;
	task_last = t;
	task_count++;
	spin_unlock_irqrestore(&task_lock, flags);
}

/* task_lock held: off the pid hash (task_free; once). */
static void task_unhash(struct task *t)
{
	struct task **p = task_bucket(t->pid);

	if (t->pid <= 0)
		return;
	while (*p && *p != t)
		p = &(*p)->pid_next;
	if (*p)
		*p = t->pid_next;
	t->pid_next = NULL;
}

/* task_lock held: off the list of every task (its last reference went). */
static void task_unlist(struct task *t)
{
	if (t->all_prev)
		t->all_prev->all_next = t->all_next;
	else
		task_first = t->all_next;
	if (t->all_next)
		t->all_next->all_prev = t->all_prev;
	else
		task_last = t->all_prev;
	task_count--;
}

static void kstack_set(uint64_t *map, unsigned int slot, bool on)
{
	if (on)
		map[slot / 64] |= 1ULL << (slot % 64);
	else
		map[slot / 64] &= ~(1ULL << (slot % 64));
}

/*
 * task_lock held: the lowest slot neither taken nor stale, marked taken;
 * or -1. Lowest first keeps the stacks, and the page tables that map
 * them, in as few 2 MiB spans as the tasks alive need.
 */
static int kstack_take_clean(void)
{
	for (unsigned int w = KEEL_MAX_CPUS / 64; w < KSTACK_WORDS; w++) {
		unsigned int slot;

		if (kstack_taken[w] == ~0ULL)
			continue;
		slot = w * 64 + ctz64(~kstack_taken[w]);
		kstack_set(kstack_taken, slot, true);
		return (int)slot;
	}
	return -1;
}

/*
 * Stale slots become usable: one flush of every translation on every
 * hart, so no hart keeps one to pages given back. One flusher at a time
 * (another finds it busy and returns); how many slots it freed.
 */
static unsigned int kstack_flush_stale(void)
{
	unsigned long flags = spin_lock_irqsave(&task_lock);
	bool go = kstack_nstale && !kstack_flushing, flushed;
	unsigned int n = 0;

	if (go) {
		kstack_flushing = true;
		memcpy(kstack_flush_set, kstack_stale, sizeof(kstack_flush_set));
	}
	spin_unlock_irqrestore(&task_lock, flags);
	if (!go)
		return 0;
	flushed = !tlb_flush_kernel_all(); /* if some hart did not answer, the slots stay stale */
	flags = spin_lock_irqsave(&task_lock);
	/* Only the slots that were stale before the flush: later ones wait for the next. */
	for (unsigned int w = 0; w < KSTACK_WORDS && flushed; w++) {
		kstack_stale[w] &= ~kstack_flush_set[w];
		kstack_taken[w] &= ~kstack_flush_set[w];
		n += (unsigned int)__builtin_popcountll(kstack_flush_set[w]);
	}
	kstack_nstale -= n;
	kstack_flushing = false;
	spin_unlock_irqrestore(&task_lock, flags);
	return n;
}

static void task_set_stack(struct task *t, unsigned int slot)
{
	t->stack_slot = slot;
	t->stack_lo = KSTACK_BASE + (uintptr_t)slot * KSTACK_SLOT + PAGE_SIZE;
	t->stack_top = t->stack_lo + KSTACK_SIZE;
}

/* A stack: a cached one if there is one, else fresh pages in a clean slot. */
static int task_get_stack(struct task *t)
{
	unsigned long flags;
	int slot = -1, err;
	bool flush;

	flags = spin_lock_irqsave(&task_lock);
	if (kstack_ncache)
		slot = (int)kstack_cache[--kstack_ncache];
	flush = slot < 0 && kstack_nstale >= KSTACK_STALE_BATCH;
	spin_unlock_irqrestore(&task_lock, flags);
	if (slot >= 0) {
		task_set_stack(t, (unsigned int)slot);
		return 0;
	}
	if (flush)
		kstack_flush_stale();
	for (int tries = 0; slot < 0 && tries < 2; tries++) {
		flags = spin_lock_irqsave(&task_lock);
		slot = kstack_take_clean();
		spin_unlock_irqrestore(&task_lock, flags);
		if (slot < 0 && !kstack_flush_stale())
			break;
	}
	if (slot < 0) {
		pr_err("task: no stack for a new task: %s\n", "every slot in use");
		return -KEEL_ENOMEM;
	}
	err = vm_alloc_kstack((unsigned int)slot, &t->stack_lo, &t->stack_top);
	if (err) {
		vm_free_kstack((unsigned int)slot); /* what was mapped of it */
		pr_err("task: no stack for a new task: %s\n", kerr_str(err));
		flags = spin_lock_irqsave(&task_lock);
		kstack_set(kstack_stale, (unsigned int)slot, true);
		kstack_nstale++;
		spin_unlock_irqrestore(&task_lock, flags);
		return err;
	}
	t->stack_slot = (unsigned int)slot;
	return 0;
}

/* Any context (interrupts may be off): cache the stack, or give its pages back. */
static void task_put_stack(struct task *t)
{
	unsigned int slot = t->stack_slot;
	unsigned long flags = spin_lock_irqsave(&task_lock);
	bool cached = kstack_ncache < KSTACK_CACHE;

	if (cached)
		kstack_cache[kstack_ncache++] = slot;
	spin_unlock_irqrestore(&task_lock, flags);
	if (cached)
		return;
	vm_free_kstack(slot);
	flags = spin_lock_irqsave(&task_lock);
	kstack_set(kstack_stale, slot, true);
	kstack_nstale++;
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
		kmem_free(&task_cache, t);
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
	task_publish(t);
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
	t->stack_slot = KSTACK_SLOTS; /* a boot stack: never freed */
	t->detached = true;
	cpumask_clear_all(&t->affinity);
	cpumask_set(&t->affinity, cpu);
	completion_init(&t->exited);
	task_publish(t);
	return t;
}

struct task *task_find(int pid)
{
	struct task *found = NULL;
	unsigned long flags;

	if (pid <= 0)
		return NULL;
	flags = spin_lock_irqsave(&task_lock);
	for (struct task *t = *task_bucket(pid); t && !found; t = t->pid_next) {
		if (t->pid == pid && !t->freed) {
			found = t;
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

	if (last)
		task_unlist(t);
	spin_unlock_irqrestore(&task_lock, flags);
	if (!last)
		return;
	if (t->quota)
		quota_put(t->quota); /* its task count goes once nothing else holds the node */
	if (t->stack_slot < KSTACK_SLOTS)
		task_put_stack(t);
	kmem_free(&task_cache, t);
}

unsigned long task_nr(void)
{
	unsigned long flags = spin_lock_irqsave(&task_lock);
	unsigned long n = task_count;

	spin_unlock_irqrestore(&task_lock, flags);
	return n;
}

void task_stack_stats(unsigned int *cached, unsigned int *stale)
{
	unsigned long flags = spin_lock_irqsave(&task_lock);

	*cached = kstack_ncache;
	*stale = kstack_nstale;
	spin_unlock_irqrestore(&task_lock, flags);
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
		/*
		 * Pairs with the blocker's store of its state, full fence, load
		 * of killed (task_block_killable(), the IPC fast path's
		 * fast_killed()): one of us sees the other. The fence keeps our
		 * store ahead of the wake-up's look at the state, which the
		 * compare-and-swap's acquire alone does not (RVWMO: a plain
		 * store may pass a later lr.aq).
		 */
		__atomic_store_n(&t->killed, true, __ATOMIC_SEQ_CST);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
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
	task_unhash(t);
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

/* task_lock held: @t, or the first task from it on that is not freed; or NULL. */
static struct task *task_live_from(struct task *t)
{
	while (t && t->freed)
		t = t->all_next;
	return t;
}

unsigned int task_for_each(void (*fn)(struct task *t, void *arg), void *arg)
{
	unsigned int n = 0;
	unsigned long flags = spin_lock_irqsave(&task_lock);
	struct task *t = task_live_from(task_first);

	if (t)
		t->refs++;
	spin_unlock_irqrestore(&task_lock, flags);
	while (t) {
		struct task *next;

		fn(t, arg);
		n++;
		/* Our reference keeps @t on the list, so its successor is there too. */
		flags = spin_lock_irqsave(&task_lock);
		next = task_live_from(t->all_next);
		if (next)
			next->refs++;
		spin_unlock_irqrestore(&task_lock, flags);
		task_put(t);
		t = next;
	}
	return n;
}

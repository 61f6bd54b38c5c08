/*
 * sys_process.c - tasks from user space: exit, getpid, getppid, yield,
 * sleep_us, spawn, spawn_mem, wait, wait_any, child_notif, ps, kill,
 * limit_set.
 *
 * spawn copies the path, the argument and environment vectors (pointers
 * and strings) and the handle numbers into kernel memory once, and the
 * loader reads only that copy. The copy is the spawner's own (pages
 * charged to it for the call): no lock shared by every spawn, so a slow
 * load (an ELF asking for much zeroed memory) holds up nobody else's.
 *
 * A child gets a limit node under its spawner's (lib/quota.h) before
 * anything is made for it, so its address space, handle table and
 * kernel stack are charged to it and to every ancestor; limit_set
 * says what the next children get.
 */
#include "sys_common.h"
#include "arch/cpu.h"
#include "exec/exec.h"
#include "kernel/sched.h"
#include "kernel/smp.h"
#include "kernel/task.h"
#include "kernel/wait.h"
#include "lib/fmt.h"
#include "lib/log.h"
#include "lib/quota.h"
#include "lib/string.h"
#include "mm/as.h"
#include "mm/pmem.h"
#include "mm/uaccess.h"
#include "object/handle.h"
#include "object/ipc.h"
#include "object/mem.h"
#include "object/process.h"

SYSCALL_DEFINE1(exit, long, code)
{
	process_exit((int)code);
}

SYSCALL_DEFINE0(getpid)
{
	return task_current()->pid;
}

/* Pin the caller to @hartid and move there, or (-1) let it run anywhere again. */
SYSCALL_DEFINE1(hart_pin, long, hartid)
{
	struct cpumask all;
	int cpu;

	if (hartid == -1) {
		cpumask_fill(&all, KEEL_MAX_CPUS);
		sched_set_affinity(task_current(), &all);
		return 0;
	}
	cpu = hartid < 0 ? -1 : smp_cpu((unsigned long)hartid);
	if (cpu < 0)
		return -KEEL_ENOENT;
	return sched_migrate_current((unsigned int)cpu);
}

SYSCALL_DEFINE0(getppid)
{
	return task_current()->ppid;
}

SYSCALL_DEFINE0(yield)
{
	sched_yield();
	return 0;
}

SYSCALL_DEFINE1(sleep_us, uint64_t, us)
{
	task_sleep_us(us);
	return 0;
}

/* Copy a user NULL-terminated vector of strings into @store; the count, or <0. */
static long sys_copy_vec(uintptr_t uvec, const char **vec, unsigned int max, char *store,
			 size_t *used, size_t size)
{
	unsigned int n = 0;

	if (!uvec) {
		vec[0] = NULL;
		return 0;
	}
	for (;; n++) {
		uint64_t p;
		long len;

		if (n + 1 >= max)
			return -KEEL_ERANGE;
		if (copy_from_user(sys_as(), &p, uvec + n * sizeof(p), sizeof(p)))
			return -KEEL_EINVAL;
		if (!p)
			break;
		len = strncpy_from_user(sys_as(), store + *used, p, MIN(size - *used, SYS_ARG_MAX));
		if (len < 0)
			return len;
		vec[n] = store + *used;
		*used += (size_t)len + 1;
	}
	vec[n] = NULL;
	return n;
}

struct sys_spawn_args {
	char path[SYS_PATH_MAX];
	const char *argv[EXEC_MAX_ARGS], *envp[EXEC_MAX_ARGS];
	char store[EXEC_MAX_STRINGS];
};

#define SYS_SPAWN_ARGS_PAGES ((sizeof(struct sys_spawn_args) + PAGE_SIZE - 1) / PAGE_SIZE)

/*
 * The spawner's copy of its arguments, charged to it while the call
 * lasts. Not cleared: only what the copy writes is read.
 */
static long sys_spawn_args_get(struct sys_spawn_args **out)
{
	uint64_t pa;
	long err = quota_charge(task_current()->quota, QUOTA_PAGES, SYS_SPAWN_ARGS_PAGES);

	if (err)
		return err;
	if (pmem_alloc_contig_dirty(SYS_SPAWN_ARGS_PAGES, &pa)) {
		quota_uncharge(task_current()->quota, QUOTA_PAGES, SYS_SPAWN_ARGS_PAGES);
		return -KEEL_ENOMEM;
	}
	*out = pa_to_kva(pa);
	return 0;
}

static void sys_spawn_args_put(struct sys_spawn_args *a)
{
	pmem_free_contig(kva_to_pa(a), SYS_SPAWN_ARGS_PAGES);
	quota_uncharge(task_current()->quota, QUOTA_PAGES, SYS_SPAWN_ARGS_PAGES);
}

/* The first code of a spawned task: become the program loaded for it. */
static void sys_spawn_start(void *arg)
{
	struct task *t = task_current();
	struct exec_image img = { .as = t->as, .entry = t->user_entry, .sp = t->user_sp };

	(void)arg;
	t->as = NULL; /* exec_enter() installs it */
	exec_enter(&img, t->name);
}

static const char *sys_basename(const char *p)
{
	const char *b = p;

	for (; *p; p++)
		if (*p == '/' && p[1])
			b = p + 1;
	return b;
}

/* Take a reference to each of the caller's @n handles at @uh, for a child. */
static long sys_spawn_take(uintptr_t uh, unsigned long n, struct handle *hs)
{
	long h[KEEL_SPAWN_HANDLES];
	unsigned long i;
	long err = 0;

	if (n > KEEL_SPAWN_HANDLES)
		return -KEEL_ERANGE;
	if (n && copy_from_user(sys_as(), h, uh, n * sizeof(h[0])))
		return -KEEL_EINVAL;
	for (i = 0; i < n && !err; i++)
		err = handle_take(h[i], &hs[i].obj, &hs[i].rights);
	if (!err)
		return 0;
	while (--i > 0) /* hs[i - 1] failed: drop those before it */
		kobj_drop(hs[i - 1].obj, hs[i - 1].rights);
	return err;
}

/* The child's table gets @hs in slots 0, 1, ... before it first runs. */
static int sys_spawn_give(struct task *t, struct handle *hs, unsigned long n)
{
	for (unsigned long i = 0; i < n; i++) {
		int h = handle_install(t, hs[i].obj, hs[i].rights);

		if (h < 0) {
			while (++i < n)
				kobj_drop(hs[i].obj, hs[i].rights);
			return h;
		}
	}
	return 0;
}

/*
 * spawn (@memh < 0: the ELF at path @upath in the initramfs) and
 * spawn_mem (the ELF in memory object @memh; the child is named after
 * its argv[0]).
 */
static long sys_spawn_any(long memh, uintptr_t upath, uintptr_t uargv, uintptr_t uenvp,
			  uintptr_t uh, unsigned long nh)
{
	struct sys_spawn_args *a;
	struct handle hs[KEEL_SPAWN_HANDLES];
	struct exec_image img;
	struct quota *q;
	struct task *t;
	size_t used = 0;
	long err;

	if (!uh)
		nh = 0;
	err = sys_spawn_take(uh, nh, hs);
	if (err)
		return err;
	/* Its task, and its kernel stack, count from here until it is freed. */
	err = quota_new(task_current()->quota, KSTACK_SIZE / PAGE_SIZE, &q);
	if (err)
		goto drop;
	img.quota = q;
	err = sys_spawn_args_get(&a);
	if (err)
		goto drop;
	err = memh < 0 ? strncpy_from_user(sys_as(), a->path, upath, sizeof(a->path)) : 0;
	if (err >= 0)
		err = sys_copy_vec(uargv, a->argv, EXEC_MAX_ARGS, a->store, &used,
				   sizeof(a->store));
	if (err >= 0)
		err = sys_copy_vec(uenvp, a->envp, EXEC_MAX_ARGS, a->store, &used,
				   sizeof(a->store));
	if (err >= 0 && memh >= 0) {
		const void *data;
		uint64_t size;

		/* The child's name: its argv[0], else "a.out". */
		fmt_snprintf(a->path, sizeof(a->path), "%s", a->argv[0] ? a->argv[0] : "a.out");
		err = mem_object_data(memh, &data, &size);
		if (!err)
			err = exec_load_mem(data, size, a->path, a->argv, a->envp, &img);
	} else if (err >= 0) {
		err = exec_load(a->path, a->argv, a->envp, &img);
	}
	t = err < 0 ? NULL
		    : task_create(sys_basename(a->path), sys_spawn_start, NULL,
				  task_current()->pid);
	sys_spawn_args_put(a);
	if (err < 0)
		goto drop;
	if (!t) {
		as_destroy(img.as);
		err = -KEEL_EAGAIN; /* no memory for the task or its stack, or no stack slot */
		goto drop;	    /* the handles taken for it go back */
	}
	t->quota = q; /* ours goes with the task (task_put) */
	q = NULL;
	err = sys_spawn_give(t, hs, nh);
	nh = 0; /* given, or dropped by sys_spawn_give() */
	if (err) {
		if (t) {
			handle_table_free(t);
			task_free(t);
		}
		as_destroy(img.as);
		goto drop;
	}
	t->as = img.as;
	t->user_entry = img.entry;
	t->user_sp = img.sp;
	sched_wake(t);
	return t->pid;
drop:
	if (q)
		quota_put(q);
	for (unsigned long i = 0; i < nh; i++)
		kobj_drop(hs[i].obj, hs[i].rights);
	return err;
}

SYSCALL_DEFINE5(spawn, uintptr_t, upath, uintptr_t, uargv, uintptr_t, uenvp, uintptr_t, uh,
		unsigned long, nh)
{
	return sys_spawn_any(-1, upath, uargv, uenvp, uh, nh);
}

SYSCALL_DEFINE5(spawn_mem, long, memh, uintptr_t, uargv, uintptr_t, uenvp, uintptr_t, uh,
		unsigned long, nh)
{
	if (memh < 0)
		return -KEEL_ENOENT;
	return sys_spawn_any(memh, 0, uargv, uenvp, uh, nh);
}

/* Wait for child @t (held by a reference) to exit and reap it; its exit code in *@code. */
static long sys_reap(struct task *t, int *code)
{
	/* A kill ends the wait (the task ends on its way out); the child is init's then. */
	if (wait_for_completion_killable(&t->exited))
		return -KEEL_ETIMEDOUT;
	*code = t->exit_code;
	return task_join(t, 1000);
}

SYSCALL_DEFINE2(wait, long, pid, uintptr_t, ustatus)
{
	struct task *me = task_current(), *t = task_find((int)pid);
	long err;
	int code;

	if (!t)
		return -KEEL_ECHILD;
	err = t->ppid != me->pid || t->detached ? -KEEL_ECHILD : sys_reap(t, &code);
	task_put(t);
	if (err)
		return err;
	if (ustatus && copy_to_user(me->as, ustatus, &code, sizeof(code)))
		return -KEEL_EINVAL;
	return pid;
}

struct sys_child_ctx {
	int ppid, any, dead;
};

static void sys_child_one(struct task *t, void *arg)
{
	struct sys_child_ctx *ctx = arg;

	if (t->ppid != ctx->ppid || t->detached)
		return;
	ctx->any = 1;
	if (!ctx->dead && __atomic_load_n(&t->exited.done, __ATOMIC_ACQUIRE))
		ctx->dead = t->pid;
}

SYSCALL_DEFINE2(wait_any, uintptr_t, ustatus, unsigned long, flags)
{
	struct sys_child_ctx ctx = { task_current()->pid, 0, 0 };

	if (flags != KEEL_WNOHANG)
		return -KEEL_EINVAL;
	task_for_each(sys_child_one, &ctx);
	if (!ctx.any)
		return -KEEL_ECHILD;
	return ctx.dead ? sys_wait(ctx.dead, ustatus) : 0;
}

SYSCALL_DEFINE2(child_notif, long, nh, unsigned long, bits)
{
	struct kobj *n;
	long err = handle_get(nh, KEEL_OBJ_NOTIFICATION, KEEL_R_SIGNAL, &n);

	if (err)
		return err;
	if (!bits)
		return -KEEL_EINVAL;
	kobj_hold(n, KEEL_R_SIGNAL);
	process_set_child_notif(n, bits);
	return 0;
}

struct sys_ps_ctx {
	uintptr_t buf;
	unsigned long max, n;
	bool fault;
};

static void sys_ps_one(struct task *t, void *arg)
{
	struct sys_ps_ctx *ctx = arg;
	struct keel_ps e;

	if (ctx->n >= ctx->max || ctx->fault)
		return;
	memset(&e, 0, sizeof(e));
	e.pid = t->pid;
	e.ppid = t->ppid;
	e.hart = (int)smp_hartid(t->cpu);
	e.state = __atomic_load_n(&t->state, __ATOMIC_RELAXED);
	memcpy(e.name, t->name, sizeof(e.name));
	quota_read(t->quota, e.used, e.limit);
	if (copy_to_user(sys_as(), ctx->buf + ctx->n * sizeof(e), &e, sizeof(e)))
		ctx->fault = true;
	ctx->n++;
}

SYSCALL_DEFINE2(ps, uintptr_t, buf, unsigned long, max)
{
	struct sys_ps_ctx ctx = { buf, max, 0, false };

	task_for_each(sys_ps_one, &ctx);
	return ctx.fault ? -KEEL_EINVAL : (long)ctx.n;
}

SYSCALL_DEFINE2(limit_set, unsigned long, kind, unsigned long, limit)
{
	struct quota *q = task_current()->quota;

	if (kind >= KEEL_LIMITS || !q)
		return -KEEL_EINVAL;
	return quota_set_child_limit(q, (enum quota_kind)kind, limit);
}

SYSCALL_DEFINE2(kill, long, ctl, long, pid)
{
	struct task *me = task_current();
	struct kobj *o;
	long err = handle_get(ctl, KEEL_OBJ_CONTROL, KEEL_R_KILL, &o);

	if (err)
		return err;
	err = task_kill((int)pid);
	if (!err)
		pr_task(me, LOG_NOTICE, "kill: pid %ld, asked by %s[%d]\n", pid, me->name, me->pid);
	return err;
}

/*
 * syscall.c - system calls.
 *
 * Entered from trap_handler() on the calling task's kernel stack with
 * interrupts off; a call runs with them on (it may sleep) and returns
 * its result in a0. User pointers go through uaccess.c: a bad one is
 * -KEEL_EINVAL for the caller, never a fault in the kernel.
 */
#include "dispatch.h"
#include "mm/as.h"
#include "exec/exec.h"
#include "lib/fmt.h"
#include "object/handle.h"
#include "object/ipc.h"
#include "exec/initrd.h"
#include "lib/log.h"
#include "object/mem.h"
#include "mm/pmem.h"
#include "mm/kmem.h"
#include "drivers/plic.h"
#include "arch/cpu.h"
#include "lib/power.h"
#include "arch/riscv.h"
#include "kernel/sched.h"
#include "kernel/smp.h"
#include "lib/string.h"
#include "kernel/task.h"
#include "kernel/timer.h"
#include "arch/trap.h"
#include "mm/uaccess.h"
#include "kernel/wait.h"
#include "keel/syscall.h"
#include "sbi/sbi.h"

_Static_assert(KEEL_EINVAL == KEEL_EINVAL && KEEL_ENOENT == KEEL_ENOENT &&
	       KEEL_ETIMEDOUT == KEEL_ETIMEDOUT && KEEL_ENOSYS == KEEL_ENOSYS &&
	       KEEL_ECHILD == KEEL_ECHILD && KEEL_EPEER == KEEL_EPEER &&
	       KEEL_EDEADLK == KEEL_EDEADLK, "uapi error codes match err.h");

#define SYS_IO_CHUNK	256
#define SYS_PATH_MAX	256
#define SYS_ARG_MAX	1024	/* bytes of one argument or environment string */

/* Argument @n (1-based): a0..a5 are x10..x15, and regs[] starts at x1. */
#define A(n)	(tf->regs[10 + (n) - 2])

static struct as *sys_as(void)
{
	return task_current()->as;
}

static long sys_write(unsigned long fd, uintptr_t buf, size_t len)
{
	char chunk[SYS_IO_CHUNK];
	size_t done = 0;

	if (fd != 1 && fd != 2)
		return -KEEL_EINVAL;
	while (done < len) {
		size_t n = MIN(len - done, sizeof(chunk));

		if (copy_from_user(sys_as(), chunk, buf + done, n))
			return done ? (long)done : -KEEL_EINVAL;
		log_console_write(chunk, n);
		done += n;
	}
	return (long)done;
}

/* Console input through the firmware until a console server takes it over. */
static long sys_read(unsigned long fd, uintptr_t buf, size_t len)
{
	char chunk[SYS_IO_CHUNK];
	size_t n = 0;

	if (fd != 0)
		return -KEEL_EINVAL;
	if (!len)
		return 0;
	len = MIN(len, sizeof(chunk));
	for (;;) {
		int c = sbi_console_getchar();

		if (c >= 0) {
			chunk[n++] = (char)c;
			if (n == len || c == '\n' || c == '\r')
				break;
			continue;
		}
		if (n)
			break;
		if (task_killed(task_current()))
			return -KEEL_EPEER;	/* it ends on the way out */
		task_sleep_us(10000);	/* nothing yet: poll at 100 Hz */
	}
	return copy_to_user(sys_as(), buf, chunk, n) ? -KEEL_EINVAL : (long)n;
}

static long sys_time_ns(void)
{
	uint64_t t = riscv_rdtime(), hz = timer_timebase();

	return (long)((t / hz) * 1000000000ULL + (t % hz) * 1000000000ULL / hz);
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

/* The first code of a spawned task: become the program loaded for it. */
static void sys_spawn_start(void *arg)
{
	struct task *t = task_current();
	struct exec_image img = { .as = t->as, .entry = t->user_entry, .sp = t->user_sp };

	(void)arg;
	t->as = NULL;		/* exec_enter() installs it */
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
	while (--i > 0)		/* hs[i - 1] failed: drop those before it */
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
	static struct sys_spawn_args a;		/* guarded by sys_spawn_lock */
	static struct mutex sys_spawn_lock;	/* all zero is an unlocked mutex */
	struct handle hs[KEEL_SPAWN_HANDLES];
	struct exec_image img;
	struct task *t;
	size_t used = 0;
	long err;

	if (!uh)
		nh = 0;
	err = sys_spawn_take(uh, nh, hs);
	if (err)
		return err;
	mutex_lock(&sys_spawn_lock);
	err = memh < 0 ? strncpy_from_user(sys_as(), a.path, upath, sizeof(a.path)) : 0;
	if (err >= 0)
		err = sys_copy_vec(uargv, a.argv, EXEC_MAX_ARGS, a.store, &used, sizeof(a.store));
	if (err >= 0)
		err = sys_copy_vec(uenvp, a.envp, EXEC_MAX_ARGS, a.store, &used, sizeof(a.store));
	if (err >= 0 && memh >= 0) {
		const void *data;
		uint64_t size;

		/* The child's name: its argv[0], else "a.out". */
		fmt_snprintf(a.path, sizeof(a.path), "%s", a.argv[0] ? a.argv[0] : "a.out");
		err = mem_object_data(memh, &data, &size);
		if (!err)
			err = exec_load_mem(data, size, a.path, a.argv, a.envp, &img);
	} else if (err >= 0) {
		err = exec_load(a.path, a.argv, a.envp, &img);
	}
	if (err < 0) {
		mutex_unlock(&sys_spawn_lock);
		goto drop;
	}
	t = task_create(sys_basename(a.path), sys_spawn_start, NULL, task_current()->pid);
	mutex_unlock(&sys_spawn_lock);
	if (!t) {
		as_destroy(img.as);
		err = -KEEL_ENOMEM;
		goto drop;	/* the handles taken for it go back */
	}
	err = sys_spawn_give(t, hs, nh);
	nh = 0;			/* given, or dropped by sys_spawn_give() */
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
	for (unsigned long i = 0; i < nh; i++)
		kobj_drop(hs[i].obj, hs[i].rights);
	return err;
}

static long sys_spawn(uintptr_t upath, uintptr_t uargv, uintptr_t uenvp, uintptr_t uh,
		      unsigned long nh)
{
	return sys_spawn_any(-1, upath, uargv, uenvp, uh, nh);
}

static long sys_wait(long pid, uintptr_t ustatus)
{
	struct task *me = task_current(), *t = task_find((int)pid);
	int code;

	if (!t || t->ppid != me->pid || t->detached)
		return -KEEL_ECHILD;
	if (wait_for_completion(&t->exited, WAIT_FOREVER, "a child to exit"))
		return -KEEL_ETIMEDOUT;
	code = t->exit_code;
	if (task_join(t, 1000))
		return -KEEL_ETIMEDOUT;
	if (ustatus && copy_to_user(me->as, ustatus, &code, sizeof(code)))
		return -KEEL_EINVAL;
	return pid;
}

static long sys_dmesg(unsigned long seq, uintptr_t buf, size_t len)
{
	char line[LOG_LINE_MAX + 32];
	bool console = seq & KEEL_DMESG_CONSOLE;
	int n;

	seq &= ~KEEL_DMESG_CONSOLE;
	if (seq < log_first_seq())
		return -KEEL_ERANGE;
	if (seq >= log_next_seq())
		return 0;
	log_console_read(task_current()->pid, seq);
	/* Tasks' console output rides in the ring only for the console server. */
	if ((console && log_level(seq) != LOG_RAW && log_level(seq) >= log_console_level()) ||
	    (!console && log_level(seq) == LOG_RAW))
		return -KEEL_ENOENT;
	n = log_read(seq, line, sizeof(line));
	if (n < 0)
		return -KEEL_ERANGE;
	n = (int)MIN((size_t)n, MIN(len, sizeof(line) - 1));
	return copy_to_user(sys_as(), buf, line, (size_t)n) ? -KEEL_EINVAL : n;
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
	if (copy_to_user(sys_as(), ctx->buf + ctx->n * sizeof(e), &e, sizeof(e)))
		ctx->fault = true;
	ctx->n++;
}

static long sys_ps(uintptr_t buf, unsigned long max)
{
	struct sys_ps_ctx ctx = { buf, max, 0, false };

	task_for_each(sys_ps_one, &ctx);
	return ctx.fault ? -KEEL_EINVAL : (long)ctx.n;
}

static long sys_initrd_read(uintptr_t upath, uintptr_t buf, size_t len, size_t off)
{
	char path[SYS_PATH_MAX];
	struct cpio_file f;
	long err = strncpy_from_user(sys_as(), path, upath, sizeof(path));

	if (err < 0)
		return err;
	err = initrd_find(path, &f);
	if (err)
		return err;
	if (off >= f.size)
		return 0;
	len = MIN(len, f.size - off);
	return copy_to_user(sys_as(), buf, (const char *)f.data + off, len) ? -KEEL_EINVAL :
									      (long)len;
}

struct sys_list_ctx {
	unsigned long want, at;
	struct keel_dirent *e;
	bool found;
};

static bool sys_list_one(const struct cpio_file *f, void *arg)
{
	struct sys_list_ctx *ctx = arg;

	if (ctx->at++ != ctx->want)
		return true;
	ctx->e->size = f->size;
	ctx->e->mode = f->mode;
	memcpy(ctx->e->name, f->name, MIN(f->namelen, sizeof(ctx->e->name) - 1));
	ctx->found = true;
	return false;
}

static long sys_initrd_list(unsigned long index, uintptr_t uentry)
{
	struct keel_dirent e;
	struct sys_list_ctx ctx = { index, 0, &e, false };

	memset(&e, 0, sizeof(e));
	initrd_for_each(sys_list_one, &ctx);
	if (!ctx.found)
		return 0;
	return copy_to_user(sys_as(), uentry, &e, sizeof(e)) ? -KEEL_EINVAL : 1;
}

static long sys_reboot(long ctl, unsigned long how)
{
	struct task *me = task_current();
	struct kobj *o;
	long err = handle_get(ctl, KEEL_OBJ_CONTROL, KEEL_R_POWER, &o);

	if (err)
		return err;
	if (how != KEEL_REBOOT_RESTART && how != KEEL_REBOOT_POWEROFF)
		return -KEEL_EINVAL;
	pr_notice("reboot: %s (pid %d) asked to %s\n", me->name, me->pid,
		  how == KEEL_REBOOT_RESTART ? "restart" : "power off");
	if (how == KEEL_REBOOT_RESTART)
		power_reboot();
	if (how == KEEL_REBOOT_POWEROFF)
		power_off();
	return -KEEL_EINVAL;
}

/* A message from the caller's registers: label in a1, words in a2-a5, a handle in a6. */
static long sys_msg_in(struct trap_frame *tf, struct ipc_msg *m)
{
	long h = (long)A(7);

	m->label = A(2);
	for (int i = 0; i < IPC_WORDS; i++)
		m->w[i] = A(3 + i);
	m->xfer = NULL;
	m->xfer_rights = 0;
	if (h == KEEL_HANDLE_NONE)
		return 0;
	return handle_take(h, &m->xfer, &m->xfer_rights);
}

/* A message to the caller's registers; a handle in it gets a slot (a6, or -1). */
static void sys_msg_out(struct trap_frame *tf, struct ipc_msg *m)
{
	long h = KEEL_HANDLE_NONE;

	if (m->xfer) {
		h = handle_install(task_current(), m->xfer, m->xfer_rights);
		if (h < 0)
			h = KEEL_HANDLE_NONE;	/* no room: the handle is dropped */
	}
	A(2) = m->label;
	for (int i = 0; i < IPC_WORDS; i++)
		A(3 + i) = m->w[i];
	A(7) = (unsigned long)h;
}

/* call, reply and reply_recv: send from the registers, then maybe receive into them. */
static long sys_ipc(struct trap_frame *tf, unsigned long nr)
{
	struct ipc_msg m;
	struct kobj *ep = NULL;
	long ret;

	if (nr != SYS_ipc_reply) {
		unsigned int need = nr == SYS_ipc_call ? KEEL_R_SEND : KEEL_R_RECEIVE;

		ret = handle_get((long)A(1), KEEL_OBJ_ENDPOINT, need, &ep);
		if (ret)
			return ret;
	}
	if (nr == SYS_ipc_recv) {
		memset(&m, 0, sizeof(m));
		ret = ipc_recv(ep, &m);
	} else {
		ret = sys_msg_in(tf, &m);
		if (ret)
			return ret;
		if (nr == SYS_ipc_call)
			ret = ipc_call(ep, &m);
		else if (nr == SYS_ipc_reply)
			return ipc_reply(&m);
		else
			ret = ipc_reply_recv(ep, &m);
	}
	if (ret >= 0)
		sys_msg_out(tf, &m);
	return ret;
}

static long sys_notif(struct trap_frame *tf, unsigned long nr)
{
	unsigned int need = nr == SYS_notif_signal ? KEEL_R_SIGNAL : KEEL_R_WAIT;
	struct kobj *n;
	long err = handle_get((long)A(1), KEEL_OBJ_NOTIFICATION, need, &n);

	if (err)
		return err;
	if (nr == SYS_notif_signal)
		ipc_notif_signal(n, A(2));
	else
		A(2) = ipc_notif_wait(n);
	return 0;
}

static long sys_recv_timeout(struct trap_frame *tf)
{
	struct kobj *ep;
	struct ipc_msg m;
	uint64_t hz = timer_timebase(), us = A(2);
	long ret = handle_get((long)A(1), KEEL_OBJ_ENDPOINT, KEEL_R_RECEIVE, &ep);

	if (ret)
		return ret;
	memset(&m, 0, sizeof(m));
	/* 0 us: just look. Clamp to an hour: no overflow below. */
	us = MIN(us, 3600ULL * 1000000);
	ret = ipc_recv_until(ep, &m, riscv_rdtime() + us * hz / 1000000 + 1);
	if (ret >= 0)
		sys_msg_out(tf, &m);
	return ret;
}

static long sys_ep_bind(long eh, long nh)
{
	struct kobj *ep, *n;
	long err = handle_get(eh, KEEL_OBJ_ENDPOINT, KEEL_R_RECEIVE, &ep);

	if (!err)
		err = handle_get(nh, KEEL_OBJ_NOTIFICATION, KEEL_R_WAIT, &n);
	return err ? err : ipc_ep_bind(ep, n);
}

static long sys_child_notif(long nh, unsigned long bits)
{
	struct kobj *n;
	long err = handle_get(nh, KEEL_OBJ_NOTIFICATION, KEEL_R_SIGNAL, &n);

	if (err)
		return err;
	if (!bits)
		return -KEEL_EINVAL;
	kobj_hold(n, KEEL_R_SIGNAL);
	task_set_child_notif(n, bits);
	return 0;
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

static long sys_wait_any(uintptr_t ustatus, unsigned long flags)
{
	struct sys_child_ctx ctx = { task_current()->pid, 0, 0 };

	if (flags != KEEL_WNOHANG)
		return -KEEL_EINVAL;
	task_for_each(sys_child_one, &ctx);
	if (!ctx.any)
		return -KEEL_ECHILD;
	return ctx.dead ? sys_wait(ctx.dead, ustatus) : 0;
}

static long sys_console_claim(long ctl, unsigned long on)
{
	struct kobj *o;
	long err = handle_get(ctl, KEEL_OBJ_CONTROL, KEEL_R_DEVICES, &o);

	if (err)
		return err;
	/* Said before the claim, so the early console prints it. */
	if (on && !log_console_busy(task_current()->pid))
		pr_info("console: %s[%d] takes the console over; the early console (SBI) stops "
			"here\n", task_current()->name, task_current()->pid);
	return log_console_claim(task_current()->pid, on != 0);
}

static long sys_harts(uintptr_t buf, unsigned long max)
{
	unsigned long n = 0;

	for (unsigned int cpu = 0; cpu < smp_possible_cpus() && n < max; cpu++, n++) {
		struct keel_hart e;
		struct task *t = __atomic_load_n(&cpus[cpu].current, __ATOMIC_ACQUIRE);

		memset(&e, 0, sizeof(e));
		e.hartid = smp_hartid(cpu);
		e.cpu = (int)cpu;
		e.online = smp_cpu_online(cpu);
		if (t && e.online) {
			e.pid = t->pid;
			memcpy(e.name, t->name, sizeof(e.name) - 1);
		}
		if (copy_to_user(sys_as(), buf + n * sizeof(e), &e, sizeof(e)))
			return -KEEL_EINVAL;
	}
	return (long)n;
}

/* @size 0: the original three fields (keel/syscall.h). */
static long sys_meminfo(uintptr_t uinfo, unsigned long size)
{
	struct keel_meminfo m = {
		.total = pmem_total_pages() * PAGE_SIZE,
		.free = pmem_free_pages() * PAGE_SIZE,
		.page_size = PAGE_SIZE,
	};
	struct pmem_stats st;

	pmem_get_stats(&st);
	m.largest = st.largest * PAGE_SIZE;
	m.cached = st.cached * PAGE_SIZE;
	m.objects = kmem_bytes();
	for (unsigned int o = 0; o < PMEM_ORDERS && o < KEEL_MEMINFO_ORDERS; o++)
		m.free_blocks[o] = st.blocks[o];
	if (!size)
		size = 3 * sizeof(unsigned long);
	return copy_to_user(sys_as(), uinfo, &m, MIN(size, sizeof(m))) ? -KEEL_EINVAL : 0;
}

static long sys_hart_ctl(long ctl, unsigned long hartid, unsigned long online)
{
	struct task *me = task_current();
	struct kobj *o;
	long err = handle_get(ctl, KEEL_OBJ_CONTROL, KEEL_R_HOTPLUG, &o);
	int cpu = smp_cpu(hartid);

	if (err)
		return err;
	if (cpu < 0)
		return -KEEL_ENOENT;
	pr_info("smp: %s[%d] takes hart %lu %s\n", me->name, me->pid, hartid,
		online ? "online" : "offline");
	return online ? smp_hotplug_up((unsigned int)cpu) : smp_hotplug_down((unsigned int)cpu);
}

static long sys_kill(long ctl, long pid)
{
	struct task *me = task_current();
	struct kobj *o;
	long err = handle_get(ctl, KEEL_OBJ_CONTROL, KEEL_R_KILL, &o);

	if (err)
		return err;
	err = task_kill((int)pid);
	if (!err)
		pr_notice("kill: pid %ld, asked by %s[%d]\n", pid, me->name, me->pid);
	return err;
}

static long syscall_dispatch(struct trap_frame *tf)
{
	switch (tf->regs[17 - 1]) {	/* a7 */
	case SYS_exit: task_exit((int)A(1));
	case SYS_write: return sys_write(A(1), A(2), A(3));
	case SYS_read: return sys_read(A(1), A(2), A(3));
	case SYS_getpid: return task_current()->pid;
	case SYS_getppid: return task_current()->ppid;
	case SYS_yield: sched_yield(); return 0;
	case SYS_sleep_us: task_sleep_us(A(1)); return 0;
	case SYS_time_ns: return sys_time_ns();
	case SYS_spawn: return sys_spawn(A(1), A(2), A(3), A(4), A(5));
	case SYS_wait: return sys_wait((long)A(1), A(2));
	case SYS_dmesg: return sys_dmesg(A(1), A(2), A(3));
	case SYS_ps: return sys_ps(A(1), A(2));
	case SYS_reboot: return sys_reboot((long)A(1), A(2));
	case SYS_initrd_read: return sys_initrd_read(A(1), A(2), A(3), A(4));
	case SYS_initrd_list: return sys_initrd_list(A(1), A(2));
	case SYS_handle_close: return handle_close((long)A(1));
	case SYS_handle_dup: return handle_dup((long)A(1), (unsigned int)A(2));
	case SYS_ep_create: return ipc_ep_create();
	case SYS_ipc_call:
	case SYS_ipc_recv:
	case SYS_ipc_reply:
	case SYS_ipc_reply_recv: return sys_ipc(tf, tf->regs[17 - 1]);
	case SYS_notif_create: return ipc_notif_create();
	case SYS_notif_signal:
	case SYS_notif_wait: return sys_notif(tf, tf->regs[17 - 1]);
	case SYS_mmap: return sys_mmap((long)A(1), A(2), A(3), A(4));
	case SYS_munmap: return sys_munmap(A(1), A(2));
	case SYS_mem_create: return sys_mem_create(A(1));
	case SYS_mem_phys: return sys_mem_phys((long)A(1));
	case SYS_mmio_create: return sys_mmio_create((long)A(1), A(2), A(3));
	case SYS_irq_create: return sys_irq_create((long)A(1), A(2), (long)A(3), A(4));
	case SYS_irq_ack: return sys_irq_ack((long)A(1));
	case SYS_hart_ctl: return sys_hart_ctl((long)A(1), A(2), A(3));
	case SYS_ep_bind: return sys_ep_bind((long)A(1), (long)A(2));
	case SYS_ipc_recv_timeout: return sys_recv_timeout(tf);
	case SYS_child_notif: return sys_child_notif((long)A(1), A(2));
	case SYS_console_claim: return sys_console_claim((long)A(1), A(2));
	case SYS_harts: return sys_harts(A(1), A(2));
	case SYS_meminfo: return sys_meminfo(A(1), A(2));
	case SYS_kill: return sys_kill((long)A(1), (long)A(2));
	case SYS_wait_any: return sys_wait_any(A(1), A(2));
	case SYS_spawn_mem:
		if ((long)A(1) < 0)
			return -KEEL_ENOENT;
		return sys_spawn_any((long)A(1), 0, A(2), A(3), A(4), A(5));
	default: return -KEEL_ENOSYS;
	}
}

void syscall_handle(struct trap_frame *tf)
{
	unsigned long nr = tf->regs[17 - 1];	/* a7 */

	tf->sepc += 4;		/* past the ecall */
	if ((nr == SYS_ipc_call || nr == SYS_ipc_reply_recv) && ipc_fast(tf, nr)) {
		syscall_check_killed();
		return;
	}
	local_irq_enable();
	tf->regs[10 - 1] = (unsigned long)syscall_dispatch(tf);
	local_irq_disable();
	syscall_check_killed();
}

void syscall_check_killed(void)
{
	struct task *t = this_cpu()->current;	/* interrupts are off */

	if (!task_killed(t))
		return;
	pr_err("%s[%d]: killed\n", t->name, t->pid);
	local_irq_enable();
	task_exit(TASK_EXIT_KILLED);
}

void syscall_user_fault(struct trap_frame *tf)
{
	struct task *t = task_current();
	unsigned long code = tf->scause & ~SCAUSE_INTERRUPT;

	pr_err("%s[%d]: %s at 0x%lx epc 0x%lx on hart %lu; killed\n", t->name, t->pid,
	       trap_cause_str(tf->scause), tf->stval, tf->sepc, this_cpu()->hartid);
	local_irq_enable();
	task_exit(TASK_EXIT_FAULT | (int)code);
}

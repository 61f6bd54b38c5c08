/*
 * sys_system.c - calls about the machine: time_ns, reboot, harts,
 * hart_ctl, meminfo, and the initramfs (initrd_read, initrd_list).
 *
 * Paths are copied into a kernel buffer (SYS_PATH_MAX) once, then used.
 */
#include "sys_common.h"
#include "arch/cpu.h"
#include "arch/riscv.h"
#include "drivers/plic.h"
#include "exec/initrd.h"
#include "kernel/ipi.h"
#include "kernel/smp.h"
#include "kernel/task.h"
#include "kernel/timer.h"
#include "lib/log.h"
#include "lib/power.h"
#include "lib/string.h"
#include "mm/kmem.h"
#include "mm/pmem.h"
#include "mm/uaccess.h"
#include "object/handle.h"

SYSCALL_DEFINE0(time_ns)
{
	uint64_t t = riscv_rdtime(), hz = timer_timebase();

	return (long)((t / hz) * 1000000000ULL + (t % hz) * 1000000000ULL / hz);
}

SYSCALL_DEFINE2(reboot, long, ctl, unsigned long, how)
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

SYSCALL_DEFINE2(harts, uintptr_t, buf, unsigned long, max)
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
SYSCALL_DEFINE2(meminfo, uintptr_t, uinfo, unsigned long, size)
{
	struct keel_meminfo m = {
		.total = pmem_total_pages() * PAGE_SIZE,
		.free = pmem_free_pages() * PAGE_SIZE,
		.page_size = PAGE_SIZE,
		.ipis_sent = ipi_sent_count(),
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

SYSCALL_DEFINE3(hart_ctl, long, ctl, unsigned long, hartid, unsigned long, online)
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
	if (online)
		return smp_hotplug_up((unsigned int)cpu);
	/* Its device interrupts go first, and again for an ack that came meanwhile. */
	plic_cpu_offline((unsigned int)cpu);
	err = smp_hotplug_down((unsigned int)cpu);
	plic_cpu_offline((unsigned int)cpu);
	return err;
}

SYSCALL_DEFINE4(initrd_read, uintptr_t, upath, uintptr_t, buf, size_t, len, size_t, off)
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
	return copy_to_user(sys_as(), buf, (const char *)f.data + off, len) ? -KEEL_EINVAL
									    : (long)len;
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

SYSCALL_DEFINE2(initrd_list, unsigned long, index, uintptr_t, uentry)
{
	struct keel_dirent e;
	struct sys_list_ctx ctx = { index, 0, &e, false };

	memset(&e, 0, sizeof(e));
	initrd_for_each(sys_list_one, &ctx);
	if (!ctx.found)
		return 0;
	return copy_to_user(sys_as(), uentry, &e, sizeof(e)) ? -KEEL_EINVAL : 1;
}

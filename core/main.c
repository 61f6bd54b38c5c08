/*
 * main.c - core_main(), Keel's start_kernel: the boot hart's bring-up,
 * one step per line, in the order DESIGN.md section 3 gives; then
 * rest_init() and kernel_init(), as in Linux's init/main.c.
 *
 * Entered from boot/entry.S with the MMU on (early map), tp = &smp_boot_cpu
 * (cpu 0's struct cpu until smp_cpus_init() moves it into cpus[]),
 * interrupts off, on the boot stack, which becomes swapper/0's.
 */
#include "main.h"
#include "trap_handler.h"
#include "platform/cmdline.h"
#include "mm/as.h"
#include "exec/exec.h"
#include "lib/fmt.h"
#include "exec/initrd.h"
#include "kernel/kthread.h"
#include "lib/panic.h"
#include "kernel/sched.h"
#include "kernel/task.h"
#include "kernel/wait.h"
#include "lib/log.h"
#include "platform/machine.h"
#include "drivers/plic.h"
#include "object/mem.h"
#include "kernel/ipi.h"
#include "mm/kmem.h"
#include "mm/pmem.h"
#include "lib/power.h"
#include "lib/quota.h"
#include "arch/riscv.h"
#include "test/selftest.h"
#include "kernel/smp.h"
#include "lib/string.h"
#include "kernel/timer.h"
#include "kernel/tlb.h"
#include "arch/trap.h"
#include "mm/vm.h"
#include "sbi/sbi.h"

static uint64_t core_entry_time; /* time CSR at core_main; boot hart only */
bool core_init_freed;

#define KTHREADD_WAIT_MS 5000

static struct completion kthreadd_done;

static void report_boot_time(void)
{
	uint64_t us = (riscv_rdtime() - core_entry_time) * 1000000 / timer_timebase();

	pr_info("core: bring-up done in %lu us on hart %lu; %lu pages free\n", (unsigned long)us,
		smp_hartid(0), pmem_free_pages());
}

/* No init to run (no initramfs), or self-tests asked for: end the run here. */
static __init __noreturn void core_done(void)
{
	report_boot_time();
	if (selftest_in_kernel(cmdline.selftest))
		selftest_run(cmdline.selftest);
	pr_notice("core: no initramfs; powering off\n");
	power_off();
}

static char initcall_blacklist_env[COMMAND_LINE_SIZE + 32];

/*
 * Init's limits, the root of the limit tree (lib/quota.h): the pages
 * free now; objects come from the page allocator (mm/kmem.c), so their
 * count only bounds the kernel memory they take (16384 objects is well
 * under 4 MiB); tasks, too, come from the page allocator (kernel/task.c)
 * and each is charged its stack, so pages bound them as well; the task
 * count is a policy bound, what the old pool (1024) left user space.
 */
#define INIT_LIMIT_OBJECTS 16384
#define INIT_LIMIT_TASKS   512

/* pid 1, once: it becomes the root of the limit tree. */
static void init_quota(void)
{
	unsigned long limit[QUOTA_KINDS] = {
		[QUOTA_PAGES] = pmem_free_pages(),
		[QUOTA_OBJECTS] = INIT_LIMIT_OBJECTS,
		[QUOTA_TASKS] = INIT_LIMIT_TASKS,
	};

	task_current()->quota = quota_root(limit);
}

/* Exec @path as pid 1; returns only on failure, with the error. */
static int try_to_run_init_process(const char *path)
{
	const char *argv[CMDLINE_MAX_INIT_ARGS + 2], *envp[CMDLINE_MAX_INIT_ENVS + 6];
	struct exec_image img;
	unsigned int n = 0;
	int err;

	if (cmdline.initcall_blacklist)
		fmt_snprintf(initcall_blacklist_env, sizeof(initcall_blacklist_env),
			     "initcall_blacklist=%s", cmdline.initcall_blacklist);
	argv[n++] = path;
	for (unsigned int i = 0; i < cmdline.init_argc; i++)
		argv[n++] = cmdline.init_argv[i];
	argv[n] = NULL;
	n = 0;
	envp[n++] = "HOME=/";
	envp[n++] = "TERM=linux";
	/* Initcalls run in user space: init needs to know these two. */
	if (cmdline.initcall_debug)
		envp[n++] = "initcall_debug=1";
	if (cmdline.initcall_blacklist)
		envp[n++] = initcall_blacklist_env;
	/* A user-space self-test's knobs (syscall_fuzz_ms=). */
	if (selftest_user_env())
		envp[n++] = selftest_user_env();
	for (unsigned int i = 0; i < cmdline.init_envc; i++)
		envp[n++] = cmdline.init_envp[i];
	envp[n] = NULL;

	pr_info("Run %s as init process\n", path);
	img.quota = task_current()->quota;
	err = exec_load(path, argv, envp, &img);
	if (err)
		return err;
	exec_enter(&img, "init");
}

/* Linux's order: rdinit=, then init=, then the usual places. */
static void run_init_process(void)
{
	static const char *const defaults[] = { "/sbin/init", "/etc/init", "/bin/init", "/bin/sh" };
	const char *rdinit = cmdline.rdinit ? cmdline.rdinit : "/init";
	const char *selftest = selftest_user_program(cmdline.selftest);
	int err;

	if (selftest) {
		err = try_to_run_init_process(selftest);
		panic("selftest: cannot run %s (error %d)", selftest, -err);
	}
	err = try_to_run_init_process(rdinit);
	pr_err("Failed to execute %s (error %d)\n", rdinit, -err);
	if (cmdline.init) {
		err = try_to_run_init_process(cmdline.init);
		panic("Requested init %s failed (error %d).", cmdline.init, -err);
	}
	for (unsigned int i = 0; i < ARRAY_SIZE(defaults); i++) {
		err = try_to_run_init_process(defaults[i]);
		pr_err("Failed to execute %s (error %d)\n", defaults[i], -err);
	}
	panic("No working init found.  Try passing init= option to kernel.");
}

/* pid 1, the part that runs once: SMP, the initramfs; or the end of the run. */
static __init void kernel_init_freeable(void)
{
	if (wait_for_completion(&kthreadd_done, KTHREADD_WAIT_MS, "kthreadd"))
		panic("kernel_init: kthreadd did not start in %u ms", KTHREADD_WAIT_MS);
	smp_init();    /* every usable hart, through HSM */
	initrd_init(); /* check the initramfs, whole */
	if (selftest_in_kernel(cmdline.selftest) || !initrd_present())
		core_done(); /* self-tests, or nothing to run */
}

#if DEBUG
/*
 * What the link check cannot see: a pointer into the boot-only range
 * stored at run time in the core's .data or .bss (a hook set by boot
 * code, say). Debug builds look, before the pages go.
 */
static void initmem_check_stale(void)
{
	char *const ranges[][2] = { { __data_start, _edata }, { __bss_start, __boot_stack_guard } };
	unsigned long n = 0;

	for (unsigned int r = 0; r < ARRAY_SIZE(ranges); r++)
		for (const uintptr_t *w = (const uintptr_t *)ALIGN_UP((uintptr_t)ranges[r][0], 8);
		     (const char *)(w + 1) <= ranges[r][1]; w++)
			if (*w > (uintptr_t)__init_begin && *w < (uintptr_t)__init_end) {
				pr_err("core: %p holds 0x%lx, boot-only\n", (const void *)w,
				       (unsigned long)*w);
				n++;
			}
	if (n)
		panic("core: %lu pointers into the boot-only sections", n);
}
#else
static inline void initmem_check_stale(void)
{
}
#endif

/*
 * The boot-only sections (keel/init.h) leave the kernel map, on every
 * hart, and their pages become free memory. Every hart has left its
 * bring-up code by now (smp_init() waited), and nothing resident points
 * there (tools/check-init, at the link).
 */
static void free_initmem(void)
{
	uintptr_t va = (uintptr_t)__init_begin;
	uint64_t size = (uint64_t)(__init_end - __init_begin);

	initmem_check_stale();
	__atomic_store_n(&core_init_freed, true, __ATOMIC_RELEASE); /* call traces stop looking */
	if (vm_unmap(vm_kernel_root(), va, size))
		panic("core: cannot unmap the boot-only sections");
	if (tlb_flush_kernel_range(va, size)) {
		/* A hart that did not answer may still reach the old pages: keep them. */
		pr_warn("core: boot-only code unmapped; its %lu KiB stay unused\n",
			(unsigned long)(size / KiB));
		return;
	}
	pmem_give(kva_to_pa(__init_begin), size / PAGE_SIZE);
	pr_info("core: freed %lu KiB of boot-only code\n", (unsigned long)(size / KiB));
}

/* pid 1: bring up SMP, then become the first user program. */
static __ref void kernel_init(void *unused)
{
	(void)unused;
	kernel_init_freeable();
	free_initmem();
	report_boot_time();
	init_quota(); /* the root of every limit */
	if (mem_give_init(task_current()))
		panic("kernel_init: no memory for init's handles");
	run_init_process();
}

/*
 * pid 1 kernel_init and pid 2 kthreadd; then the boot hart idles as
 * swapper/0. Not __init, and never inlined into core_main(): pid 1 may
 * free the boot-only code while this hart is still on its way to idle.
 */
static __attribute__((noinline)) __noreturn void rest_init(void)
{
	struct task *init = task_create("kernel_init", kernel_init, NULL, 0);
	struct task *kt = task_create("kthreadd", kthreadd, NULL, 0);

	if (!init || !kt)
		panic("rest_init: cannot create pid 1 and pid 2");
	init->detached = kt->detached = true;
	completion_init(&kthreadd_done);
	sched_wake(init);
	sched_wake(kt);
	complete(&kthreadd_done);
	pr_info("rest_init: pid %d %s, pid %d %s\n", init->pid, init->name, kt->pid, kt->name);
	sched_idle();
}

/* Every other hart, from boot/entry.S once smp_init() started it: the per-hart steps. */
void secondary_main(struct cpu *c)
{
	smp_secondary_enter(c);	 /* fresh trap depth and IPI state */
	trap_init_hart();	 /* stvec, sie */
	timer_init_hart();	 /* the tick at timer.hz */
	sched_init_hart();	 /* this context becomes swapper/N */
	smp_secondary_online(c); /* check in; run the scheduler */
}

__init void core_main(unsigned long boot_hartid, unsigned long fdt_pa)
{
	core_entry_time = riscv_rdtime();
	log_banner(); /* "Keel version ..."; held for the timebase */
	sbi_probe();  /* firmware version and extensions */
	machine_log_sbi();
	machine_init(fdt_pa);			  /* parse and check the DT, or panic */
	cmdline_init(machine_dt.bootargs);	  /* loglevel=, quiet, debug, maxcpus= ... */
	log_set_timebase(machine_dt.timebase_hz); /* stamps and prints held lines */
	machine_log(boot_hartid);		  /* model, harts, memory, /chosen */
	cmdline_log();				  /* "Kernel command line: ..." */
	smp_map_init(boot_hartid);		  /* cpu 0 = this hart; how many cpus */
	pmem_init(smp_possible_cpus());		  /* memory minus kernel, DT, initrd, reserved */
	smp_cpus_init();			  /* a struct cpu per usable hart, in tree order */
	smp_park();				  /* the others wait in wfi, not in firmware */
	vm_init();				  /* Sv39 kernel map, nothing W+X */
	kmem_init();				  /* object caches; limit nodes come from one */
	ipi_init();				  /* cross-call queues, one per cpu */
	as_init();				  /* kernel half shared by user spaces */
	plic_init();				  /* device interrupts, if the DT has a PLIC */
	trap_init();				  /* the idle loop's interrupt hook */
	trap_init_hart();			  /* stvec, sie */
	timer_init();				  /* Sstc or SBI; the tick's length */
	timer_init_hart();			  /* the tick at timer.hz */
	sched_init();				  /* per-cpu run queues; this is swapper/0 */
	local_irq_enable();
	rest_init(); /* pid 1 kernel_init, pid 2 kthreadd; no return */
}

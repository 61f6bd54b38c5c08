/*
 * smp.c - the hartid <-> cpu map and secondary bring-up.
 *
 * Every usable hart of the device tree gets a dense cpu id: the boot hart
 * is cpu 0, the others follow in tree order. The map is written by the
 * boot hart before any other hart runs and is read-only after that.
 * cpus[] has one entry per usable hart, allocated once the page
 * allocator runs (smp_cpus_init()); before that the boot hart runs on
 * smp_boot_cpu, which smp_cpus_init() copies into cpus[0].
 *
 * Bring-up, in two steps. As soon as the hart map is known, smp_park()
 * starts the harts bring-up will use into the pen of boot/entry.S, where
 * they sleep in wfi (a hart OpenSBI 1.1 holds STOPPED polls, which under
 * QEMU's multi-threaded TCG slows everything else). smp_init() then lets
 * them all go at once (cpus[i].pen = 1, and an IPI);
 * a hart not parked is started through HSM hart_start instead. Each one
 * checks in by moving its state from CPU_STARTING to CPU_ONLINE (CAS)
 * and completing smp_checkin, so kernel_init sleeps while it waits. A
 * hart that has not checked in by the timeout (smp_timeout_ms(): the
 * smp.timeout_ms base plus a term per hart started) is named with its HSM
 * state and left out; if it comes later, its CAS fails and it stops.
 *
 * Hotplug: smp_hotplug_down() asks a hart to leave (sched.c moves its
 * work; it stops through HSM), smp_hotplug_up() starts it again.
 *
 * Locking: cpus[i].state is atomic; everything else in cpus[i] is written
 * by the boot hart before hart i starts, or by hart i itself; the pen
 * only reads cpus[i].pen. smp_parked belongs to the boot hart.
 * Hotplug operations are serialized by smp_hotplug_lock.
 */
#include "lib/err.h"
#include "smp.h"
#include "platform/cmdline.h"
#include "lib/log.h"
#include "platform/machine.h"
#include "lib/panic.h"
#include "lib/string.h"
#include "ipi.h"
#include "mm/pmem.h"
#include "sched.h"
#include "task.h"
#include "wait.h"
#include "arch/riscv.h"
#include "timer.h"
#include "arch/trap.h"
#include "mm/vm.h"
#include "sbi/sbi.h"

extern char secondary_entry[], secondary_pen[];

static struct cpumask smp_parked; /* started into the pen; boot hart only */
static unsigned int smp_nparked;

extern unsigned long smp_boot_satp; /* boot/entry.S; written before any hart_start */

_Static_assert(CPU_PEN == offsetof(struct cpu, pen) && CPU_HARTID == offsetof(struct cpu, hartid) &&
		       CPU_SIZE == sizeof(struct cpu),
	       "entry.S cpu layout");

/*
 * Read by a stray hart in boot/entry.S, MMU off: where cpus[] is (pa)
 * and how long, so it finds its own entry by hartid. Written before
 * any hart is started.
 */
extern uint64_t smp_pen_cpus_pa;
extern uint32_t smp_pen_ncpus;

/* The boot hart's until smp_cpus_init() (boot/entry.S sets tp to it). */
struct cpu smp_boot_cpu;
struct cpu *cpus = &smp_boot_cpu;
struct cpumask smp_online_mask;	      /* atomic bits */
static unsigned int smp_ncpus;	      /* immutable after boot */
static struct completion smp_checkin; /* one count per secondary that came online */
static unsigned int smp_target;	      /* harts bring-up aimed for; immutable after */
static struct mutex smp_hotplug_lock; /* one hotplug operation at a time */
static struct completion smp_dead;    /* the dying cpu's last word */

#define SMP_HSM_STOP_TIMEOUT_MS 1000

/*
 * What each hart started adds to the bring-up timeout. Under QEMU's
 * multi-threaded TCG every hart is a host thread, and on a busy 2-core
 * host a flat 1000 ms brought up 63 of 128 (the rest START_PENDING); with
 * `debug` (a console line per check-in) the last of 128 came 2.0 s after
 * smp_init began (64: 1.9 s), without it 0.07 s. 200 ms a hart (26 s at 128)
 * leaves room for a busier host; a hart that checks in costs nothing,
 * only a dead one makes bring-up wait the whole timeout.
 */
#define SMP_TIMEOUT_PER_HART_MS 200

static char boot_emerg_stack[4096] __aligned(16);

__init void smp_map_init(unsigned long boot_hartid)
{
	struct dt_hart boot;
	struct cpu *c = &smp_boot_cpu;

	if (!machine_find_hart(boot_hartid, &boot))
		panic("boot hart %lu is not in the device tree", boot_hartid);
	if (boot.state != DT_HART_USABLE)
		panic("boot hart %lu is not usable: %s", boot_hartid,
		      dt_hart_state_str(boot.state));

	c->hartid = boot_hartid;
	c->id = 0;
	c->stack_lo = (unsigned long)__boot_stack_top - BOOT_STACK_SIZE;
	c->emerg_sp = (unsigned long)boot_emerg_stack + sizeof(boot_emerg_stack);
	__atomic_store_n(&c->state, CPU_ONLINE, __ATOMIC_RELEASE);
	cpumask_set_atomic(&smp_online_mask, 0);
	smp_ncpus = MIN(machine_dt.nusable, KEEL_MAX_CPUS);
	pr_info("smp: boot hart %lu is cpu 0; %u usable harts\n", boot_hartid, smp_ncpus);
}

__init void smp_cpus_init(void)
{
	struct cpu *all = smp_alloc_percpu(sizeof(*all), "struct cpu");
	struct dt_hart h = DT_HART_START;
	unsigned int n = 1;

	all[0] = smp_boot_cpu;
	while (!dt_next_hart(machine_fdt, &machine_dt, &h)) {
		if (h.state != DT_HART_USABLE || h.hartid == all[0].hartid)
			continue;
		if (n == smp_ncpus) {
			pr_warn("smp: hart %lu: beyond KEEL_MAX_CPUS (%u), left out\n",
				(unsigned long)h.hartid, KEEL_MAX_CPUS);
			continue;
		}
		all[n].hartid = h.hartid;
		all[n].id = n;
		n++;
	}
	cpus = all;
	smp_pen_cpus_pa = kva_to_pa(all);
	smp_pen_ncpus = smp_ncpus;
	/* This hart's entry moves: nothing has kept a pointer to smp_boot_cpu. */
	__asm__ __volatile__("mv tp, %0" : : "r"(all) : "memory");
}

unsigned long smp_hartid(unsigned int cpu)
{
	return cpus[cpu].hartid;
}

int smp_cpu(unsigned long hartid)
{
	for (unsigned int i = 0; i < smp_ncpus; i++)
		if (cpus[i].hartid == hartid)
			return (int)i;
	return -KEEL_ENOENT;
}

unsigned int smp_possible_cpus(void)
{
	return smp_ncpus;
}

__init void *smp_alloc_percpu(size_t each, const char *what)
{
	size_t bytes = ALIGN_UP(each * smp_ncpus, PAGE_SIZE);
	uint64_t pa;
	void *p;

	if (pmem_alloc_contig(bytes / PAGE_SIZE, &pa))
		panic("smp: no %lu bytes for %s of %u cpus", (unsigned long)bytes, what, smp_ncpus);
	p = pa_to_kva(pa);
	memset(p, 0, bytes);
	return p;
}

unsigned int smp_online_cpus(void)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < smp_ncpus; i++)
		n += smp_cpu_online(i);
	return n;
}

bool smp_cpu_online(unsigned int cpu)
{
	/* Acquire pairs with the release in smp_secondary_online(). @cpu may come from a user. */
	return cpu < smp_ncpus && __atomic_load_n(&cpus[cpu].state, __ATOMIC_ACQUIRE) == CPU_ONLINE;
}

/* Boot hart: a stack with a guard page and an overflow stack for @cpu. */
static int smp_prepare_cpu(unsigned int cpu)
{
	struct cpu *c = &cpus[cpu];
	uintptr_t lo, top;
	uint64_t pa;
	int err;

	if (c->stack_top) {
		/* Started before (hotplug): same stacks; the old context is gone. */
		c->stack_lo = c->stack_top - KSTACK_SIZE;
		return 0;
	}
	err = vm_alloc_kstack(cpu, &lo, &top);
	if (!err)
		err = pmem_alloc_page(&pa);
	if (err)
		return err;
	c->stack_lo = lo;
	c->stack_top = top;
	c->emerg_sp = (unsigned long)pa_to_kva(pa) + PAGE_SIZE;
	/*
	 * Its idle task, made here rather than by the hart itself: harts
	 * that all start at once would queue on the task cache's lock
	 * (over a second at -smp 32 under multi-threaded TCG).
	 */
	c->idle = task_make_idle(cpu);
	return 0;
}

/* How many cpus bring-up aims for: all, or what maxcpus=/nosmp/HSM allow. */
static __init unsigned int smp_target_cpus(void)
{
	unsigned int n = smp_ncpus;

	if (cmdline.nosmp) {
		pr_info("smp: nosmp: uniprocessor\n");
		return 1;
	}
	if (cmdline.maxcpus >= 0 && (unsigned int)cmdline.maxcpus < n) {
		n = cmdline.maxcpus ? (unsigned int)cmdline.maxcpus : 1;
		pr_info("smp: maxcpus=%d: bringing up %u of %u usable harts\n", cmdline.maxcpus, n,
			smp_ncpus);
	}
	if (n > 1 && !sbi.hsm) {
		pr_warn("smp: the firmware has no SBI HSM extension: uniprocessor\n");
		return 1;
	}
	return n;
}

__init void smp_park(void)
{
	unsigned int ncpus = smp_target_cpus();

	smp_target = ncpus;
	for (unsigned int cpu = 1; cpu < ncpus; cpu++) {
		unsigned long id = smp_hartid(cpu);

		/* The pen finds its release word through a1 (MMU off: physical). */
		if (!sbi_hart_start(id, kva_to_pa(secondary_pen), kva_to_pa(&cpus[cpu]))) {
			cpumask_set(&smp_parked, cpu);
			smp_nparked++;
		}
	}
	if (smp_nparked)
		pr_info("smp: %u harts parked in the pen until smp_init\n", smp_nparked);
}

/* Let parked @cpu go to secondary_entry; the IPI follows. */
static void smp_pen_release(unsigned int cpu)
{
	cpumask_clear(&smp_parked, cpu);
	/* Pairs with the pen's load after its wfi (MMU off, same memory). */
	__atomic_store_n(&cpus[cpu].pen, 1, __ATOMIC_RELEASE);
}

/* Boot hart only. Asks HSM to start @cpu (or releases it from the pen). */
static int smp_start_cpu(unsigned int cpu, struct cpumask *released)
{
	long err;
	int kerr = smp_prepare_cpu(cpu);

	if (kerr) {
		pr_err("smp: hart %lu: no stack: %s\n", smp_hartid(cpu), kerr_str(kerr));
		return kerr;
	}
	/* Pairs with the acquire load in smp_wait_online(). */
	__atomic_store_n(&cpus[cpu].state, CPU_STARTING, __ATOMIC_RELEASE);
	if (cpumask_test(&smp_parked, cpu)) {
		smp_pen_release(cpu);
		cpumask_set(released, cpu);
		return 0;
	}
	/* HSM enters with satp = 0, so the opaque argument is physical. */
	err = sbi_hart_start(smp_hartid(cpu), kva_to_pa(secondary_entry), kva_to_pa(&cpus[cpu]));
	if (err) {
		pr_err("smp: hart %lu: hart_start: %s\n", smp_hartid(cpu), sbi_strerror(err));
		__atomic_store_n(&cpus[cpu].state, CPU_OFFLINE, __ATOMIC_RELAXED);
		return sbi_to_kerr(err);
	}
	return 0;
}

static __init unsigned int smp_count_starting(unsigned int ncpus)
{
	unsigned int n = 0;

	for (unsigned int i = 1; i < ncpus; i++)
		n += __atomic_load_n(&cpus[i].state, __ATOMIC_ACQUIRE) == CPU_STARTING;
	return n;
}

/* How long to wait for @nharts started harts: smp.timeout_ms plus a term each. */
static unsigned int smp_timeout_ms(unsigned int nharts)
{
	return cmdline.smp_timeout_ms + nharts * SMP_TIMEOUT_PER_HART_MS;
}

/* Sleep until every started hart has checked in, or the timeout passes. */
static __init void smp_wait_online(unsigned int ncpus)
{
	uint64_t deadline =
		riscv_rdtime() + (uint64_t)smp_timeout_ms(ncpus - 1) * timer_timebase() / 1000;

	while (smp_count_starting(ncpus)) {
		uint64_t now = riscv_rdtime();
		unsigned int left_ms;

		if (now >= deadline)
			break;
		left_ms = (unsigned int)((deadline - now) * 1000 / timer_timebase()) + 1;
		/* One count per check-in; a timeout here is reported per hart below. */
		if (wait_for_completion(&smp_checkin, left_ms, "harts to check in"))
			break;
	}
}

/* STARTING -> OFFLINE, unless the hart won the race and is ONLINE already. */
static bool smp_cancel_start(unsigned int cpu)
{
	int expected = CPU_STARTING;

	return __atomic_compare_exchange_n(&cpus[cpu].state, &expected, CPU_OFFLINE, false,
					   __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

static __init void smp_report_missing(unsigned int ncpus)
{
	for (unsigned int i = 1; i < ncpus; i++) {
		struct sbiret st;

		if (__atomic_load_n(&cpus[i].state, __ATOMIC_ACQUIRE) != CPU_STARTING)
			continue;
		/* It may check in right now: only one of us changes STARTING. */
		if (!smp_cancel_start(i))
			continue;
		st = sbi_hart_get_status(smp_hartid(i));
		pr_err("smp: hart %lu: no check-in after %u ms (HSM: %s)\n", smp_hartid(i),
		       smp_timeout_ms(ncpus - 1),
		       st.error ? sbi_strerror(st.error) : sbi_hsm_state_str(st.value));
	}
}

__init void smp_init(void)
{
	unsigned int ncpus = smp_target;
	uint64_t t0 = riscv_rdtime();
	struct cpumask released;

	cpumask_clear_all(&released);
	completion_init(&smp_checkin);
	completion_init(&smp_dead);
	mutex_init(&smp_hotplug_lock);
	/* Read by secondary_entry with the MMU off: make it visible first. */
	smp_boot_satp = csr_read(satp);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);

	for (unsigned int i = 1; i < ncpus; i++)
		(void)smp_start_cpu(i, &released);
	/* The stores to cpus[].pen before the IPIs that make the pen look. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!cpumask_empty(&released))
		ipi_send_mask(&released, IPI_WAKE);
	smp_wait_online(ncpus);
	smp_report_missing(ncpus);
	pr_info("smp: brought up %u of %u harts in %lu us\n", smp_online_cpus(), ncpus,
		(unsigned long)((riscv_rdtime() - t0) * 1000000 / timer_timebase()));
}

void smp_secondary_enter(struct cpu *c)
{
	c->trap_depth = 0;
	__atomic_store_n(&c->ipi_pending, 0, __ATOMIC_RELAXED);
}

void smp_secondary_online(struct cpu *c)
{
	c->online_time = riscv_rdtime();
	/*
	 * Pairs with the acquire loads in smp_count_starting() and
	 * smp_cpu_online(). Too late (smp_init gave up on us): leave quietly.
	 */
	if (!__atomic_compare_exchange_n(&c->state, &(int){ CPU_STARTING }, CPU_ONLINE, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		csr_write(sie, 0);
		sbi_hart_stop();
		for (;;)
			riscv_wfi();
	}
	cpumask_set_atomic(&smp_online_mask, c->id);
	/* Before the check-in: the boot hart may power off as soon as the last one checks in. */
	pr_debug("smp: hart %lu online as cpu %u\n", c->hartid, c->id);
	complete(&smp_checkin);
	sched_idle();
}

unsigned int smp_expected_cpus(void)
{
	return smp_target;
}

void smp_cpu_dead(struct cpu *c)
{
	long err;

	timer_tick_stop();
	ipi_cpu_down();
	csr_write(sie, 0);
	/* Pairs with the acquire load in smp_hotplug_down(). */
	__atomic_store_n(&c->state, CPU_OFFLINE, __ATOMIC_RELEASE);
	complete(&smp_dead);
	err = sbi_hart_stop();
	/* Only returns on failure: the hart stays parked here, offline. */
	log_raw_printf("smp: hart %lu: hart_stop: %s; parked\n", c->hartid, sbi_strerror(err));
	for (;;)
		riscv_wfi();
}

/* Poll HSM until @cpu's hart says STOPPED (hart_stop completes on that hart). */
static int smp_wait_hsm_stopped(unsigned int cpu)
{
	uint64_t deadline =
		riscv_rdtime() + (uint64_t)SMP_HSM_STOP_TIMEOUT_MS * timer_timebase() / 1000;
	struct sbiret st;

	for (;;) {
		st = sbi_hart_get_status(smp_hartid(cpu));
		if (!st.error && st.value == SBI_HSM_STATE_STOPPED)
			return 0;
		if (riscv_rdtime() > deadline)
			break;
		task_sleep_us(200);
	}
	pr_err("smp: hart %lu: not STOPPED %u ms after hart_stop (HSM: %s)\n", smp_hartid(cpu),
	       SMP_HSM_STOP_TIMEOUT_MS,
	       st.error ? sbi_strerror(st.error) : sbi_hsm_state_str(st.value));
	return -KEEL_ETIMEDOUT;
}

int smp_hotplug_down(unsigned int cpu)
{
	struct cpu *c = &cpus[cpu];
	int err;

	if (cpu == 0 || cpu >= smp_ncpus)
		return -KEEL_EINVAL;
	if (!sbi.hsm)
		return -KEEL_ENOTSUP;
	mutex_lock(&smp_hotplug_lock);
	if (!smp_cpu_online(cpu) || smp_online_cpus() < 2) {
		mutex_unlock(&smp_hotplug_lock);
		return -KEEL_EBUSY;
	}
	/* No new work goes there; then ask it to leave. */
	cpumask_clear_atomic(&smp_online_mask, cpu);
	__atomic_store_n(&c->dying, 1, __ATOMIC_RELEASE);
	ipi_send(cpu, IPI_RESCHED);
	err = wait_for_completion(&smp_dead, SMP_HSM_STOP_TIMEOUT_MS, "a hart to go offline");
	if (!err)
		err = smp_wait_hsm_stopped(cpu);
	__atomic_store_n(&c->dying, 0, __ATOMIC_RELEASE);
	mutex_unlock(&smp_hotplug_lock);
	if (!err)
		pr_info("smp: hart %lu (cpu %u) offline\n", c->hartid, cpu);
	return err;
}

int smp_hotplug_up(unsigned int cpu)
{
	struct cpumask released; /* stays empty: a hart that went offline is not parked */
	int err;

	cpumask_clear_all(&released);
	if (cpu == 0 || cpu >= smp_ncpus)
		return -KEEL_EINVAL;
	mutex_lock(&smp_hotplug_lock);
	if (__atomic_load_n(&cpus[cpu].state, __ATOMIC_ACQUIRE) != CPU_OFFLINE) {
		mutex_unlock(&smp_hotplug_lock);
		return -KEEL_EBUSY;
	}
	completion_init(&smp_checkin); /* only this hart checks in now */
	err = smp_start_cpu(cpu, &released);
	if (!err &&
	    wait_for_completion(&smp_checkin, smp_timeout_ms(1), "a hart to come back online") &&
	    smp_cancel_start(cpu)) {
		struct sbiret st = sbi_hart_get_status(smp_hartid(cpu));

		pr_err("smp: hart %lu: no check-in after %u ms (HSM: %s)\n", smp_hartid(cpu),
		       smp_timeout_ms(1),
		       st.error ? sbi_strerror(st.error) : sbi_hsm_state_str(st.value));
		err = -KEEL_ETIMEDOUT;
	}
	mutex_unlock(&smp_hotplug_lock);
	if (!err)
		pr_info("smp: hart %lu (cpu %u) online\n", smp_hartid(cpu), cpu);
	return err;
}

/*
 * selftest_smp.c - SMP and scheduler self-tests (selftest=smp), run by
 * kernel_init after bring-up. Each test is a claim about many harts at
 * once: counts that must come out exact, calls that must reach every
 * hart, a TLB that must not be stale after a shootdown, threads that must
 * move and spread.
 */
#include "lib/err.h"
#include "selftest.h"
#include "platform/cmdline.h"
#include "arch/cpu.h"
#include "kernel/ipi.h"
#include "kernel/kthread.h"
#include "lib/log.h"
#include "mm/pmem.h"
#include "arch/riscv.h"
#include "arch/trap.h"
#include "kernel/sched.h"
#include "kernel/smp.h"
#include "lib/spinlock.h"
#include "kernel/task.h"
#include "kernel/timer.h"
#include "mm/vm.h"
#include "kernel/tlb.h"
#include "kernel/wait.h"

#define FAIL(...)                                                                                  \
	do {                                                                                       \
		pr_info("    # " __VA_ARGS__);                                                     \
		return false;                                                                      \
	} while (0)
#define JOIN_MS 30000

static __init uint64_t st_us(uint64_t ticks)
{
	return ticks * 1000000 / timer_timebase();
}

/* Start @fn on a kthread pinned to @cpu. */
static __init struct task *st_spawn_on(unsigned int cpu, void (*fn)(void *), void *arg,
				       const char *name)
{
	struct task *t = kthread_create(fn, arg, name);
	struct cpumask one;

	if (!t)
		return NULL;
	cpumask_clear_all(&one);
	cpumask_set(&one, cpu);
	sched_set_affinity(t, &one);
	t->cpu = cpu;
	sched_wake(t);
	return t;
}

static __init bool st_join_all(struct task **t, unsigned int n)
{
	bool ok = true;

	for (unsigned int i = 0; i < n; i++)
		if (t[i] && task_join(t[i], JOIN_MS))
			ok = false;
	return ok;
}

__init bool selftest_smp_online(void)
{
	unsigned int want = smp_expected_cpus(), got = smp_online_cpus();

	pr_info("    # %u of %u harts online\n", got, want);
	if (got != want)
		FAIL("expected %u online harts, found %u\n", want, got);
	for (unsigned int cpu = 0; cpu < got; cpu++)
		if (!cpus[cpu].idle || cpus[cpu].idle->pid != 0)
			FAIL("cpu %u has no swapper task\n", cpu);
	return true;
}

static __init void st_nothing(void *arg)
{
	*(int *)arg = task_current()->ppid;
}

__init bool selftest_kthread_tree(void)
{
	struct task *me = task_current();
	int ppid = -1;
	struct task *t;

	if (me->pid != 1)
		FAIL("self-tests run in pid %d, not pid 1\n", me->pid);
	t = kthread_run(st_nothing, &ppid, "st_child");
	if (!t)
		FAIL("kthread_run failed\n");
	if (task_join(t, JOIN_MS))
		FAIL("the kthread did not exit\n");
	if (ppid != 2)
		FAIL("a kthread has ppid %d, not 2 (kthreadd)\n", ppid);
	return true;
}

/* SMP_0002: counters under a spinlock and a mutex, hammered from every hart. */
static struct spinlock st_lock = SPINLOCK_INIT;
static struct mutex st_mutex;
static unsigned long st_count_spin, st_count_mutex, st_iters;

static __init void st_counter(void *arg)
{
	(void)arg;
	for (unsigned long i = 0; i < st_iters; i++) {
		unsigned long flags = spin_lock_irqsave(&st_lock);

		st_count_spin++;
		spin_unlock_irqrestore(&st_lock, flags);
		mutex_lock(&st_mutex);
		st_count_mutex++;
		mutex_unlock(&st_mutex);
		if (!(i % 16))
			sched_yield();
	}
}

__init bool selftest_smp_counters(void)
{
	static struct task *t[KEEL_MAX_CPUS * 2];
	unsigned int n = smp_online_cpus() * 2;
	uint64_t t0 = riscv_rdtime();

	mutex_init(&st_mutex);
	st_count_spin = st_count_mutex = 0;
	st_iters = 2000 / n + 20;
	for (unsigned int i = 0; i < n; i++)
		t[i] = st_spawn_on(i % smp_online_cpus(), st_counter, NULL, "st_counter");
	if (!st_join_all(t, n))
		FAIL("counter threads did not finish\n");
	pr_info("    # %u threads x %lu: spinlock count %lu, mutex count %lu, %lu us\n", n,
		st_iters, st_count_spin, st_count_mutex, (unsigned long)st_us(riscv_rdtime() - t0));
	if (st_count_spin != n * st_iters || st_count_mutex != n * st_iters)
		FAIL("counts %lu/%lu, expected %lu\n", st_count_spin, st_count_mutex, n * st_iters);
	return true;
}

/* SMP_0003: IPI ping-pong (cross-call round trips) between sampled pairs. */
struct st_pingpong {
	unsigned int from, to, rounds, ran_on_wrong;
	uint64_t ticks;
	int err;
};

static __init void st_pong(void *arg)
{
	struct st_pingpong *p = arg;

	if (this_cpu()->id != p->to)
		p->ran_on_wrong++;
}

static __init void st_ping(void *arg)
{
	struct st_pingpong *p = arg;
	uint64_t t0 = riscv_rdtime();

	for (unsigned int i = 0; i < p->rounds && !p->err; i++)
		p->err = smp_call_one(p->to, st_pong, p);
	p->ticks = riscv_rdtime() - t0;
}

__init bool selftest_smp_ipi_pingpong(void)
{
	unsigned int n = smp_online_cpus();
	unsigned int pairs[][2] = { { 0, 1 },	      { 1, 0 },	    { 0, n - 1 },
				    { n - 1, n / 2 }, { n / 2, 1 }, { n - 1, 0 } };
	struct st_pingpong pp[ARRAY_SIZE(pairs)];
	struct task *t[ARRAY_SIZE(pairs)];

	if (n < 2) {
		pr_info("    # one hart: nothing to ping\n");
		return true;
	}
	for (unsigned int i = 0; i < ARRAY_SIZE(pairs); i++) {
		pp[i] = (struct st_pingpong){ pairs[i][0], pairs[i][1], 20, 0, 0, 0 };
		if (pp[i].from == pp[i].to)
			pp[i].to = (pp[i].to + 1) % n;
		t[i] = st_spawn_on(pp[i].from, st_ping, &pp[i], "st_ping");
		/* One pair at a time: the latency is the pair's own. */
		if (!st_join_all(&t[i], 1))
			FAIL("ping thread %u->%u did not finish\n", pp[i].from, pp[i].to);
		if (pp[i].err || pp[i].ran_on_wrong)
			FAIL("ping %u->%u: error %d, %u calls ran on the wrong hart\n", pp[i].from,
			     pp[i].to, pp[i].err, pp[i].ran_on_wrong);
		pr_info("    # cpu %u -> cpu %u: %u round trips, %lu us each\n", pp[i].from,
			pp[i].to, pp[i].rounds, (unsigned long)(st_us(pp[i].ticks) / pp[i].rounds));
	}
	return true;
}

/* SMP_0004: a cross-call reaches every online hart once, on that hart. */
static unsigned int st_hits[KEEL_MAX_CPUS];

static __init void st_hit(void *arg)
{
	(void)arg;
	__atomic_fetch_add(&st_hits[this_cpu()->id], 1, __ATOMIC_RELAXED);
}

__init bool selftest_smp_call_all(void)
{
	struct smp_call call;
	unsigned int n = smp_online_cpus();

	for (unsigned int i = 0; i < KEEL_MAX_CPUS; i++)
		st_hits[i] = 0;
	if (smp_call_mask(&smp_online_mask, st_hit, NULL, &call) ||
	    smp_call_wait(&call, smp_call_timeout_ms()))
		FAIL("the cross-call did not complete\n");
	for (unsigned int cpu = 0; cpu < KEEL_MAX_CPUS; cpu++) {
		unsigned int want = cpu < n ? 1 : 0;

		if (st_hits[cpu] != want)
			FAIL("cpu %u ran the call %u times, expected %u\n", cpu, st_hits[cpu],
			     want);
	}
	pr_info("    # %u harts ran it once each\n", n);
	return true;
}

/* SMP_0005: after a shootdown no hart reads through a stale TLB entry. */
#define ST_VAL_A 0xaaaa5555aaaa5555ULL
#define ST_VAL_B 0xbbbb6666bbbb6666ULL
enum { ST_READ_A = 1, ST_PAUSE, ST_READ_B, ST_STOP };
#define ST_READERS 8

struct st_reader {
	unsigned long reads_a, reads_b, wrong_a, stale_b, paused;
};

static int st_phase;
static struct st_reader st_readers[ST_READERS];

static __init void st_read_loop(void *arg)
{
	struct st_reader *r = arg;
	volatile uint64_t *p = (volatile uint64_t *)VM_TEST_VA;

	for (;;) {
		int phase = __atomic_load_n(&st_phase, __ATOMIC_ACQUIRE);

		if (phase == ST_STOP)
			return;
		if (phase == ST_READ_A) {
			r->wrong_a += *p != ST_VAL_A;
			__atomic_store_n(&r->reads_a, r->reads_a + 1, __ATOMIC_RELEASE);
		} else if (phase == ST_PAUSE) {
			__atomic_store_n(&r->paused, 1, __ATOMIC_RELEASE);
			/*
			 * Sleep while the mapping moves: the harts go idle in wfi,
			 * so the shootdown's IPIs find them at once instead of
			 * waiting for spinning vCPUs (single-threaded TCG).
			 */
			task_sleep_us(1000);
			continue;
		} else if (phase == ST_READ_B) {
			r->stale_b += *p != ST_VAL_B;
			__atomic_store_n(&r->reads_b, r->reads_b + 1, __ATOMIC_RELEASE);
		}
		cpu_relax();
	}
}

/* Wait until every reader's counter at @off passes @min; false on timeout. */
static __init bool st_wait_readers(unsigned int n, size_t off, unsigned long min)
{
	uint64_t deadline = riscv_rdtime() + 10ULL * timer_timebase();

	for (unsigned int i = 0; i < n; i++) {
		unsigned long *v = (unsigned long *)((char *)&st_readers[i] + off);

		while (__atomic_load_n(v, __ATOMIC_ACQUIRE) < min) {
			if (riscv_rdtime() > deadline)
				return false;
			sched_yield();
		}
	}
	return true;
}

__init bool selftest_smp_tlb_shootdown(void)
{
	unsigned int n = MIN(smp_online_cpus() - 1, (unsigned int)ST_READERS);
	uint64_t pa_a, pa_b;
	struct task *t[ST_READERS];
	unsigned long stale = 0, wrong = 0;
	bool ok = true;

	if (!n) {
		pr_info("    # one hart: no remote TLB to shoot down\n");
		return true;
	}
	if (pmem_alloc_page(&pa_a) || pmem_alloc_page(&pa_b))
		FAIL("no pages\n");
	*(uint64_t *)pa_to_kva(pa_a) = ST_VAL_A;
	*(uint64_t *)pa_to_kva(pa_b) = ST_VAL_B;
	if (vm_map(vm_kernel_root(), VM_TEST_VA, pa_a, PAGE_SIZE, PTE_R | PTE_W))
		FAIL("cannot map the test page\n");
	tlb_flush_kernel_range(VM_TEST_VA, PAGE_SIZE);

	__atomic_store_n(&st_phase, ST_READ_A, __ATOMIC_RELEASE);
	for (unsigned int i = 0; i < n; i++) {
		st_readers[i] = (struct st_reader){ 0 };
		/* Readers on the other harts, spread over the range. */
		t[i] = st_spawn_on(1 + i * (smp_online_cpus() - 1) / n, st_read_loop,
				   &st_readers[i], "st_reader");
	}
	ok = st_wait_readers(n, offsetof(struct st_reader, reads_a), 100);
	__atomic_store_n(&st_phase, ST_PAUSE, __ATOMIC_RELEASE);
	ok = ok && st_wait_readers(n, offsetof(struct st_reader, paused), 1);

	/* Every reader has VM_TEST_VA -> A in its TLB now. Move it to B. */
	if (ok && (vm_unmap(vm_kernel_root(), VM_TEST_VA, PAGE_SIZE) ||
		   (tlb_flush_kernel_range(VM_TEST_VA, PAGE_SIZE),
		    vm_map(vm_kernel_root(), VM_TEST_VA, pa_b, PAGE_SIZE, PTE_R | PTE_W))))
		ok = false;
	__atomic_store_n(&st_phase, ST_READ_B, __ATOMIC_RELEASE);
	ok = ok && st_wait_readers(n, offsetof(struct st_reader, reads_b), 100);
	__atomic_store_n(&st_phase, ST_STOP, __ATOMIC_RELEASE);
	if (!st_join_all(t, n))
		ok = false;
	for (unsigned int i = 0; i < n; i++) {
		stale += st_readers[i].stale_b;
		wrong += st_readers[i].wrong_a;
	}
	if (!vm_unmap(vm_kernel_root(), VM_TEST_VA, PAGE_SIZE))
		tlb_flush_kernel_range(VM_TEST_VA, PAGE_SIZE);
	pmem_free_page(pa_a);
	pmem_free_page(pa_b);
	pr_info("    # %u readers on other harts; %lu stale reads after the shootdown\n", n, stale);
	if (!ok)
		FAIL("readers did not make progress, or the remap failed\n");
	if (stale || wrong)
		FAIL("%lu stale reads after the shootdown, %lu wrong before\n", stale, wrong);
	return true;
}

/* SMP_0006: a thread moves itself across every hart and runs on each. */
struct st_tour {
	unsigned int visited, wrong, ncpus;
};

static __init void st_tour(void *arg)
{
	struct st_tour *tour = arg;

	for (unsigned int cpu = 0; cpu < tour->ncpus; cpu++) {
		unsigned int dest = (cpu * 7 + 3) % tour->ncpus; /* not in order */

		if (sched_migrate_current(dest) || this_cpu()->id != dest)
			tour->wrong++;
		else
			tour->visited++;
	}
}

__init bool selftest_smp_migration(void)
{
	struct st_tour tour = { 0, 0, smp_online_cpus() };
	struct task *t = kthread_run(st_tour, &tour, "st_tour");

	if (!t || task_join(t, JOIN_MS))
		FAIL("the touring thread did not finish\n");
	pr_info("    # visited %u harts, %u migrations\n", tour.visited, tour.visited);
	if (tour.wrong || tour.visited != tour.ncpus)
		FAIL("%u moves landed on the wrong hart, %u of %u visited\n", tour.wrong,
		     tour.visited, tour.ncpus);
	return true;
}

/* SMP_0007: unpinned work spreads over every hart. */
static struct cpumask st_used;
static unsigned int st_want;

/*
 * Busy until every hart has run one of us (or a generous deadline): the
 * claim is about placement, so the threads outlive any host slowness.
 */
static __init void st_busy(void *arg)
{
	uint64_t until = riscv_rdtime() + (uint64_t)(uintptr_t)arg;

	while (riscv_rdtime() < until) {
		cpumask_set_atomic(&st_used, this_cpu()->id);
		if (cpumask_weight(&st_used) >= st_want)
			break;
		cpu_relax();
	}
}

__init bool selftest_smp_spread(void)
{
	static struct task *t[KEEL_MAX_CPUS * 2];
	unsigned int n = smp_online_cpus() * 2;
	uintptr_t busy = 10 * (uintptr_t)timer_timebase(); /* 10 s at most */
	uint64_t t0 = riscv_rdtime();

	cpumask_clear_all(&st_used);
	st_want = smp_online_cpus();
	for (unsigned int i = 0; i < n; i++) {
		t[i] = kthread_create(st_busy, (void *)busy, "st_busy");
		if (t[i])
			sched_wake(t[i]);
	}
	if (!st_join_all(t, n))
		FAIL("busy threads did not finish\n");
	pr_info("    # %u unpinned threads reached %u of %u harts in %lu us\n", n,
		cpumask_weight(&st_used), smp_online_cpus(),
		(unsigned long)st_us(riscv_rdtime() - t0));
	if (cpumask_weight(&st_used) != smp_online_cpus())
		FAIL("work reached only %u of %u harts\n", cpumask_weight(&st_used),
		     smp_online_cpus());
	return true;
}

/*
 * SMP_0008: a cross-call that times out is withdrawn. The caller's
 * struct smp_call lives in its frame, which is gone once smp_call_wait()
 * returns; a hart that comes to the call late must not run it from there.
 */
static int st_late_phase; /* 0 starting, 1 holding interrupts off, 2 let go */
static unsigned int st_late_runs;

static __init void st_late_fn(void *arg)
{
	(void)arg;
	__atomic_fetch_add(&st_late_runs, 1, __ATOMIC_RELAXED);
}

/* On the late hart: interrupts off until told, so the call waits in its queue. */
static __init void st_late_holder(void *arg)
{
	(void)arg;
	local_irq_disable();
	__atomic_store_n(&st_late_phase, 1, __ATOMIC_RELEASE);
	while (__atomic_load_n(&st_late_phase, __ATOMIC_ACQUIRE) == 1)
		cpu_relax();
	local_irq_enable(); /* the queued IPI is taken here */
}

static __init __attribute__((noinline)) int st_late_call(unsigned int cpu)
{
	struct smp_call call;
	struct cpumask one;
	int err;

	cpumask_clear_all(&one);
	cpumask_set(&one, cpu);
	err = smp_call_mask(&one, st_late_fn, NULL, &call);
	return err ? err : smp_call_wait(&call, 50);
}

/* Fills the frame st_late_call() had with pointers to st_late_fn. */
static __init __attribute__((noinline)) void st_late_scribble(void)
{
	volatile unsigned long junk[64];

	for (unsigned int i = 0; i < ARRAY_SIZE(junk); i++)
		junk[i] = (unsigned long)st_late_fn;
}

__init bool selftest_smp_call_timeout(void)
{
	const unsigned int late = 1;
	struct cpumask all;
	uint64_t deadline;
	struct task *t;
	bool joined;
	int err, again;

	if (smp_online_cpus() < 2) {
		pr_info("    # one hart: no other hart to be late\n");
		return true;
	}
	/* Pinned: on the late hart, behind the holder, pid 1 would never run again. */
	if (sched_migrate_current(0))
		FAIL("cannot move to cpu 0\n");
	st_late_phase = 0;
	st_late_runs = 0;
	t = st_spawn_on(late, st_late_holder, NULL, "st_late");
	if (!t)
		FAIL("no thread\n");
	deadline = riscv_rdtime() + 10ULL * timer_timebase();
	while (!__atomic_load_n(&st_late_phase, __ATOMIC_ACQUIRE) && riscv_rdtime() < deadline)
		sched_yield();
	err = st_late_call(late);
	st_late_scribble();
	__atomic_store_n(&st_late_phase, 2, __ATOMIC_RELEASE);
	joined = st_join_all(&t, 1);
	/* Its queue is first in, first out: once this one ran, the old one was seen. */
	again = smp_call_one(late, st_late_fn, NULL);
	cpumask_fill(&all, smp_possible_cpus());
	sched_set_affinity(task_current(), &all);
	if (!joined)
		FAIL("the late hart's thread did not finish\n");
	if (again)
		FAIL("a cross-call to cpu %u after the late one did not complete\n", late);
	if (err != -KEEL_ETIMEDOUT)
		FAIL("the call to a hart with interrupts off returned %d, not a timeout\n", err);
	if (st_late_runs != 1)
		FAIL("cpu %u ran %u calls, expected 1: a withdrawn call ran from a dead frame\n",
		     late, st_late_runs);
	pr_info("    # cpu %u came late; the timed-out call was withdrawn\n", late);
	return true;
}

/* WAIT_0001: timed waits end on time and say so. */
__init bool selftest_wait_timeout(void)
{
	struct completion never;
	uint64_t t0 = riscv_rdtime(), us, waited;
	int err;

	completion_init(&never);
	err = wait_for_completion(&never, 30, "a completion that never comes (expected)");
	waited = st_us(riscv_rdtime() - t0);
	if (err != -KEEL_ETIMEDOUT)
		FAIL("wait returned %d, expected -KEEL_ETIMEDOUT\n", err);
	if (waited < 30000)
		FAIL("timed out after %lu us, before 30 ms\n", (unsigned long)waited);
	t0 = riscv_rdtime();
	task_sleep_us(20000);
	us = st_us(riscv_rdtime() - t0);
	pr_info("    # 30 ms wait timed out after %lu us; 20 ms sleep took %lu us\n",
		(unsigned long)waited, (unsigned long)us);
	if (us < 20000)
		FAIL("slept %lu us, less than 20 ms\n", (unsigned long)us);
	return true;
}

/* HOTPLUG_0001: harts leave and come back while counters run; nothing is lost. */
struct hp_worker {
	unsigned long count;
	unsigned int migrations;
};

static int hp_stop;
static unsigned long hp_shared_spin, hp_shared_mutex;
static struct spinlock hp_lock = SPINLOCK_INIT;
static struct mutex hp_mutex;

static __init void hp_counter(void *arg)
{
	struct hp_worker *w = arg;

	while (!__atomic_load_n(&hp_stop, __ATOMIC_ACQUIRE)) {
		unsigned long flags = spin_lock_irqsave(&hp_lock);

		hp_shared_spin++;
		spin_unlock_irqrestore(&hp_lock, flags);
		mutex_lock(&hp_mutex);
		hp_shared_mutex++;
		mutex_unlock(&hp_mutex);
		w->count++;
		if (w->count % 8)
			sched_yield();
		else
			task_sleep_us(200); /* a timed wait that may span an offline */
	}
	w->migrations = (unsigned int)task_current()->migrations;
}

static uint64_t hp_rand_state;

static __init unsigned int hp_rand(void)
{
	/* A 64-bit LCG (Knuth's MMIX constants), seeded from the time CSR. */
	hp_rand_state = hp_rand_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned int)(hp_rand_state >> 33);
}

__init bool selftest_hotplug(void)
{
	static struct task *t[KEEL_MAX_CPUS];
	static struct hp_worker w[KEEL_MAX_CPUS];
	unsigned int n = smp_online_cpus(), downs = 0, ups = 0, errors = 0;
	unsigned long total = 0, migrations = 0;
	uint64_t window = (uint64_t)cmdline.hotplug_ms * timer_timebase() / 1000, start;
	bool ok = true;

	if (n < 2) {
		pr_info("    # one hart: nothing to take offline\n");
		return true;
	}
	hp_rand_state = riscv_rdtime();
	hp_stop = 0;
	hp_shared_spin = hp_shared_mutex = 0;
	mutex_init(&hp_mutex);
	for (unsigned int i = 0; i < n; i++) {
		w[i] = (struct hp_worker){ 0, 0 };
		/* One worker pinned to the last hart: its affinity must be broken, not lost. */
		t[i] = i == n - 1 ? st_spawn_on(i, hp_counter, &w[i], "hp_pinned")
				  : kthread_run(hp_counter, &w[i], "hp_counter");
	}
	/*
	 * The window starts once the counters run (spawning 128 of them on a
	 * loaded host can outlast hotplug_ms), and holds one offline at least
	 * (for up to ten windows; no offline then fails below).
	 */
	start = riscv_rdtime();
	do {
		unsigned int cpu = 1 + hp_rand() % (n - 1);
		int err;

		if (smp_cpu_online(cpu)) {
			err = smp_hotplug_down(cpu);
			downs += !err;
		} else {
			err = smp_hotplug_up(cpu);
			ups += !err;
		}
		if (err && err != -KEEL_EBUSY) {
			pr_info("    # hotplug of cpu %u: %s\n", cpu, kerr_str(err));
			errors++;
		}
		task_sleep_us(2000);
	} while (riscv_rdtime() - start < (downs || errors ? window : 10 * window));
	for (unsigned int cpu = 1; cpu < n; cpu++)
		if (!smp_cpu_online(cpu) && smp_hotplug_up(cpu))
			errors++;
	__atomic_store_n(&hp_stop, 1, __ATOMIC_RELEASE);
	ok = st_join_all(t, n);
	for (unsigned int i = 0; i < n; i++) {
		total += w[i].count;
		migrations += w[i].migrations;
	}
	pr_info("    # %u offlines, %u onlines, %u errors; %u threads counted %lu (spinlock %lu, "
		"mutex %lu), %lu migrations\n",
		downs, ups, errors, n, total, hp_shared_spin, hp_shared_mutex, migrations);
	if (!ok)
		FAIL("a counter thread was lost (did not finish)\n");
	if (errors)
		FAIL("%u hotplug operations failed\n", errors);
	if (smp_online_cpus() != n)
		FAIL("%u harts online at the end, %u at the start\n", smp_online_cpus(), n);
	if (total != hp_shared_spin || total != hp_shared_mutex)
		FAIL("counts disagree: threads %lu, spinlock %lu, mutex %lu\n", total,
		     hp_shared_spin, hp_shared_mutex);
	if (!downs)
		FAIL("no hart went offline\n");
	return true;
}

/* SPIN_0001: a spinlock held too long is reported, naming its holder. */
static struct spinlock st_stuck = SPINLOCK_INIT;
static int st_stuck_held;

static __init void st_hold(void *arg)
{
	unsigned long flags = spin_lock_irqsave(&st_stuck);
	uint64_t until = riscv_rdtime() + (uint64_t)(uintptr_t)arg;

	__atomic_store_n(&st_stuck_held, 1, __ATOMIC_RELEASE);
	while (riscv_rdtime() < until)
		cpu_relax();
	spin_unlock_irqrestore(&st_stuck, flags);
}

__init bool selftest_spin_stuck(void)
{
	unsigned long before = __atomic_load_n(&spin_stuck_reports, __ATOMIC_RELAXED);
	struct cpumask all;
	unsigned long flags;
	struct task *t;

	if (!DEBUG) {
		pr_info("    # release build: no stuck-lock reports to check\n");
		return true;
	}
	if (smp_online_cpus() < 2) {
		pr_info("    # one hart: nobody to hold the lock\n");
		return true;
	}
	st_stuck_held = 0;
	/*
	 * We wait on cpu 0, the holder keeps the lock 1.5 s on cpu 1. (Both
	 * on one hart, the holder's interrupts-off spin would simply run
	 * before us and we would never wait.)
	 */
	if (sched_migrate_current(0))
		FAIL("cannot move to cpu 0\n");
	t = st_spawn_on(1, st_hold, (void *)(uintptr_t)(timer_timebase() * 3 / 2), "st_hold");
	if (!t)
		FAIL("no holder thread\n");
	while (!__atomic_load_n(&st_stuck_held, __ATOMIC_ACQUIRE))
		sched_yield();
	flags = spin_lock_irqsave(&st_stuck);
	spin_unlock_irqrestore(&st_stuck, flags);
	if (task_join(t, JOIN_MS))
		FAIL("the holder did not finish\n");
	cpumask_fill(&all, smp_possible_cpus());
	sched_set_affinity(task_current(), &all);
	if (__atomic_load_n(&spin_stuck_reports, __ATOMIC_RELAXED) == before)
		FAIL("waited 1.5 s for a lock and nothing was reported\n");
	return true;
}

/*
 * ipi.c - IPIs and cross-calls.
 *
 * An IPI is a set of IPI_* bits in the target's struct cpu plus an SBI
 * send_ipi; the target's handler takes all bits at once. Cross-calls go
 * through a small ring per cpu of pointers to the caller's smp_call; the
 * target runs the function in its interrupt handler and counts down
 * call->pending.
 *
 * Locking: each ring has its own lock, taken with interrupts off.
 */
#include "ipi.h"
#include "arch/cpu.h"
#include "lib/log.h"
#include "lib/panic.h"
#include "arch/riscv.h"
#include "sched.h"
#include "smp.h"
#include "lib/spinlock.h"
#include "timer.h"
#include "arch/trap.h"
#include "sbi/sbi.h"

#define CALLQ_SIZE 64

struct callq {
	struct spinlock lock;
	struct smp_call *ring[CALLQ_SIZE]; /* guarded by lock */
	unsigned int head, tail;	   /* guarded by lock */
};

static struct callq *callqs; /* one per possible cpu, from ipi_init(); immutable after */

__init void ipi_init(void)
{
	callqs = smp_alloc_percpu(sizeof(*callqs), "cross-call queues");
	for (unsigned int cpu = 0; cpu < smp_possible_cpus(); cpu++)
		callqs[cpu].lock = (struct spinlock)SPINLOCK_INIT;
}

void ipi_for_each_hart_chunk(const struct cpumask *m,
			     void (*fn)(unsigned long mask, unsigned long base, void *arg),
			     void *arg)
{
	struct cpumask left = *m;

	/* Hart ids are sparse: one call per 64-aligned base that SBI wants. */
	while (!cpumask_empty(&left)) {
		unsigned int first = cpumask_next_wrap(&left, 0);
		unsigned long base = smp_hartid(first) & ~63UL, mask = 0;

		for_each_cpu(cpu, &left)
		{
			unsigned long hartid = smp_hartid(cpu);

			if ((hartid & ~63UL) != base)
				continue;
			mask |= 1UL << (hartid - base);
			cpumask_clear(&left, cpu);
		}
		fn(mask, base, arg);
	}
}

/* IPIs sent (harts targeted), a debug counter for meminfo; relaxed: only a count. */
static unsigned long ipi_sent;

unsigned long ipi_sent_count(void)
{
	return __atomic_load_n(&ipi_sent, __ATOMIC_RELAXED);
}

static void ipi_send_chunk(unsigned long mask, unsigned long base, void *arg)
{
	long err = sbi_send_ipi(mask, base);

	unsigned long n = 0;

	(void)arg;
	for (unsigned long m = mask; m; m &= m - 1)
		n++;
	__atomic_fetch_add(&ipi_sent, n, __ATOMIC_RELAXED);
	if (err)
		pr_err("ipi: send_ipi(mask 0x%lx, base %lu): %s\n", mask, base, sbi_strerror(err));
}

void ipi_send(unsigned int cpu, unsigned long bits)
{
	/* Release pairs with the acquire exchange in ipi_interrupt(). */
	__atomic_fetch_or(&cpus[cpu].ipi_pending, bits, __ATOMIC_RELEASE);
	/* A stopped hart takes no IPI (HSM); it reads its bits when started. */
	if (__atomic_load_n(&cpus[cpu].state, __ATOMIC_ACQUIRE) == CPU_OFFLINE)
		return;
	ipi_send_chunk(1, smp_hartid(cpu), NULL);
}

void ipi_send_mask(const struct cpumask *m, unsigned long bits)
{
	for_each_cpu(cpu, m) __atomic_fetch_or(&cpus[cpu].ipi_pending, bits, __ATOMIC_RELEASE);
	ipi_for_each_hart_chunk(m, ipi_send_chunk, NULL);
}

static void callq_run(struct callq *q)
{
	for (;;) {
		struct smp_call *call = NULL;
		unsigned long flags = spin_lock_irqsave(&q->lock);
		bool empty = q->head == q->tail;

		if (!empty)
			call = q->ring[q->head++ % CALLQ_SIZE];
		spin_unlock_irqrestore(&q->lock, flags);
		if (empty)
			return;
		if (!call)
			continue; /* withdrawn by its caller (smp_call_withdraw) */
		unsigned int waiter;

		call->fn(call->arg);
		/* Read before the count drops: the caller's @call may vanish after. */
		waiter = call->waiter;
		/* Release pairs with the acquire load in smp_call_wait(). */
		if (__atomic_sub_fetch(&call->pending, 1, __ATOMIC_ACQ_REL) == 0)
			ipi_send(waiter, IPI_WAKE);
	}
}

void ipi_cpu_down(void)
{
	callq_run(&callqs[this_cpu()->id]);
	__atomic_store_n(&this_cpu()->ipi_pending, 0, __ATOMIC_RELEASE);
}

void ipi_interrupt(void)
{
	struct cpu *c = this_cpu();
	unsigned long bits;

	csr_clear(sip, SIE_SSIE);
	bits = __atomic_exchange_n(&c->ipi_pending, 0, __ATOMIC_ACQUIRE);
	if (bits & IPI_CALL)
		callq_run(&callqs[c->id]);
	if (bits & IPI_RESCHED)
		c->need_resched = true;
	if (bits & IPI_STOP) {
		csr_clear(sstatus, SSTATUS_SIE);
		for (;;)
			riscv_wfi();
	}
}

/* Queue @call for @cpu; spins (serving our own queue) while the ring is full. */
static void callq_push(unsigned int cpu, struct smp_call *call)
{
	struct callq *q = &callqs[cpu];

	for (;;) {
		unsigned long flags = spin_lock_irqsave(&q->lock);

		if (q->tail - q->head < CALLQ_SIZE) {
			q->ring[q->tail++ % CALLQ_SIZE] = call;
			spin_unlock_irqrestore(&q->lock, flags);
			return;
		}
		spin_unlock_irqrestore(&q->lock, flags);
		callq_run(&callqs[this_cpu()->id]);
		cpu_relax();
	}
}

int smp_call_mask(const struct cpumask *m, void (*fn)(void *), void *arg, struct smp_call *call)
{
	struct cpumask targets;
	unsigned int me = this_cpu()->id;
	bool local;

	cpumask_and(&targets, m, &smp_online_mask);
	local = cpumask_test(&targets, me);
	cpumask_clear(&targets, me);
	call->fn = fn;
	call->arg = arg;
	call->waiter = me;
	__atomic_store_n(&call->pending, cpumask_weight(&targets), __ATOMIC_RELEASE);
	for_each_cpu(cpu, &targets) callq_push(cpu, call);
	if (!cpumask_empty(&targets))
		ipi_send_mask(&targets, IPI_CALL);
	if (local) {
		unsigned long flags = csr_read(sstatus) & SSTATUS_SIE;

		csr_clear(sstatus, SSTATUS_SIE);
		fn(arg);
		csr_set(sstatus, flags);
	}
	return 0;
}

unsigned int smp_call_timeout_ms(void)
{
	return SMP_CALL_TIMEOUT_MS + SMP_CALL_TIMEOUT_PER_HART_MS * smp_possible_cpus();
}

/*
 * After a timeout: take @call out of every queue that still holds it, so
 * no late hart runs it from the caller's frame once smp_call_wait() has
 * returned; then wait for the harts that already took it out themselves
 * (they are running it now: a few instructions). Returns how many never
 * ran it.
 */
static unsigned int smp_call_withdraw(struct smp_call *call)
{
	unsigned int withdrawn = 0;
	uint64_t t0 = riscv_rdtime();

	for (unsigned int cpu = 0; cpu < smp_possible_cpus(); cpu++) {
		struct callq *q = &callqs[cpu];
		unsigned long flags = spin_lock_irqsave(&q->lock);

		for (unsigned int i = q->head; i != q->tail; i++)
			if (q->ring[i % CALLQ_SIZE] == call) {
				q->ring[i % CALLQ_SIZE] = NULL;
				withdrawn++;
			}
		spin_unlock_irqrestore(&q->lock, flags);
	}
	__atomic_sub_fetch(&call->pending, withdrawn, __ATOMIC_ACQ_REL);
	while (__atomic_load_n(&call->pending, __ATOMIC_ACQUIRE)) {
		/* Serve our own queue meanwhile: two harts may be calling each other. */
		callq_run(&callqs[this_cpu()->id]);
		cpu_relax();
		if (riscv_rdtime() - t0 > (uint64_t)smp_call_timeout_ms() * timer_timebase() / 1000)
			panic("ipi: cross-call %p: %u cpus took it and never finished",
			      (void *)call->fn, __atomic_load_n(&call->pending, __ATOMIC_RELAXED));
	}
	return withdrawn;
}

/*
 * With interrupts on, sleep in wfi until the last target's IPI_WAKE (a
 * spinning vCPU starves the others when harts outnumber host cores);
 * with them off, spin and serve calls aimed at us meanwhile, since two
 * harts may be calling each other.
 */
int smp_call_wait(struct smp_call *call, unsigned int timeout_ms)
{
	uint64_t deadline = riscv_rdtime() + (uint64_t)timeout_ms * timer_timebase() / 1000;
	bool irqs_on = csr_read(sstatus) & SSTATUS_SIE;
	int err = 0;

	if (irqs_on)
		local_irq_disable();
	while (__atomic_load_n(&call->pending, __ATOMIC_ACQUIRE)) {
		if (riscv_rdtime() > deadline) {
			pr_err("ipi: cross-call %p: %u cpus missed it for %u ms; withdrawn\n",
			       (void *)call->fn, smp_call_withdraw(call), timeout_ms);
			err = -KEEL_ETIMEDOUT;
			break;
		}
		if (irqs_on) {
			/* A pending IPI ends wfi even while masked; the unmask takes it. */
			if (__atomic_load_n(&call->pending, __ATOMIC_ACQUIRE))
				riscv_wfi();
			local_irq_enable();
			local_irq_disable();
		} else {
			callq_run(&callqs[this_cpu()->id]);
			cpu_relax();
		}
	}
	if (irqs_on)
		local_irq_enable();
	return err;
}

int smp_call_one(unsigned int cpu, void (*fn)(void *), void *arg)
{
	struct smp_call call;
	struct cpumask one;
	int err;

	cpumask_clear_all(&one);
	cpumask_set(&one, cpu);
	err = smp_call_mask(&one, fn, arg, &call);
	return err ? err : smp_call_wait(&call, smp_call_timeout_ms());
}

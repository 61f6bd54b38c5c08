/*
 * ipi.h - inter-processor interrupts (SBI IPI) and cross-calls: run a
 * function on one cpu or a set of them, and wait for it or not.
 */
#ifndef KEEL_IPI_H
#define KEEL_IPI_H

#include "keel.h"
#include "lib/cpumask.h"

#define IPI_RESCHED (1UL << 0) /* look at your run queue */
#define IPI_CALL    (1UL << 1) /* run your queued cross-calls */
#define IPI_STOP    (1UL << 2) /* stop: a panic elsewhere */
#define IPI_WAKE    (1UL << 3) /* only end a wfi: a cross-call you wait for is done */

/* Any hart: raise @bits on @cpu (or every cpu in @m) and interrupt it. */
/* Boot hart, after vm_init(): the cross-call queues, sized from the tree. */
__init void ipi_init(void);
void ipi_send(unsigned int cpu, unsigned long bits);
/* IPIs sent since boot, every hart together (a debug counter: meminfo). */
unsigned long ipi_sent_count(void);
void ipi_send_mask(const struct cpumask *m, unsigned long bits);
/* A cpu going offline: run the cross-calls queued for it, drop its IPI bits. */
void ipi_cpu_down(void);
/* From trap_handler(): a supervisor software interrupt. */
void ipi_interrupt(void);

/*
 * Call @fn(@arg) once on each cpu of @m that is online (on this cpu
 * directly, with interrupts off). @call is the caller's and must live
 * until smp_call_wait() returns.
 */
struct smp_call {
	void (*fn)(void *arg);
	void *arg;
	unsigned int pending; /* atomic: cpus that have not run it yet */
	unsigned int waiter;  /* the caller's cpu: the last target wakes it */
};
int __must_check smp_call_mask(const struct cpumask *m, void (*fn)(void *), void *arg,
			       struct smp_call *call);
/*
 * 0 once every target ran it, or -KEEL_ETIMEDOUT after @timeout_ms (logged);
 * then the call is withdrawn: no target runs it after this returns.
 */
int __must_check smp_call_wait(struct smp_call *call, unsigned int timeout_ms);
/* Both at once, for one cpu. */
int __must_check smp_call_one(unsigned int cpu, void (*fn)(void *), void *arg);

/* For SBI calls that take hart masks: @fn per (mask, base) chunk of @m's harts. */
void ipi_for_each_hart_chunk(const struct cpumask *m,
			     void (*fn)(unsigned long mask, unsigned long base, void *arg),
			     void *arg);

/*
 * How long a cross-call's caller waits: 1 s, and 200 ms for each possible
 * hart. Under QEMU's thread=single every hart that spins (a lock, a busy
 * loop) holds the one host thread for 100 ms before the next runs, so at
 * 128 harts an answer can take seconds; on hardware this is only the
 * bound before a stuck hart is reported.
 */
#define SMP_CALL_TIMEOUT_MS	     1000
#define SMP_CALL_TIMEOUT_PER_HART_MS 200
unsigned int smp_call_timeout_ms(void);

#endif

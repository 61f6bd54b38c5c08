/*
 * spinlock.h - a fair ticket spinlock.
 *
 * Harts are served in the order they asked (ticket order), so no hart
 * starves. Holding a spinlock disables preemption on this cpu (a task is
 * never switched out, nor moved, while it holds one). Interrupts are the
 * caller's business: take a lock that a trap handler also takes only
 * with interrupts off (spin_lock_irqsave).
 *
 * In DEBUG builds a hart that spins longer than a second (spin_warn_ticks,
 * from the DT timebase) names the holder (cpu and the address that took
 * the lock), once per wait.
 */
#ifndef KEEL_SPINLOCK_H
#define KEEL_SPINLOCK_H

#include "keel.h"
#include "arch/cpu.h"
#include "arch/riscv.h"

struct spinlock {
	uint32_t next;		 /* next ticket to hand out */
	uint32_t owner;		 /* ticket now served */
	int holder_cpu;		 /* debug: who holds it (-1 none) */
	unsigned long holder_pc; /* debug: where it was taken */
};

/* All zero in release builds (holder_cpu is DEBUG's), so a lock sits in .bss, not the Image. */
#define SPINLOCK_INIT                                                                              \
	{                                                                                          \
		0, 0, DEBUG ? -1 : 0, 0                                                            \
	}

/*
 * The count is per cpu and tp names the cpu, so it is changed with
 * interrupts off: a task preempted between reading tp and the store
 * could move to another hart and write a stale count into the old one.
 */
static inline void preempt_disable(void)
{
	unsigned long flags = csr_read_clear(sstatus, SSTATUS_SIE) & SSTATUS_SIE;

	this_cpu()->preempt_count++;
	csr_set(sstatus, flags);
}

static inline void preempt_enable(void)
{
	unsigned long flags = csr_read_clear(sstatus, SSTATUS_SIE) & SSTATUS_SIE;

	this_cpu()->preempt_count--;
	csr_set(sstatus, flags);
}

/* Debug builds: report a lock held too long (spinlock.c). */
void spin_report_stuck(struct spinlock *l, unsigned long waited_ticks);
/* time CSR ticks in a second; until the timebase is known, about 1.7 s at 10 MHz. */
extern unsigned long spin_warn_ticks;
/* Reports made so far (self-tests count them). */
extern unsigned long spin_stuck_reports;

/*
 * Files built for size (-Os: all of the release core but the -O2 hot
 * paths) call one copy of spin_lock, spin_unlock and spin_lock_irqsave,
 * in spinlock.c: inlined, or made static per file, they cost 1.4 KB of
 * copies. Other builds inline them.
 */
#ifdef __OPTIMIZE_SIZE__
void spin_lock(struct spinlock *l);
void spin_unlock(struct spinlock *l);
unsigned long spin_lock_irqsave(struct spinlock *l);
#define SPIN_CALL /* spinlock.c defines them (SPINLOCK_DEFINE) */
#else
#define SPIN_CALL static inline
#endif

#if !defined(__OPTIMIZE_SIZE__) || defined(SPINLOCK_DEFINE)
SPIN_CALL void spin_lock(struct spinlock *l)
{
	uint32_t me;

	preempt_disable();
	me = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);
	/* Acquire pairs with the release in spin_unlock(). */
	if (__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != me) {
#if DEBUG
		unsigned long t0 = riscv_rdtime();
		bool told = false;
#endif
		while (__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != me) {
			__asm__ __volatile__(".insn i 0x0F, 0, x0, x0, 0x010"); /* pause */
#if DEBUG
			if (!told && riscv_rdtime() - t0 > spin_warn_ticks) {
				spin_report_stuck(l, riscv_rdtime() - t0);
				told = true;
			}
#endif
		}
	}
#if DEBUG
	l->holder_cpu = (int)this_cpu()->id;
	l->holder_pc = (unsigned long)__builtin_return_address(0);
#endif
}

SPIN_CALL void spin_unlock(struct spinlock *l)
{
#if DEBUG
	l->holder_cpu = -1;
#endif
	/* Release pairs with the acquire load in spin_lock(). */
	__atomic_store_n(&l->owner, l->owner + 1, __ATOMIC_RELEASE);
	preempt_enable();
}

SPIN_CALL unsigned long spin_lock_irqsave(struct spinlock *l)
{
	unsigned long flags = csr_read(sstatus) & SSTATUS_SIE;

	csr_clear(sstatus, SSTATUS_SIE);
	spin_lock(l);
	return flags;
}
#endif

static inline bool spin_trylock(struct spinlock *l)
{
	uint32_t owner = __atomic_load_n(&l->owner, __ATOMIC_RELAXED);
	uint32_t next = owner;

	preempt_disable();
	if (__atomic_compare_exchange_n(&l->next, &next, owner + 1, false, __ATOMIC_ACQUIRE,
					__ATOMIC_RELAXED))
		return true;
	preempt_enable();
	return false;
}

/*
 * For hot paths that run with interrupts off (the IPC fast paths, the
 * scheduler's local wake): take @l. Release builds skip the preempt
 * count, which only matters with interrupts on and must be even again
 * by the next switch; debug builds take it the usual way (and record
 * the holder).
 */
static inline void spin_lock_irqoff(struct spinlock *l)
{
	uint32_t me;

	if (DEBUG) {
		spin_lock(l);
		return;
	}
	me = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);
	/* Acquire pairs with the release in spin_unlock() and spin_unlock_irqoff(). */
	while (__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != me)
		__asm__ __volatile__(".insn i 0x0F, 0, x0, x0, 0x010"); /* pause */
}

static inline void spin_unlock_irqoff(struct spinlock *l)
{
	if (DEBUG) {
		spin_unlock(l);
		return;
	}
	/* Release pairs with the acquire loads in spin_lock() and spin_lock_irqoff(). */
	__atomic_store_n(&l->owner, l->owner + 1, __ATOMIC_RELEASE);
}

static inline bool spin_is_locked(struct spinlock *l)
{
	return __atomic_load_n(&l->owner, __ATOMIC_RELAXED) !=
	       __atomic_load_n(&l->next, __ATOMIC_RELAXED);
}

static inline void spin_unlock_irqrestore(struct spinlock *l, unsigned long flags)
{
	spin_unlock(l);
	csr_set(sstatus, flags);
}

#endif

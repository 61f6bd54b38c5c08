/*
 * spinlock.h - a fair ticket spinlock.
 *
 * Harts are served in the order they asked (ticket order), so no hart
 * starves. Interrupts are the caller's business: take a lock that a trap
 * handler also takes only with interrupts off (spin_lock_irqsave).
 */
#ifndef KEEL_SPINLOCK_H
#define KEEL_SPINLOCK_H

#include "keel.h"
#include "riscv.h"

struct spinlock {
	uint32_t next;		/* next ticket to hand out */
	uint32_t owner;		/* ticket now served */
};

#define SPINLOCK_INIT	{ 0, 0 }

static inline void spin_lock(struct spinlock *l)
{
	uint32_t me = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);

	/* Acquire pairs with the release in spin_unlock(). */
	while (__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != me)
		;
}

static inline bool spin_trylock(struct spinlock *l)
{
	uint32_t owner = __atomic_load_n(&l->owner, __ATOMIC_RELAXED);
	uint32_t next = owner;

	return __atomic_compare_exchange_n(&l->next, &next, owner + 1, false,
					   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

static inline void spin_unlock(struct spinlock *l)
{
	/* Release pairs with the acquire load in spin_lock(). */
	__atomic_store_n(&l->owner, l->owner + 1, __ATOMIC_RELEASE);
}

static inline bool spin_is_locked(struct spinlock *l)
{
	return __atomic_load_n(&l->owner, __ATOMIC_RELAXED) !=
	       __atomic_load_n(&l->next, __ATOMIC_RELAXED);
}

static inline unsigned long spin_lock_irqsave(struct spinlock *l)
{
	unsigned long flags = csr_read(sstatus) & SSTATUS_SIE;

	csr_clear(sstatus, SSTATUS_SIE);
	spin_lock(l);
	return flags;
}

static inline void spin_unlock_irqrestore(struct spinlock *l, unsigned long flags)
{
	spin_unlock(l);
	csr_set(sstatus, flags);
}

#endif

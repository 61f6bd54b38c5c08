/*
 * cpumask.h - sets of cpus (Keel's dense ids), one bit each.
 *
 * Plain bit operations; cpumask_set_atomic()/cpumask_clear_atomic() are
 * for masks several harts update at once (the idle mask).
 */
#ifndef KEEL_CPUMASK_H
#define KEEL_CPUMASK_H

#include "keel.h"

#ifndef KEEL_MAX_CPUS
#define KEEL_MAX_CPUS 256 /* cpu.h says the same */
#endif
#define CPUMASK_LONGS (KEEL_MAX_CPUS / 64)

struct cpumask {
	uint64_t bits[CPUMASK_LONGS];
};

static inline void cpumask_clear_all(struct cpumask *m)
{
	for (unsigned int i = 0; i < CPUMASK_LONGS; i++)
		m->bits[i] = 0;
}

/* Cpus 0 .. n-1. */
static inline void cpumask_fill(struct cpumask *m, unsigned int n)
{
	for (unsigned int i = 0; i < CPUMASK_LONGS; i++) {
		unsigned int lo = i * 64;

		m->bits[i] = n >= lo + 64 ? ~0ULL : n > lo ? (1ULL << (n - lo)) - 1 : 0;
	}
}

static inline void cpumask_set(struct cpumask *m, unsigned int cpu)
{
	m->bits[cpu / 64] |= 1ULL << (cpu % 64);
}

static inline void cpumask_clear(struct cpumask *m, unsigned int cpu)
{
	m->bits[cpu / 64] &= ~(1ULL << (cpu % 64));
}

static inline bool cpumask_test(const struct cpumask *m, unsigned int cpu)
{
	return cpu < KEEL_MAX_CPUS && (m->bits[cpu / 64] >> (cpu % 64)) & 1;
}

static inline void cpumask_set_atomic(struct cpumask *m, unsigned int cpu)
{
	__atomic_fetch_or(&m->bits[cpu / 64], 1ULL << (cpu % 64), __ATOMIC_ACQ_REL);
}

static inline void cpumask_clear_atomic(struct cpumask *m, unsigned int cpu)
{
	__atomic_fetch_and(&m->bits[cpu / 64], ~(1ULL << (cpu % 64)), __ATOMIC_ACQ_REL);
}

static inline bool cpumask_test_atomic(const struct cpumask *m, unsigned int cpu)
{
	return (__atomic_load_n(&m->bits[cpu / 64], __ATOMIC_ACQUIRE) >> (cpu % 64)) & 1;
}

static inline unsigned int cpumask_weight(const struct cpumask *m)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < CPUMASK_LONGS; i++)
		n += (unsigned int)__builtin_popcountll(m->bits[i]);
	return n;
}

static inline bool cpumask_empty(const struct cpumask *m)
{
	for (unsigned int i = 0; i < CPUMASK_LONGS; i++)
		if (m->bits[i])
			return false;
	return true;
}

/* The first cpu at or after @from in @m (wrapping), or KEEL_MAX_CPUS. */
static inline unsigned int cpumask_next_wrap(const struct cpumask *m, unsigned int from)
{
	for (unsigned int k = 0; k < KEEL_MAX_CPUS; k++) {
		unsigned int cpu = (from + k) % KEEL_MAX_CPUS;

		if (cpumask_test(m, cpu))
			return cpu;
	}
	return KEEL_MAX_CPUS;
}

/* @dst = @a & @b; true if anything is left. */
static inline bool cpumask_and(struct cpumask *dst, const struct cpumask *a,
			       const struct cpumask *b)
{
	uint64_t any = 0;

	for (unsigned int i = 0; i < CPUMASK_LONGS; i++)
		any |= dst->bits[i] = a->bits[i] & b->bits[i];
	return any != 0;
}

#define for_each_cpu(cpu, m)                                                                       \
	for (unsigned int cpu = 0; cpu < KEEL_MAX_CPUS; cpu++)                                     \
		if (cpumask_test((m), cpu))

#endif

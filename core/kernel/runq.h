/*
 * runq.h - a run queue's data structure: one FIFO per priority (0 is the
 * most urgent), and a count. Pure (no locks, no tasks): sched.c embeds a
 * runq_entry in each task and guards each queue with its own lock;
 * tests/unit/runq_test.c checks it on the host.
 */
#ifndef KEEL_RUNQ_H
#define KEEL_RUNQ_H

#include <stdbool.h>
#include <stddef.h>

#define RUNQ_PRIOS 8

struct runq_entry {
	struct runq_entry *next;
	unsigned int prio; /* < RUNQ_PRIOS */
};

struct runq {
	struct runq_entry *head[RUNQ_PRIOS], *tail[RUNQ_PRIOS];
	unsigned int nr;   /* entries queued */
	unsigned int busy; /* bit p: head[p] holds an entry, so a pick skips empty FIFOs */
};

/*
 * The lowest priority set in @busy (not 0): a de Bruijn multiply, as the
 * cores Keel targets may lack Zbb's ctz (GCC would call libgcc for it).
 */
static inline unsigned int runq_lowest(unsigned int busy)
{
	static const unsigned char pos[32] = {
		0,  1,	28, 2,	29, 14, 24, 3, 30, 22, 20, 15, 25, 17, 4,  8,
		31, 27, 13, 23, 21, 19, 16, 7, 26, 12, 18, 6,  11, 5,  10, 9,
	};

	return pos[((busy & -busy) * 0x077CB531u) >> 27];
}

/* Append @e behind every entry of its priority. */
static inline void runq_push(struct runq *q, struct runq_entry *e)
{
	unsigned int p = e->prio;

	e->next = NULL;
	if (q->tail[p])
		q->tail[p]->next = e;
	else
		q->head[p] = e;
	q->tail[p] = e;
	q->busy |= 1u << p;
	q->nr++;
}

/* Put @e ahead of every entry of its priority (a task that handed its cpu over). */
static inline void runq_push_front(struct runq *q, struct runq_entry *e)
{
	unsigned int p = e->prio;

	e->next = q->head[p];
	if (!q->head[p])
		q->tail[p] = e;
	q->head[p] = e;
	q->busy |= 1u << p;
	q->nr++;
}

/* Unlink @e of priority @p, which *@pp points to, after @prev (NULL: @e is the head). */
static inline void runq_unlink(struct runq *q, unsigned int p, struct runq_entry **pp,
			       struct runq_entry *prev, struct runq_entry *e)
{
	*pp = e->next;
	if (q->tail[p] == e)
		q->tail[p] = prev;
	if (!q->head[p])
		q->busy &= ~(1u << p);
	q->nr--;
}

/* Unlink @e, which must be queued in @q; false if it is not there. */
static inline bool runq_remove(struct runq *q, struct runq_entry *e)
{
	unsigned int p = e->prio;
	struct runq_entry **pp = &q->head[p], *prev = NULL;

	while (*pp && *pp != e) {
		prev = *pp;
		pp = &(*pp)->next;
	}
	if (!*pp)
		return false;
	runq_unlink(q, p, pp, prev, e);
	return true;
}

/*
 * The first entry, most urgent priority first and in FIFO order within
 * one, that @ok accepts (NULL @ok: any); NULL if none.
 */
static inline struct runq_entry *
runq_first(const struct runq *q, bool (*ok)(const struct runq_entry *e, void *arg), void *arg)
{
	for (unsigned int b = q->busy; b; b &= b - 1)
		for (struct runq_entry *e = q->head[runq_lowest(b)]; e; e = e->next)
			if (!ok || ok(e, arg))
				return e;
	return NULL;
}

/* runq_first(), unlinked in the same walk (the scheduler's pick). */
static inline struct runq_entry *
runq_take_first(struct runq *q, bool (*ok)(const struct runq_entry *e, void *arg), void *arg)
{
	for (unsigned int b = q->busy; b; b &= b - 1) {
		unsigned int p = runq_lowest(b);
		struct runq_entry *prev = NULL;

		for (struct runq_entry **pp = &q->head[p], *e; (e = *pp); prev = e, pp = &e->next) {
			if (ok && !ok(e, arg))
				continue;
			runq_unlink(q, p, pp, prev, e);
			return e;
		}
	}
	return NULL;
}

#endif

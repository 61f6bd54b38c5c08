/*
 * runq_test.c - core/kernel/runq.h on the host: priority order, FIFO within a
 * priority, a push to the front, removal anywhere, the filter, the count. TAP output.
 */
#include <stdio.h>
#include <stdlib.h>

#include "../../core/kernel/runq.h"

static int tap_n, tap_failed;

static void check(int ok, const char *name)
{
	printf("%s %d - %s\n", ok ? "ok" : "not ok", ++tap_n, name);
	if (!ok)
		tap_failed = 1;
}

static struct runq_entry e[32];

static struct runq_entry *pop(struct runq *q)
{
	struct runq_entry *x = runq_first(q, NULL, NULL);

	if (x)
		runq_remove(q, x);
	return x;
}

static bool odd_only(const struct runq_entry *x, void *arg)
{
	(void)arg;
	return (x - e) % 2 == 1;
}

int main(void)
{
	struct runq q = { 0 };
	int ok;

	check(runq_first(&q, NULL, NULL) == NULL && q.nr == 0, "an empty queue has nothing");

	/* e[0..7] with priorities 7..0: the most urgent (0) comes out first. */
	for (int i = 0; i < 8; i++) {
		e[i].prio = (unsigned int)(7 - i);
		runq_push(&q, &e[i]);
	}
	check(q.nr == 8, "the count follows pushes");
	ok = 1;
	for (int i = 7; i >= 0; i--)
		ok &= pop(&q) == &e[i];
	check(ok && q.nr == 0, "most urgent priority first");

	/* Same priority: first in, first out; a re-queued entry goes to the back. */
	for (int i = 0; i < 5; i++) {
		e[i].prio = 3;
		runq_push(&q, &e[i]);
	}
	runq_push(&q, pop(&q));
	ok = 1;
	for (int i = 1; i < 5; i++)
		ok &= pop(&q) == &e[i];
	ok &= pop(&q) == &e[0];
	check(ok, "FIFO within a priority; a yielding entry goes to the back");

	/* Remove the head, a middle one and the tail; then push again. */
	for (int i = 0; i < 5; i++)
		runq_push(&q, &e[i]);
	ok = runq_remove(&q, &e[0]) && runq_remove(&q, &e[2]) && runq_remove(&q, &e[4]);
	ok &= !runq_remove(&q, &e[2]);
	e[5].prio = 3;
	runq_push(&q, &e[5]);
	ok &= q.nr == 3;
	ok &= pop(&q) == &e[1] && pop(&q) == &e[3] && pop(&q) == &e[5] && !pop(&q);
	check(ok, "removal at head, middle and tail keeps the order and the tail");

	/* The filter skips entries (affinity), across priorities. */
	for (int i = 0; i < 6; i++) {
		e[i].prio = (unsigned int)(i / 2);
		runq_push(&q, &e[i]);
	}
	ok = runq_first(&q, odd_only, NULL) == &e[1];
	runq_remove(&q, &e[1]);
	ok &= runq_first(&q, odd_only, NULL) == &e[3];
	runq_remove(&q, &e[3]);
	runq_remove(&q, &e[5]);
	ok &= runq_first(&q, odd_only, NULL) == NULL && runq_first(&q, NULL, NULL) == &e[0];
	check(ok, "the filter picks the first acceptable entry, most urgent first");
	while (pop(&q))
		;

	/* runq_take_first: runq_first's entry, unlinked, the tail kept. */
	for (int i = 0; i < 6; i++) {
		e[i].prio = (unsigned int)(i / 2);
		runq_push(&q, &e[i]);
	}
	ok = runq_take_first(&q, odd_only, NULL) == &e[1] && q.nr == 5;
	ok &= runq_take_first(&q, odd_only, NULL) == &e[3];
	ok &= runq_take_first(&q, odd_only, NULL) == &e[5] && q.tail[2] == &e[4];
	ok &= runq_take_first(&q, odd_only, NULL) == NULL;
	runq_push(&q, &e[5]);
	ok &= q.head[2] == &e[4] && e[4].next == &e[5];
	for (int i = 0; i < 6; i += 2)
		ok &= runq_take_first(&q, NULL, NULL) == &e[i];
	ok &= runq_take_first(&q, NULL, NULL) == &e[5] && q.nr == 0 && !q.head[2] && !q.tail[2];
	check(ok, "take_first unlinks what runq_first finds and keeps each tail");

	/* push_front: ahead of its priority's entries (a signaller's hand-off); tail kept. */
	for (int i = 0; i < 3; i++) {
		e[i].prio = 3;
		runq_push(&q, &e[i]);
	}
	e[3].prio = 3;
	runq_push_front(&q, &e[3]);
	e[4].prio = 5;
	runq_push_front(&q, &e[4]); /* into an empty priority: head and tail */
	ok = q.nr == 5 && q.tail[3] == &e[2] && q.head[5] == &e[4] && q.tail[5] == &e[4];
	ok &= pop(&q) == &e[3] && pop(&q) == &e[0] && pop(&q) == &e[1] && pop(&q) == &e[2];
	ok &= pop(&q) == &e[4] && q.nr == 0 && !q.busy;
	check(ok, "push_front goes ahead of its priority and keeps the tail");

	/* A long mixed run against a simple model. */
	{
		int model[32], n = 0;
		unsigned int seed = 12345;

		ok = 1;
		for (int step = 0; step < 100000 && ok; step++) {
			seed = seed * 1103515245u + 12345u;
			if ((seed >> 16) % 3 && n < 32) {
				int i = 0;

				while (i < 32) { /* a free entry */
					int used = 0;

					for (int k = 0; k < n; k++)
						used |= model[k] == i;
					if (!used)
						break;
					i++;
				}
				e[i].prio = (seed >> 20) % RUNQ_PRIOS;
				runq_push(&q, &e[i]);
				model[n++] = i;
			} else if (n) {
				/* The model's answer: lowest prio, earliest pushed. */
				int best = 0;
				struct runq_entry *got = pop(&q);

				for (int k = 1; k < n; k++)
					if (e[model[k]].prio < e[model[best]].prio)
						best = k;
				ok &= got == &e[model[best]];
				for (int k = best; k < n - 1; k++)
					model[k] = model[k + 1];
				n--;
			}
			ok &= q.nr == (unsigned int)n;
		}
		check(ok, "100000 random pushes and pops agree with a model");
	}
	printf("1..%d\n", tap_n);
	return tap_failed;
}

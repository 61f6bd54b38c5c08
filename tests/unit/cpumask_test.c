/*
 * cpumask_test.c - core/lib/cpumask.h on the host: fill, set and clear
 * across word boundaries, weight, and, the wrapping search, the walk.
 * TAP output.
 */
#include <stdio.h>

#include "../../core/lib/cpumask.h"

static int tap_n, tap_failed;

static void check(int ok, const char *name)
{
	printf("%s %d - %s\n", ok ? "ok" : "not ok", ++tap_n, name);
	if (!ok)
		tap_failed = 1;
}

int main(void)
{
	struct cpumask a, b, c;
	unsigned int n, last;
	int ok = 1;

	for (unsigned int k = 0; k <= KEEL_MAX_CPUS; k++) {
		cpumask_fill(&a, k);
		ok &= cpumask_weight(&a) == k;
		ok &= (k == 0 || cpumask_test(&a, k - 1)) && !cpumask_test(&a, k);
	}
	check(ok, "fill(n) holds exactly cpus 0..n-1, for every n up to KEEL_MAX_CPUS");

	cpumask_clear_all(&a);
	cpumask_set(&a, 63);
	cpumask_set(&a, 64);
	cpumask_set(&a, KEEL_MAX_CPUS - 1);
	ok = cpumask_weight(&a) == 3 && cpumask_test(&a, 63) && cpumask_test(&a, 64) &&
	     !cpumask_test(&a, 65) && !cpumask_test(&a, KEEL_MAX_CPUS);
	cpumask_clear(&a, 64);
	ok &= !cpumask_test(&a, 64) && cpumask_test(&a, 63);
	check(ok, "set/clear/test across a word boundary; out of range tests false");

	ok = cpumask_next_wrap(&a, 0) == 63 && cpumask_next_wrap(&a, 64) == KEEL_MAX_CPUS - 1 &&
	     cpumask_next_wrap(&a, KEEL_MAX_CPUS - 1) == KEEL_MAX_CPUS - 1;
	cpumask_clear_all(&b);
	ok &= cpumask_next_wrap(&b, 5) == KEEL_MAX_CPUS && cpumask_empty(&b);
	cpumask_set(&b, 3);
	ok &= cpumask_next_wrap(&b, 200) == 3;
	check(ok, "next_wrap finds the next set cpu, wraps, and says none");

	cpumask_fill(&a, 100);
	cpumask_clear_all(&b);
	for (unsigned int i = 50; i < 150; i++)
		cpumask_set(&b, i);
	ok = cpumask_and(&c, &a, &b) && cpumask_weight(&c) == 50 && cpumask_test(&c, 50) &&
	     cpumask_test(&c, 99) && !cpumask_test(&c, 100);
	cpumask_clear_all(&b);
	ok &= !cpumask_and(&c, &a, &b) && cpumask_empty(&c);
	check(ok, "and() intersects and says whether anything is left");

	cpumask_clear_all(&a);
	for (unsigned int i = 0; i < KEEL_MAX_CPUS; i += 7)
		cpumask_set_atomic(&a, i);
	n = 0;
	last = 0;
	ok = 1;
	for_each_cpu(cpu, &a)
	{
		ok &= cpu % 7 == 0 && (n == 0 || cpu > last);
		last = cpu;
		n++;
	}
	cpumask_clear_atomic(&a, 0);
	ok &= n == (KEEL_MAX_CPUS + 6) / 7 && !cpumask_test_atomic(&a, 0) &&
	      cpumask_test_atomic(&a, 7);
	check(ok, "for_each_cpu walks the set in order; the atomic forms agree");

	printf("1..%d\n", tap_n);
	return tap_failed;
}

/*
 * flood.c - a task makes the core refuse it thousands of times.
 *
 * `flood [n]`: spawn_mem of a memory object that holds no ELF, n times
 * (default 3000); each refusal is a line the core could log ("exec: ...
 * not a Keel executable"). Then, after the rate limit's interval, once
 * more, so the core says how many it suppressed. The test
 * (tests/boot/test_flood.py) reads the log afterwards: the boot lines are
 * still in the ring.
 */
#include <stdio.h>
#include <stdlib.h>

#include "keel.h"

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 3000, refused = 0;
	long mem = keel_mem_create(4096);
	char *args[] = { "junk", NULL };

	if (mem < 0)
		return printf("flood: mem_create: %ld\n", mem), 1;
	for (int i = 0; i < n; i++)
		refused += keel_spawn_mem(mem, args, NULL, NULL, 0) == -KEEL_EINVAL;
	keel_sleep_us(1100000);
	refused += keel_spawn_mem(mem, args, NULL, NULL, 0) == -KEEL_EINVAL;
	printf("flood: %d of %d refused\n", refused, n + 1);
	return refused != n + 1;
}

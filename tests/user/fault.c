/*
 * fault.c - a user program that faults on purpose (test of "a faulting
 * user task dies alone with a report"). argv[1] picks the fault.
 */
#include <string.h>

#include "keel.h"

/* Not const: the compiler must not see through the bad addresses. */
static volatile uintptr_t bad_low = 16, bad_kernel = 0xffffffff80000000UL;

int main(int argc, char **argv)
{
	const char *how = argc > 1 ? argv[1] : "null";

	if (!strcmp(how, "kernel"))	/* a user pointer into the kernel half */
		return *(volatile int *)bad_kernel;
	if (!strcmp(how, "exec"))	/* jump into data */
		((void (*)(void))(uintptr_t)"\x00\x00")();
	return *(volatile int *)bad_low;	/* NULL + 16 */
}

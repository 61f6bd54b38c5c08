/*
 * fault.c - a user program that faults on purpose (test of "a faulting
 * user task dies alone with a report"). argv[1] picks the fault.
 */
#include <string.h>

#include "keel.h"

/* Not const: the compiler must not see through the bad addresses. */
static volatile uintptr_t bad_low = 16, bad_kernel = 0xffffffff80000000UL;
static char data_page[64] = { 0x13 }; /* a nop, were it executable */

int main(int argc, char **argv)
{
	const char *how = argc > 1 ? argv[1] : "null";

	if (!strcmp(how, "kernel")) /* a user pointer into the kernel half */
		return *(volatile int *)bad_kernel;
	if (!strcmp(how, "exec")) /* jump into writable, not executable, data */
		((void (*)(void))(uintptr_t)data_page)();
	return *(volatile int *)bad_low; /* NULL + 16 */
}

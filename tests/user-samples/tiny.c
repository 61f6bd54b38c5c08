/* tiny.c - no libc at all: a _start that loops on an ecall. */
static const char msg[] = "tiny\n"; /* .rodata */
long tiny_data = 7;		    /* .data */
long tiny_bss[600];		    /* .bss */

void _start(void);

void _start(void)
{
	register long a0 __asm__("a0") = (long)msg + tiny_data + tiny_bss[3];
	register long a7 __asm__("a7") = 93;

	for (;;)
		__asm__ volatile("ecall" : "+r"(a0) : "r"(a7) : "memory");
}

/* float.c - needs the FPU: built for lp64d it must be refused. */
volatile double x = 1.5;

void _start(void);

void _start(void)
{
	register long a0 __asm__("a0");
	register long a7 __asm__("a7") = 93;

	a0 = (long)(x * 3.0);
	for (;;)
		__asm__ volatile("ecall" : "+r"(a0) : "r"(a7) : "memory");
}

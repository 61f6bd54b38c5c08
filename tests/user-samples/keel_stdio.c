/*
 * keel_stdio.c - what a picolibc program must supply on Keel: stdout
 * (picolibc's tinystdio leaves it to the program) and _exit().
 *
 * The ecall numbers are placeholders until docs/syscalls.md fixes them;
 * these programs are only parsed by the host tests, never run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define SYS_WRITE_CHAR 64 /* placeholder */
#define SYS_EXIT       93 /* placeholder */

static long keel_syscall1(long nr, long arg)
{
	register long a0 __asm__("a0") = arg;
	register long a7 __asm__("a7") = nr;

	__asm__ volatile("ecall" : "+r"(a0) : "r"(a7) : "memory");
	return a0;
}

static int keel_putc(char c, FILE *f)
{
	(void)f;
	keel_syscall1(SYS_WRITE_CHAR, (unsigned char)c);
	return (unsigned char)c;
}

static FILE keel_stdout = FDEV_SETUP_STREAM(keel_putc, NULL, NULL, _FDEV_SETUP_WRITE);
FILE *const stdout = &keel_stdout;

void _exit(int status)
{
	for (;;)
		keel_syscall1(SYS_EXIT, status);
}

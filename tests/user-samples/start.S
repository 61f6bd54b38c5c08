/*
 * start.S - the smallest _start for a test program linked with GNU ld's
 * default script (no picolibc crt0, whose picolibc.ld is for bare metal:
 * it copies .data from a flash address no PT_LOAD maps).
 *
 * Enough for the ELF checks: gp, then main(argc, argv) from the stack as
 * the RISC-V psABI's process start describes it, then exit(). A real
 * Keel crt0 also sets tp to a TLS block (picolibc keeps errno in TLS).
 */
	.section .text.start, "ax"
	.globl	_start
_start:
	.option push
	.option norelax		/* gp is not set yet: no gp-relative la */
	la	gp, __global_pointer$
	.option pop
	ld	a0, 0(sp)	/* argc */
	addi	a1, sp, 8	/* argv */
	call	main
	call	exit
1:	j	1b

/*
 * crt0.S - a user program's first instructions. The core left argc at
 * sp, then argv[], NULL, envp[], NULL, auxv (RISC-V psABI); bss is
 * already zero (fresh pages). Call keel_start(argc, argv, envp).
 */
	.section .text.start, "ax"
	.globl	_start
_start:
	.option push
	.option norelax
	lla	gp, __global_pointer$
	.option pop
	ld	a0, 0(sp)		/* argc */
	addi	a1, sp, 8		/* argv */
	addi	a2, a0, 1
	slli	a2, a2, 3
	add	a2, a2, a1		/* envp = argv + argc + 1 */
	call	keel_start
1:	j	1b			/* keel_start exits */

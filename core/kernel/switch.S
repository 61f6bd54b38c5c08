/*
 * switch.S - sched_switch(from, to): save the callee-saved registers, ra
 * and sp of the running task in @from and resume @to where it left off.
 * Everything else is caller-saved and already on the stack (RISC-V psABI).
 * tp stays: it belongs to the hart, not the task.
 */
#define CTX_RA	0
#define CTX_SP	8
#define CTX_S(n)	(16 + 8 * (n))

	.section .text
	.globl	sched_switch
sched_switch:
	sd	ra, CTX_RA(a0)
	sd	sp, CTX_SP(a0)
	sd	s0, CTX_S(0)(a0)
	sd	s1, CTX_S(1)(a0)
	sd	s2, CTX_S(2)(a0)
	sd	s3, CTX_S(3)(a0)
	sd	s4, CTX_S(4)(a0)
	sd	s5, CTX_S(5)(a0)
	sd	s6, CTX_S(6)(a0)
	sd	s7, CTX_S(7)(a0)
	sd	s8, CTX_S(8)(a0)
	sd	s9, CTX_S(9)(a0)
	sd	s10, CTX_S(10)(a0)
	sd	s11, CTX_S(11)(a0)

	ld	ra, CTX_RA(a1)
	ld	sp, CTX_SP(a1)
	ld	s0, CTX_S(0)(a1)
	ld	s1, CTX_S(1)(a1)
	ld	s2, CTX_S(2)(a1)
	ld	s3, CTX_S(3)(a1)
	ld	s4, CTX_S(4)(a1)
	ld	s5, CTX_S(5)(a1)
	ld	s6, CTX_S(6)(a1)
	ld	s7, CTX_S(7)(a1)
	ld	s8, CTX_S(8)(a1)
	ld	s9, CTX_S(9)(a1)
	ld	s10, CTX_S(10)(a1)
	ld	s11, CTX_S(11)(a1)
	ret

/*
 * A new task's first return lands here (task.c points ctx.ra at it, with
 * s0 = the task): finish the switch, then run the task's function.
 */
	.globl	task_trampoline
task_trampoline:
	call	sched_finish_switch
	mv	a0, s0
	call	task_main
	/* task_main exits; never here */
1:	wfi
	j	1b

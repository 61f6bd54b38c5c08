/*
 * floor_smp.S - the SMP firmware floor for 'ninja bench': the least an
 * SBI payload can do to bring every hart up. The boot hart starts every
 * other hart through SBI HSM at once, waits until all have checked in,
 * prints "floor: all <N> harts up" through the legacy console and powers
 * off through SRST. So QEMU launch -> that line is what OpenSBI and QEMU
 * cost for an all-harts-up boot, before any kernel work.
 *
 * Entered like Keel: a0 = hartid, a1 = FDT, MMU off. Position-independent.
 *
 * No device tree: the boot hart asks HSM hart_get_status for hart ids 0,
 * 1, 2, ...; SBI_ERR_INVALID_PARAM means no such hart. Probing stops after
 * a run of PROBE_RUN (64) invalid ids in a row, not at a fixed id, so a
 * machine with gaps in its hart ids (sifive_u, or a hart OpenSBI cannot
 * use) is still covered; on virt it costs 64 extra ecalls.
 *
 * A started hart runs secondary below with a1 = opaque = the physical
 * address of ctl. It touches no stack, only ctl (one amoadd), and parks.
 */
#include "../../boot/image.h"
#define SBI_EXT_LEGACY_CONSOLE_PUTCHAR	0x01
#define SBI_EXT_IPI			0x735049
#define SBI_EXT_IPI_SEND_IPI		0
#define SBI_EXT_HSM			0x48534d
#define SBI_EXT_HSM_HART_START		0
#define SBI_EXT_HSM_HART_GET_STATUS	2
#define SBI_HSM_STATE_STOPPED		1
#define SBI_ERR_INVALID_PARAM		(-3)
#define SBI_EXT_SRST			0x53525354
#define SBI_EXT_SRST_RESET		0
#define SIE_SSIE			(1 << 1)
#define SIP_SSIP			(1 << 1)
#define PROBE_RUN			64

/* ctl, in its own page: TCG flushes translated code on a store into a page
 * that holds code, and every hart stores into ctl. */
#define CTL_COUNT	0			/* word: check-ins, see below */
#define CTL_BOOTHART	8			/* dword: the boot hart's id */

	/* Clobbers a0, a6, a7 and t0; prints the NUL-terminated string at sym. */
	.macro	putstr sym
	lla	t0, \sym
	.Lputs\@:
	lbu	a0, 0(t0)
	beqz	a0, .Lputs_end\@
	li	a7, SBI_EXT_LEGACY_CONSOLE_PUTCHAR
	ecall				/* SBI calls keep every register but a0, a1 */
	addi	t0, t0, 1
	j	.Lputs\@
	.Lputs_end\@:
	.endm

	.section .text
	.globl	_start
_start:
	IMAGE_HEADER 1f, _start, _end
1:	mv	s1, a0				/* s1 = boot hart id */
	lla	s3, ctl				/* s3 = &ctl, physical (MMU off) */
	sw	zero, CTL_COUNT(s3)
	sd	s1, CTL_BOOTHART(s3)
	fence	rw, rw
	lla	s4, secondary			/* s4 = start address, physical */
	li	s2, 0				/* s2 = harts started */
	li	s5, 0				/* s5 = hart id probed */
	li	s6, 0				/* s6 = invalid ids in a row */

probe:	beq	s5, s1, exists
	li	a7, SBI_EXT_HSM
	li	a6, SBI_EXT_HSM_HART_GET_STATUS
	mv	a0, s5
	ecall
	li	t0, SBI_ERR_INVALID_PARAM
	beq	a0, t0, invalid
	bnez	a0, exists			/* another error: a hart, not ours */
	li	t0, SBI_HSM_STATE_STOPPED
	bne	a1, t0, exists
	li	a7, SBI_EXT_HSM
	li	a6, SBI_EXT_HSM_HART_START
	mv	a0, s5
	mv	a1, s4
	mv	a2, s3
	ecall					/* no wait: the next hart at once */
	bnez	a0, exists
	addi	s2, s2, 1
exists:	li	s6, 0
	j	next
invalid:
	addi	s6, s6, 1
	li	t0, PROBE_RUN
	beq	s6, t0, wait
next:	addi	s5, s5, 1
	j	probe

	/*
	 * Wait: ctl.count goes up by one per check-in and down by s2 here;
	 * whoever brings it to zero was last. A secondary that does so sends
	 * the boot hart an IPI; the boot hart sleeps in wfi with only SSIE
	 * enabled (sstatus.SIE stays 0: the interrupt wakes wfi, no trap).
	 *
	 * Faster than spinning on ctl.count, measured (min of 5, s, QEMU 7.2,
	 * 2 host cores, busy host): thread=single 8 harts 0.066 vs 0.127, 32:
	 * 0.160 vs 0.239, 64: 0.390 vs 0.458, 128: 1.18 vs 1.21 (a spinning
	 * hart holds the one TCG thread until its 0.1 s kick); default TCG 8:
	 * 0.098 vs 0.159, 32: 0.93 vs 1.11, 64: 2.9 vs 3.7, 128: within the
	 * noise (9 to 28 s either way).
	 */
wait:	li	t0, SIE_SSIE
	csrw	sie, t0
	neg	t0, s2
	amoadd.w.aqrl t1, t0, CTL_COUNT(s3)
	beq	t1, s2, up			/* all were in already */
2:	wfi
	csrc	sip, SIP_SSIP
	lw	t0, CTL_COUNT(s3)
	bnez	t0, 2b
	fence	r, rw

up:	putstr	msg_head
	addi	s7, s2, 1			/* s7 = harts up, the boot hart too */
	li	s8, 1				/* s8 = the largest power of 10 <= s7 */
3:	li	t0, 10
	mul	t1, s8, t0
	bgtu	t1, s7, 4f
	mv	s8, t1
	j	3b
4:	divu	a0, s7, s8
	remu	s7, s7, s8
	addi	a0, a0, '0'
	li	a7, SBI_EXT_LEGACY_CONSOLE_PUTCHAR
	ecall
	li	t0, 10
	divu	s8, s8, t0
	bnez	s8, 4b
	putstr	msg_tail

	li	a7, SBI_EXT_SRST
	li	a6, SBI_EXT_SRST_RESET
	li	a0, 0				/* shutdown */
	li	a1, 0				/* no reason */
	ecall
5:	wfi
	j	5b

	/* A started hart: a0 = its hart id, a1 = &ctl. Registers only. */
secondary:
	csrw	sie, zero			/* nothing may wake the wfi below */
	li	t0, 1
	amoadd.w.aqrl t1, t0, CTL_COUNT(a1)
	li	t0, -1
	bne	t1, t0, park			/* not the last one in */
	ld	a1, CTL_BOOTHART(a1)		/* hart_mask_base = the boot hart */
	li	a0, 1				/* hart_mask: just that hart */
	li	a7, SBI_EXT_IPI
	li	a6, SBI_EXT_IPI_SEND_IPI
	ecall
park:	wfi
	j	park

msg_head:
	.asciz	"floor: all "
msg_tail:
	.asciz	" harts up\n"

	.balign	4096
ctl:	.dword	0				/* CTL_COUNT (a word) */
	.dword	0				/* CTL_BOOTHART */
	.balign	8
_end:

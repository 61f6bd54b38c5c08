/*
 * floor_bare.S - QEMU alone, for the ready table of 'ninja bench': booted
 * with -bios none, so no firmware runs. QEMU virt's reset vector jumps
 * every hart here in M-mode with the MMU off; hart 0 prints one line
 * straight to the NS16550 at 0x10000000 and writes FINISHER_PASS to the
 * sifive_test device at 0x100000, which ends QEMU. The others sleep.
 *
 * So QEMU launch -> its line is what the emulator costs (process start,
 * machine, devices) before the first guest instruction: the part of
 * 'init: ready' no firmware and no kernel can take back. virt only: the
 * addresses are QEMU virt's, which the ready table boots.
 *
 * Position-independent; loaded at the start of RAM.
 */
#define UART_BASE	0x10000000
#define UART_THR	0
#define UART_LSR	5
#define LSR_THRE	0x20
#define TEST_BASE	0x100000
#define FINISHER_PASS	0x5555

	.section .text
	.globl	_start
_start:
	csrr	t0, mhartid
	bnez	t0, park
	li	s0, UART_BASE
	lla	s1, msg
1:	lbu	a0, 0(s1)
	beqz	a0, 3f
2:	lbu	t0, UART_LSR(s0)
	andi	t0, t0, LSR_THRE
	beqz	t0, 2b
	sb	a0, UART_THR(s0)
	addi	s1, s1, 1
	j	1b
3:	li	t0, TEST_BASE
	li	t1, FINISHER_PASS
	sw	t1, 0(t0)
park:	wfi
	j	park

msg:	.asciz	"bare: QEMU reached the payload\n"
	.balign 8
_end:

/*
 * floor.S - the firmware floor for 'ninja bench': the least an SBI
 * payload can do. It prints one line through the legacy console and
 * powers off through SRST, so QEMU launch -> this line is what OpenSBI
 * and QEMU cost before any kernel work.
 *
 * Entered like Keel: a0 = hartid, a1 = FDT, MMU off. Position-independent.
 */
#include "../../boot/image.h"
#define SBI_EXT_LEGACY_CONSOLE_PUTCHAR	0x01
#define SBI_EXT_SRST			0x53525354
#define SBI_EXT_SRST_RESET		0

	.section .text
	.globl	_start
_start:
	IMAGE_HEADER 1f, _start, _end
1:	lla	s0, msg
2:	lbu	a0, 0(s0)
	beqz	a0, 3f
	li	a7, SBI_EXT_LEGACY_CONSOLE_PUTCHAR
	ecall
	addi	s0, s0, 1
	j	2b
3:	li	a7, SBI_EXT_SRST
	li	a6, SBI_EXT_SRST_RESET
	li	a0, 0				/* shutdown */
	li	a1, 0				/* no reason */
	ecall
4:	wfi
	j	4b

msg:	.asciz	"floor: payload reached\n"
	.balign 8
_end:

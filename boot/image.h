/*
 * image.h - the 64-byte RISC-V Linux Image header, as an assembler macro
 * (Linux Documentation/arch/riscv/boot-image-header.rst). QEMU -kernel,
 * OpenSBI fw_jump and U-Boot booti read it. The kernel (boot/entry.S)
 * and the benchmark's floor payloads (tests/bench/) start with it.
 *
 * IMAGE_HEADER entry, start, end: code0 jumps to @entry; image_size is
 * @end - @start (bss included).
 */
/* Assembler macros, which clang-format does not know: */
/* clang-format off */
#ifndef KEEL_IMAGE_H
#define KEEL_IMAGE_H

#define IMAGE_TEXT_OFFSET	0x200000	/* loaded 2 MiB into RAM */
#define IMAGE_VERSION		2		/* header version 0.2 */

.macro IMAGE_HEADER entry, start, end
	j	\entry				/* code0 */
	.word	0				/* code1 */
	.dword	IMAGE_TEXT_OFFSET		/* text_offset */
	.dword	\end - \start			/* image_size */
	.dword	0				/* flags: little endian */
	.word	IMAGE_VERSION			/* version */
	.word	0				/* res1 */
	.dword	0				/* res2 */
	.ascii	"RISCV\0\0\0"			/* magic (deprecated) */
	.ascii	"RSC\x05"			/* magic2 */
	.word	0				/* res3 */
.endm

#endif

/*
 * entry.S - the first instructions: the RISC-V Linux Image header, then
 * the boot hart's path from OpenSBI to core_main().
 *
 * Contract (DESIGN.md section 1): S-mode, MMU off, interrupts off,
 * a0 = boot hartid, a1 = FDT physical address; loaded at any 2 MiB-aligned
 * physical address. Until the MMU is on every address is PC-relative
 * (lla), so this runs wherever it lies.
 */
#include "arch/riscv.h"
#include "image.h"
#include "arch/cpu.h"
#include "kernel/smp.h"

#define KERNEL_VBASE	0xffffffff80000000
#define DIRECT_MAP_BASE	0xffffffc000000000
#define GiB_SHIFT	30
#define MiB2_SHIFT	21
#define DIRECT_MAP_GIB	64	/* keel.h DIRECT_MAP_SIZE */
#define KERNEL_MAP_2M	16	/* the early map covers a 32 MiB image */
/* Root-table slots (va bits 38..30) of KERNEL_VBASE and DIRECT_MAP_BASE. */
#define VPN2_KERNEL	510
#define VPN2_DIRECT_MAP	256

	.section .head.text, "ax"
	.globl	_start
/* The 64-byte Image header (boot/image.h). */
_start:
	IMAGE_HEADER _start_kernel, _start, _end

	.section .text.boot, "ax"
_start_kernel:
	/* No interrupts and no FPU until the core says so. */
	csrw	sie, zero
	csrw	sip, zero
	/*
	 * Only the first hart here is the boot hart. OpenSBI 1.1 can send a
	 * hart it was asked to start to the cold-boot address instead of
	 * ours (it marks the hart START_PENDING before it stores the address);
	 * such a stray hart must not clear bss under the running kernel: it
	 * waits in the pen like the harts parked on purpose.
	 */
	lla	t0, boot_claimed
	li	t1, 1
	amoswap.w.aqrl t1, t1, (t0)
	bnez	t1, .Lstray
	mv	s0, a0				/* boot hartid */
	mv	s1, a1				/* FDT physical address */
	lla	s2, _start			/* where we were loaded */

	/* Clear bss (it holds the early page tables and the boot stack). */
	lla	t0, __bss_start
	lla	t1, __bss_end
1:	bgeu	t0, t1, 2f
	sd	zero, 0(t0)
	addi	t0, t0, 8
	j	1b
2:
	/*
	 * The early page table: the kernel image at KERNEL_VBASE in 2 MiB
	 * pages, and the direct map (pa + DIRECT_MAP_BASE) in 1 GiB pages so
	 * the FDT can be read before vm.c builds the real map.
	 */
	lla	t0, early_pt_root
	lla	t1, early_pt_kernel
	srli	t2, t1, PAGE_SHIFT
	slli	t2, t2, PTE_PPN_SHIFT
	ori	t2, t2, PTE_V
	li	t3, VPN2_KERNEL * 8
	add	t3, t3, t0
	sd	t2, 0(t3)

	mv	t3, s2				/* pa of the next 2 MiB */
	li	t4, KERNEL_MAP_2M
	li	t5, 1 << MiB2_SHIFT
3:	srli	t2, t3, PAGE_SHIFT
	slli	t2, t2, PTE_PPN_SHIFT
	ori	t2, t2, PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D | PTE_G
	sd	t2, 0(t1)
	addi	t1, t1, 8
	add	t3, t3, t5
	addi	t4, t4, -1
	bnez	t4, 3b

	li	t3, VPN2_DIRECT_MAP * 8
	add	t3, t3, t0			/* &root[first direct-map slot] */
	li	t2, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D | PTE_G
	li	t4, DIRECT_MAP_GIB
	li	t5, 1 << (GiB_SHIFT - PAGE_SHIFT + PTE_PPN_SHIFT)
4:	sd	t2, 0(t3)
	addi	t3, t3, 8
	add	t2, t2, t5
	addi	t4, t4, -1
	bnez	t4, 4b

	/*
	 * Turn the MMU on. The next fetch, at a physical address, faults;
	 * stvec then takes us to the same code at its virtual address
	 * (the trick Linux's head.S uses: no identity map needed).
	 */
	li	t1, KERNEL_VBASE
	sub	s3, t1, s2			/* s3 = va - pa of the image */
	lla	t1, .Lvirtual
	add	t1, t1, s3
	csrw	stvec, t1
	srli	t0, t0, PAGE_SHIFT
	li	t1, SATP_MODE_SV39
	or	t0, t0, t1
	sfence.vma
	csrw	satp, t0
	.balign 4
.Lvirtual:
	/* Now at KERNEL_VBASE + offset; auipc-relative addresses are virtual. */
	lla	sp, __boot_stack_top
	lla	tp, smp_boot_cpu		/* cpu 0's until smp_cpus_init() */
	lla	t0, trap_entry			/* faults from here on are reported */
	csrw	stvec, t0
	lla	t0, kernel_load_pa
	sd	s2, 0(t0)
	mv	a0, s0
	mv	a1, s1
	call	core_main
	/* core_main does not return; if it does, park. */
5:	wfi
	j	5b

/*
 * A secondary hart, started by smp_init() through SBI HSM hart_start:
 * a0 = its hartid, a1 = the physical address of its struct cpu, MMU off.
 * It turns on the kernel map (smp_boot_satp, set before any hart_start),
 * takes the stack smp_init() gave it and runs secondary_main() (core/main.c).
 */
	.globl	secondary_entry
	.balign 4
secondary_entry:
	csrw	sie, zero
	csrw	sip, zero
	lla	t0, _start
	li	t1, KERNEL_VBASE
	sub	s3, t1, t0			/* s3 = va - pa of the image */
	li	t1, DIRECT_MAP_BASE
	add	tp, a1, t1			/* cpus[] lives in the direct map */
	lla	t1, .Lsecondary_virtual
	add	t1, t1, s3
	csrw	stvec, t1
	lla	t0, smp_boot_satp
	ld	t0, 0(t0)
	sfence.vma
	csrw	satp, t0
	.balign 4
.Lsecondary_virtual:
	sfence.vma
	lla	t0, trap_entry
	csrw	stvec, t0
	ld	sp, CPU_STACK_TOP(tp)
	mv	a0, tp
	call	secondary_main
6:	wfi
	j	6b

/*
 * The pen: smp_park() starts the harts Keel will use here through HSM as
 * soon as it knows them, because under QEMU's multi-threaded TCG a hart
 * OpenSBI 1.1 holds STOPPED polls and slows the boot hart up to 100x;
 * here it sleeps in wfi, MMU off. a0 = hartid, a1 = the physical address
 * of its struct cpu. smp_init() releases it by setting that cpu's pen
 * word and sending an IPI.
 */
/*
 * A stray hart (see _start_kernel): a1 may be the device tree rather
 * than its struct cpu, so it looks for the entry of cpus[] with its
 * hartid (smp_pen_cpus_pa, smp_pen_ncpus: set before any hart_start)
 * and waits in the pen with that. Not one of Keel's: wfi for good.
 */
.Lstray:
	lla	t0, smp_pen_cpus_pa
	ld	a1, 0(t0)
	lla	t0, smp_pen_ncpus
	lwu	t1, 0(t0)
1:	beqz	t1, 3f
	ld	t2, CPU_HARTID(a1)
	beq	t2, a0, secondary_pen
	addi	a1, a1, CPU_SIZE
	addi	t1, t1, -1
	j	1b
3:	wfi
	j	3b

	.globl	secondary_pen
	.balign 4
secondary_pen:
	csrw	sie, zero
	li	t0, SIE_SSIE			/* an IPI ends wfi; SIE stays off */
	csrw	sie, t0
1:	li	t0, SIE_SSIE
	csrc	sip, t0				/* forget an IPI we have seen */
	fence	r, r
	ld	t1, CPU_PEN(a1)
	bnez	t1, secondary_entry		/* a0 = hartid, a1 = &cpus[i] (pa) */
	wfi
	j	1b

	.section .data
	.balign 8
boot_claimed:
	.word	0
	.balign 8
	.globl	smp_boot_satp
smp_boot_satp:
	.dword	0
	.globl	kernel_load_pa
kernel_load_pa:
	.dword	0
	.globl	smp_pen_cpus_pa
smp_pen_cpus_pa:
	.dword	0
	.globl	smp_pen_ncpus
smp_pen_ncpus:
	.word	0

	.section .bss
	.balign	4096
	.globl	early_pt_root
early_pt_root:
	.space	4096
early_pt_kernel:
	.space	4096

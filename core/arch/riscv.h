/*
 * riscv.h - the RISC-V ISA as the core sees it: CSR access, CSR bits,
 * Sv39 page-table entries, cause codes.
 *
 * Names follow the RISC-V Privileged Architecture, version 20211203
 * ("the privileged spec" below). Nothing board-specific lives here.
 */
#ifndef KEEL_RISCV_H
#define KEEL_RISCV_H

#ifdef __ASSEMBLER__
#define _UL(x) x
#else
#define _UL(x) x##UL
#endif

#define __ASM_STR(x) #x
#define csr_read(csr)                                                                              \
	({                                                                                         \
		unsigned long __v;                                                                 \
		__asm__ __volatile__("csrr %0, " __ASM_STR(csr) : "=r"(__v) : : "memory");         \
		__v;                                                                               \
	})
#define csr_write(csr, val)                                                                        \
	({                                                                                         \
		unsigned long __v = (unsigned long)(val);                                          \
		__asm__ __volatile__("csrw " __ASM_STR(csr) ", %0" : : "rK"(__v) : "memory");      \
	})
#define csr_set(csr, val)                                                                          \
	({                                                                                         \
		unsigned long __v = (unsigned long)(val);                                          \
		__asm__ __volatile__("csrs " __ASM_STR(csr) ", %0" : : "rK"(__v) : "memory");      \
	})
#define csr_read_clear(csr, val)                                                                   \
	({                                                                                         \
		unsigned long __v = (unsigned long)(val);                                          \
		__asm__ __volatile__("csrrc %0, " __ASM_STR(csr) ", %0" : "+r"(__v) : : "memory"); \
		__v;                                                                               \
	})
#define csr_clear(csr, val)                                                                        \
	({                                                                                         \
		unsigned long __v = (unsigned long)(val);                                          \
		__asm__ __volatile__("csrc " __ASM_STR(csr) ", %0" : : "rK"(__v) : "memory");      \
	})

/* sstatus (privileged spec 4.1.1) */
#define SSTATUS_SIE  (_UL(1) << 1)
#define SSTATUS_SPIE (_UL(1) << 5)
#define SSTATUS_SPP  (_UL(1) << 8)
#define SSTATUS_FS   (_UL(3) << 13) /* FPU state; 0 = Off: FP instructions trap */
#define SSTATUS_SUM  (_UL(1) << 18)

/* sie / sip (4.1.3): supervisor software, timer, external interrupts */
#define IRQ_S_SOFT  1
#define IRQ_S_TIMER 5
#define IRQ_S_EXT   9
#define SIE_SSIE    (_UL(1) << IRQ_S_SOFT)
#define SIE_STIE    (_UL(1) << IRQ_S_TIMER)
#define SIE_SEIE    (_UL(1) << IRQ_S_EXT)

/* scause (4.1.9): the top bit says interrupt */
#define SCAUSE_INTERRUPT     (_UL(1) << 63)
#define EXC_INST_MISALIGNED  0
#define EXC_INST_ACCESS	     1
#define EXC_ILLEGAL_INST     2
#define EXC_BREAKPOINT	     3
#define EXC_LOAD_MISALIGNED  4
#define EXC_LOAD_ACCESS	     5
#define EXC_STORE_MISALIGNED 6
#define EXC_STORE_ACCESS     7
#define EXC_ECALL_U	     8
#define EXC_ECALL_S	     9
#define EXC_INST_PAGE_FAULT  12
#define EXC_LOAD_PAGE_FAULT  13
#define EXC_STORE_PAGE_FAULT 15

/* stimecmp (Sstc extension, CSR 0x14D): by number, for older assemblers */
#define stimecmp 0x14d

/* satp (4.1.11) and Sv39 (4.4) */
#define SATP_MODE_SV39 (_UL(8) << 60)
#define SATP_PPN_MASK  ((_UL(1) << 44) - 1)

#define PAGE_SHIFT   12
#define PAGE_SIZE    (_UL(1) << PAGE_SHIFT)
#define PT_ENTRIES   512 /* 4 KiB table of 8-byte PTEs */
#define SV39_LEVELS  3
#define SV39_VA_BITS 39

#define PTE_V	      (_UL(1) << 0)
#define PTE_R	      (_UL(1) << 1)
#define PTE_W	      (_UL(1) << 2)
#define PTE_X	      (_UL(1) << 3)
#define PTE_U	      (_UL(1) << 4)
#define PTE_G	      (_UL(1) << 5)
#define PTE_A	      (_UL(1) << 6)
#define PTE_D	      (_UL(1) << 7)
#define PTE_PPN_SHIFT 10

#ifndef __ASSEMBLER__
static inline unsigned long riscv_rdtime(void)
{
	unsigned long t;

	__asm__ __volatile__("rdtime %0" : "=r"(t));
	return t;
}

static inline void riscv_wfi(void)
{
	__asm__ __volatile__("wfi" : : : "memory");
}

static inline void riscv_sfence_vma(void)
{
	__asm__ __volatile__("sfence.vma" : : : "memory");
}
#endif

#endif

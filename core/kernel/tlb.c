/*
 * tlb.c - shooting down kernel mappings on every hart.
 *
 * Whoever removes or downgrades a kernel mapping (mm/vm.c's
 * vm_unmap) calls tlb_flush_kernel_range(): this hart flushes at once, the
 * others through SBI RFENCE when the firmware has it, else by a
 * cross-call (ipi.c). tlb_flush_kernel_all() drops everything on every
 * hart by a cross-call (kernel/task.c, before it reuses the addresses of
 * freed kernel stacks). User address spaces use ASIDs (mm/as.c).
 */
#include "tlb.h"
#include "ipi.h"
#include "smp.h"
#include "arch/cpu.h"
#include "arch/riscv.h"
#include "lib/err.h"
#include "lib/log.h"
#include "sbi/sbi.h"

struct tlb_range {
	uintptr_t va;
	uint64_t size;
};

static void tlb_flush_local(void *arg)
{
	const struct tlb_range *r = arg;

	for (uint64_t off = 0; off < r->size; off += PAGE_SIZE)
		__asm__ __volatile__("sfence.vma %0" : : "r"(r->va + off) : "memory");
}

static void tlb_rfence_chunk(unsigned long mask, unsigned long base, void *arg)
{
	const struct tlb_range *r = arg;
	long err = sbi_remote_sfence_vma(mask, base, r->va, r->size);

	if (err)
		pr_err("tlb: remote sfence.vma (harts 0x%lx << %lu): %s\n", mask, base,
		       sbi_strerror(err));
}

static void tlb_flush_all_local(void *unused)
{
	(void)unused;
	__asm__ __volatile__("sfence.vma" : : : "memory");
}

int tlb_flush_kernel_all(void)
{
	struct smp_call call;
	unsigned long flags;
	int err;

	/* The PTE stores must be seen by other harts' walkers first. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	/* Interrupts off: the cpu the call leaves out as "this one" is the one we flush. */
	flags = csr_read_clear(sstatus, SSTATUS_SIE) & SSTATUS_SIE;
	tlb_flush_all_local(NULL);
	err = smp_call_mask(&smp_online_mask, tlb_flush_all_local, NULL, &call);
	csr_set(sstatus, flags);
	if (!err)
		err = smp_call_wait(&call, SMP_CALL_TIMEOUT_MS);
	if (err)
		pr_err("tlb: kernel-wide flush did not complete: %s\n", kerr_str(err));
	return err;
}

void tlb_flush_kernel_range(uintptr_t va, uint64_t size)
{
	struct tlb_range r = { va, size };
	struct cpumask others = smp_online_mask;
	struct smp_call call;

	/* The PTE stores must be seen by other harts' walkers first. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	tlb_flush_local(&r);
	cpumask_clear(&others, this_cpu()->id);
	if (cpumask_empty(&others))
		return;
	if (sbi.rfence) {
		ipi_for_each_hart_chunk(&others, tlb_rfence_chunk, &r);
		return;
	}
	if (smp_call_mask(&others, tlb_flush_local, &r, &call) ||
	    smp_call_wait(&call, SMP_CALL_TIMEOUT_MS))
		pr_err("tlb: TLB shootdown by cross-call did not complete\n");
}

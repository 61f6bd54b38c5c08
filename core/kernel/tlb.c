/*
 * tlb.c - shooting down kernel mappings on every hart.
 *
 * Whoever removes or downgrades a kernel mapping (mm/vm.c's
 * vm_unmap) calls tlb_flush_kernel_range(); tlb_flush_kernel_all() drops
 * everything (kernel/task.c, before it reuses the addresses of freed
 * kernel stacks). Both flush this hart at once and the others by a
 * cross-call (ipi.c), whose caller sleeps in wfi until the last answer.
 * Not through SBI RFENCE: OpenSBI 1.1 spins in M-mode until every target
 * has flushed, and under QEMU's thread=single a spinning hart holds the
 * one host thread for its 100 ms slice, so each target cost 100 ms
 * (32 harts: 3 s; 128: 12.5 s). User address spaces use ASIDs (mm/as.c).
 */
#include "tlb.h"
#include "ipi.h"
#include "smp.h"
#include "arch/cpu.h"
#include "arch/riscv.h"
#include "lib/err.h"
#include "lib/log.h"

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

static void tlb_flush_all_local(void *unused)
{
	(void)unused;
	__asm__ __volatile__("sfence.vma" : : : "memory");
}

/* @fn(@arg) on every online hart, this one directly: 0, or -KEEL_ETIMEDOUT. */
static int tlb_call_all(void (*fn)(void *), void *arg)
{
	struct smp_call call;
	unsigned long flags;
	int err;

	/* The PTE stores must be seen by other harts' walkers first. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	/* Interrupts off: the hart the call runs @fn on directly stays this one. */
	flags = csr_read_clear(sstatus, SSTATUS_SIE) & SSTATUS_SIE;
	err = smp_call_mask(&smp_online_mask, fn, arg, &call);
	csr_set(sstatus, flags);
	return err ? err : smp_call_wait(&call, smp_call_timeout_ms());
}

int tlb_flush_kernel_all(void)
{
	int err = tlb_call_all(tlb_flush_all_local, NULL);

	if (err)
		pr_err("tlb: kernel-wide flush did not complete: %s\n", kerr_str(err));
	return err;
}

int tlb_flush_kernel_range(uintptr_t va, uint64_t size)
{
	struct tlb_range r = { va, size };
	int err = tlb_call_all(tlb_flush_local, &r);

	if (err)
		pr_err("tlb: shootdown of 0x%lx+0x%lx did not complete: %s\n", (unsigned long)va,
		       (unsigned long)size, kerr_str(err));
	return err;
}

/*
 * tlb.h - kernel-mapping TLB shootdown (tlb.c).
 */
#ifndef KEEL_TLB_H
#define KEEL_TLB_H

#include "keel.h"

/* After removing kernel mappings of [va, va + size): flush them on every online hart. */
void tlb_flush_kernel_range(uintptr_t va, uint64_t size);

/*
 * Every online hart drops every translation (sfence.vma x0, x0), by a
 * cross-call: at 128 emulated harts (one host thread) that took 17 ms
 * where an SBI remote fence took about 13 s. 0, or -KEEL_ETIMEDOUT
 * (logged): some hart may still hold old translations.
 */
int __must_check tlb_flush_kernel_all(void);

#endif

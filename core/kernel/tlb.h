/*
 * tlb.h - kernel-mapping TLB shootdown (tlb.c).
 */
#ifndef KEEL_TLB_H
#define KEEL_TLB_H

#include "keel.h"

/*
 * After removing kernel mappings of [va, va + size): every online hart
 * flushes them, by a cross-call (at 128 emulated harts on one host thread,
 * milliseconds where an SBI remote fence took 12.5 s). 0, or
 * -KEEL_ETIMEDOUT (logged): some hart may still hold old translations.
 */
int tlb_flush_kernel_range(uintptr_t va, uint64_t size);

/* Every online hart drops every translation (sfence.vma x0, x0); the same returns. */
int __must_check tlb_flush_kernel_all(void);

#endif

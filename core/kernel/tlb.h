/*
 * tlb.h - kernel-mapping TLB shootdown (tlb.c).
 */
#ifndef KEEL_TLB_H
#define KEEL_TLB_H

#include "keel.h"

/* After removing kernel mappings of [va, va + size): flush them on every online hart. */
void tlb_flush_kernel_range(uintptr_t va, uint64_t size);

#endif

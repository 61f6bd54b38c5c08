/*
 * pmem.h - the physical page allocator: 4 KiB pages of RAM that nothing
 * else owns (not the kernel image, the device tree, the initrd, nor any
 * reserved region). Pages come back zeroed. Any hart.
 */
#ifndef KEEL_PMEM_H
#define KEEL_PMEM_H

#include "keel.h"

#define PMEM_MAX_RANGES	64

/* Boot hart, once, after the DT is read. */
void pmem_init(void);

int __must_check pmem_alloc_page(uint64_t *pa);
/* @n physically contiguous pages (DMA buffers, stacks). */
int __must_check pmem_alloc_contig(unsigned long n, uint64_t *pa);
void pmem_free_page(uint64_t pa);
unsigned long pmem_free_pages(void);
unsigned long pmem_total_pages(void);

/* Is [pa, pa + size) entirely inside pages pmem manages? For self-tests. */
bool pmem_is_managed(uint64_t pa, uint64_t size);

#endif

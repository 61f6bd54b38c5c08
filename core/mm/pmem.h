/*
 * pmem.h - the physical page allocator: 4 KiB pages of RAM that nothing
 * else owns (not the kernel image, the device tree, the initrd, nor any
 * reserved region). A buddy allocator serves single pages and
 * contiguous runs alike from freed memory; each hart keeps a small cache
 * of single pages. Pages come back zeroed. Any hart.
 */
#ifndef KEEL_PMEM_H
#define KEEL_PMEM_H

#include "keel.h"

#define PMEM_MAX_RANGES 64
/* Block orders 0..PMEM_ORDERS-1: 4 KiB to 16 MiB, the largest mem_create (mem.c). */
#define PMEM_ORDERS 13

/* Boot hart, once, after the DT is read; @ncpus: the cpu ids that may ever come online. */
__init void pmem_init(unsigned int ncpus);

/*
 * Every page that leaves the allocator for a caller, and every one that
 * comes back, passes one place in pmem.c (pmem_account); charging a
 * task for its pages belongs there and in these functions' callers.
 */
int __must_check pmem_alloc_page(uint64_t *pa);
/* @n physically contiguous pages (DMA buffers, memory objects); free them page by page or whole. */
int __must_check pmem_alloc_contig(unsigned long n, uint64_t *pa);
/* The same, not zeroed: the caller clears each page before anyone else can read it. */
int __must_check pmem_alloc_contig_dirty(unsigned long n, uint64_t *pa);
void pmem_free_page(uint64_t pa);
void pmem_free_contig(uint64_t pa, unsigned long n);
/* Free pages, exactly: the buddy lists', the harts' caches' and those not yet listed. */
unsigned long pmem_free_pages(void);
unsigned long pmem_total_pages(void);

/*
 * A snapshot for meminfo: the free blocks of each order (memory not yet
 * listed counted as the blocks it will be listed as), and the pages in
 * the harts' caches.
 */
struct pmem_stats {
	unsigned long blocks[PMEM_ORDERS];
	unsigned long cached;
	unsigned long largest; /* pages in the largest free block */
};
void pmem_get_stats(struct pmem_stats *s);
/* Give every hart's cached pages back to the buddy lists (done by itself when a request fails). */
void pmem_drain(void);

/*
 * Once, after boot: @n pages the kernel image held until now (its
 * boot-only sections, keel/init.h) become free memory for good. The
 * caller has unmapped them; pmem_init() left them room in the page map.
 */
void pmem_give(uint64_t pa, unsigned long n);

/* Is [pa, pa + size) entirely inside pages pmem manages? For self-tests. */
bool pmem_is_managed(uint64_t pa, uint64_t size);

#endif

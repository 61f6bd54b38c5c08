/*
 * pmem.c - physical pages: a buddy allocator with per-hart page caches.
 *
 * pmem_init() takes the DT's memory, clips it to the direct map, and cuts
 * out every region something else owns (and the page map below); what is
 * left is a short sorted list of free ranges, handed to the buddy lists
 * as the largest aligned blocks that fit. A block of order o is 2^o pages
 * aligned to its size; freeing one merges it with its buddy (the block it
 * was split from) while that is free too, so memory freed in any order
 * becomes contiguous again. pmem_map has a byte per page between the
 * lowest and the highest managed page: PMEM_HEAD | order for the first
 * page of a free block, 0 for anything else. Free blocks are linked
 * through their first page (the direct map reaches it).
 *
 * Memory nobody has asked for yet is not on the lists: each range keeps
 * a cursor (pmem_fresh) below which its pages have been listed, and a
 * request the lists cannot serve lists the next block of a range first.
 * Boot writes into no free page: on QEMU each first write to a far-off
 * page makes the host fault in (and clear) a huge page, which cost
 * 30-60 ms of boot when all 248 MiB were listed up front.
 *
 * Single pages go through a cache per hart (pmem_pcp): a hart takes and
 * returns pages there without touching the global lock, refilling and
 * spilling PMEM_PCP_BATCH pages at a time. When the buddy lists cannot
 * serve a request, every hart's cache is drained into them and the
 * request is tried once more. Cached pages count as free.
 *
 * Locking: pmem_lock guards the buddy lists, pmem_map and the block
 * counts; each cache has its own lock (its hart takes it, and a drain).
 * Lock order: a cache's lock, then pmem_lock. pmem_nfree is atomic.
 */
#include "pmem.h"
#include "arch/cpu.h"
#include "lib/log.h"
#include "platform/machine.h"
#include "lib/panic.h"
#include "arch/riscv.h"
#include "lib/spinlock.h"
#include "lib/string.h"

#define PMEM_HEAD      0x80 /* pmem_map: the first page of a free block; low bits its order */
#define PMEM_PCP_BATCH 16   /* pages a cache takes or gives back at once */
#define PMEM_PCP_HIGH  (4 * PMEM_PCP_BATCH) /* a cache spills above this */

struct pmem_range {
	uint64_t start, end; /* page-aligned, end exclusive */
};

/* A free block's (or cached page's) first bytes. */
struct pmem_block {
	struct pmem_block *next, *prev;
};

struct pmem_pcp {
	struct spinlock lock;
	struct pmem_block *head; /* guarded by lock; singly linked */
	unsigned long count;	 /* guarded by lock; read racily by stats */
};

/* Set by pmem_init(); pmem_give() appends one (under pmem_lock, count stored last). */
static struct pmem_range pmem_ranges[PMEM_MAX_RANGES];
static uint64_t pmem_fresh[PMEM_MAX_RANGES]; /* guarded by pmem_lock: first pfn not listed */
static unsigned int pmem_nranges;
static uint8_t *pmem_map;			   /* guarded by pmem_lock */
static uint64_t pmem_pfn_lo, pmem_pfn_hi;	   /* pmem_map's span; immutable after init */
static struct pmem_block *pmem_lists[PMEM_ORDERS]; /* guarded by pmem_lock */
static unsigned long pmem_nblocks[PMEM_ORDERS];	   /* guarded by pmem_lock */
static unsigned long pmem_nfree;		   /* atomic: pages no caller holds */
static unsigned long pmem_ntotal;		   /* guarded by pmem_lock; read racily */
static struct spinlock pmem_lock = SPINLOCK_INIT;
static struct pmem_pcp *pmem_pcp; /* one per possible cpu, after the page map */
static unsigned int pmem_ncpus;	  /* immutable after pmem_init */

struct pmem_hole {
	uint64_t start, end;
	const char *what;
};

#define PMEM_MAX_HOLES (DT_MAX_RESV + 4)

/* Remove [h->start, h->end) from every range; a range may split in two. */
static __init void pmem_cut(const struct pmem_hole *h)
{
	for (unsigned int i = 0; i < pmem_nranges; i++) {
		struct pmem_range *r = &pmem_ranges[i];

		if (h->end <= r->start || h->start >= r->end)
			continue;
		if (h->start > r->start && h->end < r->end) {
			if (pmem_nranges == PMEM_MAX_RANGES)
				panic("pmem: more than %d free ranges", PMEM_MAX_RANGES);
			for (unsigned int j = pmem_nranges; j > i + 1; j--)
				pmem_ranges[j] = pmem_ranges[j - 1];
			pmem_nranges++;
			pmem_ranges[i + 1].start = h->end;
			pmem_ranges[i + 1].end = r->end;
			r->end = h->start;
			continue;
		}
		if (h->start <= r->start)
			r->start = MIN(h->end, r->end);
		else
			r->end = h->start;
	}
}

static __init void pmem_add_memory(const struct dt_region *m)
{
	uint64_t start = ALIGN_UP(m->base, PAGE_SIZE);
	uint64_t end = ALIGN_DOWN(m->base + m->size, PAGE_SIZE);
	unsigned int i;

	if (end > DIRECT_MAP_SIZE) {
		pr_warn("pmem: memory above %lu GiB not mapped; unused\n", DIRECT_MAP_SIZE / GiB);
		end = DIRECT_MAP_SIZE;
	}
	if (start >= end)
		return;
	if (pmem_nranges == PMEM_MAX_RANGES)
		panic("pmem: more than %d memory ranges", PMEM_MAX_RANGES);
	/* Keep the list sorted by address. */
	for (i = pmem_nranges; i > 0 && pmem_ranges[i - 1].start > start; i--)
		pmem_ranges[i] = pmem_ranges[i - 1];
	pmem_ranges[i] = (struct pmem_range){ start, end };
	pmem_nranges++;
}

static __init unsigned int pmem_holes(struct pmem_hole *h)
{
	const struct dt_info *dt = &machine_dt;
	unsigned int n = 0;

	h[n++] = (struct pmem_hole){ kernel_load_pa, kernel_load_pa + (uint64_t)(_end - _start),
				     "kernel" };
	h[n++] =
		(struct pmem_hole){ machine_fdt_pa, machine_fdt_pa + dt->totalsize, "device tree" };
	if (dt->has_initrd)
		h[n++] = (struct pmem_hole){ dt->initrd_start, dt->initrd_end, "initrd" };
	for (unsigned int i = 0; i < dt->nresv; i++)
		h[n++] = (struct pmem_hole){ dt->resv[i].base, dt->resv[i].base + dt->resv[i].size,
					     dt->resv[i].name };
	for (unsigned int i = 0; i < n; i++) {
		h[i].start = ALIGN_DOWN(h[i].start, PAGE_SIZE);
		h[i].end = ALIGN_UP(h[i].end, PAGE_SIZE);
	}
	return n;
}

/*
 * Boot hart: a zeroed byte per page of the span, and after it the
 * harts' caches, from the first range that holds them.
 */
static __init void pmem_map_init(struct pmem_hole *h)
{
	uint64_t lo = UINT64_MAX, hi = 0, bytes, map;

	for (unsigned int i = 0; i < pmem_nranges; i++) {
		if (pmem_ranges[i].start >= pmem_ranges[i].end)
			continue;
		lo = MIN(lo, pmem_ranges[i].start);
		hi = MAX(hi, pmem_ranges[i].end);
	}
	if (lo >= hi)
		panic("pmem: no free memory beside the kernel, tree and reservations");
	/* The kernel's boot-only pages come to pmem_give() later: the map covers them too. */
	lo = MIN(lo, ALIGN_DOWN(kva_to_pa(__init_begin), PAGE_SIZE));
	hi = MAX(hi, ALIGN_UP(kva_to_pa(__init_end), PAGE_SIZE));
	pmem_pfn_lo = lo >> PAGE_SHIFT;
	pmem_pfn_hi = hi >> PAGE_SHIFT;
	map = ALIGN_UP(pmem_pfn_hi - pmem_pfn_lo, 64); /* the caches start on a cache line */
	bytes = ALIGN_UP(map + pmem_ncpus * sizeof(struct pmem_pcp), PAGE_SIZE);
	for (unsigned int i = 0; i < pmem_nranges; i++) {
		struct pmem_range *r = &pmem_ranges[i];

		if (r->start < r->end && r->end - r->start >= bytes) {
			*h = (struct pmem_hole){ r->start, r->start + bytes, "page map" };
			pmem_map = pa_to_kva(r->start);
			memset(pmem_map, 0, bytes);
			pmem_pcp = (struct pmem_pcp *)(pmem_map + map);
			pmem_cut(h);
			return;
		}
	}
	panic("pmem: no room for a page map of %lu KiB", (unsigned long)(bytes / KiB));
}

static uint8_t *pmem_state(uint64_t pfn)
{
	return &pmem_map[pfn - pmem_pfn_lo];
}

static struct pmem_block *pmem_block_of(uint64_t pfn)
{
	return pa_to_kva(pfn << PAGE_SHIFT);
}

/* pmem_lock held: put the free block at @pfn on its list. */
static void pmem_push(uint64_t pfn, unsigned int order)
{
	struct pmem_block *b = pmem_block_of(pfn);

	b->prev = NULL;
	b->next = pmem_lists[order];
	if (b->next)
		b->next->prev = b;
	pmem_lists[order] = b;
	pmem_nblocks[order]++;
	*pmem_state(pfn) = PMEM_HEAD | order;
}

/* pmem_lock held: take the free block at @pfn off its list. */
static void pmem_unlink(uint64_t pfn, unsigned int order)
{
	struct pmem_block *b = pmem_block_of(pfn);

	if (b->prev)
		b->prev->next = b->next;
	else
		pmem_lists[order] = b->next;
	if (b->next)
		b->next->prev = b->prev;
	pmem_nblocks[order]--;
	*pmem_state(pfn) = 0;
}

/* pmem_lock held: free the block at @pfn, merging it with its buddy while that is free. */
static void pmem_free_block(uint64_t pfn, unsigned int order)
{
	BUG_ON(*pmem_state(pfn) & PMEM_HEAD); /* freed twice */
	for (; order < PMEM_ORDERS - 1; order++) {
		uint64_t buddy = pfn ^ (_UL(1) << order);

		if (buddy < pmem_pfn_lo || buddy >= pmem_pfn_hi ||
		    *pmem_state(buddy) != (PMEM_HEAD | order))
			break;
		pmem_unlink(buddy, order);
		pfn = MIN(pfn, buddy);
	}
	pmem_push(pfn, order);
}

/* The order of the largest block aligned at @pfn that fits in @n (> 0) pages. */
static unsigned int pmem_run_order(uint64_t pfn, uint64_t n)
{
	unsigned int order = 0;

	while (order < PMEM_ORDERS - 1 && !(pfn & ((_UL(2) << order) - 1)) &&
	       (_UL(2) << order) <= n)
		order++;
	return order;
}

/* pmem_lock held: free [pfn, pfn + n) as the largest aligned blocks that fit. */
static void pmem_free_run(uint64_t pfn, uint64_t n)
{
	while (n) {
		unsigned int order = pmem_run_order(pfn, n);

		pmem_free_block(pfn, order);
		pfn += _UL(1) << order;
		n -= _UL(1) << order;
	}
}

/* pmem_lock held: list the next unlisted block of the first range that has one; false if none. */
static bool pmem_list_fresh(void)
{
	for (unsigned int i = 0; i < pmem_nranges; i++) {
		uint64_t pfn = pmem_fresh[i], end = pmem_ranges[i].end >> PAGE_SHIFT;
		unsigned int order;

		if (pfn >= end)
			continue;
		order = pmem_run_order(pfn, end - pfn);
		pmem_fresh[i] = pfn + (_UL(1) << order);
		pmem_free_block(pfn, order);
		return true;
	}
	return false;
}

/* pmem_lock held: a block of @order, split from the smallest larger one if need be. */
static bool pmem_take_block(unsigned int order, uint64_t *pfn)
{
	unsigned int o;

	do {
		for (o = order; o < PMEM_ORDERS && !pmem_lists[o]; o++)
			;
	} while (o == PMEM_ORDERS && pmem_list_fresh());
	if (o == PMEM_ORDERS)
		return false;
	*pfn = kva_to_pa(pmem_lists[o]) >> PAGE_SHIFT;
	pmem_unlink(*pfn, o);
	while (o > order) {
		o--;
		pmem_push(*pfn + (_UL(1) << o), o); /* the upper half stays free */
	}
	return true;
}

__init void pmem_init(unsigned int ncpus)
{
	struct pmem_hole holes[PMEM_MAX_HOLES + 1];
	unsigned int nholes;

	pmem_ncpus = ncpus;
	for (unsigned int i = 0; i < machine_dt.nmem; i++)
		pmem_add_memory(&machine_dt.mem[i]);
	nholes = pmem_holes(holes);
	for (unsigned int i = 0; i < nholes; i++)
		pmem_cut(&holes[i]);
	pmem_map_init(&holes[nholes]);
	for (unsigned int i = 0; i < pmem_ncpus; i++)
		pmem_pcp[i].lock = (struct spinlock)SPINLOCK_INIT;

	for (unsigned int i = 0; i < pmem_nranges; i++) {
		struct pmem_range *r = &pmem_ranges[i];

		pmem_fresh[i] = r->start >> PAGE_SHIFT; /* listed when first needed */
		/* A range a hole swallowed whole stays, empty. */
		if (r->start >= r->end)
			continue;
		pmem_ntotal += (r->end - r->start) / PAGE_SIZE;
		pr_debug("pmem: free 0x%lx-0x%lx\n", (unsigned long)r->start,
			 (unsigned long)r->end - 1);
	}
	pmem_nfree = pmem_ntotal;
	if (!pmem_ntotal)
		panic("pmem: no free memory beside the kernel, tree and reservations");
	pr_info("pmem: %lu pages free (%lu MiB); kernel 0x%lx-0x%lx, device tree 0x%lx\n",
		pmem_ntotal, pmem_ntotal * PAGE_SIZE / MiB, (unsigned long)holes[0].start,
		(unsigned long)holes[0].end - 1, (unsigned long)holes[1].start);
}

/*
 * The one place pages leave (@n > 0) and come back (@n < 0). A per-task
 * charge would be taken here, from an owner the allocating call names.
 */
static void pmem_account(long n)
{
	__atomic_fetch_sub(&pmem_nfree, n, __ATOMIC_RELAXED);
}

void pmem_drain(void)
{
	for (unsigned int cpu = 0; cpu < pmem_ncpus; cpu++) {
		struct pmem_pcp *c = &pmem_pcp[cpu];
		struct pmem_block *b;
		unsigned long flags;

		if (!__atomic_load_n(&c->count, __ATOMIC_RELAXED))
			continue;
		flags = spin_lock_irqsave(&c->lock);
		b = c->head;
		c->head = NULL;
		c->count = 0;
		spin_unlock_irqrestore(&c->lock, flags);
		flags = spin_lock_irqsave(&pmem_lock);
		while (b) {
			struct pmem_block *next = b->next;

			pmem_free_block(kva_to_pa(b) >> PAGE_SHIFT, 0);
			b = next;
		}
		spin_unlock_irqrestore(&pmem_lock, flags);
	}
}

/* @c's lock held: move up to a batch of pages from the buddy lists to @c. */
static void pmem_pcp_refill(struct pmem_pcp *c)
{
	uint64_t pfn;

	spin_lock(&pmem_lock);
	for (unsigned int i = 0; i < PMEM_PCP_BATCH && pmem_take_block(0, &pfn); i++) {
		struct pmem_block *b = pmem_block_of(pfn);

		b->next = c->head;
		c->head = b;
		c->count++;
	}
	spin_unlock(&pmem_lock);
}

/* A page from this hart's cache (refilled if empty), or false. */
static bool pmem_pcp_take(uint64_t *pa)
{
	struct pmem_pcp *c = &pmem_pcp[this_cpu()->id];
	unsigned long flags = spin_lock_irqsave(&c->lock);
	struct pmem_block *b;

	if (!c->head)
		pmem_pcp_refill(c);
	b = c->head;
	if (b) {
		c->head = b->next;
		c->count--;
		*pa = kva_to_pa(b);
	}
	spin_unlock_irqrestore(&c->lock, flags);
	return b;
}

int pmem_alloc_page(uint64_t *pa)
{
	if (!pmem_pcp_take(pa)) {
		pmem_drain();
		if (!pmem_pcp_take(pa))
			return -KEEL_ENOMEM;
	}
	pmem_account(1);
	memset(pa_to_kva(*pa), 0, PAGE_SIZE);
	return 0;
}

static unsigned int pmem_order_of(unsigned long n)
{
	unsigned int order = 0;

	while ((_UL(1) << order) < n)
		order++;
	return order;
}

/* A block for @n pages, its tail beyond @n given back; false if none. */
static bool pmem_take_run(unsigned long n, uint64_t *pa)
{
	unsigned int order = pmem_order_of(n);
	unsigned long flags = spin_lock_irqsave(&pmem_lock);
	uint64_t pfn = 0;
	bool ok = pmem_take_block(order, &pfn);

	if (ok)
		pmem_free_run(pfn + n, (_UL(1) << order) - n);
	spin_unlock_irqrestore(&pmem_lock, flags);
	*pa = pfn << PAGE_SHIFT;
	return ok;
}

int pmem_alloc_contig_dirty(unsigned long n, uint64_t *pa)
{
	if (!n || n > (_UL(1) << (PMEM_ORDERS - 1)))
		return -KEEL_ENOMEM;
	if (!pmem_take_run(n, pa)) {
		pmem_drain();
		if (!pmem_take_run(n, pa))
			return -KEEL_ENOMEM;
	}
	pmem_account((long)n);
	return 0;
}

int pmem_alloc_contig(unsigned long n, uint64_t *pa)
{
	int err = pmem_alloc_contig_dirty(n, pa);

	if (!err)
		memset(pa_to_kva(*pa), 0, n * PAGE_SIZE);
	return err;
}

void pmem_give(uint64_t pa, unsigned long n)
{
	unsigned long flags = spin_lock_irqsave(&pmem_lock);
	unsigned int i = pmem_nranges;
	uint64_t pfn = pa >> PAGE_SHIFT;

	BUG_ON(pa & (PAGE_SIZE - 1) || pfn < pmem_pfn_lo || pfn + n > pmem_pfn_hi);
	if (i == PMEM_MAX_RANGES) {
		spin_unlock_irqrestore(&pmem_lock, flags);
		pr_warn("pmem: %d ranges already; %lu pages stay unused\n", PMEM_MAX_RANGES, n);
		return;
	}
	pmem_ranges[i] = (struct pmem_range){ pa, pa + n * PAGE_SIZE };
	pmem_fresh[i] = pfn + n; /* listed here, whole */
	__atomic_store_n(&pmem_nranges, i + 1, __ATOMIC_RELEASE);
	pmem_free_run(pfn, n);
	pmem_ntotal += n;
	spin_unlock_irqrestore(&pmem_lock, flags);
	pmem_account(-(long)n);
}

bool pmem_is_managed(uint64_t pa, uint64_t size)
{
	unsigned int n = __atomic_load_n(&pmem_nranges, __ATOMIC_ACQUIRE);

	for (unsigned int i = 0; i < n; i++)
		if (pa >= pmem_ranges[i].start && pa + size <= pmem_ranges[i].end)
			return true;
	return false;
}

void pmem_free_page(uint64_t pa)
{
	struct pmem_pcp *c;
	struct pmem_block *b = pa_to_kva(pa), *spill = NULL;
	unsigned long flags;

	BUG_ON(pa & (PAGE_SIZE - 1) || !pmem_is_managed(pa, PAGE_SIZE));
	pmem_account(-1);
	c = &pmem_pcp[this_cpu()->id];
	flags = spin_lock_irqsave(&c->lock);
	b->next = c->head;
	c->head = b;
	if (++c->count > PMEM_PCP_HIGH) {
		/* Keep a batch; the rest goes back, where it can merge. */
		struct pmem_block **p = &c->head;

		for (unsigned int i = 0; i < PMEM_PCP_BATCH; i++)
			p = &(*p)->next;
		spill = *p;
		*p = NULL;
		c->count = PMEM_PCP_BATCH;
		spin_lock(&pmem_lock);
		for (; spill; spill = b) {
			b = spill->next;
			pmem_free_block(kva_to_pa(spill) >> PAGE_SHIFT, 0);
		}
		spin_unlock(&pmem_lock);
	}
	spin_unlock_irqrestore(&c->lock, flags);
}

void pmem_free_contig(uint64_t pa, unsigned long n)
{
	unsigned long flags;

	BUG_ON(pa & (PAGE_SIZE - 1) || !pmem_is_managed(pa, n * PAGE_SIZE));
	pmem_account(-(long)n);
	flags = spin_lock_irqsave(&pmem_lock);
	pmem_free_run(pa >> PAGE_SHIFT, n);
	spin_unlock_irqrestore(&pmem_lock, flags);
}

unsigned long pmem_free_pages(void)
{
	return __atomic_load_n(&pmem_nfree, __ATOMIC_RELAXED);
}

unsigned long pmem_total_pages(void)
{
	return pmem_ntotal;
}

void pmem_get_stats(struct pmem_stats *s)
{
	unsigned long flags = spin_lock_irqsave(&pmem_lock);

	s->largest = 0;
	for (unsigned int o = 0; o < PMEM_ORDERS; o++)
		s->blocks[o] = pmem_nblocks[o];
	/* Unlisted memory counts as the blocks it will be listed as. */
	for (unsigned int i = 0; i < pmem_nranges; i++) {
		uint64_t pfn = pmem_fresh[i], end = pmem_ranges[i].end >> PAGE_SHIFT;

		while (pfn < end) {
			unsigned int order = pmem_run_order(pfn, end - pfn);

			s->blocks[order]++;
			pfn += _UL(1) << order;
		}
	}
	spin_unlock_irqrestore(&pmem_lock, flags);
	for (unsigned int o = 0; o < PMEM_ORDERS; o++)
		if (s->blocks[o])
			s->largest = _UL(1) << o;
	s->cached = 0;
	for (unsigned int cpu = 0; cpu < pmem_ncpus; cpu++)
		s->cached += __atomic_load_n(&pmem_pcp[cpu].count, __ATOMIC_RELAXED);
}

/*
 * pmem.c - physical pages.
 *
 * pmem_init() takes the DT's memory, clips it to the direct map, and cuts
 * out every region something else owns; what is left is a short sorted
 * list of free ranges. Pages are handed out from the front of a range
 * (cheap at boot: no page is touched until it is used); a freed page that
 * was the range's last one handed out goes back to the range, any other
 * onto a list linked through its first word, which is tried first. Only
 * the ranges serve contiguous requests (pmem_alloc_contig), so callers
 * that can take scattered pages should.
 *
 * Locking: pmem_lock guards the ranges, the free list and the counts.
 */
#include "pmem.h"
#include "lib/log.h"
#include "platform/machine.h"
#include "lib/panic.h"
#include "arch/riscv.h"
#include "lib/spinlock.h"
#include "lib/string.h"

struct pmem_range {
	uint64_t start, end;		/* page-aligned, end exclusive */
	uint64_t next;			/* first page never handed out */
};

static struct pmem_range pmem_ranges[PMEM_MAX_RANGES];	/* guarded by pmem_lock */
static unsigned int pmem_nranges;
static uint64_t pmem_freelist;		/* pa of the first freed page, 0 = none */
static unsigned long pmem_nfree, pmem_ntotal;
static struct spinlock pmem_lock = SPINLOCK_INIT;

struct pmem_hole {
	uint64_t start, end;
	const char *what;
};

#define PMEM_MAX_HOLES	(DT_MAX_RESV + 4)

/* Remove [h->start, h->end) from every range; a range may split in two. */
static void pmem_cut(const struct pmem_hole *h)
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

static void pmem_add_memory(const struct dt_region *m)
{
	uint64_t start = ALIGN_UP(m->base, PAGE_SIZE);
	uint64_t end = ALIGN_DOWN(m->base + m->size, PAGE_SIZE);
	unsigned int i;

	if (end > DIRECT_MAP_SIZE) {
		pr_warn("pmem: memory above %lu GiB is not mapped; left unused\n",
			DIRECT_MAP_SIZE / GiB);
		end = DIRECT_MAP_SIZE;
	}
	if (start >= end)
		return;
	if (pmem_nranges == PMEM_MAX_RANGES)
		panic("pmem: more than %d memory ranges", PMEM_MAX_RANGES);
	/* Keep the list sorted by address. */
	for (i = pmem_nranges; i > 0 && pmem_ranges[i - 1].start > start; i--)
		pmem_ranges[i] = pmem_ranges[i - 1];
	pmem_ranges[i] = (struct pmem_range){ start, end, start };
	pmem_nranges++;
}

static unsigned int pmem_holes(struct pmem_hole *h)
{
	const struct dt_info *dt = &machine_dt;
	unsigned int n = 0;

	h[n++] = (struct pmem_hole){ kernel_load_pa,
				     kernel_load_pa + (uint64_t)(_end - _start), "kernel" };
	h[n++] = (struct pmem_hole){ machine_fdt_pa, machine_fdt_pa + dt->totalsize,
				     "device tree" };
	if (dt->has_initrd)
		h[n++] = (struct pmem_hole){ dt->initrd_start, dt->initrd_end, "initrd" };
	for (unsigned int i = 0; i < dt->nresv; i++)
		h[n++] = (struct pmem_hole){ dt->resv[i].base,
					     dt->resv[i].base + dt->resv[i].size, dt->resv[i].name };
	for (unsigned int i = 0; i < n; i++) {
		h[i].start = ALIGN_DOWN(h[i].start, PAGE_SIZE);
		h[i].end = ALIGN_UP(h[i].end, PAGE_SIZE);
	}
	return n;
}

void pmem_init(void)
{
	struct pmem_hole holes[PMEM_MAX_HOLES];
	unsigned int nholes;

	for (unsigned int i = 0; i < machine_dt.nmem; i++)
		pmem_add_memory(&machine_dt.mem[i]);
	nholes = pmem_holes(holes);
	for (unsigned int i = 0; i < nholes; i++)
		pmem_cut(&holes[i]);

	for (unsigned int i = 0; i < pmem_nranges; i++) {
		struct pmem_range *r = &pmem_ranges[i];

		/* A range a hole swallowed whole stays, empty: next = end. */
		r->next = MIN(r->start, r->end);
		if (r->start >= r->end)
			continue;
		pmem_ntotal += (r->end - r->start) / PAGE_SIZE;
		pr_debug("pmem: free 0x%lx-0x%lx\n", (unsigned long)r->start,
			 (unsigned long)r->end - 1);
	}
	pmem_nfree = pmem_ntotal;
	if (!pmem_ntotal)
		panic("pmem: no free memory after the kernel, device tree and reserved regions");
	pr_info("pmem: %lu pages free (%lu MiB); kernel 0x%lx-0x%lx, device tree 0x%lx\n",
		pmem_ntotal, pmem_ntotal * PAGE_SIZE / MiB, (unsigned long)holes[0].start,
		(unsigned long)holes[0].end - 1, (unsigned long)holes[1].start);
}

static bool pmem_take(unsigned long n, uint64_t *pa)
{
	for (unsigned int i = 0; i < pmem_nranges; i++) {
		struct pmem_range *r = &pmem_ranges[i];

		if (r->next < r->end && (r->end - r->next) / PAGE_SIZE >= n) {
			*pa = r->next;
			r->next += n * PAGE_SIZE;
			return true;
		}
	}
	return false;
}

int pmem_alloc_page(uint64_t *pa)
{
	unsigned long flags = spin_lock_irqsave(&pmem_lock);
	bool ok = true;

	if (pmem_freelist) {
		*pa = pmem_freelist;
		pmem_freelist = *(uint64_t *)pa_to_kva(pmem_freelist);
	} else {
		ok = pmem_take(1, pa);
	}
	if (ok)
		pmem_nfree--;
	spin_unlock_irqrestore(&pmem_lock, flags);
	if (!ok)
		return -KEEL_ENOMEM;
	memset(pa_to_kva(*pa), 0, PAGE_SIZE);
	return 0;
}

int pmem_alloc_contig(unsigned long n, uint64_t *pa)
{
	unsigned long flags = spin_lock_irqsave(&pmem_lock);
	bool ok = n && pmem_take(n, pa);

	if (ok)
		pmem_nfree -= n;
	spin_unlock_irqrestore(&pmem_lock, flags);
	if (!ok)
		return -KEEL_ENOMEM;
	memset(pa_to_kva(*pa), 0, n * PAGE_SIZE);
	return 0;
}

bool pmem_is_managed(uint64_t pa, uint64_t size)
{
	for (unsigned int i = 0; i < pmem_nranges; i++)
		if (pa >= pmem_ranges[i].start && pa + size <= pmem_ranges[i].end)
			return true;
	return false;
}

void pmem_free_page(uint64_t pa)
{
	unsigned long flags;

	BUG_ON(pa & (PAGE_SIZE - 1) || !pmem_is_managed(pa, PAGE_SIZE));
	flags = spin_lock_irqsave(&pmem_lock);
	pmem_nfree++;
	/* The last page a range handed out goes back to the range: contiguity returns. */
	for (unsigned int i = 0; i < pmem_nranges; i++) {
		if (pmem_ranges[i].next == pa + PAGE_SIZE && pa >= pmem_ranges[i].start) {
			pmem_ranges[i].next = pa;
			spin_unlock_irqrestore(&pmem_lock, flags);
			return;
		}
	}
	*(uint64_t *)pa_to_kva(pa) = pmem_freelist;
	pmem_freelist = pa;
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

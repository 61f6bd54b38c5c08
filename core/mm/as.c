/*
 * as.c - user address spaces.
 *
 * A user root table copies the kernel root's upper half (entries 256 to
 * 511), which as_init() fills once, so every later kernel mapping lands
 * in tables all address spaces share. The lower half belongs to the
 * task: its pages and tables are freed with it.
 *
 * Address spaces come from a kmem cache. TLBs: user mappings are not
 * global; kernel ones are. When the harts have at least AS_ASID_MIN_BITS
 * ASID bits, every address space gets its own ASID (ASID 0 is the
 * kernel's) from as_asids, so the hardware bounds how many exist at once
 * (2^bits - 1: 65535 on QEMU), the one global bound here; satp carries it
 * and a switch flushes nothing, except where this hart may hold stale translations of
 * that ASID: a new address space (its ASID may have been another's), or
 * one whose task unmapped pages while it ran elsewhere. tlb_stale marks
 * those harts; the first switch to the ASID there flushes it alone.
 * With fewer bits, no ASIDs and no bound: every switch flushes the whole TLB. A task (one thread
 * each) only ever changes its own, running, address space, so an unmap
 * needs no cross-hart shootdown: the local flush plus tlb_stale do it.
 *
 * The stack is a lazy range (as_map_lazy): its pages are taken and
 * charged at exec, and each enters the page table, zeroed, on its first
 * touch: a user fault (as_fault) or the core's access through as_kva.
 */
#include "as.h"
#include "arch/cpu.h"
#include "lib/kobj.h"
#include "lib/log.h"
#include "lib/panic.h"
#include "lib/quota.h"
#include "pmem.h"
#include "arch/riscv.h"
#include "lib/spinlock.h"
#include "lib/string.h"
#include "kmem.h"

#define PT_KERNEL_FIRST (PT_ENTRIES / 2) /* root slots of the upper half */
#define AS_ASID_SHIFT	44
#define AS_ASID_MASK	0xffffUL
#define AS_ASIDS	(AS_ASID_MASK + 1) /* what satp's 16-bit field can name */
#define AS_WORD_BITS	(8 * sizeof(unsigned long))
/* Fewer bits than this (under 1023 address spaces at once): no ASIDs, no bound. */
#define AS_ASID_MIN_BITS 10
/* Tables one 4 KiB mapping may add under an existing root. */
#define AS_TABLES_MAX (SV39_LEVELS - 1)
/* A page of an object (MMIO, shared memory): the object owns it, not the address space. */
#define PTE_SW_OBJECT (_UL(1) << 8)

static struct kmem_cache as_cache = KMEM_CACHE_INIT("address space", struct as, false);
static unsigned long as_asids[AS_ASIDS / AS_WORD_BITS]; /* guarded by as_lock; bit 0 = kernel */
static unsigned int as_asid_next = 1;			/* guarded by as_lock */
static struct spinlock as_lock = SPINLOCK_INIT;
static unsigned int as_asid_width; /* set once by as_init() */
static bool as_use_asids;
static unsigned long as_kernel_satp; /* the kernel map alone, ASID 0; set by as_init() */

unsigned int as_asid_bits(void)
{
	return as_asid_width;
}

/* Write all ones to satp.ASID and see how many stick (privileged spec 4.1.11). */
static __init void as_probe_asids(void)
{
	unsigned long satp = csr_read(satp);

	csr_write(satp, satp | (AS_ASID_MASK << AS_ASID_SHIFT));
	as_asid_width =
		(unsigned int)__builtin_popcountl((csr_read(satp) >> AS_ASID_SHIFT) & AS_ASID_MASK);
	csr_write(satp, satp);
	__asm__ __volatile__("sfence.vma zero, zero" : : : "memory");
	as_use_asids = as_asid_width >= AS_ASID_MIN_BITS;
	pr_info("as: %u ASID bits: %s\n", as_asid_width,
		as_use_asids ? "one per address space" : "too few; a switch flushes the TLB");
}

__init void as_init(void)
{
	pte_t *kroot = vm_kernel_root();
	unsigned int slot = (KSTACK_BASE >> (PAGE_SHIFT + 2 * 9)) & (PT_ENTRIES - 1);
	uint64_t pa;

	/*
	 * The kernel adds mappings later only in the stack region: give its
	 * root slot a table now, so the addition lands in a table every
	 * address space shares. (Kernel image and direct map: set by vm_init.)
	 */
	as_probe_asids();
	as_kernel_satp = SATP_MODE_SV39 | (kva_to_pa(kroot) >> PAGE_SHIFT);
	if (kroot[slot] & PTE_V)
		return;
	if (pmem_alloc_page(&pa))
		panic("as: no page for the shared kernel stack table");
	kroot[slot] = ((pa >> PAGE_SHIFT) << PTE_PPN_SHIFT) | PTE_V;
}

/* A free ASID (next fit, so a freed one rests a while), or 0 if all 2^bits - 1 are taken. */
static unsigned int as_asid_get(void)
{
	unsigned int n = 1U << as_asid_width, asid = 0;
	unsigned long flags = spin_lock_irqsave(&as_lock);

	as_asids[0] |= 1; /* ASID 0: the kernel's */
	for (unsigned int i = 0; i < n && !asid; i++) {
		unsigned int a = (as_asid_next + i) & (n - 1);

		if (!(as_asids[a / AS_WORD_BITS] & (1UL << (a % AS_WORD_BITS)))) {
			as_asids[a / AS_WORD_BITS] |= 1UL << (a % AS_WORD_BITS);
			as_asid_next = a + 1;
			asid = a;
		}
	}
	spin_unlock_irqrestore(&as_lock, flags);
	return asid;
}

static void as_asid_put(unsigned int asid)
{
	unsigned long flags = spin_lock_irqsave(&as_lock);

	as_asids[asid / AS_WORD_BITS] &= ~(1UL << (asid % AS_WORD_BITS));
	spin_unlock_irqrestore(&as_lock, flags);
}

struct as *as_create(struct quota *q)
{
	struct as *as = kmem_alloc(&as_cache);
	uint64_t pa;

	if (!as)
		return NULL;
	if (quota_charge(q, QUOTA_PAGES, 1)) {
		kmem_free(&as_cache, as);
		return NULL;
	}
	as->asid = as_use_asids ? as_asid_get() : 0;
	if ((as_use_asids && !as->asid) || pmem_alloc_page(&pa)) {
		if (as->asid)
			as_asid_put(as->asid);
		quota_uncharge(q, QUOTA_PAGES, 1);
		kmem_free(&as_cache, as);
		return NULL;
	}
	if (q)
		quota_get(q);
	as->quota = q;
	as->root = pa_to_kva(pa);
	as->pages = 0;
	as->kpages = 1; /* the root */
	as->satp = SATP_MODE_SV39 | ((unsigned long)as->asid << AS_ASID_SHIFT) |
		   (kva_to_pa(as->root) >> PAGE_SHIFT);
	as->maps = NULL;
	/* The ASID may have been another address space's: every hart flushes it once. */
	cpumask_fill(&as->tlb_stale, KEEL_MAX_CPUS);
	memcpy(&as->root[PT_KERNEL_FIRST], &vm_kernel_root()[PT_KERNEL_FIRST],
	       (PT_ENTRIES - PT_KERNEL_FIRST) * sizeof(pte_t));
	return as;
}

static uint64_t as_pte_pa(pte_t pte)
{
	return (pte >> PTE_PPN_SHIFT) << PAGE_SHIFT;
}

#define AS_SCAN 8 /* entries as_free_level() passes over at once when all are 0 */

/*
 * Free the user half under @pt at @level (2 = root): leaves' pages, then
 * tables. @first and @end are multiples of AS_SCAN: most of a table is
 * empty, and eight empty entries are passed over in one test.
 */
static void as_free_level(pte_t *pt, int level, unsigned int first, unsigned int end)
{
	for (unsigned int i = first; i < end; i += AS_SCAN) {
		const pte_t *p = &pt[i];

		if (!(p[0] | p[1] | p[2] | p[3] | p[4] | p[5] | p[6] | p[7]))
			continue;
		for (unsigned int j = i; j < i + AS_SCAN; j++) {
			pte_t pte = pt[j];

			if (!(pte & PTE_V))
				continue;
			if (!(pte & (PTE_R | PTE_W | PTE_X)))
				as_free_level(pa_to_kva(as_pte_pa(pte)), level - 1, 0, PT_ENTRIES);
			if (!(pte & PTE_SW_OBJECT))
				pmem_free_page(as_pte_pa(pte));
			pt[j] = 0;
		}
	}
}
_Static_assert(PT_KERNEL_FIRST % AS_SCAN == 0 && PT_ENTRIES % AS_SCAN == 0, "as_free_level");

/* Give back the lazy range's pages that never went to the page table, a run at a time. */
static void as_lazy_free(struct as *as)
{
	for (unsigned int i = 0; i < as->lazy_n; i++) {
		unsigned int j = i;

		while (j < as->lazy_n && !(as->lazy_done >> j & 1))
			j++;
		if (j > i)
			pmem_free_contig(as->lazy_pa + ((uint64_t)i << PAGE_SHIFT), j - i);
		i = j;
	}
}

void as_quiesce(struct as *as)
{
	for (unsigned int i = 0; as && as->maps && i < AS_MAPS; i++)
		if (as->maps[i].obj && as->maps[i].writable)
			kobj_quiesce(as->maps[i].obj);
}

void as_destroy(struct as *as)
{
	as_free_level(as->root, SV39_LEVELS - 1, 0, PT_KERNEL_FIRST);
	as_lazy_free(as);
	pmem_free_page(kva_to_pa(as->root));
	for (unsigned int i = 0; as->maps && i < AS_MAPS; i++)
		if (as->maps[i].obj)
			kobj_drop(as->maps[i].obj, as->maps[i].rights);
	if (as->maps)
		pmem_free_page(kva_to_pa(as->maps));
	quota_uncharge(as->quota, QUOTA_PAGES, as->pages + as->kpages);
	if (as->quota)
		quota_put(as->quota);
	if (as->asid)
		as_asid_put(as->asid);
	kmem_free(&as_cache, as);
}

static bool as_range_ok(uintptr_t va, uint64_t size);

/*
 * Map one page at @va: @pa of an object, or (@fresh) a new zeroed page.
 * The fresh page and the tables the mapping makes are charged; the
 * tables stay (and stay charged) even if the mapping fails.
 */
static int as_map_one(struct as *as, uintptr_t va, uint64_t pa, unsigned long perm, bool fresh)
{
	unsigned long charge = AS_TABLES_MAX + (fresh ? 1 : 0);
	unsigned int made = 0;
	int err = quota_charge(as->quota, QUOTA_PAGES, charge);

	if (err)
		return err;
	if (fresh && pmem_alloc_page(&pa))
		err = -KEEL_ENOMEM;
	else if ((err = vm_map_page(as->root, va, pa, perm, &made)) && fresh)
		pmem_free_page(pa); /* the pages mapped so far go with the as */
	as->kpages += made;
	if (!err && fresh)
		as->pages++;
	quota_uncharge(as->quota, QUOTA_PAGES, charge - made - (!err && fresh ? 1 : 0));
	return err;
}

int as_map_anon(struct as *as, uintptr_t va, uint64_t size, unsigned long perm)
{
	if (!as_range_ok(va, size))
		return -KEEL_EINVAL;
	for (uint64_t off = 0; off < size; off += PAGE_SIZE) {
		int err = as_map_one(as, va + off, 0, perm | PTE_U, true);

		if (err)
			return err;
	}
	return 0;
}

_Static_assert(USER_STACK_SIZE / PAGE_SIZE <= AS_LAZY_MAX, "the stack is one lazy range");

int as_map_lazy(struct as *as, uintptr_t va, uint64_t size, unsigned long perm)
{
	unsigned long n = size >> PAGE_SHIFT;
	uint64_t pa;

	if (!as_range_ok(va, size))
		return -KEEL_EINVAL;
	if (as->lazy_n || n > AS_LAZY_MAX)
		return as_map_anon(as, va, size, perm);
	if (quota_charge(as->quota, QUOTA_PAGES, n))
		return -KEEL_ENOMEM;
	if (pmem_alloc_contig_dirty(n, &pa)) {
		quota_uncharge(as->quota, QUOTA_PAGES, n);
		return as_map_anon(as, va, size, perm); /* no run that long: page by page */
	}
	as->lazy_va = va;
	as->lazy_pa = pa;
	as->lazy_n = (unsigned int)n;
	as->lazy_perm = perm | PTE_U;
	as->lazy_done = 0;
	as->pages += n;
	return 0;
}

/* @va's page number in the lazy range if it has not gone to the page table yet, else -1. */
static int as_lazy_index(const struct as *as, uintptr_t va)
{
	unsigned long i;

	if (!as->lazy_n || va < as->lazy_va)
		return -1;
	i = (va - as->lazy_va) >> PAGE_SHIFT;
	if (i >= as->lazy_n || (as->lazy_done >> i & 1))
		return -1;
	return (int)i;
}

/* Put the lazy range's page at @va into the page table, cleared; false if it is none waiting. */
static bool as_lazy_fill(struct as *as, uintptr_t va)
{
	int i = as_lazy_index(as, va);
	unsigned int made = 0;
	uint64_t pa;
	int err;

	if (i < 0 || quota_charge(as->quota, QUOTA_PAGES, AS_TABLES_MAX))
		return false;
	va = as->lazy_va + ((uintptr_t)i << PAGE_SHIFT);
	pa = as->lazy_pa + ((uint64_t)i << PAGE_SHIFT);
	memset(pa_to_kva(pa), 0, PAGE_SIZE);
	err = vm_map_page(as->root, va, pa, as->lazy_perm, &made);
	as->kpages += made;
	quota_uncharge(as->quota, QUOTA_PAGES, AS_TABLES_MAX - made);
	if (err)
		return false;
	as->lazy_done |= _UL(1) << i;
	/* An invalid entry may have been cached (privileged spec 4.2.1); this hart runs @as. */
	__asm__ __volatile__("sfence.vma %0, %1"
			     :
			     : "r"(va), "r"((unsigned long)as->asid)
			     : "memory");
	return true;
}

bool as_fault(struct as *as, uintptr_t va)
{
	return as && as_lazy_fill(as, va);
}

/* munmap of lazy pages still waiting: they go back now, and a touch there faults for good. */
static void as_lazy_drop(struct as *as, uintptr_t va, uint64_t size)
{
	for (uint64_t off = 0; as->lazy_n && off < size; off += PAGE_SIZE) {
		int i = as_lazy_index(as, va + off);

		if (i < 0)
			continue;
		as->lazy_done |= _UL(1) << i;
		pmem_free_page(as->lazy_pa + ((uint64_t)i << PAGE_SHIFT));
		as->pages--;
		quota_uncharge(as->quota, QUOTA_PAGES, 1);
	}
}

/* Remove the leaves of [va, va + size) that are there, freeing fresh pages. */
static void as_unmap_pages(struct as *as, uintptr_t va, uint64_t size)
{
	for (uint64_t off = 0; off < size; off += PAGE_SIZE) {
		pte_t pte = vm_lookup(as->root, va + off);

		if (!(pte & PTE_V))
			continue;
		if (vm_unmap(as->root, va + off, PAGE_SIZE))
			continue;
		if (!(pte & PTE_SW_OBJECT)) {
			pmem_free_page(as_pte_pa(pte));
			as->pages--;
			quota_uncharge(as->quota, QUOTA_PAGES, 1);
		}
	}
}

/* Free the tables [va, va + size) left empty, and their charge; how many. */
static unsigned long as_prune(struct as *as, uintptr_t va, uint64_t size)
{
	unsigned long freed = vm_prune(as->root, va, size);

	as->kpages -= freed;
	quota_uncharge(as->quota, QUOTA_PAGES, freed);
	return freed;
}

/*
 * This hart: forget every translation of @as's ASID, table entries too
 * (a freed table's; privileged spec 4.2.1). Without ASIDs, all of them.
 */
static void as_flush_asid(struct as *as)
{
	if (as->asid)
		__asm__ __volatile__("sfence.vma zero, %0"
				     :
				     : "r"((unsigned long)as->asid)
				     : "memory");
	else
		__asm__ __volatile__("sfence.vma zero, zero" : : : "memory");
}

static bool as_range_ok(uintptr_t va, uint64_t size)
{
	return size && va >= USER_MIN && va + size <= USER_TOP && va + size > va &&
	       !((va | size) & (PAGE_SIZE - 1));
}

int as_mmap(struct as *as, uintptr_t *va, uint64_t size, uint64_t pa, unsigned long perm,
	    struct kobj *obj, unsigned int rights)
{
	struct as_map *slot = NULL;
	uintptr_t at = *va;
	int err = 0;

	size = ALIGN_UP(size, PAGE_SIZE);
	if (!size)
		return -KEEL_EINVAL;
	if (!at &&
	    vm_find_gap(as->root, USER_MMAP_BASE, USER_STACK_TOP - USER_STACK_SIZE, size, &at))
		return -KEEL_ENOMEM;
	if (!as_range_ok(at, size) || !(perm & PTE_R) || (perm & PTE_X))
		return -KEEL_EINVAL;
	if (obj && !as->maps) {
		uint64_t page;

		if (quota_charge(as->quota, QUOTA_PAGES, 1))
			return -KEEL_ENOMEM;
		if (pmem_alloc_page(&page)) {
			quota_uncharge(as->quota, QUOTA_PAGES, 1);
			return -KEEL_ENOMEM;
		}
		as->kpages++;
		as->maps = pa_to_kva(page);
		memset(as->maps, 0, PAGE_SIZE);
	}
	for (unsigned int i = 0; obj && i < AS_MAPS && !slot; i++)
		if (!as->maps[i].obj)
			slot = &as->maps[i];
	if (obj && !slot)
		return -KEEL_ENOMEM;
	for (uint64_t off = 0; off < size && !err; off += PAGE_SIZE) {
		if ((vm_lookup(as->root, at + off) & PTE_V) || as_lazy_index(as, at + off) >= 0)
			err = -KEEL_EBUSY;
		else
			err = as_map_one(as, at + off, pa + off,
					 perm | PTE_U | (obj ? PTE_SW_OBJECT : 0), !obj);
		if (err)
			as_unmap_pages(as, at, off); /* undo this call's pages */
	}
	if (err) {
		as_prune(as, at, size);
		as_flush_asid(as); /* what the undone pages and tables may have left */
		return err;
	}
	if (obj)
		*slot = (struct as_map){
			.va = at,
			.size = size,
			.obj = obj,
			.rights = rights,
			.writable = perm & PTE_W,
		};
	*va = at;
	return 0;
}

int as_munmap(struct as *as, uintptr_t va, uint64_t size)
{
	struct cpu *me = this_cpu();

	size = ALIGN_UP(size, PAGE_SIZE);
	if (!as_range_ok(va, size))
		return -KEEL_EINVAL;
	for (unsigned int i = 0; as->maps && i < AS_MAPS; i++) {
		struct as_map *m = &as->maps[i];

		if (!m->obj || m->va >= va + size || m->va + m->size <= va)
			continue;
		if (m->va < va || m->va + m->size > va + size)
			return -KEEL_EINVAL; /* an object's mapping goes whole */
	}
	as_unmap_pages(as, va, size);
	as_lazy_drop(as, va, size);
	for (unsigned int i = 0; as->maps && i < AS_MAPS; i++) {
		struct as_map *m = &as->maps[i];

		if (m->obj && m->va >= va && m->va + m->size <= va + size) {
			kobj_drop(m->obj, m->rights);
			m->obj = NULL;
		}
	}
	/* Only this hart runs @as now; others may hold its ASID's old entries. */
	if (as_prune(as, va, size))
		as_flush_asid(as);
	else
		for (uint64_t off = 0; off < size; off += PAGE_SIZE)
			__asm__ __volatile__("sfence.vma %0, %1"
					     :
					     : "r"(va + off), "r"((unsigned long)as->asid)
					     : "memory");
	if (as->asid) {
		cpumask_fill(&as->tlb_stale, KEEL_MAX_CPUS);
		cpumask_clear_atomic(&as->tlb_stale, me->id);
	}
	return 0;
}

/* as_activate() for the rest: no ASIDs, the kernel map, or an ASID to flush here first. */
void as_activate_slow(struct as *as)
{
	unsigned long asid = as ? as->asid : 0;
	unsigned int cpu = this_cpu()->id;

	csr_write(satp, as ? as->satp : as_kernel_satp);
	if (!as_use_asids) {
		__asm__ __volatile__("sfence.vma zero, zero" : : : "memory");
		return;
	}
	if (as && cpumask_test(&as->tlb_stale, cpu)) {
		cpumask_clear_atomic(&as->tlb_stale, cpu);
		__asm__ __volatile__("sfence.vma zero, %0" : : "r"(asid) : "memory");
	}
}

void *as_kva(struct as *as, uintptr_t va, unsigned long need)
{
	pte_t pte;

	if (va < USER_MIN || va >= USER_TOP)
		return NULL;
	pte = vm_lookup(as->root, va);
	if (!(pte & PTE_V) && as_lazy_fill(as, va))
		pte = vm_lookup(as->root, va);
	if (!(pte & PTE_V) || !(pte & PTE_U) || (pte & need) != need)
		return NULL;
	return (char *)pa_to_kva(as_pte_pa(pte)) + (va & (PAGE_SIZE - 1));
}

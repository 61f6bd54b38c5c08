/*
 * as.h - user address spaces: one Sv39 page table per user task, its
 * lower half the task's own, its upper half the kernel's (shared).
 */
#ifndef KEEL_AS_H
#define KEEL_AS_H

#include "keel.h"
#include "arch/cpu.h"
#include "arch/riscv.h"
#include "lib/cpumask.h"
#include "vm.h"

struct kobj;
struct quota;

/* The user half of Sv39 (privileged spec 4.4.1): below bit 38. */
#define USER_TOP	0x0000004000000000UL
#define USER_MIN	0x10000UL	       /* nothing at page 0 */
#define USER_STACK_TOP	(USER_TOP - PAGE_SIZE) /* a guard page above */
#define USER_STACK_SIZE (256 * KiB)
/* Where mmap() puts what the caller does not place itself: the lowest gap from here. */
#define USER_MMAP_BASE 0x0000001000000000UL
#define AS_MAPS	       (PAGE_SIZE / sizeof(struct as_map)) /* objects mapped at once */
#define AS_LAZY_MAX    64 /* pages of a lazy range: the bits of as->lazy_done */

/* A kernel object (memory, MMIO) mapped in: its reference lives as long as the mapping. */
struct as_map {
	uintptr_t va;
	uint64_t size;
	struct kobj *obj; /* NULL: a free entry */
	unsigned int rights;
	bool writable; /* mapped with PTE_W: the task could drive a device through it */
};

/*
 * An address space belongs to one task, which alone changes it (tasks
 * have one thread); the core writes into a new one before its task runs.
 */
struct as {
	pte_t *root;	      /* immutable */
	unsigned long pages;  /* fresh user pages mapped, charged to quota */
	unsigned long kpages; /* its root, page tables and map list, charged too */
	struct quota *quota;  /* a reference; immutable (NULL: charged to nobody) */
	unsigned int asid;    /* 0 when the harts have too few ASID bits */
	unsigned long satp;   /* what as_activate() writes; immutable */
	struct as_map *maps;  /* a page, made on the first object mapped */
	/*
	 * The range mapped on first touch (as_map_lazy: the stack). Its
	 * pages are taken (one contiguous run, not yet cleared) and charged
	 * when it is made; each goes into the page table cleared when the
	 * task touches it or the core reads or writes it (as_kva).
	 */
	uintptr_t lazy_va;	 /* immutable once set */
	uint64_t lazy_pa;	 /* the run; immutable once set */
	unsigned int lazy_n;	 /* its pages, at most AS_LAZY_MAX; 0: no range */
	unsigned long lazy_perm; /* PTE bits its pages get; immutable once set */
	uint64_t lazy_done;	 /* bit i: page i went to the page table (or was unmapped) */
	/* Harts that may still hold translations of this ASID (atomic bits). */
	struct cpumask tlb_stale;
};

/*
 * Any task: a new, empty address space (kernel half shared) whose pages
 * are charged to @q (NULL: to nobody), or NULL (no room, or over @q's limit).
 */
struct as *as_create(struct quota *q);
/*
 * The task of @as is ending: quiesce every object it maps writable
 * (kobj_quiesce: an MMIO window's device stops its DMA) while all it
 * maps, DMA buffers included, is still held. Its own task, once.
 */
void as_quiesce(struct as *as);
/* Free every user page and table, and the address space. Not the running one. */
void as_destroy(struct as *as);
/* Map fresh zeroed pages at [va, va + size) with @perm (PTE_R/W/X); PTE_U is added. */
int __must_check as_map_anon(struct as *as, uintptr_t va, uint64_t size, unsigned long perm);
/*
 * As as_map_anon(), but each page enters the page table, zeroed, when it
 * is first touched (as_fault, as_kva); the pages are taken and charged
 * now, so a touch never finds memory short. One range per address space
 * of at most AS_LAZY_MAX pages; any other is mapped at once.
 */
int __must_check as_map_lazy(struct as *as, uintptr_t va, uint64_t size, unsigned long perm);
/* A user page fault at @va in @as, the running one: true if it was a first touch, now mapped. */
bool as_fault(struct as *as, uintptr_t va);
/*
 * Map [*va, *va + size) (*va = 0: the core picks, and says where) to
 * [pa, pa + size) of object @obj, whose reference (with @rights) the
 * mapping takes over; or, with @obj NULL, to fresh zeroed pages.
 * @perm: PTE_R/W. -KEEL_EBUSY if something is mapped there already.
 */
int __must_check as_mmap(struct as *as, uintptr_t *va, uint64_t size, uint64_t pa,
			 unsigned long perm, struct kobj *obj, unsigned int rights);
/*
 * Remove [va, va + size): fresh pages are freed, an object's mapping must
 * go whole, and page tables left empty are freed (the range can be
 * mapped again, and a map/unmap loop holds nothing).
 */
int __must_check as_munmap(struct as *as, uintptr_t va, uint64_t size);
/* The hart's ASID bits, as the boot hart found them. */
unsigned int as_asid_bits(void);
/*
 * This hart: run with @as (NULL: the kernel map alone). With ASIDs, only
 * an ASID this hart may hold stale translations of is flushed; without,
 * the whole TLB is.
 */
void as_activate_slow(struct as *as);
static inline void as_activate(struct as *as)
{
	/* Its own ASID (so ASIDs are on), nothing stale of it on this hart: satp alone. */
	if (as && as->asid && !cpumask_test(&as->tlb_stale, this_cpu()->id)) {
		csr_write(satp, as->satp);
		return;
	}
	as_activate_slow(as);
}
/* The kernel-virtual address backing user @va in @as, if mapped with all of @need. */
void *as_kva(struct as *as, uintptr_t va, unsigned long need);

/* Boot hart, once (vm_init): the shared kernel-half tables must exist before any as. */
__init void as_init(void);

#endif

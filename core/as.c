/*
 * as.c - user address spaces.
 *
 * A user root table copies the kernel root's upper half (entries 256 to
 * 511), which as_init() fills once, so every later kernel mapping lands
 * in tables all address spaces share. The lower half belongs to the
 * task: its pages and tables are freed with it.
 *
 * TLBs: user mappings are not global. Keel does not use ASIDs yet: every
 * switch of address space flushes the hart's TLB (sfence.vma zero, zero),
 * so no hart keeps another task's translations, and a task (one thread
 * each) only ever changes its own, running, address space.
 */
#include "as.h"
#include "log.h"
#include "panic.h"
#include "pmem.h"
#include "riscv.h"
#include "spinlock.h"
#include "string.h"

#define PT_KERNEL_FIRST	(PT_ENTRIES / 2)	/* root slots of the upper half */
#define AS_MAX		1024	/* address spaces at once */

static struct as as_pool[AS_MAX];
static bool as_used[AS_MAX];
static struct spinlock as_lock = SPINLOCK_INIT;

void as_init(void)
{
	pte_t *kroot = vm_kernel_root();
	unsigned int slot = (KSTACK_BASE >> (PAGE_SHIFT + 2 * 9)) & (PT_ENTRIES - 1);
	uint64_t pa;

	/*
	 * The kernel adds mappings later only in the stack region: give its
	 * root slot a table now, so the addition lands in a table every
	 * address space shares. (Kernel image and direct map: set by vm_init.)
	 */
	if (kroot[slot] & PTE_V)
		return;
	if (pmem_alloc_page(&pa))
		panic("as: no page for the shared kernel stack table");
	kroot[slot] = ((pa >> PAGE_SHIFT) << PTE_PPN_SHIFT) | PTE_V;
}

struct as *as_create(void)
{
	unsigned long flags = spin_lock_irqsave(&as_lock);
	struct as *as = NULL;
	uint64_t pa;

	for (unsigned int i = 0; i < ARRAY_SIZE(as_pool); i++) {
		if (!as_used[i]) {
			as_used[i] = true;
			as = &as_pool[i];
			break;
		}
	}
	spin_unlock_irqrestore(&as_lock, flags);
	if (!as)
		return NULL;
	if (pmem_alloc_page(&pa)) {
		as_used[as - as_pool] = false;
		return NULL;
	}
	as->root = pa_to_kva(pa);
	as->pages = 0;
	memcpy(&as->root[PT_KERNEL_FIRST], &vm_kernel_root()[PT_KERNEL_FIRST],
	       (PT_ENTRIES - PT_KERNEL_FIRST) * sizeof(pte_t));
	return as;
}

static uint64_t as_pte_pa(pte_t pte)
{
	return (pte >> PTE_PPN_SHIFT) << PAGE_SHIFT;
}

/* Free the user half under @pt at @level (2 = root): leaves' pages, then tables. */
static void as_free_level(pte_t *pt, int level, unsigned int first, unsigned int end)
{
	for (unsigned int i = first; i < end; i++) {
		pte_t pte = pt[i];

		if (!(pte & PTE_V))
			continue;
		if (!(pte & (PTE_R | PTE_W | PTE_X)))
			as_free_level(pa_to_kva(as_pte_pa(pte)), level - 1, 0, PT_ENTRIES);
		pmem_free_page(as_pte_pa(pte));
		pt[i] = 0;
	}
}

void as_destroy(struct as *as)
{
	unsigned long flags;

	as_free_level(as->root, SV39_LEVELS - 1, 0, PT_KERNEL_FIRST);
	pmem_free_page(kva_to_pa(as->root));
	flags = spin_lock_irqsave(&as_lock);
	as_used[as - as_pool] = false;
	spin_unlock_irqrestore(&as_lock, flags);
}

int as_map_anon(struct as *as, uintptr_t va, uint64_t size, unsigned long perm)
{
	if (va < USER_MIN || va + size > USER_TOP || va + size < va || (va | size) & (PAGE_SIZE - 1))
		return -KERR_INVAL;
	for (uint64_t off = 0; off < size; off += PAGE_SIZE) {
		uint64_t pa;
		int err = pmem_alloc_page(&pa);

		if (!err)
			err = vm_map(as->root, va + off, pa, PAGE_SIZE, perm | PTE_U);
		if (err) {
			if (err != -KERR_NOMEM)
				pmem_free_page(pa);
			return err;
		}
		as->pages++;
	}
	return 0;
}

void as_activate(struct as *as)
{
	pte_t *root = as ? as->root : vm_kernel_root();

	csr_write(satp, SATP_MODE_SV39 | (kva_to_pa(root) >> PAGE_SHIFT));
	__asm__ __volatile__("sfence.vma zero, zero" : : : "memory");
}

void *as_kva(struct as *as, uintptr_t va, unsigned long need)
{
	pte_t pte;

	if (va < USER_MIN || va >= USER_TOP)
		return NULL;
	pte = vm_lookup(as->root, va);
	if (!(pte & PTE_V) || !(pte & PTE_U) || (pte & need) != need)
		return NULL;
	return (char *)pa_to_kva(as_pte_pa(pte)) + (va & (PAGE_SIZE - 1));
}

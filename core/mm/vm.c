/*
 * vm.c - Sv39 page tables (privileged spec 4.4) and the kernel map.
 *
 * Tables are pmem pages reached through the direct map. The kernel map is
 * built by the boot hart (vm_init) and shared by every hart; later
 * changes (kernel stacks, self-tests) take vm_lock, and whoever removes
 * or downgrades a mapping shoots it down (kernel/tlb.c).
 * The early map of boot/entry.S is left behind once vm_init switches.
 */
#include "lib/err.h"
#include "vm.h"
#include "lib/log.h"
#include "platform/machine.h"
#include "lib/power.h"
#include "lib/panic.h"
#include "pmem.h"
#include "arch/riscv.h"
#include "arch/cpu.h"
#include "lib/spinlock.h"
#include "sbi/sbi.h"

#define VPN_BITS       9
#define PTE_PERM       (PTE_R | PTE_W | PTE_X)
#define PTE_LEAF_FLAGS (PTE_V | PTE_A | PTE_D)
#define SUPERPAGE_2M   (2 * MiB)
#define SUPERPAGE_1G   (1 * GiB)

static pte_t *vm_kernel_pt; /* the root is immutable after vm_init */
/* Guards changes to any page table (the kernel map is shared by every hart). */
static struct spinlock vm_lock = SPINLOCK_INIT;

static unsigned int vm_vpn(uintptr_t va, int level)
{
	return (va >> (PAGE_SHIFT + VPN_BITS * level)) & (PT_ENTRIES - 1);
}

static uint64_t pte_pa(pte_t pte)
{
	return (pte >> PTE_PPN_SHIFT) << PAGE_SHIFT;
}

static pte_t pa_pte(uint64_t pa, unsigned long flags)
{
	return ((pa >> PAGE_SHIFT) << PTE_PPN_SHIFT) | flags;
}

static bool pte_is_leaf(pte_t pte)
{
	return (pte & PTE_V) && (pte & PTE_PERM);
}

/* The PTE for @va at @level, creating tables on the way down (counted in *@made). */
static int vm_walk_create(pte_t *root, uintptr_t va, int level, pte_t **out, unsigned int *made)
{
	pte_t *pt = root;

	for (int l = SV39_LEVELS - 1; l > level; l--) {
		pte_t *pte = &pt[vm_vpn(va, l)];
		uint64_t pa;

		if (!(*pte & PTE_V)) {
			if (pmem_alloc_page(&pa))
				return -KEEL_ENOMEM;
			*pte = pa_pte(pa, PTE_V);
			(*made)++;
		} else if (pte_is_leaf(*pte)) {
			return -KEEL_EBUSY; /* already inside a superpage */
		}
		pt = pa_to_kva(pte_pa(*pte));
	}
	*out = &pt[vm_vpn(va, level)];
	return 0;
}

static int vm_map_level(pte_t *root, uintptr_t va, uint64_t pa, unsigned long perm, int level,
			unsigned int *made)
{
	pte_t *pte;
	int err = vm_walk_create(root, va, level, &pte, made);

	if (err)
		return err;
	if (*pte & PTE_V)
		return -KEEL_EBUSY;
	/* Kernel mappings are global (every address space has them); user ones are not. */
	*pte = pa_pte(pa, perm | PTE_LEAF_FLAGS | (perm & PTE_U ? 0 : PTE_G));
	return 0;
}

int vm_map(pte_t *root, uintptr_t va, uint64_t pa, uint64_t size, unsigned long perm)
{
	unsigned long flags = spin_lock_irqsave(&vm_lock);
	unsigned int made = 0;
	int err = 0;

	for (uint64_t off = 0; off < size && !err; off += PAGE_SIZE)
		err = vm_map_level(root, va + off, pa + off, perm, 0, &made);
	spin_unlock_irqrestore(&vm_lock, flags);
	return err;
}

int vm_map_page(pte_t *root, uintptr_t va, uint64_t pa, unsigned long perm, unsigned int *tables)
{
	unsigned long flags = spin_lock_irqsave(&vm_lock);
	int err;

	*tables = 0;
	err = vm_map_level(root, va, pa, perm, 0, tables);
	spin_unlock_irqrestore(&vm_lock, flags);
	return err;
}

/* Like vm_map, with 1 GiB and 2 MiB pages wherever alignment allows. */
static __init int vm_map_large(pte_t *root, uintptr_t va, uint64_t pa, uint64_t size,
			       unsigned long perm)
{
	unsigned int made = 0;

	while (size) {
		uint64_t step = PAGE_SIZE;
		int level = 0, err;

		if (!((va | pa) & (SUPERPAGE_1G - 1)) && size >= SUPERPAGE_1G)
			step = SUPERPAGE_1G, level = 2;
		else if (!((va | pa) & (SUPERPAGE_2M - 1)) && size >= SUPERPAGE_2M)
			step = SUPERPAGE_2M, level = 1;
		err = vm_map_level(root, va, pa, perm, level, &made);
		if (err)
			return err;
		va += step;
		pa += step;
		size -= step;
	}
	return 0;
}

int vm_unmap(pte_t *root, uintptr_t va, uint64_t size)
{
	unsigned long flags = spin_lock_irqsave(&vm_lock);
	int err = 0;

	for (uint64_t off = 0; off < size && !err; off += PAGE_SIZE) {
		pte_t *pt = root;

		for (int l = SV39_LEVELS - 1; l > 0 && pt; l--) {
			pte_t pte = pt[vm_vpn(va + off, l)];

			pt = (pte & PTE_V) && !pte_is_leaf(pte) ? pa_to_kva(pte_pa(pte)) : NULL;
		}
		if (pt)
			pt[vm_vpn(va + off, 0)] = 0;
		else
			err = -KEEL_EINVAL; /* not mapped in 4 KiB pages */
	}
	spin_unlock_irqrestore(&vm_lock, flags);
	return err;
}

static bool vm_table_empty(const pte_t *pt)
{
	for (unsigned int i = 0; i < PT_ENTRIES; i++)
		if (pt[i])
			return false;
	return true;
}

/* vm_lock held: free the table @pte points at if it is empty. */
static unsigned long vm_prune_entry(pte_t *pte)
{
	if (!(*pte & PTE_V) || pte_is_leaf(*pte) || !vm_table_empty(pa_to_kva(pte_pa(*pte))))
		return 0;
	pmem_free_page(pte_pa(*pte));
	*pte = 0;
	return 1;
}

unsigned long vm_prune(pte_t *root, uintptr_t va, uint64_t size)
{
	unsigned long flags = spin_lock_irqsave(&vm_lock), freed = 0;
	uintptr_t end = va + size;

	for (uintptr_t gb = ALIGN_DOWN(va, SUPERPAGE_1G); gb < end; gb += SUPERPAGE_1G) {
		pte_t *l2 = &root[vm_vpn(gb, 2)];
		pte_t *l1;

		if (!(*l2 & PTE_V) || pte_is_leaf(*l2))
			continue;
		l1 = pa_to_kva(pte_pa(*l2));
		for (uintptr_t mb = MAX(ALIGN_DOWN(va, SUPERPAGE_2M), gb);
		     mb < end && mb < gb + SUPERPAGE_1G; mb += SUPERPAGE_2M)
			freed += vm_prune_entry(&l1[vm_vpn(mb, 1)]);
		freed += vm_prune_entry(l2);
	}
	spin_unlock_irqrestore(&vm_lock, flags);
	return freed;
}

/* vm_lock held: how far from @va nothing is mapped, looking no further than @hi; 0 if @va is. */
static uint64_t vm_free_span(pte_t *root, uintptr_t va, uintptr_t hi)
{
	pte_t *pt = root;

	for (int l = SV39_LEVELS - 1; l >= 0; l--) {
		pte_t pte = pt[vm_vpn(va, l)];
		uint64_t span = _UL(1) << (PAGE_SHIFT + VPN_BITS * l);

		if (!(pte & PTE_V))
			return MIN(ALIGN_DOWN(va, span) + span, hi) - va;
		if (pte_is_leaf(pte))
			return 0;
		pt = pa_to_kva(pte_pa(pte));
	}
	return 0;
}

int vm_find_gap(pte_t *root, uintptr_t lo, uintptr_t hi, uint64_t size, uintptr_t *va)
{
	unsigned long flags = spin_lock_irqsave(&vm_lock);
	uintptr_t start = lo, at = lo; /* the free run so far: [start, at) */
	int err = -KEEL_ENOMEM;

	while (at < hi) {
		uint64_t span = vm_free_span(root, at, hi);

		if (!span) {
			at += PAGE_SIZE;
			start = at;
			continue;
		}
		at += span;
		/* A guard page below (unless at @lo) and above. */
		if (at - start >= size + PAGE_SIZE + (start > lo ? PAGE_SIZE : 0)) {
			*va = start > lo ? start + PAGE_SIZE : start;
			err = 0;
			break;
		}
	}
	spin_unlock_irqrestore(&vm_lock, flags);
	return err;
}

pte_t vm_lookup(pte_t *root, uintptr_t va)
{
	pte_t *pt = root ? root : vm_kernel_pt;

	for (int l = SV39_LEVELS - 1; l >= 0; l--) {
		pte_t pte = pt[vm_vpn(va, l)];

		if (!(pte & PTE_V))
			return 0;
		if (pte_is_leaf(pte))
			return pte;
		pt = pa_to_kva(pte_pa(pte));
	}
	return 0;
}

static unsigned long vm_count_wx_level(pte_t *pt, int level)
{
	unsigned long n = 0;

	for (unsigned int i = 0; i < PT_ENTRIES; i++) {
		pte_t pte = pt[i];

		if (!(pte & PTE_V))
			continue;
		if (pte_is_leaf(pte))
			n += (pte & PTE_W) && (pte & PTE_X);
		else if (level > 0)
			n += vm_count_wx_level(pa_to_kva(pte_pa(pte)), level - 1);
	}
	return n;
}

unsigned long vm_count_wx(pte_t *root)
{
	return vm_count_wx_level(root ? root : vm_kernel_pt, SV39_LEVELS - 1);
}

int vm_alloc_kstack(unsigned int slot, uintptr_t *lo, uintptr_t *top)
{
	uintptr_t base = KSTACK_BASE + (uintptr_t)slot * KSTACK_SLOT + PAGE_SIZE;

	if (slot >= KSTACK_SLOTS)
		return -KEEL_ERANGE;
	/* Page by page: the stack is virtually contiguous, its pages need not be. */
	for (uintptr_t off = 0; off < KSTACK_SIZE; off += PAGE_SIZE) {
		uint64_t pa;
		int err = pmem_alloc_page(&pa);

		/* Nothing else maps here, and other harts reach the slot only once it is handed
		 * out. */
		if (!err)
			err = vm_map(vm_kernel_pt, base + off, pa, PAGE_SIZE, PTE_R | PTE_W);
		if (err)
			return err; /* the slot is spent; its pages stay mapped */
	}
	*lo = base;
	*top = base + KSTACK_SIZE;
	return 0;
}

void vm_free_kstack(unsigned int slot)
{
	uintptr_t base = KSTACK_BASE + (uintptr_t)slot * KSTACK_SLOT + PAGE_SIZE;

	for (uintptr_t off = 0; off < KSTACK_SIZE; off += PAGE_SIZE) {
		pte_t pte = vm_lookup(NULL, base + off);

		if (!(pte & PTE_V))
			continue;
		if (vm_unmap(vm_kernel_pt, base + off, PAGE_SIZE))
			continue; /* cannot be: mapped in 4 KiB pages above */
		pmem_free_page(pte_pa(pte));
	}
}

bool vm_is_stack_guard(uintptr_t va)
{
	uintptr_t boot_guard = (uintptr_t)__boot_stack_guard;

	if (va >= boot_guard && va < boot_guard + PAGE_SIZE)
		return true;
	if (va < KSTACK_BASE || va >= KSTACK_BASE + (uintptr_t)KSTACK_SLOTS * KSTACK_SLOT)
		return false;
	return (va - KSTACK_BASE) % KSTACK_SLOT < PAGE_SIZE;
}

pte_t *vm_kernel_root(void)
{
	return vm_kernel_pt;
}

static __init void vm_map_kernel_range(const char *what, char *start, char *end, unsigned long perm)
{
	uintptr_t va = (uintptr_t)start;
	int err = vm_map(vm_kernel_pt, va, kva_to_pa(start), (uintptr_t)(end - start), perm);

	if (err)
		panic("vm: cannot map kernel %s 0x%lx-0x%lx: %s", what, (unsigned long)va,
		      (unsigned long)end, kerr_str(err));
}

__init void vm_init(void)
{
	uint64_t root_pa;
	unsigned long wx;

	if (pmem_alloc_page(&root_pa))
		panic("vm: no page for the kernel page table");
	vm_kernel_pt = pa_to_kva(root_pa);

	vm_map_kernel_range("text", _start, _etext, PTE_R | PTE_X);
	vm_map_kernel_range("init text", __init_begin, __init_text_end, PTE_R | PTE_X);
	vm_map_kernel_range("init rodata", __init_text_end, __init_end, PTE_R);
	vm_map_kernel_range("rodata", __rodata_start, __rodata_end, PTE_R);
	/* data and bss, with the boot stack's guard page left out */
	vm_map_kernel_range("data", __data_start, __boot_stack_guard, PTE_R | PTE_W);
	vm_map_kernel_range("stack", __boot_stack_guard + PAGE_SIZE, _end, PTE_R | PTE_W);

	for (unsigned int i = 0; i < machine_dt.nmem; i++) {
		const struct dt_region *m = &machine_dt.mem[i];
		uint64_t end = MIN(m->base + m->size, DIRECT_MAP_SIZE);
		int err;

		if (m->base >= end)
			continue;
		err = vm_map_large(vm_kernel_pt, (uintptr_t)pa_to_kva(m->base), m->base,
				   end - m->base, PTE_R | PTE_W);
		if (err)
			panic("vm: cannot map memory 0x%lx-0x%lx: %s", (unsigned long)m->base,
			      (unsigned long)end - 1, kerr_str(err));
	}

	if (power_finisher_pa() && power_finisher_pa() < DIRECT_MAP_SIZE &&
	    vm_map(vm_kernel_pt, (uintptr_t)pa_to_kva(ALIGN_DOWN(power_finisher_pa(), PAGE_SIZE)),
		   ALIGN_DOWN(power_finisher_pa(), PAGE_SIZE), PAGE_SIZE, PTE_R | PTE_W))
		pr_warn("vm: cannot map the test finisher at 0x%lx\n",
			(unsigned long)power_finisher_pa());

	wx = vm_count_wx(vm_kernel_pt);
	if (wx)
		panic("vm: %lu kernel mappings are writable and executable", wx);
	vm_init_hart();
	pr_info("vm: Sv39 kernel at 0x%lx: text RX %lu KiB, rodata R %lu KiB, data RW %lu KiB, "
		"guard 0x%lx; no W+X\n",
		KERNEL_VBASE, (unsigned long)(_etext - _start) / KiB,
		(unsigned long)(__rodata_end - __rodata_start) / KiB,
		(unsigned long)(_end - __data_start) / KiB, (unsigned long)__boot_stack_guard);
}

void vm_init_hart(void)
{
	/* Order the table writes before the walker may read them (4.2.1). */
	riscv_sfence_vma();
	csr_write(satp, SATP_MODE_SV39 | (kva_to_pa(vm_kernel_pt) >> PAGE_SHIFT));
	riscv_sfence_vma();
}

/*
 * vm.h - Sv39 page tables and the kernel's address space.
 *
 * The kernel map: text RX, rodata R, data and bss RW, each boot stack
 * above an unmapped guard page, and all RAM RW at DIRECT_MAP_BASE + pa.
 * No mapping is both writable and executable.
 */
#ifndef KEEL_VM_H
#define KEEL_VM_H

#include "keel.h"

typedef uint64_t pte_t;

/* Boot hart, once, after pmem_init(): build the kernel map and switch to it. */
__init void vm_init(void);
/* Any hart: load the kernel map into satp (secondaries, after vm_init). */
void vm_init_hart(void);

/* Map [va, va + size) to pa with PTE_R/W/X bits @perm, in 4 KiB pages. */
int __must_check vm_map(pte_t *root, uintptr_t va, uint64_t pa, uint64_t size, unsigned long perm);
/*
 * Map one 4 KiB page at @va to @pa; *@tables is how many page tables it
 * made on the way (kept even on an error; at most SV39_LEVELS - 1).
 */
int __must_check vm_map_page(pte_t *root, uintptr_t va, uint64_t pa, unsigned long perm,
			     unsigned int *tables);
/* Remove the 4 KiB mappings of [va, va + size); the caller flushes TLBs. */
int __must_check vm_unmap(pte_t *root, uintptr_t va, uint64_t size);
/*
 * User half only: free the page tables under @root that map nothing any
 * more in the tables covering [va, va + size), and clear their entries;
 * how many were freed. The caller flushes the whole ASID if any were
 * (privileged spec 4.2.1: non-leaf entries need sfence.vma with rs1 = x0).
 */
unsigned long vm_prune(pte_t *root, uintptr_t va, uint64_t size);
/*
 * The lowest @size-byte range in [lo, hi) where @root maps nothing,
 * with an unmapped page on each side (a guard between mappings): 0 and
 * *@va, or -KEEL_ENOMEM. Skips untabled 1 GiB and 2 MiB spans whole.
 */
int __must_check vm_find_gap(pte_t *root, uintptr_t lo, uintptr_t hi, uint64_t size, uintptr_t *va);
/* A kernel VA that nothing else maps, for the self-tests. */
#define VM_TEST_VA (KSTACK_BASE + (uintptr_t)(KSTACK_SLOTS + 1) * KSTACK_SLOT)
/* A kernel VA for one device page at a time (object/mem.c, under its lock). */
#define VM_IO_VA (KSTACK_BASE + (uintptr_t)(KSTACK_SLOTS + 2) * KSTACK_SLOT)

/* The leaf PTE mapping @va in @root (NULL = the kernel map), or 0. */
pte_t vm_lookup(pte_t *root, uintptr_t va);
/* Count leaf mappings that are W and X at once (the answer must be 0). */
unsigned long vm_count_wx(pte_t *root);
/*
 * Kernel stacks of the secondaries and kernel threads: KSTACK_SIZE each,
 * in slots of KSTACK_SLOT at KSTACK_BASE, the lowest page of each slot an
 * unmapped guard. The region is the root-table slot after the direct map.
 */
#define KSTACK_BASE  (DIRECT_MAP_BASE + DIRECT_MAP_SIZE)
#define KSTACK_SIZE  (16 * KiB)
#define KSTACK_SLOT  (32 * KiB)
#define KSTACK_SLOTS 16384 /* 512 MiB of the 1 GiB region; VM_TEST_VA is above */

/* Map a fresh stack into @slot; returns its lowest and one-past-top address. */
int __must_check vm_alloc_kstack(unsigned int slot, uintptr_t *lo, uintptr_t *top);
/*
 * Unmap @slot's stack and give its pages back (those mapped; any hart).
 * No TLB flush: the caller keeps the slot unused until every hart has
 * flushed it (task.c), and nothing touches a dead task's stack.
 */
void vm_free_kstack(unsigned int slot);
/* Is @va inside the guard page of a kernel stack (the boot stack's too)? */
bool vm_is_stack_guard(uintptr_t va);

/* The kernel's root table. */
pte_t *vm_kernel_root(void);

#endif

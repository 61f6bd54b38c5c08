/*
 * as.h - user address spaces: one Sv39 page table per user task, its
 * lower half the task's own, its upper half the kernel's (shared).
 */
#ifndef KEEL_AS_H
#define KEEL_AS_H

#include "keel.h"
#include "vm.h"

/* The user half of Sv39 (privileged spec 4.4.1): below bit 38. */
#define USER_TOP		0x0000004000000000UL
#define USER_MIN		0x10000UL		/* nothing at page 0 */
#define USER_STACK_TOP		(USER_TOP - PAGE_SIZE)	/* a guard page above */
#define USER_STACK_SIZE		(256 * KiB)

struct as {
	pte_t *root;			/* immutable */
	unsigned long pages;		/* user pages mapped; guarded by vm's lock */
};

/* Any task: a new, empty address space (kernel half shared), or NULL. */
struct as *as_create(void);
/* Free every user page and table, and the address space. Not the running one. */
void as_destroy(struct as *as);
/* Map fresh zeroed pages at [va, va + size) with @perm (PTE_R/W/X); PTE_U is added. */
int __must_check as_map_anon(struct as *as, uintptr_t va, uint64_t size, unsigned long perm);
/* This hart: run with @as (NULL: the kernel map alone). Flushes this hart's TLB. */
void as_activate(struct as *as);
/* The kernel-virtual address backing user @va in @as, if mapped with all of @need. */
void *as_kva(struct as *as, uintptr_t va, unsigned long need);

/* Boot hart, once (vm_init): the shared kernel-half tables must exist before any as. */
void as_init(void);

#endif

/*
 * mem.h - memory and MMIO objects and the control object (mem.c); their
 * system calls are syscall/sys_mem.c.
 */
#ifndef KEEL_MEM_H
#define KEEL_MEM_H

#include "keel.h"

struct task;

struct kobj;

#define MEM_MAX_SIZE	(16 * MiB)	/* the most one mem_create may ask */

/* @size bytes (rounded up to pages) of zeroed contiguous memory, one reference; NULL if none. */
struct kobj *mem_create(uint64_t size);
/* An MMIO window over [pa, pa + size) (page-aligned), one reference; NULL if none. */
struct kobj *mmio_create(uint64_t pa, uint64_t size);
/* A memory or MMIO object's physical base and size (page-aligned). */
uint64_t mem_obj_pa(struct kobj *o);
uint64_t mem_obj_size(struct kobj *o);
/*
 * The current task's memory handle @h (it needs KEEL_R_MAP_READ): where
 * the kernel reads its bytes, and how many. Valid while the handle is
 * open (only the task can close it).
 */
int __must_check mem_object_data(long h, const void **data, uint64_t *size);
/*
 * Before init (@t) first runs: the control object with every right in
 * slot KEEL_H_INIT_CONTROL and a read-only copy of the device tree in
 * KEEL_H_INIT_FDT.
 */
int __must_check mem_give_init(struct task *t);

#endif

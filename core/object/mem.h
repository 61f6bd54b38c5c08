/*
 * mem.h - memory and MMIO objects and the control object (mem.c); their
 * system calls are syscall/sys_mem.c.
 */
#ifndef KEEL_MEM_H
#define KEEL_MEM_H

#include "keel.h"

struct task;
struct quota;
struct kobj;

#define MEM_MAX_SIZE (16 * MiB) /* the most one mem_create may ask */

/*
 * @size bytes (rounded up to pages) of zeroed contiguous memory in *@out,
 * one reference, charged to @q (one object, its pages) until it is
 * freed. -KEEL_ENOMEM (no memory, or over @q's page limit), -KEEL_EAGAIN
 * (over @q's object limit).
 */
int __must_check mem_create(uint64_t size, struct quota *q, struct kobj **out);
/* An MMIO window over [pa, pa + size) (page-aligned), as mem_create() (one object, no pages). */
int __must_check mmio_create(uint64_t pa, uint64_t size, struct quota *q, struct kobj **out);
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

/*
 * mem.h - memory and MMIO objects, the control object, and their system
 * calls (mem.c).
 */
#ifndef KEEL_MEM_H
#define KEEL_MEM_H

#include "keel.h"

struct task;

long sys_mmap(long h, uintptr_t va, uint64_t size, unsigned long prot);
long sys_munmap(uintptr_t va, uint64_t size);
long sys_mem_create(unsigned long size);
long sys_mem_phys(long h);
/*
 * The current task's memory handle @h (it needs KEEL_R_MAP_READ): where
 * the kernel reads its bytes, and how many. Valid while the handle is
 * open (only the task can close it).
 */
int __must_check mem_object_data(long h, const void **data, uint64_t *size);
long sys_mmio_create(long ctl, uint64_t pa, uint64_t size);
/*
 * Before init (@t) first runs: the control object with every right in
 * slot KEEL_H_INIT_CONTROL and a read-only copy of the device tree in
 * KEEL_H_INIT_FDT.
 */
int __must_check mem_give_init(struct task *t);

#endif

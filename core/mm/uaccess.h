/*
 * uaccess.h - reading and writing the current task's user memory.
 *
 * Every byte is checked against the task's page table (user, readable or
 * writable as needed) and copied through the direct map, so a bad
 * pointer is an error for the caller, never a fault in the kernel.
 */
#ifndef KEEL_UACCESS_H
#define KEEL_UACCESS_H

#include "keel.h"

struct as;

int __must_check copy_from_user(struct as *as, void *dst, uintptr_t src, size_t n);
int __must_check copy_to_user(struct as *as, uintptr_t dst, const void *src, size_t n);
/* Copy a NUL-terminated string of at most @max - 1 bytes; its length, or <0. */
long __must_check strncpy_from_user(struct as *as, char *dst, uintptr_t src, size_t max);

#endif

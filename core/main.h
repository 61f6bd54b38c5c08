/*
 * main.h - the core's entry from boot/entry.S.
 */
#ifndef KEEL_MAIN_H
#define KEEL_MAIN_H

#include "keel.h"

struct cpu;

/* The boot hart, from boot/entry.S with the MMU on. */
__init __attribute__((noreturn)) void core_main(unsigned long boot_hartid, unsigned long fdt_pa);
/* Set once kernel_init() has unmapped the boot-only sections (keel/init.h). */
extern bool core_init_freed;
/* Every other hart, from boot/entry.S's secondary_entry. */
__attribute__((noreturn)) void secondary_main(struct cpu *c);

#endif

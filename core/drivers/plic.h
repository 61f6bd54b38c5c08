/*
 * plic.h - the platform-level interrupt controller and IRQ objects (plic.c).
 */
#ifndef KEEL_PLIC_H
#define KEEL_PLIC_H

#include "keel.h"

/* Boot hart, after smp_map_init() and as_init(): find, map and quiet the PLIC. */
void plic_init(void);
/* Every hart as it comes up: its context's threshold; the boot hart enables SEIE. */
void plic_init_hart(void);
/* A supervisor external interrupt: claim, and signal the bound notifications. */
void plic_interrupt(void);
/* Does [pa, pa + size) touch the PLIC's registers? */
bool plic_overlaps(uint64_t pa, uint64_t size);

long sys_irq_create(long ctl, unsigned long source, long notif_h, unsigned long bits);
long sys_irq_ack(long h);

#endif

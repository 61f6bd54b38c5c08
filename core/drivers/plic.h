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

struct kobj;
/*
 * An IRQ object binding PLIC @source to notification @n (signalled with
 * @bits; the object takes its own reference to @n) in *@out, with one
 * reference. -KEEL_ENOTSUP, -KEEL_ERANGE, -KEEL_EBUSY or -KEEL_ENOMEM.
 */
long __must_check plic_irq_create(struct kobj *n, unsigned long source, unsigned long bits,
				  struct kobj **out);
/* Complete IRQ object @o's open claim, if any. */
void plic_irq_ack(struct kobj *o);

#endif

/*
 * plic.h - the platform-level interrupt controller (plic.c).
 */
#ifndef KEEL_PLIC_H
#define KEEL_PLIC_H

#include "keel.h"

/* Boot hart, after smp_map_init() and as_init(): find, map and quiet the PLIC. */
__init void plic_init(void);
/* Every hart as it comes up: its context's threshold; the boot hart enables SEIE. */
void plic_init_hart(void);
/* A supervisor external interrupt: claim, and signal the bound notifications. */
void plic_interrupt(void);
/* Does [pa, pa + size) touch the PLIC's registers? */
bool plic_overlaps(uint64_t pa, uint64_t size);

/* What runs when @source fires (plic_lock held, interrupts off); the claim stays open. */
typedef void (*plic_handler_t)(void *arg, unsigned int source);
/*
 * Route @source to @fn and enable it. -KEEL_ENOTSUP (no PLIC),
 * -KEEL_ERANGE (no such source), -KEEL_EBUSY (attached already).
 */
int __must_check plic_attach(unsigned int source, plic_handler_t fn, void *arg);
/* Disable @source, complete an open claim, forget its handler. */
void plic_detach(unsigned int source);
/* Complete @source's open claim, if any, so it may interrupt again. */
/* End @source's open claim; from a hart it may take interrupts on, move @source there. */
void plic_complete(unsigned int source);
/* Before and after @cpu goes offline: its sources move to cpu 0. */
void plic_cpu_offline(unsigned int cpu);
/* The hartid whose context @source is enabled on (tests, logs). */
unsigned long plic_source_hart(unsigned int source);

#endif

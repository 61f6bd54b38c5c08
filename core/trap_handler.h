/*
 * trap_handler.h - installing the trap vector and routing traps
 * (trap_handler.c). The frame is arch/trap.h.
 */
#ifndef KEEL_TRAP_HANDLER_H
#define KEEL_TRAP_HANDLER_H

#include "keel.h"

struct trap_frame;

/* Every hart: install the vector and enable the interrupts Keel takes. */
void trap_init_hart(void);
/* From arch/trap_entry.S, with the saved frame. */
void trap_handler(struct trap_frame *tf);
/* Boot hart, once: what the idle loop calls after wfi. */
__init void trap_init(void);

#endif

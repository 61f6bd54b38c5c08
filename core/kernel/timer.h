/*
 * timer.h - the per-hart tick, from Sstc's stimecmp when the hart has it,
 * else the SBI TIME extension.
 */
#ifndef KEEL_TIMER_H
#define KEEL_TIMER_H

#include "keel.h"

/* Boot hart, once: Sstc or SBI TIME, and the tick's length from timer.hz=. */
__init void timer_init(void);
/* Every hart: the boot hart ticks at cmdline.timer_hz; secondaries start tickless. */
void timer_init_hart(void);
/* This hart: tick, or stop ticking (an idle hart needs no tick). */
void timer_tick_start(void);
void timer_tick_stop(void);
/* From trap_handler(): count the tick, arm the next one. */
void timer_interrupt(void);
uint64_t timer_ticks(void);
/* This hart: re-arm for the next tick or timed wake-up, whichever is first. */
void timer_reprogram(void);
unsigned int timer_hz(void);
/* Time CSR ticks per second (the DT timebase). */
uint32_t timer_timebase(void);
bool timer_uses_sstc(void);

#endif

/*
 * timer.c - the tick and timed wake-ups.
 *
 * Each hart programs its own next deadline: stimecmp directly when the
 * ISA string lists Sstc (the firmware enables menvcfg.STCE), otherwise
 * through SBI set_timer, which traps to M-mode. The deadline is the
 * earlier of the next tick (only while the hart runs a task: an idle
 * hart is tickless) and the earliest timed wait on the hart. The rate is
 * timer.hz= (default 100) against the DT timebase-frequency.
 */
#include "timer.h"
#include "platform/cmdline.h"
#include "arch/cpu.h"
#include "lib/log.h"
#include "platform/machine.h"
#include "lib/panic.h"
#include "arch/riscv.h"
#include "sched.h"
#include "lib/spinlock.h"
#include "sbi/sbi.h"

static bool timer_sstc;		/* immutable after the boot hart's init */
static uint64_t timer_interval; /* time ticks per tick; immutable after boot */

static void timer_arm(uint64_t when)
{
	if (timer_sstc)
		csr_write(stimecmp, when);
	else
		sbi_set_timer(when);
}

/* This hart: arm for the earlier of the next tick and the next timed wake-up. */
void timer_reprogram(void)
{
	struct cpu *c = this_cpu();
	uint64_t when = c->tick_on ? c->next_tick : UINT64_MAX;
	uint64_t wake = c->idle ? sched_next_timeout() : UINT64_MAX;

	if (wake < when)
		when = wake;
	if (when != c->timer_deadline) {
		c->timer_deadline = when;
		timer_arm(when);
	}
}

__init void timer_init(void)
{
	struct dt_hart h;

	timer_sstc = machine_find_hart(this_cpu()->hartid, &h) && h.sstc;
	timer_interval = machine_dt.timebase_hz / cmdline.timer_hz;
	spin_warn_ticks = machine_dt.timebase_hz; /* a second */
	if (!timer_interval)
		panic("timer: timer.hz=%u is faster than the %u Hz timebase", cmdline.timer_hz,
		      machine_dt.timebase_hz);
	pr_info("timer: %u Hz tick through %s, timebase %u Hz\n", cmdline.timer_hz,
		timer_sstc ? "Sstc (stimecmp)" : "SBI TIME", machine_dt.timebase_hz);
}

void timer_init_hart(void)
{
	struct cpu *c = this_cpu();

	/* A deadline that never comes also clears a stale stimecmp. */
	c->timer_deadline = UINT64_MAX;
	timer_arm(UINT64_MAX);
	csr_set(sie, SIE_STIE);
	if (c->id == 0)
		timer_tick_start();
}

void timer_tick_start(void)
{
	struct cpu *c = this_cpu();

	c->tick_on = true;
	c->next_tick = riscv_rdtime() + timer_interval;
	timer_reprogram();
}

void timer_tick_stop(void)
{
	this_cpu()->tick_on = false;
	timer_reprogram();
}

void timer_interrupt(void)
{
	struct cpu *c = this_cpu();
	uint64_t now = riscv_rdtime();

	/*
	 * This deadline fired and stays pending until stimecmp is written
	 * again: force timer_reprogram() to write it, even with "never".
	 */
	c->timer_deadline = 0;
	if (c->tick_on && now >= c->next_tick) {
		c->ticks++;
		/* Skip deadlines already past (a slow host) rather than storm. */
		do
			c->next_tick += timer_interval;
		while (c->next_tick <= now);
		if (c->idle)
			sched_tick();
	}
	if (c->idle)
		sched_timeouts();
	timer_reprogram();
}

uint64_t timer_ticks(void)
{
	return this_cpu()->ticks;
}

uint32_t timer_timebase(void)
{
	return machine_dt.timebase_hz;
}

unsigned int timer_hz(void)
{
	return cmdline.timer_hz;
}

bool timer_uses_sstc(void)
{
	return timer_sstc;
}

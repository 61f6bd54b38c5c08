/*
 * timer.c - the tick.
 *
 * Each hart programs its own next deadline: stimecmp directly when the
 * ISA string lists Sstc (the firmware enables menvcfg.STCE), otherwise
 * through SBI set_timer, which traps to M-mode. The rate is timer.hz=
 * (default 100) against the DT timebase-frequency.
 */
#include "timer.h"
#include "cmdline.h"
#include "cpu.h"
#include "log.h"
#include "machine.h"
#include "panic.h"
#include "riscv.h"
#include "../sbi/sbi.h"

static bool timer_sstc;			/* immutable after the boot hart's init */
static uint64_t timer_interval;		/* time ticks per tick; immutable after boot */

static void timer_arm(uint64_t when)
{
	if (timer_sstc)
		csr_write(stimecmp, when);
	else
		sbi_set_timer(when);
}

void timer_init_hart(void)
{
	struct cpu *c = this_cpu();

	if (c->id == 0) {
		const struct dt_hart *h = machine_find_hart(c->hartid);

		timer_sstc = h && h->sstc;
		timer_interval = machine_dt.timebase_hz / cmdline.timer_hz;
		if (!timer_interval)
			panic("timer: timer.hz=%u is faster than the %u Hz timebase",
			      cmdline.timer_hz, machine_dt.timebase_hz);
		pr_info("timer: %u Hz tick through %s, timebase %u Hz\n", cmdline.timer_hz,
			timer_sstc ? "Sstc (stimecmp)" : "SBI TIME", machine_dt.timebase_hz);
	}
	csr_set(sie, SIE_STIE);
	if (c->id == 0) {
		timer_tick_start();
		return;
	}
	/*
	 * Secondaries idle tickless: with nothing to run they need no tick,
	 * and 128 emulated harts ticking for nothing slow the whole machine.
	 * A deadline that never comes also clears a stale stimecmp.
	 */
	timer_arm(UINT64_MAX);
}

void timer_tick_start(void)
{
	struct cpu *c = this_cpu();

	c->tick_on = true;
	c->next_tick = riscv_rdtime() + timer_interval;
	timer_arm(c->next_tick);
}

void timer_tick_stop(void)
{
	this_cpu()->tick_on = false;
	timer_arm(UINT64_MAX);
}

void timer_interrupt(void)
{
	struct cpu *c = this_cpu();
	uint64_t now = riscv_rdtime();

	c->ticks++;
	if (!c->tick_on) {
		timer_arm(UINT64_MAX);
		return;
	}
	/* Skip deadlines already past (a slow host) rather than storm. */
	do
		c->next_tick += timer_interval;
	while (c->next_tick <= now);
	timer_arm(c->next_tick);
}

uint64_t timer_ticks(void)
{
	return this_cpu()->ticks;
}

uint32_t timer_timebase(void)
{
	return machine_dt.timebase_hz;
}

bool timer_uses_sstc(void)
{
	return timer_sstc;
}

/*
 * ratelimit.c - a burst of RATELIMIT_BURST lines, then one per
 * RATELIMIT_INTERVAL_US, per source (Linux's ___ratelimit() keeps a
 * window instead; a bucket that refills one token per interval gives the
 * same burst and a steady rate without a cliff at the window's end).
 *
 * Locking: ratelimit_lock serialises log_ratelimit() on every bucket
 * (a task's bucket may be charged from another hart: its parent's
 * report of it). Taken with interrupts off, like log_lock, which it
 * nests outside of.
 */
#include "ratelimit.h"
#include "log.h"
#include "spinlock.h"

static struct spinlock ratelimit_lock = SPINLOCK_INIT;

bool ratelimit_take(struct ratelimit *rl, uint64_t now_us, unsigned int *missed)
{
	uint64_t back;

	/* Tokens come back one per interval since the last came back. */
	if (rl->used && now_us > rl->stamp_us) {
		back = (now_us - rl->stamp_us) / RATELIMIT_INTERVAL_US;
		if (back >= rl->used) {
			rl->used = 0;
		} else {
			rl->used -= (unsigned int)back;
			rl->stamp_us += back * RATELIMIT_INTERVAL_US;
		}
	}
	if (!rl->used)
		rl->stamp_us = now_us; /* a full bucket starts its clock now */
	if (rl->used >= RATELIMIT_BURST) {
		rl->missed++;
		return false;
	}
	rl->used++;
	*missed = rl->missed;
	rl->missed = 0;
	return true;
}

bool log_ratelimit(struct ratelimit *rl, const char *who, int pid)
{
	unsigned long flags = spin_lock_irqsave(&ratelimit_lock);
	unsigned int missed = 0;
	bool ok = ratelimit_take(rl, log_time_us(), &missed);

	spin_unlock_irqrestore(&ratelimit_lock, flags);
	if (ok && missed)
		pr_warn("%s[%d]: %u messages suppressed\n", who, pid, missed);
	return ok;
}

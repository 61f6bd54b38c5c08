/*
 * ratelimit.h - how many log lines one source may print: a burst, then
 * one a second (Linux's printk_ratelimit, as a token bucket).
 *
 * The core keeps one struct ratelimit per task (struct task's
 * log_limit) for the lines a task can make it print: refused programs,
 * fault reports, refused MMIO, kill lines. The kernel's own lines are
 * not limited. A line let through after some were dropped is preceded
 * by "<name>[<pid>]: N messages suppressed".
 */
#ifndef KEEL_RATELIMIT_H
#define KEEL_RATELIMIT_H

#include "keel.h"

#define RATELIMIT_BURST	      10      /* lines at once */
#define RATELIMIT_INTERVAL_US 1000000 /* then one per second */

/* All zero is a full burst. */
struct ratelimit {
	uint64_t stamp_us;   /* when the last token came back */
	unsigned int used;   /* tokens taken, 0..RATELIMIT_BURST */
	unsigned int missed; /* lines dropped since the last one let through */
};

/*
 * Pure: may a line go out at @now_us? True takes a token and sets
 * *@missed to the lines dropped before it (and forgets them); false
 * counts one more. The caller serialises calls on one @rl.
 */
bool ratelimit_take(struct ratelimit *rl, uint64_t now_us, unsigned int *missed);

/*
 * Any hart, any context. ratelimit_take() at the log's clock, under a
 * lock; when lines were dropped, logs "<who>[<pid>]: N messages
 * suppressed" first. True: print the line.
 */
bool log_ratelimit(struct ratelimit *rl, const char *who, int pid);

#endif

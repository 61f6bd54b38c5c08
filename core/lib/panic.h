/*
 * panic.h - the end of the line: "Kernel panic - not syncing: <reason>",
 * the log flushed, then SBI system reset with a failure reason so an
 * emulator exits non-zero. Boot steps panic; user input never does.
 */
#ifndef KEEL_PANIC_H
#define KEEL_PANIC_H

#include "keel.h"

__noreturn void panic(const char *fmt, ...) __printf(1, 2);

/* The release build names the line only: addr2line or the source has the condition. */
#if DEBUG
#define BUG_ON(cond)                                                                               \
	do {                                                                                       \
		if (cond)                                                                          \
			panic("BUG at %s:%d: %s", __FILE__, __LINE__, #cond);                      \
	} while (0)
#else
#define BUG_ON(cond)                                                                               \
	do {                                                                                       \
		if (cond)                                                                          \
			panic("BUG at %s:%d", __FILE__, __LINE__);                                 \
	} while (0)
#endif

#endif

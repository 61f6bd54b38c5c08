/*
 * log.h - the kernel log: timestamped lines into a ring buffer that keeps
 * the boot log, and onto the console when their level passes loglevel.
 *
 * Line format (an interface: tests match it): "[seconds.micros] text".
 */
#ifndef KEEL_LOG_H
#define KEEL_LOG_H

#include "keel.h"

/* Linux's levels: lower is more important. */
#define LOG_EMERG   0
#define LOG_ALERT   1
#define LOG_CRIT    2
#define LOG_ERR	    3
#define LOG_WARNING 4
#define LOG_NOTICE  5
#define LOG_INFO    6
#define LOG_DEBUG   7
/* Not a level: console output of a task, kept in the ring while a console server prints it. */
#define LOG_RAW 0xff

#define LOG_DEFAULT_CONSOLE 7 /* print everything but debug */
#define LOG_QUIET_CONSOLE   4 /* "quiet": errors and worse (Linux's quiet) */
#define LOG_LINE_MAX	    256

#define pr_emerg(...)  log_printf(LOG_EMERG, __VA_ARGS__)
#define pr_err(...)    log_printf(LOG_ERR, __VA_ARGS__)
#define pr_warn(...)   log_printf(LOG_WARNING, __VA_ARGS__)
#define pr_notice(...) log_printf(LOG_NOTICE, __VA_ARGS__)
#define pr_info(...)   log_printf(LOG_INFO, __VA_ARGS__)
#define pr_debug(...)  log_printf(LOG_DEBUG, __VA_ARGS__)

/* Any hart, any context. One call is one line (or several, each stamped). */
void log_printf(int level, const char *fmt, ...) __printf(2, 3);
/* Straight to the console, no stamp, no buffer, no lock: last words only. */
void log_raw_printf(const char *fmt, ...) __printf(1, 2);

/* User output: straight to the console, between whole log lines. */
void log_console_write(const char *s, size_t len);

__init void log_banner(void);
/* Timestamps need the DT timebase; lines logged before it are held, then printed. */
__init void log_set_timebase(uint32_t hz);
/*
 * Task @pid takes the console (@on) or gives it back: while it has it,
 * the core prints nothing and the task prints the log from dmesg. The
 * first line it must print, or -KEEL_EBUSY if another task has it.
 */
long log_console_claim(int pid, bool on);
/* Does a task other than @pid have the console? */
bool log_console_busy(int pid);
/* The level of line @seq, or -1 if the ring no longer has it. */
int log_level(unsigned long seq);
/* Task @pid read line @seq through dmesg (it prints what it reads). */
void log_console_read(int pid, unsigned long seq);
void log_set_console_level(int level);
int log_console_level(void);
/* Microseconds since reset, from the time CSR (0 before the timebase is known). */
uint64_t log_time_us(void);
/* Print everything held back (panic path: even without a timebase). */
void log_flush(void);

/* Read line @seq of the ring (oldest kept first); for dmesg. */
unsigned long log_first_seq(void);
unsigned long log_next_seq(void);
int log_read(unsigned long seq, char *buf, size_t size);

#endif

/*
 * log.c - the kernel log ring and the console it feeds.
 *
 * Every line is kept in a ring of LOG_SLOTS fixed-size records (the
 * whole boot log fits; the oldest lines go first when it is full) with
 * its raw `time` CSR value and level. A line reaches the console when
 * its level is below the console level. Until the DT has told us the
 * timebase, lines are held and printed once it is known, so even the
 * banner carries a true timestamp.
 *
 * Locking: log_lock guards the ring and the console cursor; it is taken
 * with interrupts off, so a trap handler may log.
 */
#include <stdarg.h>

#include "log.h"
#include "fmt.h"
#include "arch/riscv.h"
#include "spinlock.h"
#include "string.h"
#include "sbi/sbi.h"

#define LOG_SLOTS 2048 /* 512 KiB: the boot log of 128 harts fits */

struct log_record {
	uint64_t ticks; /* time CSR when logged */
	uint8_t level;
	uint16_t len;
	char text[LOG_LINE_MAX - 12];
};

/* Guarded by log_lock; only [log_tail(), log_head) is read, so never cleared. */
static struct log_record log_ring[LOG_SLOTS] __noinit;
static unsigned long log_head;	  /* next seq to write; guarded by log_lock */
static unsigned long log_printed; /* next seq for the console; guarded by log_lock */
static struct spinlock log_lock = SPINLOCK_INIT;
static uint32_t log_timebase; /* 0 until the DT says; then immutable */
static int log_console = LOG_DEFAULT_CONSOLE;
/*
 * A console server (pid log_owner) may take the console over: it prints
 * the log itself from dmesg, and the core stops printing on the firmware
 * console. log_owner_seq is the next line it has yet to read; when it
 * lets go (or exits, or the core panics) the core goes on from there.
 */
static int log_owner;		    /* guarded by log_lock */
static unsigned long log_owner_seq; /* guarded by log_lock */

static unsigned long log_tail(void)
{
	return log_head > LOG_SLOTS ? log_head - LOG_SLOTS : 0;
}

static int log_format(const struct log_record *r, char *buf, size_t size)
{
	uint64_t us = log_timebase ? r->ticks * 1000000 / log_timebase : 0;

	return fmt_snprintf(buf, size, "[%5lu.%06lu] %.*s\n", (unsigned long)(us / 1000000),
			    (unsigned long)(us % 1000000), (int)r->len, r->text);
}

/* Caller holds log_lock. */
static void log_emit_pending(bool force)
{
	char line[LOG_LINE_MAX + 24];

	if (!log_timebase && !force)
		return;
	if (log_owner) {
		if (!force)
			return;
		/* A panic: the console server may never print again. */
		log_printed = MAX(log_printed, log_owner_seq);
		log_owner = 0;
	}
	if (log_printed < log_tail())
		log_printed = log_tail();
	for (; log_printed < log_head; log_printed++) {
		const struct log_record *r = &log_ring[log_printed % LOG_SLOTS];
		int n;

		if (r->level == LOG_RAW) {
			sbi_console_write(r->text, r->len);
			continue;
		}
		if (r->level >= log_console)
			continue;
		n = log_format(r, line, sizeof(line));
		sbi_console_write(line, MIN((size_t)n, sizeof(line) - 1));
	}
}

static void log_store(int level, uint64_t ticks, const char *text, size_t len)
{
	struct log_record *r = &log_ring[log_head % LOG_SLOTS];

	r->ticks = ticks;
	r->level = (uint8_t)level;
	r->len = (uint16_t)MIN(len, sizeof(r->text));
	for (size_t i = 0; i < r->len; i++)
		r->text[i] = text[i];
	log_head++;
}

void log_printf(int level, const char *fmt, ...)
{
	char buf[LOG_LINE_MAX];
	uint64_t ticks;
	unsigned long flags;
	const char *p, *nl;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = fmt_vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(buf))
		n = sizeof(buf) - 1;

	flags = spin_lock_irqsave(&log_lock);
	/* Stamped under the lock, so the ring's order is the stamps' order. */
	ticks = riscv_rdtime();
	/* One record per line of text; a trailing newline ends the last one. */
	for (p = buf; p < buf + n; p = nl + 1) {
		for (nl = p; nl < buf + n && *nl != '\n'; nl++)
			;
		log_store(level, ticks, p, (size_t)(nl - p));
	}
	log_emit_pending(false);
	spin_unlock_irqrestore(&log_lock, flags);
}

void log_raw_printf(const char *fmt, ...)
{
	char buf[LOG_LINE_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = fmt_vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	sbi_console_write(buf, MIN((size_t)n, sizeof(buf) - 1));
}

void log_console_write(const char *s, size_t len)
{
	unsigned long flags = spin_lock_irqsave(&log_lock);

	log_emit_pending(false);
	if (!log_owner) {
		sbi_console_write(s, len);
	} else {
		/* The console server prints it, in order with the kernel's lines. */
		while (len) {
			size_t n = MIN(len, sizeof(log_ring[0].text));

			log_store(LOG_RAW, riscv_rdtime(), s, n);
			s += n;
			len -= n;
		}
	}
	spin_unlock_irqrestore(&log_lock, flags);
}

__init void log_set_timebase(uint32_t hz)
{
	unsigned long flags = spin_lock_irqsave(&log_lock);

	log_timebase = hz;
	log_emit_pending(false);
	spin_unlock_irqrestore(&log_lock, flags);
}

void log_flush(void)
{
	/* Panic path: the lock may be held by the hart that faulted. */
	bool locked = spin_trylock(&log_lock);

	log_emit_pending(true);
	if (locked)
		spin_unlock(&log_lock);
}

int log_level(unsigned long seq)
{
	unsigned long flags = spin_lock_irqsave(&log_lock);
	int level = seq >= log_tail() && seq < log_head ? log_ring[seq % LOG_SLOTS].level : -1;

	spin_unlock_irqrestore(&log_lock, flags);
	return level;
}

bool log_console_busy(int pid)
{
	int owner = __atomic_load_n(&log_owner, __ATOMIC_RELAXED);

	return owner && owner != pid;
}

long log_console_claim(int pid, bool on)
{
	unsigned long flags = spin_lock_irqsave(&log_lock);
	long ret = 0;

	if (on && log_owner && log_owner != pid) {
		ret = -KEEL_EBUSY;
	} else if (on) {
		log_emit_pending(false); /* what the core owes, first */
		if (!log_owner)
			log_owner_seq = log_printed;
		log_owner = pid;
		ret = (long)log_owner_seq;
	} else if (log_owner == pid) {
		log_printed = MAX(log_printed, log_owner_seq);
		log_owner = 0;
		log_emit_pending(false);
	}
	spin_unlock_irqrestore(&log_lock, flags);
	return ret;
}

void log_console_read(int pid, unsigned long seq)
{
	unsigned long flags = spin_lock_irqsave(&log_lock);

	if (log_owner == pid && seq + 1 > log_owner_seq)
		log_owner_seq = seq + 1;
	spin_unlock_irqrestore(&log_lock, flags);
}

void log_set_console_level(int level)
{
	log_console = level;
}

int log_console_level(void)
{
	return log_console;
}

uint64_t log_time_us(void)
{
	return log_timebase ? riscv_rdtime() * 1000000 / log_timebase : 0;
}

unsigned long log_first_seq(void)
{
	return log_tail();
}

unsigned long log_next_seq(void)
{
	return log_head;
}

int log_read(unsigned long seq, char *buf, size_t size)
{
	unsigned long flags = spin_lock_irqsave(&log_lock);
	int n = -KEEL_ENOENT;

	if (seq >= log_tail() && seq < log_head) {
		const struct log_record *r = &log_ring[seq % LOG_SLOTS];

		if (r->level != LOG_RAW) {
			n = log_format(r, buf, size);
		} else {
			n = (int)MIN((size_t)r->len, size);
			memcpy(buf, r->text, (size_t)n);
		}
	}
	spin_unlock_irqrestore(&log_lock, flags);
	return n;
}

__init void log_banner(void)
{
	pr_notice("Keel version " KEEL_VERSION " (riscv64-unknown-elf-gcc " __VERSION__
		  ") SMP " __DATE__ " " __TIME__ "\n");
}

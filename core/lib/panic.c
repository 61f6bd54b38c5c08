/*
 * panic.c - stop the machine with a reason.
 *
 * Any hart, any context. The first hart to panic reports; a second panic
 * (say, from the fault of a dying hart) only parks itself.
 */
#include <stdarg.h>

#include "panic.h"
#include "fmt.h"
#include "log.h"
#include "power.h"
#include "arch/riscv.h"

static int panic_started;

void panic(const char *fmt, ...)
{
	char reason[LOG_LINE_MAX];
	va_list ap;

	csr_clear(sstatus, SSTATUS_SIE);
	if (__atomic_exchange_n(&panic_started, 1, __ATOMIC_ACQ_REL))
		for (;;)
			riscv_wfi();

	va_start(ap, fmt);
	fmt_vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	pr_emerg("Kernel panic - not syncing: %s\n", reason);
	log_flush();
	pr_emerg("---[ end Kernel panic - not syncing: %s ]---\n", reason);
	log_flush();
	power_fail();
}

/*
 * uart_args.h - a UART driver's command line, as devmgr starts it
 * (servers/lib/proto.h): <binary> <node path> reg=<pa>,<size> irq=<n>
 * [reg-shift=N] [reg-io-width=N] [clock-frequency=N] [current-speed=N]
 * [compatible=S] [console].
 *
 * Pure parsing, no system calls, so the host test (tests/uart) runs it.
 * Unknown key=value arguments are ignored (devmgr may pass more of the
 * node's properties); an unknown word or a malformed value is an error.
 */
#ifndef KEEL_UART_ARGS_H
#define KEEL_UART_ARGS_H

#include <stddef.h>
#include <stdint.h>

#include "grants.h"
#include "proto.h"
#include "uart_hw.h"

#define UART_IRQ_NONE	  KEEL_GRANT_IRQ_NONE
#define UART_IRQ_MAX	  KEEL_GRANT_IRQ_MAX
#define UART_CONSOLE_NAME "console-uart" /* servers/console looks this up */

struct uart_args {
	const char *node;	/* the device-tree path, argv[1] */
	const char *compatible; /* compatible=, or NULL */
	uint64_t pa, size;	/* reg= */
	long irq;		/* irq=, UART_IRQ_NONE without one */
	unsigned int reg_shift; /* default: 0 for the 8250 binding, 2 for SiFive */
	unsigned int io_width;	/* default: 1 for the 8250 binding, 4 for SiFive */
	uint32_t clock_hz;	/* clock-frequency=, 0 if not given */
	uint32_t baud;		/* current-speed=, 0 if not given */
	int console;		/* /chosen's stdout-path names this node */
};

/*
 * Fill @a from @argv for a UART of @kind; 0, or -1 with the reason in
 * @err (@errlen bytes, NUL-terminated).
 */
int uart_args_parse(struct uart_args *a, enum uart_kind kind, int argc, char *const argv[],
		    char *err, size_t errlen);

/*
 * The name the server registers: the node's basename ("serial@10000000"),
 * or UART_CONSOLE_NAME for the console node (the console server looks it
 * up by that name); NUL-padded to PROTO_NAME_MAX bytes, cut short if need be.
 */
void uart_args_name(const struct uart_args *a, char name[PROTO_NAME_MAX]);

/* What to call the UART in the log: compatible=, else a name from the layout. */
const char *uart_args_label(const struct uart_args *a, enum uart_kind kind);

#endif

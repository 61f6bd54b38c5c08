/*
 * uart_server.h - the console protocol server both UART drivers share.
 * main_8250.c and main_sifive.c only say which kind of UART they drive.
 */
#ifndef KEEL_UART_SERVER_H
#define KEEL_UART_SERVER_H

#include "uart_hw.h"

struct uart_variant {
	const char *name; /* the binary's name in the log: "uart-8250" */
	enum uart_kind kind;
};

/* Parse @argv, map and program the UART, report ready, serve forever; the exit status. */
int uart_server_main(const struct uart_variant *v, int argc, char **argv);

#endif

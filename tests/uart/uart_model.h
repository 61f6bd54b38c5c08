/*
 * uart_model.h - host models of the UARTs servers/uart/uart_hw.c drives,
 * for the programs built with -DUART_HOST_MODEL (uart_hw_test.c,
 * uart_server_test.c). uart_model.c has the register semantics.
 *
 * A model is set up with the layout the device tree would give (reg-shift,
 * reg-io-width) and checks every access against it, independently of
 * what the driver was told. Each broken rule goes to
 * uart_model_violation(), which the test program defines (and which
 * fails the running case).
 */
#ifndef KEEL_UART_MODEL_H
#define KEEL_UART_MODEL_H

#include <stdint.h>

#include "uart_hw.h"

#define MODEL_LOG_MAX  8192  /* accesses kept; more are counted */
#define MODEL_FIFO_MAX 64    /* RX bytes a test can queue at once */
#define MODEL_TX_MAX   16384 /* transmitted bytes kept */

struct model_access {
	char rw;	    /* 'R' or 'W' */
	unsigned long off;  /* bytes from base */
	unsigned int width; /* bytes */
	uint32_t val;	    /* written, or returned */
};

struct uart_model {
	enum uart_kind kind;
	int dw;			   /* DesignWare: USR exists, LCR writes can be dropped */
	unsigned int shift, width; /* what the device tree says */
	uintptr_t base;		   /* with check_base: the address the driver must use */
	int check_base;

	/* 16550 */
	uint8_t ier, lcr, mcr, scr, dll, dlm, fcr, msr;
	int thr_empty_never; /* LSR.THRE and TEMT stay 0 */
	int busy_drops;	     /* DW: LCR writes still to drop */
	int busy_irq;	     /* DW: busy detect pending until USR is read */
	int thri;	     /* THRE interrupt pending (cleared by reading IIR) */
	int lsr_error;	     /* a line-status interrupt pending */

	/* SiFive */
	uint32_t txctrl, rxctrl, ie, div;
	int tx_full; /* txdata reads full, forever */

	/* both */
	uint8_t rx[MODEL_FIFO_MAX];
	int rx_head, rx_n;
	uint8_t tx[MODEL_TX_MAX];
	int tx_n;

	struct model_access log[MODEL_LOG_MAX];
	long n_access; /* every access, also those past MODEL_LOG_MAX */
	int violations;
	int quiet; /* a case that expects violations counts them silently */
};

/* The one UART the driver talks to. */
extern struct uart_model model;

/* Power on a UART of this kind and layout: empty FIFOs, 8N1, divisor 1. */
void model_reset(enum uart_kind kind, int dw, unsigned int shift, unsigned int width);
void model_ns16550a(void);     /* QEMU virt: shift 0, 8-bit */
void model_dw_apb_uart(void);  /* JH7110/JH7100: shift 2, 32-bit, USR, busy detect */
void model_sifive_uart0(void); /* QEMU sifive_u */

/* Bytes arrive on the wire (at most MODEL_FIFO_MAX waiting). */
void model_rx_push(const char *s);
void model_rx_push_bytes(const void *p, size_t n);

/* Defined by the test program: a rule broken (unless model.quiet). */
void uart_model_violation(const char *msg);

#endif

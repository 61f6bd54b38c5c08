/*
 * uart_hw.h - the registers of the UARTs Keel's console drivers drive,
 * and the few operations the servers need from them.
 *
 * Two families:
 *   - the 8250/16550 (ns16550a, ns16550 on QEMU virt) and its DesignWare
 *     APB cousin (snps,dw-apb-uart on StarFive JH7110/JH7100): eight
 *     byte-sized registers, register i at base + (i << reg-shift), each
 *     accessed reg-io-width bytes wide (the DesignWare UART answers 32-bit
 *     accesses only: reg-shift 2, reg-io-width 4);
 *   - the SiFive UART (sifive,uart0 on QEMU sifive_u, FU540/FU740): seven
 *     32-bit registers 4 bytes apart, i.e. reg-shift 2, io-width 4.
 *
 * Every register access goes through one reader and one writer in
 * uart_hw.c. Built with -DUART_HOST_MODEL they call uart_model_read() and
 * uart_model_write() instead of touching memory, which a host test
 * provides (tests/uart/uart_model.c checks each access against a model).
 *
 * Nothing here blocks for long: putc gives up after a bounded number of
 * status reads, getc never waits. Not thread-safe: one server owns a UART.
 * The IPC side (console protocol, IRQs) is servers/uart/uart_server.c.
 */
#ifndef KEEL_UART_HW_H
#define KEEL_UART_HW_H

#include <stdint.h>

/*
 * 16550 register indices and bits: TI PC16550D datasheet, table 2
 * ("Summary of Accessible Registers"); names as Linux's serial_reg.h.
 */
#define UART_RBR 0 /* in: receive buffer (DLAB = 0) */
#define UART_THR 0 /* out: transmit holding (DLAB = 0) */
#define UART_DLL 0 /* divisor latch, low byte (DLAB = 1) */
#define UART_IER 1 /* interrupt enable (DLAB = 0) */
#define UART_DLM 1 /* divisor latch, high byte (DLAB = 1) */
#define UART_IIR 2 /* in: interrupt identification */
#define UART_FCR 2 /* out: FIFO control */
#define UART_LCR 3 /* line control */
#define UART_MCR 4 /* modem control */
#define UART_LSR 5 /* line status */
#define UART_MSR 6 /* modem status */
#define UART_SCR 7 /* scratch */

#define UART_IER_RDI 0x01 /* received data available (and RX timeout) */

#define UART_IIR_NO_INT	    0x01 /* nothing pending */
#define UART_IIR_ID	    0x0f /* the interrupt-identification bits */
#define UART_IIR_MSI	    0x00 /* modem status */
#define UART_IIR_THRI	    0x02 /* transmitter holding register empty */
#define UART_IIR_RDI	    0x04 /* received data available */
#define UART_IIR_RLSI	    0x06 /* receiver line status */
#define UART_IIR_BUSY	    0x07 /* DesignWare only: LCR written while busy */
#define UART_IIR_RX_TIMEOUT 0x0c /* characters wait in the RX FIFO */

#define UART_FCR_ENABLE_FIFO 0x01
#define UART_FCR_CLEAR_RCVR  0x02
#define UART_FCR_CLEAR_XMIT  0x04
/* Trigger level bits 7:6 = 00: the RX interrupt comes with the first byte. */
#define UART_FCR_INIT (UART_FCR_ENABLE_FIFO | UART_FCR_CLEAR_RCVR | UART_FCR_CLEAR_XMIT)

#define UART_LCR_WLEN8 0x03 /* 8 data bits; no parity, 1 stop bit: 8N1 */
#define UART_LCR_DLAB  0x80 /* divisor latch access */

#define UART_MCR_DTR  0x01
#define UART_MCR_RTS  0x02
#define UART_MCR_OUT2 0x08 /* gates the IRQ line on PC-style boards */
#define UART_MCR_INIT (UART_MCR_DTR | UART_MCR_RTS | UART_MCR_OUT2)

#define UART_LSR_DR   0x01 /* a received byte waits in RBR */
#define UART_LSR_THRE 0x20 /* THR (the TX FIFO) is empty */
#define UART_LSR_TEMT 0x40 /* THR and the shift register are empty */

/*
 * DesignWare DW_apb_uart databook: the UART status register. Reading it
 * clears a busy-detect interrupt (IIR = UART_IIR_BUSY), raised when LCR
 * is written while the UART is busy (the write is dropped). Index 0x1f,
 * i.e. offset 0x7c with reg-shift 2. Plain 16550s have no such register:
 * uart_hw.c reads it only when the UART shows a DesignWare-only state.
 */
#define DW_UART_USR	 0x1f
#define DW_UART_USR_BUSY 0x01

/*
 * SiFive UART: SiFive FU540-C000 manual, chapter 13 "Universal
 * Asynchronous Receiver/Transmitter". Register indices (offset / 4).
 */
#define SIFIVE_UART_TXDATA 0 /* write a byte; read: bit 31 = TX FIFO full */
#define SIFIVE_UART_RXDATA 1 /* read: a byte, or bit 31 = RX FIFO empty */
#define SIFIVE_UART_TXCTRL 2
#define SIFIVE_UART_RXCTRL 3
#define SIFIVE_UART_IE	   4
#define SIFIVE_UART_IP	   5
#define SIFIVE_UART_DIV	   6 /* f_baud = f_in / (div + 1) */

#define SIFIVE_UART_TXDATA_FULL	 (1U << 31)
#define SIFIVE_UART_RXDATA_EMPTY (1U << 31)
#define SIFIVE_UART_RXDATA_DATA	 0xffU
#define SIFIVE_UART_TXCTRL_TXEN	 0x1U /* nstop (bit 1) = 0: one stop bit */
#define SIFIVE_UART_RXCTRL_RXEN	 0x1U /* rxcnt (bits 18:16) = 0: rxwm at >= 1 byte */
#define SIFIVE_UART_IP_TXWM	 0x1U
#define SIFIVE_UART_IP_RXWM	 0x2U /* the same bits in IE */
#define SIFIVE_UART_DIV_MAX	 0xffffU

#define SIFIVE_UART_SHIFT 2
#define SIFIVE_UART_WIDTH 4

/* How many status reads putc spends waiting for room before it gives up. */
#define UART_TX_SPINS 1000000UL
/* How often a dropped LCR write (DesignWare, busy) is tried again. */
#define UART_LCR_TRIES 100

enum uart_kind {
	UART_KIND_8250, /* 16550 and DesignWare 8250 */
	UART_KIND_SIFIVE,
};

struct uart {
	uintptr_t base; /* virtual address of register 0 */
	enum uart_kind kind;
	unsigned int reg_shift; /* register i is at base + (i << reg_shift) */
	unsigned int io_width;	/* bytes per access: 1 or 4 */
	uint32_t clock_hz;	/* input clock, 0 if unknown */
	uint32_t baud;		/* 0: keep the divisor the firmware set */
	unsigned long tx_spins; /* putc's bound, UART_TX_SPINS by default */
	int tx_stuck;		/* putc gave up: the next one looks only once */
};

/*
 * Fill @u for a UART of @kind at @base with the device tree's reg-shift
 * and reg-io-width; 0, or -KEEL_EINVAL for a layout the kind cannot have.
 */
int uart_setup(struct uart *u, enum uart_kind kind, uintptr_t base, unsigned int reg_shift,
	       unsigned int io_width);

/* The bytes of register window the UART of @u needs from base. */
unsigned long uart_span(const struct uart *u);

/*
 * Program 8N1 with the FIFOs on and every interrupt off; set the divisor
 * only if clock_hz and baud are both known. 0, -KEEL_ERANGE for a baud
 * rate the clock cannot make, -KEEL_EBUSY if a DesignWare UART stayed busy.
 */
int uart_init(struct uart *u);

/* Send @c; 0, or -KEEL_ETIMEDOUT if the transmitter never had room. */
int uart_putc(struct uart *u, uint8_t c);

/* A received byte, or -1 if none waits. Never blocks. */
int uart_getc(struct uart *u);

/* Turn the receive interrupt on (@on = 1) or off. */
void uart_rx_irq(struct uart *u, int on);

/*
 * After an interrupt: 1 if it is (also) for received data, else 0. Clears
 * what else the UART raised (a DesignWare busy detect, line status).
 */
int uart_rx_irq_pending(struct uart *u);

#ifdef UART_HOST_MODEL
/* Provided by the host test: one access of @width bytes at byte @offset from base. */
uint32_t uart_model_read(const struct uart *u, unsigned long offset, unsigned int width);
void uart_model_write(const struct uart *u, unsigned long offset, unsigned int width,
		      uint32_t value);
#endif

#endif

/*
 * uart_hw.c - register access for the 8250/16550 family (DesignWare
 * included) and the SiFive UART; the interface and the register names are
 * in uart_hw.h.
 *
 * Invariants: every access goes through uart_read() / uart_write(), which
 * turn a register index into base + (index << reg_shift) and access
 * exactly io_width bytes there (the DesignWare UART answers nothing but
 * 32-bit accesses). No loop here is unbounded: waits count status reads
 * (UART_TX_SPINS) and retries count tries (UART_LCR_TRIES).
 *
 * The DesignWare-only USR register is read only after the UART showed a
 * DesignWare-only state (an LCR write that did not stick, IIR = busy
 * detect), so the same code drives a plain 16550 that has no USR.
 */
#include "uart_hw.h"

#include "keel/syscall.h"

#ifndef UART_HOST_MODEL
/*
 * RVWMO orders accesses to different I/O addresses only through a fence
 * (unprivileged spec, "Memory Ordering PMAs" and FENCE): make each
 * register access complete before the next one starts.
 */
static inline void uart_io_fence(void)
{
	__asm__ __volatile__("fence io, io" ::: "memory");
}
#endif

static uint32_t uart_read(const struct uart *u, unsigned int reg)
{
	unsigned long off = (unsigned long)reg << u->reg_shift;
	uint32_t v;

#ifdef UART_HOST_MODEL
	v = uart_model_read(u, off, u->io_width);
#else
	if (u->io_width == 4)
		v = *(volatile uint32_t *)(u->base + off);
	else
		v = *(volatile uint8_t *)(u->base + off);
	uart_io_fence();
#endif
	return v;
}

static void uart_write(const struct uart *u, unsigned int reg, uint32_t v)
{
	unsigned long off = (unsigned long)reg << u->reg_shift;

#ifdef UART_HOST_MODEL
	uart_model_write(u, off, u->io_width, v);
#else
	if (u->io_width == 4)
		*(volatile uint32_t *)(u->base + off) = v;
	else
		*(volatile uint8_t *)(u->base + off) = (uint8_t)v;
	uart_io_fence();
#endif
}

/* 8250 registers are a byte wide; a 32-bit read's upper bits are reserved. */
static uint8_t uart8250_in(const struct uart *u, unsigned int reg)
{
	return (uint8_t)uart_read(u, reg);
}

int uart_setup(struct uart *u, enum uart_kind kind, uintptr_t base, unsigned int reg_shift,
	       unsigned int io_width)
{
	*u = (struct uart){ .base = base,
			    .kind = kind,
			    .reg_shift = reg_shift,
			    .io_width = io_width,
			    .tx_spins = UART_TX_SPINS };
	if (kind == UART_KIND_SIFIVE)
		return reg_shift == SIFIVE_UART_SHIFT && io_width == SIFIVE_UART_WIDTH
			       ? 0
			       : -KEEL_EINVAL;
	if (kind != UART_KIND_8250 || (io_width != 1 && io_width != 4))
		return -KEEL_EINVAL;
	/* Registers must not overlap: each is io_width bytes. */
	if (reg_shift > 4 || (1U << reg_shift) < io_width)
		return -KEEL_EINVAL;
	return 0;
}

unsigned long uart_span(const struct uart *u)
{
	unsigned int last = u->kind == UART_KIND_SIFIVE ? SIFIVE_UART_DIV : UART_SCR;

	return ((unsigned long)last << u->reg_shift) + u->io_width;
}

/* --- 8250 / 16550 / DesignWare ------------------------------------------- */

/*
 * Clear what a DesignWare UART raised when an LCR write found it busy:
 * reading USR clears the busy-detect interrupt; emptying both FIFOs lets
 * it go idle so the next write sticks.
 */
static void dw_clear_busy(const struct uart *u)
{
	(void)uart_read(u, DW_UART_USR);
	uart_write(u, UART_FCR, UART_FCR_INIT);
	(void)uart8250_in(u, UART_RBR);
}

/*
 * Write LCR and read it back. A 16550 always keeps the value; a busy
 * DesignWare UART (UART_16550_COMPATIBLE = NO) drops it and raises busy
 * detect, so clear that and try again, at most UART_LCR_TRIES times.
 */
static int uart8250_set_lcr(const struct uart *u, uint8_t lcr)
{
	for (int i = 0; i < UART_LCR_TRIES; i++) {
		uart_write(u, UART_LCR, lcr);
		if (uart8250_in(u, UART_LCR) == lcr)
			return 0;
		dw_clear_busy(u);
	}
	return -KEEL_EBUSY;
}

/* Wait (bounded) until everything the firmware queued has left the wire. */
static void uart8250_drain_tx(const struct uart *u)
{
	for (unsigned long i = 0; i < u->tx_spins; i++)
		if (uart8250_in(u, UART_LSR) & UART_LSR_TEMT)
			return;
}

/* The 16550 divides its clock by 16 * divisor; round to the nearest divisor. */
static int uart8250_divisor(const struct uart *u, uint32_t *div)
{
	uint64_t d = ((uint64_t)u->clock_hz + 8ULL * u->baud) / (16ULL * u->baud);

	if (d == 0 || d > 0xffff)
		return -KEEL_ERANGE;
	*div = (uint32_t)d;
	return 0;
}

static int uart8250_init(struct uart *u)
{
	uint32_t div = 0;
	int err;

	if (u->clock_hz && u->baud) {
		err = uart8250_divisor(u, &div);
		if (err)
			return err;
	}
	uart8250_drain_tx(u);
	/* LCR first: with DLAB left set by the firmware, IER would be DLM. */
	if (div) {
		err = uart8250_set_lcr(u, UART_LCR_DLAB | UART_LCR_WLEN8);
		if (err)
			return err;
		uart_write(u, UART_DLL, div & 0xff);
		uart_write(u, UART_DLM, div >> 8);
	}
	err = uart8250_set_lcr(u, UART_LCR_WLEN8);
	if (err)
		return err;
	uart_write(u, UART_IER, 0);
	uart_write(u, UART_FCR, UART_FCR_INIT);
	uart_write(u, UART_MCR, UART_MCR_INIT);
	/* Clear stale line status, a pending THRE interrupt, modem deltas. */
	(void)uart8250_in(u, UART_LSR);
	(void)uart8250_in(u, UART_IIR);
	(void)uart8250_in(u, UART_MSR);
	return 0;
}

static int uart8250_tx_ready(const struct uart *u)
{
	return uart8250_in(u, UART_LSR) & UART_LSR_THRE;
}

static int uart8250_rx_irq_pending(const struct uart *u)
{
	uint8_t iir = uart8250_in(u, UART_IIR);

	switch (iir & UART_IIR_ID) {
	case UART_IIR_RDI:
	case UART_IIR_RX_TIMEOUT:
		return 1;
	case UART_IIR_BUSY:
		(void)uart_read(u, DW_UART_USR); /* clears busy detect */
		return 0;
	case UART_IIR_RLSI:
		(void)uart8250_in(u, UART_LSR); /* clears line status */
		return 0;
	case UART_IIR_MSI:
		(void)uart8250_in(u, UART_MSR); /* clears modem status */
		return 0;
	default:
		return 0; /* none, or THRI: reading IIR cleared it */
	}
}

/* --- SiFive ---------------------------------------------------------------- */

/* f_baud = f_in / (div + 1); round to the nearest. */
static int sifive_divisor(const struct uart *u, uint32_t *div)
{
	uint64_t d = ((uint64_t)u->clock_hz + u->baud / 2) / u->baud;

	if (d < 1 || d - 1 > SIFIVE_UART_DIV_MAX)
		return -KEEL_ERANGE;
	*div = (uint32_t)(d - 1);
	return 0;
}

static int sifive_init(struct uart *u)
{
	uint32_t div = 0;
	int err;

	if (u->clock_hz && u->baud) {
		err = sifive_divisor(u, &div);
		if (err)
			return err;
	}
	uart_write(u, SIFIVE_UART_IE, 0);
	if (u->clock_hz && u->baud)
		uart_write(u, SIFIVE_UART_DIV, div);
	/* Always 8 data bits, no parity; the FIFOs are always on. */
	uart_write(u, SIFIVE_UART_TXCTRL, SIFIVE_UART_TXCTRL_TXEN);
	uart_write(u, SIFIVE_UART_RXCTRL, SIFIVE_UART_RXCTRL_RXEN);
	return 0;
}

/* --- both -------------------------------------------------------------------- */

int uart_init(struct uart *u)
{
	u->tx_stuck = 0;
	return u->kind == UART_KIND_SIFIVE ? sifive_init(u) : uart8250_init(u);
}

static int uart_tx_ready(const struct uart *u)
{
	if (u->kind == UART_KIND_SIFIVE)
		return !(uart_read(u, SIFIVE_UART_TXDATA) & SIFIVE_UART_TXDATA_FULL);
	return uart8250_tx_ready(u);
}

int uart_putc(struct uart *u, uint8_t c)
{
	/* Once a wait has timed out, look once: a dead UART costs no more. */
	unsigned long spins = u->tx_stuck ? 1 : u->tx_spins;
	unsigned long i;

	for (i = 0; i < spins; i++)
		if (uart_tx_ready(u))
			break;
	if (i == spins) {
		u->tx_stuck = 1;
		return -KEEL_ETIMEDOUT;
	}
	u->tx_stuck = 0;
	uart_write(u, u->kind == UART_KIND_SIFIVE ? SIFIVE_UART_TXDATA : UART_THR, c);
	return 0;
}

int uart_getc(struct uart *u)
{
	uint32_t v;

	if (u->kind == UART_KIND_SIFIVE) {
		/* One read both pops the FIFO and says whether it was empty. */
		v = uart_read(u, SIFIVE_UART_RXDATA);
		return v & SIFIVE_UART_RXDATA_EMPTY ? -1 : (int)(v & SIFIVE_UART_RXDATA_DATA);
	}
	if (!(uart8250_in(u, UART_LSR) & UART_LSR_DR))
		return -1;
	return uart8250_in(u, UART_RBR);
}

void uart_rx_irq(struct uart *u, int on)
{
	uint32_t ie;

	if (u->kind == UART_KIND_8250) {
		uart_write(u, UART_IER, on ? UART_IER_RDI : 0);
		return;
	}
	ie = uart_read(u, SIFIVE_UART_IE);
	ie = on ? ie | SIFIVE_UART_IP_RXWM : ie & ~SIFIVE_UART_IP_RXWM;
	uart_write(u, SIFIVE_UART_IE, ie);
}

int uart_rx_irq_pending(struct uart *u)
{
	if (u->kind == UART_KIND_SIFIVE)
		return !!(uart_read(u, SIFIVE_UART_IP) & SIFIVE_UART_IP_RXWM);
	return uart8250_rx_irq_pending(u);
}

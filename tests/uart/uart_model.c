/*
 * uart_model.c - register-level models of a 16550 (plain, as QEMU's
 * ns16550a, or DesignWare with its USR register and busy detect) and of
 * the SiFive UART, for host tests of servers/uart (uart_model.h).
 *
 * Every access is checked against the layout the model was reset with:
 * another width, an offset that is not index << reg-shift, a register the
 * UART does not have, or a write the hardware would lose (THR while not
 * empty, txdata while full or disabled) is a violation. Every access is
 * logged (byte offset, width, value, read or write) so a test can assert
 * an exact sequence. One model at a time: the global `model`.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "uart_model.h"

struct uart_model model;

void model_reset(enum uart_kind kind, int dw, unsigned int shift, unsigned int width)
{
	memset(&model, 0, sizeof(model));
	model.kind = kind;
	model.dw = dw;
	model.shift = shift;
	model.width = width;
	model.lcr = UART_LCR_WLEN8; /* as the firmware left it */
	model.dll = 1;
}

void model_ns16550a(void)
{
	model_reset(UART_KIND_8250, 0, 0, 1);
}

void model_dw_apb_uart(void)
{
	model_reset(UART_KIND_8250, 1, 2, 4);
}

void model_sifive_uart0(void)
{
	model_reset(UART_KIND_SIFIVE, 0, SIFIVE_UART_SHIFT, SIFIVE_UART_WIDTH);
}

__attribute__((format(printf, 1, 2))) static void violation(const char *fmt, ...)
{
	va_list ap;
	char buf[200];

	model.violations++;
	if (model.quiet)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	uart_model_violation(buf);
}

void model_rx_push_bytes(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++) {
		if (model.rx_n == MODEL_FIFO_MAX)
			abort(); /* the test queued more than a FIFO holds */
		model.rx[(model.rx_head + model.rx_n++) % MODEL_FIFO_MAX] = b[i];
	}
}

void model_rx_push(const char *s)
{
	model_rx_push_bytes(s, strlen(s));
}

static int rx_pop(void)
{
	int c;

	if (!model.rx_n)
		return -1;
	c = model.rx[model.rx_head];
	model.rx_head = (model.rx_head + 1) % MODEL_FIFO_MAX;
	model.rx_n--;
	return c;
}

static void tx_push(uint32_t c)
{
	if (model.tx_n < (int)sizeof(model.tx))
		model.tx[model.tx_n++] = (uint8_t)c;
}

static void log_access(char rw, unsigned long off, unsigned int width, uint32_t val)
{
	if (model.n_access < MODEL_LOG_MAX)
		model.log[model.n_access] = (struct model_access){ rw, off, width, val };
	model.n_access++;
}

/*
 * The register index of an access, or -1 (a violation) if it is not the
 * device tree's width or not at index << shift, or past @last.
 */
static int model_index(char rw, unsigned long off, unsigned int width, int last)
{
	unsigned long idx = off >> model.shift;

	if (width != model.width) {
		violation("%c at 0x%lx: %u-byte access, reg-io-width is %u", rw, off, width,
			  model.width);
		return -1;
	}
	if (off & ((1UL << model.shift) - 1) || idx > (unsigned long)last) {
		violation("%c at 0x%lx: no register there (reg-shift %u)", rw, off, model.shift);
		return -1;
	}
	return (int)idx;
}

/* --- the 16550 model ------------------------------------------------------- */

static uint8_t m8250_lsr(void)
{
	uint8_t lsr = model.rx_n ? UART_LSR_DR : 0;

	if (!model.thr_empty_never)
		lsr |= UART_LSR_THRE | UART_LSR_TEMT;
	return lsr;
}

static uint8_t m8250_iir(void)
{
	uint8_t fifo = model.fcr & UART_FCR_ENABLE_FIFO ? 0xc0 : 0;

	if (model.lsr_error)
		return fifo | UART_IIR_RLSI;
	if (model.rx_n && (model.ier & UART_IER_RDI))
		return fifo | UART_IIR_RDI;
	if (model.thri) {
		model.thri = 0; /* reading IIR clears THRI */
		return fifo | UART_IIR_THRI;
	}
	if (model.busy_irq)
		return fifo | UART_IIR_BUSY;
	return fifo | UART_IIR_NO_INT;
}

static uint32_t m8250_read(int idx)
{
	int dlab = model.lcr & UART_LCR_DLAB;
	int c;

	switch (idx) {
	case UART_RBR:
		if (dlab)
			return model.dll;
		c = rx_pop();
		return c < 0 ? 0 : (uint32_t)c;
	case UART_IER:
		return dlab ? model.dlm : model.ier;
	case UART_IIR:
		return m8250_iir();
	case UART_LCR:
		return model.lcr;
	case UART_MCR:
		return model.mcr;
	case UART_LSR:
		model.lsr_error = 0;
		return m8250_lsr();
	case UART_MSR:
		return model.msr;
	case UART_SCR:
		return model.scr;
	case DW_UART_USR:
		model.busy_irq = 0;
		return model.busy_drops ? DW_UART_USR_BUSY : 0;
	}
	return 0;
}

static void m8250_write(int idx, uint32_t v)
{
	int dlab = model.lcr & UART_LCR_DLAB;

	if (v > 0xff)
		violation("W 0x%x to 8250 register %d: more than a byte", v, idx);
	switch (idx) {
	case UART_THR:
		if (dlab) {
			model.dll = (uint8_t)v;
		} else if (!(m8250_lsr() & UART_LSR_THRE)) {
			violation("THR written while not empty: 0x%02x lost", v);
		} else {
			tx_push(v);
		}
		return;
	case UART_IER:
		if (dlab)
			model.dlm = (uint8_t)v;
		else
			model.ier = (uint8_t)v;
		return;
	case UART_FCR:
		model.fcr = (uint8_t)v;
		if (v & UART_FCR_CLEAR_RCVR)
			model.rx_n = 0;
		return;
	case UART_LCR:
		if (model.dw && model.busy_drops) {
			model.busy_drops--;
			model.busy_irq = 1;
			return;
		}
		model.lcr = (uint8_t)v;
		return;
	case UART_MCR:
		model.mcr = (uint8_t)v;
		return;
	case UART_SCR:
		model.scr = (uint8_t)v;
		return;
	}
	violation("W 0x%x to read-only 8250 register %d", v, idx);
}

/* --- the SiFive model ------------------------------------------------------- */

#define SIFIVE_CNT(ctrl) (((ctrl) >> 16) & 7)

static uint32_t msifive_ip(void)
{
	uint32_t ip = 0;

	if (!model.tx_full && SIFIVE_CNT(model.txctrl) > 0)
		ip |= SIFIVE_UART_IP_TXWM; /* the TX FIFO is empty: below any txcnt */
	if ((uint32_t)model.rx_n > SIFIVE_CNT(model.rxctrl))
		ip |= SIFIVE_UART_IP_RXWM;
	return ip;
}

static uint32_t msifive_read(int idx)
{
	int c;

	switch (idx) {
	case SIFIVE_UART_TXDATA:
		return model.tx_full ? SIFIVE_UART_TXDATA_FULL : 0;
	case SIFIVE_UART_RXDATA:
		c = rx_pop();
		return c < 0 ? SIFIVE_UART_RXDATA_EMPTY : (uint32_t)c;
	case SIFIVE_UART_TXCTRL:
		return model.txctrl;
	case SIFIVE_UART_RXCTRL:
		return model.rxctrl;
	case SIFIVE_UART_IE:
		return model.ie;
	case SIFIVE_UART_IP:
		return msifive_ip();
	case SIFIVE_UART_DIV:
		return model.div;
	}
	return 0;
}

static void msifive_write(int idx, uint32_t v)
{
	switch (idx) {
	case SIFIVE_UART_TXDATA:
		if (model.tx_full)
			violation("txdata written while full: 0x%02x lost", v);
		else if (!(model.txctrl & SIFIVE_UART_TXCTRL_TXEN))
			violation("txdata written with txen off: 0x%02x never sent", v);
		else
			tx_push(v & 0xff);
		return;
	case SIFIVE_UART_TXCTRL:
		model.txctrl = v;
		return;
	case SIFIVE_UART_RXCTRL:
		model.rxctrl = v;
		return;
	case SIFIVE_UART_IE:
		model.ie = v;
		return;
	case SIFIVE_UART_DIV:
		model.div = v;
		return;
	}
	violation("W 0x%x to read-only SiFive register %d", v, idx);
}

/* --- what uart_hw.c calls -------------------------------------------------- */

static int model_last(void)
{
	if (model.kind == UART_KIND_SIFIVE)
		return SIFIVE_UART_DIV;
	return model.dw ? DW_UART_USR : UART_SCR;
}

/* With check_base, the driver must use the address the register window was mapped at. */
static void check_base(const struct uart *u)
{
	if (model.check_base && u->base != model.base)
		violation("access from base 0x%lx, the registers are at 0x%lx",
			  (unsigned long)u->base, (unsigned long)model.base);
}

uint32_t uart_model_read(const struct uart *u, unsigned long offset, unsigned int width)
{
	int idx = model_index('R', offset, width, model_last());
	uint32_t v = 0;

	check_base(u);
	if (idx >= 0 && model.kind == UART_KIND_8250 && idx > UART_SCR && idx != DW_UART_USR) {
		violation("R at 0x%lx: no DesignWare register there", offset);
		idx = -1;
	}
	if (idx >= 0)
		v = model.kind == UART_KIND_SIFIVE ? msifive_read(idx) : m8250_read(idx);
	log_access('R', offset, width, v);
	return v;
}

void uart_model_write(const struct uart *u, unsigned long offset, unsigned int width,
		      uint32_t value)
{
	int idx = model_index('W', offset, width, model_last());

	check_base(u);
	log_access('W', offset, width, value);
	if (idx < 0)
		return;
	if (model.kind == UART_KIND_8250 && idx > UART_SCR)
		violation("W at 0x%lx: no writable register there", offset);
	else if (model.kind == UART_KIND_SIFIVE)
		msifive_write(idx, value);
	else
		m8250_write(idx, value);
}

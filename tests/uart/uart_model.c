/*
 * uart_model.c - servers/uart/uart_hw.c against models of the UARTs it
 * drives, on the host (built with -DUART_HOST_MODEL, ASan + UBSan).
 *
 * The models are register files: a 16550 (plain, as QEMU's ns16550a, or
 * DesignWare with its USR register and busy detect) and the SiFive UART.
 * Each is set up with the layout the device tree would give (reg-shift,
 * reg-io-width) and checks every access against it, independently of
 * what the driver was told: an access of another width, at an offset that
 * is not index << reg-shift, to a register the UART does not have, or a
 * write the hardware would lose (THR while not empty, a full TX FIFO) is
 * a diagnostic, and fails the case. Every access is logged (byte offset,
 * width, value, read or write) so a case can assert an exact sequence.
 *
 * Output is TAP (tests/unit/testlib.h); `uart_model NAME` runs one case.
 * tests/uart/test_uart_model.py runs it under pytest.
 */
#define TESTLIB_NAME "uart_model"
#include "testlib.h"

#include <limits.h>

#include "keel_syscall.h"
#include "uart_hw.h"

#define LOG_MAX		8192
#define FIFO_MAX	64

struct access {
	char rw;		/* 'R' or 'W' */
	unsigned long off;	/* bytes from base */
	unsigned int width;	/* bytes */
	uint32_t val;		/* written, or returned */
};

struct model {
	enum uart_kind kind;
	int dw;			/* DesignWare: USR exists, LCR writes can be dropped */
	unsigned int shift, width;	/* what the device tree says */

	/* 16550 */
	uint8_t ier, lcr, mcr, scr, dll, dlm, fcr, msr;
	int thr_empty_never;	/* LSR.THRE and TEMT stay 0 */
	int busy_drops;		/* DW: LCR writes still to drop */
	int busy_irq;		/* DW: busy detect pending until USR is read */
	int thri;		/* THRE interrupt pending (cleared by reading IIR) */
	int lsr_error;		/* a line-status interrupt pending */

	/* SiFive */
	uint32_t txctrl, rxctrl, ie, div;
	int tx_full;		/* txdata reads full, forever */

	/* both */
	uint8_t rx[FIFO_MAX];
	int rx_head, rx_n;
	uint8_t tx[FIFO_MAX * 4];
	int tx_n;

	struct access log[LOG_MAX];
	long n_access;		/* every access, also those past LOG_MAX */
	int violations;
	int quiet;		/* a case that expects violations counts them silently */
};

static struct model m;

static void model_reset(enum uart_kind kind, int dw, unsigned int shift, unsigned int width)
{
	memset(&m, 0, sizeof(m));
	m.kind = kind;
	m.dw = dw;
	m.shift = shift;
	m.width = width;
	m.lcr = UART_LCR_WLEN8;	/* as the firmware left it */
	m.dll = 1;
}

static void ns16550a(void)
{
	model_reset(UART_KIND_8250, 0, 0, 1);
}

static void dw_apb_uart(void)
{
	model_reset(UART_KIND_8250, 1, 2, 4);
}

static void sifive_uart0(void)
{
	model_reset(UART_KIND_SIFIVE, 0, SIFIVE_UART_SHIFT, SIFIVE_UART_WIDTH);
}

__attribute__((format(printf, 1, 2))) static void violation(const char *fmt, ...)
{
	va_list ap;
	char buf[200];

	m.violations++;
	if (m.quiet)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	diag("model: %s", buf);
}

static void rx_push(const char *s)
{
	for (; *s; s++) {
		if (m.rx_n == FIFO_MAX)
			abort();
		m.rx[(m.rx_head + m.rx_n++) % FIFO_MAX] = (uint8_t)*s;
	}
}

static int rx_pop(void)
{
	int c;

	if (!m.rx_n)
		return -1;
	c = m.rx[m.rx_head];
	m.rx_head = (m.rx_head + 1) % FIFO_MAX;
	m.rx_n--;
	return c;
}

static void tx_push(uint32_t c)
{
	if (m.tx_n < (int)sizeof(m.tx))
		m.tx[m.tx_n++] = (uint8_t)c;
}

static void log_access(char rw, unsigned long off, unsigned int width, uint32_t val)
{
	if (m.n_access < LOG_MAX)
		m.log[m.n_access] = (struct access){ rw, off, width, val };
	m.n_access++;
}

/*
 * The register index of an access, or -1 (a violation) if it is not the
 * device tree's width or not at index << shift, or past @last.
 */
static int model_index(char rw, unsigned long off, unsigned int width, int last)
{
	unsigned long idx = off >> m.shift;

	if (width != m.width) {
		violation("%c at 0x%lx: %u-byte access, reg-io-width is %u", rw, off, width,
			  m.width);
		return -1;
	}
	if (off & ((1UL << m.shift) - 1) || idx > (unsigned long)last) {
		violation("%c at 0x%lx: no register there (reg-shift %u)", rw, off, m.shift);
		return -1;
	}
	return (int)idx;
}

/* --- the 16550 model ------------------------------------------------------- */

static uint8_t m8250_lsr(void)
{
	uint8_t lsr = m.rx_n ? UART_LSR_DR : 0;

	if (!m.thr_empty_never)
		lsr |= UART_LSR_THRE | UART_LSR_TEMT;
	return lsr;
}

static uint8_t m8250_iir(void)
{
	uint8_t fifo = m.fcr & UART_FCR_ENABLE_FIFO ? 0xc0 : 0;

	if (m.lsr_error)
		return fifo | UART_IIR_RLSI;
	if (m.rx_n && (m.ier & UART_IER_RDI))
		return fifo | UART_IIR_RDI;
	if (m.thri) {
		m.thri = 0;	/* reading IIR clears THRI */
		return fifo | UART_IIR_THRI;
	}
	if (m.busy_irq)
		return fifo | UART_IIR_BUSY;
	return fifo | UART_IIR_NO_INT;
}

static uint32_t m8250_read(int idx)
{
	int dlab = m.lcr & UART_LCR_DLAB;
	int c;

	switch (idx) {
	case UART_RBR:
		if (dlab)
			return m.dll;
		c = rx_pop();
		return c < 0 ? 0 : (uint32_t)c;
	case UART_IER:
		return dlab ? m.dlm : m.ier;
	case UART_IIR:
		return m8250_iir();
	case UART_LCR:
		return m.lcr;
	case UART_MCR:
		return m.mcr;
	case UART_LSR:
		m.lsr_error = 0;
		return m8250_lsr();
	case UART_MSR:
		return m.msr;
	case UART_SCR:
		return m.scr;
	case DW_UART_USR:
		m.busy_irq = 0;
		return m.busy_drops ? DW_UART_USR_BUSY : 0;
	}
	return 0;
}

static void m8250_write(int idx, uint32_t v)
{
	int dlab = m.lcr & UART_LCR_DLAB;

	if (v > 0xff)
		violation("W 0x%x to 8250 register %d: more than a byte", v, idx);
	switch (idx) {
	case UART_THR:
		if (dlab) {
			m.dll = (uint8_t)v;
		} else if (!(m8250_lsr() & UART_LSR_THRE)) {
			violation("THR written while not empty: 0x%02x lost", v);
		} else {
			tx_push(v);
		}
		return;
	case UART_IER:
		if (dlab)
			m.dlm = (uint8_t)v;
		else
			m.ier = (uint8_t)v;
		return;
	case UART_FCR:
		m.fcr = (uint8_t)v;
		if (v & UART_FCR_CLEAR_RCVR)
			m.rx_n = 0;
		return;
	case UART_LCR:
		if (m.dw && m.busy_drops) {
			m.busy_drops--;
			m.busy_irq = 1;
			return;
		}
		m.lcr = (uint8_t)v;
		return;
	case UART_MCR:
		m.mcr = (uint8_t)v;
		return;
	case UART_SCR:
		m.scr = (uint8_t)v;
		return;
	}
	violation("W 0x%x to read-only 8250 register %d", v, idx);
}

/* --- the SiFive model ------------------------------------------------------- */

#define SIFIVE_CNT(ctrl)	(((ctrl) >> 16) & 7)

static uint32_t msifive_ip(void)
{
	uint32_t ip = 0;

	if (!m.tx_full && SIFIVE_CNT(m.txctrl) > 0)
		ip |= SIFIVE_UART_IP_TXWM;	/* the TX FIFO is empty: below any txcnt */
	if ((uint32_t)m.rx_n > SIFIVE_CNT(m.rxctrl))
		ip |= SIFIVE_UART_IP_RXWM;
	return ip;
}

static uint32_t msifive_read(int idx)
{
	int c;

	switch (idx) {
	case SIFIVE_UART_TXDATA:
		return m.tx_full ? SIFIVE_UART_TXDATA_FULL : 0;
	case SIFIVE_UART_RXDATA:
		c = rx_pop();
		return c < 0 ? SIFIVE_UART_RXDATA_EMPTY : (uint32_t)c;
	case SIFIVE_UART_TXCTRL:
		return m.txctrl;
	case SIFIVE_UART_RXCTRL:
		return m.rxctrl;
	case SIFIVE_UART_IE:
		return m.ie;
	case SIFIVE_UART_IP:
		return msifive_ip();
	case SIFIVE_UART_DIV:
		return m.div;
	}
	return 0;
}

static void msifive_write(int idx, uint32_t v)
{
	switch (idx) {
	case SIFIVE_UART_TXDATA:
		if (m.tx_full)
			violation("txdata written while full: 0x%02x lost", v);
		else if (!(m.txctrl & SIFIVE_UART_TXCTRL_TXEN))
			violation("txdata written with txen off: 0x%02x never sent", v);
		else
			tx_push(v & 0xff);
		return;
	case SIFIVE_UART_TXCTRL:
		m.txctrl = v;
		return;
	case SIFIVE_UART_RXCTRL:
		m.rxctrl = v;
		return;
	case SIFIVE_UART_IE:
		m.ie = v;
		return;
	case SIFIVE_UART_DIV:
		m.div = v;
		return;
	}
	violation("W 0x%x to read-only SiFive register %d", v, idx);
}

/* --- what uart_hw.c calls -------------------------------------------------- */

static int model_last(void)
{
	if (m.kind == UART_KIND_SIFIVE)
		return SIFIVE_UART_DIV;
	return m.dw ? DW_UART_USR : UART_SCR;
}

uint32_t uart_model_read(const struct uart *u, unsigned long offset, unsigned int width)
{
	int idx = model_index('R', offset, width, model_last());
	uint32_t v = 0;

	(void)u;
	if (idx >= 0 && m.kind == UART_KIND_8250 && idx > UART_SCR && idx != DW_UART_USR) {
		violation("R at 0x%lx: no DesignWare register there", offset);
		idx = -1;
	}
	if (idx >= 0)
		v = m.kind == UART_KIND_SIFIVE ? msifive_read(idx) : m8250_read(idx);
	log_access('R', offset, width, v);
	return v;
}

void uart_model_write(const struct uart *u, unsigned long offset, unsigned int width,
		      uint32_t value)
{
	int idx = model_index('W', offset, width, model_last());

	(void)u;
	log_access('W', offset, width, value);
	if (idx < 0)
		return;
	if (m.kind == UART_KIND_8250 && idx > UART_SCR)
		violation("W at 0x%lx: no writable register there", offset);
	else if (m.kind == UART_KIND_SIFIVE)
		msifive_write(idx, value);
	else
		m8250_write(idx, value);
}

/* --- checking sequences ------------------------------------------------------- */

struct step {
	char rw;
	unsigned int reg;
	uint32_t val;		/* checked for writes */
};

#define R(reg)		{ 'R', (reg), 0 }
#define W(reg, v)	{ 'W', (reg), (v) }

/* The log from access @from on must be exactly @steps (as indices) and end there. */
static void expect_seq_from(long from, const struct step *steps, size_t n)
{
	long got = m.n_access - from;

	if (m.n_access > LOG_MAX) {
		diag("log overflow: %ld accesses", m.n_access);
		return;
	}
	for (size_t i = 0; i < n && from + (long)i < m.n_access; i++) {
		const struct access *a = &m.log[from + i];
		unsigned long off = (unsigned long)steps[i].reg << m.shift;

		if (a->rw != steps[i].rw || a->off != off || a->width != m.width ||
		    (a->rw == 'W' && a->val != steps[i].val)) {
			diag("access %zu: got %c 0x%lx/%u = 0x%x, want %c 0x%lx/%u = 0x%x", i,
			     a->rw, a->off, a->width, a->val, steps[i].rw, off, m.width,
			     steps[i].val);
			return;
		}
	}
	if (got != (long)n)
		diag("got %ld accesses, want %zu", got, n);
}

#define expect_seq(steps)	expect_seq_from(0, steps, sizeof(steps) / sizeof(steps[0]))
#define expect_seq_at(from, steps) expect_seq_from(from, steps, sizeof(steps) / sizeof(steps[0]))

#define expect_eq(got, want)                                                         \
	do {                                                                           \
		long long g_ = (long long)(got), w_ = (long long)(want);               \
		if (g_ != w_)                                                          \
			diag("%s = %lld, want %lld (line %d)", #got, g_, w_, __LINE__); \
	} while (0)

static void expect_tx(const char *want)
{
	size_t n = strlen(want);

	if ((size_t)m.tx_n != n || memcmp(m.tx, want, n))
		diag("transmitted %d bytes \"%.*s\", want \"%s\"", m.tx_n, m.tx_n,
		     (const char *)m.tx, want);
}

/* A struct uart as the server would set it up from the model's layout. */
static struct uart uart_for_model(void)
{
	struct uart u;

	if (uart_setup(&u, m.kind, 0, m.shift, m.width))
		diag("uart_setup refused shift %u width %u", m.shift, m.width);
	return u;
}

/* --- 8250 cases: each runs on ns16550a (shift 0, width 1) and dw (shift 2, width 4) --- */

static const struct step init_keep[] = {
	R(UART_LSR),			/* TEMT: the firmware's bytes are out */
	W(UART_LCR, UART_LCR_WLEN8), R(UART_LCR),
	W(UART_IER, 0),
	W(UART_FCR, UART_FCR_INIT),
	W(UART_MCR, UART_MCR_INIT),
	R(UART_LSR), R(UART_IIR), R(UART_MSR),
};

static void init_keep_firmware(void)
{
	struct uart u = uart_for_model();

	m.dll = 7;
	m.dlm = 0;
	expect_eq(uart_init(&u), 0);
	expect_seq(init_keep);
	expect_eq(m.lcr, UART_LCR_WLEN8);
	expect_eq(m.dll, 7);	/* the firmware's divisor stays */
	expect_eq(m.fcr, UART_FCR_INIT);
	expect_eq(m.ier, 0);
}

static void ns16550a_init_keep_firmware(void)
{
	ns16550a();
	init_keep_firmware();
}

static void dw_init_keep_firmware(void)
{
	dw_apb_uart();
	init_keep_firmware();
}

static void init_divisor(uint32_t clock, uint32_t baud, uint32_t div)
{
	struct uart u = uart_for_model();
	const struct step steps[] = {
		R(UART_LSR),
		W(UART_LCR, UART_LCR_DLAB | UART_LCR_WLEN8), R(UART_LCR),
		W(UART_DLL, div & 0xff), W(UART_DLM, div >> 8),
		W(UART_LCR, UART_LCR_WLEN8), R(UART_LCR),
		W(UART_IER, 0),
		W(UART_FCR, UART_FCR_INIT),
		W(UART_MCR, UART_MCR_INIT),
		R(UART_LSR), R(UART_IIR), R(UART_MSR),
	};

	u.clock_hz = clock;
	u.baud = baud;
	expect_eq(uart_init(&u), 0);
	expect_seq(steps);
	expect_eq(m.dll | m.dlm << 8, div);
	expect_eq(m.lcr, UART_LCR_WLEN8);
}

static void ns16550a_init_divisor(void)
{
	ns16550a();
	init_divisor(1843200, 115200, 1);	/* the PC's 1.8432 MHz crystal */
	ns16550a();
	init_divisor(1843200, 300, 384);	/* DLM too */
}

static void dw_init_divisor(void)
{
	dw_apb_uart();
	init_divisor(24000000, 115200, 13);	/* JH7110 uart0: 24 MHz */
}

static void init_bad_baud(void)
{
	struct uart u = uart_for_model();

	u.clock_hz = 1000;
	u.baud = 115200;
	expect_eq(uart_init(&u), -KEEL_ERANGE);
	expect_eq(m.n_access, 0);
}

static void ns16550a_init_bad_baud(void)
{
	ns16550a();
	init_bad_baud();
}

static void putc_reaches_thr(void)
{
	struct uart u = uart_for_model();
	const struct step steps[] = {
		R(UART_LSR), W(UART_THR, 'o'), R(UART_LSR), W(UART_THR, 'k'),
	};

	expect_eq(uart_putc(&u, 'o'), 0);
	expect_eq(uart_putc(&u, 'k'), 0);
	expect_seq(steps);
	expect_tx("ok");
}

static void ns16550a_putc(void)
{
	ns16550a();
	putc_reaches_thr();
}

static void dw_putc(void)
{
	dw_apb_uart();
	putc_reaches_thr();
}

static void getc_returns_rx(void)
{
	struct uart u = uart_for_model();
	const struct step steps[] = {
		R(UART_LSR), R(UART_RBR), R(UART_LSR), R(UART_RBR), R(UART_LSR),
	};

	rx_push("\x01\xff");
	expect_eq(uart_getc(&u), 0x01);
	expect_eq(uart_getc(&u), 0xff);
	expect_eq(uart_getc(&u), -1);
	expect_seq(steps);
}

static void ns16550a_getc(void)
{
	ns16550a();
	getc_returns_rx();
}

static void dw_getc(void)
{
	dw_apb_uart();
	getc_returns_rx();
}

/* THRE never comes: putc reads LSR tx_spins times, writes nothing, and says so. */
static void putc_gives_up(void)
{
	struct uart u = uart_for_model();
	long before;

	u.tx_spins = 500;
	m.thr_empty_never = 1;
	expect_eq(uart_putc(&u, 'x'), -KEEL_ETIMEDOUT);
	expect_eq(m.n_access, 500);
	for (long i = 0; i < m.n_access && i < LOG_MAX; i++)
		if (m.log[i].rw != 'R' || m.log[i].off != (unsigned long)UART_LSR << m.shift)
			diag("access %ld is not an LSR read", i);
	/* Still stuck: the next putc looks once, not another 500 times. */
	before = m.n_access;
	expect_eq(uart_putc(&u, 'y'), -KEEL_ETIMEDOUT);
	expect_eq(m.n_access - before, 1);
	/* The transmitter comes back: bytes flow again, and a new wait is a full one. */
	m.thr_empty_never = 0;
	expect_eq(uart_putc(&u, 'z'), 0);
	expect_tx("z");
	m.thr_empty_never = 1;
	before = m.n_access;
	expect_eq(uart_putc(&u, 'w'), -KEEL_ETIMEDOUT);
	expect_eq(m.n_access - before, 500);
}

static void ns16550a_putc_gives_up(void)
{
	ns16550a();
	putc_gives_up();
}

static void dw_putc_gives_up(void)
{
	dw_apb_uart();
	putc_gives_up();
}

/* The bound the server really uses ends too. */
static void ns16550a_putc_default_bound(void)
{
	struct uart u;

	ns16550a();
	u = uart_for_model();
	m.thr_empty_never = 1;
	expect_eq(uart_putc(&u, 'x'), -KEEL_ETIMEDOUT);
	expect_eq(m.n_access, UART_TX_SPINS);
	expect_eq(m.tx_n, 0);
}

/* init waits for TEMT at most tx_spins reads, then goes on. */
static void ns16550a_init_tx_never_empties(void)
{
	struct uart u;

	ns16550a();
	u = uart_for_model();
	u.tx_spins = 300;
	m.thr_empty_never = 1;
	expect_eq(uart_init(&u), 0);
	expect_eq(m.n_access, 300 + sizeof(init_keep) / sizeof(init_keep[0]) - 1);
	expect_eq(m.lcr, UART_LCR_WLEN8);
}

static void rx_irq(void)
{
	struct uart u = uart_for_model();
	const struct step steps[] = {
		W(UART_IER, UART_IER_RDI), R(UART_IIR), R(UART_IIR), W(UART_IER, 0),
	};

	uart_rx_irq(&u, 1);
	expect_eq(uart_rx_irq_pending(&u), 0);
	rx_push("a");
	expect_eq(uart_rx_irq_pending(&u), 1);
	uart_rx_irq(&u, 0);
	expect_seq(steps);
	expect_eq(m.ier, 0);
}

static void ns16550a_rx_irq(void)
{
	ns16550a();
	rx_irq();
}

static void dw_rx_irq(void)
{
	dw_apb_uart();
	rx_irq();
}

/* THRI and line status are not for RX; each is cleared the 16550's way. */
static void ns16550a_other_irqs(void)
{
	struct uart u;
	const struct step steps[] = {
		R(UART_IIR), R(UART_IIR), R(UART_LSR), R(UART_IIR),
	};

	ns16550a();
	u = uart_for_model();
	m.thri = 1;
	expect_eq(uart_rx_irq_pending(&u), 0);	/* THRI: the IIR read cleared it */
	m.lsr_error = 1;
	expect_eq(uart_rx_irq_pending(&u), 0);	/* RLSI: LSR read */
	expect_eq(uart_rx_irq_pending(&u), 0);	/* nothing left */
	expect_seq(steps);
	expect_eq(m.lsr_error, 0);
}

/* DesignWare: LCR written while busy is dropped; init reads USR and tries again. */
static void dw_busy_detect_init(void)
{
	struct uart u;
	const struct step steps[] = {
		R(UART_LSR),
		W(UART_LCR, UART_LCR_WLEN8), R(UART_LCR),	/* dropped */
		R(DW_UART_USR), W(UART_FCR, UART_FCR_INIT), R(UART_RBR),
		W(UART_LCR, UART_LCR_WLEN8), R(UART_LCR),	/* sticks */
		W(UART_IER, 0),
		W(UART_FCR, UART_FCR_INIT),
		W(UART_MCR, UART_MCR_INIT),
		R(UART_LSR), R(UART_IIR), R(UART_MSR),
	};

	dw_apb_uart();
	u = uart_for_model();
	m.lcr = 0x1b;		/* firmware: 8 bits, even parity */
	m.busy_drops = 1;
	expect_eq(uart_init(&u), 0);
	expect_seq(steps);
	expect_eq(m.lcr, UART_LCR_WLEN8);
	expect_eq(m.busy_irq, 0);
}

/* A UART busy forever: init gives up after UART_LCR_TRIES and says busy. */
static void dw_busy_forever(void)
{
	struct uart u;
	int lcr_writes = 0;

	dw_apb_uart();
	u = uart_for_model();
	m.lcr = 0x1b;
	m.busy_drops = INT_MAX;
	expect_eq(uart_init(&u), -KEEL_EBUSY);
	for (long i = 0; i < m.n_access && i < LOG_MAX; i++)
		if (m.log[i].rw == 'W' && m.log[i].off == (unsigned long)UART_LCR << m.shift)
			lcr_writes++;
	expect_eq(lcr_writes, UART_LCR_TRIES);
	expect_eq(m.lcr, 0x1b);
}

/* A busy-detect interrupt: not RX; reading USR clears it. */
static void dw_busy_detect_irq(void)
{
	struct uart u;
	const struct step steps[] = {
		R(UART_IIR), R(DW_UART_USR), R(UART_IIR),
	};

	dw_apb_uart();
	u = uart_for_model();
	m.fcr = UART_FCR_INIT;
	m.busy_irq = 1;
	expect_eq(uart_rx_irq_pending(&u), 0);
	expect_eq(m.busy_irq, 0);
	expect_eq(uart_rx_irq_pending(&u), 0);
	expect_seq(steps);
	expect_eq(m.log[0].val, 0xc0 | UART_IIR_BUSY);
	expect_eq(m.log[2].val, 0xc0 | UART_IIR_NO_INT);
}

/* A plain 16550 has no USR: a full init, I/O and interrupts never go near it. */
static void ns16550a_never_reads_usr(void)
{
	struct uart u;

	ns16550a();
	u = uart_for_model();
	u.clock_hz = 1843200;
	u.baud = 9600;
	expect_eq(uart_init(&u), 0);
	uart_rx_irq(&u, 1);
	rx_push("q");
	expect_eq(uart_rx_irq_pending(&u), 1);
	expect_eq(uart_getc(&u), 'q');
	expect_eq(uart_putc(&u, '!'), 0);
	expect_eq(uart_rx_irq_pending(&u), 0);
	for (long i = 0; i < m.n_access; i++)
		if (m.log[i].off > UART_SCR)
			diag("access %ld at 0x%lx", i, m.log[i].off);
	expect_eq(m.violations, 0);
}

/* The model is a real check: a driver told the wrong layout is caught. */
static void model_catches_wrong_layout(void)
{
	struct uart u;

	dw_apb_uart();			/* the hardware: shift 2, width 4 */
	m.quiet = 1;
	expect_eq(uart_setup(&u, UART_KIND_8250, 0, 0, 1), 0);	/* told: shift 0, width 1 */
	u.tx_spins = 10;
	(void)uart_init(&u);
	if (m.violations == 0)
		diag("byte accesses to a DesignWare UART went unnoticed");

	dw_apb_uart();
	m.quiet = 1;
	expect_eq(uart_setup(&u, UART_KIND_8250, 0, 3, 4), 0);	/* right width, shift 3 */
	(void)uart_putc(&u, 'x');
	if (m.violations == 0)
		diag("offsets without reg-shift went unnoticed");

	ns16550a();
	m.quiet = 1;
	expect_eq(uart_setup(&u, UART_KIND_8250, 0, 2, 4), 0);	/* told DesignWare */
	(void)uart_getc(&u);
	if (m.violations == 0)
		diag("32-bit accesses to a byte-wide 16550 went unnoticed");
}

static void setup_rejects_layouts(void)
{
	struct uart u;

	expect_eq(uart_setup(&u, UART_KIND_8250, 0, 0, 1), 0);
	expect_eq(uart_span(&u), 8);
	expect_eq(uart_setup(&u, UART_KIND_8250, 0, 2, 4), 0);
	expect_eq(uart_span(&u), 0x20);
	expect_eq(uart_setup(&u, UART_KIND_8250, 0, 2, 1), 0);	/* byte registers 4 apart */
	expect_eq(uart_setup(&u, UART_KIND_8250, 0, 0, 2), -KEEL_EINVAL);
	expect_eq(uart_setup(&u, UART_KIND_8250, 0, 0, 4), -KEEL_EINVAL);	/* overlap */
	expect_eq(uart_setup(&u, UART_KIND_8250, 0, 5, 1), -KEEL_EINVAL);
	expect_eq(uart_setup(&u, UART_KIND_SIFIVE, 0, 2, 4), 0);
	expect_eq(uart_span(&u), 0x1c);
	expect_eq(uart_setup(&u, UART_KIND_SIFIVE, 0, 0, 1), -KEEL_EINVAL);
	expect_eq(uart_setup(&u, UART_KIND_SIFIVE, 0, 2, 1), -KEEL_EINVAL);
}

/* --- SiFive cases ------------------------------------------------------------- */

static void sifive_init_keep_firmware(void)
{
	struct uart u;
	const struct step steps[] = {
		W(SIFIVE_UART_IE, 0),
		W(SIFIVE_UART_TXCTRL, SIFIVE_UART_TXCTRL_TXEN),
		W(SIFIVE_UART_RXCTRL, SIFIVE_UART_RXCTRL_RXEN),
	};

	sifive_uart0();
	u = uart_for_model();
	m.div = 4340;
	m.ie = SIFIVE_UART_IP_TXWM;
	expect_eq(uart_init(&u), 0);
	expect_seq(steps);
	expect_eq(m.div, 4340);
}

static void sifive_init_divisor(void)
{
	struct uart u;
	const struct step steps[] = {
		W(SIFIVE_UART_IE, 0),
		W(SIFIVE_UART_DIV, 867),	/* 100 MHz / 868 = 115207 baud */
		W(SIFIVE_UART_TXCTRL, SIFIVE_UART_TXCTRL_TXEN),
		W(SIFIVE_UART_RXCTRL, SIFIVE_UART_RXCTRL_RXEN),
	};

	sifive_uart0();
	u = uart_for_model();
	u.clock_hz = 100000000;
	u.baud = 115200;
	expect_eq(uart_init(&u), 0);
	expect_seq(steps);

	sifive_uart0();
	u = uart_for_model();
	u.clock_hz = 100000000;
	u.baud = 1;			/* divisor past 16 bits */
	expect_eq(uart_init(&u), -KEEL_ERANGE);
	expect_eq(m.n_access, 0);
}

static void sifive_putc(void)
{
	struct uart u;
	const struct step steps[] = {
		R(SIFIVE_UART_TXDATA), W(SIFIVE_UART_TXDATA, 'h'),
		R(SIFIVE_UART_TXDATA), W(SIFIVE_UART_TXDATA, 'i'),
	};
	long before;

	sifive_uart0();
	u = uart_for_model();
	expect_eq(uart_init(&u), 0);
	before = m.n_access;
	expect_eq(uart_putc(&u, 'h'), 0);
	expect_eq(uart_putc(&u, 'i'), 0);
	expect_seq_at(before, steps);
	expect_tx("hi");
}

static void sifive_putc_gives_up(void)
{
	struct uart u;
	long before;

	sifive_uart0();
	u = uart_for_model();
	expect_eq(uart_init(&u), 0);
	u.tx_spins = 200;
	m.tx_full = 1;
	before = m.n_access;
	expect_eq(uart_putc(&u, 'x'), -KEEL_ETIMEDOUT);
	expect_eq(m.n_access - before, 200);
	before = m.n_access;
	expect_eq(uart_putc(&u, 'y'), -KEEL_ETIMEDOUT);
	expect_eq(m.n_access - before, 1);
	m.tx_full = 0;
	expect_eq(uart_putc(&u, 'z'), 0);
	expect_tx("z");
}

static void sifive_getc(void)
{
	struct uart u;
	const struct step steps[] = {
		R(SIFIVE_UART_RXDATA), R(SIFIVE_UART_RXDATA), R(SIFIVE_UART_RXDATA),
	};

	sifive_uart0();
	u = uart_for_model();
	rx_push("\x7f" "A");
	expect_eq(uart_getc(&u), 0x7f);
	expect_eq(uart_getc(&u), 'A');
	expect_eq(uart_getc(&u), -1);
	expect_seq(steps);
}

static void sifive_rx_irq(void)
{
	struct uart u;
	const struct step steps[] = {
		R(SIFIVE_UART_IE), W(SIFIVE_UART_IE, SIFIVE_UART_IP_TXWM | SIFIVE_UART_IP_RXWM),
		R(SIFIVE_UART_IP), R(SIFIVE_UART_IP),
		R(SIFIVE_UART_IE), W(SIFIVE_UART_IE, SIFIVE_UART_IP_TXWM),
	};

	sifive_uart0();
	u = uart_for_model();
	m.ie = SIFIVE_UART_IP_TXWM;	/* another enable bit survives */
	uart_rx_irq(&u, 1);
	expect_eq(uart_rx_irq_pending(&u), 0);
	rx_push("r");
	expect_eq(uart_rx_irq_pending(&u), 1);
	uart_rx_irq(&u, 0);
	expect_seq(steps);
}

#define CASE(fn) { #fn, fn }

static const struct tap_case cases[] = {
	CASE(ns16550a_init_keep_firmware),
	CASE(dw_init_keep_firmware),
	CASE(ns16550a_init_divisor),
	CASE(dw_init_divisor),
	CASE(ns16550a_init_bad_baud),
	CASE(ns16550a_init_tx_never_empties),
	CASE(ns16550a_putc),
	CASE(dw_putc),
	CASE(ns16550a_getc),
	CASE(dw_getc),
	CASE(ns16550a_putc_gives_up),
	CASE(dw_putc_gives_up),
	CASE(ns16550a_putc_default_bound),
	CASE(ns16550a_rx_irq),
	CASE(dw_rx_irq),
	CASE(ns16550a_other_irqs),
	CASE(dw_busy_detect_init),
	CASE(dw_busy_forever),
	CASE(dw_busy_detect_irq),
	CASE(ns16550a_never_reads_usr),
	CASE(model_catches_wrong_layout),
	CASE(setup_rejects_layouts),
	CASE(sifive_init_keep_firmware),
	CASE(sifive_init_divisor),
	CASE(sifive_putc),
	CASE(sifive_putc_gives_up),
	CASE(sifive_getc),
	CASE(sifive_rx_irq),
};

int main(int argc, char **argv)
{
	return tap_run_cases(cases, sizeof(cases) / sizeof(cases[0]), argc > 1 ? argv[1] : NULL);
}

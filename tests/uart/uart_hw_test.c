/*
 * uart_hw_test.c - servers/uart/uart_hw.c against the register models of
 * tests/uart/uart_model.c, on the host (-DUART_HOST_MODEL, ASan + UBSan):
 * the 8250 cases run on ns16550a (reg-shift 0, 8-bit) and
 * snps,dw-apb-uart (reg-shift 2, 32-bit); then the SiFive UART. Cases
 * assert exact register sequences (init with and without a divisor),
 * bytes to THR / txdata and back from RBR / rxdata, the bounded TX wait,
 * the interrupt paths and the DesignWare busy detect. Any access the
 * model finds wrong (width, offset, register) fails the case.
 *
 * Output is TAP (tests/unit/testlib.h); `uart_hw_test NAME` runs one case.
 * tests/uart/test_uart_model.py runs it under pytest.
 */
#define TESTLIB_NAME "uart_hw_test"
#include "testlib.h"
#include "uart_test.h"

#include <limits.h>

#include "keel/syscall.h"
#include "uart_model.h"

void uart_model_violation(const char *msg)
{
	diag("model: %s", msg);
}

/* --- checking sequences ------------------------------------------------------- */

struct step {
	char rw;
	unsigned int reg;
	uint32_t val; /* checked for writes */
};

/* clang-format off */
#define R(reg)		{ 'R', (reg), 0 }
#define W(reg, v)	{ 'W', (reg), (v) }
/* clang-format on */

/* The log from access @from on must be exactly @steps (as indices) and end there. */
static void expect_seq_from(long from, const struct step *steps, size_t n)
{
	long got = model.n_access - from;

	if (model.n_access > MODEL_LOG_MAX) {
		diag("log overflow: %ld accesses", model.n_access);
		return;
	}
	for (size_t i = 0; i < n && from + (long)i < model.n_access; i++) {
		const struct model_access *a = &model.log[from + i];
		unsigned long off = (unsigned long)steps[i].reg << model.shift;

		if (a->rw != steps[i].rw || a->off != off || a->width != model.width ||
		    (a->rw == 'W' && a->val != steps[i].val)) {
			diag("access %zu: got %c 0x%lx/%u = 0x%x, want %c 0x%lx/%u = 0x%x", i,
			     a->rw, a->off, a->width, a->val, steps[i].rw, off, model.width,
			     steps[i].val);
			return;
		}
	}
	if (got != (long)n)
		diag("got %ld accesses, want %zu", got, n);
}

#define expect_seq(steps)	   expect_seq_from(0, steps, sizeof(steps) / sizeof(steps[0]))
#define expect_seq_at(from, steps) expect_seq_from(from, steps, sizeof(steps) / sizeof(steps[0]))

static void expect_tx(const char *want)
{
	size_t n = strlen(want);

	if ((size_t)model.tx_n != n || memcmp(model.tx, want, n))
		diag("transmitted %d bytes \"%.*s\", want \"%s\"", model.tx_n, model.tx_n,
		     (const char *)model.tx, want);
}

/* A struct uart as the server would set it up from the model's layout. */
static struct uart uart_for_model(void)
{
	struct uart u;

	if (uart_setup(&u, model.kind, 0, model.shift, model.width))
		diag("uart_setup refused shift %u width %u", model.shift, model.width);
	return u;
}

/* --- 8250 cases: each runs on ns16550a (shift 0, width 1) and dw (shift 2, width 4) --- */

/* Two cases, ns16550a_@name and dw_@name: @body on each model. */
#define CASES_8250(name, body)                                                                     \
	static void ns16550a_##name(void)                                                          \
	{                                                                                          \
		model_ns16550a();                                                                  \
		body();                                                                            \
	}                                                                                          \
	static void dw_##name(void)                                                                \
	{                                                                                          \
		model_dw_apb_uart();                                                               \
		body();                                                                            \
	}

static const struct step init_keep[] = {
	R(UART_LSR), /* TEMT: the firmware's bytes are out */
	W(UART_LCR, UART_LCR_WLEN8),
	R(UART_LCR),
	W(UART_IER, 0),
	W(UART_FCR, UART_FCR_INIT),
	W(UART_MCR, UART_MCR_INIT),
	R(UART_LSR),
	R(UART_IIR),
	R(UART_MSR),
};

static void init_keep_firmware(void)
{
	struct uart u = uart_for_model();

	model.dll = 7;
	model.dlm = 0;
	expect_eq(uart_init(&u), 0);
	expect_seq(init_keep);
	expect_eq(model.lcr, UART_LCR_WLEN8);
	expect_eq(model.dll, 7); /* the firmware's divisor stays */
	expect_eq(model.fcr, UART_FCR_INIT);
	expect_eq(model.ier, 0);
}

CASES_8250(init_keep_firmware, init_keep_firmware)

static void init_divisor(uint32_t clock, uint32_t baud, uint32_t div)
{
	struct uart u = uart_for_model();
	const struct step steps[] = {
		R(UART_LSR),
		W(UART_LCR, UART_LCR_DLAB | UART_LCR_WLEN8),
		R(UART_LCR),
		W(UART_DLL, div & 0xff),
		W(UART_DLM, div >> 8),
		W(UART_LCR, UART_LCR_WLEN8),
		R(UART_LCR),
		W(UART_IER, 0),
		W(UART_FCR, UART_FCR_INIT),
		W(UART_MCR, UART_MCR_INIT),
		R(UART_LSR),
		R(UART_IIR),
		R(UART_MSR),
	};

	u.clock_hz = clock;
	u.baud = baud;
	expect_eq(uart_init(&u), 0);
	expect_seq(steps);
	expect_eq(model.dll | model.dlm << 8, div);
	expect_eq(model.lcr, UART_LCR_WLEN8);
}

static void ns16550a_init_divisor(void)
{
	model_ns16550a();
	init_divisor(1843200, 115200, 1); /* the PC's 1.8432 MHz crystal */
	model_ns16550a();
	init_divisor(1843200, 300, 384); /* DLM too */
}

static void dw_init_divisor(void)
{
	model_dw_apb_uart();
	init_divisor(24000000, 115200, 13); /* JH7110 uart0: 24 MHz */
}

static void init_bad_baud(void)
{
	struct uart u = uart_for_model();

	u.clock_hz = 1000;
	u.baud = 115200;
	expect_eq(uart_init(&u), -KEEL_ERANGE);
	expect_eq(model.n_access, 0);
}

static void ns16550a_init_bad_baud(void)
{
	model_ns16550a();
	init_bad_baud();
}

static void putc_reaches_thr(void)
{
	struct uart u = uart_for_model();
	const struct step steps[] = {
		R(UART_LSR),
		W(UART_THR, 'o'),
		R(UART_LSR),
		W(UART_THR, 'k'),
	};

	expect_eq(uart_putc(&u, 'o'), 0);
	expect_eq(uart_putc(&u, 'k'), 0);
	expect_seq(steps);
	expect_tx("ok");
}

CASES_8250(putc, putc_reaches_thr)

static void getc_returns_rx(void)
{
	struct uart u = uart_for_model();
	const struct step steps[] = {
		R(UART_LSR), R(UART_RBR), R(UART_LSR), R(UART_RBR), R(UART_LSR),
	};

	model_rx_push("\x01\xff");
	expect_eq(uart_getc(&u), 0x01);
	expect_eq(uart_getc(&u), 0xff);
	expect_eq(uart_getc(&u), -1);
	expect_seq(steps);
}

CASES_8250(getc, getc_returns_rx)

/* THRE never comes: putc reads LSR tx_spins times, writes nothing, and says so. */
static void putc_gives_up(void)
{
	struct uart u = uart_for_model();
	long before;

	u.tx_spins = 500;
	model.thr_empty_never = 1;
	expect_eq(uart_putc(&u, 'x'), -KEEL_ETIMEDOUT);
	expect_eq(model.n_access, 500);
	for (long i = 0; i < model.n_access && i < MODEL_LOG_MAX; i++)
		if (model.log[i].rw != 'R' || model.log[i].off != (unsigned long)UART_LSR
									  << model.shift)
			diag("access %ld is not an LSR read", i);
	/* Still stuck: the next putc looks once, not another 500 times. */
	before = model.n_access;
	expect_eq(uart_putc(&u, 'y'), -KEEL_ETIMEDOUT);
	expect_eq(model.n_access - before, 1);
	/* The transmitter comes back: bytes flow again, and a new wait is a full one. */
	model.thr_empty_never = 0;
	expect_eq(uart_putc(&u, 'z'), 0);
	expect_tx("z");
	model.thr_empty_never = 1;
	before = model.n_access;
	expect_eq(uart_putc(&u, 'w'), -KEEL_ETIMEDOUT);
	expect_eq(model.n_access - before, 500);
}

CASES_8250(putc_gives_up, putc_gives_up)

/* The bound the server really uses ends too. */
static void ns16550a_putc_default_bound(void)
{
	struct uart u;

	model_ns16550a();
	u = uart_for_model();
	model.thr_empty_never = 1;
	expect_eq(uart_putc(&u, 'x'), -KEEL_ETIMEDOUT);
	expect_eq(model.n_access, UART_TX_SPINS);
	expect_eq(model.tx_n, 0);
}

/* init waits for TEMT at most tx_spins reads, then goes on. */
static void ns16550a_init_tx_never_empties(void)
{
	struct uart u;

	model_ns16550a();
	u = uart_for_model();
	u.tx_spins = 300;
	model.thr_empty_never = 1;
	expect_eq(uart_init(&u), 0);
	expect_eq(model.n_access, 300 + sizeof(init_keep) / sizeof(init_keep[0]) - 1);
	expect_eq(model.lcr, UART_LCR_WLEN8);
}

static void rx_irq(void)
{
	struct uart u = uart_for_model();
	const struct step steps[] = {
		W(UART_IER, UART_IER_RDI),
		R(UART_IIR),
		R(UART_IIR),
		W(UART_IER, 0),
	};

	uart_rx_irq(&u, 1);
	expect_eq(uart_rx_irq_pending(&u), 0);
	model_rx_push("a");
	expect_eq(uart_rx_irq_pending(&u), 1);
	uart_rx_irq(&u, 0);
	expect_seq(steps);
	expect_eq(model.ier, 0);
}

CASES_8250(rx_irq, rx_irq)

/* THRI and line status are not for RX; each is cleared the 16550's way. */
static void ns16550a_other_irqs(void)
{
	struct uart u;
	const struct step steps[] = {
		R(UART_IIR),
		R(UART_IIR),
		R(UART_LSR),
		R(UART_IIR),
	};

	model_ns16550a();
	u = uart_for_model();
	model.thri = 1;
	expect_eq(uart_rx_irq_pending(&u), 0); /* THRI: the IIR read cleared it */
	model.lsr_error = 1;
	expect_eq(uart_rx_irq_pending(&u), 0); /* RLSI: LSR read */
	expect_eq(uart_rx_irq_pending(&u), 0); /* nothing left */
	expect_seq(steps);
	expect_eq(model.lsr_error, 0);
}

/* DesignWare: LCR written while busy is dropped; init reads USR and tries again. */
static void dw_busy_detect_init(void)
{
	struct uart u;
	const struct step steps[] = {
		R(UART_LSR),
		W(UART_LCR, UART_LCR_WLEN8),
		R(UART_LCR), /* dropped */
		R(DW_UART_USR),
		W(UART_FCR, UART_FCR_INIT),
		R(UART_RBR),
		W(UART_LCR, UART_LCR_WLEN8),
		R(UART_LCR), /* sticks */
		W(UART_IER, 0),
		W(UART_FCR, UART_FCR_INIT),
		W(UART_MCR, UART_MCR_INIT),
		R(UART_LSR),
		R(UART_IIR),
		R(UART_MSR),
	};

	model_dw_apb_uart();
	u = uart_for_model();
	model.lcr = 0x1b; /* firmware: 8 bits, even parity */
	model.busy_drops = 1;
	expect_eq(uart_init(&u), 0);
	expect_seq(steps);
	expect_eq(model.lcr, UART_LCR_WLEN8);
	expect_eq(model.busy_irq, 0);
}

/* A UART busy forever: init gives up after UART_LCR_TRIES and says busy. */
static void dw_busy_forever(void)
{
	struct uart u;
	int lcr_writes = 0;

	model_dw_apb_uart();
	u = uart_for_model();
	model.lcr = 0x1b;
	model.busy_drops = INT_MAX;
	expect_eq(uart_init(&u), -KEEL_EBUSY);
	for (long i = 0; i < model.n_access && i < MODEL_LOG_MAX; i++)
		if (model.log[i].rw == 'W' && model.log[i].off == (unsigned long)UART_LCR
									  << model.shift)
			lcr_writes++;
	expect_eq(lcr_writes, UART_LCR_TRIES);
	expect_eq(model.lcr, 0x1b);
}

/* A busy-detect interrupt: not RX; reading USR clears it. */
static void dw_busy_detect_irq(void)
{
	struct uart u;
	const struct step steps[] = {
		R(UART_IIR),
		R(DW_UART_USR),
		R(UART_IIR),
	};

	model_dw_apb_uart();
	u = uart_for_model();
	model.fcr = UART_FCR_INIT;
	model.busy_irq = 1;
	expect_eq(uart_rx_irq_pending(&u), 0);
	expect_eq(model.busy_irq, 0);
	expect_eq(uart_rx_irq_pending(&u), 0);
	expect_seq(steps);
	expect_eq(model.log[0].val, 0xc0 | UART_IIR_BUSY);
	expect_eq(model.log[2].val, 0xc0 | UART_IIR_NO_INT);
}

/* A plain 16550 has no USR: a full init, I/O and interrupts never go near it. */
static void ns16550a_never_reads_usr(void)
{
	struct uart u;

	model_ns16550a();
	u = uart_for_model();
	u.clock_hz = 1843200;
	u.baud = 9600;
	expect_eq(uart_init(&u), 0);
	uart_rx_irq(&u, 1);
	model_rx_push("q");
	expect_eq(uart_rx_irq_pending(&u), 1);
	expect_eq(uart_getc(&u), 'q');
	expect_eq(uart_putc(&u, '!'), 0);
	expect_eq(uart_rx_irq_pending(&u), 0);
	for (long i = 0; i < model.n_access; i++)
		if (model.log[i].off > UART_SCR)
			diag("access %ld at 0x%lx", i, model.log[i].off);
	expect_eq(model.violations, 0);
}

/* The model is a real check: a driver told the wrong layout is caught. */
static void model_catches_wrong_layout(void)
{
	struct uart u;

	model_dw_apb_uart(); /* the hardware: shift 2, width 4 */
	model.quiet = 1;
	expect_eq(uart_setup(&u, UART_KIND_8250, 0, 0, 1), 0); /* told: shift 0, width 1 */
	u.tx_spins = 10;
	(void)uart_init(&u);
	if (model.violations == 0)
		diag("byte accesses to a DesignWare UART went unnoticed");

	model_dw_apb_uart();
	model.quiet = 1;
	expect_eq(uart_setup(&u, UART_KIND_8250, 0, 3, 4), 0); /* right width, shift 3 */
	(void)uart_putc(&u, 'x');
	if (model.violations == 0)
		diag("offsets without reg-shift went unnoticed");

	model_ns16550a();
	model.quiet = 1;
	expect_eq(uart_setup(&u, UART_KIND_8250, 0, 2, 4), 0); /* told DesignWare */
	(void)uart_getc(&u);
	if (model.violations == 0)
		diag("32-bit accesses to a byte-wide 16550 went unnoticed");
}

static void setup_rejects_layouts(void)
{
	struct uart u;

	expect_eq(uart_setup(&u, UART_KIND_8250, 0, 0, 1), 0);
	expect_eq(uart_span(&u), 8);
	expect_eq(uart_setup(&u, UART_KIND_8250, 0, 2, 4), 0);
	expect_eq(uart_span(&u), 0x20);
	expect_eq(uart_setup(&u, UART_KIND_8250, 0, 2, 1), 0); /* byte registers 4 apart */
	expect_eq(uart_setup(&u, UART_KIND_8250, 0, 0, 2), -KEEL_EINVAL);
	expect_eq(uart_setup(&u, UART_KIND_8250, 0, 0, 4), -KEEL_EINVAL); /* overlap */
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

	model_sifive_uart0();
	u = uart_for_model();
	model.div = 4340;
	model.ie = SIFIVE_UART_IP_TXWM;
	expect_eq(uart_init(&u), 0);
	expect_seq(steps);
	expect_eq(model.div, 4340);
}

static void sifive_init_divisor(void)
{
	struct uart u;
	const struct step steps[] = {
		W(SIFIVE_UART_IE, 0),
		W(SIFIVE_UART_DIV, 867), /* 100 MHz / 868 = 115207 baud */
		W(SIFIVE_UART_TXCTRL, SIFIVE_UART_TXCTRL_TXEN),
		W(SIFIVE_UART_RXCTRL, SIFIVE_UART_RXCTRL_RXEN),
	};

	model_sifive_uart0();
	u = uart_for_model();
	u.clock_hz = 100000000;
	u.baud = 115200;
	expect_eq(uart_init(&u), 0);
	expect_seq(steps);

	model_sifive_uart0();
	u = uart_for_model();
	u.clock_hz = 100000000;
	u.baud = 1; /* divisor past 16 bits */
	expect_eq(uart_init(&u), -KEEL_ERANGE);
	expect_eq(model.n_access, 0);
}

static void sifive_putc(void)
{
	struct uart u;
	const struct step steps[] = {
		R(SIFIVE_UART_TXDATA),
		W(SIFIVE_UART_TXDATA, 'h'),
		R(SIFIVE_UART_TXDATA),
		W(SIFIVE_UART_TXDATA, 'i'),
	};
	long before;

	model_sifive_uart0();
	u = uart_for_model();
	expect_eq(uart_init(&u), 0);
	before = model.n_access;
	expect_eq(uart_putc(&u, 'h'), 0);
	expect_eq(uart_putc(&u, 'i'), 0);
	expect_seq_at(before, steps);
	expect_tx("hi");
}

static void sifive_putc_gives_up(void)
{
	struct uart u;
	long before;

	model_sifive_uart0();
	u = uart_for_model();
	expect_eq(uart_init(&u), 0);
	u.tx_spins = 200;
	model.tx_full = 1;
	before = model.n_access;
	expect_eq(uart_putc(&u, 'x'), -KEEL_ETIMEDOUT);
	expect_eq(model.n_access - before, 200);
	before = model.n_access;
	expect_eq(uart_putc(&u, 'y'), -KEEL_ETIMEDOUT);
	expect_eq(model.n_access - before, 1);
	model.tx_full = 0;
	expect_eq(uart_putc(&u, 'z'), 0);
	expect_tx("z");
}

static void sifive_getc(void)
{
	struct uart u;
	const struct step steps[] = {
		R(SIFIVE_UART_RXDATA),
		R(SIFIVE_UART_RXDATA),
		R(SIFIVE_UART_RXDATA),
	};

	model_sifive_uart0();
	u = uart_for_model();
	model_rx_push("\x7f"
		      "A");
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

	model_sifive_uart0();
	u = uart_for_model();
	model.ie = SIFIVE_UART_IP_TXWM; /* another enable bit survives */
	uart_rx_irq(&u, 1);
	expect_eq(uart_rx_irq_pending(&u), 0);
	model_rx_push("r");
	expect_eq(uart_rx_irq_pending(&u), 1);
	uart_rx_irq(&u, 0);
	expect_seq(steps);
}

/* clang-format off */
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
/* clang-format on */

UART_TEST_MAIN(cases)

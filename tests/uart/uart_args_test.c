/*
 * uart_args_test.c - the UART drivers' command line (servers/uart/uart_args.c)
 * on the host, ASan + UBSan: what devmgr passes for the boards' UARTs, the
 * defaults of each binding, the name the server registers, and the
 * malformed arguments a driver must refuse rather than guess at.
 *
 * Output is TAP (tests/unit/testlib.h); `uart_args_test NAME` runs one case.
 */
#define TESTLIB_NAME "uart_args_test"
#include "testlib.h"
#include "uart_test.h"

#include "uart_args.h"

#define ARGC(v) ((int)(sizeof(v) / sizeof((v)[0])))

static char why[96];

static int parse(struct uart_args *a, enum uart_kind kind, int argc, char *const argv[])
{
	why[0] = '\0';
	return uart_args_parse(a, kind, argc, argv, why, sizeof(why));
}

static void expect_str(const char *got, const char *want)
{
	if (!got || strcmp(got, want))
		diag("got \"%s\", want \"%s\"", got ? got : "(null)", want);
}

static void expect_name(const struct uart_args *a, const char *want)
{
	char name[PROTO_NAME_MAX], padded[PROTO_NAME_MAX] = { 0 };

	memset(name, 'X', sizeof(name));
	uart_args_name(a, name);
	memcpy(padded, want, strlen(want) < sizeof(padded) ? strlen(want) : sizeof(padded));
	if (memcmp(name, padded, sizeof(name)))
		diag("name \"%.32s\", want \"%s\" NUL-padded", name, want);
}

static void qemu_virt_ns16550a(void)
{
	char *argv[] = { "uart-8250", "/soc/serial@10000000",	 "reg=0x10000000,0x100",
			 "irq=10",    "clock-frequency=3686400", "console" };
	struct uart_args a;

	expect_eq(parse(&a, UART_KIND_8250, ARGC(argv), argv), 0);
	expect_str(a.node, "/soc/serial@10000000");
	expect_eq(a.pa, 0x10000000);
	expect_eq(a.size, 0x100);
	expect_eq(a.irq, 10);
	expect_eq(a.reg_shift, 0); /* the 8250 binding's defaults */
	expect_eq(a.io_width, 1);
	expect_eq(a.clock_hz, 3686400);
	expect_eq(a.baud, 0); /* no current-speed: keep the firmware's divisor */
	expect_eq(a.console, 1);
	expect_str(uart_args_label(&a, UART_KIND_8250), "ns16550a");
	expect_name(&a, "console-uart");
}

static void visionfive2_dw(void)
{
	char *argv[] = { "uart-8250",
			 "/soc/serial@10000000",
			 "reg=0x10000000,0x10000",
			 "irq=32",
			 "reg-shift=2",
			 "reg-io-width=4",
			 "clock-frequency=24000000",
			 "current-speed=115200" };
	struct uart_args a;

	expect_eq(parse(&a, UART_KIND_8250, ARGC(argv), argv), 0);
	expect_eq(a.reg_shift, 2);
	expect_eq(a.io_width, 4);
	expect_eq(a.clock_hz, 24000000);
	expect_eq(a.baud, 115200);
	expect_eq(a.console, 0);
	expect_str(uart_args_label(&a, UART_KIND_8250), "snps,dw-apb-uart");
	expect_name(&a, "serial@10000000");
}

static void sifive_u(void)
{
	char *argv[] = { "uart-sifive", "/soc/serial@10010000", "reg=0x10010000,0x1000", "irq=4",
			 "console" };
	struct uart_args a;

	expect_eq(parse(&a, UART_KIND_SIFIVE, ARGC(argv), argv), 0);
	expect_eq(a.reg_shift, 2); /* SiFive: 32-bit registers 4 apart */
	expect_eq(a.io_width, 4);
	expect_eq(a.irq, 4);
	expect_str(uart_args_label(&a, UART_KIND_SIFIVE), "sifive,uart0");
}

static void no_irq_and_extras(void)
{
	char *argv[] = { "uart-8250",	"/serial@3f8",	      "reg=1016,8",    "irq=-1",
			 "status=okay", "compatible=ns16550", "reg-io-width=1" };
	struct uart_args a;

	expect_eq(parse(&a, UART_KIND_8250, ARGC(argv), argv), 0);
	expect_eq(a.irq, UART_IRQ_NONE);
	expect_eq(a.pa, 1016); /* decimal too */
	expect_str(uart_args_label(&a, UART_KIND_8250), "ns16550");
	expect_name(&a, "serial@3f8");
}

static void irq_absent_is_none(void)
{
	char *argv[] = { "uart-8250", "/soc/serial@10000000", "reg=0x10000000,0x100" };
	struct uart_args a;

	expect_eq(parse(&a, UART_KIND_8250, ARGC(argv), argv), 0);
	expect_eq(a.irq, UART_IRQ_NONE);
}

/* Each of these must be refused, with a reason. */
static void refuses_bad_arguments(void)
{
	static const char *const bad[][3] = {
		{ "serial@10000000", "reg=0x10000000,0x100", "irq=10" },  /* not a path */
		{ "/soc/serial@10000000", "irq=10", "console" },	  /* no reg */
		{ "/soc/serial@10000000", "reg=0x10000000", "irq=10" },	  /* no size */
		{ "/soc/serial@10000000", "reg=0x10000000,0", "irq=10" }, /* empty */
		{ "/soc/serial@10000000", "reg=0xffffffffffffff00,0x200", "irq=1" }, /* wraps */
		{ "/soc/serial@10000000", "reg=0x1000zz,0x100", "irq=10" },
		{ "/soc/serial@10000000", "reg=,0x100", "irq=10" },
		{ "/soc/serial@10000000", "reg=0x10000000,0x100", "irq=ten" },
		{ "/soc/serial@10000000", "reg=0x10000000,0x100", "irq=0" }, /* PLIC: none */
		{ "/soc/serial@10000000", "reg=0x10000000,0x100", "irq=1024" },
		{ "/soc/serial@10000000", "reg=0x10000000,0x100", "irq=-2" },
		{ "/soc/serial@10000000", "reg=0x10000000,0x100", "reg-shift=-1" },
		{ "/soc/serial@10000000", "reg=0x10000000,0x100", "reg-shift=32" },
		{ "/soc/serial@10000000", "reg=0x10000000,0x100", "reg-io-width=" },
		{ "/soc/serial@10000000", "reg=0x10000000,0x100", "current-speed=4294967296" },
		{ "/soc/serial@10000000", "reg=0x10000000,0x100", "clock-frequency= 1" },
		{ "/soc/serial@10000000", "reg=0x10000000,0x100", "loopback" }, /* unknown word */
		{ "/soc/serial@10000000", "reg=0x10000000,0x100", "=5" },
	};
	struct uart_args a;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *argv[] = { "uart-8250", (char *)bad[i][0], (char *)bad[i][1],
				 (char *)bad[i][2] };

		if (parse(&a, UART_KIND_8250, ARGC(argv), argv) != -1)
			diag("accepted %s %s %s", bad[i][0], bad[i][1], bad[i][2]);
		else if (!why[0])
			diag("refused %s %s %s without a reason", bad[i][0], bad[i][1], bad[i][2]);
	}
	{
		char *argv[] = { "uart-8250" };

		expect_eq(parse(&a, UART_KIND_8250, ARGC(argv), argv), -1);
	}
}

static void long_names_fit(void)
{
	char *argv[] = { "uart-8250", "/soc/a-very-long-serial-node-name@10000000",
			 "reg=0x10000000,0x100", "console" };
	char *root[] = { "uart-8250", "/", "reg=0x10000000,0x100" };
	struct uart_args a;

	expect_eq(parse(&a, UART_KIND_8250, ARGC(argv), argv), 0);
	expect_name(&a, "console-uart");
	a.console = 0;
	expect_name(&a, "a-very-long-serial-node-name@100"); /* 32 bytes, no NUL */
	expect_eq(parse(&a, UART_KIND_8250, ARGC(root), root), 0);
	expect_name(&a, "uart");
}

/* clang-format off */
static const struct tap_case cases[] = {
	CASE(qemu_virt_ns16550a),
	CASE(visionfive2_dw),
	CASE(sifive_u),
	CASE(no_irq_and_extras),
	CASE(irq_absent_is_none),
	CASE(refuses_bad_arguments),
	CASE(long_names_fit),
};
/* clang-format on */

UART_TEST_MAIN(cases)

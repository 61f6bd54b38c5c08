/*
 * uart_args.c - parse a UART driver's arguments (uart_args.h has the
 * format). Every number is C syntax (0x hex or decimal) and must fill its
 * field; nothing here touches the hardware or the kernel.
 */
#include "grants.h"
#include "uart_args.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* reg=<pa>,<size> and irq=<n>: servers/lib/grants.c, as init reads them. */
static int parse_reg(struct uart_args *a, const char *s)
{
	return keel_grant_reg(s, &a->pa, &a->size);
}

static int parse_irq(struct uart_args *a, const char *s)
{
	return keel_grant_irq(s, &a->irq);
}

static int parse_u32(const char *s, uint32_t max, uint32_t *v)
{
	uint64_t n;

	if (keel_grant_u64(s, max, &n))
		return -1;
	*v = (uint32_t)n;
	return 0;
}

/* One key=value; 0, or -1 if @key is known and @val malformed. */
static int parse_option(struct uart_args *a, const char *key, size_t klen, const char *val)
{
	uint32_t n;

#define KEY_IS(k) (klen == sizeof(k) - 1 && !memcmp(key, k, klen))
	if (KEY_IS("reg"))
		return parse_reg(a, val);
	if (KEY_IS("irq"))
		return parse_irq(a, val);
	if (KEY_IS("reg-shift")) {
		if (parse_u32(val, 31, &n))
			return -1;
		a->reg_shift = n;
		return 0;
	}
	if (KEY_IS("reg-io-width")) {
		if (parse_u32(val, 8, &n))
			return -1;
		a->io_width = n;
		return 0;
	}
	if (KEY_IS("clock-frequency"))
		return parse_u32(val, UINT32_MAX, &a->clock_hz);
	if (KEY_IS("current-speed"))
		return parse_u32(val, UINT32_MAX, &a->baud);
	if (KEY_IS("compatible")) {
		a->compatible = *val ? val : NULL;
		return 0;
	}
#undef KEY_IS
	return 0; /* another property devmgr passed: not ours */
}

int uart_args_parse(struct uart_args *a, enum uart_kind kind, int argc, char *const argv[],
		    char *err, size_t errlen)
{
	int have_reg = 0;

	*a = (struct uart_args){ .irq = UART_IRQ_NONE };
	a->reg_shift = kind == UART_KIND_SIFIVE ? SIFIVE_UART_SHIFT : 0;
	a->io_width = kind == UART_KIND_SIFIVE ? SIFIVE_UART_WIDTH : 1;
	if (argc < 2 || argv[1][0] != '/') {
		snprintf(err, errlen, "want a device-tree node path, then reg=<pa>,<size> irq=<n>");
		return -1;
	}
	a->node = argv[1];
	for (int i = 2; i < argc; i++) {
		const char *arg = argv[i], *eq = strchr(arg, '=');

		if (!strcmp(arg, "console")) {
			a->console = 1;
			continue;
		}
		if (!eq || eq == arg) {
			snprintf(err, errlen, "unknown argument \"%s\"", arg);
			return -1;
		}
		if (parse_option(a, arg, (size_t)(eq - arg), eq + 1)) {
			snprintf(err, errlen, "bad value in \"%s\"", arg);
			return -1;
		}
		if (eq - arg == 3 && !memcmp(arg, "reg", 3))
			have_reg = 1;
	}
	if (!have_reg) {
		snprintf(err, errlen, "no reg=<pa>,<size>");
		return -1;
	}
	return 0;
}

void uart_args_name(const struct uart_args *a, char name[PROTO_NAME_MAX])
{
	const char *base = strrchr(a->node, '/');
	size_t n;

	base = base ? base + 1 : a->node;
	if (a->console)
		base = UART_CONSOLE_NAME;
	else if (!*base)
		base = "uart"; /* "/": no node name to give */
	n = strlen(base);
	if (n > PROTO_NAME_MAX)
		n = PROTO_NAME_MAX;
	memset(name, 0, PROTO_NAME_MAX);
	memcpy(name, base, n);
}

const char *uart_args_label(const struct uart_args *a, enum uart_kind kind)
{
	if (a->compatible)
		return a->compatible;
	if (kind == UART_KIND_SIFIVE)
		return "sifive,uart0";
	/* The 8250 binding's 32-bit layout is the DesignWare one on the boards Keel knows. */
	return a->io_width == 4 ? "snps,dw-apb-uart" : "ns16550a";
}

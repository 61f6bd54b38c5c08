/*
 * main_8250.c - uart-8250: the driver server for ns16550a, ns16550 (QEMU
 * virt) and snps,dw-apb-uart (StarFive JH7110, JH7100). Everything but
 * the kind of UART lives in uart_server.c.
 */
#include "uart_server.h"

static const struct uart_variant uart_8250 = {
	.name = "uart-8250",
	.kind = UART_KIND_8250,
};

int main(int argc, char **argv)
{
	return uart_server_main(&uart_8250, argc, argv);
}

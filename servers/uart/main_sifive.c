/*
 * main_sifive.c - uart-sifive: the driver server for sifive,uart0 (QEMU
 * sifive_u, FU540, FU740). Everything but the kind of UART lives in
 * uart_server.c.
 */
#include "uart_server.h"

static const struct uart_variant uart_sifive = {
	.name = "uart-sifive",
	.kind = UART_KIND_SIFIVE,
};

int main(int argc, char **argv)
{
	return uart_server_main(&uart_sifive, argc, argv);
}

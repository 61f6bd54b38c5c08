/*
 * uart_server.c - a UART driver server: the console protocol (proto.h,
 * CON_*) over one UART that uart_hw.c drives.
 *
 * Start: parse argv (uart_args.c), map the register window (handle slot
 * DRV_H_MMIO), program the UART, make an endpoint and bind the IRQ's
 * notification (slot DRV_H_IRQ_NOTIF) to it, then report PROTO_READY to
 * the parent with a send handle to the endpoint, under the name
 * uart_args_name() gives: "console-uart" for the console node (what
 * servers/console looks up), else the node's basename. Without an IRQ
 * (irq=-1, or the bind failed) the server polls the receiver every
 * UART_POLL_US.
 *
 * Serving: up to UART_MAX_CLIENTS clients, keyed by pid, each with the
 * 4 KiB page it shared at CON_CONNECT and a notification the server
 * signals (bit 0) when input arrives after a CON_READ found none. The
 * table is servers/lib/clients.c's (the notification is its notif): when
 * it is full, clients whose task is gone make room.
 * Received bytes wait in one ring of UART_RX_RING bytes; when it is full
 * new bytes are dropped (and counted), so a flood never stalls the loop.
 * CON_WRITE turns "\n" into "\r\n"; a transmitter that never has room
 * makes it return early (uart_putc's bound), never hang.
 *
 * One thread: nothing here is shared, nothing is locked.
 */
#include <stdio.h>
#include <string.h>

#include "clients.h"
#include "keel.h"
#include "proto.h"
#include "serve.h"
#include "uart_args.h"
#include "uart_server.h"

#define UART_PAGE_SIZE	    4096UL
#define UART_MAX_CLIENTS    8
#define UART_RX_RING	    1024U /* a power of two */
#define UART_POLL_US	    10000 /* 10 ms without an IRQ */
#define UART_RX_BURST	    256	  /* bytes one drain takes at most */
#define UART_WRITE_RX_EVERY 16	  /* a long write looks at the receiver this often */
#define UART_NOTIFY_INPUT   1UL	  /* the bit a client's notification gets */

_Static_assert((UART_RX_RING & (UART_RX_RING - 1)) == 0, "ring size is a power of two");
_Static_assert(sizeof(((struct keel_msg *)0)->w) == PROTO_NAME_MAX, "a name fills the 4 words");

static struct {
	const struct uart_variant *v;
	struct uart_args args;
	struct uart uart;
	long ep;
	int polling;
	struct keel_client slot[UART_MAX_CLIENTS]; /* notif: the client waits on a copy */
	struct keel_clients clients;		   /* over slot[] */
	int waiting[UART_MAX_CLIENTS];		   /* by slot: its last CON_READ found nothing */
	uint8_t ring[UART_RX_RING];
	unsigned int head, count; /* bytes wait at ring[head ...] */
	unsigned long dropped;
	int said_dropped, said_tx, said_ipc, said_ack;
} srv;

#define say(fmt, ...) printf("%s: %s: " fmt "\n", srv.v->name, srv.args.node, ##__VA_ARGS__)

/* --- received bytes --------------------------------------------------------- */

/* Move what the receiver holds into the ring (bounded); the bytes taken. */
static unsigned int rx_drain(void)
{
	unsigned int n = 0;
	int c;

	while (n < UART_RX_BURST && (c = uart_getc(&srv.uart)) >= 0) {
		n++;
		if (srv.count == UART_RX_RING) {
			srv.dropped++;
			continue;
		}
		srv.ring[(srv.head + srv.count++) & (UART_RX_RING - 1)] = (uint8_t)c;
	}
	if (srv.dropped && !srv.said_dropped) {
		srv.said_dropped = 1;
		say("input ring full: dropping bytes nobody reads");
	}
	return n;
}

/* Wake every client whose last CON_READ found nothing, if there is input now. */
static void rx_notify(void)
{
	if (!srv.count)
		return;
	for (int i = 0; i < UART_MAX_CLIENTS; i++) {
		if (srv.slot[i].pid && srv.waiting[i]) {
			keel_notif_signal(srv.slot[i].notif, UART_NOTIFY_INPUT);
			srv.waiting[i] = 0;
		}
	}
}

static void rx_poll(void)
{
	if (rx_drain())
		rx_notify();
}

/* The IRQ's notification fired: the UART is masked at the PLIC until the ack. */
static void on_irq(void)
{
	long err;

	(void)uart_rx_irq_pending(&srv.uart); /* clears DesignWare busy detect */
	rx_drain();
	err = keel_irq_ack(DRV_H_IRQ);
	if (err < 0 && !srv.said_ack) {
		srv.said_ack = 1;
		say("irq_ack: %s", keel_strerror(err));
	}
	rx_notify();
}

/* --- clients -------------------------------------------------------------- */

/*
 * CON_CONNECT: map the client's page, make its notification; the reply
 * carries a wait-only copy, which the caller closes after replying. The
 * same task again starts afresh.
 */
static long con_connect(long pid, long mem, long *reply_handle)
{
	struct keel_client *c;
	long err, dup;

	if (mem == KEEL_HANDLE_NONE)
		return -KEEL_EINVAL;
	c = keel_client_connect(&srv.clients, pid, mem, &err);
	if (!c)
		return err;
	c->notif = keel_notif_create();
	dup = c->notif < 0 ? c->notif : keel_handle_dup(c->notif, KEEL_R_WAIT | KEEL_R_TRANSFER);
	if (dup < 0) {
		keel_client_drop(&srv.clients, c);
		return dup;
	}
	srv.waiting[c - srv.slot] = 0;
	*reply_handle = dup;
	return 0;
}

/* CON_WRITE: @n bytes from the client's page; the bytes written, or -KEEL_E*. */
static long con_write(struct keel_client *c, unsigned long n)
{
	unsigned long i;

	if (n > PROTO_SHARED_SIZE)
		return -KEEL_EINVAL;
	for (i = 0; i < n; i++) {
		uint8_t b = c->page[i];

		if (b == '\n' && uart_putc(&srv.uart, '\r'))
			break;
		if (uart_putc(&srv.uart, b))
			break;
		/* The RX FIFO is small: do not let a long write overrun it. */
		if (i % UART_WRITE_RX_EVERY == UART_WRITE_RX_EVERY - 1)
			rx_drain();
	}
	rx_poll();
	if (i < n && !srv.said_tx) {
		srv.said_tx = 1;
		say("transmitter never ready: output dropped");
	}
	return i || !n ? (long)i : -KEEL_ETIMEDOUT;
}

/* CON_READ: up to @max waiting bytes into the client's page; how many. */
static long con_read(struct keel_client *c, unsigned long max)
{
	unsigned int n = srv.count;

	if (max > PROTO_SHARED_SIZE)
		max = PROTO_SHARED_SIZE;
	if (n > max)
		n = (unsigned int)max;
	for (unsigned int i = 0; i < n; i++)
		c->page[i] = srv.ring[(srv.head + i) & (UART_RX_RING - 1)];
	srv.head = (srv.head + n) & (UART_RX_RING - 1);
	srv.count -= n;
	if (!n)
		srv.waiting[c - srv.slot] = 1;
	return n;
}

/* --- the loop (servers/lib/serve.c) ----------------------------------------- */

static long on_connect(struct keel_req *q)
{
	long r, handle = KEEL_HANDLE_NONE;

	if (q->pid <= 0)
		return -KEEL_EINVAL; /* no caller pid to key a client by */
	r = con_connect(q->pid, q->m.handle, &handle);
	q->m.handle = KEEL_HANDLE_NONE; /* the table keeps it, or closed it */
	q->r.handle = handle;
	q->close_reply = 1; /* the client has its copy then */
	return r;
}

/* CON_WRITE and CON_READ: a connected client's; w0 = the count. */
static long on_io(struct keel_req *q)
{
	struct keel_client *c = q->pid > 0 ? keel_client_find(&srv.clients, q->pid) : NULL;
	long r;

	if (!c)
		return -KEEL_EINVAL; /* CON_CONNECT first */
	r = q->m.label == CON_WRITE ? con_write(c, q->m.w[0]) : con_read(c, q->m.w[0]);
	if (r >= 0)
		q->r.w[0] = (unsigned long)r;
	return r < 0 ? r : 0;
}

static void on_notify(unsigned long bits)
{
	(void)bits;
	on_irq();
}

static const struct keel_op ops[] = {
	{ CON_CONNECT, on_connect },
	{ CON_WRITE, on_io },
	{ CON_READ, on_io },
};

static struct keel_server server = {
	.ops = ops,
	.nops = KEEL_OPS_N(ops),
	.unknown = -KEEL_ENOTSUP,
	.notify = on_notify,
};

/* --- start ------------------------------------------------------------------ */

/* Map the register window; 0 or -KEEL_E*. The handle maps from the page holding pa. */
static long map_registers(void)
{
	unsigned long off = srv.args.pa & (UART_PAGE_SIZE - 1);
	unsigned long len = (off + srv.args.size + UART_PAGE_SIZE - 1) & ~(UART_PAGE_SIZE - 1);
	long va = keel_mmap(DRV_H_MMIO, 0, len, KEEL_PROT_READ | KEEL_PROT_WRITE);

	if (va < 0)
		return va;
	srv.uart.base = (uintptr_t)va + off;
	return 0;
}

/* Bind the IRQ's notification to the endpoint, or fall back to polling. */
static void irq_setup(void)
{
	long err;

	srv.polling = 1;
	if (srv.args.irq == UART_IRQ_NONE)
		return;
	err = keel_ep_bind(srv.ep, DRV_H_IRQ_NOTIF);
	if (err < 0) {
		say("cannot bind irq %ld: %s; polling every %d ms", srv.args.irq,
		    keel_strerror(err), UART_POLL_US / 1000);
		return;
	}
	srv.polling = 0;
	uart_rx_irq(&srv.uart, 1);
}

/* PROTO_READY to the parent: our name and a send handle to our endpoint. */
static void report_ready(void)
{
	char name[PROTO_NAME_MAX + 1] = { 0 };
	long err;

	uart_args_name(&srv.args, name);
	err = keel_ready(srv.ep, name);
	if (err < 0)
		say("cannot report ready as \"%s\": %s", name, keel_strerror(err));
}

static void print_start(void)
{
	char irq[24];

	if (srv.args.irq == UART_IRQ_NONE)
		snprintf(irq, sizeof(irq), "no irq");
	else
		snprintf(irq, sizeof(irq), "irq %ld", srv.args.irq);
	say("%s at 0x%lx, %s, reg-shift %u, io-width %u%s", uart_args_label(&srv.args, srv.v->kind),
	    (unsigned long)srv.args.pa, irq, srv.uart.reg_shift, srv.uart.io_width,
	    srv.args.console ? ", console" : "");
}

int uart_server_main(const struct uart_variant *v, int argc, char **argv)
{
	char why[96];
	long err;

	memset(&srv, 0, sizeof(srv));
	srv.v = v;
	srv.clients = (struct keel_clients){ srv.slot, UART_MAX_CLIENTS, PROTO_SHARED_SIZE };
	if (uart_args_parse(&srv.args, v->kind, argc, argv, why, sizeof(why))) {
		printf("%s: %s\n", v->name, why);
		printf("usage: %s <node path> reg=<pa>,<size> irq=<n> [reg-shift=N] "
		       "[reg-io-width=N] [clock-frequency=N] [current-speed=N] [console]\n",
		       v->name);
		return 2;
	}
	if (uart_setup(&srv.uart, v->kind, 0, srv.args.reg_shift, srv.args.io_width)) {
		say("reg-shift %u with reg-io-width %u is not a layout this driver knows",
		    srv.args.reg_shift, srv.args.io_width);
		return 2;
	}
	if (srv.args.size < uart_span(&srv.uart)) {
		say("reg size 0x%lx is smaller than the registers (0x%lx)",
		    (unsigned long)srv.args.size, uart_span(&srv.uart));
		return 2;
	}
	srv.uart.clock_hz = srv.args.clock_hz;
	srv.uart.baud = srv.args.baud;
	err = map_registers();
	if (err) {
		say("cannot map reg 0x%lx size 0x%lx: %s", (unsigned long)srv.args.pa,
		    (unsigned long)srv.args.size, keel_strerror(err));
		return 1;
	}
	print_start();
	err = uart_init(&srv.uart);
	if (err) {
		say("init: %s", err == -KEEL_ERANGE ? "clock-frequency cannot make current-speed"
						    : keel_strerror(err));
		return 1;
	}
	static char label[96];

	snprintf(label, sizeof(label), "%s: %s", v->name, srv.args.node);
	server.name = label; /* the serve loop's lines, as say() puts them */
	if (keel_serve_init(&server) < 0) {
		say("ep_create: %s", keel_strerror(server.ep));
		return 1;
	}
	srv.ep = server.ep;
	irq_setup();
	if (srv.polling) {
		server.tick = rx_poll; /* no interrupt: look at the receiver every 10 ms */
		server.tick_us = UART_POLL_US;
	}
	report_ready();
	keel_serve(&server);
}

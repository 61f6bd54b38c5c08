/*
 * console.c - the console server: it takes the console over from the
 * core's early console (the firmware's, through SBI) and from then on
 * prints the kernel log itself, and serves the shell's input and output
 * over the console protocol (proto.h, CON_*).
 *
 * Below it is the UART driver devmgr started for /chosen's stdout-path,
 * which registered as "console-uart"; the console server is that
 * driver's one client. Kernel lines come from dmesg, starting where the
 * core stopped printing (console_claim says where); a line the console
 * log level hides comes back as -KEEL_ENOENT and is skipped. Clients
 * write whole buffers, which go out between kernel lines, never inside
 * one. Typed bytes go to a ring; every client waiting for input is
 * signalled.
 *
 * A client's unfinished line (the shell's prompt and what is typed so
 * far: what it wrote after its last newline) is kept; output from anyone
 * else first clears that screen line and, once it ends its own line,
 * writes the kept bytes again, so a kernel line or another task's output
 * never lands inside the line being typed (pend_*).
 *
 * Without a console UART (no driver for it, or it failed), the server
 * still serves its clients, through the core's console calls, and
 * leaves the core printing its log.
 *
 * Slots: 0 init's endpoint, 1 a control handle with the device right
 * (console_claim).
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "client.h"
#include "clients.h"
#include "keel.h"
#include "proto.h"
#include "serve.h"

#define H_CONTROL     1
#define MAX_CLIENTS   8
#define IN_RING	      1024
#define LOG_POLL_US   20000 /* how often new kernel lines are looked for */
#define UART_WAIT_MS  2000  /* for the UART driver to register */
#define UART_RETRY_MS 100   /* then how often to look again */

static struct keel_client client_slots[MAX_CLIENTS];
static struct keel_clients clients = { client_slots, MAX_CLIENTS, PROTO_SHARED_SIZE };
static long uart_ep = -1, uart_notif = -1;
static char *uart_page;
static long uart_mem = -1;
static long console_ep = -1;
static int claimed;
static int uart_gone; /* a driver went away and none came within UART_WAIT_MS */
static unsigned long log_seq;
static char in_ring[IN_RING];
static unsigned int in_head, in_tail; /* head - tail bytes waiting */

static bool uart_lost(void);
static bool uart_connect(unsigned int wait_ms);

#define PEND_MAX 1024
static char pend[PEND_MAX]; /* pend_pid's unfinished screen line */
static size_t pend_len;
static long pend_pid = -1;
static bool pend_hidden; /* cleared from the screen for someone else's output */

/* @len bytes out: through the UART driver, or the core when there is none. */
static void out(const char *s, size_t len)
{
	while (len) {
		size_t n = len < PROTO_SHARED_SIZE ? len : PROTO_SHARED_SIZE;
		struct keel_msg m = { .label = CON_WRITE, .w = { n }, .handle = KEEL_HANDLE_NONE },
				r;

		if (uart_ep < 0) {
			keel_write(1, s, n);
		} else {
			memcpy(uart_page, s, n);
			if (keel_ipc_call(uart_ep, &m, &r) < 0 && uart_lost())
				continue; /* a new driver: this chunk again */
			if (uart_ep < 0)
				keel_write(1, s, n);
		}
		s += n;
		len -= n;
	}
}

/* Clear the unfinished line (CR, then ESC [ K: erase to the end of the line). */
static void pend_hide(void)
{
	if (pend_len && !pend_hidden) {
		out("\r\033[K", 4);
		pend_hidden = true;
	}
}

static void pend_show(void)
{
	if (pend_hidden)
		out(pend, pend_len);
	pend_hidden = false;
}

/* @pid wrote @s: keep what it left unfinished. */
static void pend_track(long pid, const char *s, size_t n)
{
	size_t start = n;
	const char *cr;

	while (start && s[start - 1] != '\n')
		start--;
	if (pid != pend_pid && start == n)
		return; /* whole lines: the kept line stays */
	if (pid != pend_pid) {
		pend_pid = pid; /* its unfinished line replaces the kept one */
		pend_len = 0;
		pend_hidden = false;
	}
	if (start)
		pend_len = 0;
	if (n - start > PEND_MAX - pend_len) {
		/* The shell writes its whole line again after a CR: keep from the last. */
		for (cr = s + start; memchr(cr + 1, '\r', (size_t)(s + n - cr - 1));)
			cr = memchr(cr + 1, '\r', (size_t)(s + n - cr - 1));
		start = (size_t)(cr - s);
		pend_len = 0;
		if (n - start > PEND_MAX || s[start] != '\r') {
			pend_pid = -1; /* too long to keep: this line is not redrawn */
			return;
		}
	}
	memcpy(pend + pend_len, s + start, n - start);
	pend_len += n - start;
}

/*
 * Init restarts a driver that keeps dying after a backoff of up to 3.2 s,
 * longer than uart_lost() waits: look for it again now and then, and
 * take the console back when it is there.
 */
static void uart_retry(void)
{
	static uint64_t last;
	long seq;

	if (!uart_gone || keel_time_ns() - last < UART_RETRY_MS * 1000000ULL)
		return;
	last = keel_time_ns();
	if (!uart_connect(0))
		return;
	uart_gone = 0;
	seq = keel_console_claim(H_CONTROL, 1);
	if (seq >= 0) {
		claimed = 1;
		log_seq = (unsigned long)seq;
	}
	printf("console: reconnected to the console UART\n");
}

/* Print the kernel lines the core no longer prints. */
static void drain_log(void)
{
	char line[512];

	uart_retry();
	if (!claimed)
		return;
	for (;;) {
		long n = keel_dmesg(log_seq | KEEL_DMESG_CONSOLE, line, sizeof(line));

		if (n == 0)
			break;
		log_seq++;
		if (n > 0) {
			pend_hide();
			out(line, (size_t)n);
		}
	}
	pend_show();
}

/* Take what the UART has; wake the clients that wait for it. */
static void pull_input(void)
{
	int got = 0;

	for (;;) {
		struct keel_msg m = { .label = CON_READ, .handle = KEEL_HANDLE_NONE }, r;
		unsigned int room = IN_RING - (in_head - in_tail);

		if (uart_ep < 0 || !room)
			break;
		m.w[0] = room < PROTO_SHARED_SIZE ? room : PROTO_SHARED_SIZE;
		if (keel_ipc_call(uart_ep, &m, &r) < 0) {
			uart_lost();
			break;
		}
		if ((long)r.label < 0 || !r.w[0])
			break;
		for (unsigned long i = 0; i < r.w[0] && i < m.w[0]; i++)
			in_ring[in_head++ % IN_RING] = uart_page[i];
		got = 1;
	}
	for (int i = 0; got && i < MAX_CLIENTS; i++)
		if (client_slots[i].pid)
			keel_notif_signal(client_slots[i].notif, 1);
}

static long on_connect(struct keel_req *q)
{
	long err;
	struct keel_client *c;

	if (q->m.handle < 0)
		return -KEEL_EINVAL;
	c = keel_client_connect(&clients, q->pid, q->m.handle, &err);
	q->m.handle = KEEL_HANDLE_NONE; /* the table keeps it, or closed it */
	if (!c)
		return err;
	c->notif = keel_notif_create();
	if (c->notif < 0) {
		err = c->notif;
		c->notif = -1;
		keel_client_drop(&clients, c);
		return err;
	}
	q->r.handle = keel_handle_dup(c->notif, KEEL_R_WAIT | KEEL_R_TRANSFER);
	q->close_reply = 1; /* the client has its copy then */
	return 0;
}

static long on_write(struct keel_req *q)
{
	struct keel_client *c = keel_client_find(&clients, q->pid);
	unsigned long n = q->m.w[0];

	if (!c)
		return -KEEL_EINVAL; /* not connected */
	if (n > PROTO_SHARED_SIZE)
		return -KEEL_EINVAL;
	drain_log(); /* kernel lines first: they came first */
	if (c->pid != pend_pid)
		pend_hide();
	out(c->page, n);
	pend_track(c->pid, c->page, n);
	if (!n || c->page[n - 1] == '\n')
		pend_show();
	q->r.w[0] = n;
	return 0;
}

static long on_read(struct keel_req *q)
{
	struct keel_client *c = keel_client_find(&clients, q->pid);
	unsigned long n = 0;

	if (!c)
		return -KEEL_EINVAL;
	if (uart_ep < 0)
		return -KEEL_ENOTSUP; /* the client reads the core's console */
	while (n < q->m.w[0] && n < PROTO_SHARED_SIZE && in_tail != in_head)
		c->page[n++] = in_ring[in_tail++ % IN_RING];
	q->r.w[0] = n;
	return 0;
}

static void uart_disconnect(void)
{
	if (uart_page)
		keel_munmap(uart_page, PROTO_SHARED_SIZE);
	if (uart_mem >= 0)
		keel_handle_close(uart_mem);
	if (uart_notif >= 0)
		keel_handle_close(uart_notif); /* the binding keeps its own reference */
	if (uart_ep >= 0)
		keel_handle_close(uart_ep);
	uart_page = NULL;
	uart_mem = uart_notif = uart_ep = -1;
}

/*
 * Connect to the UART driver devmgr registered as "console-uart", waiting
 * up to @wait_ms for it; its input notification is bound to our endpoint.
 */
static bool uart_connect(unsigned int wait_ms)
{
	uint64_t t0 = keel_time_ns(), us = KEEL_POLL_FIRST_US;

	/*
	 * Until the deadline: the name may still lead to a driver that just
	 * died, until devmgr registers its successor under it.
	 */
	do {
		struct keel_msg m = { .label = CON_CONNECT }, r;
		long va;

		uart_ep = keel_lookup("console-uart");
		uart_mem = uart_ep < 0 ? -1 : keel_mem_create(PROTO_SHARED_SIZE);
		va = uart_mem < 0 ? -1
				  : keel_mmap(uart_mem, 0, PROTO_SHARED_SIZE,
					      KEEL_PROT_READ | KEEL_PROT_WRITE);
		if (va >= 0)
			uart_page = (char *)va;
		m.handle = uart_mem;
		if (va >= 0 && keel_ipc_call(uart_ep, &m, &r) >= 0 && (long)r.label >= 0) {
			uart_notif = r.handle;
			if (uart_notif >= 0 && console_ep >= 0)
				keel_ep_bind(console_ep, uart_notif);
			/* The driver signals input that comes after a read found none: read now. */
			pull_input();
			return uart_ep >= 0;
		}
		uart_disconnect();
		if (!wait_ms)
			break;
		keel_backoff(&us, KEEL_POLL_MAX_US);
	} while (keel_time_ns() - t0 < (uint64_t)wait_ms * 1000000);
	return false;
}

/*
 * A call to the UART driver failed: it crashed, or was killed, and devmgr
 * starts another. Reconnect to that one; without one, give the console
 * back to the core. True if there is a driver again.
 */
static bool uart_lost(void)
{
	static int reconnecting;
	bool ok;

	if (reconnecting)
		return false;
	reconnecting = 1;
	uart_disconnect();
	printf("console: the console UART driver went away; looking for its successor\n");
	ok = uart_connect(UART_WAIT_MS);
	if (ok) {
		printf("console: reconnected to the console UART\n");
	} else {
		keel_console_claim(H_CONTROL, 0);
		claimed = 0;
		uart_gone = 1;
		printf("console: no console UART driver; back to the early console\n");
	}
	reconnecting = 0;
	return ok;
}

static void on_notify(unsigned long bits)
{
	(void)bits;
	pull_input(); /* the UART driver's input notification */
}

static const struct keel_op ops[] = {
	{ CON_CONNECT, on_connect },
	{ CON_WRITE, on_write },
	{ CON_READ, on_read },
};

static struct keel_server srv = {
	.name = "console",
	.ops = ops,
	.nops = KEEL_OPS_N(ops),
	.notify = on_notify,
	.tick = drain_log,
	.tick_us = LOG_POLL_US,
};

int main(void)
{
	if (keel_serve_init(&srv)) {
		printf("console: no endpoint\n");
		return 1;
	}
	console_ep = srv.ep;
	if (!uart_connect(UART_WAIT_MS))
		printf("console: no console UART driver; staying on the early console\n");
	if (uart_ep >= 0) {
		long seq = keel_console_claim(H_CONTROL, 1);

		if (seq >= 0) {
			claimed = 1;
			log_seq = (unsigned long)seq;
		} else {
			printf("console: cannot take the console over: %s\n", keel_strerror(seq));
		}
	}
	keel_ready_say(srv.ep, "console");
	keel_serve(&srv);
}

/*
 * uart_launch.c - uart-launch: what devmgr will do for one UART, and the
 * driver's first client, for the QEMU test of the UART servers
 * (tests/uart/test_uart_qemu.py, initramfs from servers/uart/uart.ninja).
 *
 *   uart-launch <driver> <node path> reg=<pa>,<size> irq=<n> [driver args]
 *
 * Init starts it with the device right (slot 1). It makes the MMIO handle
 * and the IRQ (bound to a fresh notification), starts <driver> with them
 * in slots 0-3 as proto.h says, takes the driver's PROTO_READY, then
 * connects, writes a line through the driver, and reads one typed line
 * back, waiting on the input notification. Each step prints one
 * "uart-launch: ..." line (through the core's console) that the test
 * waits for; a failed step says why and exits 1. Last, it reports ready
 * to init itself.
 */
#include <stdio.h>
#include <string.h>

#include "keel.h"
#include "proto.h"
#include "uart_args.h"

#define H_DEVICES      1	   /* init's grant: control with KEEL_R_DEVICES */
#define READY_US       10000000ULL /* the driver has 10 s to say ready */
#define LINE_US	       30000000ULL /* the test has 30 s to type its line */
#define NOTIFY_POLL_US 1000000ULL

static int fail(const char *what, long err)
{
	printf("uart-launch: %s: %s\n", what, keel_strerror(err));
	return 1;
}

/* Start the driver with the parent endpoint, MMIO, IRQ notification, IRQ; its pid. */
static long start_driver(char **dargv, const struct uart_args *a, long ep)
{
	long h[4], n = 2, pid;

	h[0] = keel_handle_dup(ep, KEEL_R_SEND | KEEL_R_DUPLICATE | KEEL_R_TRANSFER);
	h[1] = keel_mmio_create(H_DEVICES, a->pa, a->size);
	if (h[0] < 0 || h[1] < 0)
		return h[0] < 0 ? h[0] : h[1];
	if (a->irq != UART_IRQ_NONE) {
		h[2] = keel_notif_create();
		if (h[2] < 0)
			return h[2];
		h[3] = keel_irq_create(H_DEVICES, (unsigned int)a->irq, h[2], 1);
		if (h[3] < 0)
			return h[3];
		n = 4;
	}
	pid = keel_spawn_h(dargv[0], dargv, environ, h, (unsigned long)n);
	for (long i = 0; i < n; i++)
		keel_handle_close(h[i]); /* the driver has its copies */
	return pid;
}

/* Wait for PROTO_READY from the driver; its endpoint (send), or -KEEL_E*. */
static long driver_ready(long ep, char name[PROTO_NAME_MAX + 1])
{
	struct keel_msg m, ok = { .label = 0, .handle = KEEL_HANDLE_NONE };
	long r = keel_ipc_recv_timeout(ep, &m, READY_US);

	if (r < 0)
		return r;
	if (m.label != PROTO_READY) {
		keel_ipc_reply(&(struct keel_msg){ .label = (unsigned long)-KEEL_EINVAL,
						   .handle = KEEL_HANDLE_NONE });
		return -KEEL_EINVAL;
	}
	proto_name_unpack(m.w, name);
	keel_ipc_reply(&ok);
	return m.handle == KEEL_HANDLE_NONE ? -KEEL_ENOENT : m.handle;
}

/*
 * Read until a line end; the bytes, or -KEEL_E*. The first CON_READ comes
 * before the prompt, so the driver knows we wait and every byte typed
 * after the prompt reaches us through the input notification.
 */
static long read_line(long drv, char *page, long notif, char *line, size_t max,
		      unsigned int *notifies)
{
	long ep = keel_ep_create(), err;
	uint64_t t0 = keel_time_ns();
	size_t got = 0;
	int first = 1;

	if (ep < 0)
		return ep;
	err = keel_ep_bind(ep, notif);
	if (err)
		return err;
	while (got < max && (keel_time_ns() - t0) / 1000 < LINE_US) {
		struct keel_msg m = { .label = CON_READ,
				      .w = { max - got },
				      .handle = KEEL_HANDLE_NONE },
				r;

		err = keel_ipc_call(drv, &m, &r);
		if (err < 0 || (long)r.label < 0)
			return err < 0 ? err : (long)r.label;
		memcpy(line + got, page, r.w[0]);
		got += r.w[0];
		if (got && (line[got - 1] == '\r' || line[got - 1] == '\n'))
			return (long)got;
		if (first)
			printf("uart-launch: type a line\n");
		first = 0;
		if (r.w[0])
			continue;
		/* Nothing yet: the driver signals our notification when input comes. */
		err = keel_ipc_recv_timeout(ep, &m, NOTIFY_POLL_US);
		if (err == 0 && m.label == KEEL_LABEL_NOTIFY)
			(*notifies)++;
	}
	return (long)got;
}

int main(int argc, char **argv)
{
	static const char hello[] = "uart-launch: hello through the driver\n";
	struct uart_args a;
	char why[96], name[PROTO_NAME_MAX + 1], line[64];
	struct keel_msg m, r;
	long ep, pid, drv, mem, va, notif, n;
	unsigned int notifies = 0;

	if (argc < 3 || uart_args_parse(&a, UART_KIND_8250, argc - 1, argv + 1, why, sizeof(why))) {
		printf("uart-launch: usage: uart-launch <driver> <node> reg=<pa>,<size> irq=<n>"
		       " [...]%s%s\n",
		       argc < 3 ? "" : ": ", argc < 3 ? "" : why);
		return 2;
	}
	ep = keel_ep_create();
	if (ep < 0)
		return fail("ep_create", ep);
	pid = start_driver(argv + 1, &a, ep);
	if (pid < 0)
		return fail("cannot start the driver", pid);
	drv = driver_ready(ep, name);
	if (drv < 0)
		return fail("no PROTO_READY from the driver", drv);
	printf("uart-launch: %s (pid %ld) ready as \"%s\"\n", argv[1], pid, name);

	mem = keel_mem_create(PROTO_SHARED_SIZE);
	va = mem < 0 ? mem : keel_mmap(mem, 0, PROTO_SHARED_SIZE, KEEL_PROT_READ | KEEL_PROT_WRITE);
	if (va < 0)
		return fail("shared page", va);
	m = (struct keel_msg){ .label = CON_CONNECT, .handle = mem };
	n = keel_ipc_call(drv, &m, &r);
	if (n < 0 || (long)r.label < 0 || r.handle == KEEL_HANDLE_NONE)
		return fail("CON_CONNECT", n < 0 ? n : (long)r.label);
	notif = r.handle;

	memcpy((char *)va, hello, sizeof(hello) - 1);
	m = (struct keel_msg){ .label = CON_WRITE,
			       .w = { sizeof(hello) - 1 },
			       .handle = KEEL_HANDLE_NONE };
	n = keel_ipc_call(drv, &m, &r);
	if (n < 0 || (long)r.label < 0)
		return fail("CON_WRITE", n < 0 ? n : (long)r.label);
	printf("uart-launch: CON_WRITE took %lu of %zu bytes\n", r.w[0], sizeof(hello) - 1);

	n = read_line(drv, (char *)va, notif, line, sizeof(line) - 1, &notifies);
	if (n < 0)
		return fail("CON_READ", n);
	while (n && (line[n - 1] == '\r' || line[n - 1] == '\n'))
		n--;
	line[n] = '\0';
	printf("uart-launch: read \"%s\" after %u input notification%s\n", line, notifies,
	       notifies == 1 ? "" : "s");

	m = (struct keel_msg){ .label = PROTO_READY, .handle = KEEL_HANDLE_NONE };
	proto_name_pack("uart-launch", m.w);
	keel_ipc_call(PROTO_H_PARENT, &m, &r);
	return 0;
}

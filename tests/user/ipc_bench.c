/*
 * ipc_bench.c - what a null system call, an IPC round trip and a
 * notification round trip cost. tests/bench/bench.py runs it on one
 * hart under QEMU -icount shift=0, where one nanosecond of virtual time
 * is one instruction, so SYS_time_ns deltas count instructions.
 *
 * Prints "ipc_bench: <name> <instructions per op>" for each, then
 * "ipc_bench: done"; run as init it then powers off. argv[1] "server" /
 * "waiter" are the partner tasks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keel.h"

#define ITERS	10000

static void report(const char *name, uint64_t t0, uint64_t t1)
{
	printf("ipc_bench: %s %llu\n", name, (unsigned long long)((t1 - t0) / ITERS));
}

/* Echo label + 1 back, forever. */
static int server(void)
{
	struct keel_msg in, out = { 0, { 0 }, KEEL_HANDLE_NONE };
	long pid = keel_ipc_recv(0, &in);

	while (pid >= 0) {
		out.label = in.label + 1;
		pid = keel_ipc_reply_recv(0, &out, &in);
	}
	return 0;
}

/* Wait on slot 0, signal slot 1, forever: the notification ping-pong's far side. */
static int waiter(void)
{
	unsigned long bits;

	while (keel_notif_wait(0, &bits) == 0)
		keel_notif_signal(1, bits);
	return 0;
}

static long start(const char *how, long *h, unsigned long n)
{
	char *argv[] = { "ipc_bench", (char *)how, NULL };

	return keel_spawn_h("/bin/ipc_bench", argv, environ, h, n);
}

int main(int argc, char **argv)
{
	struct keel_msg m = { 0, { 1, 2, 3, 4 }, KEEL_HANDLE_NONE }, r;
	long ep, h[2], pid_s, pid_w;
	unsigned long bits;
	uint64_t t0;

	if (argc > 1)
		return strcmp(argv[1], "server") ? waiter() : server();

	t0 = keel_time_ns();
	for (int i = 0; i < ITERS; i++)
		keel_getpid();
	report("null_syscall", t0, keel_time_ns());

	ep = keel_ep_create();
	pid_s = start("server", &ep, 1);
	h[0] = keel_handle_dup(ep, KEEL_R_SEND);
	keel_handle_close(ep);
	keel_ipc_call(h[0], &m, &r);	/* the server is up and in its loop */
	t0 = keel_time_ns();
	for (int i = 0; i < ITERS; i++)
		if (keel_ipc_call(h[0], &m, &r) || r.label != m.label + 1)
			return printf("ipc_bench: call failed\n"), 1;
	report("ipc_call_reply", t0, keel_time_ns());

	h[0] = keel_notif_create();	/* ping: we signal, the waiter waits */
	h[1] = keel_notif_create();	/* pong */
	pid_w = start("waiter", h, 2);
	keel_notif_signal(h[0], 1);
	keel_notif_wait(h[1], &bits);
	t0 = keel_time_ns();
	for (int i = 0; i < ITERS; i++) {
		keel_notif_signal(h[0], 1);
		keel_notif_wait(h[1], &bits);
	}
	report("notif_signal_wait", t0, keel_time_ns());
	(void)pid_s, (void)pid_w;
	printf("ipc_bench: done\n");
	/* Run as init (rdinit=/bin/ipc_bench, as bench.py does): init may not exit. */
	if (keel_getpid() == 1) {
		fflush(stdout);
		keel_reboot(KEEL_H_INIT_CONTROL, KEEL_REBOOT_POWEROFF);
	}
	return 0;
}

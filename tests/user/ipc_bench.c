/*
 * ipc_bench.c - what a null system call, an IPC round trip, a
 * notification round trip and starting a small program cost.
 * tests/bench/bench.py runs it as init: on one hart under QEMU -icount
 * shift=0, where one nanosecond of virtual time is one instruction, so
 * SYS_time_ns deltas count instructions; and without -icount on 1 and 4
 * harts, where bench.py turns them into time CSR ticks.
 *
 * Prints "ipc_bench: <name> <ns per op> over <ops>" for each, then
 * "ipc_bench: done"; run as init it then powers off. After each round
 * trip, "ipc_bench: harts <name> client A->B <partner> C->D": the
 * hartids ps gave the two tasks before and after the loop (Keel has no
 * affinity call: the core picks a hart at spawn and may move a task).
 * spawn_wait is keel_spawn of /bin/nop (tests/user/nop.c, which exits at
 * once) until keel_wait returns. argv[1] "server" / "waiter" are the
 * partner tasks, argv[2] (if there) the hartid a partner pins itself to.
 *
 * With two harts or more, the two round trips run once more with the
 * pair pinned to two different harts (SYS_hart_pin): ipc_call_reply_xhart
 * and notif_signal_wait_xhart, each followed by "ipc_bench: ipis <name>
 * <n> over <ops>", the IPIs the core sent meanwhile (meminfo's debug
 * counter; other harts' ticks send none, so they are the pair's).
 *
 * A loop that blocks stops after its count, or at the first check (every
 * CHECK_EVERY ops) past BUDGET_NS: a wake-up across harts can cost
 * milliseconds under TCG, and 10000 of them would take a minute. A check
 * is one more SYS_time_ns per CHECK_EVERY ops, under 1% of a round trip;
 * the null system call loop, which cannot block, has none.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keel.h"

#define ITERS	    10000
#define SPAWNS	    100 /* a spawn costs thousands of round trips */
#define CHECK_EVERY 128
#define BUDGET_NS   2000000000ULL /* 2 s of SYS_time_ns per loop */
#define MAX_PS	    160		  /* ps entries: tasks and a swapper per hart */

static struct keel_ps ps[MAX_PS];

/* Whether op @i (from 0) of a loop that started at @t0 and may do @max should run. */
static bool more(unsigned int i, unsigned int max, uint64_t t0)
{
	if (i >= max)
		return false;
	return i % CHECK_EVERY || keel_time_ns() - t0 < BUDGET_NS;
}

static void report(const char *name, uint64_t t0, uint64_t t1, unsigned int n)
{
	printf("ipc_bench: %s %llu over %u\n", name, (unsigned long long)((t1 - t0) / n), n);
}

/* The hartid task @pid runs or last ran on, from ps; -1 if ps does not list it. */
static int hart_of(long pid)
{
	long n = keel_ps(ps, MAX_PS);

	for (long i = 0; i < n; i++)
		if (ps[i].pid == pid)
			return ps[i].hart;
	return -1;
}

/* @before: the harts of this task and of @pid before the loop. */
static void report_harts(const char *name, const char *partner, long pid, const int before[2])
{
	printf("ipc_bench: harts %s client %d->%d %s %d->%d\n", name, before[0],
	       hart_of(keel_getpid()), partner, before[1], hart_of(pid));
}

static unsigned long ipis(void)
{
	struct keel_meminfo mi;

	return keel_meminfo(&mi) ? 0 : mi.ipis_sent;
}

static void report_ipis(const char *name, unsigned long before, unsigned int n)
{
	printf("ipc_bench: ipis %s %lu over %u\n", name, ipis() - before, n);
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

/* Start a partner (@pin: the hartid it pins itself to, or -1). */
static long start(const char *how, long pin, long *h, unsigned long n)
{
	char hart[24];
	char *argv[] = { "ipc_bench", (char *)how, pin < 0 ? NULL : hart, NULL };

	snprintf(hart, sizeof(hart), "%ld", pin);
	return keel_spawn_h("/bin/ipc_bench", argv, environ, h, n);
}

static void bench_null_syscall(void)
{
	uint64_t t0 = keel_time_ns();

	for (int i = 0; i < ITERS; i++)
		keel_getpid();
	report("null_syscall", t0, keel_time_ns(), ITERS);
}

/* @name's round trips; @pin: -1, or the harts of client and server. */
static int bench_ipc(const char *name, const long pin[2])
{
	struct keel_msg m = { 0, { 1, 2, 3, 4 }, KEEL_HANDLE_NONE }, r;
	long ep = keel_ep_create(), h, pid;
	int before[2];
	unsigned int n;
	unsigned long i0;
	uint64_t t0;

	if (pin && keel_sys_hart_pin(pin[0]))
		return printf("ipc_bench: hart_pin %ld failed\n", pin[0]), -1;
	pid = start("server", pin ? pin[1] : -1, &ep, 1);
	h = keel_handle_dup(ep, KEEL_R_SEND);
	keel_handle_close(ep);
	keel_ipc_call(h, &m, &r); /* the server is up and in its loop */
	before[0] = hart_of(keel_getpid());
	before[1] = hart_of(pid);
	i0 = ipis();
	t0 = keel_time_ns();
	for (n = 0; more(n, ITERS, t0); n++)
		if (keel_ipc_call(h, &m, &r) || r.label != m.label + 1)
			return printf("ipc_bench: call failed\n"), -1;
	report(name, t0, keel_time_ns(), n);
	report_ipis(name, i0, n);
	report_harts(name, "server", pid, before);
	if (pin)
		keel_sys_hart_pin(-1);
	return 0;
}

static void bench_notif(const char *name, const long pin[2])
{
	long h[2], pid;
	unsigned long bits, i0;
	int before[2];
	unsigned int n;
	uint64_t t0;

	if (pin && keel_sys_hart_pin(pin[0]))
		printf("ipc_bench: hart_pin %ld failed\n", pin[0]);
	h[0] = keel_notif_create(); /* ping: we signal, the waiter waits */
	h[1] = keel_notif_create(); /* pong */
	pid = start("waiter", pin ? pin[1] : -1, h, 2);
	keel_notif_signal(h[0], 1);
	keel_notif_wait(h[1], &bits);
	before[0] = hart_of(keel_getpid());
	before[1] = hart_of(pid);
	i0 = ipis();
	t0 = keel_time_ns();
	for (n = 0; more(n, ITERS, t0); n++) {
		keel_notif_signal(h[0], 1);
		keel_notif_wait(h[1], &bits);
	}
	report(name, t0, keel_time_ns(), n);
	report_ipis(name, i0, n);
	report_harts(name, "waiter", pid, before);
	if (pin)
		keel_sys_hart_pin(-1);
}

/* The first two online hartids into @pin; false with fewer than two harts. */
static bool two_harts(long pin[2])
{
	static struct keel_hart harts[MAX_PS];
	long n = keel_harts(harts, MAX_PS), got = 0;

	for (long i = 0; i < n && got < 2; i++)
		if (harts[i].online)
			pin[got++] = (long)harts[i].hartid;
	return got == 2;
}

static int bench_spawn(void)
{
	char *argv[] = { "nop", NULL };
	uint64_t t0 = keel_time_ns();
	unsigned int n;
	int status;

	for (n = 0; more(n, SPAWNS, t0); n++) {
		long pid = keel_spawn("/bin/nop", argv, environ);

		if (pid < 0)
			return printf("ipc_bench: spawn failed (%s)\n", keel_strerror(pid)), -1;
		if (keel_wait(pid, &status) != pid || status)
			return printf("ipc_bench: /bin/nop: exit status %d\n", status), -1;
	}
	report("spawn_wait", t0, keel_time_ns(), n);
	return 0;
}

int main(int argc, char **argv)
{
	long pin[2];

	if (argc > 1) {
		if (argc > 2 && keel_sys_hart_pin(strtol(argv[2], NULL, 0)))
			printf("ipc_bench: %s: hart_pin %s failed\n", argv[1], argv[2]);
		return strcmp(argv[1], "server") ? waiter() : server();
	}

	bench_null_syscall();
	if (bench_ipc("ipc_call_reply", NULL))
		return 1;
	bench_notif("notif_signal_wait", NULL);
	if (two_harts(pin)) {
		if (bench_ipc("ipc_call_reply_xhart", pin))
			return 1;
		bench_notif("notif_signal_wait_xhart", pin);
	}
	if (bench_spawn())
		return 1;
	printf("ipc_bench: done\n");
	/* Run as init (rdinit=/bin/ipc_bench, as bench.py does): init may not exit. */
	if (keel_getpid() == 1) {
		fflush(stdout);
		keel_reboot(KEEL_H_INIT_CONTROL, KEEL_REBOOT_POWEROFF);
	}
	return 0;
}

/*
 * ipc_equiv.c - what happens to a task waiting in IPC, whichever path
 * (the core's fast path or its slow path) made it wait.
 *
 * Run as init (rdinit=/bin/ipc_equiv, by tests/boot/test_ipc_equiv.py),
 * once with ipc.fastpath=1 and once with ipc.fastpath=0. Each scenario
 * first warms a client and server up with a few round trips (with the
 * fast path on, they then wait through it), then does one thing to a
 * waiter and prints one line with what every task got: its call's or
 * receive's result, its exit status. The test compares the two runs'
 * lines, which must be the same, and checks them against what the slow
 * path is meant to give. Only this program prints, so the order of the
 * lines does not depend on which task runs first. The last line is
 * "ipc_equiv: done"; then it powers off.
 *
 * Children are this program again, the role in argv[1], slot 0 the
 * endpoint (and slot 1 a notification to wait on before replying):
 * (and argv[3], if any, the hartid to pin itself to):
 *   server  answer ECHO calls (label + 1) until a call or receive is not
 *           an ECHO call; then as its label says (HOLD: wait on slot 1,
 *           then reply), and exit with a code for what it got
 *   client  WARM ECHO calls, then one call of label argv[2]; exit with a
 *           code for its result
 *   waiter  wait on notification slot 0 and signal slot 1 with the bits
 *           got, until they have QUIT_BIT: exit 10 + the low bits
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keel.h"

#define CTL	     KEEL_H_INIT_CONTROL
#define WARM	     4 /* round trips before the scenario's event */
#define OP_ECHO	     1
#define OP_HOLD	     2	   /* server: wait for slot 1, then reply */
#define OP_QUIT	     3	   /* server: exit without replying */
#define OP_TIMEOUT   4	   /* server: reply, then receive with a 2 ms timeout */
#define QUIT_BIT     0x100 /* waiter: exit */
#define MAX_PS	     64
#define TASK_BLOCKED 2 /* struct keel_ps state */

static struct keel_ps ps[MAX_PS];

/* A result as an exit code: 100 + errno for an error, else @ok. */
static int code(long ret, int ok)
{
	return ret < 0 ? (int)(100 - ret) : ok;
}

static int server(void)
{
	struct keel_msg in, out = { 0, { 0 }, KEEL_HANDLE_NONE };
	unsigned long bits;
	long ret = keel_ipc_recv(0, &in);

	while (ret >= 0 && in.label == OP_ECHO) {
		out.label = in.label + 1;
		ret = keel_ipc_reply_recv(0, &out, &in);
	}
	if (ret < 0)
		return code(ret, 0);
	if (in.label == KEEL_LABEL_NOTIFY)
		return (int)(10 + in.w[0]); /* the bits, as the receive got them */
	if (in.label == OP_QUIT)
		return 3;
	if (in.label == OP_TIMEOUT) {
		keel_ipc_reply(&out);
		return code(keel_ipc_recv_timeout(0, &in, 2000), 4);
	}
	/* OP_HOLD: the caller waits for its reply meanwhile; slot 2 hears we hold it. */
	keel_notif_signal(2, 1);
	keel_notif_wait(1, &bits);
	return code(keel_ipc_reply_recv(0, &out, &in), 5);
}

static int client(unsigned long label)
{
	struct keel_msg m = { OP_ECHO, { 1, 2, 3, 4 }, KEEL_HANDLE_NONE }, r;

	for (int i = 0; i < WARM; i++)
		if (keel_ipc_call(0, &m, &r) || r.label != OP_ECHO + 1)
			return 1;
	m.label = label;
	return code(keel_ipc_call(0, &m, &r), r.label == label + 1 ? 6 : 7);
}

static int waiter(void)
{
	unsigned long bits = 0;

	while (keel_notif_wait(0, &bits) == 0 && !(bits & QUIT_BIT))
		keel_notif_signal(1, bits);
	return (int)(10 + (bits & 0xff));
}

/* Wait, yielding, until each of @pids (0 ends) is blocked in the core. */
static void until_blocked(const long *pids)
{
	for (;;) {
		long n = keel_ps(ps, MAX_PS);
		int blocked = 0, want = 0;

		for (const long *p = pids; *p; p++) {
			want++;
			for (long i = 0; i < n; i++)
				blocked += ps[i].pid == *p && ps[i].state == TASK_BLOCKED;
		}
		if (blocked == want)
			return;
		keel_yield();
	}
}

static long pin = -1; /* the hartid children pin themselves to, or -1 */

static long spawn(const char *role, const char *arg, long *h, unsigned long n)
{
	char hart[24];
	char *argv[] = { "ipc_equiv", (char *)role, (char *)arg, pin < 0 ? NULL : hart, NULL };

	snprintf(hart, sizeof(hart), "%ld", pin);

	return keel_spawn_h("/bin/ipc_equiv", argv, environ, h, n);
}

static int reap(long pid)
{
	int status = -1;

	return keel_wait(pid, &status) == pid ? status : -1;
}

/* We are the client: WARM round trips with a fresh server; its pid. */
static long warm_server(long ep, long *recv, long *go)
{
	struct keel_msg m = { OP_ECHO, { 1, 2, 3, 4 }, KEEL_HANDLE_NONE }, r;
	long h[2], pid;

	*recv = keel_handle_dup(ep, KEEL_R_RECEIVE | KEEL_R_TRANSFER);
	*go = keel_notif_create();
	h[0] = *recv;
	h[1] = *go;
	pid = spawn("server", "-", h, 2);
	for (int i = 0; i < WARM; i++) {
		long err = keel_ipc_call(ep, &m, &r);

		if (err || r.label != OP_ECHO + 1)
			printf("ipc_equiv: warm-up call %d failed: %ld (server %ld)\n", i, err,
			       pid);
	}
	return pid; /* it waits for our next call now */
}

static void close_all(long a, long b, long c)
{
	keel_handle_close(a);
	keel_handle_close(b);
	keel_handle_close(c);
}

/* EQUIV_01: a notification bound to the endpoint and signalled while the server waits. */
static void s_bound(void)
{
	long ep = keel_ep_create(), recv, go, pid = warm_server(ep, &recv, &go);
	long n = keel_notif_create();
	long bind = keel_ep_bind(ep, n), sig = keel_notif_signal(n, 0x5);

	printf("ipc_equiv: EQUIV_01 bound+signalled: bind %ld signal %ld server %d\n", bind, sig,
	       reap(pid));
	close_all(ep, recv, go);
	keel_handle_close(n);
}

/* EQUIV_02: the last send handle closed while the server waits. */
static void s_closed(void)
{
	long ep = keel_ep_create(), recv, go, pid = warm_server(ep, &recv, &go);
	long err = keel_handle_close(ep);

	printf("ipc_equiv: EQUIV_02 handle closed: close %ld server %d\n", err, reap(pid));
	keel_handle_close(recv);
	keel_handle_close(go);
}

/* EQUIV_03: the waiting server killed; then a call to its endpoint. */
static void s_server_killed(void)
{
	struct keel_msg m = { OP_ECHO, { 0 }, KEEL_HANDLE_NONE }, r;
	long ep = keel_ep_create(), recv, go, pid = warm_server(ep, &recv, &go);
	long k = keel_kill(CTL, pid);
	int status = reap(pid);

	keel_handle_close(recv); /* the last receiver: calls fail now */
	printf("ipc_equiv: EQUIV_03 waiting server killed: kill %ld server %d call %ld\n", k,
	       status, keel_ipc_call(ep, &m, &r));
	keel_handle_close(ep);
	keel_handle_close(go);
}

/*
 * A server and a client that makes WARM echo calls, then one of @label;
 * their pids, and the server's go notification. @held: a notification
 * the server signals once it holds an OP_HOLD call, or -1.
 */
static void pair(long ep, unsigned long label, long *server, long *cl, long *go, long held)
{
	char arg[16];
	long h[3], send = keel_handle_dup(ep, KEEL_R_SEND | KEEL_R_TRANSFER);

	*go = keel_notif_create();
	h[0] = keel_handle_dup(ep, KEEL_R_RECEIVE | KEEL_R_TRANSFER);
	h[1] = *go;
	h[2] = held;
	*server = spawn("server", "-", h, held < 0 ? 2 : 3);
	snprintf(arg, sizeof(arg), "%lu", label);
	*cl = spawn("client", arg, &send, 1);
	keel_handle_close(h[0]);
	keel_handle_close(send);
}

/* A pair with @label's call held by the server, both waiting; their pids. */
static void held_pair(long ep, unsigned long label, long *server, long *cl, long *go)
{
	long held = keel_notif_create(), pids[3];
	unsigned long bits;

	pair(ep, label, server, cl, go, held);
	/*
	 * The server holds @label's call: past the warm-up (ps alone could
	 * see both blocked between two warm-up calls, and the event would
	 * land before the call it is about).
	 */
	keel_notif_wait(held, &bits);
	keel_handle_close(held);
	pids[0] = *server;
	pids[1] = *cl;
	pids[2] = 0;
	until_blocked(pids); /* the server on go, the client for its reply */
}

/* EQUIV_04: a caller killed while the server holds its message; the server's reply. */
static void s_caller_killed(void)
{
	long ep = keel_ep_create(), srv, cl, go;

	held_pair(ep, OP_HOLD, &srv, &cl, &go);
	long k = keel_kill(CTL, cl);
	int cstatus = reap(cl);

	keel_notif_signal(go, 1);
	printf("ipc_equiv: EQUIV_04 caller killed: kill %ld client %d server %d\n", k, cstatus,
	       reap(srv));
	keel_handle_close(ep);
	keel_handle_close(go);
}

/* EQUIV_05: the server killed while a caller waits for its reply. */
static void s_server_killed_owing(void)
{
	long ep = keel_ep_create(), srv, cl, go;

	held_pair(ep, OP_HOLD, &srv, &cl, &go);
	long k = keel_kill(CTL, srv);
	int sstatus = reap(srv);

	printf("ipc_equiv: EQUIV_05 server killed owing a reply: kill %ld server %d client %d\n", k,
	       sstatus, reap(cl));
	keel_handle_close(ep);
	keel_handle_close(go);
}

/* EQUIV_06: the server exits owing a reply (no kill). */
static void s_server_quits(void)
{
	long ep = keel_ep_create(), srv, cl, go;

	pair(ep, OP_QUIT, &srv, &cl, &go, -1);
	printf("ipc_equiv: EQUIV_06 server exits owing a reply: server %d client %d\n", reap(srv),
	       reap(cl));
	keel_handle_close(ep);
	keel_handle_close(go);
}

/* EQUIV_07: after fast round trips, a receive that times out. */
static void s_timeout(void)
{
	long ep = keel_ep_create(), srv, cl, go;

	pair(ep, OP_TIMEOUT, &srv, &cl, &go, -1);
	printf("ipc_equiv: EQUIV_07 receive timeout: client %d server %d\n", reap(cl), reap(srv));
	keel_handle_close(ep);
	keel_handle_close(go);
}

/* EQUIV_08: a hart taken offline while a pair pinned to it waits; then the pair goes on. */
static void s_offline(void)
{
	static struct keel_hart harts[8];
	long n = keel_harts(harts, 8), ep, srv, cl, go;

	if (n < 2) {
		printf("ipc_equiv: EQUIV_08 hart offline: one hart, skipped\n");
		return;
	}
	ep = keel_ep_create();
	/* The pair pinned to the last hart, which then goes away. */
	pin = (long)harts[n - 1].hartid;
	held_pair(ep, OP_HOLD, &srv, &cl, &go);
	pin = -1;
	long off = keel_hart_ctl(CTL, harts[n - 1].hartid, 0);

	keel_notif_signal(go, 1);
	printf("ipc_equiv: EQUIV_08 hart offline: offline %ld client %d", off, reap(cl));
	keel_handle_close(ep); /* the server's next receive fails: it exits */
	printf(" server %d online %ld\n", reap(srv), keel_hart_ctl(CTL, harts[n - 1].hartid, 1));
	keel_handle_close(go);
}

/* A waiter after WARM signal + wait round trips: its pid; we signal @ping, wait on @pong. */
static long warm_waiter(long *ping, long *pong)
{
	long h[2], pid;
	unsigned long bits;

	*ping = keel_notif_create();
	*pong = keel_notif_create();
	h[0] = *ping;
	h[1] = *pong;
	pid = spawn("waiter", "-", h, 2);
	for (int i = 0; i < WARM; i++) {
		bits = 0;
		keel_notif_signal(*ping, 0x10);
		if (keel_notif_wait(*pong, &bits) || bits != 0x10)
			printf("ipc_equiv: warm-up signal %d failed: 0x%lx\n", i, bits);
	}
	return pid; /* it waits on ping now */
}

/*
 * EQUIV_09: signals add up: both on one hart, each of ours hands the hart
 * to the waiter (EQUIV_11), and its two answers add up on pong before we
 * wait; then it is told to quit.
 */
static void s_signals_add(void)
{
	static struct keel_hart harts[1];
	long ping, pong, pid;
	unsigned long bits = 0;

	keel_harts(harts, 1);
	pin = (long)harts[0].hartid;
	keel_sys_hart_pin(pin);
	pid = warm_waiter(&ping, &pong);
	pin = -1;

	keel_notif_signal(ping, 0x1);
	keel_notif_signal(ping, 0x2);
	keel_notif_wait(pong, &bits);
	keel_notif_signal(ping, QUIT_BIT | 0x5);
	printf("ipc_equiv: EQUIV_09 signals add up: got 0x%lx waiter %d\n", bits, reap(pid));
	keel_sys_hart_pin(-1);
	keel_handle_close(ping);
	keel_handle_close(pong);
}

/* EQUIV_10: the waiter killed while it waits; a signal after it. */
static void s_waiter_killed(void)
{
	long ping, pong, pid = warm_waiter(&ping, &pong);
	long k = keel_kill(CTL, pid);
	int status = reap(pid);

	printf("ipc_equiv: EQUIV_10 waiter killed: kill %ld waiter %d signal %ld\n", k, status,
	       keel_notif_signal(ping, 1));
	keel_handle_close(ping);
	keel_handle_close(pong);
}

/* @pid's entry in a fresh ps, or NULL. */
static struct keel_ps *ps_of(long pid)
{
	long n = keel_ps(ps, MAX_PS);

	for (long i = 0; i < n; i++)
		if (ps[i].pid == pid)
			return &ps[i];
	return NULL;
}

/*
 * EQUIV_11: a signal to a waiter that may run on our hart, at our
 * priority, hands the hart over: the waiter has taken the bits, answered
 * and waits again before our signal returns (docs/syscalls.md,
 * notif_signal).
 */
static void s_handoff(void)
{
	static struct keel_hart harts[1];
	long ping, pong, pid, pids[2] = { 0, 0 };
	unsigned long bits = 0;
	struct keel_ps *w;
	int state;

	keel_harts(harts, 1);
	pin = (long)harts[0].hartid;
	keel_sys_hart_pin(pin);
	pid = warm_waiter(&ping, &pong);
	pin = -1;

	pids[0] = pid;
	until_blocked(pids); /* on ping (the warm-up may leave it ready: its hand-offs to us) */
	keel_notif_signal(ping, 0x20);
	w = ps_of(pid); /* the next system call after the signal */
	state = w ? w->state : -1;
	keel_notif_wait(pong, &bits);
	keel_notif_signal(ping, QUIT_BIT | 0x5);
	printf("ipc_equiv: EQUIV_11 signal hands the hart over: waiter %s, got 0x%lx waiter %d\n",
	       state == TASK_BLOCKED ? "ran" : "not run", bits, reap(pid));
	keel_sys_hart_pin(-1);
	keel_handle_close(ping);
	keel_handle_close(pong);
}

/*
 * EQUIV_12: a waiter pinned to another hart is woken there, as any
 * wake-up: no hand-off to ours.
 */
static void s_no_handoff_far(void)
{
	static struct keel_hart harts[8];
	long n = keel_harts(harts, 8), ping, pong, pid;
	unsigned long bits = 0;
	struct keel_ps *w;
	long hart;

	if (n < 2) {
		printf("ipc_equiv: EQUIV_12 waiter on another hart: one hart, skipped\n");
		return;
	}
	keel_sys_hart_pin((long)harts[0].hartid);
	pin = (long)harts[n - 1].hartid;
	pid = warm_waiter(&ping, &pong);
	pin = -1;

	keel_notif_signal(ping, 0x20);
	keel_notif_wait(pong, &bits);
	w = ps_of(pid);
	hart = w ? w->hart : -1;
	keel_notif_signal(ping, QUIT_BIT | 0x5);
	printf("ipc_equiv: EQUIV_12 waiter on another hart: %s, got 0x%lx waiter %d\n",
	       hart == (long)harts[n - 1].hartid ? "ran on its own" : "moved", bits, reap(pid));
	keel_sys_hart_pin(-1);
	keel_handle_close(ping);
	keel_handle_close(pong);
}

int main(int argc, char **argv)
{
	if (argc > 3)
		keel_sys_hart_pin(strtol(argv[3], NULL, 0));
	if (argc > 2 && !strcmp(argv[1], "server"))
		return server();
	if (argc > 2 && !strcmp(argv[1], "waiter"))
		return waiter();
	if (argc > 2 && !strcmp(argv[1], "client"))
		return client(strtoul(argv[2], NULL, 0));
	s_bound();
	s_closed();
	s_server_killed();
	s_caller_killed();
	s_server_killed_owing();
	s_server_quits();
	s_timeout();
	s_offline();
	s_signals_add();
	s_waiter_killed();
	s_handoff();
	s_no_handoff_far();
	printf("ipc_equiv: done\n");
	if (keel_getpid() == 1) {
		fflush(stdout);
		keel_reboot(CTL, KEEL_REBOOT_POWEROFF);
	}
	return 0;
}

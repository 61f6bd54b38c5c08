/*
 * nohang_test.c - selftest=nohang: no task waits forever without a way out.
 *
 * The core runs it as pid 1 instead of /init, so it holds init's control
 * handle (slot 0) with the kill right. It checks that kill ends a task
 * promptly wherever it waits (a queued call, a call a server has taken,
 * a child wait, a receive, a notification wait, a sleep), that a reply
 * to a caller killed meanwhile is EPEER for the server, that kill and
 * reap do not get in each other's way, and that calls closing a cycle of
 * tasks each waiting on the next are refused with EDEADLK while a chain
 * that can still end is not. Each check prints one line with its ID and
 * claim; the last line is "nohang_test: N passed, M failed"
 * (tests/boot/test_nohang.py reads it); then it powers off.
 *
 * A check that finds a task stuck kills it, so one failure never hangs
 * the rest. The children are this program again, the role in argv[1]:
 *   call            ipc_call on slot 0 (send), exit 0 when it returns
 *   hold [rr]       receive one call on slot 0, signal slot 1, wait for
 *                   slot 2, then reply (ipc_reply, or ipc_reply_recv with
 *                   "rr"); exit 0 if the reply got EPEER
 *   waiter          start a "sleep" child and wait for it
 *   sleep           sleep a minute
 *   recv            ipc_recv on slot 0
 *   notif           notif_wait on slot 0
 *   exit            exit 0 at once
 *   cyc <us>        sleep <us>, ipc_call slot 1, then serve one queued
 *                   call on slot 0 (a timed receive); exit 2 if the call
 *                   was EDEADLK, 1 if it was answered, 3 otherwise
 *   serve <us>      sleep <us>, answer one call on slot 0; exit 0
 *   callback        take one call on slot 0, ipc_call slot 1 (its caller's
 *                   own endpoint), reply; exit 2 if that call was EDEADLK
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keel.h"

#define CTL	    KEEL_H_INIT_CONTROL
#define SETTLE_US   150000 /* time for a child to reach its wait */
#define PROMPT_MS   2000   /* a killed task is gone by then */
#define SERVE_US    500000 /* a cycle member's wait for a queued call */
#define EXIT_KILLED 0x209
#define MAX_PS	    64

static int passed, failed;

static void check(const char *id, int ok, const char *claim, long got)
{
	if (ok)
		passed++;
	else
		failed++;
	printf("nohang_test: %s %s %s", id, ok ? "ok" : "FAILED", claim);
	if (!ok)
		printf(" (got %ld)", got);
	printf("\n");
}

static struct keel_msg msg(unsigned long label)
{
	struct keel_msg m = { label, { 1, 2, 3, 4 }, KEEL_HANDLE_NONE };

	return m;
}

/* --- the children --------------------------------------------------------- */

static int role_hold(int rr)
{
	struct keel_msg in, out = msg(7);
	unsigned long bits;
	long err;

	if (keel_ipc_recv(0, &in) < 0)
		return 5;
	keel_notif_signal(1, 1);
	keel_notif_wait(2, &bits);
	err = rr ? keel_ipc_reply_recv(0, &out, &in) : keel_ipc_reply(&out);
	return err == -KEEL_EPEER ? 0 : 10 + (int)(err < 0 ? -err : 50 + err);
}

static int role_cyc(unsigned long us)
{
	struct keel_msg m = msg(1), r;
	long err, pid;

	keel_sleep_us(us);
	err = keel_ipc_call(1, &m, &r);
	pid = keel_ipc_recv_timeout(0, &r, SERVE_US);
	if (pid > 0)
		keel_ipc_reply(&m);
	return err == -KEEL_EDEADLK ? 2 : err == 0 ? 1 : 3;
}

static int role_serve(unsigned long us)
{
	struct keel_msg m = msg(1), r;

	keel_sleep_us(us);
	if (keel_ipc_recv_timeout(0, &r, 3000000) <= 0)
		return 4;
	return keel_ipc_reply(&m) ? 5 : 0;
}

static int role_callback(void)
{
	struct keel_msg m = msg(1), r;
	long err;

	if (keel_ipc_recv(0, &r) <= 0)
		return 4;
	err = keel_ipc_call(1, &m, &r);
	keel_ipc_reply(&m);
	return err == -KEEL_EDEADLK ? 2 : 3;
}

static int child(int argc, char **argv)
{
	const char *role = argv[1];
	unsigned long us = argc > 2 ? strtoul(argv[2], NULL, 0) : 0;
	struct keel_msg m = msg(1), r;
	unsigned long bits;

	if (!strcmp(role, "call"))
		return keel_ipc_call(0, &m, &r) ? 1 : 0;
	if (!strcmp(role, "hold"))
		return role_hold(argc > 2);
	if (!strcmp(role, "waiter")) {
		char *av[] = { "nohang_test", "sleep", NULL };
		long pid = keel_spawn("/bin/nohang_test", av, environ);

		return pid > 0 && keel_wait(pid, NULL) == pid ? 0 : 1;
	}
	if (!strcmp(role, "sleep")) {
		keel_sleep_us(60000000);
		return 0;
	}
	if (!strcmp(role, "recv"))
		return keel_ipc_recv(0, &r) < 0;
	if (!strcmp(role, "notif"))
		return keel_notif_wait(0, &bits) < 0;
	if (!strcmp(role, "exit"))
		return 0;
	if (!strcmp(role, "cyc"))
		return role_cyc(us);
	if (!strcmp(role, "serve"))
		return role_serve(us);
	if (!strcmp(role, "callback"))
		return role_callback();
	return 99;
}

/* --- the parent ----------------------------------------------------------- */

static long spawn(const char *role, const char *arg, const long *h, unsigned long n)
{
	char *argv[] = { "nohang_test", (char *)role, (char *)arg, NULL };

	return keel_spawn_h("/bin/nohang_test", argv, environ, h, n);
}

/* @pid's ps state (3: dead), or -1 if it is not listed. */
static int state_of(long pid)
{
	static struct keel_ps ps[MAX_PS];
	long n = keel_ps(ps, MAX_PS);

	for (long i = 0; i < n; i++)
		if (ps[i].pid == pid)
			return ps[i].state;
	return -1;
}

/* Has @pid exited within @ms? */
static int dead_within(long pid, unsigned int ms)
{
	uint64_t end = keel_time_ns() + (uint64_t)ms * 1000000;

	while (keel_time_ns() < end) {
		int s = state_of(pid);

		if (s == 3 || s < 0)
			return 1;
		keel_sleep_us(5000);
	}
	return 0;
}

/*
 * Reap @pid if it ends within @ms; else kill it (a failed check must not
 * hang the rest) and reap it. Its exit status, or -1 if it had to be
 * killed, -2 if even that did not end it.
 */
static int reap(long pid, unsigned int ms)
{
	int status = -3;

	if (pid <= 0)
		return -3;
	if (dead_within(pid, ms))
		return keel_wait(pid, &status) == pid ? status : -3;
	keel_kill(CTL, pid);
	if (!dead_within(pid, PROMPT_MS))
		return -2;
	keel_wait(pid, &status);
	return -1;
}

/* Kill @pid, which waits somewhere: 1 if it ended promptly, killed. */
static int kill_prompt(long pid)
{
	int status = -1;

	keel_sleep_us(SETTLE_US);
	if (keel_kill(CTL, pid))
		return 0;
	if (!dead_within(pid, PROMPT_MS))
		return 0;
	return keel_wait(pid, &status) == pid && status == EXIT_KILLED;
}

/* Kill and reap every child left (a waiter's orphan comes to us). */
static void reap_strays(void)
{
	static struct keel_ps ps[MAX_PS];
	long n = keel_ps(ps, MAX_PS);

	for (long i = 0; i < n; i++) {
		if (ps[i].ppid != keel_getpid() || ps[i].pid == keel_getpid())
			continue;
		keel_kill(CTL, ps[i].pid);
		reap(ps[i].pid, PROMPT_MS);
	}
}

static long hdup(long h, unsigned int rights)
{
	return keel_handle_dup(h, rights | KEEL_R_TRANSFER);
}

static void test_kill_queued_call(void)
{
	long ep = keel_ep_create(), s = hdup(ep, KEEL_R_SEND);
	long pid = spawn("call", NULL, &s, 1);

	check("KILL_0001", kill_prompt(pid), "kill ends a call still queued", pid);
	keel_handle_close(s);
	keel_handle_close(ep);
}

/* A server takes a call and holds it; the caller is killed; then the server replies. */
static void test_kill_taken_call(const char *id, const char *id2, int rr)
{
	long ep = keel_ep_create(), took = keel_notif_create(), go = keel_notif_create();
	long h[3] = { hdup(ep, KEEL_R_RECEIVE), hdup(took, KEEL_R_SIGNAL), hdup(go, KEEL_R_WAIT) };
	long s = hdup(ep, KEEL_R_SEND), server, caller;
	unsigned long bits;
	int ok, status;

	server = spawn("hold", rr ? "rr" : NULL, h, 3);
	caller = spawn("call", NULL, &s, 1);
	keel_notif_wait(took, &bits);
	ok = kill_prompt(caller);
	keel_notif_signal(go, 1);
	if (!ok)
		reap(caller, PROMPT_MS);
	check(id, ok, "kill ends a call a server has taken, before the reply", ok);
	status = reap(server, PROMPT_MS);
	check(id2, status == 0,
	      rr ? "ipc_reply_recv to a killed caller fails with EPEER"
		 : "ipc_reply to a killed caller fails with EPEER",
	      status);
	for (int i = 0; i < 3; i++)
		keel_handle_close(h[i]);
	keel_handle_close(s);
	keel_handle_close(ep);
	keel_handle_close(took);
	keel_handle_close(go);
}

static void test_kill_waits(void)
{
	long ep = keel_ep_create(), n = keel_notif_create();
	long r = hdup(ep, KEEL_R_RECEIVE), w = hdup(n, KEEL_R_WAIT);

	check("KILL_0006", kill_prompt(spawn("waiter", NULL, NULL, 0)),
	      "kill ends a wait for a child", 0);
	check("KILL_0007", kill_prompt(spawn("sleep", NULL, NULL, 0)), "kill ends a sleep", 0);
	check("KILL_0008", kill_prompt(spawn("recv", NULL, &r, 1)), "kill ends a receive", 0);
	check("KILL_0009", kill_prompt(spawn("notif", NULL, &w, 1)),
	      "kill ends a notification wait", 0);
	reap_strays();
	keel_handle_close(r);
	keel_handle_close(w);
	keel_handle_close(ep);
	keel_handle_close(n);
}

/* Kill children that are exiting, then reap them: each pid is reaped once, then gone. */
static void test_kill_reap(void)
{
	int good = 0;

	for (int i = 0; i < 100; i++) {
		long pid = spawn("exit", NULL, NULL, 0), k;
		int status = -1;

		if (i & 1)
			keel_yield();
		k = keel_kill(CTL, pid);
		long w = keel_wait(pid, &status), k2 = keel_kill(CTL, pid),
		     w2 = keel_wait(pid, NULL);

		if ((k == 0 || k == -KEEL_ENOENT) && w == pid &&
		    (status == 0 || status == EXIT_KILLED) && k2 == -KEEL_ENOENT &&
		    w2 == -KEEL_ECHILD)
			good++;
		else if (good == i)
			printf("nohang_test: # pid %ld: kill %ld wait %ld status 0x%x kill %ld "
			       "wait %ld\n",
			       pid, k, w, status, k2, w2);
	}
	check("KILL_0010", good == 100,
	      "kill racing exit and reap: each pid ends and is reaped once", good);
}

static void close_all(const long *h, int n)
{
	for (int i = 0; i < n; i++)
		keel_handle_close(h[i]);
}

/* Cycle members: @n tasks, member i receives on ep[i] and calls ep[i + 1 mod n]. */
static void run_ring(const char *id, int n, const char *claim)
{
	long ep[3], pid[3];
	int refused = 0, answered = 0;
	char delay[3][16];

	for (int i = 0; i < n; i++)
		ep[i] = keel_ep_create();
	for (int i = 0; i < n; i++) {
		long h[2] = { hdup(ep[i], KEEL_R_RECEIVE), hdup(ep[(i + 1) % n], KEEL_R_SEND) };

		snprintf(delay[i], sizeof(delay[i]), "%d", i * 50000);
		pid[i] = spawn("cyc", delay[i], h, 2);
		keel_handle_close(h[0]);
		keel_handle_close(h[1]);
	}
	for (int i = 0; i < n; i++) /* only the members may receive */
		keel_handle_close(ep[i]);
	for (int i = 0; i < n; i++) {
		int status = reap(pid[i], 3000);

		refused += status == 2;
		answered += status == 1;
	}
	check(id, refused == 1 && answered == n - 1, claim, refused * 10 + answered);
}

static void test_cycles(void)
{
	long a = keel_ep_create(), b = keel_ep_create(), c = keel_ep_create(), p[3];
	int st[3];

	run_ring("DEADLK_0001", 2, "two tasks calling each other's endpoint: one call is EDEADLK");
	run_ring("DEADLK_0002", 3,
		 "three tasks calling round: the call closing the ring is EDEADLK");

	/* a -> b -> c, and c's server answers late: a chain, not a cycle. */
	{
		long ha[2] = { hdup(a, KEEL_R_RECEIVE), hdup(b, KEEL_R_SEND) };
		long hb[2] = { hdup(b, KEEL_R_RECEIVE), hdup(c, KEEL_R_SEND) };
		long hc = hdup(c, KEEL_R_RECEIVE);

		p[0] = spawn("cyc", "0", ha, 2);
		p[1] = spawn("cyc", "50000", hb, 2);
		p[2] = spawn("serve", "300000", &hc, 1);
		close_all(ha, 2);
		close_all(hb, 2);
		close_all(&hc, 1);
	}
	keel_handle_close(a);
	keel_handle_close(b);
	keel_handle_close(c);
	for (int i = 0; i < 3; i++)
		st[i] = reap(p[i], 3000);
	check("DEADLK_0003", st[0] == 1 && st[1] == 1 && st[2] == 0,
	      "a chain whose last server answers later is not refused",
	      st[0] * 100 + st[1] * 10 + st[2]);

	/* a <-> b, but a third task may also receive on a: not a cycle. */
	a = keel_ep_create();
	b = keel_ep_create();
	{
		long ha[2] = { hdup(a, KEEL_R_RECEIVE), hdup(b, KEEL_R_SEND) };
		long hb[2] = { hdup(b, KEEL_R_RECEIVE), hdup(a, KEEL_R_SEND) };
		long hd = hdup(a, KEEL_R_RECEIVE);

		p[0] = spawn("cyc", "0", ha, 2);
		p[1] = spawn("cyc", "100000", hb, 2);
		p[2] = spawn("serve", "400000", &hd, 1);
		close_all(ha, 2);
		close_all(hb, 2);
		close_all(&hd, 1);
	}
	keel_handle_close(a);
	keel_handle_close(b);
	for (int i = 0; i < 3; i++)
		st[i] = reap(p[i], 3000);
	check("DEADLK_0004", st[0] == 1 && st[1] == 1 && st[2] == 0,
	      "a ring another free task can break is not refused",
	      st[0] * 100 + st[1] * 10 + st[2]);

	/* A server calls back the endpoint of the caller it took: that caller waits on it. */
	a = keel_ep_create();
	b = keel_ep_create();
	{
		long ha[2] = { hdup(a, KEEL_R_RECEIVE), hdup(b, KEEL_R_SEND) };
		long hb[2] = { hdup(b, KEEL_R_RECEIVE), hdup(a, KEEL_R_SEND) };

		p[1] = spawn("callback", NULL, hb, 2);
		p[0] = spawn("cyc", "50000", ha, 2);
		close_all(ha, 2);
		close_all(hb, 2);
	}
	keel_handle_close(a);
	keel_handle_close(b);
	st[0] = reap(p[0], 3000);
	st[1] = reap(p[1], 3000);
	check("DEADLK_0005", st[0] == 1 && st[1] == 2,
	      "a server calling its waiting caller's endpoint gets EDEADLK", st[0] * 10 + st[1]);

	/*
	 * a <-> b, with a third receiver d on a: b's call is not refused (d is
	 * free); then d calls b's endpoint, and all three would wait for ever.
	 */
	a = keel_ep_create();
	b = keel_ep_create();
	{
		long ha[2] = { hdup(a, KEEL_R_RECEIVE), hdup(b, KEEL_R_SEND) };
		long hb[2] = { hdup(b, KEEL_R_RECEIVE), hdup(a, KEEL_R_SEND) };

		p[0] = spawn("cyc", "0", ha, 2);
		p[1] = spawn("cyc", "50000", hb, 2);
		p[2] = spawn("cyc", "200000", ha, 2);
		close_all(ha, 2);
		close_all(hb, 2);
	}
	keel_handle_close(a);
	keel_handle_close(b);
	for (int i = 0; i < 3; i++)
		st[i] = reap(p[i], 3000);
	check("DEADLK_0006", st[0] == 1 && st[1] == 1 && st[2] == 2,
	      "a call into tasks stuck waiting on each other and the caller is EDEADLK",
	      st[0] * 100 + st[1] * 10 + st[2]);
	reap_strays();
}

int main(int argc, char **argv)
{
	if (keel_getpid() != 1)
		return child(argc, argv);
	printf("nohang_test: kill and deadlock checks\n");
	test_kill_queued_call();
	test_kill_taken_call("KILL_0002", "KILL_0003", 0);
	test_kill_taken_call("KILL_0004", "KILL_0005", 1);
	test_kill_waits();
	test_kill_reap();
	test_cycles();
	printf("nohang_test: %d passed, %d failed\n", passed, failed);
	keel_reboot(CTL, KEEL_REBOOT_POWEROFF);
	return 1;
}

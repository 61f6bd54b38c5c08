/*
 * ipc_test.c - endpoints, notifications and handles from user space.
 *
 * Run with no argument it is the client: it makes an endpoint, starts
 * itself as a server child with that endpoint in the child's slot 0, and
 * checks calls, replies, handle transfer both ways, rights, and that a
 * server that dies or closes its endpoint makes a call fail instead of
 * hang. Each check prints one line with its ID and claim; the last line
 * is "ipc_test: N passed, M failed" (tests/boot/test_ipc.py reads it).
 *
 * As a server (argv[1]): "echo" answers until told to exit, "close"
 * closes its endpoint without receiving, "orphan" receives on an
 * endpoint nobody can send to.
 */
#include <stdio.h>
#include <string.h>

#include "keel.h"

#define CALLS	  200
#define OP_ECHO	  1 /* reply: label + 1, the words each + 1, reversed */
#define OP_NOTIFY 2 /* signal the passed notification with w[0] */
#define OP_GIVE	  3 /* reply with a fresh notification, already signalled w[0] */
#define OP_EXIT	  4 /* exit without replying */

static int passed, failed;

static void check(const char *id, int ok, const char *claim, long got)
{
	if (ok)
		passed++;
	else
		failed++;
	printf("ipc_test: %s %s %s", id, ok ? "ok" : "FAILED", claim);
	if (!ok)
		printf(" (got %ld)", got);
	printf("\n");
}

static struct keel_msg msg(unsigned long label, unsigned long a, unsigned long b, long handle)
{
	struct keel_msg m = { label, { a, b, a ^ b, a + b }, handle };

	return m;
}

/* --- the servers -------------------------------------------------------- */

static int serve_echo(long ep)
{
	struct keel_msg in, out = msg(0, 0, 0, KEEL_HANDLE_NONE);
	long pid = keel_ipc_recv(ep, &in);

	for (;;) {
		if (pid < 0)
			return 1;
		out = msg(0, 0, 0, KEEL_HANDLE_NONE);
		if (in.label == OP_ECHO) {
			out.label = in.label + 1;
			for (int i = 0; i < 4; i++)
				out.w[i] = in.w[3 - i] + 1;
		} else if (in.label == OP_NOTIFY) {
			out.label = keel_notif_signal(in.handle, in.w[0]);
			keel_handle_close(in.handle);
		} else if (in.label == OP_GIVE) {
			long n = keel_notif_create();

			keel_notif_signal(n, in.w[0]);
			out.handle = n;
		} else if (in.label == OP_EXIT) {
			return 0;
		}
		pid = keel_ipc_reply_recv(ep, &out, &in);
		if (out.handle != KEEL_HANDLE_NONE)
			keel_handle_close(out.handle); /* the client has its own copy */
	}
}

static int serve(const char *how)
{
	long ep = 0; /* the spawner's endpoint lands in slot 0 */
	struct keel_msg in;

	if (!strcmp(how, "echo"))
		return serve_echo(ep);
	if (!strcmp(how, "close")) {
		keel_sleep_us(20000); /* let the client queue its call */
		return keel_handle_close(ep) ? 1 : 0;
	}
	if (!strcmp(how, "orphan")) /* nobody can send: receiving must fail, not hang */
		return keel_ipc_recv(ep, &in) == -KEEL_EPEER ? 0 : 1;
	return 2;
}

/* --- the client --------------------------------------------------------- */

static long spawn_server(const char *how, long h)
{
	char *argv[] = { "ipc_test", (char *)how, NULL };

	return keel_spawn_h("/bin/ipc_test", argv, environ, &h, 1);
}

static void test_kernel_bounds(void)
{
	long ep = keel_ep_create(), n = keel_notif_create();
	struct keel_msg m = msg(OP_ECHO, 1, 2, KEEL_HANDLE_NONE), r;

	check("IPC_0001", ep >= 0 && n >= 0, "an endpoint and a notification can be made", ep);
	check("IPC_0002", keel_ipc_call(ep, &m, &r) == -KEEL_EDEADLK,
	      "a call only the caller could receive fails (EDEADLK)", keel_ipc_call(ep, &m, &r));
	check("IPC_0003", keel_ipc_call(n, &m, &r) == -KEEL_EINVAL,
	      "a call on a notification fails (EINVAL)", keel_ipc_call(n, &m, &r));
	check("IPC_0004", keel_notif_signal(ep, 1) == -KEEL_EINVAL,
	      "signalling an endpoint fails (EINVAL)", keel_notif_signal(ep, 1));
	check("IPC_0005",
	      keel_ipc_call(63, &m, &r) == -KEEL_ENOENT &&
		      keel_ipc_call(-5, &m, &r) == -KEEL_ENOENT &&
		      keel_handle_close(1000) == -KEEL_ENOENT,
	      "a handle not held fails (ENOENT)", keel_ipc_call(63, &m, &r));
	check("IPC_0006", keel_ipc_reply(&m) == -KEEL_ENOENT,
	      "a reply with no caller fails (ENOENT)", keel_ipc_reply(&m));
	check("IPC_0007", keel_spawn_h("/bin/ipc_test", NULL, NULL, (long *)16, 1) == -KEEL_EINVAL,
	      "spawn with a bad handle array fails (EINVAL)", 0);
	keel_handle_close(ep);
	keel_handle_close(n);
}

/* More objects than the core's pools hold, one at a time: closing frees them. */
static void test_no_leaks(void)
{
	int ok = 0;

	for (int i = 0; i < 600; i++) {
		long ep = keel_ep_create(), n = keel_notif_create();

		ok += ep >= 0 && n >= 0 && !keel_handle_close(ep) && !keel_handle_close(n);
	}
	check("IPC_0008", ok == 600, "the last handle closed frees the object", ok);
}

static void test_notifications(void)
{
	long n = keel_notif_create(), w = keel_handle_dup(n, KEEL_R_WAIT);
	unsigned long bits = 0;

	keel_notif_signal(n, 0x3);
	keel_notif_signal(n, 0x4);
	check("IPC_0010", keel_notif_wait(n, &bits) == 0 && bits == 0x7,
	      "signals OR into the word; a wait takes them all", (long)bits);
	check("IPC_0011", keel_notif_signal(w, 1) == -KEEL_EDENIED,
	      "a wait-only handle cannot signal (EDENIED)", keel_notif_signal(w, 1));
	check("IPC_0012",
	      keel_handle_dup(w, KEEL_R_WAIT | KEEL_R_SIGNAL) == -KEEL_EDENIED &&
		      keel_handle_dup(w, KEEL_R_WAIT) == -KEEL_EDENIED,
	      "dup needs the dup right and a subset of rights (EDENIED)", 0);
	keel_handle_close(w);
	keel_handle_close(n);
}

static void test_calls(long ep)
{
	struct keel_msg m, r;
	int good = 0;

	for (int i = 0; i < CALLS; i++) {
		m = msg(OP_ECHO, (unsigned long)i, (unsigned long)i * 7 + 3, KEEL_HANDLE_NONE);
		if (keel_ipc_call(ep, &m, &r))
			break;
		if (r.label == OP_ECHO + 1 && r.w[0] == m.w[3] + 1 && r.w[1] == m.w[2] + 1 &&
		    r.w[2] == m.w[1] + 1 && r.w[3] == m.w[0] + 1 && r.handle == KEEL_HANDLE_NONE)
			good++;
	}
	check("IPC_0020", good == CALLS, "every call gets its own reply (label and 4 words)", good);
}

static void test_transfer(long ep)
{
	long n = keel_notif_create(), sig = keel_handle_dup(n, KEEL_R_SIGNAL);
	struct keel_msg m = msg(OP_NOTIFY, 0x50, 0, n), r;
	unsigned long bits = 0;
	long err;

	err = keel_ipc_call(ep, &m, &r);
	check("IPC_0030", !err && !r.label && keel_notif_wait(n, &bits) == 0 && bits == 0x50,
	      "a handle passed in a call works in the server", err ? err : (long)bits);
	m = msg(OP_NOTIFY, 1, 0, sig);
	err = keel_ipc_call(ep, &m, &r);
	check("IPC_0031", err == -KEEL_EDENIED,
	      "passing a handle without the transfer right fails (EDENIED)", err);
	m = msg(OP_GIVE, 0x900, 0, KEEL_HANDLE_NONE);
	err = keel_ipc_call(ep, &m, &r);
	bits = 0;
	check("IPC_0032",
	      !err && r.handle >= 0 && keel_notif_wait(r.handle, &bits) == 0 && bits == 0x900,
	      "a handle passed in a reply lands in a new slot", err ? err : r.handle);
	keel_handle_close(r.handle);
	keel_handle_close(sig);
	keel_handle_close(n);
}

static void test_rights(long ep)
{
	long nosend = keel_handle_dup(ep, KEEL_R_DUPLICATE);
	struct keel_msg m = msg(OP_ECHO, 1, 2, KEEL_HANDLE_NONE), r;
	long err = keel_ipc_call(nosend, &m, &r);

	check("IPC_0040", err == -KEEL_EDENIED, "a handle without send cannot call (EDENIED)", err);
	err = keel_ipc_recv(ep, &r);
	check("IPC_0041", err == -KEEL_EDENIED, "a send-only handle cannot receive (EDENIED)", err);
	keel_handle_close(nosend);
}

/* The echo server dies while a call waits on it; later calls fail at once. */
static void test_dead_server(long ep, long pid)
{
	struct keel_msg m = msg(OP_EXIT, 0, 0, KEEL_HANDLE_NONE), r;
	long err = keel_ipc_call(ep, &m, &r);
	int status = -1;

	check("IPC_0050", err == -KEEL_EPEER, "a server dying before its reply fails the call",
	      err);
	m.label = OP_ECHO;
	err = keel_ipc_call(ep, &m, &r);
	check("IPC_0051", err == -KEEL_EPEER, "a call with no receiver left fails at once", err);
	check("IPC_0052", keel_wait(pid, &status) == pid && status == 0,
	      "the server exited cleanly", status);
}

/* A server that closes its endpoint while a call is queued on it. */
static void test_closed_server(void)
{
	long ep = keel_ep_create(), pid, send, err;
	struct keel_msg m = msg(OP_ECHO, 1, 2, KEEL_HANDLE_NONE), r;
	int status = -1;

	pid = spawn_server("close", ep);
	send = keel_handle_dup(ep, KEEL_R_SEND);
	keel_handle_close(ep);
	err = keel_ipc_call(send, &m, &r);
	check("IPC_0060", err == -KEEL_EPEER,
	      "closing the last receiving handle fails a queued call", err);
	check("IPC_0061", keel_wait(pid, &status) == pid && status == 0,
	      "that server exited cleanly", status);
	keel_handle_close(send);

	ep = keel_ep_create();
	send = keel_handle_dup(ep, KEEL_R_RECEIVE | KEEL_R_TRANSFER);
	pid = spawn_server("orphan", send);
	keel_handle_close(send);
	keel_handle_close(ep); /* nobody may send now */
	check("IPC_0062", keel_wait(pid, &status) == pid && status == 0,
	      "a receive nobody can answer fails (EPEER), not hangs", status);
}

int main(int argc, char **argv)
{
	long ep, send, pid;

	if (argc > 1)
		return serve(argv[1]);
	test_kernel_bounds();
	test_no_leaks();
	test_notifications();
	ep = keel_ep_create();
	pid = spawn_server("echo", ep);
	check("IPC_0019", pid > 0, "a server starts with the endpoint in slot 0", pid);
	if (pid <= 0)
		goto out;
	/* Keep only a send handle, so the server is the only receiver. */
	send = keel_handle_dup(ep, KEEL_R_SEND | KEEL_R_DUPLICATE);
	keel_handle_close(ep);
	test_calls(send);
	test_transfer(send);
	test_rights(send);
	test_dead_server(send, pid);
	keel_handle_close(send);
	test_closed_server();
out:
	printf("ipc_test: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}

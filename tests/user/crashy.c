/*
 * crashy.c - a server that crashes when asked, and its client: the test
 * of init's restart policy and of clients reconnecting.
 *
 *	crashy			the server: registers "crashy" with init, answers
 *				label 1 with its pid, and on label 2 stores
 *				through a NULL pointer (the core kills it)
 *	crashy poke		a client: asks the server's pid, makes it crash,
 *				sees the call fail, waits for init to restart
 *				the server, and reaches the new one
 */
#include <stdio.h>
#include <string.h>

#include "client.h"
#include "keel.h"
#include "proto.h"

#define ASK_PID 1
#define CRASH	2

static int server(void)
{
	struct keel_msg m, r = { .handle = KEEL_HANDLE_NONE };
	long ep = keel_ep_create(), pid;

	m = (struct keel_msg){ .label = PROTO_READY,
			       .handle = keel_handle_dup(ep, KEEL_R_SEND | KEEL_R_DUPLICATE |
								     KEEL_R_TRANSFER) };
	proto_name_pack("crashy", m.w);
	if (keel_ipc_call(PROTO_H_PARENT, &m, &r) < 0)
		return 1;
	printf("crashy: server up, pid %d\n", keel_getpid());
	pid = keel_ipc_recv(ep, &m);
	for (;;) {
		r = (struct keel_msg){ .label = 0, .handle = KEEL_HANDLE_NONE };
		if (pid >= 0 && m.label == ASK_PID)
			r.w[0] = (unsigned long)keel_getpid();
		if (pid >= 0 && m.label == CRASH)
			*(volatile int *)0 = 1; /* dies here, owing the reply */
		pid = keel_ipc_reply_recv(ep, &r, &m);
	}
}

/* The server's pid through a fresh lookup, or <0. */
static long ask(long *ep)
{
	struct keel_msg m = { .label = ASK_PID, .handle = KEEL_HANDLE_NONE }, r;
	long err;

	if (*ep < 0)
		*ep = keel_lookup("crashy");
	if (*ep < 0)
		return *ep;
	err = keel_ipc_call(*ep, &m, &r);
	if (err) {
		keel_handle_close(*ep);
		*ep = -1;
		return err;
	}
	return (long)r.w[0];
}

static int poke(void)
{
	struct keel_msg m = { .label = CRASH, .handle = KEEL_HANDLE_NONE }, r;
	long ep = -1, first = ask(&ep), err, again = -1;

	if (first < 0)
		return printf("crashy: no server: %s\n", keel_strerror(first)), 1;
	printf("crashy: server is pid %ld; asking it to crash\n", first);
	err = keel_ipc_call(ep, &m, &r);
	printf("crashy: the call failed: %s\n", err ? keel_strerror(err) : "no: it answered");
	keel_handle_close(ep);
	ep = -1;
	/* init restarts it; look it up again until the new one answers (5 s at most). */
	for (int i = 0; i < 500 && (again < 0 || again == first); i++) {
		again = ask(&ep);
		if (again < 0 || again == first)
			keel_sleep_us(10000);
	}
	if (again < 0 || again == first)
		return printf("crashy: no new server\n"), 1;
	printf("crashy: reconnected to the restarted server, pid %ld\n", again);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "poke"))
		return poke();
	return server();
}

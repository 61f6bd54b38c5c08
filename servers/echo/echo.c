/*
 * echo.c - the smallest whole server, the pattern every server follows
 * (docs/hacking.md): clients connect with shared memory (ECHO_CONNECT),
 * ECHO_ECHO answers with the byte count and our pid, the bytes left as
 * they are. Client side: keel_echo() in servers/lib/client.c.
 */
#include "clients.h"
#include "proto.h"
#include "serve.h"

#define MAX_CLIENTS 4

static struct keel_client slots[MAX_CLIENTS];
static struct keel_clients clients = { slots, MAX_CLIENTS, ECHO_SHARED_SIZE };

static long on_connect(struct keel_req *q)
{
	return keel_client_accept(&clients, q->pid, &q->m.handle);
}

static long on_echo(struct keel_req *q)
{
	if (!keel_client_find(&clients, q->pid))
		return -KEEL_EINVAL; /* ECHO_CONNECT first */
	if (q->m.w[0] > ECHO_SHARED_SIZE)
		return -KEEL_ERANGE;
	q->r.w[0] = q->m.w[0];
	q->r.w[1] = (unsigned long)keel_getpid();
	return 0;
}

static const struct keel_op ops[] = {
	{ ECHO_CONNECT, on_connect },
	{ ECHO_ECHO, on_echo },
};

static struct keel_server srv = { .name = "echo", .ops = ops, .nops = KEEL_OPS_N(ops) };

int main(void)
{
	if (keel_serve_init(&srv) || keel_ready_say(srv.ep, "echo"))
		return 1;
	keel_serve(&srv);
}

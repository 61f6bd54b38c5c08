/*
 * clients.c - a server's table of clients (clients.h).
 */
#include <string.h>

#include "clients.h"
#include "keel.h"

#define PS_MAX 256
#define DEAD   3 /* struct keel_ps state */

/* The slot of @pid; pid 0 finds a free slot. */
static struct keel_client *keel_client_slot(struct keel_clients *t, long pid)
{
	for (unsigned int i = 0; i < t->n; i++)
		if (t->slot[i].pid == pid)
			return &t->slot[i];
	return NULL;
}

struct keel_client *keel_client_find(struct keel_clients *t, long pid)
{
	return pid > 0 ? keel_client_slot(t, pid) : NULL;
}

void keel_client_drop(struct keel_clients *t, struct keel_client *c)
{
	keel_munmap(c->page, t->size);
	keel_handle_close(c->mem);
	if (c->notif >= 0)
		keel_handle_close(c->notif);
	memset(c, 0, sizeof(*c));
	c->notif = -1;
}

/* Clients whose task is gone (or dead) make room for new ones. */
static void keel_client_reap(struct keel_clients *t)
{
	static struct keel_ps ps[PS_MAX];
	long n = keel_ps(ps, PS_MAX);

	if (n <= 0 || n >= PS_MAX)
		return; /* not a complete list: cannot tell who is gone */
	for (unsigned int i = 0; i < t->n; i++) {
		int alive = 0;

		for (long j = 0; j < n && !alive; j++)
			alive = ps[j].pid == t->slot[i].pid && ps[j].state != DEAD;
		if (t->slot[i].pid && !alive)
			keel_client_drop(t, &t->slot[i]);
	}
}

struct keel_client *keel_client_connect(struct keel_clients *t, long pid, long mem, long *err)
{
	struct keel_client *c = keel_client_find(t, pid);
	long va;

	if (c)
		keel_client_drop(t, c); /* connecting again: its new memory */
	c = keel_client_slot(t, 0);
	if (!c) {
		keel_client_reap(t);
		c = keel_client_slot(t, 0);
	}
	va = c ? keel_mmap(mem, 0, t->size, KEEL_PROT_READ | KEEL_PROT_WRITE) : -KEEL_EBUSY;
	if (va < 0) {
		keel_handle_close(mem);
		*err = va;
		return NULL;
	}
	c->pid = pid;
	c->mem = mem;
	c->page = (char *)va;
	c->notif = -1;
	return c;
}

long keel_client_accept(struct keel_clients *t, long pid, long *handle)
{
	long mem = *handle, err = 0;

	*handle = KEEL_HANDLE_NONE; /* the table keeps it, or closed it */
	if (mem < 0)
		return -KEEL_EINVAL;
	return keel_client_connect(t, pid, mem, &err) ? 0 : err;
}

/*
 * clients.h - a server's table of clients, each known by the pid
 * ipc_recv returned and holding the memory it shared at CONNECT
 * (proto.h), mapped here. A client that connects again gets its new
 * memory; when the table is full, clients whose task is gone make room.
 */
#ifndef KEEL_CLIENTS_H
#define KEEL_CLIENTS_H

#include <stddef.h>

struct keel_client {
	long pid; /* 0: a free slot */
	long mem; /* its memory handle, mapped at page */
	char *page;
	long notif; /* the server's own use (a notification), or -1 */
};

struct keel_clients {
	struct keel_client *slot;
	unsigned int n;
	size_t size; /* bytes each client shares */
};

/* The client @pid, or NULL if it has not connected. */
struct keel_client *keel_client_find(struct keel_clients *t, long pid);
/*
 * CONNECT from @pid with memory handle @mem (taken over: closed on any
 * error): its slot, or NULL and *@err (-KEEL_EBUSY: the table is full).
 */
struct keel_client *keel_client_connect(struct keel_clients *t, long pid, long mem, long *err);
/*
 * A CONNECT request's whole answer, for servers that need nothing more:
 * *@handle (the client's memory) taken into @t and set to
 * KEEL_HANDLE_NONE whatever happens. 0 or an error.
 */
long keel_client_accept(struct keel_clients *t, long pid, long *handle);
/* Unmap and close what @c holds; its slot is free. */
void keel_client_drop(struct keel_clients *t, struct keel_client *c);

#endif

/*
 * client.h - the client side of the servers' protocols (proto.h): find a
 * server by name through init, share memory with it, and the console and
 * file-system calls built on that. A call that finds its server gone
 * (-KEEL_EPEER: it crashed or was restarted) looks the name up again,
 * reconnects and tries once more.
 */
#ifndef KEEL_CLIENT_H
#define KEEL_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "keel.h"
#include "proto.h"

/* A connection: the server's endpoint, our shared memory, maybe its notification. */
struct keel_conn {
	const char *name;	/* what init knows the server as */
	unsigned long connect;	/* its CONNECT label */
	size_t size;		/* bytes shared */
	long ep, mem, notif;	/* handles, -1 when absent */
	void *buf;		/* the shared memory, mapped */
};

#define KEEL_CONN_INIT(n, label, sz) \
	{ .name = (n), .connect = (label), .size = (sz), .ep = -1, .mem = -1, .notif = -1 }

/* A send handle to the server init knows as @name, or -KEEL_E*. */
long keel_lookup(const char *name);
/* Connect @c (if it is not yet): 0 or -KEEL_E*. */
long keel_conn_open(struct keel_conn *c);
void keel_conn_close(struct keel_conn *c);
/* One call on @c, reconnecting once if the server went away; the reply's label. */
long keel_conn_call(struct keel_conn *c, struct keel_msg *m, struct keel_msg *reply);
/*
 * As keel_conn_call(), with @len bytes of @data put at @off of the shared
 * memory first (again into the new memory if it reconnects).
 */
long keel_conn_call_data(struct keel_conn *c, struct keel_msg *m, struct keel_msg *reply,
			 const void *data, size_t len, size_t off);

/* The console server, once init says it is up (KEEL_CONSOLE in the environment). */
long keel_con_write(const void *buf, size_t len);
/* Bytes typed, at least one (waits), at most @len; -KEEL_E* if no console server. */
long keel_con_read(void *buf, size_t len);
/* Like keel_con_read, but 0 at once when nothing was typed (the shell's Ctrl-C). */
long keel_con_poll(void *buf, size_t len);

/* The file system (the fs server): paths are absolute. */
long fs_stat(const char *path, uint64_t *size, uint32_t *mode);
long fs_read(const char *path, uint64_t off, void *buf, size_t len);
long fs_write(const char *path, uint64_t off, const void *buf, size_t len, int flags);
/* Entry @index of directory @path: 1 and its name, mode and size; 0 past the end. */
long fs_readdir(const char *path, unsigned int index, char *name, size_t namemax,
		uint32_t *mode, uint64_t *size);
long fs_mkdir(const char *path);
long fs_unlink(const char *path);
long fs_sync(void);

#endif

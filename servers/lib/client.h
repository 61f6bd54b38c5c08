/*
 * client.h - the client side of the servers' protocols (proto.h): find a
 * server by name through init, share memory with it, and the console and
 * file-system calls built on that.
 *
 * The one reconnect policy: a call that finds its server gone
 * (-KEEL_EPEER: it crashed, was killed or restarted) drops the
 * connection; the connection is made again by name, retrying the lookup
 * with a bounded backoff (KEEL_RECONNECT_FIRST_US doubling to
 * KEEL_RECONNECT_MAX_US, KEEL_RECONNECT_BUDGET_US in all) while init
 * restarts the server, and the call is sent once more to the new server
 * unless it is marked KEEL_CALL_ONCE (not safe to repeat): that one
 * returns -KEEL_EPEER and only the next call reconnects.
 */
#ifndef KEEL_CLIENT_H
#define KEEL_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "keel.h"
#include "proto.h"

/* A connection: the server's endpoint, our shared memory, maybe its notification. */
struct keel_conn {
	const char *name;      /* what init knows the server as */
	unsigned long connect; /* its CONNECT label */
	size_t size;	       /* bytes shared */
	long ep, mem, notif;   /* handles, -1 when absent */
	long wait_ep;	       /* ours, notif bound to it: waits with a timeout */
	void *buf;	       /* the shared memory, mapped */
	int was_up;	       /* connected once: a lookup that fails is a restart */
};

#define KEEL_CONN_INIT(n, label, sz)                                                               \
	{                                                                                          \
		.name = (n), .connect = (label), .size = (sz), .ep = -1, .mem = -1, .notif = -1,   \
		.wait_ep = -1                                                                      \
	}

#define KEEL_RECONNECT_FIRST_US	 10000	 /* the first wait for a restarted server */
#define KEEL_RECONNECT_MAX_US	 320000	 /* each wait doubles up to this */
#define KEEL_RECONNECT_BUDGET_US 5000000 /* then the server is gone: -KEEL_ENOENT */
#define KEEL_CALL_ONCE		 1	 /* flags: never send the call a second time */

/* A send handle to the server init knows as @name, or -KEEL_E*. */
long keel_lookup(const char *name);
/* Sleep *@us, then double *@us up to @max_us: the backoff of every poll here. */
void keel_backoff(uint64_t *us, uint64_t max_us);
#define KEEL_POLL_FIRST_US 1000	 /* a boot-time poll's first wait ... */
#define KEEL_POLL_MAX_US   10000 /* ... doubling up to this */
/* keel_lookup(), asked again with the poll backoff while @wait_us has not passed. */
long keel_lookup_wait(const char *name, uint64_t wait_us);
/* Connect @c (if it is not yet): 0 or -KEEL_E*. */
long keel_conn_open(struct keel_conn *c);
void keel_conn_close(struct keel_conn *c);
/* One call on @c, reconnecting once if the server went away; the reply's label. */
long keel_conn_call(struct keel_conn *c, struct keel_msg *m, struct keel_msg *reply);
/*
 * Wait at most @us for the notification the server gave at CONNECT: 1
 * if it was signalled, 0 on the timeout (the server may be gone: call
 * it to find out), -KEEL_E* without a connection or a notification.
 */
long keel_conn_wait(struct keel_conn *c, uint64_t us);
/*
 * As keel_conn_call(), with @len bytes of @data put at @off of the shared
 * memory first (again into the new memory if it reconnects).
 */
long keel_conn_call_data(struct keel_conn *c, struct keel_msg *m, struct keel_msg *reply,
			 const void *data, size_t len, size_t off);
/* As keel_conn_call_data(), with KEEL_CALL_* @flags. */
long keel_conn_call_flags(struct keel_conn *c, struct keel_msg *m, struct keel_msg *reply,
			  const void *data, size_t len, size_t off, int flags);

/* The console server, once init says it is up (KEEL_CONSOLE in the environment). */
/* Is there one: KEEL_CONSOLE in the environment (looked up once). */
int keel_use_console(void);
long keel_con_write(const void *buf, size_t len);
/*
 * Bytes typed, at least one (waits), at most @len; -KEEL_ENOTSUP when the
 * console server has no UART, -KEEL_E* when it is gone for good. Across
 * a console restart it reconnects and goes on waiting.
 */
long keel_con_read(void *buf, size_t len);
/* Like keel_con_read, but 0 at once when nothing was typed (the shell's Ctrl-C). */
long keel_con_poll(void *buf, size_t len);
/*
 * What was typed, for stdin and the shell: from the console server while
 * init says there is one (KEEL_CONSOLE) and it has a UART, else from the
 * core's console, and back to the server when it takes the console again;
 * never EOF because a console server or its UART driver restarts. @wait:
 * at least one byte (else 0 at once when nothing was typed); < 0 only
 * when no console at all can be read.
 */
long keel_tty_read(void *buf, size_t len, int wait);

/*
 * The echo server (servers/echo): @len bytes of @text there and back;
 * the count, and the server's pid in *@pid. The pattern for a new
 * protocol's client side.
 */
long keel_echo(const char *text, size_t len, long *pid);

/* The file system (the fs server): paths are absolute. */
long fs_stat(const char *path, uint64_t *size, uint32_t *mode);
long fs_read(const char *path, uint64_t off, void *buf, size_t len);
long fs_write(const char *path, uint64_t off, const void *buf, size_t len, int flags);
/* Entry @index of directory @path: 1 and its name, mode and size; 0 past the end. */
long fs_readdir(const char *path, unsigned int index, char *name, size_t namemax, uint32_t *mode,
		uint64_t *size);
long fs_mkdir(const char *path);
long fs_unlink(const char *path);
long fs_sync(void);
/* Before a power off: everything written goes to the disk, and no change after it. */
long fs_sync_final(void);

#endif

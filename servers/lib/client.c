/*
 * client.c - finding servers and talking to them (client.h).
 */
#include <stdlib.h>
#include <string.h>

#include "client.h"

long keel_lookup(const char *name)
{
	struct keel_msg m = { .label = PROTO_LOOKUP, .handle = KEEL_HANDLE_NONE }, r;
	long err;

	proto_name_pack(name, m.w);
	err = keel_ipc_call(PROTO_H_PARENT, &m, &r);
	if (err)
		return err;
	if ((long)r.label < 0)
		return (long)r.label;
	return r.handle >= 0 ? r.handle : -KEEL_ENOENT;
}

void keel_backoff(uint64_t *us, uint64_t max_us)
{
	keel_sleep_us(*us);
	*us = *us * 2 > max_us ? max_us : *us * 2;
}

long keel_lookup_wait(const char *name, uint64_t wait_us)
{
	uint64_t t0 = keel_time_ns(), us = KEEL_POLL_FIRST_US;
	long ep;

	while ((ep = keel_lookup(name)) < 0 && keel_time_ns() - t0 < wait_us * 1000)
		keel_backoff(&us, KEEL_POLL_MAX_US);
	return ep;
}

void keel_conn_close(struct keel_conn *c)
{
	if (c->buf)
		keel_munmap(c->buf, c->size);
	if (c->ep >= 0)
		keel_handle_close(c->ep);
	if (c->mem >= 0)
		keel_handle_close(c->mem);
	if (c->notif >= 0)
		keel_handle_close(c->notif);
	if (c->wait_ep >= 0)
		keel_handle_close(c->wait_ep);
	c->buf = NULL;
	c->ep = c->mem = c->notif = c->wait_ep = -1;
}

/*
 * The server's endpoint by name. After a connection was up, a missing
 * name is a server init is restarting: look again with the backoff.
 */
static long conn_lookup(struct keel_conn *c)
{
	uint64_t wait = KEEL_RECONNECT_FIRST_US, spent = 0;

	for (;;) {
		long ep = keel_lookup(c->name);

		if (ep >= 0 || !c->was_up || spent >= KEEL_RECONNECT_BUDGET_US)
			return ep;
		spent += wait;
		keel_backoff(&wait, KEEL_RECONNECT_MAX_US);
	}
}

/* Bind the server's notification to an endpoint of ours, so waits can time out. */
static void conn_wait_setup(struct keel_conn *c)
{
	if (c->notif < 0)
		return;
	c->wait_ep = keel_ep_create();
	if (c->wait_ep >= 0 && keel_ep_bind(c->wait_ep, c->notif) < 0) {
		keel_handle_close(c->wait_ep);
		c->wait_ep = -1;
	}
}

/* One connect attempt on the endpoint we have; 0 or -KEEL_E*. */
static long conn_connect(struct keel_conn *c)
{
	struct keel_msg m = { .label = c->connect }, r;
	long err, va;

	c->mem = keel_mem_create(c->size);
	if (c->mem < 0)
		return c->mem;
	va = keel_mmap(c->mem, 0, c->size, KEEL_PROT_READ | KEEL_PROT_WRITE);
	if (va < 0)
		return va;
	c->buf = (void *)va;
	m.handle = c->mem;
	err = keel_ipc_call(c->ep, &m, &r);
	if (!err)
		err = (long)r.label;
	if (err)
		return err;
	if (r.handle >= 0)
		c->notif = r.handle;
	conn_wait_setup(c);
	return 0;
}

long keel_conn_open(struct keel_conn *c)
{
	long err;

	if (c->ep >= 0)
		return 0;
	for (int attempt = 0;; attempt++) {
		c->ep = conn_lookup(c);
		if (c->ep < 0) {
			err = c->ep;
			c->ep = -1;
			return err;
		}
		err = conn_connect(c);
		if (!err) {
			c->was_up = 1;
			return 0;
		}
		keel_conn_close(c);
		/* The name still led to the server that just died: look again. */
		if (err != -KEEL_EPEER || !c->was_up || attempt)
			return err;
	}
}

long keel_conn_wait(struct keel_conn *c, uint64_t us)
{
	struct keel_msg m;
	long err;

	if (c->wait_ep < 0)
		return -KEEL_EINVAL;
	err = keel_ipc_recv_timeout(c->wait_ep, &m, us);
	if (err == -KEEL_ETIMEDOUT)
		return 0;
	return err < 0 ? err : 1;
}

long keel_conn_call(struct keel_conn *c, struct keel_msg *m, struct keel_msg *reply)
{
	return keel_conn_call_flags(c, m, reply, NULL, 0, 0, 0);
}

long keel_conn_call_data(struct keel_conn *c, struct keel_msg *m, struct keel_msg *reply,
			 const void *data, size_t len, size_t off)
{
	return keel_conn_call_flags(c, m, reply, data, len, off, 0);
}

long keel_conn_call_flags(struct keel_conn *c, struct keel_msg *m, struct keel_msg *reply,
			  const void *data, size_t len, size_t off, int flags)
{
	if (off > c->size || len > c->size - off)
		return -KEEL_ERANGE;
	for (int attempt = 0;; attempt++) {
		long err = keel_conn_open(c);

		if (err)
			return err;
		if (len)
			memcpy((char *)c->buf + off, data, len);
		m->handle = KEEL_HANDLE_NONE;
		err = keel_ipc_call(c->ep, m, reply);
		if (err == -KEEL_EPEER) {
			/* The server went away: our page went with it. */
			keel_conn_close(c);
			if (attempt == 0 && !(flags & KEEL_CALL_ONCE))
				continue;
		}
		return err ? err : (long)reply->label;
	}
}

/* --- the console ----------------------------------------------------------- */

#define KEEL_CON_WAIT_US 200000 /* how long a read waits before asking again */

static struct keel_conn con = KEEL_CONN_INIT("console", CON_CONNECT, PROTO_SHARED_SIZE);

long keel_con_write(const void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		struct keel_msg m = { .label = CON_WRITE }, r;
		size_t n = len - done < PROTO_SHARED_SIZE ? len - done : PROTO_SHARED_SIZE;
		long err;

		m.w[0] = n;
		err = keel_conn_call_data(&con, &m, &r, (const char *)buf + done, n, 0);
		if (err < 0)
			return err;
		done += n;
	}
	return (long)done;
}

long keel_con_poll(void *buf, size_t len)
{
	struct keel_msg m = { .label = CON_READ }, r;
	long err;

	if (len > PROTO_SHARED_SIZE)
		len = PROTO_SHARED_SIZE;
	m.w[0] = len;
	err = keel_conn_call(&con, &m, &r);
	if (err < 0)
		return err;
	if (r.w[0] > len)
		r.w[0] = len;
	memcpy(buf, con.buf, r.w[0]);
	return (long)r.w[0];
}

long keel_con_read(void *buf, size_t len)
{
	for (;;) {
		long n = keel_con_poll(buf, len);

		if (n)
			return n;
		/*
		 * Nothing typed yet: the console signals when something is. Its
		 * notification outlives a killed console server, so the wait
		 * times out now and then and the read asks again: a console
		 * gone is seen (EPEER) and its successor connected.
		 */
		if (keel_conn_wait(&con, KEEL_CON_WAIT_US) < 0)
			keel_sleep_us(KEEL_CON_WAIT_US);
	}
}

int keel_use_console(void)
{
	static int use = -1;

	if (use < 0)
		use = getenv("KEEL_CONSOLE") != NULL;
	return use;
}

long keel_tty_read(void *buf, size_t len, int wait)
{
	for (;;) {
		long n = -KEEL_ENOTSUP;

		if (keel_use_console())
			n = wait ? keel_con_read(buf, len) : keel_con_poll(buf, len);
		if (n >= 0)
			return n;
		if (!wait)
			return 0;
		/*
		 * The core's read polls the firmware's console, which reads the
		 * UART behind its driver's back: only while no console server
		 * has the console (EBUSY once one takes it back: ask it again).
		 */
		n = keel_read(0, buf, len);
		if (n != -KEEL_EBUSY)
			return n;
		keel_sleep_us(10000);
	}
}

/* --- echo ------------------------------------------------------------------- */

static struct keel_conn echo = KEEL_CONN_INIT("echo", ECHO_CONNECT, ECHO_SHARED_SIZE);

long keel_echo(const char *text, size_t len, long *pid)
{
	struct keel_msg m = { .label = ECHO_ECHO, .w = { len } }, r;
	long err = keel_conn_call_data(&echo, &m, &r, text, len, 0);

	if (err)
		return err;
	if (r.w[0] != len || memcmp(echo.buf, text, len))
		return -KEEL_EIO;
	*pid = (long)r.w[1];
	return (long)r.w[0];
}

/* --- the file system ---------------------------------------------------------- */

static struct keel_conn fs = KEEL_CONN_INIT("fs", FS_CONNECT, FS_SHARED_SIZE);

/* Put @path and @len bytes of @data in the shared page; then one call. */
static long fs_call_data(const char *path, const void *data, size_t len, struct keel_msg *m,
			 struct keel_msg *r)
{
	/* The path at 0 and the data at FS_DATA: one piece when we copy both together. */
	static char page[FS_SHARED_SIZE];
	size_t n = path ? strlen(path) : 0;
	int flags = 0;

	if (n >= FS_PATH_MAX || len > FS_DATA_MAX)
		return -KEEL_ERANGE;
	memcpy(page, path ? path : "", n + 1);
	if (len)
		memcpy(page + FS_DATA, data, len);
	/* An append sent twice would append twice. */
	if (m->label == FS_WRITE && (m->w[2] & FS_O_APPEND))
		flags = KEEL_CALL_ONCE;
	return keel_conn_call_flags(&fs, m, r, page, len ? FS_DATA + len : n + 1, 0, flags);
}

static long fs_call(const char *path, struct keel_msg *m, struct keel_msg *r)
{
	return fs_call_data(path, NULL, 0, m, r);
}

long fs_stat(const char *path, uint64_t *size, uint32_t *mode)
{
	struct keel_msg m = { .label = FS_STAT }, r;
	long err = fs_call(path, &m, &r);

	if (!err) {
		*size = r.w[0];
		*mode = (uint32_t)r.w[1];
	}
	return err;
}

long fs_read(const char *path, uint64_t off, void *buf, size_t len)
{
	struct keel_msg m = { .label = FS_READ }, r;
	size_t done = 0;

	while (done < len) {
		size_t want = len - done < FS_DATA_MAX ? len - done : FS_DATA_MAX;
		long err;

		m.label = FS_READ;
		m.w[0] = off + done;
		m.w[1] = want;
		err = fs_call(path, &m, &r);
		if (err)
			return done ? (long)done : err;
		if (r.w[0] > want)
			return -KEEL_EIO;
		memcpy((char *)buf + done, (char *)fs.buf + FS_DATA, r.w[0]);
		done += r.w[0];
		if (r.w[0] < want)
			break;
	}
	return (long)done;
}

long fs_write(const char *path, uint64_t off, const void *buf, size_t len, int flags)
{
	struct keel_msg m, r;
	size_t done = 0;

	do {
		size_t n = len - done < FS_DATA_MAX ? len - done : FS_DATA_MAX;
		long err;

		m = (struct keel_msg){ .label = FS_WRITE,
				       .w = { off + done, n, (unsigned long)flags } };
		err = fs_call_data(path, (const char *)buf + done, n, &m, &r);
		if (err)
			return done ? (long)done : err;
		done += n;
		/* Truncate once, at the first chunk; then write on after it. */
		flags &= ~FS_O_TRUNC;
	} while (done < len);
	return (long)done;
}

long fs_readdir(const char *path, unsigned int index, char *name, size_t namemax, uint32_t *mode,
		uint64_t *size)
{
	struct keel_msg m = { .label = FS_READDIR, .w = { index } }, r;
	long err = fs_call(path, &m, &r);
	const char *n = (const char *)fs.buf + FS_DATA;

	if (err)
		return err;
	if (!r.w[0])
		return 0;
	if (namemax) {
		strncpy(name, n, namemax - 1);
		name[namemax - 1] = '\0';
	}
	*mode = (uint32_t)r.w[1];
	*size = r.w[2];
	return 1;
}

long fs_mkdir(const char *path)
{
	struct keel_msg m = { .label = FS_MKDIR }, r;

	return fs_call(path, &m, &r);
}

long fs_unlink(const char *path)
{
	struct keel_msg m = { .label = FS_UNLINK }, r;

	return fs_call(path, &m, &r);
}

long fs_sync(void)
{
	struct keel_msg m = { .label = FS_SYNC }, r;

	return fs_call(NULL, &m, &r);
}

long fs_sync_final(void)
{
	struct keel_msg m = { .label = FS_SYNC, .w = { FS_SYNC_FINAL } }, r;

	return fs_call(NULL, &m, &r);
}

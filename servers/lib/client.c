/*
 * client.c - finding servers and talking to them (client.h).
 */
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
	c->buf = NULL;
	c->ep = c->mem = c->notif = -1;
}

long keel_conn_open(struct keel_conn *c)
{
	struct keel_msg m = { .label = c->connect }, r;
	long err, va;

	if (c->ep >= 0)
		return 0;
	c->ep = keel_lookup(c->name);
	if (c->ep < 0) {
		err = c->ep;
		c->ep = -1;
		return err;
	}
	c->mem = keel_mem_create(c->size);
	if (c->mem < 0) {
		err = c->mem;
		c->mem = -1;
		goto fail;
	}
	va = keel_mmap(c->mem, 0, c->size, KEEL_PROT_READ | KEEL_PROT_WRITE);
	if (va < 0) {
		err = va;
		goto fail;
	}
	c->buf = (void *)va;
	m.handle = c->mem;
	err = keel_ipc_call(c->ep, &m, &r);
	if (!err)
		err = (long)r.label;
	if (err)
		goto fail;
	if (r.handle >= 0)
		c->notif = r.handle;
	return 0;
fail:
	keel_conn_close(c);
	return err;
}

long keel_conn_call(struct keel_conn *c, struct keel_msg *m, struct keel_msg *reply)
{
	return keel_conn_call_data(c, m, reply, NULL, 0, 0);
}

long keel_conn_call_data(struct keel_conn *c, struct keel_msg *m, struct keel_msg *reply,
			 const void *data, size_t len, size_t off)
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
		if (err == -KEEL_EPEER && attempt == 0) {
			/* The server went away: find the new one. Our page went with it. */
			keel_conn_close(c);
			continue;
		}
		return err ? err : (long)reply->label;
	}
}

/* --- the console ----------------------------------------------------------- */

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
		unsigned long bits;
		long n = keel_con_poll(buf, len);

		if (n)
			return n;
		/* Nothing typed yet: the console signals when something is. */
		if (con.notif < 0)
			keel_sleep_us(20000);
		else if (keel_notif_wait(con.notif, &bits) < 0)
			return -KEEL_EPEER;
	}
}

/* --- the file system ---------------------------------------------------------- */

static struct keel_conn fs = KEEL_CONN_INIT("fs", FS_CONNECT, FS_SHARED_SIZE);

/* Put @path and @len bytes of @data in the shared page; then one call. */
static long fs_call_data(const char *path, const void *data, size_t len, struct keel_msg *m,
			 struct keel_msg *r)
{
	size_t n = path ? strlen(path) : 0;
	long err;

	if (n >= FS_PATH_MAX)
		return -KEEL_ERANGE;
	for (int attempt = 0; attempt < 2; attempt++) {
		err = keel_conn_open(&fs);
		if (err)
			return err;
		memcpy(fs.buf, path ? path : "", n + 1);
		if (len)
			memcpy((char *)fs.buf + FS_DATA, data, len);
		m->handle = KEEL_HANDLE_NONE;
		err = keel_ipc_call(fs.ep, m, r);
		if (err != -KEEL_EPEER)
			break;
		keel_conn_close(&fs);	/* restarted: a new page, the path again */
	}
	return err ? err : (long)r->label;
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

		m = (struct keel_msg){ .label = FS_WRITE, .w = { off + done, n, (unsigned long)flags } };
		err = fs_call_data(path, (const char *)buf + done, n, &m, &r);
		if (err)
			return done ? (long)done : err;
		done += n;
		/* Truncate once, at the first chunk; then write on after it. */
		flags &= ~FS_O_TRUNC;
	} while (done < len);
	return (long)done;
}

long fs_readdir(const char *path, unsigned int index, char *name, size_t namemax,
		uint32_t *mode, uint64_t *size)
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

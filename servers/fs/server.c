/*
 * server.c - the fs server: one tree for every client, over the FS_*
 * protocol (proto.h).
 *
 *	/		the initramfs, read-only (the core's copy, read in place)
 *	/mnt		an ext2 file system on a block server ("vda"), read-write
 *
 * Arguments: mount points as "<dir>=<block server name>" (only one:
 * "/mnt=vda"). A disk that is missing or does not mount leaves its
 * directory absent, said once; the initramfs is always there.
 *
 * The ext2 library (ext2.c) keeps a write-back cache: writes reach the
 * disk on FS_SYNC, so a client that wants its data to survive a power
 * off syncs first (the shell's sync). Requests are served one at a time,
 * in order; the block server is called synchronously under each, and
 * again on its successor if it died (disk_call). A crash of this server
 * mid-sync is repaired by the next mount (ext2.c, recover()).
 */
#include <stdio.h>
#include <string.h>

#include "client.h"
#include "clients.h"
#include "ext2.h"
#include "keel.h"
#include "proto.h"
#include "serve.h"

#define MAX_CLIENTS   16
#define DISK_RETRY_MS 30000 /* a block server restarting: init's longest backoff is 3.2 s */
#define DISK_RETRY_US 20000
#define S_IFDIR	      0040000
#define S_IFMT	      0170000

static struct keel_client client_slots[MAX_CLIENTS];
static struct keel_clients clients = { client_slots, MAX_CLIENTS, FS_SHARED_SIZE };
static struct ext2_fs ext2;
static struct keel_conn disk = KEEL_CONN_INIT(NULL, BLK_CONNECT, BLK_SHARED_SIZE);
static const char *mnt;	    /* the mount point, "/mnt"; NULL: no disk */
static const char *pending; /* the "/mnt=vda" whose disk was not there yet */
static size_t mnt_len;

/* --- the block device under ext2 ----------------------------------------- */

/*
 * One call to the block server. A driver that died (killed, restarted by
 * init) gives -KEEL_EPEER, or -KEEL_ENOENT while its name is gone: the
 * call is made again, on its successor, for up to DISK_RETRY_MS. A read
 * or write of whole sectors can be repeated; giving up half-way through
 * an ext2 change would leave the cache half-changed.
 */
static long disk_call(struct keel_msg *m, struct keel_msg *r, const void *wbuf, size_t len)
{
	uint64_t t0 = keel_time_ns();
	long err;

	for (;;) {
		err = keel_conn_call_data(&disk, m, r, wbuf, len, 0);
		if (err != -KEEL_EPEER && err != -KEEL_ENOENT)
			return err;
		if (keel_time_ns() - t0 > DISK_RETRY_MS * 1000000ULL)
			return err;
		keel_sleep_us(DISK_RETRY_US);
	}
}

static int disk_io(unsigned long label, uint64_t sector, uint32_t count, void *buf,
		   const void *wbuf)
{
	uint32_t per_call = BLK_SHARED_SIZE / 512;

	while (count) {
		uint32_t n = count < per_call ? count : per_call;
		struct keel_msg m = { .label = label, .w = { sector, n, 0 } }, r;
		long err;

		err = disk_call(&m, &r, wbuf, wbuf ? (size_t)n * 512 : 0);
		if (err) {
			printf("fs: %s: %s of %u sectors at %llu: %s\n", disk.name,
			       label == BLK_READ ? "read" : "write", (unsigned int)n,
			       (unsigned long long)sector, keel_strerror(err));
			return (int)err;
		}
		if (buf) {
			memcpy(buf, disk.buf, (size_t)n * 512);
			buf = (char *)buf + (size_t)n * 512;
		} else {
			wbuf = (const char *)wbuf + (size_t)n * 512;
		}
		sector += n;
		count -= n;
	}
	return 0;
}

static int disk_read(void *ctx, uint64_t sector, uint32_t count, void *buf)
{
	(void)ctx;
	return disk_io(BLK_READ, sector, count, buf, NULL);
}

static int disk_write(void *ctx, uint64_t sector, uint32_t count, const void *buf)
{
	(void)ctx;
	return disk_io(BLK_WRITE, sector, count, NULL, buf);
}

/* The disk's own cache to the medium: ext2 orders its writes with this. */
static int disk_flush(void *ctx)
{
	struct keel_msg m = { .label = BLK_FLUSH }, r;
	long err;

	(void)ctx;
	err = disk_call(&m, &r, NULL, 0);
	if (err)
		printf("fs: %s: flush: %s\n", disk.name, keel_strerror(err));
	return (int)err;
}

static uint32_t disk_now(void *ctx)
{
	(void)ctx;
	return (uint32_t)(keel_time_ns() / 1000000000);
}

/* The ext2 library's corruption reports (a few a mount at most). */
static void disk_log(void *ctx, const char *line)
{
	(void)ctx;
	printf("fs: %s: corrupt: %s\n", disk.name, line);
}

/*
 * "/mnt=vda": find the block server, mount ext2 from it. No wait: init ran devmgr's level, and with
 * it every driver devmgr started, to ready before the fs level, so a disk that is not there now has
 * no driver, or one that failed; a driver that comes up later is looked up again on the first
 * request under the mount point.
 */
static void mount_disk(const char *spec)
{
	static char dir[64], name[PROTO_NAME_MAX + 1];
	const char *eq = strchr(spec, '=');
	struct ext2_dev dev = {
		.read = disk_read,
		.write = disk_write,
		.now = disk_now,
		.log = disk_log,
		.flush = disk_flush,
	};
	struct keel_msg m = { .label = BLK_INFO }, r;
	long h, err;

	if (!eq || spec[0] != '/' || (size_t)(eq - spec) >= sizeof(dir) || !eq[1] ||
	    strlen(eq + 1) > PROTO_NAME_MAX) {
		printf("fs: %s: want <dir>=<disk>; ignored\n", spec);
		return;
	}
	memcpy(dir, spec, (size_t)(eq - spec));
	strcpy(name, eq + 1);
	h = keel_lookup(name);
	if (h < 0) {
		if (!pending)
			printf("fs: no disk %s (%s); %s stays absent\n", name, keel_strerror(h),
			       dir);
		pending = spec; /* a driver restarting with us: asked again on use */
		return;
	}
	pending = NULL;
	keel_handle_close(h);
	disk.name = name;
	err = keel_conn_call(&disk, &m, &r);
	if (err) {
		printf("fs: %s: %s; %s stays absent\n", name, keel_strerror(err), dir);
		return;
	}
	dev.sectors = r.w[0];
	err = ext2_mount(&ext2, &dev);
	if (err) {
		printf("fs: %s: not a file system Keel mounts: %s (%s); %s stays absent\n", name,
		       ext2.msg[0] ? ext2.msg : "bad superblock", keel_strerror(err), dir);
		return;
	}
	mnt = dir;
	mnt_len = strlen(dir);
	printf("fs: ext2 on %s (%llu KiB, %u-byte blocks%s) at %s\n", name,
	       (unsigned long long)(r.w[0] / 2), (unsigned int)ext2.block_size,
	       ext2.ro ? ", read-only" : "", dir);
	if (ext2.msg[0])
		printf("fs: %s: %s\n", name, ext2.msg);
}

/* --- the initramfs, read-only ----------------------------------------------- */

/* @path without its leading '/', as the archive names it ("" for the root). */
static const char *ird_name(const char *path)
{
	while (*path == '/')
		path++;
	return path;
}

/* An archive entry's name without "./". */
static const char *ird_entry(const char *name)
{
	return name[0] == '.' && name[1] == '/' ? name + 2 : name;
}

static long ird_stat(const char *path, uint64_t *size, uint32_t *mode)
{
	const char *want = ird_name(path);
	struct keel_dirent e;

	if (!*want) {
		*size = 0;
		*mode = S_IFDIR | 0755;
		return 0;
	}
	for (unsigned long i = 0; keel_initrd_list(i, &e) == 1; i++) {
		if (strcmp(ird_entry(e.name), want))
			continue;
		*size = e.size;
		*mode = e.mode;
		return 0;
	}
	return -KEEL_ENOENT;
}

/* Entry @index directly under directory @path; the mount point shows in its parent. */
static long ird_readdir(const char *path, unsigned int index, char *name, uint32_t *mode,
			uint64_t *size)
{
	const char *dir = ird_name(path);
	size_t dlen = strlen(dir);
	struct keel_dirent e;
	unsigned int seen = 0;
	uint64_t dsize;
	uint32_t dmode;

	if (ird_stat(path, &dsize, &dmode))
		return -KEEL_ENOENT;
	if ((dmode & S_IFMT) != S_IFDIR)
		return -KEEL_ENOTDIR;
	for (unsigned long i = 0; keel_initrd_list(i, &e) == 1; i++) {
		const char *n = ird_entry(e.name), *rest;

		if (dlen && (strncmp(n, dir, dlen) || n[dlen] != '/'))
			continue;
		rest = dlen ? n + dlen + 1 : n;
		if (!*rest || strchr(rest, '/') || !strcmp(rest, "."))
			continue;
		if (seen++ != index)
			continue;
		strncpy(name, rest, FS_PATH_MAX - 1);
		name[FS_PATH_MAX - 1] = '\0';
		*mode = e.mode;
		*size = e.size;
		return 1;
	}
	/* The mount point, in its parent's listing ("/mnt" in "/"). */
	if (mnt && seen == index && !dlen && strchr(mnt + 1, '/') == NULL) {
		strcpy(name, mnt + 1);
		*mode = S_IFDIR | 0755;
		*size = 0;
		return 1;
	}
	return 0;
}

/* --- requests ------------------------------------------------------------------- */

/* The ext2 path for @path if it is under the mount point, else NULL. */
static const char *on_disk(const char *path)
{
	/* Restarted while the block server was down too: look for it again. */
	if (!mnt && pending && !strncmp(path, pending, (size_t)(strchr(pending, '=') - pending)))
		mount_disk(pending);
	if (!mnt || strncmp(path, mnt, mnt_len))
		return NULL;
	if (!path[mnt_len])
		return "/";
	return path[mnt_len] == '/' ? path + mnt_len : NULL;
}

static long do_request(struct keel_client *c, const struct keel_msg *m, struct keel_msg *r)
{
	char *path = c->page, *data = c->page + FS_DATA;
	const char *d;
	uint64_t size;
	uint32_t mode;
	long n;

	if (m->label != FS_SYNC && (memchr(path, 0, FS_PATH_MAX) == NULL || path[0] != '/'))
		return -KEEL_EINVAL; /* an absolute path, NUL-terminated in its place */
	d = m->label == FS_SYNC ? NULL : on_disk(path);
	switch (m->label) {
	case FS_STAT:
		n = d ? ext2_stat(&ext2, d, &size, &mode) : ird_stat(path, &size, &mode);
		if (!n) {
			r->w[0] = size;
			r->w[1] = mode;
		}
		return n;
	case FS_READ:
		if (m->w[1] > FS_DATA_MAX)
			return -KEEL_ERANGE;
		if (!d && !ird_stat(path, &size, &mode) && (mode & S_IFMT) == S_IFDIR)
			return -KEEL_EISDIR;
		n = d ? ext2_read(&ext2, d, m->w[0], data, m->w[1])
		      : keel_initrd_read(path, data, m->w[1], m->w[0]);
		if (n >= 0)
			r->w[0] = (unsigned long)n;
		return n < 0 ? n : 0;
	case FS_WRITE:
		if (m->w[1] > FS_DATA_MAX)
			return -KEEL_ERANGE;
		if (!d)
			return -KEEL_EROFS; /* the initramfs is read-only */
		n = ext2_write(&ext2, d, m->w[0], data, m->w[1], (int)m->w[2]);
		if (n >= 0)
			r->w[0] = (unsigned long)n;
		return n < 0 ? n : 0;
	case FS_READDIR:
		n = d ? ext2_readdir(&ext2, d, (unsigned int)m->w[0], data, FS_DATA_MAX, &mode,
				     &size)
		      : ird_readdir(path, (unsigned int)m->w[0], data, &mode, &size);
		if (n >= 0) {
			r->w[0] = (unsigned long)n;
			r->w[1] = n ? mode : 0;
			r->w[2] = n ? size : 0;
		}
		return n < 0 ? n : 0;
	case FS_MKDIR:
		return d ? ext2_mkdir(&ext2, d) : -KEEL_EROFS;
	case FS_UNLINK:
		if (d && !strcmp(d, "/"))
			return -KEEL_EBUSY; /* the mount point itself */
		return d ? ext2_unlink(&ext2, d) : -KEEL_EROFS;
	case FS_SYNC:
		/* ext2_sync() flushes the disk's own cache too: what is synced survives a power
		 * cut. */
		n = mnt ? ext2_sync(&ext2) : 0;
		/*
		 * Before a power off: read-only from now on, as an unmount, so a
		 * client still writing cannot leave a sync half done on the disk.
		 */
		if (!n && mnt && (m->w[0] & FS_SYNC_FINAL))
			ext2.ro = true;
		return n;
	default:
		return -KEEL_ENOSYS;
	}
}

static long on_connect(struct keel_req *q)
{
	return keel_client_accept(&clients, q->pid, &q->m.handle);
}

/* Every other label: a connected client's request. */
static long on_request(struct keel_req *q)
{
	struct keel_client *c = keel_client_find(&clients, q->pid);

	return c ? do_request(c, &q->m, &q->r) : -KEEL_EINVAL;
}

static const struct keel_op ops[] = {
	{ FS_CONNECT, on_connect }, { FS_STAT, on_request },	{ FS_READ, on_request },
	{ FS_WRITE, on_request },   { FS_READDIR, on_request }, { FS_MKDIR, on_request },
	{ FS_UNLINK, on_request },  { FS_SYNC, on_request },
};

static struct keel_server srv = { .name = "fs", .ops = ops, .nops = KEEL_OPS_N(ops) };

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		mount_disk(argv[i]);
	if (keel_serve_init(&srv) || keel_ready_say(srv.ep, "fs"))
		return 1;
	keel_serve(&srv);
}

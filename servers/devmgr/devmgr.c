/*
 * devmgr.c - the device manager: starts a driver server for each device
 * the device tree describes, and keeps it running.
 *
 * init starts devmgr (grants "devices,fdt") with: slot 0 a send handle
 * to init's endpoint, 1 a control handle with KEEL_R_DEVICES, 2 the
 * flattened device tree, read-only. devmgr
 *  1. maps the tree and checks it whole (dt_parse);
 *  2. walks it (devtree.c) and, for each device the driver table
 *     (drivers.h) has a server for, makes the handles the driver start
 *     convention asks (servers/lib/proto.h: the register window, the
 *     interrupt's notification, the interrupt) and spawns /sbin/<server>
 *     with them; a virtio-mmio slot is probed first, and an empty one
 *     (DeviceID 0) skipped;
 *  3. waits (at most DEVMGR_READY_US) until each driver has reported
 *     PROTO_READY on devmgr's endpoint or exited, forwarding each
 *     driver's name to init (PROTO_REGISTER), and the console UART's
 *     also as "console-uart";
 *  4. reports itself ready to init (PROTO_READY "devmgr", with a send
 *     handle: init takes no name without one), and serves its endpoint
 *     for good: a driver that came up and then dies is restarted with
 *     fresh handles, DEVMGR_MAX_RESTARTS times at most. One that dies
 *     before it ever came up failed (bad arguments, not its device) and
 *     would fail again: it is reported, not restarted.
 *
 * One thread, no locks. The lines it prints are an interface (tests/devmgr):
 *   devmgr: <path>: <compatible> -> <server> (pid <n>)
 *   devmgr: <n> driver(s) started for <m> device(s); <k> empty virtio slot(s)
 *   devmgr: <server>[<pid>] (<path>) crashed (status 0x10d); restarting
 *   devmgr: <path>: <compatible> -> <server> (pid <n>, restart <i> of 3)
 *   devmgr: <server>[<pid>] (<path>) killed (status 0x209); restarted 3 times: giving up on it
 *   devmgr: <server>[<pid>] (<path>) exited (status 1) before ready
 *   devmgr: <server>[<pid>] ready: "<name>"[, "console-uart"]   (initcall_debug only)
 * <m> counts the devices devmgr has a server for (an empty virtio slot
 * is none); <n> is lower only when a start failed, which is said.
 * Elsewhere: what is read from the tree (devtree.c), the table (drivers.h).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devtree.h"
#include "drivers.h"
#include "keel.h"
#include "proto.h"

/* The handles init's grants "devices,fdt" put after PROTO_H_PARENT (initrd/init.c). */
#define DEVMGR_H_CONTROL 1
#define DEVMGR_H_FDT	 2

#define DEVMGR_MAX_DRIVERS   32
#define DEVMGR_READY_US	     3000000 /* drivers' time to report ready; init allows 5 s */
#define DEVMGR_MAX_RESTARTS  3
#define DEVMGR_CHILD_EXITED  1UL /* the child notification's bit */
#define DEVMGR_IRQ_BIT	     1UL /* bit 0: proto.h's driver convention */
#define DEVMGR_CONSOLE_ALIAS "console-uart"
#define DEVMGR_CONSOLE_ENV   "KEEL_CONSOLE=" /* libkeel: print through the console server */
#define DEVMGR_ENV_MAX	     62		     /* SYS_spawn takes 62 strings at most */

#define PAGE_SIZE	  4096UL
#define FDT_HDR_TOTALSIZE 4 /* DTSpec 5.2: big-endian u32 at byte 4 */
#define FDT_V17_HDR_SIZE  40

/* An exit status: 0x100 | scause for a fault; core/kernel/task.h's TASK_EXIT_KILLED for a kill. */
#define EXIT_FAULT_BIT 0x100
#define EXIT_KILLED    0x209

/* virtio 1.2, 4.2.2: the MMIO device's first registers; 5: device IDs. */
#define VIRTIO_MMIO_MAGIC_VALUE 0x000
#define VIRTIO_MMIO_DEVICE_ID	0x008
#define VIRTIO_MMIO_PROBE_SIZE	0x00c	    /* the bytes the probe reads */
#define VIRTIO_MAGIC		0x74726976u /* "virt", little-endian */
#define VIRTIO_ID_NONE		0	    /* an empty slot */
#define VIRTIO_ID_BLOCK		2

enum drv_state {
	DRV_STARTING, /* spawned, not ready yet */
	DRV_UP,	      /* reported ready */
	DRV_DOWN,     /* exited, not restarted */
};

struct driver {
	struct devtree_dev dev;
	long pid; /* -1 while not running */
	enum drv_state state;
	bool came_up; /* reported ready once: worth restarting */
	int restarts;
};

static struct devtree tree; /* large: the core's hart table */
static struct driver drivers[DEVMGR_MAX_DRIVERS];
static int ndrivers;
static long ep = -1; /* drivers report here */
static bool debug;   /* initcall_debug: say more */
static char *driver_env[DEVMGR_ENV_MAX + 1];

#define ALIGN_UP(x, a) (((x) + (a)-1) & ~((a)-1))

/* --- the device tree --------------------------------------------------------------- */

static uint32_t be32(const volatile uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/*
 * Map the tree in slot DEVMGR_H_FDT: one page for the header's
 * totalsize, then the whole of it (the object is that, rounded up to
 * pages; more is -KEEL_ERANGE). The blob, or NULL (said why).
 */
static const void *map_fdt(size_t *size)
{
	long va = keel_mmap(DEVMGR_H_FDT, 0, PAGE_SIZE, KEEL_PROT_READ);
	uint32_t total;

	if (va < 0) {
		printf("devmgr: no device tree in slot %d (%s): start me with grants devices,fdt\n",
		       DEVMGR_H_FDT, keel_strerror(va));
		return NULL;
	}
	total = be32((const uint8_t *)va + FDT_HDR_TOTALSIZE);
	keel_munmap((void *)va, PAGE_SIZE);
	if (total < FDT_V17_HDR_SIZE) {
		printf("devmgr: device tree: totalsize %lu is too small for a tree\n",
		       (unsigned long)total);
		return NULL;
	}
	va = keel_mmap(DEVMGR_H_FDT, 0, ALIGN_UP((size_t)total, PAGE_SIZE), KEEL_PROT_READ);
	if (va < 0) {
		printf("devmgr: device tree: mapping its %lu bytes: %s\n", (unsigned long)total,
		       keel_strerror(va));
		return NULL;
	}
	*size = total;
	return (const void *)va;
}

/* --- probing and starting ----------------------------------------------------------- */

/*
 * Read a virtio-mmio window's magic and DeviceID through a handle of
 * our own, given back at once. 0, or -KEEL_E* (the step said).
 */
static long virtio_probe(const struct devtree_dev *d, uint32_t *magic, uint32_t *id)
{
	uint64_t off = d->pa & (PAGE_SIZE - 1);
	size_t map = ALIGN_UP((size_t)(off + d->size), PAGE_SIZE);
	long h, va;

	if (d->size < VIRTIO_MMIO_PROBE_SIZE)
		return -KEEL_ERANGE;
	h = keel_mmio_create(DEVMGR_H_CONTROL, d->pa, d->size);
	if (h < 0)
		return h;
	va = keel_mmap(h, 0, map, KEEL_PROT_READ);
	if (va >= 0) {
		const volatile uint32_t *regs = (const volatile uint32_t *)(va + off);

		/* virtio 1.2, 4.2.2: the registers are little-endian, as RISC-V is. */
		*magic = regs[VIRTIO_MMIO_MAGIC_VALUE / 4];
		*id = regs[VIRTIO_MMIO_DEVICE_ID / 4];
		keel_munmap((void *)va, map);
	}
	keel_handle_close(h);
	return va < 0 ? va : 0;
}

/*
 * The drivers' environment: ours, less KEEL_CONSOLE (a UART driver must
 * not print through the console server that prints through it).
 */
static void make_driver_env(void)
{
	int n = 0;

	for (char **e = environ; e && *e && n < DEVMGR_ENV_MAX; e++)
		if (strncmp(*e, DEVMGR_CONSOLE_ENV, sizeof(DEVMGR_CONSOLE_ENV) - 1))
			driver_env[n++] = *e;
	driver_env[n] = NULL;
}

static void close_all(const long *h, unsigned long n)
{
	for (unsigned long i = 0; i < n; i++)
		if (h[i] >= 0)
			keel_handle_close(h[i]);
}

/*
 * The interrupt's handles into @h (notification, interrupt): 0, or the
 * error, with nothing left open.
 */
static long make_irq(const struct devtree_dev *d, long h[2])
{
	long notif = keel_notif_create();

	h[0] = h[1] = -1;
	if (notif < 0)
		return notif;
	/* The driver waits on it; the interrupt object keeps its own signal reference. */
	h[0] = keel_handle_dup(notif, KEEL_R_WAIT | KEEL_R_DUPLICATE | KEEL_R_TRANSFER);
	h[1] = keel_irq_create(DEVMGR_H_CONTROL, (unsigned int)d->irq, notif, DEVMGR_IRQ_BIT);
	keel_handle_close(notif);
	if (h[0] < 0 || h[1] < 0) {
		long err = h[0] < 0 ? h[0] : h[1];

		close_all(h, 2);
		h[0] = h[1] = -1;
		return err;
	}
	return 0;
}

/*
 * Spawn @v's server with fresh handles (slot 0 our endpoint, then
 * DRV_H_MMIO, DRV_H_IRQ_NOTIF, DRV_H_IRQ); its pid, or -KEEL_E* (said).
 * An interrupt that cannot be had is left out: the driver then polls.
 */
static long driver_spawn(struct driver *v)
{
	struct devtree_dev d = v->dev;
	char *argv[DEVTREE_ARGV_MAX], args[DEVTREE_ARGS_SIZE], path[DEVTREE_PATH_MAX + 8];
	long h[4] = { -1, -1, -1, -1 }, pid, err;
	unsigned long n = 2;

	h[0] = keel_handle_dup(ep, KEEL_R_SEND | KEEL_R_DUPLICATE | KEEL_R_TRANSFER);
	h[DRV_H_MMIO] = keel_mmio_create(DEVMGR_H_CONTROL, d.pa, d.size);
	if (h[0] < 0 || h[DRV_H_MMIO] < 0) {
		err = h[0] < 0 ? h[0] : h[DRV_H_MMIO];
		printf("devmgr: %s: %s for 0x%llx+0x%llx: %s\n", d.path,
		       h[0] < 0 ? "handle_dup" : "mmio_create", (unsigned long long)d.pa,
		       (unsigned long long)d.size, keel_strerror(err));
		close_all(h, 2);
		return err;
	}
	if (d.irq != DEVTREE_IRQ_NONE) {
		err = make_irq(&d, &h[DRV_H_IRQ_NOTIF]);
		if (err) {
			printf("devmgr: %s: irq %ld: %s; the driver polls\n", d.path, d.irq,
			       keel_strerror(err));
			d.irq = DEVTREE_IRQ_NONE;
		} else {
			n = 4;
		}
	}
	if (devtree_argv(&d, argv, args, sizeof(args)) < 0) {
		printf("devmgr: %s: arguments longer than %lu bytes\n", d.path,
		       (unsigned long)sizeof(args));
		close_all(h, n);
		return -KEEL_ERANGE;
	}
	snprintf(path, sizeof(path), "/sbin/%s", d.drv->server);
	pid = keel_spawn_h(path, argv, driver_env, h, n);
	close_all(h, n); /* the child has its own copies */
	if (pid < 0)
		printf("devmgr: %s: cannot start %s: %s\n", d.path, path, keel_strerror(pid));
	return pid;
}

static long driver_start(struct driver *v)
{
	long pid = driver_spawn(v);

	v->pid = pid < 0 ? -1 : pid;
	v->state = pid < 0 ? DRV_DOWN : DRV_STARTING;
	return pid;
}

/* A virtio-mmio slot: a disk to start virtio-blk for (true), or not (said, or counted). */
static bool virtio_wanted(const struct devtree_dev *d, int *empty)
{
	uint32_t magic = 0, id = 0;
	long err = virtio_probe(d, &magic, &id);

	if (err) {
		printf("devmgr: %s: cannot probe the virtio-mmio window: %s\n", d->path,
		       keel_strerror(err));
		return false;
	}
	if (magic != VIRTIO_MAGIC) {
		printf("devmgr: %s: no virtio device (magic 0x%lx)\n", d->path,
		       (unsigned long)magic);
		return false;
	}
	if (id == VIRTIO_ID_NONE) {
		(*empty)++;
		return false;
	}
	if (id != VIRTIO_ID_BLOCK) {
		printf("devmgr: %s: virtio device type %lu: no driver\n", d->path,
		       (unsigned long)id);
		return false;
	}
	return true;
}

static const char *plural(int n)
{
	return n == 1 ? "" : "s";
}

/* Walk the tree and start a driver for each device that has one. */
static void start_drivers(void)
{
	struct devtree_dev d;
	int devices = 0, started = 0, empty = 0;

	while (devtree_next(&tree, &d)) {
		struct driver *v;

		if (!d.drv)
			continue;
		if (d.skip != DEVTREE_OK) {
			printf("devmgr: %s: %s: %s; not started\n", d.path, d.drv->compatible,
			       devtree_skip_str(d.skip));
			devices++;
			continue;
		}
		if (!strcmp(d.drv->compatible, "virtio,mmio") && !virtio_wanted(&d, &empty))
			continue;
		devices++;
		if (ndrivers == DEVMGR_MAX_DRIVERS) {
			printf("devmgr: %s: more than %d drivers; not started\n", d.path,
			       DEVMGR_MAX_DRIVERS);
			continue;
		}
		v = &drivers[ndrivers];
		v->dev = d;
		if (driver_start(v) < 0)
			continue;
		ndrivers++;
		started++;
		printf("devmgr: %s: %s -> %s (pid %ld)\n", d.path, d.drv->compatible, d.drv->server,
		       v->pid);
	}
	printf("devmgr: %d driver%s started for %d device%s; %d empty virtio slot%s\n", started,
	       plural(started), devices, plural(devices), empty, plural(empty));
}

/* --- the endpoint ------------------------------------------------------------------ */

static struct driver *driver_of_pid(long pid)
{
	for (int i = 0; i < ndrivers; i++)
		if (pid > 0 && drivers[i].pid == pid)
			return &drivers[i];
	return NULL;
}

/* Ask init to register @w (a packed name) for @handle; 0 or -KEEL_E*. */
static long register_with_init(const unsigned long w[4], long handle)
{
	struct keel_msg m = { .label = PROTO_REGISTER, .handle = handle }, r;
	long err;

	memcpy(m.w, w, sizeof(m.w));
	err = keel_ipc_call(PROTO_H_PARENT, &m, &r);
	if (!err && (long)r.label < 0)
		err = (long)r.label;
	if (!err && r.handle >= 0)
		keel_handle_close(r.handle);
	return err;
}

/*
 * PROTO_READY from a driver: its name (and, for the console UART, the
 * alias) go to init with its endpoint handle. The reply's label.
 */
static long on_ready(long pid, const struct keel_msg *m)
{
	struct driver *v = driver_of_pid(pid);
	char name[PROTO_NAME_MAX + 1];
	unsigned long alias[4];
	long err = 0, aerr = 0;

	proto_name_unpack(m->w, name);
	if (!v) {
		printf("devmgr: ready from pid %ld, not a driver of mine; refused\n", pid);
		return -KEEL_EDENIED;
	}
	/* A message passes a copy of the handle: it can go to init twice. */
	if (name[0])
		err = register_with_init(m->w, m->handle);
	/* The driver may have taken the alias as its name already. */
	if (v->dev.console && m->handle >= 0 && strcmp(name, DEVMGR_CONSOLE_ALIAS)) {
		proto_name_pack(DEVMGR_CONSOLE_ALIAS, alias);
		aerr = register_with_init(alias, m->handle);
	}
	if (err)
		printf("devmgr: %s[%ld]: registering \"%s\" with init: %s\n", v->dev.drv->server,
		       pid, name, keel_strerror(err));
	if (aerr)
		printf("devmgr: %s[%ld]: registering \"%s\" with init: %s\n", v->dev.drv->server,
		       pid, DEVMGR_CONSOLE_ALIAS, keel_strerror(aerr));
	if (debug)
		printf("devmgr: %s[%ld] ready: \"%s\"%s\n", v->dev.drv->server, pid, name,
		       v->dev.console && !aerr && strcmp(name, DEVMGR_CONSOLE_ALIAS)
			       ? ", \"" DEVMGR_CONSOLE_ALIAS "\""
			       : "");
	v->state = DRV_UP;
	v->came_up = true;
	return err;
}

static void describe_status(int status, char *buf, size_t len)
{
	if (status == EXIT_KILLED)
		snprintf(buf, len, "killed (status 0x%x)", (unsigned int)status);
	else if (status & EXIT_FAULT_BIT)
		snprintf(buf, len, "crashed (status 0x%x)", (unsigned int)status);
	else
		snprintf(buf, len, "exited (status %d)", status);
}

/* A driver exited: restart it if it had come up, at most DEVMGR_MAX_RESTARTS times. */
static void driver_exited(struct driver *v, long pid, int status)
{
	const char *server = v->dev.drv->server, *path = v->dev.path;
	char why[40];

	describe_status(status, why, sizeof(why));
	v->pid = -1;
	v->state = DRV_DOWN;
	if (!v->came_up) {
		/* It never came up: starting it again would fail the same way. */
		printf("devmgr: %s[%ld] (%s) %s before ready\n", server, pid, path, why);
		return;
	}
	if (v->restarts == DEVMGR_MAX_RESTARTS) {
		printf("devmgr: %s[%ld] (%s) %s; restarted %d times: giving up on it\n", server,
		       pid, path, why, DEVMGR_MAX_RESTARTS);
		return;
	}
	printf("devmgr: %s[%ld] (%s) %s; restarting\n", server, pid, path, why);
	v->restarts++;
	if (driver_start(v) >= 0)
		printf("devmgr: %s: %s -> %s (pid %ld, restart %d of %d)\n", path,
		       v->dev.drv->compatible, server, v->pid, v->restarts, DEVMGR_MAX_RESTARTS);
}

/* Reap every child that exited. */
static void reap(void)
{
	int status;
	long pid;

	while ((pid = keel_wait_any(&status, KEEL_WNOHANG)) > 0) {
		struct driver *v = driver_of_pid(pid);

		if (v)
			driver_exited(v, pid, status);
	}
}

/*
 * Take one message (or the child notification) and answer it; wait at
 * most @timeout_us (< 0: as long as it takes).
 */
static void serve(long timeout_us)
{
	struct keel_msg m, r = { .handle = KEEL_HANDLE_NONE };
	long pid = timeout_us < 0 ? keel_ipc_recv(ep, &m)
				  : keel_ipc_recv_timeout(ep, &m, (uint64_t)timeout_us);

	if (pid == -KEEL_ETIMEDOUT)
		return;
	if (pid < 0) {
		printf("devmgr: receive: %s\n", keel_strerror(pid));
		keel_sleep_us(10000);
		return;
	}
	if (pid == 0 && m.label == KEEL_LABEL_NOTIFY) {
		reap();
		return;
	}
	switch (m.label) {
	case PROTO_READY:
		r.label = (unsigned long)on_ready(pid, &m);
		break;
	case PROTO_LOOKUP:
		r.label = (unsigned long)-KEEL_ENOENT; /* init serves names, not devmgr */
		break;
	default:
		r.label = (unsigned long)-KEEL_ENOSYS;
	}
	if (m.handle >= 0)
		keel_handle_close(m.handle); /* init has its own copies */
	keel_ipc_reply(&r);
}

static int starting(void)
{
	int n = 0;

	for (int i = 0; i < ndrivers; i++)
		n += drivers[i].state == DRV_STARTING;
	return n;
}

/* Until each driver is up or gone, DEVMGR_READY_US at most. */
static void wait_ready(void)
{
	uint64_t t0 = keel_time_ns() / 1000;

	while (starting()) {
		uint64_t spent = keel_time_ns() / 1000 - t0;

		if (spent >= DEVMGR_READY_US) {
			for (int i = 0; i < ndrivers; i++)
				if (drivers[i].state == DRV_STARTING)
					printf("devmgr: %s[%ld] (%s) not ready after %d ms; going "
					       "on\n",
					       drivers[i].dev.drv->server, drivers[i].pid,
					       drivers[i].dev.path, DEVMGR_READY_US / 1000);
			return;
		}
		serve((long)(DEVMGR_READY_US - spent));
	}
}

/* PROTO_READY to init, registering "devmgr" (init wants a handle with a name). */
static void tell_init_ready(void)
{
	struct keel_msg m = { .label = PROTO_READY }, r;
	long err;

	proto_name_pack("devmgr", m.w);
	m.handle = keel_handle_dup(ep, KEEL_R_SEND | KEEL_R_DUPLICATE | KEEL_R_TRANSFER);
	err = m.handle < 0 ? m.handle : keel_ipc_call(PROTO_H_PARENT, &m, &r);
	if (!err && (long)r.label < 0)
		err = (long)r.label;
	if (m.handle >= 0)
		keel_handle_close(m.handle);
	if (err)
		printf("devmgr: reporting ready to init: %s\n", keel_strerror(err));
}

/* Our endpoint, with child exits arriving on it as notifications; 0 or -KEEL_E*. */
static long make_endpoint(void)
{
	long notif, err;

	ep = keel_ep_create();
	if (ep < 0)
		return ep;
	notif = keel_notif_create();
	if (notif < 0)
		return notif;
	err = keel_ep_bind(ep, notif);
	return err ? err : keel_child_notif(notif, DEVMGR_CHILD_EXITED);
}

int main(int argc, char **argv)
{
	char why[128];
	size_t size = 0;
	const void *blob = map_fdt(&size);
	long err;

	(void)argc, (void)argv;
	if (!blob)
		return 1;
	if (devtree_init(&tree, blob, size, why, sizeof(why))) {
		printf("devmgr: device tree: %s\n", why);
		return 1;
	}
	err = make_endpoint();
	if (err) {
		printf("devmgr: no endpoint for the drivers: %s\n", keel_strerror(err));
		return 1;
	}
	debug = getenv("initcall_debug") != NULL;
	make_driver_env();
	start_drivers();
	wait_ready();
	tell_init_ready();
	for (;;)
		serve(-1);
}

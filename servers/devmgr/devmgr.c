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
 *  3. asks init to start each one (PROTO_SPAWN: the driver's argv, whose
 *     reg= and irq= init turns into the handles of the driver start
 *     convention, servers/lib/proto.h), so init is the one supervisor:
 *     it waits for the drivers as part of devmgr's level, and restarts
 *     them (docs/servers.md, "Restarts");
 *  4. reports itself ready to init (PROTO_READY "devmgr"), and serves its
 *     endpoint for good (PROTO_LOOKUP: -KEEL_ENOENT; names are init's).
 *
 * One thread, no locks. The lines it prints are an interface (tests/devmgr):
 *   devmgr: <path>: <compatible> -> <server> (pid <n>)
 *   devmgr: <n> driver(s) started for <m> device(s); <k> empty virtio slot(s)
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
#include "serve.h"

/* The handles init's grants "devices,fdt" put after PROTO_H_PARENT (initrd/init.c). */
#define DEVMGR_H_CONTROL 1
#define DEVMGR_H_FDT	 2

#define DEVMGR_MAX_DRIVERS 32
#define DEVMGR_SPAWN_MAX   512 /* PROTO_SPAWN's strings (proto.h) */

#define PAGE_SIZE	  4096UL
#define FDT_HDR_TOTALSIZE 4 /* DTSpec 5.2: big-endian u32 at byte 4 */
#define FDT_V17_HDR_SIZE  40

/* virtio 1.2, 4.2.2: the MMIO device's first registers; 5: device IDs. */
#define VIRTIO_MMIO_MAGIC_VALUE 0x000
#define VIRTIO_MMIO_DEVICE_ID	0x008
#define VIRTIO_MMIO_PROBE_SIZE	0x00c	    /* the bytes the probe reads */
#define VIRTIO_MAGIC		0x74726976u /* "virt", little-endian */
#define VIRTIO_ID_NONE		0	    /* an empty slot */
#define VIRTIO_ID_BLOCK		2

static struct devtree tree; /* large: the core's hart table */
static int ndrivers;

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
 * Ask init to start @d's server (PROTO_SPAWN): its argv goes in a memory
 * object, NUL-separated, binary first; init makes the device handles
 * from its reg= and irq=. The driver's pid, or -KEEL_E* (said).
 */
static long driver_spawn(const struct devtree_dev *d)
{
	char *argv[DEVTREE_ARGV_MAX], args[DEVTREE_ARGS_SIZE], path[DEVTREE_PATH_MAX + 8];
	struct keel_msg m = { .label = PROTO_SPAWN }, r = { 0 };
	size_t len = 0;
	long mem, va, err;

	if (devtree_argv(d, argv, args, sizeof(args)) < 0) {
		printf("devmgr: %s: arguments longer than %lu bytes\n", d->path,
		       (unsigned long)sizeof(args));
		return -KEEL_ERANGE;
	}
	snprintf(path, sizeof(path), "/sbin/%s", d->drv->server);
	argv[0] = path;
	mem = keel_mem_create(DEVMGR_SPAWN_MAX);
	va = mem < 0 ? mem : keel_mmap(mem, 0, DEVMGR_SPAWN_MAX, KEEL_PROT_READ | KEEL_PROT_WRITE);
	for (int i = 0; va >= 0 && argv[i]; i++) {
		size_t n = strlen(argv[i]) + 1;

		if (len + n > DEVMGR_SPAWN_MAX) {
			va = -KEEL_ERANGE;
			break;
		}
		memcpy((char *)va + len, argv[i], n);
		len += n;
	}
	m.handle = mem;
	m.w[0] = len;
	err = va < 0 ? va : keel_ipc_call(PROTO_H_PARENT, &m, &r);
	if (!err && (long)r.label < 0)
		err = (long)r.label;
	if (va >= 0)
		keel_munmap((void *)va, DEVMGR_SPAWN_MAX);
	if (mem >= 0)
		keel_handle_close(mem);
	if (err) {
		printf("devmgr: %s: cannot start %s: %s\n", d->path, path, keel_strerror(err));
		return err;
	}
	return (long)r.w[0];
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
		long pid;

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
		pid = driver_spawn(&d);
		if (pid < 0)
			continue;
		ndrivers++;
		started++;
		printf("devmgr: %s: %s -> %s (pid %ld)\n", d.path, d.drv->compatible, d.drv->server,
		       pid);
	}
	printf("devmgr: %d driver%s started for %d device%s; %d empty virtio slot%s\n", started,
	       plural(started), devices, plural(devices), empty, plural(empty));
}

/* --- the endpoint ------------------------------------------------------------------ */

static long on_lookup(struct keel_req *q)
{
	(void)q;
	return -KEEL_ENOENT; /* init serves names, not devmgr */
}

static long on_ready(struct keel_req *q)
{
	(void)q;
	return -KEEL_EDENIED; /* drivers report ready to init, which started them */
}

static const struct keel_op ops[] = {
	{ PROTO_LOOKUP, on_lookup },
	{ PROTO_READY, on_ready },
};

static struct keel_server srv = { .name = "devmgr", .ops = ops, .nops = KEEL_OPS_N(ops) };

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
	err = keel_serve_init(&srv);
	if (err) {
		printf("devmgr: no endpoint: %s\n", keel_strerror(err));
		return 1;
	}
	start_drivers();
	keel_ready_say(srv.ep, "devmgr");
	keel_serve(&srv);
}

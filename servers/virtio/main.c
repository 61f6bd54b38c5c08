/*
 * main.c - virtio-blk, the block driver server for a virtio-mmio disk.
 *
 * Started by devmgr (or init) as servers/lib/proto.h says:
 *   virtio-blk <node path> reg=<pa>,<size> irq=<n> [name=<name>]
 * with slot 1 the register window, 2 the interrupt's notification, 3 the
 * interrupt. It brings the device up (virtio_blk.c), registers its name
 * ("vda" unless name= says otherwise) with PROTO_READY, and serves the
 * BLK_* protocol: one request at a time, each client's data through the
 * 64 KiB memory object it shared at BLK_CONNECT (kept in the table of
 * servers/lib/clients.c).
 *
 * An empty virtio-mmio slot (DeviceID 0) or another kind of device is not
 * this driver's: it says so in one line and exits 0.
 *
 * Waiting for the device: the interrupt's notification is bound to a
 * private endpoint, so a receive with a timeout on it is a wait for the
 * interrupt that gives up; without an interrupt (irq=-1, or the bind
 * refused) the driver polls the used ring.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clients.h"
#include "keel.h"
#include "grants.h"
#include "proto.h"
#include "serve.h"
#include "virtio_blk.h"

#define PAGE_SIZE	  4096
#define VBLK_DEFAULT_NAME "vda"
#define VBLK_MAX_CLIENTS  8
#define VBLK_POLL_US	  50 /* the used-ring poll interval without an interrupt */
#define MIB		  (1024UL * 1024)

/* BLK_INFO's reply w2 (beyond proto.h's w0/w1): bit 0 = read-only. */
#define VBLK_INFO_RO 1

struct vblk_irq {
	long ep;       /* private endpoint the IRQ notification is bound to, or -1 */
	bool have_irq; /* waits are interrupts: keel_irq_ack slot 3 after each */
};

static struct virtio_blk vblk;
static struct vblk_irq vblk_irq = { .ep = -1 };
static struct keel_client vblk_client_slots[VBLK_MAX_CLIENTS];
static struct keel_clients vblk_clients = { vblk_client_slots, VBLK_MAX_CLIENTS, BLK_SHARED_SIZE };
static const char *vblk_node = "?";

/* --- the environment virtio_blk.c runs in ----------------------------------- */

static int vblk_wait_irq(void *ctx, uint64_t us)
{
	struct vblk_irq *irq = ctx;
	struct keel_msg m;
	long r;

	if (irq->ep < 0) {
		keel_sleep_us(us < VBLK_POLL_US ? us : VBLK_POLL_US);
		return 0;
	}
	r = keel_ipc_recv_timeout(irq->ep, &m, us);
	if (r == -KEEL_ETIMEDOUT)
		return -KEEL_ETIMEDOUT;
	if (r < 0)
		return (int)r;
	/* Nobody else holds a send handle: anything but a notification is impossible. */
	return 0;
}

static void vblk_irq_done(void *ctx)
{
	struct vblk_irq *irq = ctx;

	if (irq->have_irq)
		keel_irq_ack(DRV_H_IRQ);
}

static uint64_t vblk_now_us(void *ctx)
{
	(void)ctx;
	return keel_time_ns() / 1000;
}

/* --- start-up ------------------------------------------------------------------ */

struct vblk_args {
	const char *node;
	uint64_t reg_pa, reg_size;
	long irq; /* -1: none */
	const char *name;
};

static int vblk_parse_args(int argc, char **argv, struct vblk_args *a)
{
	struct keel_grant g;

	a->node = argc > 1 ? argv[1] : NULL;
	a->name = VBLK_DEFAULT_NAME;
	/* reg= and irq=: the runtime's one parser (grants.c), as init reads them. */
	if (keel_grant_parse(argc, argv, &g))
		return -KEEL_EINVAL;
	a->reg_pa = g.pa;
	a->reg_size = g.size;
	a->irq = g.irq;
	for (int i = 2; i < argc; i++)
		if (!strncmp(argv[i], "name=", 5))
			a->name = argv[i] + 5;
	/* Other key=value properties (and "console") are not ours: ignored. */
	if (!a->node || !*a->name || strlen(a->name) > PROTO_NAME_MAX)
		return -KEEL_EINVAL;
	return 0;
}

/* The register window: map whole pages, point at the registers inside. */
static volatile uint32_t *vblk_map_regs(const struct vblk_args *a)
{
	uint64_t off = a->reg_pa & (PAGE_SIZE - 1);
	uint64_t size = (off + a->reg_size + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1);
	long va;

	if (a->reg_size < VIRTIO_MMIO_CONFIG + VIRTIO_BLK_CFG_END) {
		printf("virtio-blk: %s: register window of %lu bytes is too small\n", a->node,
		       (unsigned long)a->reg_size);
		return NULL;
	}
	va = keel_mmap(DRV_H_MMIO, 0, size, KEEL_PROT_READ | KEEL_PROT_WRITE);
	if (va < 0) {
		printf("virtio-blk: %s: mmap of the registers at 0x%lx: %s\n", a->node,
		       (unsigned long)a->reg_pa, keel_strerror(va));
		return NULL;
	}
	return (volatile uint32_t *)(va + off);
}

/* The DMA object: zeroed, contiguous, mapped, and its bus address. */
static void *vblk_map_dma(uint64_t *pa)
{
	long h = keel_mem_create(VIRTIO_BLK_DMA_SIZE);
	long va, phys;

	if (h < 0) {
		printf("virtio-blk: %s: mem_create(%d): %s\n", vblk_node, VIRTIO_BLK_DMA_SIZE,
		       keel_strerror(h));
		return NULL;
	}
	va = keel_mmap(h, 0, VIRTIO_BLK_DMA_SIZE, KEEL_PROT_READ | KEEL_PROT_WRITE);
	phys = keel_mem_phys(h);
	if (va < 0 || phys < 0) {
		printf("virtio-blk: %s: DMA memory: mmap %s, mem_phys %s\n", vblk_node,
		       keel_strerror(va < 0 ? va : 0), keel_strerror(phys < 0 ? phys : 0));
		return NULL;
	}
	*pa = (uint64_t)phys;
	return (void *)va;
}

/* Interrupt wake-ups through a private endpoint, or polling (said so). */
static void vblk_irq_init(long irq)
{
	long ep, err;

	if (irq < 0) {
		printf("virtio-blk: %s: no interrupt; polling\n", vblk_node);
		return;
	}
	ep = keel_ep_create();
	err = ep < 0 ? ep : keel_ep_bind(ep, DRV_H_IRQ_NOTIF);
	if (err < 0) {
		printf("virtio-blk: %s: irq %ld: cannot wait for it (%s); polling\n", vblk_node,
		       irq, keel_strerror(err));
		if (ep >= 0)
			keel_handle_close(ep);
		return;
	}
	vblk_irq.ep = ep;
	vblk_irq.have_irq = true;
}

static void vblk_print_ready(const struct vblk_args *a)
{
	char feats[64];
	uint64_t bytes = vblk.capacity * VIRTIO_BLK_SECTOR_SIZE;

	virtio_blk_features_str(&vblk, feats, sizeof(feats));
	printf("virtio-blk: %s: %lu sectors (%lu MiB), irq %ld, features %s%s\n", a->node,
	       (unsigned long)vblk.capacity, (unsigned long)(bytes / MIB), a->irq, feats,
	       virtio_blk_read_only(&vblk) ? ", read-only" : "");
}

/* --- clients ------------------------------------------------------------------ */

/* BLK_CONNECT: map the client's memory; a second connect replaces the first. */
static long vblk_connect(long pid, long mem)
{
	long err;

	if (mem < 0)
		return -KEEL_EINVAL;
	return keel_client_connect(&vblk_clients, pid, mem, &err) ? 0 : err;
}

/* BLK_READ / BLK_WRITE: w0 first sector, w1 sectors, w2 offset in the shared memory. */
static long vblk_rw(long pid, const struct keel_msg *m, bool write)
{
	struct keel_client *c = keel_client_find(&vblk_clients, pid);
	unsigned long sector = m->w[0], count = m->w[1], off = m->w[2];

	if (!c)
		return -KEEL_EINVAL; /* no BLK_CONNECT: no memory to use */
	if (off > BLK_SHARED_SIZE || count > (BLK_SHARED_SIZE - off) / VIRTIO_BLK_SECTOR_SIZE)
		return -KEEL_EINVAL;
	if (sector > vblk.capacity || count > vblk.capacity - sector)
		return -KEEL_ERANGE;
	if (write)
		return virtio_blk_write(&vblk, sector, (uint32_t)count, c->page + off);
	return virtio_blk_read(&vblk, sector, (uint32_t)count, c->page + off);
}

static long vblk_on_connect(struct keel_req *q)
{
	long err = vblk_connect(q->pid, q->m.handle);

	q->m.handle = KEEL_HANDLE_NONE; /* the table keeps it, or closed it */
	return err;
}

static long vblk_on_info(struct keel_req *q)
{
	q->r.w[0] = vblk.capacity;
	q->r.w[1] = VIRTIO_BLK_SECTOR_SIZE;
	q->r.w[2] = virtio_blk_read_only(&vblk) ? VBLK_INFO_RO : 0;
	return 0;
}

static long vblk_on_rw(struct keel_req *q)
{
	long r = vblk_rw(q->pid, &q->m, q->m.label == BLK_WRITE);

	if (r == 0)
		q->r.w[0] = q->m.w[1];
	return r;
}

static long vblk_on_flush(struct keel_req *q)
{
	(void)q;
	return virtio_blk_flush(&vblk);
}

static const struct keel_op vblk_ops[] = {
	{ BLK_CONNECT, vblk_on_connect }, { BLK_INFO, vblk_on_info },	{ BLK_READ, vblk_on_rw },
	{ BLK_WRITE, vblk_on_rw },	  { BLK_FLUSH, vblk_on_flush },
};

static struct keel_server vblk_srv = {
	.name = "virtio-blk",
	.ops = vblk_ops,
	.nops = KEEL_OPS_N(vblk_ops),
};

int main(int argc, char **argv)
{
	struct vblk_args a;
	struct virtio_blk_env env = {
		.wait_irq = vblk_wait_irq,
		.irq_done = vblk_irq_done,
		.now_us = vblk_now_us,
		.ctx = &vblk_irq,
	};
	volatile uint32_t *regs;
	void *dma;
	uint64_t dma_pa;
	long ep;
	int err;

	if (vblk_parse_args(argc, argv, &a)) {
		printf("usage: virtio-blk <node path> reg=<pa>,<size> [irq=<n>] [name=<name>]\n");
		return 2;
	}
	vblk_node = a.node;
	regs = vblk_map_regs(&a);
	dma = regs ? vblk_map_dma(&dma_pa) : NULL;
	if (!dma)
		return 1;
	err = virtio_blk_init(&vblk, regs, &env, dma, dma_pa, a.node);
	/*
	 * An empty slot, not a disk, or a disk this driver cannot drive
	 * (legacy virtio-mmio, features it lacks; said above): a clean exit,
	 * which init does not restart, since a restart would find the same.
	 */
	if (err == -KEEL_ENOENT || err == -KEEL_ENOTSUP)
		return 0;
	if (err)
		return 1;
	vblk_irq_init(a.irq);
	vblk_print_ready(&a);

	ep = keel_serve_init(&vblk_srv);
	if (ep < 0) {
		printf("virtio-blk: %s: ep_create: %s\n", vblk_node, keel_strerror(ep));
		return 1;
	}
	ep = keel_ready(vblk_srv.ep, a.name);
	if (ep < 0) {
		printf("virtio-blk: %s: registering %s: %s\n", vblk_node, a.name,
		       keel_strerror(ep));
		return 1;
	}
	keel_serve(&vblk_srv);
}

/*
 * virtio_blk.c - the virtio block device: bring-up (§3.1.1 with the
 * virtio-mmio steps of §4.2.3) and requests (§5.2.6).
 *
 * One request is in flight at a time, always as the chain
 * 0 (header, device-readable) -> 1 (data) -> 2 (status, device-writable);
 * a flush skips descriptor 1. Data goes through the bounce buffer in the
 * DMA object, so a client's memory is never handed to the device.
 *
 * A request that does not complete within VIRTIO_BLK_TIMEOUT_US fails
 * with -KEEL_EIO, and the device is marked broken: it still owns the
 * chain and the bounce buffer, so every later request fails at once
 * rather than race a late completion.
 *
 * No locking: one thread (the server loop) owns a struct virtio_blk.
 */
#include <stdio.h>
#include <string.h>

#include "keel/syscall.h"
#include "virtio_blk.h"

/* The features this driver handles; the device's others are declined. */
#define VIRTIO_BLK_DRIVER_FEATURES                                                                 \
	(1ULL << VIRTIO_F_VERSION_1 | 1ULL << VIRTIO_BLK_F_SIZE_MAX | 1ULL << VIRTIO_BLK_F_RO |    \
	 1ULL << VIRTIO_BLK_F_BLK_SIZE | 1ULL << VIRTIO_BLK_F_FLUSH)

/* The fixed chain: header, data, status. */
#define VIRTIO_BLK_D_HDR    0
#define VIRTIO_BLK_D_DATA   1
#define VIRTIO_BLK_D_STATUS 2
#define VIRTIO_BLK_CHAIN    3 /* descriptors a request needs */

/* A status byte the device never writes: still there after completion = no status. */
#define VIRTIO_BLK_S_NONE 0xff

static bool virtio_blk_has(const struct virtio_blk *blk, unsigned int bit)
{
	return blk->features >> bit & 1;
}

bool virtio_blk_read_only(const struct virtio_blk *blk)
{
	return virtio_blk_has(blk, VIRTIO_BLK_F_RO);
}

static uint64_t virtio_blk_pa(const struct virtio_blk *blk, const volatile void *p)
{
	return blk->dma_pa + (uint64_t)((const volatile uint8_t *)p - blk->dma);
}

/*
 * MagicValue, DeviceID, Version: is there a modern block device here?
 * An empty slot or another device is -KEEL_ENOENT whatever its version,
 * so only a disk behind the legacy interface names the QEMU option.
 */
static int virtio_blk_probe(struct virtio_blk *blk)
{
	uint32_t version, id;
	enum virtio_mmio_probe_result r = virtio_mmio_probe(&blk->vm, &version, &id);

	if (r == VIRTIO_MMIO_BAD_MAGIC) {
		printf("virtio-blk: %s: no virtio-mmio magic (read 0x%08x)\n", blk->tag,
		       (unsigned int)virtio_mmio_read(&blk->vm, VIRTIO_MMIO_MAGIC_VALUE));
		return -KEEL_EINVAL;
	}
	if (id == VIRTIO_ID_NONE) {
		printf("virtio-blk: %s: no device\n", blk->tag);
		return -KEEL_ENOENT;
	}
	if (id != VIRTIO_ID_BLOCK) {
		printf("virtio-blk: %s: device id %u is not a block device\n", blk->tag,
		       (unsigned int)id);
		return -KEEL_ENOENT;
	}
	if (r == VIRTIO_MMIO_LEGACY) {
		printf("virtio-blk: %s: legacy virtio-mmio (Version 1) is not supported; "
		       "give QEMU -global virtio-mmio.force-legacy=false\n",
		       blk->tag);
		return -KEEL_ENOTSUP;
	}
	if (r == VIRTIO_MMIO_BAD_VERSION) {
		printf("virtio-blk: %s: unknown virtio-mmio Version %u\n", blk->tag,
		       (unsigned int)version);
		return -KEEL_ENOTSUP;
	}
	return 0;
}

/* §3.1.1 steps 4-6: take VERSION_1 and what we handle; the device must agree. */
static int virtio_blk_negotiate(struct virtio_blk *blk)
{
	uint64_t offered = virtio_mmio_device_features(&blk->vm);

	if (!(offered >> VIRTIO_F_VERSION_1 & 1)) {
		printf("virtio-blk: %s: device does not offer VIRTIO_F_VERSION_1 "
		       "(features 0x%lx)\n",
		       blk->tag, (unsigned long)offered);
		return -KEEL_ENOTSUP;
	}
	blk->features = offered & VIRTIO_BLK_DRIVER_FEATURES;
	if (virtio_mmio_set_features(&blk->vm, blk->features)) {
		printf("virtio-blk: %s: device refused features 0x%lx (FEATURES_OK not set)\n",
		       blk->tag, (unsigned long)blk->features);
		return -KEEL_ENOTSUP;
	}
	return 0;
}

/* The largest power of two <= @n (§2.7: a split queue's size is a power of 2). */
static uint16_t virtio_blk_pow2_floor(uint32_t n)
{
	uint16_t p = 1;

	while ((uint32_t)p * 2 <= n && p < VIRTIO_BLK_QUEUE_MAX)
		p *= 2;
	return p;
}

/* §4.2.3.2: queue 0 in the DMA object. */
static int virtio_blk_queue_init(struct virtio_blk *blk)
{
	uint32_t max = virtio_mmio_queue_num_max(&blk->vm, 0);
	int err;

	if (max < VIRTIO_BLK_CHAIN) {
		printf("virtio-blk: %s: queue 0 has %u entries, a request needs %d\n", blk->tag,
		       (unsigned int)max, VIRTIO_BLK_CHAIN);
		return -KEEL_ENOTSUP;
	}
	blk->qsize = virtio_blk_pow2_floor(max);
	blk->desc = (volatile struct virtq_desc *)(blk->dma + VIRTIO_BLK_DMA_DESC);
	blk->avail = (volatile struct virtq_avail *)(blk->dma + VIRTIO_BLK_DMA_AVAIL);
	blk->used = (volatile struct virtq_used *)(blk->dma + VIRTIO_BLK_DMA_USED);
	blk->hdr = (struct virtio_blk_req_hdr *)(blk->dma + VIRTIO_BLK_DMA_HDR);
	blk->status = blk->dma + VIRTIO_BLK_DMA_STATUS;
	blk->bounce = blk->dma + VIRTIO_BLK_DMA_DATA;
	/* The object comes zeroed; clear the rings anyway in case of a second init. */
	memset(blk->dma, 0, VIRTIO_BLK_DMA_DATA);
	blk->avail_idx = 0;
	blk->used_idx = 0;
	err = virtio_mmio_queue_setup(&blk->vm, 0, blk->qsize, virtio_blk_pa(blk, blk->desc),
				      virtio_blk_pa(blk, blk->avail),
				      virtio_blk_pa(blk, blk->used));
	if (err)
		printf("virtio-blk: %s: queue 0 setup (%u entries): error %d\n", blk->tag,
		       (unsigned int)blk->qsize, err);
	return err;
}

/* §3.1.1 step 7: capacity, and what bounds a request. */
static void virtio_blk_read_config(struct virtio_blk *blk)
{
	uint32_t size_max;

	blk->capacity = virtio_mmio_config64(&blk->vm, VIRTIO_BLK_CFG_CAPACITY);
	blk->blk_size = VIRTIO_BLK_SECTOR_SIZE;
	if (virtio_blk_has(blk, VIRTIO_BLK_F_BLK_SIZE))
		blk->blk_size = virtio_mmio_config32(&blk->vm, VIRTIO_BLK_CFG_BLK_SIZE);
	blk->max_sectors = VIRTIO_BLK_BOUNCE_SIZE / VIRTIO_BLK_SECTOR_SIZE;
	if (virtio_blk_has(blk, VIRTIO_BLK_F_SIZE_MAX)) {
		/* One data descriptor per request, so it may be no longer than size_max. */
		size_max = virtio_mmio_config32(&blk->vm, VIRTIO_BLK_CFG_SIZE_MAX);
		if (size_max / VIRTIO_BLK_SECTOR_SIZE < blk->max_sectors)
			blk->max_sectors = size_max / VIRTIO_BLK_SECTOR_SIZE;
		if (blk->max_sectors == 0)
			blk->max_sectors = 1;
	}
}

int virtio_blk_init(struct virtio_blk *blk, volatile uint32_t *regs,
		    const struct virtio_blk_env *env, void *dma, uint64_t dma_pa, const char *tag)
{
	int err;

	memset(blk, 0, sizeof(*blk));
	blk->vm.base = regs;
	blk->env = *env;
	blk->tag = tag;
	blk->dma = dma;
	blk->dma_pa = dma_pa;

	err = virtio_blk_probe(blk);
	if (err)
		return err;
	err = virtio_mmio_begin(&blk->vm); /* reset, ACKNOWLEDGE, DRIVER */
	if (err) {
		printf("virtio-blk: %s: device did not reset (status 0x%x)\n", blk->tag,
		       (unsigned int)virtio_mmio_status(&blk->vm));
		return err;
	}
	err = virtio_blk_negotiate(blk); /* features, FEATURES_OK */
	if (!err)
		err = virtio_blk_queue_init(blk);
	if (err)
		goto fail;
	virtio_blk_read_config(blk);
	err = virtio_mmio_driver_ok(&blk->vm);
	if (err) {
		printf("virtio-blk: %s: device needs a reset after DRIVER_OK\n", blk->tag);
		goto fail;
	}
	return 0;
fail:
	virtio_mmio_fail(&blk->vm);
	return err;
}

/* One wake-up: acknowledge at the device first, so the line is low before it is unmasked. */
static void virtio_blk_irq(struct virtio_blk *blk)
{
	uint32_t isr = virtio_mmio_irq_ack(&blk->vm);

	if (isr & VIRTIO_MMIO_INT_CONFIG &&
	    virtio_mmio_status(&blk->vm) & VIRTIO_STATUS_DEVICE_NEEDS_RESET)
		printf("virtio-blk: %s: device needs a reset\n", blk->tag);
	blk->env.irq_done(blk->env.ctx);
}

/* Until the device has used our chain, or the timeout: 0 or -KEEL_EIO. */
static int virtio_blk_wait(struct virtio_blk *blk)
{
	uint64_t start = blk->env.now_us(blk->env.ctx);
	uint64_t waited;
	int err;

	for (;;) {
		if (blk->used->idx != blk->used_idx)
			return 0;
		waited = blk->env.now_us(blk->env.ctx) - start;
		if (waited >= VIRTIO_BLK_TIMEOUT_US)
			break;
		err = blk->env.wait_irq(blk->env.ctx, VIRTIO_BLK_TIMEOUT_US - waited);
		if (err == -KEEL_ETIMEDOUT)
			continue; /* one last look at the ring, then the clock says no */
		if (err) {
			printf("virtio-blk: %s: waiting for the interrupt: error %d\n", blk->tag,
			       err);
			break;
		}
		virtio_blk_irq(blk);
	}
	printf("virtio-blk: %s: request timed out after %u ms (used idx %u, expected %u); "
	       "device disabled\n",
	       blk->tag, VIRTIO_BLK_TIMEOUT_US / 1000, (unsigned int)blk->used->idx,
	       (unsigned int)(uint16_t)(blk->used_idx + 1));
	blk->broken = true;
	return -KEEL_EIO;
}

static void virtio_blk_set_desc(struct virtio_blk *blk, unsigned int i, const volatile void *p,
				uint32_t len, uint16_t flags, uint16_t next)
{
	blk->desc[i].addr = virtio_blk_pa(blk, p);
	blk->desc[i].len = len;
	blk->desc[i].flags = flags;
	blk->desc[i].next = next;
}

static int virtio_blk_status_err(struct virtio_blk *blk, uint8_t status)
{
	switch (status) {
	case VIRTIO_BLK_S_OK:
		return 0;
	case VIRTIO_BLK_S_UNSUPP:
		printf("virtio-blk: %s: request type %u unsupported\n", blk->tag,
		       (unsigned int)blk->hdr->type);
		return -KEEL_ENOTSUP;
	case VIRTIO_BLK_S_IOERR:
		printf("virtio-blk: %s: I/O error, type %u sector %lu\n", blk->tag,
		       (unsigned int)blk->hdr->type, (unsigned long)blk->hdr->sector);
		return -KEEL_EIO;
	default:
		printf("virtio-blk: %s: bad status 0x%02x, type %u sector %lu\n", blk->tag,
		       (unsigned int)status, (unsigned int)blk->hdr->type,
		       (unsigned long)blk->hdr->sector);
		return -KEEL_EIO;
	}
}

/*
 * One request of @type on @sector with @len bytes of the bounce buffer
 * (0: no data descriptor). §2.7.13: fill the chain, publish its head in
 * the available ring, notify, wait for the used ring.
 */
static int virtio_blk_request(struct virtio_blk *blk, uint32_t type, uint64_t sector, uint32_t len)
{
	volatile struct virtq_used_elem *e;
	uint16_t head = VIRTIO_BLK_D_HDR;
	uint32_t id;
	int err;

	if (blk->broken)
		return -KEEL_EIO;
	blk->requests++;
	blk->hdr->type = type;
	blk->hdr->reserved = 0;
	blk->hdr->sector = sector;
	*blk->status = VIRTIO_BLK_S_NONE;
	if (len) {
		virtio_blk_set_desc(blk, VIRTIO_BLK_D_HDR, blk->hdr, sizeof(*blk->hdr),
				    VIRTQ_DESC_F_NEXT, VIRTIO_BLK_D_DATA);
		virtio_blk_set_desc(blk, VIRTIO_BLK_D_DATA, blk->bounce, len,
				    VIRTQ_DESC_F_NEXT |
					    (type == VIRTIO_BLK_T_IN ? VIRTQ_DESC_F_WRITE : 0),
				    VIRTIO_BLK_D_STATUS);
	} else {
		virtio_blk_set_desc(blk, VIRTIO_BLK_D_HDR, blk->hdr, sizeof(*blk->hdr),
				    VIRTQ_DESC_F_NEXT, VIRTIO_BLK_D_STATUS);
	}
	virtio_blk_set_desc(blk, VIRTIO_BLK_D_STATUS, blk->status, 1, VIRTQ_DESC_F_WRITE, 0);
	blk->avail->ring[blk->avail_idx % blk->qsize] = head;
	/* §2.7.13.3: the chain and the ring entry before the index that publishes them. */
	virtio_wmb();
	blk->avail->idx = ++blk->avail_idx;
	/* §2.7.13.4: the new index before the notify (an I/O write). */
	virtio_mb();
	virtio_mmio_notify(&blk->vm, 0);

	err = virtio_blk_wait(blk);
	if (err) {
		blk->errors++;
		return err;
	}
	/* The used index before the entry and the buffers it vouches for (§2.7.14). */
	virtio_rmb();
	e = &blk->used->ring[blk->used_idx % blk->qsize];
	id = e->id;
	blk->used_idx++;
	if (id != head) {
		printf("virtio-blk: %s: device used chain %u, only %u was in flight; "
		       "device disabled\n",
		       blk->tag, (unsigned int)id, (unsigned int)head);
		blk->broken = true;
		blk->errors++;
		return -KEEL_EIO;
	}
	err = virtio_blk_status_err(blk, *blk->status);
	if (err)
		blk->errors++;
	return err;
}

/* Is [@sector, @sector + @count) on the disk? */
static int virtio_blk_check_range(const struct virtio_blk *blk, uint64_t sector, uint32_t count)
{
	if (sector > blk->capacity || count > blk->capacity - sector)
		return -KEEL_ERANGE;
	return 0;
}

int virtio_blk_read(struct virtio_blk *blk, uint64_t sector, uint32_t count, void *buf)
{
	uint8_t *out = buf;
	uint32_t n;
	int err = virtio_blk_check_range(blk, sector, count);

	while (!err && count) {
		n = count < blk->max_sectors ? count : blk->max_sectors;
		err = virtio_blk_request(blk, VIRTIO_BLK_T_IN, sector, n * VIRTIO_BLK_SECTOR_SIZE);
		if (err)
			break;
		memcpy(out, blk->bounce, n * VIRTIO_BLK_SECTOR_SIZE);
		out += n * VIRTIO_BLK_SECTOR_SIZE;
		sector += n;
		count -= n;
	}
	return err;
}

int virtio_blk_write(struct virtio_blk *blk, uint64_t sector, uint32_t count, const void *buf)
{
	const uint8_t *in = buf;
	uint32_t n;
	int err = virtio_blk_check_range(blk, sector, count);

	if (!err && virtio_blk_read_only(blk))
		err = -KEEL_EDENIED;
	while (!err && count) {
		n = count < blk->max_sectors ? count : blk->max_sectors;
		memcpy(blk->bounce, in, n * VIRTIO_BLK_SECTOR_SIZE);
		err = virtio_blk_request(blk, VIRTIO_BLK_T_OUT, sector, n * VIRTIO_BLK_SECTOR_SIZE);
		in += n * VIRTIO_BLK_SECTOR_SIZE;
		sector += n;
		count -= n;
	}
	return err;
}

int virtio_blk_flush(struct virtio_blk *blk)
{
	/* §5.2.5: without VIRTIO_BLK_F_FLUSH the device has no write cache to flush. */
	if (!virtio_blk_has(blk, VIRTIO_BLK_F_FLUSH))
		return blk->broken ? -KEEL_EIO : 0;
	return virtio_blk_request(blk, VIRTIO_BLK_T_FLUSH, 0, 0);
}

void virtio_blk_features_str(const struct virtio_blk *blk, char *buf, size_t len)
{
	static const struct {
		unsigned int bit;
		const char *name;
	} names[] = {
		{ VIRTIO_F_VERSION_1, "VERSION_1" },
		{ VIRTIO_BLK_F_FLUSH, "FLUSH" },
		{ VIRTIO_BLK_F_RO, "RO" },
		{ VIRTIO_BLK_F_BLK_SIZE, "BLK_SIZE" },
		{ VIRTIO_BLK_F_SIZE_MAX, "SIZE_MAX" },
	};
	size_t used = 0;

	if (len)
		buf[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!virtio_blk_has(blk, names[i].bit))
			continue;
		int n = snprintf(buf + used, len - used, "%s%s", used ? " " : "", names[i].name);
		if (n < 0 || (size_t)n >= len - used)
			return;
		used += (size_t)n;
	}
}

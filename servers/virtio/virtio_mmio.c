/*
 * virtio_mmio.c - the virtio-mmio transport's steps (virtio 1.x §4.2.3):
 * probe, the status handshake of §3.1.1, feature negotiation, queue setup,
 * notify and interrupt acknowledge, config-space reads.
 *
 * Modern devices only (Version 2). Every access goes through
 * virtio_mmio_read()/virtio_mmio_write(), so this file runs the same
 * against the host model in tests/virtio/. No state of its own: the
 * caller (virtio_blk.c) owns the device and calls in from one thread.
 */
#include "virtio_mmio.h"

#include "keel/syscall.h"

/*
 * How many times to read Status back after a reset before giving up. QEMU
 * resets synchronously (the first read is 0); the bound only keeps a
 * broken device from hanging the driver.
 */
#define VIRTIO_MMIO_RESET_POLLS 100000
/* How many times to re-read a 64-bit config field that keeps changing under us. */
#define VIRTIO_MMIO_CONFIG_RETRIES 1000

enum virtio_mmio_probe_result virtio_mmio_probe(const struct virtio_mmio *vm, uint32_t *version,
						uint32_t *device_id)
{
	*version = 0;
	*device_id = VIRTIO_ID_NONE;
	if (virtio_mmio_read(vm, VIRTIO_MMIO_MAGIC_VALUE) != VIRTIO_MMIO_MAGIC)
		return VIRTIO_MMIO_BAD_MAGIC;
	/*
	 * DeviceID sits at the same offset in the legacy layout, so it is
	 * read whatever the version: QEMU's empty slots say Version 1 too
	 * unless force-legacy=false, and an empty slot is not worth a complaint.
	 */
	*device_id = virtio_mmio_read(vm, VIRTIO_MMIO_DEVICE_ID);
	*version = virtio_mmio_read(vm, VIRTIO_MMIO_VERSION);
	if (*version == VIRTIO_MMIO_VERSION_LEGACY)
		return VIRTIO_MMIO_LEGACY;
	if (*version != VIRTIO_MMIO_VERSION_MODERN)
		return VIRTIO_MMIO_BAD_VERSION;
	return VIRTIO_MMIO_OK;
}

uint32_t virtio_mmio_status(const struct virtio_mmio *vm)
{
	return virtio_mmio_read(vm, VIRTIO_MMIO_STATUS);
}

/* Status bits only ever accumulate during init (§3.1.1): OR @bit in. */
static void virtio_mmio_status_set(const struct virtio_mmio *vm, uint32_t bit)
{
	virtio_mmio_write(vm, VIRTIO_MMIO_STATUS, virtio_mmio_status(vm) | bit);
}

int virtio_mmio_begin(const struct virtio_mmio *vm)
{
	int polls = VIRTIO_MMIO_RESET_POLLS;

	/* §4.2.3.1.1 / §2.1.2: write 0 to reset, then wait to read 0 back. */
	virtio_mmio_write(vm, VIRTIO_MMIO_STATUS, 0);
	while (virtio_mmio_status(vm) != 0)
		if (--polls == 0)
			return -KEEL_ETIMEDOUT;
	virtio_mmio_status_set(vm, VIRTIO_STATUS_ACKNOWLEDGE);
	virtio_mmio_status_set(vm, VIRTIO_STATUS_DRIVER);
	return 0;
}

uint64_t virtio_mmio_device_features(const struct virtio_mmio *vm)
{
	uint64_t lo, hi;

	virtio_mmio_write(vm, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	lo = virtio_mmio_read(vm, VIRTIO_MMIO_DEVICE_FEATURES);
	virtio_mmio_write(vm, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	hi = virtio_mmio_read(vm, VIRTIO_MMIO_DEVICE_FEATURES);
	return hi << 32 | lo;
}

int virtio_mmio_set_features(const struct virtio_mmio *vm, uint64_t features)
{
	virtio_mmio_write(vm, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	virtio_mmio_write(vm, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)features);
	virtio_mmio_write(vm, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	virtio_mmio_write(vm, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(features >> 32));
	virtio_mmio_status_set(vm, VIRTIO_STATUS_FEATURES_OK);
	/* §3.1.1 step 6: the device clears FEATURES_OK if it cannot live with them. */
	if (!(virtio_mmio_status(vm) & VIRTIO_STATUS_FEATURES_OK))
		return -KEEL_ENOTSUP;
	return 0;
}

uint32_t virtio_mmio_queue_num_max(const struct virtio_mmio *vm, unsigned int q)
{
	virtio_mmio_write(vm, VIRTIO_MMIO_QUEUE_SEL, q);
	return virtio_mmio_read(vm, VIRTIO_MMIO_QUEUE_NUM_MAX);
}

int virtio_mmio_queue_setup(const struct virtio_mmio *vm, unsigned int q, uint32_t num,
			    uint64_t desc_pa, uint64_t driver_pa, uint64_t device_pa)
{
	uint32_t max;

	/* §4.2.3.2 steps 1-3: select it, check it is not in use and how big it may be. */
	virtio_mmio_write(vm, VIRTIO_MMIO_QUEUE_SEL, q);
	if (virtio_mmio_read(vm, VIRTIO_MMIO_QUEUE_READY))
		return -KEEL_EBUSY;
	max = virtio_mmio_read(vm, VIRTIO_MMIO_QUEUE_NUM_MAX);
	if (num == 0 || num > max)
		return -KEEL_EINVAL;
	/* Steps 5-7: its size and where its three parts are. */
	virtio_mmio_write(vm, VIRTIO_MMIO_QUEUE_NUM, num);
	virtio_mmio_write(vm, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)desc_pa);
	virtio_mmio_write(vm, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(desc_pa >> 32));
	virtio_mmio_write(vm, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)driver_pa);
	virtio_mmio_write(vm, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(driver_pa >> 32));
	virtio_mmio_write(vm, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)device_pa);
	virtio_mmio_write(vm, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(device_pa >> 32));
	/* The rings were zeroed by the caller; they must be visible before the device looks. */
	virtio_mb();
	/* Step 8. */
	virtio_mmio_write(vm, VIRTIO_MMIO_QUEUE_READY, 1);
	return 0;
}

int virtio_mmio_driver_ok(const struct virtio_mmio *vm)
{
	virtio_mmio_status_set(vm, VIRTIO_STATUS_DRIVER_OK);
	if (virtio_mmio_status(vm) & VIRTIO_STATUS_DEVICE_NEEDS_RESET)
		return -KEEL_EIO;
	return 0;
}

void virtio_mmio_fail(const struct virtio_mmio *vm)
{
	virtio_mmio_status_set(vm, VIRTIO_STATUS_FAILED);
}

void virtio_mmio_notify(const struct virtio_mmio *vm, unsigned int q)
{
	virtio_mmio_write(vm, VIRTIO_MMIO_QUEUE_NOTIFY, q);
}

uint32_t virtio_mmio_irq_ack(const struct virtio_mmio *vm)
{
	uint32_t isr = virtio_mmio_read(vm, VIRTIO_MMIO_INTERRUPT_STATUS);

	if (isr)
		virtio_mmio_write(vm, VIRTIO_MMIO_INTERRUPT_ACK, isr);
	return isr;
}

uint32_t virtio_mmio_config32(const struct virtio_mmio *vm, unsigned int off)
{
	return virtio_mmio_read(vm, VIRTIO_MMIO_CONFIG + off);
}

uint64_t virtio_mmio_config64(const struct virtio_mmio *vm, unsigned int off)
{
	uint32_t gen, lo, hi;
	int tries = VIRTIO_MMIO_CONFIG_RETRIES;

	/*
	 * §2.5.1 / §4.2.2: a field wider than 32 bits may change between its
	 * two reads; ConfigGeneration tells, so read until it held still
	 * (bounded: past that, the last reading is as good as any).
	 */
	do {
		gen = virtio_mmio_read(vm, VIRTIO_MMIO_CONFIG_GENERATION);
		lo = virtio_mmio_config32(vm, off);
		hi = virtio_mmio_config32(vm, off + 4);
	} while (virtio_mmio_read(vm, VIRTIO_MMIO_CONFIG_GENERATION) != gen && --tries);
	return (uint64_t)hi << 32 | lo;
}

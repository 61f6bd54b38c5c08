/*
 * virtio_mmio.h - the virtio-mmio transport, modern interface only
 * (virtio 1.x, "Virtio Over MMIO" §4.2, register layout version 2), and
 * the split virtqueue's memory layout (§2.7).
 *
 * Every register access goes through virtio_mmio_read() and
 * virtio_mmio_write() (virtio_mmio_io.c on the target); the host test
 * (tests/virtio/) links its own pair against a model of the device, so
 * the init sequence and the queue logic run unchanged on the host.
 *
 * Device specifics (virtio-blk) live in virtio_blk.[ch].
 */
#ifndef VIRTIO_MMIO_H
#define VIRTIO_MMIO_H

#include <stdint.h>

/* Register offsets, virtio 1.x §4.2.2 table "MMIO Device Register Layout". */
#define VIRTIO_MMIO_MAGIC_VALUE		0x000
#define VIRTIO_MMIO_VERSION		0x004
#define VIRTIO_MMIO_DEVICE_ID		0x008
#define VIRTIO_MMIO_VENDOR_ID		0x00c
#define VIRTIO_MMIO_DEVICE_FEATURES	0x010
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014
#define VIRTIO_MMIO_DRIVER_FEATURES	0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024
#define VIRTIO_MMIO_QUEUE_SEL		0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX	0x034
#define VIRTIO_MMIO_QUEUE_NUM		0x038
#define VIRTIO_MMIO_QUEUE_READY		0x044
#define VIRTIO_MMIO_QUEUE_NOTIFY	0x050
#define VIRTIO_MMIO_INTERRUPT_STATUS	0x060
#define VIRTIO_MMIO_INTERRUPT_ACK	0x064
#define VIRTIO_MMIO_STATUS		0x070
#define VIRTIO_MMIO_QUEUE_DESC_LOW	0x080
#define VIRTIO_MMIO_QUEUE_DESC_HIGH	0x084
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW	0x090
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH	0x094
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW	0x0a0
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH	0x0a4
#define VIRTIO_MMIO_CONFIG_GENERATION	0x0fc
#define VIRTIO_MMIO_CONFIG		0x100 /* device-specific configuration space */
#define VIRTIO_MMIO_REGS_SIZE		0x200 /* what a driver may touch (§4.2.2: 0x100 + config) */

#define VIRTIO_MMIO_MAGIC	   0x74726976 /* "virt", little-endian */
#define VIRTIO_MMIO_VERSION_LEGACY 1
#define VIRTIO_MMIO_VERSION_MODERN 2

/* Device IDs, §5. 0 is "no device here" (§4.2.2, DeviceID). */
#define VIRTIO_ID_NONE	0
#define VIRTIO_ID_BLOCK 2

/* Device status bits, §2.1. */
#define VIRTIO_STATUS_ACKNOWLEDGE	 1
#define VIRTIO_STATUS_DRIVER		 2
#define VIRTIO_STATUS_DRIVER_OK		 4
#define VIRTIO_STATUS_FEATURES_OK	 8
#define VIRTIO_STATUS_DEVICE_NEEDS_RESET 64
#define VIRTIO_STATUS_FAILED		 128

/* InterruptStatus bits, §4.2.2. */
#define VIRTIO_MMIO_INT_VRING  1 /* used buffer notification */
#define VIRTIO_MMIO_INT_CONFIG 2 /* configuration change */

/* Reserved feature bits this driver cares about, §6. */
#define VIRTIO_F_VERSION_1 32

/* --- split virtqueue, §2.7 ---------------------------------------------- */

#define VIRTQ_DESC_F_NEXT  1 /* the buffer continues in .next */
#define VIRTQ_DESC_F_WRITE 2 /* device-writable (else device-readable) */

struct virtq_desc {
	uint64_t addr; /* physical (bus) address */
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct virtq_avail {
	uint16_t flags;
	uint16_t idx;	 /* where the driver puts the next entry, mod 2^16 */
	uint16_t ring[]; /* queue size entries, then used_event (unused: no EVENT_IDX) */
};

struct virtq_used_elem {
	uint32_t id;  /* head of the chain the device is done with */
	uint32_t len; /* bytes it wrote into the chain's device-writable part */
};

struct virtq_used {
	uint16_t flags;
	uint16_t idx;
	struct virtq_used_elem ring[];
};

/* §2.7 "Virtqueue Alignment" (modern): the three parts' alignments. */
#define VIRTQ_DESC_ALIGN  16
#define VIRTQ_AVAIL_ALIGN 2
#define VIRTQ_USED_ALIGN  4

_Static_assert(sizeof(struct virtq_desc) == 16, "virtq_desc is 16 bytes (§2.7.5)");
_Static_assert(sizeof(struct virtq_used_elem) == 8, "virtq_used_elem is 8 bytes (§2.7.8)");

/*
 * Memory barriers between the driver's ring writes and the device. A
 * RISC-V hart may reorder normal memory accesses and device I/O, so:
 * virtio_wmb() orders ring contents before the index that publishes them
 * (§2.7.13 step 3), virtio_rmb() orders the used index before the entries
 * it covers, and virtio_mb() orders everything before the notify MMIO
 * write (§2.7.13.4: "a suitable memory barrier" before notifying).
 *
 * This assumes DMA is cache-coherent, as it is on QEMU virt (the only
 * place virtio exists for Keel). JH7100's DMA is NOT coherent: a driver
 * for a real device there would have to flush/invalidate the L2 around
 * each transfer; the board has no virtio, so nothing here does that.
 */
#if defined(__riscv)
#define virtio_mb()  __asm__ volatile("fence iorw, iorw" ::: "memory")
#define virtio_wmb() __asm__ volatile("fence w, w" ::: "memory")
#define virtio_rmb() __asm__ volatile("fence r, r" ::: "memory")
#else /* the host model: one process, a full fence stands in for all three */
#define virtio_mb()  __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define virtio_wmb() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define virtio_rmb() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#endif

/* One device's register window, mapped. */
struct virtio_mmio {
	volatile uint32_t *base;
};

/* Register access (32-bit, the only width §4.2.2 allows outside config space). */
uint32_t virtio_mmio_read(const struct virtio_mmio *vm, unsigned int off);
void virtio_mmio_write(const struct virtio_mmio *vm, unsigned int off, uint32_t val);

/* Why virtio_mmio_probe() refused a window. */
enum virtio_mmio_probe_result {
	VIRTIO_MMIO_OK,		 /* modern device */
	VIRTIO_MMIO_BAD_MAGIC,	 /* not a virtio-mmio window */
	VIRTIO_MMIO_LEGACY,	 /* Version 1: the legacy interface, not spoken here */
	VIRTIO_MMIO_BAD_VERSION, /* neither 1 nor 2 */
};

/*
 * Read MagicValue, DeviceID and Version (§4.2.3.1.1: check them first).
 * *device_id is set (maybe VIRTIO_ID_NONE) unless the magic is wrong.
 */
enum virtio_mmio_probe_result virtio_mmio_probe(const struct virtio_mmio *vm, uint32_t *version,
						uint32_t *device_id);

/*
 * §3.1.1 steps 1-3: reset (and wait for it, bounded), then ACKNOWLEDGE and
 * DRIVER. 0, or -KEEL_ETIMEDOUT if the status never read back 0.
 */
int virtio_mmio_begin(const struct virtio_mmio *vm);

/* §3.1.1 step 4: the device's 64 feature bits (DeviceFeaturesSel 0 and 1). */
uint64_t virtio_mmio_device_features(const struct virtio_mmio *vm);

/*
 * §3.1.1 steps 4-6: write @features, set FEATURES_OK and read it back.
 * 0, or -KEEL_ENOTSUP if the device did not keep FEATURES_OK.
 */
int virtio_mmio_set_features(const struct virtio_mmio *vm, uint64_t features);

/* QueueNumMax of queue @q (0: the queue does not exist), §4.2.3.2 step 3. */
uint32_t virtio_mmio_queue_num_max(const struct virtio_mmio *vm, unsigned int q);

/*
 * §4.2.3.2: queue @q with @num entries at the given physical addresses,
 * then QueueReady = 1. 0, -KEEL_EBUSY if it was already ready, -KEEL_EINVAL
 * if @num is 0 or above QueueNumMax.
 */
int virtio_mmio_queue_setup(const struct virtio_mmio *vm, unsigned int q, uint32_t num,
			    uint64_t desc_pa, uint64_t driver_pa, uint64_t device_pa);

/* §3.1.1 step 8: the driver is live. 0, or -KEEL_EIO if the device says it needs a reset. */
int virtio_mmio_driver_ok(const struct virtio_mmio *vm);

/* §3.1.1: give up on the device (FAILED). */
void virtio_mmio_fail(const struct virtio_mmio *vm);

/* Tell the device queue @q has new buffers (§4.2.3.3). The caller fenced first. */
void virtio_mmio_notify(const struct virtio_mmio *vm, unsigned int q);

/* §4.2.3.4: read InterruptStatus and acknowledge those bits; returns them. */
uint32_t virtio_mmio_irq_ack(const struct virtio_mmio *vm);

/* The current device status byte. */
uint32_t virtio_mmio_status(const struct virtio_mmio *vm);

/* Config space: a 32-bit field at @off, and a 64-bit one read consistently (§2.5.1). */
uint32_t virtio_mmio_config32(const struct virtio_mmio *vm, unsigned int off);
uint64_t virtio_mmio_config64(const struct virtio_mmio *vm, unsigned int off);

#endif

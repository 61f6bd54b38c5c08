/*
 * virtio_blk.h - a virtio block device (virtio 1.x §5.2) on the
 * virtio-mmio transport: bring-up, and read / write / flush requests
 * through one bounce buffer.
 *
 * The driver owns one DMA memory object (physically contiguous, zeroed)
 * laid out as below, and keeps one request in flight at a time: the
 * server is synchronous, so one descriptor chain (0 -> 1 -> 2) is all it
 * ever needs. Waiting, the clock and interrupt acknowledgement come from
 * a struct virtio_blk_env, so the same code runs on Keel (main.c) and in
 * the host model (tests/virtio/).
 */
#ifndef VIRTIO_BLK_H
#define VIRTIO_BLK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "virtio_mmio.h"

/* Feature bits, §5.2.3. */
#define VIRTIO_BLK_F_SIZE_MAX 1 /* size_max: the largest single segment */
#define VIRTIO_BLK_F_SEG_MAX  2
#define VIRTIO_BLK_F_GEOMETRY 4
#define VIRTIO_BLK_F_RO	      5 /* read-only */
#define VIRTIO_BLK_F_BLK_SIZE 6 /* blk_size: the optimal block size */
#define VIRTIO_BLK_F_FLUSH    9 /* VIRTIO_BLK_T_FLUSH; without it, no write cache */

/* struct virtio_blk_config field offsets in config space, §5.2.4. */
#define VIRTIO_BLK_CFG_CAPACITY 0x00 /* le64, in 512-byte sectors */
#define VIRTIO_BLK_CFG_SIZE_MAX 0x08 /* le32 */
#define VIRTIO_BLK_CFG_BLK_SIZE 0x14 /* le32 */
#define VIRTIO_BLK_CFG_END	0x18 /* the last field read ends here */

/* Request types and status values, §5.2.6. */
#define VIRTIO_BLK_T_IN	    0
#define VIRTIO_BLK_T_OUT    1
#define VIRTIO_BLK_T_FLUSH  4
#define VIRTIO_BLK_S_OK	    0
#define VIRTIO_BLK_S_IOERR  1
#define VIRTIO_BLK_S_UNSUPP 2

/* §5.2.6: capacity and sector numbers are in 512-byte units whatever blk_size says. */
#define VIRTIO_BLK_SECTOR_SIZE 512

/* The device-readable request header (§5.2.6); little-endian, as the hart is. */
struct virtio_blk_req_hdr {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};
_Static_assert(sizeof(struct virtio_blk_req_hdr) == 16, "§5.2.6: 16-byte header");

/*
 * The DMA object: the split queue's three parts (each at an offset that
 * meets its alignment, sized for VIRTIO_BLK_QUEUE_MAX entries), the
 * request header and status byte, then the bounce buffer on its own
 * pages. Requests larger than the bounce buffer are split.
 */
#define VIRTIO_BLK_QUEUE_MAX   64
#define VIRTIO_BLK_DMA_DESC    0x000 /* 16 * 64 = 1024 bytes */
#define VIRTIO_BLK_DMA_AVAIL   0x400 /* 6 + 2 * 64 = 134 bytes */
#define VIRTIO_BLK_DMA_USED    0x800 /* 6 + 8 * 64 = 518 bytes */
#define VIRTIO_BLK_DMA_HDR     0xc00
#define VIRTIO_BLK_DMA_STATUS  0xc10
#define VIRTIO_BLK_DMA_DATA    0x1000
#define VIRTIO_BLK_BOUNCE_SIZE 65536
#define VIRTIO_BLK_DMA_SIZE    (VIRTIO_BLK_DMA_DATA + VIRTIO_BLK_BOUNCE_SIZE)

_Static_assert(VIRTIO_BLK_DMA_DESC + 16 * VIRTIO_BLK_QUEUE_MAX <= VIRTIO_BLK_DMA_AVAIL,
	       "descriptor table fits");
_Static_assert(VIRTIO_BLK_DMA_AVAIL + 6 + 2 * VIRTIO_BLK_QUEUE_MAX <= VIRTIO_BLK_DMA_USED,
	       "available ring fits");
_Static_assert(VIRTIO_BLK_DMA_USED + 6 + 8 * VIRTIO_BLK_QUEUE_MAX <= VIRTIO_BLK_DMA_HDR,
	       "used ring fits");
_Static_assert(VIRTIO_BLK_DMA_DESC % VIRTQ_DESC_ALIGN == 0 &&
		       VIRTIO_BLK_DMA_AVAIL % VIRTQ_AVAIL_ALIGN == 0 &&
		       VIRTIO_BLK_DMA_USED % VIRTQ_USED_ALIGN == 0,
	       "§2.7 alignments");
_Static_assert(VIRTIO_BLK_DMA_HDR + 16 <= VIRTIO_BLK_DMA_STATUS &&
		       VIRTIO_BLK_DMA_STATUS < VIRTIO_BLK_DMA_DATA,
	       "header and status fit");

/* A request not completed within this long fails with -KEEL_EIO. */
#define VIRTIO_BLK_TIMEOUT_US 2000000

/* What the driver needs from its surroundings. */
struct virtio_blk_env {
	/*
	 * Sleep until the device's interrupt (or, when polling, a short
	 * while), at most @us microseconds. 0: woken, look again;
	 * -KEEL_ETIMEDOUT: @us passed; any other -KEEL_E*: give up.
	 */
	int (*wait_irq)(void *ctx, uint64_t us);
	/* After a wake-up and the device's acknowledge: unmask the line (keel_irq_ack). */
	void (*irq_done)(void *ctx);
	/* A monotonic clock in microseconds. */
	uint64_t (*now_us)(void *ctx);
	void *ctx;
};

struct virtio_blk {
	struct virtio_mmio vm;
	struct virtio_blk_env env;
	const char *tag; /* prefix of every message: the DT node path */

	uint8_t *dma;	 /* the DMA object, mapped */
	uint64_t dma_pa; /* ... and where the device sees it */
	volatile struct virtq_desc *desc;
	volatile struct virtq_avail *avail;
	volatile struct virtq_used *used;
	struct virtio_blk_req_hdr *hdr;
	volatile uint8_t *status;
	uint8_t *bounce;
	uint16_t qsize;	    /* entries in queue 0 */
	uint16_t avail_idx; /* our copy of avail->idx */
	uint16_t used_idx;  /* used entries consumed so far, mod 2^16 */

	uint64_t features;    /* negotiated */
	uint64_t capacity;    /* in 512-byte sectors */
	uint32_t blk_size;    /* the device's preferred block size (512 unless told) */
	uint32_t max_sectors; /* per request: the bounce buffer, or size_max */
	bool broken;	      /* a request timed out: the device still owns our buffers */

	uint64_t requests, errors; /* counters, for messages and tests */
};

/*
 * Bring the device at @vm up (§3.1.1, §4.2.3): probe, reset, negotiate,
 * queue 0 in @dma (VIRTIO_BLK_DMA_SIZE bytes, zeroed, device address
 * @dma_pa), read the geometry, DRIVER_OK. Prints why it failed.
 * 0; -KEEL_ENOENT: no block device in this slot (not an error for the
 * caller); -KEEL_ENOTSUP: legacy or unacceptable device; -KEEL_EINVAL:
 * not virtio-mmio; -KEEL_ETIMEDOUT: reset never finished.
 */
int virtio_blk_init(struct virtio_blk *blk, volatile uint32_t *regs,
		    const struct virtio_blk_env *env, void *dma, uint64_t dma_pa, const char *tag);

/* Whether the device refuses writes (VIRTIO_BLK_F_RO). */
bool virtio_blk_read_only(const struct virtio_blk *blk);

/*
 * Read / write @count sectors from @sector through the bounce buffer
 * into / out of @buf. 0, -KEEL_ERANGE past the end, -KEEL_EDENIED for a
 * write to a read-only device, -KEEL_EIO (device error, timeout),
 * -KEEL_ENOTSUP (the device said UNSUPP).
 */
int virtio_blk_read(struct virtio_blk *blk, uint64_t sector, uint32_t count, void *buf);
int virtio_blk_write(struct virtio_blk *blk, uint64_t sector, uint32_t count, const void *buf);

/* Everything written is on the medium (a no-op without VIRTIO_BLK_F_FLUSH). 0 or -KEEL_E*. */
int virtio_blk_flush(struct virtio_blk *blk);

/* "VERSION_1 FLUSH ..." for the negotiated features, into @buf. */
void virtio_blk_features_str(const struct virtio_blk *blk, char *buf, size_t len);

#endif

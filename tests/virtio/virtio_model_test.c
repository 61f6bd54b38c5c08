/*
 * virtio_model_test.c - servers/virtio/{virtio_blk,virtio_mmio}.c against
 * the model device (virtio_model.c): the §3.1.1 init sequence, what the
 * driver refuses, and read / write / flush round trips, errors and
 * timeouts. TAP output; tests/virtio/test_virtio_model.py runs it.
 *
 * Each case has an ID and a claim (STYLE.md). The driver's messages are
 * captured (stdout is redirected into a pipe around each driver call)
 * so they can be checked and do not break the TAP stream.
 */
#define TESTLIB_NAME "virtio_model_test"
#include "../unit/testlib.h"

#include <fcntl.h>
#include <unistd.h>

#include "keel/syscall.h"
#include "virtio_model.h"

static struct vmodel model;
static struct virtio_blk blk;
static uint8_t *dma;
static char out[8192]; /* the driver's messages during the last captured call */

#define SECTORS	 2048  /* 1 MiB model disk */
#define BUF_SIZE 65536 /* a client's shared memory (proto.h BLK_SHARED_SIZE) */
#define BIT(n)	 (1ULL << (n))

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			diag("%s:%d: %s", __FILE__, __LINE__, #cond);                              \
	} while (0)
#define CHECK_EQ(a, b)                                                                             \
	do {                                                                                       \
		long long a_ = (long long)(a), b_ = (long long)(b);                                \
		if (a_ != b_)                                                                      \
			diag("%s:%d: %s == %lld, expected %s == %lld", __FILE__, __LINE__, #a, a_, \
			     #b, b_);                                                              \
	} while (0)

/* --- capturing the driver's printf ------------------------------------------- */

static int cap_saved = -1, cap_pipe[2];

static void capture_begin(void)
{
	fflush(stdout);
	if (pipe(cap_pipe) || fcntl(cap_pipe[0], F_SETFL, O_NONBLOCK))
		abort();
	cap_saved = dup(1);
	dup2(cap_pipe[1], 1);
}

static void capture_end(void)
{
	ssize_t n;

	fflush(stdout);
	dup2(cap_saved, 1);
	close(cap_saved);
	close(cap_pipe[1]);
	n = read(cap_pipe[0], out, sizeof(out) - 1);
	out[n > 0 ? n : 0] = '\0';
	close(cap_pipe[0]);
}

/* --- fixtures ------------------------------------------------------------------ */

/* A fresh model (@extra features on top of VERSION_1 | FLUSH) and DMA buffer. */
static void setup(uint64_t extra)
{
	vmodel_free(&model);
	free(dma);
	vmodel_init(&model, SECTORS, extra);
	dma = aligned_alloc(4096, VIRTIO_BLK_DMA_SIZE);
	if (!dma)
		abort();
	memset(dma, 0, VIRTIO_BLK_DMA_SIZE);
	vmodel_attach_dma(&model, dma, VIRTIO_BLK_DMA_SIZE);
}

static int init_driver(void)
{
	struct virtio_blk_env env = vmodel_env(&model);
	int err;

	capture_begin();
	err = virtio_blk_init(&blk, model.window, &env, dma, VMODEL_DMA_PA,
			      "/soc/virtio_mmio@10008000");
	capture_end();
	return err;
}

static void no_violation(void)
{
	if (model.violation[0])
		diag("device saw: %s", model.violation);
}

/* setup() + init_driver(), which must succeed. */
static void up(uint64_t extra)
{
	setup(extra);
	int err = init_driver();
	if (err)
		diag("init: %d; driver said: %s", err, out);
	no_violation();
}

static int cap_read(uint64_t sector, uint32_t count, void *buf)
{
	capture_begin();
	int err = virtio_blk_read(&blk, sector, count, buf);
	capture_end();
	return err;
}

static int cap_write(uint64_t sector, uint32_t count, const void *buf)
{
	capture_begin();
	int err = virtio_blk_write(&blk, sector, count, buf);
	capture_end();
	return err;
}

static int cap_flush(void)
{
	capture_begin();
	int err = virtio_blk_flush(&blk);
	capture_end();
	return err;
}

/* --- init ------------------------------------------------------------------------ */

/* VIRTIO_0001: reset, ACKNOWLEDGE, DRIVER, FEATURES_OK, DRIVER_OK, in that order. */
static void init_status_sequence(void)
{
	static const uint32_t want[] = {
		0,
		VIRTIO_STATUS_ACKNOWLEDGE,
		VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER,
		VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK,
		VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
			VIRTIO_STATUS_DRIVER_OK,
	};

	up(0);
	CHECK_EQ(model.nstatus, 5);
	for (int i = 0; i < 5 && i < model.nstatus; i++)
		CHECK_EQ(model.status_log[i], want[i]);
	CHECK_EQ(model.writes_before_probe, 0);
	CHECK_EQ(model.notifies, 0);
}

/* VIRTIO_0002: VERSION_1 and the block features it handles are taken, nothing else. */
static void init_features(void)
{
	/* Roughly what QEMU offers, plus the ring features the driver does not do. */
	up(BIT(VIRTIO_BLK_F_SEG_MAX) | BIT(VIRTIO_BLK_F_GEOMETRY) | BIT(VIRTIO_BLK_F_BLK_SIZE) |
	   BIT(VIRTIO_BLK_F_SIZE_MAX) | BIT(10) /* TOPOLOGY */ | BIT(11) /* CONFIG_WCE */ |
	   BIT(12) /* MQ */ | BIT(13) /* DISCARD */ | BIT(14) /* WRITE_ZEROES */ |
	   BIT(24) /* NOTIFY_ON_EMPTY */ | BIT(27) /* ANY_LAYOUT */ |
	   BIT(28) /* RING_INDIRECT_DESC */ | BIT(29) /* RING_EVENT_IDX */ |
	   BIT(33) /* ACCESS_PLATFORM */ | BIT(34) /* RING_PACKED */);
	CHECK_EQ(model.drv_features, BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_BLK_F_FLUSH) |
					     BIT(VIRTIO_BLK_F_BLK_SIZE) |
					     BIT(VIRTIO_BLK_F_SIZE_MAX));
	CHECK_EQ(blk.features, model.drv_features);
	CHECK_EQ(blk.blk_size, 4096);
	char s[80];
	virtio_blk_features_str(&blk, s, sizeof(s));
	CHECK(!strcmp(s, "VERSION_1 FLUSH BLK_SIZE SIZE_MAX"));
}

/* VIRTIO_0003: queue 0 gets 64 entries and the DMA buffer's bus addresses. */
static void init_queue(void)
{
	up(0);
	CHECK_EQ(model.queue_num, VIRTIO_BLK_QUEUE_MAX);
	CHECK_EQ(model.queue_ready, 1);
	CHECK_EQ(model.desc_pa, VMODEL_DMA_PA + VIRTIO_BLK_DMA_DESC);
	CHECK_EQ(model.driver_pa, VMODEL_DMA_PA + VIRTIO_BLK_DMA_AVAIL);
	CHECK_EQ(model.device_pa, VMODEL_DMA_PA + VIRTIO_BLK_DMA_USED);
	CHECK_EQ(blk.capacity, SECTORS);
}

/* VIRTIO_0004: a smaller QueueNumMax gives the largest power of two below it. */
static void init_small_queue(void)
{
	setup(0);
	model.queue_num_max = 24;
	CHECK_EQ(init_driver(), 0);
	no_violation();
	CHECK_EQ(model.queue_num, 16);
	for (int i = 0; i < 40; i++) { /* around the 16-entry rings twice */
		uint8_t buf[512];

		CHECK_EQ(cap_read((uint64_t)i, 1, buf), 0);
		CHECK(!memcmp(buf, model.disk + i * 512, 512));
	}
	CHECK_EQ(model.requests, 40);
	no_violation();

	setup(0);
	model.queue_num_max = 2; /* a request needs 3 descriptors */
	CHECK_EQ(init_driver(), -KEEL_ENOTSUP);
	CHECK(model.status & VIRTIO_STATUS_FAILED);
	CHECK_EQ(model.queue_ready, 0);
}

/* VIRTIO_0005: a legacy (Version 1) device is refused, untouched, naming the QEMU option. */
static void init_legacy(void)
{
	setup(0);
	model.version = VIRTIO_MMIO_VERSION_LEGACY;
	CHECK_EQ(init_driver(), -KEEL_ENOTSUP);
	CHECK_EQ(model.writes, 0);
	CHECK(strstr(out, "-global virtio-mmio.force-legacy=false") != NULL);
	CHECK(strstr(out, "virtio-blk: /soc/virtio_mmio@10008000: ") == out);

	/* QEMU's empty slots are legacy too without the option: those stay quiet. */
	setup(0);
	model.version = VIRTIO_MMIO_VERSION_LEGACY;
	model.device_id = VIRTIO_ID_NONE;
	CHECK_EQ(init_driver(), -KEEL_ENOENT);
	CHECK(!strcmp(out, "virtio-blk: /soc/virtio_mmio@10008000: no device\n"));
}

/* VIRTIO_0006: an empty slot (DeviceID 0) and a non-block device are -ENOENT, one line, untouched.
 */
static void init_no_device(void)
{
	setup(0);
	model.device_id = VIRTIO_ID_NONE;
	CHECK_EQ(init_driver(), -KEEL_ENOENT);
	CHECK_EQ(model.writes, 0);
	CHECK(!strcmp(out, "virtio-blk: /soc/virtio_mmio@10008000: no device\n"));

	setup(0);
	model.device_id = 1; /* network */
	CHECK_EQ(init_driver(), -KEEL_ENOENT);
	CHECK_EQ(model.writes, 0);
	CHECK(strstr(out, "not a block device") != NULL);
}

/* VIRTIO_0007: a window without the magic value is -EINVAL. */
static void init_bad_magic(void)
{
	setup(0);
	model.magic = 0xffffffff;
	CHECK_EQ(init_driver(), -KEEL_EINVAL);
	CHECK_EQ(model.writes, 0);
	CHECK(strstr(out, "0xffffffff") != NULL);

	setup(0);
	model.version = 3;
	CHECK_EQ(init_driver(), -KEEL_ENOTSUP);
}

/* VIRTIO_0008: a device that clears FEATURES_OK, or lacks VERSION_1, is failed. */
static void init_features_refused(void)
{
	setup(0);
	model.refuse_features = true;
	CHECK_EQ(init_driver(), -KEEL_ENOTSUP);
	CHECK(model.status & VIRTIO_STATUS_FAILED);
	CHECK(!(model.status & VIRTIO_STATUS_DRIVER_OK));
	CHECK(strstr(out, "FEATURES_OK") != NULL);

	setup(0);
	model.offered &= ~BIT(VIRTIO_F_VERSION_1);
	CHECK_EQ(init_driver(), -KEEL_ENOTSUP);
	CHECK(strstr(out, "VIRTIO_F_VERSION_1") != NULL);
}

/* VIRTIO_0009: the driver waits for a slow reset, and gives up on one that never ends. */
static void init_reset_wait(void)
{
	setup(0);
	model.reset_reads = 5;
	CHECK_EQ(init_driver(), 0);
	no_violation();

	setup(0);
	model.reset_reads = -1;
	CHECK_EQ(init_driver(), -KEEL_ETIMEDOUT);
	CHECK(!(model.status & VIRTIO_STATUS_DRIVER_OK));
}

/* VIRTIO_0010: a capacity that changes mid-read is never read torn (ConfigGeneration). */
static void init_config_generation(void)
{
	setup(0);
	model.capacity = 0x1ffffffffULL;
	model.new_capacity = 0x200000000ULL;
	model.config_change_after = 1; /* between the low and the high word */
	CHECK_EQ(init_driver(), 0);
	CHECK_EQ(blk.capacity, 0x200000000ULL);
}

/* --- requests --------------------------------------------------------------------- */

/* VIRTIO_0011: reads return the disk's bytes, one request per 64 KiB. */
static void rw_read(void)
{
	uint8_t *buf = malloc(BUF_SIZE);

	up(0);
	CHECK_EQ(cap_read(10, 8, buf), 0);
	CHECK(!memcmp(buf, model.disk + 10 * 512, 8 * 512));
	CHECK_EQ(model.requests, 1);
	CHECK_EQ(cap_read(SECTORS - 128, 128, buf), 0);
	CHECK(!memcmp(buf, model.disk + (SECTORS - 128) * 512, 128 * 512));
	CHECK_EQ(model.requests, 2);
	CHECK_EQ(model.last_data_len, 65536);
	no_violation();
	free(buf);
}

/* VIRTIO_0012: a write reaches the disk, reads back, and a flush is one FLUSH request. */
static void rw_write_flush(void)
{
	uint8_t *w = malloc(BUF_SIZE), *r = malloc(BUF_SIZE);

	up(0);
	for (int i = 0; i < BUF_SIZE; i++)
		w[i] = (uint8_t)(i * 13 + 5);
	CHECK_EQ(cap_write(100, 128, w), 0);
	CHECK(!memcmp(model.disk + 100 * 512, w, 128 * 512));
	CHECK_EQ(cap_read(100, 128, r), 0);
	CHECK(!memcmp(r, w, 128 * 512));
	CHECK_EQ(cap_flush(), 0);
	CHECK_EQ(model.flushes, 1);
	CHECK_EQ(model.requests, 3);
	no_violation();
	free(w);
	free(r);
}

/* VIRTIO_0013: past the end is -ERANGE before the device is asked; 0 sectors is nothing. */
static void rw_range(void)
{
	uint8_t buf[1024];

	up(0);
	CHECK_EQ(cap_read(SECTORS - 1, 2, buf), -KEEL_ERANGE);
	CHECK_EQ(cap_read(SECTORS, 1, buf), -KEEL_ERANGE);
	CHECK_EQ(cap_write(UINT64_MAX, 1, buf), -KEEL_ERANGE);
	CHECK_EQ(cap_read(UINT64_MAX - 1, 2, buf), -KEEL_ERANGE);
	CHECK_EQ(cap_read(SECTORS, 0, buf), 0);
	CHECK_EQ(cap_read(SECTORS - 1, 1, buf), 0);
	CHECK_EQ(model.notifies, 1);
	no_violation();
}

/* VIRTIO_0014: a read-only device refuses writes without asking it; reads work. */
static void rw_read_only(void)
{
	uint8_t buf[512];

	up(BIT(VIRTIO_BLK_F_RO));
	CHECK(virtio_blk_read_only(&blk));
	memset(buf, 0xaa, sizeof(buf));
	CHECK_EQ(cap_write(0, 1, buf), -KEEL_EDENIED);
	CHECK_EQ(model.notifies, 0);
	CHECK(model.disk[0] != 0xaa || model.disk[1] != 0xaa);
	CHECK_EQ(cap_read(0, 1, buf), 0);
	no_violation();
}

/* VIRTIO_0015: without VIRTIO_BLK_F_FLUSH a flush succeeds without a request. */
static void rw_flush_without_feature(void)
{
	setup(0);
	model.offered &= ~BIT(VIRTIO_BLK_F_FLUSH);
	CHECK_EQ(init_driver(), 0);
	CHECK_EQ(cap_flush(), 0);
	CHECK_EQ(model.notifies, 0);
	no_violation();
}

/* VIRTIO_0016: IOERR, UNSUPP and a missing status byte fail the request, not the device. */
static void rw_status_errors(void)
{
	uint8_t buf[512];

	up(0);
	model.force_status = VIRTIO_BLK_S_IOERR;
	CHECK_EQ(cap_read(1, 1, buf), -KEEL_EIO);
	CHECK(strstr(out, "I/O error") != NULL);
	model.force_status = VIRTIO_BLK_S_UNSUPP;
	CHECK_EQ(cap_flush(), -KEEL_ENOTSUP);
	model.skip_status = true;
	CHECK_EQ(cap_write(1, 1, buf), -KEEL_EIO);
	CHECK(strstr(out, "bad status 0xff") != NULL);
	CHECK_EQ(cap_read(1, 1, buf), 0);
	CHECK_EQ(blk.errors, 3);
	no_violation();
}

/* VIRTIO_0017: a device that never answers fails the request after 2 s, and later ones at once. */
static void rw_timeout(void)
{
	uint8_t buf[512];

	up(0);
	model.mode = VMODEL_DEAD;
	CHECK_EQ(cap_read(0, 1, buf), -KEEL_EIO);
	CHECK(model.clock_us >= VIRTIO_BLK_TIMEOUT_US);
	CHECK(strstr(out, "timed out after 2000 ms") != NULL);
	CHECK(blk.broken);
	unsigned int notifies = model.notifies;
	CHECK_EQ(cap_read(0, 1, buf), -KEEL_EIO);
	CHECK_EQ(cap_flush(), -KEEL_EIO);
	CHECK_EQ(model.notifies, notifies);
	no_violation();
}

/* VIRTIO_0018: completion at interrupt time: InterruptACK, then the line unmasked, once each. */
static void rw_interrupt(void)
{
	uint8_t buf[4096];

	up(0);
	model.mode = VMODEL_DEFERRED;
	for (int i = 0; i < 10; i++)
		CHECK_EQ(cap_read((uint64_t)i * 8, 8, buf), 0);
	CHECK(!memcmp(buf, model.disk + 72 * 512, sizeof(buf)));
	CHECK_EQ(model.requests, 10);
	CHECK_EQ(model.int_acks, 10);
	CHECK_EQ(model.irq_dones, 10);
	CHECK_EQ(model.isr, 0);
	no_violation();
}

/* VIRTIO_0019: 70000 requests: the ring indices wrap (queue and 2^16) without a hitch. */
static void rw_index_wrap(void)
{
	uint8_t buf[512];
	int bad = 0;

	up(0);
	for (uint32_t i = 0; i < 70000; i++) {
		uint64_t s = i % SECTORS;

		if (cap_read(s, 1, buf) || memcmp(buf, model.disk + s * 512, 512))
			if (bad++ < 3)
				diag("request %u (sector %llu) failed", i, (unsigned long long)s);
	}
	CHECK_EQ(model.requests, 70000);
	CHECK_EQ(blk.avail_idx, (uint16_t)70000);
	no_violation();
}

/* VIRTIO_0020: with SIZE_MAX 4 KiB, a 64 KiB read is 16 requests of at most 4 KiB. */
static void rw_size_max(void)
{
	uint8_t *buf = malloc(BUF_SIZE);

	setup(BIT(VIRTIO_BLK_F_SIZE_MAX));
	model.size_max = 4096;
	CHECK_EQ(init_driver(), 0);
	CHECK_EQ(blk.max_sectors, 8);
	CHECK_EQ(cap_read(3, 128, buf), 0);
	CHECK(!memcmp(buf, model.disk + 3 * 512, 65536));
	CHECK_EQ(model.requests, 16);
	CHECK_EQ(cap_write(1000, 20, buf), 0);
	CHECK(!memcmp(model.disk + 1000 * 512, buf, 20 * 512));
	CHECK_EQ(model.requests, 19);
	no_violation();
	free(buf);
}

static const struct tap_case cases[] = {
	{ "VIRTIO_0001 init: reset, ACKNOWLEDGE, DRIVER, FEATURES_OK, DRIVER_OK",
	  init_status_sequence },
	{ "VIRTIO_0002 init: takes VERSION_1 and handled features only", init_features },
	{ "VIRTIO_0003 init: queue 0 of 64 at the DMA bus addresses", init_queue },
	{ "VIRTIO_0004 init: small QueueNumMax rounds down (and works), < 3 refused",
	  init_small_queue },
	{ "VIRTIO_0005 init: legacy disk refused naming force-legacy=false; empty slot quiet",
	  init_legacy },
	{ "VIRTIO_0006 init: empty slot or other device is ENOENT", init_no_device },
	{ "VIRTIO_0007 init: bad magic or version refused", init_bad_magic },
	{ "VIRTIO_0008 init: FEATURES_OK refused or no VERSION_1 fails", init_features_refused },
	{ "VIRTIO_0009 init: waits for reset, bounded", init_reset_wait },
	{ "VIRTIO_0010 init: 64-bit capacity read under ConfigGeneration", init_config_generation },
	{ "VIRTIO_0011 rw: reads return the disk's bytes", rw_read },
	{ "VIRTIO_0012 rw: write, read back, flush", rw_write_flush },
	{ "VIRTIO_0013 rw: out of range is ERANGE without a request", rw_range },
	{ "VIRTIO_0014 rw: read-only device refuses writes", rw_read_only },
	{ "VIRTIO_0015 rw: flush without FLUSH is a no-op", rw_flush_without_feature },
	{ "VIRTIO_0016 rw: IOERR, UNSUPP, missing status", rw_status_errors },
	{ "VIRTIO_0017 rw: a dead device times out after 2 s", rw_timeout },
	{ "VIRTIO_0018 rw: interrupt acked at the device, then unmasked", rw_interrupt },
	{ "VIRTIO_0019 rw: ring indices wrap", rw_index_wrap },
	{ "VIRTIO_0020 rw: SIZE_MAX splits requests", rw_size_max },
};

int main(int argc, char **argv)
{
	int rc = tap_run_cases(cases, sizeof(cases) / sizeof(cases[0]), argc > 1 ? argv[1] : NULL);

	vmodel_free(&model);
	free(dma);
	return rc;
}

/*
 * qemu_harness.c - servers/virtio/ against QEMU's real virtio-mmio block
 * device, before Keel's kernel can map devices for user space.
 *
 * A bare-metal M-mode program on QEMU virt (-bios none, one hart, MMU
 * off, so physical = virtual): picolibc's semihosting crt0 and libc give
 * it printf and an exit status. It walks virt's eight virtio-mmio slots
 * with the driver's own virtio_blk_init(), and on the disk it finds runs
 * the checks tests/virtio/test_virtio_qemu.py expects, printing one
 * "harness: ..." line per result. The driver polls (no interrupts here),
 * with the clock from the CLINT's mtime.
 *
 * Argument-free; what to do is read from the disk's sector 0, which the
 * pytest writes: "KEEL-VIRTIO-TEST <mode>\n" with mode "rw" or "ro".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keel/syscall.h"
#include "virtio_blk.h"

/* QEMU virt's memory map (hw/riscv/virt.c): not Keel's business, only this harness's. */
#define VIRT_VIRTIO_BASE   0x10001000UL
#define VIRT_VIRTIO_STRIDE 0x1000UL
#define VIRT_VIRTIO_SLOTS  8
#define VIRT_CLINT_MTIME   0x0200bff8UL
#define VIRT_TIMEBASE_MHZ  10 /* /cpus timebase-frequency = 10000000 */

#define POLL_US	      20
#define SECTOR	      VIRTIO_BLK_SECTOR_SIZE
#define WRITE_AT      100 /* where the write check writes */
#define WRITE_SECTORS 128 /* 64 KiB: one full bounce buffer */

static uint8_t dma[VIRTIO_BLK_DMA_SIZE] __attribute__((aligned(4096)));
static uint8_t buf[WRITE_SECTORS * SECTOR];
static uint8_t back[WRITE_SECTORS * SECTOR];
static struct virtio_blk blk;
static int failures;

static uint64_t now_us(void *ctx)
{
	(void)ctx;
	return *(volatile uint64_t *)VIRT_CLINT_MTIME / VIRT_TIMEBASE_MHZ;
}

/* No interrupts in this harness: every wait is a short spin, then a look at the ring. */
static int wait_poll(void *ctx, uint64_t us)
{
	uint64_t end = now_us(ctx) + (us < POLL_US ? us : POLL_US);

	while (now_us(ctx) < end)
		;
	return 0;
}

static void irq_done(void *ctx)
{
	(void)ctx;
}

static void result(int ok, const char *what, long err)
{
	printf("harness: %s %s (%ld)\n", ok ? "PASS" : "FAIL", what, err);
	if (!ok)
		failures++;
}

/* Sector @s of the image as the pytest wrote it: "sector <s>" then bytes (s + i) & 0xff. */
static int sector_ok(const uint8_t *p, unsigned long s)
{
	char tag[32];
	int n = snprintf(tag, sizeof(tag), "sector %lu\n", s);

	if (memcmp(p, tag, (size_t)n))
		return 0;
	for (int i = 32; i < SECTOR; i++)
		if (p[i] != (uint8_t)(s + (unsigned long)i))
			return 0;
	return 1;
}

static void check_reads(void)
{
	int err = virtio_blk_read(&blk, 1, 8, buf);
	int ok = !err;

	for (unsigned long s = 1; ok && s < 9; s++)
		ok = sector_ok(buf + (s - 1) * SECTOR, s);
	result(ok, "read sectors 1-8", err);

	err = virtio_blk_read(&blk, blk.capacity - WRITE_SECTORS, WRITE_SECTORS, buf);
	ok = !err;
	for (unsigned long s = 0; ok && s < WRITE_SECTORS; s++)
		ok = sector_ok(buf + s * SECTOR, (unsigned long)blk.capacity - WRITE_SECTORS + s);
	result(ok, "read the last 64 KiB", err);

	err = virtio_blk_read(&blk, blk.capacity, 1, buf);
	result(err == -KEEL_ERANGE, "read past the end is ERANGE", err);
}

static void check_writes(void)
{
	int err;

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 29 + i / SECTOR);
	memcpy(buf, "written by the harness\n", 23);
	err = virtio_blk_write(&blk, WRITE_AT, WRITE_SECTORS, buf);
	result(!err, "write 64 KiB at sector 100", err);
	err = virtio_blk_flush(&blk);
	result(!err, "flush", err);
	memset(back, 0, sizeof(back));
	err = virtio_blk_read(&blk, WRITE_AT, WRITE_SECTORS, back);
	result(!err && !memcmp(back, buf, sizeof(buf)), "read back what was written", err);
}

static void check_read_only(void)
{
	int err = virtio_blk_write(&blk, WRITE_AT, 1, buf);

	result(virtio_blk_read_only(&blk), "device says read-only", 0);
	result(err == -KEEL_EDENIED, "write to a read-only disk is EDENIED", err);
}

/* Many small requests: the ring indices go round the 64-entry queue several times. */
static void check_many(void)
{
	int err = 0, ok = 1;

	for (unsigned long i = 0; ok && i < 300; i++) {
		unsigned long s = 1 + i % 64;

		err = virtio_blk_read(&blk, s, 1, buf);
		ok = !err && sector_ok(buf, s);
	}
	result(ok, "300 one-sector reads", err);
}

static void run_disk(unsigned long base)
{
	char feats[80];
	const char *mode;

	virtio_blk_features_str(&blk, feats, sizeof(feats));
	printf("harness: disk at 0x%lx: %lu sectors, queue %u, features %s\n", base,
	       (unsigned long)blk.capacity, (unsigned int)blk.qsize, feats);
	if (virtio_blk_read(&blk, 0, 1, buf)) {
		result(0, "read sector 0", 0);
		return;
	}
	mode = memcmp(buf, "KEEL-VIRTIO-TEST ro\n", 20) ? "rw" : "ro";
	check_reads();
	check_many();
	if (!strcmp(mode, "ro"))
		check_read_only();
	else
		check_writes();
}

int main(void)
{
	struct virtio_blk_env env = {
		.wait_irq = wait_poll,
		.irq_done = irq_done,
		.now_us = now_us,
		.ctx = NULL,
	};
	int disks = 0;

	printf("harness: start\n");
	for (int i = 0; i < VIRT_VIRTIO_SLOTS; i++) {
		unsigned long base = VIRT_VIRTIO_BASE + (unsigned long)i * VIRT_VIRTIO_STRIDE;
		char tag[40];
		int err;

		snprintf(tag, sizeof(tag), "/soc/virtio_mmio@%lx", base);
		err = virtio_blk_init(&blk, (volatile uint32_t *)base, &env, dma, (uintptr_t)dma,
				      tag);
		if (err == -KEEL_ENOENT)
			continue;
		if (err) {
			printf("harness: init at 0x%lx: error %d\n", base, err);
			failures++;
			continue;
		}
		disks++;
		run_disk(base);
	}
	printf("harness: %d disk(s), %d failure(s)\n", disks, failures);
	return failures ? 1 : 0;
}

/*
 * virtio_model.h - a host model of a virtio-mmio (Version 2) block
 * device, for testing servers/virtio/ without QEMU or the kernel.
 *
 * The model is the register file plus a device that walks the available
 * ring when the driver notifies (or when it waits, or never: see enum
 * vmodel_mode), reading descriptors through a "physical" address space
 * that is only the driver's DMA buffer at a fake bus address, so a
 * driver that hands the device a virtual address is caught. Every
 * protocol breach it notices is recorded in .violation (first one wins).
 *
 * virtio_model.c defines virtio_mmio_read()/virtio_mmio_write() (the
 * target's are in servers/virtio/virtio_mmio_io.c): struct virtio_mmio's
 * base points at the model's first member.
 */
#ifndef VIRTIO_MODEL_H
#define VIRTIO_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "virtio_blk.h"

#define VMODEL_DMA_PA  0x8765000000ULL /* where the model says the DMA buffer is */
#define VMODEL_LOG_MAX 64

enum vmodel_mode {
	VMODEL_IMMEDIATE, /* requests complete during the QueueNotify write */
	VMODEL_DEFERRED,  /* ... when the driver waits for the interrupt */
	VMODEL_DEAD,	  /* never: every wait times out */
};

struct vmodel {
	uint32_t window[VIRTIO_MMIO_REGS_SIZE / 4]; /* what the driver's base points at */

	/* Identity and behaviour, set by the test before the driver starts. */
	uint32_t magic, version, device_id;
	uint64_t offered; /* device features */
	uint32_t queue_num_max;
	bool refuse_features; /* clear FEATURES_OK whatever the driver takes */
	int reset_reads;      /* Status reads non-zero this often after a reset (-1: always) */
	enum vmodel_mode mode;
	int force_status;	 /* >= 0: the next request gets this status byte */
	bool skip_status;	 /* the next request leaves the status byte alone */
	int config_change_after; /* > 0: after this many config reads, capacity changes */
	uint64_t new_capacity;

	/* Config space (struct virtio_blk_config, little-endian). */
	uint64_t capacity;
	uint32_t size_max, blk_size;
	uint32_t config_generation;
	int config_reads;

	/* The disk. */
	uint8_t *disk;
	size_t disk_size;

	/* The driver's DMA buffer, as the device reaches it. */
	uint8_t *dma;
	size_t dma_size;

	/* Register state. */
	uint32_t status, isr;
	uint32_t dev_features_sel, drv_features_sel, queue_sel;
	uint64_t drv_features;
	uint32_t queue_num, queue_ready;
	uint64_t desc_pa, driver_pa, device_pa;
	uint16_t last_avail, used_idx;

	/* What happened. */
	uint32_t status_log[VMODEL_LOG_MAX]; /* every value written to Status */
	int nstatus;
	int writes_before_probe; /* register writes before DeviceID was read */
	bool device_id_read;
	unsigned int writes; /* register writes of any kind */
	unsigned int notifies, requests, flushes, int_acks, irq_dones, waits;
	uint32_t last_data_len;
	uint64_t clock_us; /* the fake clock the env runs on */
	char violation[256];
};

/* A device with @sectors of disk, features VERSION_1 | FLUSH plus @extra, modern. */
void vmodel_init(struct vmodel *m, uint64_t sectors, uint64_t extra_features);
void vmodel_free(struct vmodel *m);

/* Tell the model where the driver's DMA buffer is (it sits at VMODEL_DMA_PA). */
void vmodel_attach_dma(struct vmodel *m, void *dma, size_t size);

/* The environment the driver runs in, on the model's fake clock. */
struct virtio_blk_env vmodel_env(struct vmodel *m);

/* Process the available ring now (what the device does on a notify). */
void vmodel_process(struct vmodel *m);

#endif

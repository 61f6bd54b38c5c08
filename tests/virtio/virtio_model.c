/*
 * virtio_model.c - the model device of virtio_model.h: the virtio-mmio
 * Version 2 register file (virtio 1.x §4.2.2) with the device's side of
 * its rules, and a block device (§5.2) behind a split queue (§2.7).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keel/syscall.h"
#include "virtio_model.h"

static struct vmodel *vmodel_of(const struct virtio_mmio *vm)
{
	return (struct vmodel *)(uintptr_t)vm->base;
}

__attribute__((format(printf, 2, 3))) static void vmodel_violation(struct vmodel *m,
								   const char *fmt, ...)
{
	va_list ap;

	if (m->violation[0])
		return; /* the first one is the one to read */
	va_start(ap, fmt);
	vsnprintf(m->violation, sizeof(m->violation), fmt, ap);
	va_end(ap);
}

void vmodel_init(struct vmodel *m, uint64_t sectors, uint64_t extra_features)
{
	memset(m, 0, sizeof(*m));
	m->magic = VIRTIO_MMIO_MAGIC;
	m->version = VIRTIO_MMIO_VERSION_MODERN;
	m->device_id = VIRTIO_ID_BLOCK;
	m->offered = 1ULL << VIRTIO_F_VERSION_1 | 1ULL << VIRTIO_BLK_F_FLUSH | extra_features;
	m->queue_num_max = 1024;
	m->force_status = -1;
	m->capacity = sectors;
	m->blk_size = 4096;
	m->size_max = 1U << 20;
	m->disk_size = sectors * VIRTIO_BLK_SECTOR_SIZE;
	m->disk = malloc(m->disk_size ? m->disk_size : 1);
	if (!m->disk)
		abort();
	for (size_t i = 0; i < m->disk_size; i++)
		m->disk[i] = (uint8_t)(i * 7 + i / VIRTIO_BLK_SECTOR_SIZE);
}

void vmodel_free(struct vmodel *m)
{
	free(m->disk);
	m->disk = NULL;
}

void vmodel_attach_dma(struct vmodel *m, void *dma, size_t size)
{
	m->dma = dma;
	m->dma_size = size;
}

/* The device's view of bus address [@pa, @pa + @len): the DMA buffer only. */
static uint8_t *vmodel_pa(struct vmodel *m, uint64_t pa, uint64_t len, const char *what)
{
	if (pa < VMODEL_DMA_PA || pa - VMODEL_DMA_PA > m->dma_size ||
	    len > m->dma_size - (pa - VMODEL_DMA_PA)) {
		vmodel_violation(m, "%s at bus address 0x%llx (+%llu) is outside the DMA buffer",
				 what, (unsigned long long)pa, (unsigned long long)len);
		return NULL;
	}
	return m->dma + (pa - VMODEL_DMA_PA);
}

static void vmodel_reset(struct vmodel *m)
{
	m->status = 0;
	m->isr = 0;
	m->drv_features = 0;
	m->queue_num = 0;
	m->queue_ready = 0;
	m->desc_pa = m->driver_pa = m->device_pa = 0;
	m->last_avail = m->used_idx = 0;
}

/* --- the block device ------------------------------------------------------- */

/* One descriptor, checked: where it points and what the device may do with it. */
static uint8_t *vmodel_desc_buf(struct vmodel *m, const struct virtq_desc *d, bool writable,
				const char *what)
{
	if (!!(d->flags & VIRTQ_DESC_F_WRITE) != writable) {
		vmodel_violation(m, "%s descriptor is %s, must be %s", what,
				 d->flags & VIRTQ_DESC_F_WRITE ? "device-writable"
							       : "device-readable",
				 writable ? "device-writable" : "device-readable");
		return NULL;
	}
	return vmodel_pa(m, d->addr, d->len, what);
}

/* The status byte the device owes @type on @sector for @len bytes. */
static uint8_t vmodel_execute(struct vmodel *m, uint32_t type, uint64_t sector, uint8_t *data,
			      uint32_t len)
{
	uint64_t off = sector * VIRTIO_BLK_SECTOR_SIZE;

	if (type == VIRTIO_BLK_T_FLUSH) {
		m->flushes++;
		return VIRTIO_BLK_S_OK;
	}
	if (type != VIRTIO_BLK_T_IN && type != VIRTIO_BLK_T_OUT)
		return VIRTIO_BLK_S_UNSUPP;
	if (len % VIRTIO_BLK_SECTOR_SIZE)
		vmodel_violation(m, "data length %u is not whole sectors", len);
	if (m->drv_features >> VIRTIO_BLK_F_SIZE_MAX & 1 && len > m->size_max)
		vmodel_violation(m, "data length %u above size_max %u", len, m->size_max);
	if (sector > m->capacity || len > m->disk_size - off)
		return VIRTIO_BLK_S_IOERR;
	if (type == VIRTIO_BLK_T_OUT && m->offered >> VIRTIO_BLK_F_RO & 1)
		return VIRTIO_BLK_S_IOERR;
	if (type == VIRTIO_BLK_T_IN)
		memcpy(data, m->disk + off, len);
	else
		memcpy(m->disk + off, data, len);
	return VIRTIO_BLK_S_OK;
}

/* The chain at @head: header, optional data, status (§5.2.6). Bytes written, or -1. */
static long vmodel_request(struct vmodel *m, uint16_t head)
{
	struct virtq_desc *table = (struct virtq_desc *)vmodel_pa(
		m, m->desc_pa, (uint64_t)m->queue_num * sizeof(struct virtq_desc),
		"descriptor table");
	struct virtq_desc *chain[4];
	struct virtio_blk_req_hdr hdr;
	uint8_t *hbuf, *data = NULL, *status;
	uint32_t len = 0;
	int n = 0;

	if (!table)
		return -1;
	for (uint16_t i = head;; i = table[i].next) {
		if (i >= m->queue_num || n == 4) {
			vmodel_violation(m, "chain from %u: descriptor %u / length %d", head, i, n);
			return -1;
		}
		chain[n++] = &table[i];
		if (!(table[i].flags & VIRTQ_DESC_F_NEXT))
			break;
	}
	if (n < 2) {
		vmodel_violation(m, "chain of %d descriptors", n);
		return -1;
	}
	hbuf = vmodel_desc_buf(m, chain[0], false, "header");
	if (!hbuf)
		return -1;
	if (chain[0]->len != sizeof(hdr)) {
		vmodel_violation(m, "header descriptor of %u bytes", chain[0]->len);
		return -1;
	}
	memcpy(&hdr, hbuf, sizeof(hdr));
	if (n == 3) {
		data = vmodel_desc_buf(m, chain[1], hdr.type == VIRTIO_BLK_T_IN, "data");
		len = chain[1]->len;
		if (!data)
			return -1;
	} else if (hdr.type != VIRTIO_BLK_T_FLUSH) {
		vmodel_violation(m, "type %u request without data", hdr.type);
		return -1;
	}
	if (hdr.type == VIRTIO_BLK_T_FLUSH && (n != 2 || hdr.sector))
		vmodel_violation(m, "flush with %d descriptors, sector %llu", n,
				 (unsigned long long)hdr.sector);
	status = vmodel_desc_buf(m, chain[n - 1], true, "status");
	if (!status)
		return -1;
	if (chain[n - 1]->len != 1)
		vmodel_violation(m, "status descriptor of %u bytes", chain[n - 1]->len);
	m->last_data_len = len;
	uint8_t s = vmodel_execute(m, hdr.type, hdr.sector, data, len);
	if (m->force_status >= 0) {
		s = (uint8_t)m->force_status;
		m->force_status = -1;
	}
	if (m->skip_status) {
		m->skip_status = false;
		return hdr.type == VIRTIO_BLK_T_IN ? len : 0;
	}
	*status = s;
	return (hdr.type == VIRTIO_BLK_T_IN ? len : 0) + 1;
}

void vmodel_process(struct vmodel *m)
{
	struct virtq_avail *avail;
	struct virtq_used *used;

	if (!m->queue_ready || !(m->status & VIRTIO_STATUS_DRIVER_OK)) {
		vmodel_violation(m, "notified before the queue was ready and DRIVER_OK");
		return;
	}
	avail = (struct virtq_avail *)vmodel_pa(m, m->driver_pa, 4 + 2 * m->queue_num,
						"available ring");
	used = (struct virtq_used *)vmodel_pa(m, m->device_pa, 4 + 8 * m->queue_num, "used ring");
	if (!avail || !used)
		return;
	if ((uint16_t)(avail->idx - m->last_avail) > m->queue_num)
		vmodel_violation(m, "available idx %u is %u ahead of %u", avail->idx,
				 (uint16_t)(avail->idx - m->last_avail), m->last_avail);
	while (m->last_avail != avail->idx && !m->violation[0]) {
		uint16_t head = avail->ring[m->last_avail % m->queue_num];
		long written = vmodel_request(m, head);

		if (written < 0)
			return;
		m->requests++;
		used->ring[m->used_idx % m->queue_num].id = head;
		used->ring[m->used_idx % m->queue_num].len = (uint32_t)written;
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		used->idx = ++m->used_idx;
		m->last_avail++;
		m->isr |= VIRTIO_MMIO_INT_VRING;
	}
}

/* --- the register file ---------------------------------------------------------- */

static uint32_t vmodel_config_read(struct vmodel *m, unsigned int off)
{
	uint8_t cfg[VIRTIO_BLK_CFG_END] = { 0 };
	uint32_t v;

	if (m->config_change_after && ++m->config_reads == m->config_change_after + 1) {
		m->capacity = m->new_capacity;
		m->config_generation++;
	}
	memcpy(cfg + VIRTIO_BLK_CFG_CAPACITY, &m->capacity, 8);
	memcpy(cfg + VIRTIO_BLK_CFG_SIZE_MAX, &m->size_max, 4);
	memcpy(cfg + VIRTIO_BLK_CFG_BLK_SIZE, &m->blk_size, 4);
	if (off % 4 || off + 4 > sizeof(cfg)) {
		vmodel_violation(m, "config read at 0x%x", off);
		return 0;
	}
	memcpy(&v, cfg + off, 4);
	return v;
}

uint32_t virtio_mmio_read(const struct virtio_mmio *vm, unsigned int off)
{
	struct vmodel *m = vmodel_of(vm);

	switch (off) {
	case VIRTIO_MMIO_MAGIC_VALUE:
		return m->magic;
	case VIRTIO_MMIO_VERSION:
		return m->version;
	case VIRTIO_MMIO_DEVICE_ID:
		m->device_id_read = true;
		return m->device_id;
	case VIRTIO_MMIO_VENDOR_ID:
		return 0x554d4551; /* "QEMU" */
	case VIRTIO_MMIO_DEVICE_FEATURES:
		return m->dev_features_sel > 1
			       ? 0
			       : (uint32_t)(m->offered >> (32 * m->dev_features_sel));
	case VIRTIO_MMIO_QUEUE_NUM_MAX:
		return m->queue_sel == 0 ? m->queue_num_max : 0;
	case VIRTIO_MMIO_QUEUE_READY:
		return m->queue_sel == 0 ? m->queue_ready : 0;
	case VIRTIO_MMIO_INTERRUPT_STATUS:
		return m->isr;
	case VIRTIO_MMIO_STATUS:
		if (m->status == 0 && m->reset_reads) {
			if (m->reset_reads > 0)
				m->reset_reads--;
			return VIRTIO_STATUS_ACKNOWLEDGE; /* still resetting */
		}
		return m->status;
	case VIRTIO_MMIO_CONFIG_GENERATION:
		return m->config_generation;
	}
	if (off >= VIRTIO_MMIO_CONFIG)
		return vmodel_config_read(m, off - VIRTIO_MMIO_CONFIG);
	vmodel_violation(m, "read of write-only or unknown register 0x%03x", off);
	return 0;
}

static void vmodel_status_write(struct vmodel *m, uint32_t val)
{
	uint32_t newbits = val & ~m->status;

	if (m->nstatus < VMODEL_LOG_MAX)
		m->status_log[m->nstatus++] = val;
	if (val == 0) {
		vmodel_reset(m);
		return;
	}
	if (m->status & ~val)
		vmodel_violation(m, "status 0x%x -> 0x%x clears bits without a reset", m->status,
				 val);
	if (newbits & VIRTIO_STATUS_FEATURES_OK) {
		bool ok = !m->refuse_features && !(m->drv_features & ~m->offered) &&
			  m->drv_features >> VIRTIO_F_VERSION_1 & 1;

		if (!ok)
			val &= ~VIRTIO_STATUS_FEATURES_OK; /* §3.1.1 step 6: refused */
	}
	if (newbits & VIRTIO_STATUS_DRIVER_OK && !(m->status & VIRTIO_STATUS_FEATURES_OK))
		vmodel_violation(m, "DRIVER_OK without FEATURES_OK");
	m->status = val;
}

/* Queue registers may change only while the queue is not ready (§4.2.3.2). */
static bool vmodel_queue_writable(struct vmodel *m, unsigned int off)
{
	if (m->queue_sel != 0) {
		vmodel_violation(m, "register 0x%03x written for queue %u", off, m->queue_sel);
		return false;
	}
	if (m->queue_ready) {
		vmodel_violation(m, "register 0x%03x written while the queue is ready", off);
		return false;
	}
	if (!(m->status & VIRTIO_STATUS_FEATURES_OK))
		vmodel_violation(m, "queue set up before FEATURES_OK");
	return true;
}

static void vmodel_set_half(uint64_t *v, bool high, uint32_t val)
{
	*v = high ? (*v & 0xffffffffULL) | (uint64_t)val << 32 : (*v & ~0xffffffffULL) | val;
}

void virtio_mmio_write(const struct virtio_mmio *vm, unsigned int off, uint32_t val)
{
	struct vmodel *m = vmodel_of(vm);

	m->writes++;
	if (!m->device_id_read)
		m->writes_before_probe++;
	switch (off) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
		m->dev_features_sel = val;
		return;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
		m->drv_features_sel = val;
		return;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		if (!(m->status & VIRTIO_STATUS_DRIVER) || m->status & VIRTIO_STATUS_FEATURES_OK)
			vmodel_violation(m, "DriverFeatures written in status 0x%x", m->status);
		if (m->drv_features_sel <= 1)
			vmodel_set_half(&m->drv_features, m->drv_features_sel, val);
		return;
	case VIRTIO_MMIO_QUEUE_SEL:
		m->queue_sel = val;
		return;
	case VIRTIO_MMIO_QUEUE_NUM:
		if (vmodel_queue_writable(m, off))
			m->queue_num = val;
		return;
	case VIRTIO_MMIO_QUEUE_READY:
		if (m->queue_sel != 0)
			break;
		if (val && (!m->queue_num || m->queue_num > m->queue_num_max ||
			    m->queue_num & (m->queue_num - 1)))
			vmodel_violation(m, "queue ready with QueueNum %u", m->queue_num);
		if (val && (m->desc_pa % VIRTQ_DESC_ALIGN || m->driver_pa % VIRTQ_AVAIL_ALIGN ||
			    m->device_pa % VIRTQ_USED_ALIGN))
			vmodel_violation(m, "misaligned queue parts");
		m->queue_ready = val;
		return;
	case VIRTIO_MMIO_QUEUE_NOTIFY:
		m->notifies++;
		if (val != 0)
			vmodel_violation(m, "notify of queue %u", val);
		if (m->mode == VMODEL_IMMEDIATE)
			vmodel_process(m);
		return;
	case VIRTIO_MMIO_INTERRUPT_ACK:
		m->int_acks++;
		m->isr &= ~val;
		return;
	case VIRTIO_MMIO_STATUS:
		vmodel_status_write(m, val);
		return;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		if (vmodel_queue_writable(m, off))
			vmodel_set_half(&m->desc_pa, off == VIRTIO_MMIO_QUEUE_DESC_HIGH, val);
		return;
	case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
	case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
		if (vmodel_queue_writable(m, off))
			vmodel_set_half(&m->driver_pa, off == VIRTIO_MMIO_QUEUE_DRIVER_HIGH, val);
		return;
	case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
	case VIRTIO_MMIO_QUEUE_DEVICE_HIGH:
		if (vmodel_queue_writable(m, off))
			vmodel_set_half(&m->device_pa, off == VIRTIO_MMIO_QUEUE_DEVICE_HIGH, val);
		return;
	}
	vmodel_violation(m, "write of 0x%x to read-only or unknown register 0x%03x", val, off);
}

/* --- the environment -------------------------------------------------------------- */

static int vmodel_wait_irq(void *ctx, uint64_t us)
{
	struct vmodel *m = ctx;

	m->waits++;
	if (m->mode == VMODEL_DEFERRED)
		vmodel_process(m);
	if (!m->isr) {
		m->clock_us += us; /* nothing will come: the whole wait passes */
		return -KEEL_ETIMEDOUT;
	}
	m->clock_us += 10;
	return 0;
}

static void vmodel_irq_done(void *ctx)
{
	struct vmodel *m = ctx;

	m->irq_dones++;
	if (m->isr)
		vmodel_violation(m, "interrupt unmasked before InterruptACK (isr 0x%x)", m->isr);
}

static uint64_t vmodel_now_us(void *ctx)
{
	return ((struct vmodel *)ctx)->clock_us;
}

struct virtio_blk_env vmodel_env(struct vmodel *m)
{
	return (struct virtio_blk_env){
		.wait_irq = vmodel_wait_irq,
		.irq_done = vmodel_irq_done,
		.now_us = vmodel_now_us,
		.ctx = m,
	};
}

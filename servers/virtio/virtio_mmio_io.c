/*
 * virtio_mmio_io.c - register access for the real device: 32-bit volatile
 * loads and stores on the mapped window. The host test links its own
 * pair instead (tests/virtio/virtio_model.c).
 *
 * The window is an I/O region by the platform's physical memory
 * attributes (privileged spec, "Physical Memory Attributes"), uncached;
 * QEMU virt's is strongly ordered, so these accesses reach the device in
 * program order. Ordering them against normal memory (the rings) is the
 * caller's job (virtio_mb() and friends).
 */
#include "virtio_mmio.h"

uint32_t virtio_mmio_read(const struct virtio_mmio *vm, unsigned int off)
{
	return vm->base[off / sizeof(uint32_t)];
}

void virtio_mmio_write(const struct virtio_mmio *vm, unsigned int off, uint32_t val)
{
	vm->base[off / sizeof(uint32_t)] = val;
}

/*
 * mem.c - the objects a task maps: memory (shared pages, DMA buffers, the
 * device tree) and MMIO windows; the control object that stands for the
 * machine; and the system calls over them: mmap, munmap, mem_create,
 * mem_phys, mmio_create.
 *
 * A memory object is physically contiguous, so a device can DMA to it
 * and mem_phys() is one address. Its pages are freed when the last
 * reference goes: a handle, a message carrying it, or a mapping (as.c).
 * An MMIO window may name only what is not RAM, nor the interrupt
 * controller the core drives itself; only a control handle with
 * KEEL_R_DEVICES makes one (devmgr, from init's), and a driver gets just
 * the windows of its device.
 */
#include "mem.h"
#include "mm/as.h"
#include "handle.h"
#include "lib/log.h"
#include "platform/machine.h"
#include "drivers/plic.h"
#include "mm/pmem.h"
#include "lib/string.h"
#include "kernel/task.h"
#include "mm/kmem.h"

#define MEM_MAX_SIZE	(16 * MiB)	/* the most one mem_create may ask */

struct mem_obj {
	struct kobj obj;
	unsigned int refs;		/* atomic; freed at 0 */
	uint64_t pa, size;		/* page-aligned */
	bool owned;			/* pages from pmem, freed with the object */
};

static struct kmem_cache mem_cache = KMEM_CACHE_INIT("memory", struct mem_obj, false);

static struct mem_obj *mem_of(struct kobj *o)
{
	return (struct mem_obj *)o;
}

static void mem_hold(struct kobj *o, unsigned int rights)
{
	(void)rights;
	__atomic_fetch_add(&mem_of(o)->refs, 1, __ATOMIC_RELAXED);
}

static void mem_drop(struct kobj *o, unsigned int rights)
{
	struct mem_obj *m = mem_of(o);

	(void)rights;
	if (__atomic_fetch_sub(&m->refs, 1, __ATOMIC_ACQ_REL) != 1)
		return;
	if (m->owned)
		pmem_free_contig(m->pa, m->size / PAGE_SIZE);
	kmem_free(&mem_cache, m);
}

static const struct kobj_type mem_type = {
	.name = "memory", .type = KEEL_OBJ_MEMORY, .hold = mem_hold, .drop = mem_drop,
};

static const struct kobj_type mmio_type = {
	.name = "mmio", .type = KEEL_OBJ_MMIO, .hold = mem_hold, .drop = mem_drop,
};

/* An object over [pa, pa + size), with one reference; NULL without memory for it. */
static struct mem_obj *mem_alloc(const struct kobj_type *kt, uint64_t pa, uint64_t size,
				 bool owned)
{
	struct mem_obj *m = kmem_alloc(&mem_cache);

	if (!m)
		return NULL;
	m->obj.kt = kt;
	m->refs = 1;
	m->pa = pa;
	m->size = size;
	m->owned = owned;
	return m;
}

/* @size bytes of zeroed contiguous memory as an object with one reference, or NULL. */
static struct mem_obj *mem_new(uint64_t size)
{
	struct mem_obj *m;
	uint64_t pa;

	size = ALIGN_UP(size, PAGE_SIZE);
	if (pmem_alloc_contig(size / PAGE_SIZE, &pa))
		return NULL;
	m = mem_alloc(&mem_type, pa, size, true);
	if (!m) {
		pmem_free_contig(pa, size / PAGE_SIZE);
		return NULL;
	}
	return m;
}

long sys_mem_create(unsigned long size)
{
	struct mem_obj *m;

	if (!size || size > MEM_MAX_SIZE)
		return -KEEL_ERANGE;
	m = mem_new(size);
	if (!m)
		return -KEEL_ENOMEM;
	return handle_install(task_current(), &m->obj, KEEL_R_MEM_ALL);
}

int mem_object_data(long h, const void **data, uint64_t *size)
{
	struct kobj *o;
	int err = handle_get(h, KEEL_OBJ_MEMORY, KEEL_R_MAP_READ, &o);

	if (err)
		return err;
	*data = pa_to_kva(mem_of(o)->pa);
	*size = mem_of(o)->size;
	return 0;
}

long sys_mem_phys(long h)
{
	struct kobj *o;
	long err = handle_get(h, KEEL_OBJ_MEMORY, KEEL_R_MAP_READ, &o);

	if (err)
		return err;
	if (machine_dma_noncoherent >= 0)
		pr_warn("mem: %s[%d] takes a DMA address, and DMA here is not cache-coherent: "
			"it must write back and invalidate the caches around each transfer\n",
			task_current()->name, task_current()->pid);
	return (long)mem_of(o)->pa;
}

/* Does [pa, pa + size) touch RAM, or the PLIC? */
static bool mem_is_private(uint64_t pa, uint64_t size)
{
	const struct dt_info *dt = &machine_dt;

	for (unsigned int i = 0; i < dt->nmem; i++)
		if (pa < dt->mem[i].base + dt->mem[i].size && dt->mem[i].base < pa + size)
			return true;
	return plic_overlaps(pa, size);
}

long sys_mmio_create(long ctl, uint64_t pa, uint64_t size)
{
	struct kobj *o;
	struct mem_obj *m;
	long err = handle_get(ctl, KEEL_OBJ_CONTROL, KEEL_R_DEVICES, &o);
	uint64_t base = pa & ~(PAGE_SIZE - 1);

	if (err)
		return err;
	if (!size || size > 1 * GiB || pa + size < pa || pa + size > DIRECT_MAP_SIZE)
		return -KEEL_ERANGE;
	size = ALIGN_UP(pa + size, PAGE_SIZE) - base;
	if (mem_is_private(base, size)) {
		pr_warn("mem: %s[%d] asked for MMIO at 0x%lx+0x%lx: RAM or the PLIC; refused\n",
			task_current()->name, task_current()->pid, (unsigned long)pa,
			(unsigned long)size);
		return -KEEL_EDENIED;
	}
	m = mem_alloc(&mmio_type, base, size, false);
	if (!m)
		return -KEEL_ENOMEM;
	return handle_install(task_current(), &m->obj,
			      KEEL_R_MAP_READ | KEEL_R_MAP_WRITE | KEEL_R_DUPLICATE | KEEL_R_TRANSFER);
}

long sys_mmap(long h, uintptr_t va, uint64_t size, unsigned long prot)
{
	struct as *as = task_current()->as;
	unsigned int need = KEEL_R_MAP_READ | (prot & KEEL_PROT_WRITE ? KEEL_R_MAP_WRITE : 0);
	unsigned long perm = PTE_R | (prot & KEEL_PROT_WRITE ? PTE_W : 0);
	struct kobj *o = NULL;
	long err;

	if (!(prot & KEEL_PROT_READ) || (prot & ~(KEEL_PROT_READ | KEEL_PROT_WRITE)))
		return -KEEL_EINVAL;
	if (!size || size > 1 * GiB)
		return -KEEL_ERANGE;
	if (h == KEEL_HANDLE_NONE) {
		err = as_mmap(as, &va, size, 0, perm, NULL, 0);
		return err ? err : (long)va;
	}
	err = handle_get(h, KEEL_OBJ_MEMORY, need, &o);
	if (err == -KEEL_EINVAL)
		err = handle_get(h, KEEL_OBJ_MMIO, need, &o);
	if (err)
		return err;
	if (ALIGN_UP(size, PAGE_SIZE) > mem_of(o)->size)
		return -KEEL_ERANGE;
	kobj_hold(o, 0);		/* the mapping's reference */
	err = as_mmap(as, &va, size, mem_of(o)->pa, perm, o, 0);
	if (err) {
		kobj_drop(o, 0);
		return err;
	}
	return (long)va;
}

long sys_munmap(uintptr_t va, uint64_t size)
{
	return as_munmap(task_current()->as, va, size);
}

/* --- the control object -------------------------------------------------- */

static void control_hold(struct kobj *o, unsigned int rights)
{
	(void)o, (void)rights;		/* one, forever */
}

static const struct kobj_type control_type = {
	.name = "control", .type = KEEL_OBJ_CONTROL, .hold = control_hold, .drop = control_hold,
};

static struct kobj control_obj = { .kt = &control_type };

int mem_give_init(struct task *t)
{
	const struct dt_info *dt = &machine_dt;
	struct mem_obj *fdt;
	int h;

	h = handle_install(t, &control_obj, KEEL_R_CONTROL_ALL);
	if (h != KEEL_H_INIT_CONTROL)
		return h < 0 ? h : -KEEL_EBUSY;
	/* A copy of the tree: its own pages show nothing that shares the original's. */
	fdt = mem_new(dt->totalsize);
	if (!fdt)
		return -KEEL_ENOMEM;
	memcpy(pa_to_kva(fdt->pa), machine_fdt, dt->totalsize);
	h = handle_install(t, &fdt->obj, KEEL_R_MAP_READ | KEEL_R_DUPLICATE | KEEL_R_TRANSFER);
	if (h != KEEL_H_INIT_FDT)
		return h < 0 ? h : -KEEL_EBUSY;
	return 0;
}

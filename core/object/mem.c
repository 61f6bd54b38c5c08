/*
 * mem.c - the objects a task maps: memory (shared pages, DMA buffers, the
 * device tree) and MMIO windows; the control object that stands for the
 * machine. Their system calls are syscall/sys_mem.c.
 *
 * A memory object is physically contiguous, so a device can DMA to it
 * and mem_phys() is one address. Its pages are freed when the last
 * reference goes: a handle, a message carrying it, or a mapping (as.c).
 * Each object counts against the quota of the task that made it (one
 * object, and its pages), until it is freed, whoever holds it then.
 * An MMIO window may name only what is not RAM, nor the interrupt
 * controller the core drives itself; only a control handle with
 * KEEL_R_DEVICES makes one (devmgr, from init's), and a driver gets just
 * the windows of its device.
 *
 * A device keeps doing DMA after the driver that started it is gone, into
 * pages that are then freed and handed to someone else. So when a task
 * ends, every MMIO window it maps writable is quiesced (as_quiesce, from
 * process_exit) while its DMA buffers are still mapped: a virtio-mmio
 * device (the window starts with the magic "virt", virtio 1.2, 4.2.2) is
 * reset by writing 0 to its Status register and reading it back until it
 * reads 0 (4.2.2.1: the reset is done then), so it no longer touches
 * memory. Other devices are left as they are (docs/memory.md). A window
 * only mapped read-only (devmgr's probe) is never touched.
 */
#include "mem.h"
#include "mm/as.h"
#include "handle.h"
#include "lib/log.h"
#include "platform/machine.h"
#include "drivers/plic.h"
#include "lib/quota.h"
#include "mm/kmem.h"
#include "mm/pmem.h"
#include "mm/vm.h"
#include "lib/panic.h"
#include "lib/spinlock.h"
#include "kernel/sched.h"
#include "lib/string.h"
#include "kernel/task.h"

struct mem_obj {
	struct kobj obj;
	unsigned int refs;   /* atomic; freed at 0 */
	uint64_t pa, size;   /* page-aligned */
	bool owned;	     /* pages from pmem, freed with the object */
	struct quota *quota; /* charged with it (a reference), or NULL */
};

static struct kmem_cache mem_cache = KMEM_CACHE_INIT("memory", struct mem_obj, false);

static struct mem_obj *mem_of(struct kobj *o)
{
	return (struct mem_obj *)o;
}

/* Charge @q one object and @pages pages: 0, -KEEL_EAGAIN or -KEEL_ENOMEM. */
static int mem_charge(struct quota *q, uint64_t pages)
{
	int err = quota_charge(q, QUOTA_OBJECTS, 1);

	if (err)
		return err;
	err = quota_charge(q, QUOTA_PAGES, pages);
	if (err)
		quota_uncharge(q, QUOTA_OBJECTS, 1);
	return err;
}

/* Give back what mem_charge() took, and the reference mem_alloc() kept. */
static void mem_uncharge(struct quota *q, uint64_t pages)
{
	if (!q)
		return;
	quota_uncharge(q, QUOTA_PAGES, pages);
	quota_uncharge(q, QUOTA_OBJECTS, 1);
	quota_put(q);
}

static void mem_hold(struct kobj *o, unsigned int rights)
{
	(void)rights;
	__atomic_fetch_add(&mem_of(o)->refs, 1, __ATOMIC_RELAXED);
}

static void mem_drop(struct kobj *o, unsigned int rights)
{
	struct mem_obj *m = mem_of(o);
	struct quota *q = m->quota;
	uint64_t pages = m->owned ? m->size / PAGE_SIZE : 0;

	(void)rights;
	if (__atomic_fetch_sub(&m->refs, 1, __ATOMIC_ACQ_REL) != 1)
		return;
	if (m->owned)
		pmem_free_contig(m->pa, pages);
	kmem_free(&mem_cache, m);
	mem_uncharge(q, pages);
}

static const struct kobj_type mem_type = {
	.name = "memory",
	.type = KEEL_OBJ_MEMORY,
	.hold = mem_hold,
	.drop = mem_drop,
};

/* virtio 1.2, 4.2.2: the virtio-mmio registers the core needs to reset a device. */
#define VIRTIO_MMIO_MAGIC_VALUE 0x000
#define VIRTIO_MMIO_VERSION	0x004
#define VIRTIO_MMIO_STATUS	0x070
#define VIRTIO_MMIO_MAGIC	0x74726976 /* "virt", little-endian */
#define VIRTIO_RESET_POLLS	100000	   /* reads of Status before giving up */

static struct spinlock mmio_io_lock = SPINLOCK_INIT; /* VM_IO_VA */

/* mmio_io_lock held: reset the virtio device at @regs if it is one. */
static bool mmio_virtio_reset(volatile uint32_t *regs)
{
	uint32_t version = regs[VIRTIO_MMIO_VERSION / 4];
	unsigned int n = 0;

	if (regs[VIRTIO_MMIO_MAGIC_VALUE / 4] != VIRTIO_MMIO_MAGIC || version < 1 || version > 2)
		return false;
	regs[VIRTIO_MMIO_STATUS / 4] = 0;
	while (regs[VIRTIO_MMIO_STATUS / 4] && ++n < VIRTIO_RESET_POLLS)
		cpu_relax();
	return true;
}

/*
 * The last task driving @o ends (as_quiesce): stop its device's DMA. The
 * window's first page is mapped at VM_IO_VA for the access, on this hart
 * only (interrupts off under the lock, no other hart touches the VA), and
 * flushed here once unmapped.
 */
static void mmio_quiesce(struct kobj *o)
{
	struct mem_obj *m = mem_of(o);
	unsigned long flags;
	bool reset = false;

	if (m->size < PAGE_SIZE)
		return;
	flags = spin_lock_irqsave(&mmio_io_lock);
	if (!vm_map(vm_kernel_root(), VM_IO_VA, m->pa, PAGE_SIZE, PTE_R | PTE_W)) {
		reset = mmio_virtio_reset((volatile uint32_t *)VM_IO_VA);
		if (vm_unmap(vm_kernel_root(), VM_IO_VA, PAGE_SIZE))
			panic("mem: cannot unmap the device page at 0x%lx",
			      (unsigned long)VM_IO_VA);
		__asm__ __volatile__("sfence.vma %0" : : "r"(VM_IO_VA) : "memory");
	}
	spin_unlock_irqrestore(&mmio_io_lock, flags);
	if (reset)
		pr_info("mem: virtio-mmio 0x%lx reset: its driver %s (pid %d) ended\n",
			(unsigned long)m->pa, task_current()->name, task_current()->pid);
}

static const struct kobj_type mmio_type = {
	.name = "mmio",
	.type = KEEL_OBJ_MMIO,
	.hold = mem_hold,
	.drop = mem_drop,
	.quiesce = mmio_quiesce,
};

/*
 * An object over [pa, pa + size), with one reference,
 * charged to @q (the caller has charged it; the object keeps a reference
 * to @q); NULL without memory for it.
 */
static struct mem_obj *mem_alloc(const struct kobj_type *kt, uint64_t pa, uint64_t size, bool owned,
				 struct quota *q)
{
	struct mem_obj *m = kmem_alloc(&mem_cache);

	if (!m)
		return NULL;
	m->obj.kt = kt;
	m->refs = 1;
	m->pa = pa;
	m->size = size;
	m->owned = owned;
	m->quota = q;
	if (q)
		quota_get(q);
	return m;
}

/*
 * @size bytes of zeroed contiguous memory as an object with one
 * reference, charged to @q: 0, -KEEL_ENOMEM or -KEEL_EAGAIN (objects).
 */
static int mem_new(uint64_t size, struct quota *q, struct mem_obj **out)
{
	struct mem_obj *m;
	uint64_t pa;
	int err;

	size = ALIGN_UP(size, PAGE_SIZE);
	err = mem_charge(q, size / PAGE_SIZE);
	if (err)
		return err;
	if (pmem_alloc_contig(size / PAGE_SIZE, &pa)) {
		quota_uncharge(q, QUOTA_PAGES, size / PAGE_SIZE);
		quota_uncharge(q, QUOTA_OBJECTS, 1);
		return -KEEL_ENOMEM;
	}
	m = mem_alloc(&mem_type, pa, size, true, q);
	if (!m) {
		pmem_free_contig(pa, size / PAGE_SIZE);
		quota_uncharge(q, QUOTA_PAGES, size / PAGE_SIZE);
		quota_uncharge(q, QUOTA_OBJECTS, 1);
		return -KEEL_ENOMEM;
	}
	*out = m;
	return 0;
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

/* --- the control object -------------------------------------------------- */

static void control_hold(struct kobj *o, unsigned int rights)
{
	(void)o, (void)rights; /* one, forever */
}

static const struct kobj_type control_type = {
	.name = "control",
	.type = KEEL_OBJ_CONTROL,
	.hold = control_hold,
	.drop = control_hold,
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
	if (mem_new(dt->totalsize, t->quota, &fdt))
		return -KEEL_ENOMEM;
	memcpy(pa_to_kva(fdt->pa), machine_fdt, dt->totalsize);
	h = handle_install(t, &fdt->obj, KEEL_R_MAP_READ | KEEL_R_DUPLICATE | KEEL_R_TRANSFER);
	if (h != KEEL_H_INIT_FDT)
		return h < 0 ? h : -KEEL_EBUSY;
	return 0;
}

int mem_create(uint64_t size, struct quota *q, struct kobj **out)
{
	struct mem_obj *m;
	int err = mem_new(size, q, &m);

	if (!err)
		*out = &m->obj;
	return err;
}

int mmio_create(uint64_t pa, uint64_t size, struct quota *q, struct kobj **out)
{
	struct mem_obj *m;
	int err = mem_charge(q, 0);

	if (err)
		return err;
	m = mem_alloc(&mmio_type, pa, size, false, q);
	if (!m) {
		quota_uncharge(q, QUOTA_OBJECTS, 1);
		return -KEEL_ENOMEM;
	}
	*out = &m->obj;
	return 0;
}

uint64_t mem_obj_pa(struct kobj *o)
{
	return mem_of(o)->pa;
}

uint64_t mem_obj_size(struct kobj *o)
{
	return mem_of(o)->size;
}

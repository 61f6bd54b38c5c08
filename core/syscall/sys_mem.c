/*
 * sys_mem.c - memory from user space: mmap, munmap, mem_create,
 * mem_phys, mmio_create. The objects are object/mem.c, the address
 * spaces mm/as.c.
 *
 * An MMIO window may name only what is not RAM, nor the interrupt
 * controller the core drives itself; only a control handle with
 * KEEL_R_DEVICES makes one (devmgr, from init's).
 */
#include "sys_common.h"
#include "drivers/plic.h"
#include "lib/log.h"
#include "mm/as.h"
#include "object/handle.h"
#include "object/mem.h"
#include "platform/machine.h"

SYSCALL_DEFINE1(mem_create, unsigned long, size)
{
	struct kobj *m;

	long err;

	if (!size || size > MEM_MAX_SIZE)
		return -KEEL_ERANGE;
	err = mem_create(size, task_current()->quota, &m);
	if (err)
		return err;
	return handle_install(task_current(), m, KEEL_R_MEM_ALL);
}

SYSCALL_DEFINE1(mem_phys, long, h)
{
	struct kobj *o;
	long err = handle_get(h, KEEL_OBJ_MEMORY, KEEL_R_MAP_READ, &o);

	if (err)
		return err;
	if (machine_dma_noncoherent >= 0)
		pr_task(task_current(), LOG_WARNING,
			"mem: %s[%d] takes a DMA address; DMA is not cache-coherent here\n",
			task_current()->name, task_current()->pid);
	return (long)mem_obj_pa(o);
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

SYSCALL_DEFINE3(mmio_create, long, ctl, uint64_t, pa, uint64_t, size)
{
	struct kobj *o;
	struct kobj *m;
	long err = handle_get(ctl, KEEL_OBJ_CONTROL, KEEL_R_DEVICES, &o);
	uint64_t base = pa & ~(PAGE_SIZE - 1);

	if (err)
		return err;
	if (!size || size > 1 * GiB || pa + size < pa || pa + size > DIRECT_MAP_SIZE)
		return -KEEL_ERANGE;
	size = ALIGN_UP(pa + size, PAGE_SIZE) - base;
	if (mem_is_private(base, size)) {
		pr_task(task_current(), LOG_WARNING,
			"mem: %s[%d] asked for MMIO at 0x%lx+0x%lx: RAM or the PLIC; refused\n",
			task_current()->name, task_current()->pid, (unsigned long)pa,
			(unsigned long)size);
		return -KEEL_EDENIED;
	}
	err = mmio_create(base, size, task_current()->quota, &m);
	if (err)
		return err;
	return handle_install(task_current(), m,
			      KEEL_R_MAP_READ | KEEL_R_MAP_WRITE | KEEL_R_DUPLICATE |
				      KEEL_R_TRANSFER);
}

SYSCALL_DEFINE4(mmap, long, h, uintptr_t, va, uint64_t, size, unsigned long, prot)
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
	if (ALIGN_UP(size, PAGE_SIZE) > mem_obj_size(o))
		return -KEEL_ERANGE;
	kobj_hold(o, 0); /* the mapping's reference */
	err = as_mmap(as, &va, size, mem_obj_pa(o), perm, o, 0);
	if (err) {
		kobj_drop(o, 0);
		return err;
	}
	return (long)va;
}

SYSCALL_DEFINE2(munmap, uintptr_t, va, uint64_t, size)
{
	return as_munmap(task_current()->as, va, size);
}

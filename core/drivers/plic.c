/*
 * plic.c - the platform-level interrupt controller (RISC-V PLIC spec),
 * and IRQ objects: a device interrupt becomes bits on a notification.
 *
 * The PLIC is the one device the core drives itself, because every
 * driver's interrupt passes through it. The device tree gives its
 * registers, its number of sources (riscv,ndev) and its contexts:
 * interrupts-extended lists one (hart's interrupt controller, cause)
 * pair per context, and the pairs with cause 9 (supervisor external)
 * are ours. A hart without one (JH7110's S7 monitor core has only an
 * M-mode context) simply takes no device interrupts.
 *
 * A source is enabled on one context only, the boot hart's (cpu 0, which
 * never goes offline), so a claim never races with another hart's.
 * When a source fires, the core claims it, signals the bound
 * notification and leaves the claim open: the PLIC's gateway then holds
 * the source back until the driver has served the device and called
 * irq_ack, which completes it. A level-triggered device thus cannot
 * storm the core while its driver is busy or slow.
 *
 * Locking: plic_lock guards the source table and the IRQ objects. Lock
 * order: plic_lock, then a notification's lock.
 */
#include "plic.h"
#include "arch/cpu.h"
#include "object/handle.h"
#include "object/ipc.h"
#include "lib/log.h"
#include "platform/machine.h"
#include "arch/riscv.h"
#include "kernel/smp.h"
#include "lib/spinlock.h"
#include "lib/string.h"
#include "kernel/task.h"
#include "mm/vm.h"
#include "mm/kmem.h"

#define PLIC_MAX_SOURCES	1024
#define PLIC_PRIORITY(s)	(4 * (s))
#define PLIC_ENABLE(ctx, s)	(0x2000 + 0x80 * (ctx) + 4 * ((s) / 32))
#define PLIC_THRESHOLD(ctx)	(0x200000 + 0x1000 * (ctx))
#define PLIC_CLAIM(ctx)		(0x200004 + 0x1000 * (ctx))
#define PLIC_CAUSE_S_EXT	9
/* Where the PLIC appears in the kernel's map: in the kernel stack region's root slot. */
#define PLIC_VA			(KSTACK_BASE + 256 * MiB)
#define PLIC_MAX_SIZE		(256 * MiB)

struct irq_obj {
	struct kobj obj;
	unsigned int refs;		/* guarded by plic_lock; freed at 0 */
	unsigned int source;
	struct kobj *notif;		/* a reference with the signal right */
	unsigned long bits;
	int claimed_ctx;		/* the context whose claim is open, or -1 */
};

static struct spinlock plic_lock = SPINLOCK_INIT;
static volatile uint32_t *plic_regs;	/* NULL: no PLIC */
static uint64_t plic_pa, plic_size;
static unsigned int plic_nsources;
static int plic_ctx[KEEL_MAX_CPUS];	/* cpu -> S-mode context, -1 if none */
static struct irq_obj *plic_src[PLIC_MAX_SOURCES];	/* guarded by plic_lock */
/* One object per bound source at most: the PLIC's riscv,ndev bounds them. */
static struct kmem_cache plic_irq_cache = KMEM_CACHE_INIT("irq", struct irq_obj, false);

static const char *const plic_compatibles[] = {
	"sifive,plic-1.0.0", "riscv,plic0", "starfive,jh7110-plic", "starfive,jh7100-plic",
};

static uint32_t plic_read(unsigned long off)
{
	return plic_regs[off / 4];
}

static void plic_write(unsigned long off, uint32_t v)
{
	plic_regs[off / 4] = v;
}

static bool plic_compat(int node)
{
	for (unsigned int j = 0; j < ARRAY_SIZE(plic_compatibles); j++)
		if (machine_node_compatible(node, plic_compatibles[j]))
			return true;
	return false;
}

/* The harts' interrupt controllers: phandle -> hartid, from one walk of the tree. */
struct plic_intc {
	uint32_t phandle;
	unsigned long hartid;
};

static struct plic_intc plic_intcs[DT_MAX_HARTS];	/* boot hart, plic_init() only */

/*
 * Every node with a phandle whose parent has a reg (a cpu node's
 * interrupt-controller): one walk, so the context lookup below is not a
 * walk per context (256 contexts at 128 harts).
 */
static unsigned int plic_find_intcs(void)
{
	int stack[DT_MAX_DEPTH + 1];	/* the walk's ancestors: no O(n) parent lookups */
	unsigned int n = 0;
	int depth = 0;

	for (int node = dt_next_node(machine_fdt, -1, &depth); node >= 0 && n < DT_MAX_HARTS;
	     node = dt_next_node(machine_fdt, node, &depth)) {
		int len, cpu;
		const void *ph, *reg;

		if (depth < 0 || depth > DT_MAX_DEPTH)
			continue;
		stack[depth] = node;
		if (depth < 1 || !dt_getprop(machine_fdt, node, "interrupt-controller", NULL) ||
		    !dt_getprop(machine_fdt, node, "#interrupt-cells", NULL))
			continue;
		ph = dt_getprop(machine_fdt, node, "phandle", &len);
		if (!ph || len != 4)
			continue;
		cpu = stack[depth - 1];
		reg = cpu >= 0 ? dt_getprop(machine_fdt, cpu, "reg", &len) : NULL;
		if (!reg || (len != 4 && len != 8) ||
		    !dt_getprop(machine_fdt, cpu, "riscv,isa", NULL))
			continue;	/* not a hart's own controller */
		plic_intcs[n].phandle = (uint32_t)dt_read_cells(ph, 1);
		plic_intcs[n].hartid = (unsigned long)dt_read_cells(reg, len / 4);
		n++;
	}
	return n;
}

/* The hartid whose interrupt controller has @phandle, or -1. */
static long plic_hart_of(uint32_t phandle, unsigned int nintc)
{
	for (unsigned int i = 0; i < nintc; i++)
		if (plic_intcs[i].phandle == phandle)
			return (long)plic_intcs[i].hartid;
	return -1;
}

/* Map each cpu to its S-mode context from interrupts-extended. */
static unsigned int plic_find_contexts(int node)
{
	int len;
	const uint8_t *p = dt_getprop(machine_fdt, node, "interrupts-extended", &len);
	unsigned int found = 0, nintc = plic_find_intcs();

	for (unsigned int i = 0; i < KEEL_MAX_CPUS; i++)
		plic_ctx[i] = -1;
	for (int ctx = 0; p && (ctx + 1) * 8 <= len; ctx++) {
		uint32_t phandle = (uint32_t)dt_read_cells(p + ctx * 8, 1);
		uint32_t cause = (uint32_t)dt_read_cells(p + ctx * 8 + 4, 1);
		long hart;
		int cpu;

		if (cause != PLIC_CAUSE_S_EXT)
			continue;
		hart = plic_hart_of(phandle, nintc);
		cpu = hart < 0 ? -1 : smp_cpu((unsigned long)hart);
		if (cpu < 0 || cpu >= KEEL_MAX_CPUS)
			continue;
		plic_ctx[cpu] = ctx;
		found++;
	}
	return found;
}

void plic_init(void)
{
	int depth = 0, node = -1, len;
	const void *reg, *ndev;
	unsigned int nctx;
	uint64_t plic_end = 0;

	for (int n = dt_next_node(machine_fdt, -1, &depth); n >= 0 && node < 0;
	     n = dt_next_node(machine_fdt, n, &depth))
		if (plic_compat(n))
			node = n;
	if (node < 0) {
		pr_warn("plic: none in the device tree: no device interrupts\n");
		return;
	}
	reg = dt_getprop(machine_fdt, node, "reg", &len);
	ndev = dt_getprop(machine_fdt, node, "riscv,ndev", NULL);
	if (!reg || len != 16 || !ndev) {
		pr_err("plic: %s: want reg of 2+2 cells and riscv,ndev; not used\n",
		       dt_node_name(machine_fdt, node));
		return;
	}
	plic_pa = dt_read_cells(reg, 2);
	plic_size = dt_read_cells((const uint8_t *)reg + 8, 2);
	plic_nsources = (unsigned int)dt_read_cells(ndev, 1);
	if (plic_nsources >= PLIC_MAX_SOURCES || plic_size > PLIC_MAX_SIZE ||
	    plic_size < PLIC_CLAIM(0) + 4 || (plic_pa & (PAGE_SIZE - 1))) {
		pr_err("plic: at 0x%lx size 0x%lx with %u sources: out of range; not used\n",
		       (unsigned long)plic_pa, (unsigned long)plic_size, plic_nsources);
		return;
	}
	nctx = plic_find_contexts(node);
	if (plic_ctx[0] < 0 ||
	    PLIC_CLAIM((unsigned long)plic_ctx[0]) + 4 > plic_size) {
		pr_err("plic: no supervisor context for the boot hart; not used\n");
		return;
	}
	/* Only as far as the last of our contexts: page tables cost memory at 512 harts. */
	for (unsigned int cpu = 0; cpu < KEEL_MAX_CPUS; cpu++)
		if (plic_ctx[cpu] >= 0 && PLIC_CLAIM((unsigned long)plic_ctx[cpu]) + 4 > plic_end)
			plic_end = PLIC_CLAIM((unsigned long)plic_ctx[cpu]) + 4;
	if (plic_end > plic_size ||
	    vm_map(vm_kernel_root(), PLIC_VA, plic_pa, ALIGN_UP(plic_end, PAGE_SIZE),
		   PTE_R | PTE_W)) {
		pr_err("plic: cannot map its registers; not used\n");
		return;
	}
	plic_regs = (volatile uint32_t *)PLIC_VA;
	for (unsigned int s = 1; s <= plic_nsources; s++)
		plic_write(PLIC_PRIORITY(s), 0);
	pr_info("plic: %s at 0x%lx, %u sources, %u supervisor contexts; device interrupts go "
		"to hart %lu\n", dt_node_name(machine_fdt, node), (unsigned long)plic_pa,
		plic_nsources, nctx, smp_hartid(0));
}

void plic_init_hart(void)
{
	unsigned int cpu = this_cpu()->id;
	int ctx = cpu < KEEL_MAX_CPUS ? plic_ctx[cpu] : -1;

	if (!plic_regs || ctx < 0)
		return;
	/* Every source off here; the boot hart takes those a driver binds. */
	for (unsigned int s = 0; s <= plic_nsources; s += 32)
		plic_write(PLIC_ENABLE((unsigned long)ctx, s), 0);
	plic_write(PLIC_THRESHOLD((unsigned long)ctx), 0);
	if (cpu == 0)
		csr_set(sie, SIE_SEIE);
}

bool plic_overlaps(uint64_t pa, uint64_t size)
{
	return plic_size && pa < plic_pa + plic_size && plic_pa < pa + size;
}

/* plic_lock held: source @s on or off at the boot hart's context. */
static void plic_enable(unsigned int s, bool on)
{
	unsigned long off = PLIC_ENABLE((unsigned long)plic_ctx[0], s);
	uint32_t bit = 1U << (s % 32);

	plic_write(off, on ? plic_read(off) | bit : plic_read(off) & ~bit);
	plic_write(PLIC_PRIORITY(s), on ? 1 : 0);
}

void plic_interrupt(void)
{
	int ctx = plic_ctx[this_cpu()->id];

	if (!plic_regs || ctx < 0)
		return;
	for (;;) {
		uint32_t s = plic_read(PLIC_CLAIM((unsigned long)ctx));
		struct irq_obj *q;

		if (!s)
			break;
		spin_lock(&plic_lock);
		q = s < PLIC_MAX_SOURCES ? plic_src[s] : NULL;
		if (q) {
			q->claimed_ctx = ctx;
			ipc_notif_signal(q->notif, q->bits);
		} else {
			/* Nobody's: switch it off so it cannot come back. */
			if (s <= plic_nsources)
				plic_enable(s, false);
			plic_write(PLIC_CLAIM((unsigned long)ctx), s);
		}
		spin_unlock(&plic_lock);
	}
}

/* --- IRQ objects ------------------------------------------------------------ */

static struct irq_obj *irq_of(struct kobj *o)
{
	return (struct irq_obj *)o;
}

static void irq_hold(struct kobj *o, unsigned int rights)
{
	unsigned long flags = spin_lock_irqsave(&plic_lock);

	(void)rights;
	irq_of(o)->refs++;
	spin_unlock_irqrestore(&plic_lock, flags);
}

static void irq_drop(struct kobj *o, unsigned int rights)
{
	struct irq_obj *q = irq_of(o);
	unsigned long flags = spin_lock_irqsave(&plic_lock);
	struct kobj *notif = NULL;

	(void)rights;
	if (!--q->refs) {
		plic_enable(q->source, false);
		if (q->claimed_ctx >= 0)
			plic_write(PLIC_CLAIM((unsigned long)q->claimed_ctx), q->source);
		plic_src[q->source] = NULL;
		notif = q->notif;
	}
	spin_unlock_irqrestore(&plic_lock, flags);
	if (notif) {
		kobj_drop(notif, KEEL_R_SIGNAL);
		kmem_free(&plic_irq_cache, q);	/* the interrupt path finds it no more */
	}
}

static const struct kobj_type irq_type = {
	.name = "irq", .type = KEEL_OBJ_IRQ, .hold = irq_hold, .drop = irq_drop,
};

long sys_irq_create(long ctl, unsigned long source, long notif_h, unsigned long bits)
{
	struct kobj *c, *n;
	struct irq_obj *q;
	unsigned long flags;
	long err = handle_get(ctl, KEEL_OBJ_CONTROL, KEEL_R_DEVICES, &c);

	if (!err)
		err = handle_get(notif_h, KEEL_OBJ_NOTIFICATION, KEEL_R_SIGNAL, &n);
	if (err)
		return err;
	if (!plic_regs)
		return -KEEL_ENOTSUP;
	if (!source || source > plic_nsources || !bits)
		return -KEEL_ERANGE;
	q = kmem_alloc(&plic_irq_cache);
	if (!q)
		return -KEEL_ENOMEM;
	kobj_hold(n, KEEL_R_SIGNAL);
	flags = spin_lock_irqsave(&plic_lock);
	if (plic_src[source]) {
		spin_unlock_irqrestore(&plic_lock, flags);
		kobj_drop(n, KEEL_R_SIGNAL);
		kmem_free(&plic_irq_cache, q);
		return -KEEL_EBUSY;
	}
	q->obj.kt = &irq_type;
	q->refs = 1;
	q->source = (unsigned int)source;
	q->notif = n;
	q->bits = bits;
	q->claimed_ctx = -1;
	plic_src[source] = q;
	plic_enable((unsigned int)source, true);
	spin_unlock_irqrestore(&plic_lock, flags);
	return handle_install(task_current(), &q->obj, KEEL_R_DUPLICATE | KEEL_R_TRANSFER);
}

long sys_irq_ack(long h)
{
	struct kobj *o;
	struct irq_obj *q;
	unsigned long flags;
	long err = handle_get(h, KEEL_OBJ_IRQ, 0, &o);

	if (err)
		return err;
	q = irq_of(o);
	flags = spin_lock_irqsave(&plic_lock);
	if (q->claimed_ctx >= 0) {
		plic_write(PLIC_CLAIM((unsigned long)q->claimed_ctx), q->source);
		q->claimed_ctx = -1;
	}
	spin_unlock_irqrestore(&plic_lock, flags);
	return 0;
}

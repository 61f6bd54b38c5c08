/*
 * plic.c - the platform-level interrupt controller (RISC-V PLIC spec).
 * A higher layer attaches a handler to a source (object/irq.c: a device
 * interrupt becomes bits on a notification); this file knows no object.
 *
 * The PLIC is the one device the core drives itself, because every
 * driver's interrupt passes through it. The device tree gives its
 * registers, its number of sources (riscv,ndev) and its contexts:
 * interrupts-extended lists one (hart's interrupt controller, cause)
 * pair per context, and the pairs with cause 9 (supervisor external)
 * are ours. A hart without one (JH7110's S7 monitor core has only an
 * M-mode context) simply takes no device interrupts.
 *
 * A source is enabled on one context only, so a claim never races with
 * another hart's: the context of the hart its driver runs on. A source
 * starts on the hart that attached it and, each time its driver acks it
 * (plic_complete()) from another hart, moves there, so the interrupt
 * wakes the driver where it runs, without an IPI. `irqaffinity=<hartid>`
 * on the command line sends every source to that hart instead, and
 * there it stays. When a hart goes offline (plic_cpu_offline()), its
 * sources move to the boot hart (cpu 0, which never goes offline).
 * When a source fires, the core claims it, calls the attached handler
 * and leaves the claim open: the PLIC's gateway then holds the source
 * back until plic_complete() (the driver's irq_ack). A level-triggered
 * device thus cannot storm the core while its driver is busy or slow.
 *
 * Locking: plic_lock guards the source table and the enable registers;
 * handlers run under it (lock order: plic_lock, then whatever the
 * handler takes).
 */
#include "plic.h"
#include "arch/cpu.h"
#include "lib/log.h"
#include "lib/fmt.h"
#include "platform/machine.h"
#include "arch/riscv.h"
#include "kernel/smp.h"
#include "lib/spinlock.h"
#include "lib/string.h"
#include "platform/cmdline.h"
#include "kernel/task.h"
#include "mm/pmem.h"
#include "mm/vm.h"

#define PLIC_MAX_SOURCES    1024
#define PLIC_PRIORITY(s)    (4 * (s))
#define PLIC_ENABLE(ctx, s) (0x2000 + 0x80 * (ctx) + 4 * ((s) / 32))
#define PLIC_THRESHOLD(ctx) (0x200000 + 0x1000 * (ctx))
#define PLIC_CLAIM(ctx)	    (0x200004 + 0x1000 * (ctx))
#define PLIC_CAUSE_S_EXT    9
/* Where the PLIC appears in the kernel's map: in the kernel stack region's root slot. */
#define PLIC_VA	      (KSTACK_BASE + 256 * MiB)
#define PLIC_MAX_SIZE (256 * MiB)

/* A source's handler and its open claim; guarded by plic_lock. */
struct plic_source {
	plic_handler_t fn; /* NULL: nobody's */
	void *arg;
	int claimed_ctx;  /* the context whose claim is open, or -1 */
	unsigned int cpu; /* the cpu whose context has it enabled */
};

static struct spinlock plic_lock = SPINLOCK_INIT;
static volatile uint32_t *plic_regs; /* NULL: no PLIC */
static uint64_t plic_pa, plic_size;
static unsigned int plic_nsources;
static int *plic_ctx;	       /* cpu -> S-mode context, -1 if none; per cpu */
static int plic_affinity = -1; /* irqaffinity=: every source's cpu, or -1 */
/* Sources 0..plic_nsources, made by plic_init() as the tree says; guarded by plic_lock. */
static struct plic_source *plic_src;

static const char *const plic_compatibles[] __initconst = {
	"sifive,plic-1.0.0",
	"riscv,plic0",
	"starfive,jh7110-plic",
	"starfive,jh7100-plic",
};

static uint32_t plic_read(unsigned long off)
{
	return plic_regs[off / 4];
}

static void plic_write(unsigned long off, uint32_t v)
{
	plic_regs[off / 4] = v;
}

/* Is a "compatible" property @p one of the names a PLIC goes by? */
static __init bool plic_compat(const struct dt_prop *p)
{
	for (unsigned int j = 0; p->val && j < ARRAY_SIZE(plic_compatibles); j++)
		if (machine_compat_has(p->val, p->len, plic_compatibles[j]))
			return true;
	return false;
}

/* The harts' interrupt controllers: phandle -> hartid, from one walk of the tree. */
struct plic_intc {
	uint32_t phandle;
	unsigned long hartid;
};

/* Boot hart, plic_init() only: pages taken for the search and given back after it. */
static struct plic_intc *plic_intcs;
/* A controller per cpu node at most (plic_scan() stops there). */
#define PLIC_INTC_PAGES                                                                            \
	(ALIGN_UP(machine_dt.nharts * sizeof(struct plic_intc), PAGE_SIZE) / PAGE_SIZE)

/*
 * One walk of the tree, properties read on the way (400 nodes at 128
 * harts): the first PLIC, returned (or -1), and into plic_intcs (*@nintc
 * of them) every node with a phandle whose parent has a reg (a cpu
 * node's interrupt-controller), so the context lookup below is not a
 * walk per context (256 contexts at 128 harts).
 */
static __init int plic_scan(unsigned int *nintc)
{
	static const char *const names[] __initconst = { "interrupt-controller", "#interrupt-cells",
							 "phandle", "compatible" };
	static const char *const cpu_names[] __initconst = { "reg", "riscv,isa" };
	int stack[DT_MAX_DEPTH + 1]; /* the walk's ancestors: no O(n) parent lookups */
	unsigned int n = 0;
	int plic = -1;
	struct dt_iter it = { .node = -1 };
	struct dt_prop ic[4], cpu[2];

	while ((n < machine_dt.nharts || plic < 0) &&
	       !dt_iter_next(machine_fdt, &it, names, 4, ic)) {
		int depth = it.depth, len;

		if (plic < 0 && plic_compat(&ic[3]))
			plic = it.node;
		if (depth < 0 || depth > DT_MAX_DEPTH)
			continue;
		stack[depth] = it.node;
		if (depth < 1 || n == machine_dt.nharts)
			continue;
		if (!ic[0].val || !ic[1].val || !ic[2].val || ic[2].len != 4)
			continue;
		dt_getprops(machine_fdt, stack[depth - 1], cpu_names, 2, cpu);
		len = cpu[0].len;
		if (!cpu[0].val || (len != 4 && len != 8) || !cpu[1].val)
			continue; /* not a hart's own controller */
		plic_intcs[n].phandle = (uint32_t)dt_read_cells(ic[2].val, 1);
		plic_intcs[n].hartid = (unsigned long)dt_read_cells(cpu[0].val, len / 4);
		n++;
	}
	*nintc = n;
	return plic;
}

/* The hartid whose interrupt controller has @phandle, or -1. */
static __init long plic_hart_of(uint32_t phandle, unsigned int nintc)
{
	for (unsigned int i = 0; i < nintc; i++)
		if (plic_intcs[i].phandle == phandle)
			return (long)plic_intcs[i].hartid;
	return -1;
}

/* Map each cpu to its S-mode context from interrupts-extended. */
static __init unsigned int plic_find_contexts(int node, unsigned int nintc)
{
	int len;
	const uint8_t *p = dt_getprop(machine_fdt, node, "interrupts-extended", &len);
	unsigned int found = 0;

	plic_ctx = smp_alloc_percpu(sizeof(*plic_ctx), "PLIC contexts");
	for (unsigned int i = 0; i < smp_possible_cpus(); i++)
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
		if (cpu < 0)
			continue;
		plic_ctx[cpu] = ctx;
		found++;
	}
	return found;
}

/* irqaffinity= (platform/cmdline.c): its cpu, or -1 (none, or no such hart: said). */
static __init int plic_parse_affinity(void)
{
	unsigned long hart = (unsigned long)cmdline.irqaffinity;
	int cpu;

	if (cmdline.irqaffinity < 0)
		return -1;
	cpu = smp_cpu(hart);
	if (cpu < 0 || plic_ctx[cpu] < 0) {
		pr_warn("plic: irqaffinity=%lu: no such hart with an S-mode context; ignored\n",
			hart);
		return -1;
	}
	return cpu;
}

/* plic_init() with what plic_scan() found: check, map and set up the PLIC at @node. */
static __init void plic_setup(int node, unsigned int nintc)
{
	int len;
	const void *reg, *ndev;
	unsigned int nctx;
	uint64_t plic_end = 0, src_pa;
	const char *to = "the hart of their driver";
	char hart[40]; /* "hart " 20 digits " (irqaffinity=)" */

	if (node < 0) {
		pr_warn("plic: none in the device tree; no interrupts\n");
		return;
	}
	reg = dt_getprop(machine_fdt, node, "reg", &len);
	ndev = dt_getprop(machine_fdt, node, "riscv,ndev", NULL);
	if (!reg || len != 16 || !ndev) {
		pr_err("plic: %s: no 2+2-cell reg or riscv,ndev; not used\n",
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
	nctx = plic_find_contexts(node, nintc);
	if (plic_ctx[0] < 0 || PLIC_CLAIM((unsigned long)plic_ctx[0]) + 4 > plic_size) {
		pr_err("plic: no S-mode context for the boot hart; not used\n");
		return;
	}
	/* Only as far as the last of our contexts: page tables cost memory at 512 harts. */
	for (unsigned int cpu = 0; cpu < smp_possible_cpus(); cpu++)
		if (plic_ctx[cpu] >= 0 && PLIC_CLAIM((unsigned long)plic_ctx[cpu]) + 4 > plic_end)
			plic_end = PLIC_CLAIM((unsigned long)plic_ctx[cpu]) + 4;
	if (plic_end > plic_size || vm_map(vm_kernel_root(), PLIC_VA, plic_pa,
					   ALIGN_UP(plic_end, PAGE_SIZE), PTE_R | PTE_W)) {
		pr_err("plic: cannot map its registers; not used\n");
		return;
	}
	if (pmem_alloc_contig(ALIGN_UP((plic_nsources + 1) * sizeof(*plic_src), PAGE_SIZE) /
				      PAGE_SIZE,
			      &src_pa)) {
		pr_err("plic: no memory for %u sources; not used\n", plic_nsources);
		return;
	}
	plic_src = pa_to_kva(src_pa);
	plic_regs = (volatile uint32_t *)PLIC_VA;
	for (unsigned int s = 1; s <= plic_nsources; s++)
		plic_write(PLIC_PRIORITY(s), 0);
	plic_affinity = plic_parse_affinity();
	if (plic_affinity >= 0) {
		fmt_snprintf(hart, sizeof(hart), "hart %lu (irqaffinity=)",
			     smp_hartid((unsigned)plic_affinity));
		to = hart;
	}
	pr_info("plic: %s at 0x%lx, %u sources, %u supervisor contexts; device interrupts go to "
		"%s\n",
		dt_node_name(machine_fdt, node), (unsigned long)plic_pa, plic_nsources, nctx, to);
}

__init void plic_init(void)
{
	unsigned int nintc;
	uint64_t pa;

	if (pmem_alloc_contig(PLIC_INTC_PAGES, &pa)) {
		pr_err("plic: no memory to look for it; no interrupts\n");
		return;
	}
	plic_intcs = pa_to_kva(pa);
	plic_setup(plic_scan(&nintc), nintc);
	pmem_free_contig(pa, PLIC_INTC_PAGES);
	plic_intcs = NULL;
}

void plic_init_hart(void)
{
	unsigned int cpu = this_cpu()->id;
	int ctx;

	if (!plic_regs || (ctx = plic_ctx[cpu]) < 0)
		return;
	/* Every source off here; a source comes when its driver acks from here. */
	for (unsigned int s = 0; s <= plic_nsources; s += 32)
		plic_write(PLIC_ENABLE((unsigned long)ctx, s), 0);
	plic_write(PLIC_THRESHOLD((unsigned long)ctx), 0);
	csr_set(sie, SIE_SEIE);
}

bool plic_overlaps(uint64_t pa, uint64_t size)
{
	return plic_size && pa < plic_pa + plic_size && plic_pa < pa + size;
}

/* plic_lock held: source @s's enable bit at @cpu's context. */
static void plic_enable_at(unsigned int cpu, unsigned int s, bool on)
{
	unsigned long off = PLIC_ENABLE((unsigned long)plic_ctx[cpu], s);
	uint32_t bit = 1U << (s % 32);

	plic_write(off, on ? plic_read(off) | bit : plic_read(off) & ~bit);
}

/* plic_lock held: source @s on (at its cpu's context) or off. */
static void plic_enable(unsigned int s, bool on)
{
	plic_enable_at(plic_src[s].cpu, s, on);
	plic_write(PLIC_PRIORITY(s), on ? 1 : 0);
}

/* Can @cpu take device interrupts: online, staying, with a context? */
static bool plic_cpu_ok(unsigned int cpu)
{
	return cpu < smp_possible_cpus() && plic_ctx[cpu] >= 0 && smp_cpu_online(cpu) &&
	       !__atomic_load_n(&cpus[cpu].dying, __ATOMIC_ACQUIRE);
}

/*
 * plic_lock held: source @s (attached) to @cpu's context. Enabled at the
 * new context before it is disabled at the old, so a pending interrupt
 * is never lost; an open claim stays with the context that made it
 * (claimed_ctx), where plic_complete() ends it.
 */
static void plic_move(unsigned int s, unsigned int cpu)
{
	unsigned int old = plic_src[s].cpu;

	if (old == cpu)
		return;
	plic_enable_at(cpu, s, true);
	plic_enable_at(old, s, false);
	plic_src[s].cpu = cpu;
}

unsigned long plic_source_hart(unsigned int source)
{
	return plic_src && source && source <= plic_nsources ? smp_hartid(plic_src[source].cpu) : 0;
}

/* plic_lock held: source @s, claimed at @ctx, is nobody's: off, so it cannot come back. */
static __attribute__((noinline)) void plic_spurious(int ctx, uint32_t s)
{
	if (s <= plic_nsources) {
		plic_enable_at(this_cpu()->id, s, false);
		plic_write(PLIC_PRIORITY(s), 0);
	}
	plic_write(PLIC_CLAIM((unsigned long)ctx), s);
}

void plic_interrupt(void)
{
	int ctx;
	uint32_t s;

	if (!plic_regs || (ctx = plic_ctx[this_cpu()->id]) < 0)
		return;
	/* Claim until the context has nothing pending (PLIC spec: a claim of 0). */
	while ((s = plic_read(PLIC_CLAIM((unsigned long)ctx)))) {
		struct plic_source *src = &plic_src[s <= plic_nsources ? s : 0];

		spin_lock(&plic_lock);
		if (s <= plic_nsources && src->fn) {
			src->claimed_ctx = ctx;
			src->fn(src->arg, s);
		} else {
			plic_spurious(ctx, s);
		}
		spin_unlock(&plic_lock);
	}
}

int plic_attach(unsigned int source, plic_handler_t fn, void *arg)
{
	unsigned long flags;
	unsigned int cpu;

	if (!plic_regs)
		return -KEEL_ENOTSUP;
	if (!source || source > plic_nsources)
		return -KEEL_ERANGE;
	flags = spin_lock_irqsave(&plic_lock);
	if (plic_src[source].fn) {
		spin_unlock_irqrestore(&plic_lock, flags);
		return -KEEL_EBUSY;
	}
	cpu = plic_affinity >= 0 ? (unsigned int)plic_affinity : this_cpu()->id;
	plic_src[source] = (struct plic_source){ fn, arg, -1, plic_cpu_ok(cpu) ? cpu : 0 };
	plic_enable(source, true);
	spin_unlock_irqrestore(&plic_lock, flags);
	pr_debug("plic: source %u on hart %lu\n", source, smp_hartid(plic_src[source].cpu));
	return 0;
}

/* plic_lock held: complete @src's open claim, if any. */
static void plic_complete_locked(unsigned int source)
{
	struct plic_source *src = &plic_src[source];

	if (src->claimed_ctx >= 0) {
		plic_write(PLIC_CLAIM((unsigned long)src->claimed_ctx), source);
		src->claimed_ctx = -1;
	}
}

void plic_detach(unsigned int source)
{
	unsigned long flags = spin_lock_irqsave(&plic_lock);

	plic_enable(source, false);
	plic_complete_locked(source);
	plic_src[source].fn = NULL;
	plic_src[source].arg = NULL;
	spin_unlock_irqrestore(&plic_lock, flags);
}

void plic_complete(unsigned int source)
{
	unsigned long flags = spin_lock_irqsave(&plic_lock);
	unsigned int me = this_cpu()->id; /* interrupts are off */

	plic_complete_locked(source);
	/* The driver acks where it runs: its next interrupt comes here. */
	if (plic_src[source].fn && plic_affinity < 0 && plic_src[source].cpu != me &&
	    plic_cpu_ok(me)) {
		pr_debug("plic: source %u follows its driver from hart %lu to hart %lu\n", source,
			 smp_hartid(plic_src[source].cpu), smp_hartid(me));
		plic_move(source, me);
	}
	spin_unlock_irqrestore(&plic_lock, flags);
}

void plic_cpu_offline(unsigned int cpu)
{
	unsigned long flags;

	if (!plic_regs)
		return;
	flags = spin_lock_irqsave(&plic_lock);
	for (unsigned int s = 1; s <= plic_nsources; s++) {
		if (!plic_src[s].fn || plic_src[s].cpu != cpu)
			continue;
		plic_move(s, 0);
		pr_info("plic: source %u moves from hart %lu to hart %lu\n", s, smp_hartid(cpu),
			smp_hartid(0));
	}
	spin_unlock_irqrestore(&plic_lock, flags);
}

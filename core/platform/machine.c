/*
 * machine.c - the device tree, as the boot path reads it.
 *
 * core/platform/dt.c parses (and is built for the host too); this file is the
 * kernel's side: find the blob, refuse a broken one with a clear panic,
 * and log what the machine is. Boot hart only, before other harts run.
 */
#include "machine.h"
#include "lib/fmt.h"
#include "lib/log.h"
#include "lib/panic.h"
#include "lib/power.h"
#include "sbi/sbi.h"

struct dt_info machine_dt;
const void *machine_fdt;
uint64_t machine_fdt_pa;

__init bool machine_compat_has(const char *p, int len, const char *want)
{
	for (int i = 0; p && i < len;) {
		int j = 0;

		while (i + j < len && p[i + j] && want[j] && p[i + j] == want[j])
			j++;
		if (i + j < len && !p[i + j] && !want[j])
			return true;
		while (i < len && p[i])
			i++;
		i++;
	}
	return false;
}

__init bool machine_node_compatible(int node, const char *want)
{
	int len;
	const char *p = dt_getprop(machine_fdt, node, "compatible", &len);

	return machine_compat_has(p, len, want);
}

static __init uint32_t machine_cells(int node, const char *name, uint32_t dflt)
{
	int len;
	const void *p = dt_getprop(machine_fdt, node, name, &len);

	return p && len == 4 ? (uint32_t)dt_read_cells(p, 1) : dflt;
}

/*
 * Find the power devices: the test finisher and anything that powers off;
 * tell lib/power.c (power_set_finisher).
 */
static __init void machine_find_power(void)
{
	static const char *const names[] __initconst = { "compatible", "dma-noncoherent" };
	uint64_t finisher_pa = 0;
	bool has_poweroff = false;
	struct dt_iter it = { .node = -1 };
	struct dt_prop p[2];

	/* One pass over the tree, properties read on the way: it is on the boot path. */
	while (!dt_iter_next(machine_fdt, &it, names, 2, p)) {
		int node = it.node, parent, len;
		uint32_t ac;
		const void *reg;
		const char *compat = p[0].val;

		dt_iter_skip_cpus(&it, &machine_dt); /* no devices there */
		len = p[0].len;
		if (machine_dma_noncoherent < 0 && p[1].val)
			machine_dma_noncoherent = node;
		if (!compat)
			continue;
		if (machine_compat_has(compat, len, "syscon-poweroff") ||
		    machine_compat_has(compat, len, "gpio-poweroff"))
			has_poweroff = true;
		if (finisher_pa || (!machine_compat_has(compat, len, "sifive,test0") &&
				    !machine_compat_has(compat, len, "sifive,test1")))
			continue;
		has_poweroff = true;
		parent = dt_parent_offset(machine_fdt, node);
		ac = parent >= 0 ? machine_cells(parent, "#address-cells", 2) : 2;
		reg = dt_getprop(machine_fdt, node, "reg", &len);
		if (reg && (ac == 1 || ac == 2) && len >= (int)(4 * ac))
			finisher_pa = dt_read_cells(reg, (int)ac);
	}
	power_set_finisher(finisher_pa, has_poweroff);
}

int machine_dma_noncoherent = -1;

__init void machine_init(uint64_t fdt_pa)
{
	int err;

	if (!fdt_pa || fdt_pa >= DIRECT_MAP_SIZE - MACHINE_FDT_MAX)
		panic("dt: no device tree from the firmware (a1 = 0x%lx)", (unsigned long)fdt_pa);
	if (fdt_pa & 7)
		panic("dt: device tree at 0x%lx is not 8-byte aligned", (unsigned long)fdt_pa);
	machine_fdt_pa = fdt_pa;
	machine_fdt = pa_to_kva(fdt_pa);

	err = dt_parse(machine_fdt, MACHINE_FDT_MAX, &machine_dt);
	if (err) {
		const struct dt_error *e = &machine_dt.error;

		/*
		 * A sound tree that says something Keel refuses (no memory,
		 * no usable hart ...) still names the test finisher; find it
		 * so the panic exits non-zero instead of resetting.
		 */
		if (!dt_check(machine_fdt, MACHINE_FDT_MAX, NULL))
			machine_find_power();
		panic("dt: bad device tree at 0x%lx: %s (offset 0x%x%s%s)", (unsigned long)fdt_pa,
		      dt_strerror(err), (unsigned int)e->offset, e->node ? ", node " : "",
		      e->node ? e->node : "");
	}
	machine_find_power();
}

__init bool machine_find_hart(unsigned long hartid, struct dt_hart *h)
{
	*h = DT_HART_START;
	while (!dt_next_hart(machine_fdt, &machine_dt, h))
		if (h->hartid == hartid)
			return true;
	return false;
}

static __init bool machine_same_hart(const struct dt_hart *a, const struct dt_hart *b)
{
	const char *p = a->isa, *q = b->isa;

	if (a->state != b->state || a->hartid + 1 != b->hartid)
		return false;
	while (*p && *p == *q)
		p++, q++;
	if (*p != *q)
		return false;
	for (p = a->mmu, q = b->mmu; *p && *p == *q; p++, q++)
		;
	return *p == *q;
}

/* The run of harts @first..@last (one hart if the same). */
static __init void machine_log_run(const struct dt_hart *first, const struct dt_hart *last,
				   unsigned long boot_hartid)
{
	const struct dt_hart *h = first;

	if (first->node == last->node)
		pr_info("cpu: hart %lu: %s, %s, %s%s\n", (unsigned long)h->hartid,
			dt_hart_state_str(h->state), *h->isa ? h->isa : "no ISA",
			*h->mmu ? h->mmu : "no MMU",
			h->hartid == boot_hartid ? " (boot hart)" : "");
	else
		pr_info("cpu: harts %lu-%lu: %s, %s, %s\n", (unsigned long)h->hartid,
			(unsigned long)last->hartid, dt_hart_state_str(h->state),
			*h->isa ? h->isa : "no ISA", *h->mmu ? h->mmu : "no MMU");
}

/*
 * One line per run of consecutive hart ids that agree on state, ISA and
 * MMU, so 128 identical harts take one line and every odd one shows.
 * One walk over the cpu nodes, the run's first and last hart in hand.
 */
static __init void machine_log_harts(unsigned long boot_hartid)
{
	const struct dt_info *dt = &machine_dt;
	struct dt_hart first, last, h = DT_HART_START;

	pr_info("cpu: %u harts in the device tree, %u usable, timebase %u Hz\n", dt->nharts,
		dt->nusable, dt->timebase_hz);
	if (dt_next_hart(machine_fdt, dt, &h))
		return;
	first = last = h;
	while (!dt_next_hart(machine_fdt, dt, &h)) {
		if (machine_same_hart(&last, &h) && h.hartid != boot_hartid &&
		    first.hartid != boot_hartid) {
			last = h;
			continue;
		}
		machine_log_run(&first, &last, boot_hartid);
		first = last = h;
	}
	machine_log_run(&first, &last, boot_hartid);
}

static __init void machine_log_memory(void)
{
	const struct dt_info *dt = &machine_dt;
	uint64_t total = 0;

	for (unsigned int i = 0; i < dt->nmem; i++) {
		const struct dt_region *r = &dt->mem[i];

		pr_info("mem: memory  0x%016lx-0x%016lx %6lu MiB (%s)\n", (unsigned long)r->base,
			(unsigned long)(r->base + r->size - 1), (unsigned long)(r->size / MiB),
			r->name);
		total += r->size;
	}
	pr_info("mem: %lu MiB of memory in %u region%s\n", (unsigned long)(total / MiB), dt->nmem,
		dt->nmem == 1 ? "" : "s");
	for (unsigned int i = 0; i < dt->nresv; i++) {
		const struct dt_region *r = &dt->resv[i];

		pr_info("mem: reserved 0x%016lx-0x%016lx %6lu KiB (%s)\n", (unsigned long)r->base,
			(unsigned long)(r->base + r->size - 1), (unsigned long)(r->size / KiB),
			r->name);
	}
	if (!dt->nresv)
		pr_info("mem: no reserved regions\n");
}

static __init void machine_log_chosen(void)
{
	const struct dt_info *dt = &machine_dt;

	if (dt->has_initrd)
		pr_info("dt: initrd 0x%lx-0x%lx (%lu KiB)\n", (unsigned long)dt->initrd_start,
			(unsigned long)dt->initrd_end,
			(unsigned long)((dt->initrd_end - dt->initrd_start) / KiB));
	if (dt->stdout_path)
		pr_info("dt: stdout-path %.*s%s%s\n", (int)dt->stdout_path_len, dt->stdout_path,
			dt->stdout_opts ? " options " : "", dt->stdout_opts ? dt->stdout_opts : "");
}

__init void machine_log(unsigned long boot_hartid)
{
	pr_info("dt: machine model: %s (device tree at 0x%lx, %u bytes)\n",
		*machine_dt.model ? machine_dt.model : "unknown", (unsigned long)machine_fdt_pa,
		machine_dt.totalsize);
	machine_log_harts(boot_hartid);
	machine_log_memory();
	machine_log_chosen();
	if (machine_dma_noncoherent >= 0)
		pr_warn("dt: DMA is not cache-coherent (dma-noncoherent on %s): drivers must "
			"clean and invalidate caches themselves\n",
			dt_node_name(machine_fdt, machine_dma_noncoherent));
}

/* The extensions the core uses, in the order the log names them. */
static const struct {
	uint8_t have; /* offset of its bool in struct sbi_info */
	char name[7];
} machine_sbi_exts[] __initconst = {
	{ offsetof(struct sbi_info, time), "TIME" }, { offsetof(struct sbi_info, ipi), "IPI" },
	{ offsetof(struct sbi_info, hsm), "HSM" },   { offsetof(struct sbi_info, srst), "SRST" },
	{ offsetof(struct sbi_info, dbcn), "DBCN" },
};

/* " TIME IPI ..." for the extensions the firmware has (@have) or lacks; " none" if none. */
static __init void machine_sbi_list(char *buf, size_t size, bool have)
{
	int len = 0;

	for (unsigned int i = 0; i < ARRAY_SIZE(machine_sbi_exts); i++)
		if (*((const bool *)&sbi + machine_sbi_exts[i].have) == have)
			len += fmt_snprintf(buf + len, size - (size_t)len, " %s",
					    machine_sbi_exts[i].name);
	if (!len)
		fmt_snprintf(buf, size, " none");
}

/* Boot hart, after sbi_probe(): say what the firmware is and offers. */
__init void machine_log_sbi(void)
{
	char have[48], lack[48]; /* all six names fit in either */

	if (!sbi.base) {
		pr_warn("sbi: no base extension (SBI v0.1?): legacy calls\n");
		return;
	}
	/* OpenSBI encodes its version as major << 16 | minor. */
	pr_info("sbi: SBI specification v%lu.%lu, %s v%lu.%lu\n", (sbi.spec_version >> 24) & 0x7f,
		sbi.spec_version & 0xffffff, sbi_impl_name(sbi.impl_id), sbi.impl_version >> 16,
		sbi.impl_version & 0xffff);
	machine_sbi_list(have, sizeof(have), true);
	machine_sbi_list(lack, sizeof(lack), false);
	pr_info("sbi: extensions:%s; missing:%s\n", have, lack);
	pr_info("sbi: console through %s\n", sbi.dbcn ? "DBCN" : "the legacy putchar");
	/* No HSM: smp_init() says so, if there were harts to start. */
	if (!sbi.srst)
		pr_warn("sbi: no SRST extension: legacy shutdown for poweroff\n");
}

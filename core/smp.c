/*
 * smp.c - the hartid <-> cpu map (and, in time, secondary bring-up).
 *
 * Every usable hart of the device tree gets a dense cpu id: the boot hart
 * is cpu 0, the others follow in tree order. The map is written by the
 * boot hart before any other hart runs and is read-only after that.
 */
#include "smp.h"
#include "log.h"
#include "machine.h"
#include "panic.h"

struct cpu cpus[KEEL_MAX_CPUS];
static unsigned int smp_ncpus;		/* immutable after boot */

static char boot_emerg_stack[4096] __aligned(16);

void smp_map_init(unsigned long boot_hartid)
{
	const struct dt_info *dt = &machine_dt;
	const struct dt_hart *boot = machine_find_hart(boot_hartid);
	struct cpu *c = &cpus[0];

	if (!boot)
		panic("boot hart %lu is not in the device tree", boot_hartid);
	if (boot->state != DT_HART_USABLE)
		panic("boot hart %lu is not usable: %s", boot_hartid,
		      dt_hart_state_str(boot->state));

	c->hartid = boot_hartid;
	c->id = 0;
	c->stack_lo = (unsigned long)__boot_stack_top - BOOT_STACK_SIZE;
	c->emerg_sp = (unsigned long)boot_emerg_stack + sizeof(boot_emerg_stack);
	__atomic_store_n(&c->state, CPU_ONLINE, __ATOMIC_RELEASE);
	smp_ncpus = 1;

	for (unsigned int i = 0; i < dt->nharts; i++) {
		const struct dt_hart *h = &dt->harts[i];

		if (h->state != DT_HART_USABLE || h == boot)
			continue;
		if (smp_ncpus == KEEL_MAX_CPUS) {
			pr_warn("smp: hart %lu: beyond KEEL_MAX_CPUS (%u), left out\n",
				(unsigned long)h->hartid, KEEL_MAX_CPUS);
			continue;
		}
		cpus[smp_ncpus].hartid = h->hartid;
		cpus[smp_ncpus].id = smp_ncpus;
		smp_ncpus++;
	}
	pr_info("smp: boot hart %lu is cpu 0; %u usable harts\n", boot_hartid, smp_ncpus);
}

unsigned long smp_hartid(unsigned int cpu)
{
	return cpus[cpu].hartid;
}

int smp_cpu(unsigned long hartid)
{
	for (unsigned int i = 0; i < smp_ncpus; i++)
		if (cpus[i].hartid == hartid)
			return (int)i;
	return -KERR_NOENT;
}

unsigned int smp_possible_cpus(void)
{
	return smp_ncpus;
}

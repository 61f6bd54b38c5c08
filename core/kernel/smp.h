/*
 * smp.h - the hartid <-> cpu map. A hartid is the hardware's sparse id;
 * a cpu is Keel's dense index into cpus[]. Convert only with these.
 */
#ifndef KEEL_SMP_H
#define KEEL_SMP_H

#ifndef __ASSEMBLER__
#include "arch/cpu.h"
#include "lib/cpumask.h"

/* Cpus online now; atomic bits. */
extern struct cpumask smp_online_mask;

/*
 * Boot hart, once, after the DT is read: cpu 0 = the boot hart, and how
 * many cpus there are (smp_possible_cpus()); panics if the boot hart is
 * not a usable one.
 */
__init void smp_map_init(unsigned long boot_hartid);
/*
 * Boot hart, once, after pmem_init(): cpus[] for every usable hart, in
 * tree order; the boot hart's entry moves there (tp with it).
 */
__init void smp_cpus_init(void);

unsigned long smp_hartid(unsigned int cpu);
/* -KEEL_ENOENT when the hart is not one Keel runs on. */
int smp_cpu(unsigned long hartid);
/* Usable harts Keel knows (the boot hart included). */
unsigned int smp_possible_cpus(void);
/* Harts smp_init() aimed for (after maxcpus=, nosmp). */
unsigned int smp_expected_cpus(void);
/* Harts online now. */
unsigned int smp_online_cpus(void);
/*
 * Boot hart, after pmem_init(): zeroed memory for an array of @each bytes
 * per possible cpu (what the tree said, not KEEL_MAX_CPUS); panics
 * naming @what if there is none.
 */
__init void *smp_alloc_percpu(size_t each, const char *what);
bool smp_cpu_online(unsigned int cpu);

/*
 * Boot hart, once: start every usable hart (up to maxcpus=) through SBI
 * HSM at once, wait for them all (smp.timeout_ms=), report the missing.
 */
__init void smp_init(void);
/*
 * Hotplug, from a task: take @cpu offline (its tasks move, it leaves the
 * online mask, its hart stops through HSM hart_stop) or bring it back
 * (hart_start into the secondary entry). Not cpu 0, not the last one.
 */
int __must_check smp_hotplug_down(unsigned int cpu);
int __must_check smp_hotplug_up(unsigned int cpu);
/* The dying cpu's last step (sched.c): report, then hart_stop. */
__noreturn void smp_cpu_dead(struct cpu *c);

/*
 * Boot hart, once the hart map is known: start every hart smp_init will
 * bring up (usable, within maxcpus=/nosmp) into the pen, where it sleeps.
 */
__init void smp_park(void);

/* A secondary's first C code (boot/entry.S). */
/* A started hart, from secondary_main() (main.c): before its per-hart init. */
void smp_secondary_enter(struct cpu *c);
/* ... after it: check in with smp_init() and become swapper/N (or stop, if too late). */
__noreturn void smp_secondary_online(struct cpu *c);

#endif /* __ASSEMBLER__ */

#endif

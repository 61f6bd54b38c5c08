/*
 * smp.h - the hartid <-> cpu map. A hartid is the hardware's sparse id;
 * a cpu is Keel's dense index into cpus[]. Convert only with these.
 */
#ifndef KEEL_SMP_H
#define KEEL_SMP_H

#include "cpu.h"

/* Boot hart, once, after the DT is read: cpu 0 = the boot hart. */
void smp_map_init(unsigned long boot_hartid);

unsigned long smp_hartid(unsigned int cpu);
/* -KERR_NOENT when the hart is not one Keel runs on. */
int smp_cpu(unsigned long hartid);
/* Usable harts Keel knows (the boot hart included). */
unsigned int smp_possible_cpus(void);

#endif

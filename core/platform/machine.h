/*
 * machine.h - what the device tree says this machine is. The tree is read
 * once, on the boot hart, by machine_init(); machine_dt is read-only after.
 */
#ifndef KEEL_MACHINE_H
#define KEEL_MACHINE_H

#include "keel.h"
#include "dt.h"

/* The largest tree Keel accepts (Linux's arm64 limit too). */
#define MACHINE_FDT_MAX (2 * MiB)

extern struct dt_info machine_dt;
extern const void *machine_fdt; /* the blob, through the direct map */
extern uint64_t machine_fdt_pa;

/* Boot hart: read and check the tree; a malformed one is a panic with its reason. */
__init void machine_init(uint64_t fdt_pa);
/* Boot hart: the model, the hart table, memory, reserved regions, /chosen. */
__init void machine_log(unsigned long boot_hartid);
/* The cpu node of @hartid into @h: false if the tree has none (one walk of /cpus). */
__init bool machine_find_hart(unsigned long hartid, struct dt_hart *h);
/* Is @want one of the NUL-separated strings of @p (a "compatible" of @len bytes)? */
__init bool machine_compat_has(const char *p, int len, const char *want);
/* Does @node's "compatible" list @want? */
__init bool machine_node_compatible(int node, const char *want);

__init void machine_log_sbi(void);
/*
 * The node that says "dma-noncoherent" (JH7100's /soc), or -1: devices
 * there do not snoop the harts' caches.
 */
extern int machine_dma_noncoherent;

#endif

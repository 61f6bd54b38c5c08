/*
 * grants.h - the one parser of a driver's device grants as they travel
 * in its argv (proto.h): "reg=<pa>,<size>" (the register window) and
 * "irq=<n>" (a PLIC source, or -1 for none). Numbers are C syntax (0x hex
 * or decimal) and must fill their field. devmgr writes these words,
 * init reads them to make the handles it hands a driver, and the drivers
 * read them to know what they were given. Pure: no system calls, so the
 * host tests link it.
 */
#ifndef KEEL_GRANTS_H
#define KEEL_GRANTS_H

#include <stdint.h>

#define KEEL_GRANT_IRQ_NONE (-1L)
#define KEEL_GRANT_IRQ_MAX  1023 /* the PLIC's last source (PLIC spec: 1-1023) */

struct keel_grant {
	uint64_t pa, size; /* reg=: a non-empty window that does not wrap */
	long irq;	   /* irq=, KEEL_GRANT_IRQ_NONE without one */
};

/* *@v = the whole of @s as an unsigned number no larger than @max; 0 or -1. */
int keel_grant_u64(const char *s, uint64_t max, uint64_t *v);
/* The value of a reg= word (after the '='); 0 or -1. */
int keel_grant_reg(const char *val, uint64_t *pa, uint64_t *size);
/* The value of an irq= word; 0 or -1. */
int keel_grant_irq(const char *val, long *irq);
/*
 * reg= and irq= among @argv[1..@argc-1] into @g (irq= may be absent: none).
 * 0; -1 without a good reg=; -2 for a bad irq=.
 */
int keel_grant_parse(int argc, char *const argv[], struct keel_grant *g);

#endif

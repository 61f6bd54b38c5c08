/*
 * drivers.h - devmgr's driver table: which server drives a device-tree
 * node, by its "compatible". Shared with the host tool tools/dtinfo.c,
 * so what dtinfo says of a board is what devmgr does on it.
 *
 * A node's compatible list runs from the most specific string to the
 * most general (DTSpec 2.3.1); driver_match() takes the first string of
 * the list that has an entry, as Linux's of_match_node() does.
 *
 * Header only (static data, static inline lookups), so both the user
 * build (picolibc) and the host build take it without another object.
 */
#ifndef KEEL_DEVMGR_DRIVERS_H
#define KEEL_DEVMGR_DRIVERS_H

#include <stddef.h>
#include <string.h>

struct driver_entry {
	const char *compatible;
	const char *server; /* the binary: /sbin/<server> */
	const char *note;   /* what the server must know, or NULL */
};

static const struct driver_entry driver_table[] = {
	{ "ns16550a", "uart-8250", NULL },
	{ "ns16550", "uart-8250", NULL },
	{ "snps,dw-apb-uart", "uart-8250", "DesignWare: 32-bit accesses only" },
	{ "sifive,uart0", "uart-sifive", NULL },
	{ "virtio,mmio", "virtio-blk", "disks only: devmgr probes the slot" },
};

#define DRIVER_TABLE_LEN (sizeof(driver_table) / sizeof(driver_table[0]))

/*
 * The interrupt controllers the core drives itself (core/drivers/plic.c): never
 * handed to a server, and the only interrupt parents devmgr hands out
 * interrupts of.
 */
static const char *const driver_plic_compatibles[] = {
	"sifive,plic-1.0.0",
	"riscv,plic0",
	"starfive,jh7110-plic",
	"starfive,jh7100-plic",
};

#define DRIVER_PLIC_LEN (sizeof(driver_plic_compatibles) / sizeof(driver_plic_compatibles[0]))

/* The length of the string at @p, bounded by @room (a property need not end in NUL). */
static inline size_t driver_strnlen(const char *p, size_t room)
{
	size_t n = 0;

	while (n < room && p[n])
		n++;
	return n;
}

/*
 * Walk a compatible property (@len bytes of NUL-separated strings at
 * @compat, may be NULL): the entry for its first string that has one,
 * or NULL.
 */
static inline const struct driver_entry *driver_match(const char *compat, int len)
{
	for (size_t i = 0; compat && len > 0 && i < (size_t)len;) {
		size_t n = driver_strnlen(compat + i, (size_t)len - i);

		for (size_t e = 0; e < DRIVER_TABLE_LEN; e++)
			if (strlen(driver_table[e].compatible) == n &&
			    !memcmp(compat + i, driver_table[e].compatible, n))
				return &driver_table[e];
		i += n + 1;
	}
	return NULL;
}

/* Does the compatible property at @compat (@len bytes) name a PLIC the core drives? */
static inline int driver_is_plic(const char *compat, int len)
{
	for (size_t i = 0; compat && len > 0 && i < (size_t)len;) {
		size_t n = driver_strnlen(compat + i, (size_t)len - i);

		for (size_t e = 0; e < DRIVER_PLIC_LEN; e++)
			if (strlen(driver_plic_compatibles[e]) == n &&
			    !memcmp(compat + i, driver_plic_compatibles[e], n))
				return 1;
		i += n + 1;
	}
	return 0;
}

#endif

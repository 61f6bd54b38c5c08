/*
 * devtree.h - what devmgr reads from the device tree: the devices it may
 * hand to a driver server, each with its first register window, its
 * PLIC interrupt, its UART properties and whether it is the console;
 * and the driver argv those make (servers/lib/proto.h's convention).
 *
 * Pure: no system calls, only the core's reader (core/platform/dt.c) over a blob
 * the caller mapped, so the host test (tests/devmgr/devtree_test.c) runs
 * it on every board tree. The system calls are devmgr.c's.
 */
#ifndef KEEL_DEVMGR_DEVTREE_H
#define KEEL_DEVMGR_DEVTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../core/platform/dt.h"
#include "drivers.h"

#define DEVTREE_PATH_MAX  256 /* a node's full path, NUL included */
#define DEVTREE_IRQ_NONE  (-1L)
#define DEVTREE_ARGV_MAX  12  /* binary, path, reg, irq, 4 properties, console, NULL */
#define DEVTREE_ARGS_SIZE 512 /* the strings argv points into */

/* Why a matched device cannot be handed out (DEVTREE_OK: it can). */
enum devtree_skip {
	DEVTREE_OK = 0,
	DEVTREE_REG_CELLS,    /* the parent's #address-cells/#size-cells unreadable */
	DEVTREE_REG_SHORT,    /* reg shorter than one window */
	DEVTREE_REG_UNMAPPED, /* a bus on the way up has no ranges for it */
	DEVTREE_REG_EMPTY,    /* a window of size 0 */
};

/* An optional one-cell property. */
struct devtree_u32 {
	bool present;
	uint32_t val;
};

/*
 * One device: an enabled node with a compatible and a reg, outside
 * /cpus, not the PLIC. @drv is NULL when no server drives it; the rest
 * is filled only for a device with a server.
 */
struct devtree_dev {
	int node;
	char path[DEVTREE_PATH_MAX];
	const char *compatible; /* its first compatible string, in the blob */
	const struct driver_entry *drv;
	enum devtree_skip skip;
	uint64_t pa, size; /* the first window, translated to a CPU address */
	long irq;	   /* PLIC source, or DEVTREE_IRQ_NONE */
	struct devtree_u32 reg_shift, reg_io_width, clock_frequency, current_speed;
	bool console; /* /chosen's stdout-path names it */
};

/* The walker: devtree_init() once, then devtree_next() until it says 0. */
struct devtree {
	const void *blob;
	struct dt_info info;	 /* large (the hart table): keep it static */
	int stdout_node;	 /* < 0: no stdout-path, or it names no node */
	int node, depth;	 /* the last node visited; < 0 before the first */
	int stack[DT_MAX_DEPTH]; /* stack[d]: the ancestor at depth d */
};

/*
 * Check the blob (@size bytes) whole with dt_parse() and find the
 * console node. 0, or -DT_ERR_* with the reason in @why (@len bytes).
 */
int devtree_init(struct devtree *t, const void *blob, size_t size, char *why, size_t len);

/* The next device in tree order into @d: 1, or 0 after the last one. */
int devtree_next(struct devtree *t, struct devtree_dev *d);

/* "reg has no ranges to the CPU", ... for a device's skip reason. */
const char *devtree_skip_str(enum devtree_skip s);

/*
 * The driver's argv for @d (a device with a server, DEVTREE_OK):
 * /sbin/<server> <path> reg=<pa>,<size> irq=<n> [reg-shift=N]
 * [reg-io-width=N] [clock-frequency=N] [current-speed=N] [console],
 * the strings in @buf (@len bytes). The count, or -1 if @buf is short.
 */
int devtree_argv(const struct devtree_dev *d, char *argv[DEVTREE_ARGV_MAX], char *buf, size_t len);

#endif

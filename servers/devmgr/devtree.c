/*
 * devtree.c - the devices devmgr finds in the device tree, and the argv
 * it starts their drivers with (devtree.h).
 *
 * Reads through the core's walker (core/platform/dt.c) only after dt_parse() has
 * accepted the whole blob, so every offset here is sound. The walk keeps
 * the chain of ancestors of the node it is at (stack[]), so a node's
 * parent, its buses and its inherited interrupt-parent cost no second
 * walk; only a phandle costs one (devtree_phandle()).
 *
 * What a device gets, by the DTSpec (v0.4) and the bindings Linux reads:
 *  - reg: the first (address, size) pair in the parent's #address-cells
 *    and #size-cells (absent: 2 and 1, DTSpec 2.3.5), carried up to the
 *    CPU through each bus's "ranges" (2.3.8; empty ranges: the same
 *    address). A bus without ranges is not memory-mapped (I2C, SPI).
 *  - the interrupt: the first cell of "interrupts" when the node's
 *    interrupt parent - its own interrupt-parent, else the nearest
 *    ancestor's, else its tree parent (2.4.1) - is a PLIC the core
 *    drives; or the first specifier of "interrupts-extended" that names
 *    such a PLIC. Anything else (a node without one, an interrupt routed
 *    to another controller) is none: the driver polls.
 *  - reg-shift, reg-io-width, clock-frequency, current-speed: one-cell
 *    properties of the 8250 binding, passed on when present.
 *  - console: /chosen's stdout-path (through /aliases, ":options" cut
 *    off) names the node.
 *
 * Pure: no system calls, no allocation; the host test builds it as is.
 */
#include "devtree.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define DT_CELL		      4 /* bytes in a cell (DTSpec 2.2.4) */
#define DEFAULT_ADDRESS_CELLS 2 /* DTSpec 2.3.5: #address-cells absent */
#define DEFAULT_SIZE_CELLS    1 /* ... #size-cells absent */
#define PLIC_NO_IRQ	      0 /* PLIC spec 1.0: source 0 means "no interrupt" */
#define PHANDLE_NONE	      0 /* DTSpec 2.3.3: 0 and ~0 are never phandles */
#define PHANDLE_BAD	      0xffffffffu

/* --- properties ----------------------------------------------------------------- */

/* A property that is one NUL-terminated string, or NULL. */
static const char *prop_string(const void *blob, int node, const char *name)
{
	int len;
	const char *p = dt_getprop(blob, node, name, &len);

	if (!p || len < 1 || driver_strnlen(p, (size_t)len) != (size_t)len - 1)
		return NULL;
	return p;
}

/* A one-cell property into *@val: 0, or -1 if absent or not one cell. */
static int prop_u32(const void *blob, int node, const char *name, uint32_t *val)
{
	int len;
	const void *p = dt_getprop(blob, node, name, &len);

	if (!p || len != DT_CELL)
		return -1;
	*val = (uint32_t)dt_read_cells(p, 1);
	return 0;
}

static uint32_t cells_of(const void *blob, int node, const char *name, uint32_t dflt)
{
	uint32_t v;

	return prop_u32(blob, node, name, &v) ? dflt : v;
}

static struct devtree_u32 prop_opt(const void *blob, int node, const char *name)
{
	struct devtree_u32 o = { 0 };

	o.present = !prop_u32(blob, node, name, &o.val);
	return o;
}

/* DTSpec 2.3.4: status absent, "okay" or (older trees) "ok". */
static bool node_okay(const void *blob, int node)
{
	const char *s = prop_string(blob, node, "status");

	return !s || !strcmp(s, "okay") || !strcmp(s, "ok");
}

static bool node_is_plic(const void *blob, int node)
{
	int len;
	const char *c = dt_getprop(blob, node, "compatible", &len);

	return driver_is_plic(c, len);
}

/* The node whose phandle (or older linux,phandle) is @ph, or -1. */
static int devtree_phandle(const struct devtree *t, uint32_t ph)
{
	int depth = 0;

	if (ph == PHANDLE_NONE || ph == PHANDLE_BAD)
		return -1;
	for (int n = dt_next_node(t->blob, -1, &depth); n >= 0;
	     n = dt_next_node(t->blob, n, &depth)) {
		uint32_t v;

		if (!prop_u32(t->blob, n, "phandle", &v) && v == ph)
			return n;
		if (!prop_u32(t->blob, n, "linux,phandle", &v) && v == ph)
			return n;
	}
	return -1;
}

/* --- reg ------------------------------------------------------------------------ */

/*
 * Carry @addr from the address space of the bus at depth @d to its
 * parent's, through the bus's ranges: 0, or -1 if none covers it.
 */
static int devtree_translate(const struct devtree *t, int d, uint64_t *addr)
{
	const void *blob = t->blob;
	int bus = t->stack[d], len;
	uint32_t ac = cells_of(blob, bus, "#address-cells", DEFAULT_ADDRESS_CELLS);
	uint32_t sc = cells_of(blob, bus, "#size-cells", DEFAULT_SIZE_CELLS);
	uint32_t pac = cells_of(blob, t->stack[d - 1], "#address-cells", DEFAULT_ADDRESS_CELLS);
	const uint8_t *r = dt_getprop(blob, bus, "ranges", &len);
	int entry = (int)(ac + pac + sc) * DT_CELL;

	if (!r)
		return -1;
	if (len == 0)
		return 0; /* "ranges;": the same addresses one level up */
	if (ac < 1 || ac > 2 || pac < 1 || pac > 2 || sc < 1 || sc > 2)
		return -1;
	for (int i = 0; i + entry <= len; i += entry) {
		uint64_t child = dt_read_cells(r + i, (int)ac);
		uint64_t parent = dt_read_cells(r + i + ac * DT_CELL, (int)pac);
		uint64_t size = dt_read_cells(r + i + (ac + pac) * DT_CELL, (int)sc);

		if (*addr >= child && *addr - child < size) {
			*addr = parent + (*addr - child);
			return 0;
		}
	}
	return -1;
}

/* The first window of the node at depth @depth, as the CPU sees it. */
static enum devtree_skip devtree_reg(const struct devtree *t, int depth, uint64_t *pa,
				     uint64_t *size)
{
	const void *blob = t->blob;
	int parent = t->stack[depth - 1], len;
	uint32_t ac = cells_of(blob, parent, "#address-cells", DEFAULT_ADDRESS_CELLS);
	uint32_t sc = cells_of(blob, parent, "#size-cells", DEFAULT_SIZE_CELLS);
	const uint8_t *reg = dt_getprop(blob, t->stack[depth], "reg", &len);

	if (ac < 1 || ac > 2 || sc > 2)
		return DEVTREE_REG_CELLS;
	if (!reg || len < (int)(ac + sc) * DT_CELL)
		return DEVTREE_REG_SHORT;
	*pa = dt_read_cells(reg, (int)ac);
	*size = sc ? dt_read_cells(reg + ac * DT_CELL, (int)sc) : 0;
	/* Each bus from the parent up to (not including) the root. */
	for (int d = depth - 1; d > 0; d--)
		if (devtree_translate(t, d, pa))
			return DEVTREE_REG_UNMAPPED;
	return *size ? DEVTREE_OK : DEVTREE_REG_EMPTY;
}

const char *devtree_skip_str(enum devtree_skip s)
{
	switch (s) {
	case DEVTREE_OK:
		return "ok";
	case DEVTREE_REG_CELLS:
		return "the parent's #address-cells/#size-cells are not 1 or 2";
	case DEVTREE_REG_SHORT:
		return "reg is shorter than one window";
	case DEVTREE_REG_UNMAPPED:
		return "reg is a bus address with no ranges to the CPU";
	case DEVTREE_REG_EMPTY:
		return "reg has size 0";
	}
	return "?";
}

/* --- interrupts ----------------------------------------------------------------- */

/* The interrupt parent of the node at depth @depth (DTSpec 2.4.1), or -1. */
static int devtree_irq_parent(const struct devtree *t, int depth)
{
	for (int d = depth; d >= 0; d--) {
		uint32_t ph;

		if (!prop_u32(t->blob, t->stack[d], "interrupt-parent", &ph))
			return devtree_phandle(t, ph);
	}
	return depth > 0 ? t->stack[depth - 1] : -1;
}

/* The PLIC source of a specifier's first cell at @cell, or none. */
static long devtree_plic_source(const uint8_t *cell)
{
	uint32_t src = (uint32_t)dt_read_cells(cell, 1);

	return src == PLIC_NO_IRQ ? DEVTREE_IRQ_NONE : (long)src;
}

static long devtree_irq(const struct devtree *t, int depth)
{
	const void *blob = t->blob;
	int node = t->stack[depth], len, parent;
	const uint8_t *p = dt_getprop(blob, node, "interrupts-extended", &len);

	if (p) {
		/* <phandle specifier...>: a PLIC's specifier is one cell. */
		if (len < 2 * DT_CELL)
			return DEVTREE_IRQ_NONE;
		parent = devtree_phandle(t, (uint32_t)dt_read_cells(p, 1));
		if (parent < 0 || !node_is_plic(blob, parent))
			return DEVTREE_IRQ_NONE;
		return devtree_plic_source(p + DT_CELL);
	}
	p = dt_getprop(blob, node, "interrupts", &len);
	if (!p || len < DT_CELL)
		return DEVTREE_IRQ_NONE;
	parent = devtree_irq_parent(t, depth);
	if (parent < 0 || !node_is_plic(blob, parent))
		return DEVTREE_IRQ_NONE;
	return devtree_plic_source(p);
}

/* --- the walk ------------------------------------------------------------------- */

/* /chosen's stdout-path, through /aliases when it is not a path; its node or -1. */
static int devtree_stdout(const struct devtree *t)
{
	char want[DEVTREE_PATH_MAX];
	const char *target = want;
	unsigned int n = t->info.stdout_path_len;
	int node;

	if (!t->info.stdout_path || n >= sizeof(want))
		return -1;
	memcpy(want, t->info.stdout_path, n);
	want[n] = '\0';
	if (want[0] != '/') {
		int aliases = dt_path_offset(t->blob, "/aliases");

		target = aliases >= 0 ? prop_string(t->blob, aliases, want) : NULL;
		if (!target)
			return -1;
	}
	node = dt_path_offset(t->blob, target);
	return node < 0 ? -1 : node;
}

int devtree_init(struct devtree *t, const void *blob, size_t size, char *why, size_t len)
{
	int err = dt_parse(blob, size, &t->info);

	t->blob = blob;
	t->node = -1;
	t->depth = 0;
	t->stdout_node = -1;
	if (err) {
		snprintf(why, len, "%s (offset 0x%x%s%s)", dt_strerror(err),
			 (unsigned int)t->info.error.offset, t->info.error.node ? ", node " : "",
			 t->info.error.node ? t->info.error.node : "");
		t->node = -2; /* devtree_next() finds nothing */
		return err;
	}
	t->stdout_node = devtree_stdout(t);
	return 0;
}

/* The path of the node at depth @depth, from the ancestors' names. */
static void devtree_path(const struct devtree *t, int depth, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int d = 1; d <= depth && used + 1 < len; d++) {
		int n = snprintf(buf + used, len - used, "/%s", dt_node_name(t->blob, t->stack[d]));

		if (n < 0)
			break;
		used += (size_t)n;
	}
	if (!depth)
		snprintf(buf, len, "/");
}

/* Is the node at t->depth a device (devtree.h)? If so, fill @d. */
static bool devtree_fill(const struct devtree *t, struct devtree_dev *d)
{
	const void *blob = t->blob;
	int depth = t->depth, node = t->stack[depth], clen;
	const char *compat = dt_getprop(blob, node, "compatible", &clen);

	if (depth == 0 || !compat || clen <= 0 || !dt_getprop(blob, node, "reg", NULL))
		return false;
	if (!node_okay(blob, node) || node_is_plic(blob, node))
		return false;
	if (depth >= 2 && !strcmp(dt_node_name(blob, t->stack[1]), "cpus"))
		return false; /* harts and their interrupt controllers: the core's */

	memset(d, 0, sizeof(*d));
	d->node = node;
	devtree_path(t, depth, d->path, sizeof(d->path));
	d->compatible = driver_strnlen(compat, (size_t)clen) < (size_t)clen ? compat : "?";
	d->drv = driver_match(compat, clen);
	d->irq = DEVTREE_IRQ_NONE;
	if (!d->drv)
		return true;
	d->skip = devtree_reg(t, depth, &d->pa, &d->size);
	d->irq = devtree_irq(t, depth);
	d->reg_shift = prop_opt(blob, node, "reg-shift");
	d->reg_io_width = prop_opt(blob, node, "reg-io-width");
	d->clock_frequency = prop_opt(blob, node, "clock-frequency");
	d->current_speed = prop_opt(blob, node, "current-speed");
	d->console = node == t->stdout_node;
	return true;
}

int devtree_next(struct devtree *t, struct devtree_dev *d)
{
	while (t->node != -2) {
		int n = dt_next_node(t->blob, t->node, &t->depth);

		if (n < 0 || t->depth < 0 || t->depth >= DT_MAX_DEPTH) {
			t->node = -2;
			break;
		}
		t->node = n;
		t->stack[t->depth] = n;
		if (devtree_fill(t, d))
			return 1;
	}
	return 0;
}

/* --- the driver's argv ---------------------------------------------------------- */

struct argbuf {
	char **argv;
	int argc;
	char *buf;
	size_t len, used;
	bool full;
};

static void devtree_arg(struct argbuf *a, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (a->full || a->argc >= DEVTREE_ARGV_MAX - 1) {
		a->full = true;
		return;
	}
	va_start(ap, fmt);
	n = vsnprintf(a->buf + a->used, a->len - a->used, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= a->len - a->used) {
		a->full = true;
		return;
	}
	a->argv[a->argc++] = a->buf + a->used;
	a->used += (size_t)n + 1;
}

int devtree_argv(const struct devtree_dev *d, char *argv[DEVTREE_ARGV_MAX], char *buf, size_t len)
{
	struct argbuf a = { .argv = argv, .buf = buf, .len = len };

	if (!d->drv || !len)
		return -1;
	devtree_arg(&a, "/sbin/%s", d->drv->server);
	devtree_arg(&a, "%s", d->path);
	devtree_arg(&a, "reg=0x%llx,0x%llx", (unsigned long long)d->pa,
		    (unsigned long long)d->size);
	devtree_arg(&a, "irq=%ld", d->irq);
	if (d->reg_shift.present)
		devtree_arg(&a, "reg-shift=%lu", (unsigned long)d->reg_shift.val);
	if (d->reg_io_width.present)
		devtree_arg(&a, "reg-io-width=%lu", (unsigned long)d->reg_io_width.val);
	if (d->clock_frequency.present)
		devtree_arg(&a, "clock-frequency=%lu", (unsigned long)d->clock_frequency.val);
	if (d->current_speed.present)
		devtree_arg(&a, "current-speed=%lu", (unsigned long)d->current_speed.val);
	if (d->console)
		devtree_arg(&a, "console");
	argv[a.argc] = NULL;
	return a.full ? -1 : a.argc;
}

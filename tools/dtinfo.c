/*
 * dtinfo.c - what Keel would see on a board: `dtinfo FILE.dtb`.
 *
 * A host build of the core's own reader (core/platform/dt.c): dt_parse() gives the
 * facts the core boots from (harts, timebase, memory, reserved memory,
 * /chosen), printed as the core would judge them; the walker then finds
 * the console through /chosen/stdout-path and /aliases, the interrupt
 * controller, and the nodes devmgr would hand to a driver server.
 *
 * The matching table is devmgr's own (servers/devmgr/drivers.h), so a
 * "server:" line is what devmgr starts on that board; devmgr also probes
 * each virtio-mmio slot on the machine and skips the empty ones, which a
 * tree alone cannot tell.
 *
 * Output is one fact per line, "topic: ...", stable for tests
 * (tests/test_dtinfo.py checks every line for the board trees). Exit
 * status: 0, 1 when Keel would refuse the tree, 2 on usage or I/O errors.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/platform/dt.h"
#include "../servers/devmgr/drivers.h"

#define PATH_MAX_LEN 256
#define CELL	     4

/* A device someone other than a driver server looks after (elsewhere_table). */
struct match {
	const char *compatible;
	const char *server;
	const char *note;
};

static const void *blob;

static void *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	void *buf;
	long n;

	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
		fprintf(stderr, "dtinfo: %s: %s\n", path, strerror(errno));
		exit(2);
	}
	buf = malloc(n ? (size_t)n : 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "dtinfo: %s: cannot read\n", path);
		exit(2);
	}
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* ---- small readers over the walker ---- */

/* A property that is one NUL-terminated string, or NULL. */
static const char *prop_string(int node, const char *name)
{
	int len;
	const char *p = dt_getprop(blob, node, name, &len);

	return p && len > 0 && p[len - 1] == '\0' && (int)strlen(p) == len - 1 ? p : NULL;
}

/* A one-cell property into *val; 0, or -1 if absent or not one cell. */
static int prop_u32(int node, const char *name, uint32_t *val)
{
	int len;
	const void *p = dt_getprop(blob, node, name, &len);

	if (!p || len != CELL)
		return -1;
	*val = (uint32_t)dt_read_cells(p, 1);
	return 0;
}

static uint32_t cells_of(int node, const char *name, uint32_t dflt)
{
	uint32_t v;

	return prop_u32(node, name, &v) ? dflt : v;
}

/* Does @node's compatible list hold @want? */
static int is_compatible(int node, const char *want)
{
	int len, i = 0;
	const char *p = dt_getprop(blob, node, "compatible", &len);

	while (p && i < len) {
		if (!strncmp(p + i, want, (size_t)(len - i)) && strlen(want) < (size_t)(len - i))
			return 1;
		i += (int)strnlen(p + i, (size_t)(len - i)) + 1;
	}
	return 0;
}

/* The compatible list, space-separated, into @buf. */
static const char *compatible_list(int node, char *buf, size_t size)
{
	int len, i = 0;
	const char *p = dt_getprop(blob, node, "compatible", &len);
	size_t used = 0;

	buf[0] = '\0';
	while (p && i < len && used + 1 < size) {
		int n = snprintf(buf + used, size - used, "%s%.*s", used ? " " : "",
				 (int)strnlen(p + i, (size_t)(len - i)), p + i);

		if (n < 0)
			break;
		used += (size_t)n;
		i += (int)strnlen(p + i, (size_t)(len - i)) + 1;
	}
	return p ? buf : "none";
}

static int is_okay(int node)
{
	const char *s = prop_string(node, "status");

	return !s || !strcmp(s, "okay") || !strcmp(s, "ok");
}

/* @node's full path into @buf ("/" for the root). */
static const char *node_path(int node, char *buf, size_t size)
{
	const char *names[DT_MAX_DEPTH];
	int depth = 0;
	size_t used = 0;

	for (int n = node; n > 0 && depth < DT_MAX_DEPTH; n = dt_parent_offset(blob, n))
		names[depth++] = dt_node_name(blob, n);
	buf[0] = '\0';
	if (!depth)
		snprintf(buf, size, "/");
	while (depth-- > 0 && used + 1 < size) {
		int n = snprintf(buf + used, size - used, "/%s", names[depth]);

		if (n < 0)
			break;
		used += (size_t)n;
	}
	return buf;
}

/*
 * Translate the bus address @addr of a child of @bus up to the root
 * through each ancestor's "ranges" (DTSpec 2.3.8). 0 on success; -1 when
 * a bus has no ranges (not memory-mapped) or no entry covers @addr.
 */
static int translate(int bus, uint64_t *addr)
{
	while (bus > 0) {
		int parent = dt_parent_offset(blob, bus), len;
		uint32_t ac = cells_of(bus, "#address-cells", 2);
		uint32_t sc = cells_of(bus, "#size-cells", 1);
		uint32_t pac = cells_of(parent, "#address-cells", 2);
		const uint8_t *r = dt_getprop(blob, bus, "ranges", &len);
		int entry = (int)(ac + pac + sc) * CELL, found = 0;

		if (!r || ac < 1 || ac > 2 || pac < 1 || pac > 2 || sc > 2)
			return -1;
		for (int i = 0; len > 0 && i + entry <= len; i += entry) {
			uint64_t child = dt_read_cells(r + i, (int)ac);
			uint64_t to = dt_read_cells(r + i + ac * CELL, (int)pac);
			uint64_t size = sc ? dt_read_cells(r + i + (ac + pac) * CELL, (int)sc) : 0;

			if (*addr >= child && *addr - child < size) {
				*addr = to + (*addr - child);
				found = 1;
				break;
			}
		}
		if (len > 0 && !found)
			return -1;
		bus = parent; /* empty ranges: the same address one level up */
	}
	return 0;
}

/* "reg 0x10000000 size 0x10000", the first reg entry, translated to the CPU. */
static void print_reg(const char *topic, int node)
{
	int parent = dt_parent_offset(blob, node), len;
	uint32_t ac = cells_of(parent, "#address-cells", 2);
	uint32_t sc = cells_of(parent, "#size-cells", 1);
	const uint8_t *reg = dt_getprop(blob, node, "reg", &len);
	uint64_t addr, size;

	if (!reg || ac < 1 || ac > 2 || sc > 2 || len < (int)(ac + sc) * CELL) {
		printf("%s: reg none or unreadable\n", topic);
		return;
	}
	addr = dt_read_cells(reg, (int)ac);
	size = sc ? dt_read_cells(reg + ac * CELL, (int)sc) : 0;
	if (translate(parent, &addr))
		printf("%s: reg 0x%" PRIx64 " size 0x%" PRIx64
		       " (bus address: no ranges to the CPU)\n",
		       topic, addr, size);
	else
		printf("%s: reg 0x%" PRIx64 " size 0x%" PRIx64 "\n", topic, addr, size);
}

/* ---- the facts dt_parse() gives the core ---- */

static void print_harts(const struct dt_info *dt)
{
	unsigned int sstc = 0;

	printf("timebase: %" PRIu32 " Hz\n", dt->timebase_hz);
	printf("harts: %u in the tree, %u usable\n", dt->nharts, dt->nusable);
	for (struct dt_hart hart = DT_HART_START; !dt_next_hart(blob, dt, &hart);) {
		const struct dt_hart *h = &hart;
		const char *why = dt_hart_state_str(h->state);

		if (h->state == DT_HART_BAD_NODE)
			printf("hart ?: skipped (%s)\n", why);
		else if (h->state == DT_HART_USABLE)
			printf("hart %" PRIu64 ": usable; isa %s; mmu %s\n", h->hartid,
			       *h->isa ? h->isa : "none", *h->mmu ? h->mmu : "none");
		else
			printf("hart %" PRIu64 ": skipped (%s); isa %s; mmu %s\n", h->hartid, why,
			       *h->isa ? h->isa : "none", *h->mmu ? h->mmu : "none");
		if (h->state == DT_HART_USABLE && h->sstc)
			sstc++;
	}
	/* timer.c decides on the boot hart's ISA; a mixed machine says so here. */
	if (!sstc)
		printf("timer: SBI TIME (no usable hart lists Sstc)\n");
	else if (sstc == dt->nusable)
		printf("timer: Sstc (stimecmp) on every usable hart\n");
	else
		printf("timer: Sstc on %u of %u usable harts: the boot hart decides\n", sstc,
		       dt->nusable);
}

static void print_regions(const char *topic, const struct dt_region *r, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		uint64_t size = r[i].size;

		printf("%s: 0x%016" PRIx64 "-0x%016" PRIx64 " ", topic, r[i].base,
		       r[i].base + size - 1);
		if (size % (1024 * 1024) == 0)
			printf("%" PRIu64 " MiB", size >> 20);
		else
			printf("%" PRIu64 " KiB", (size + 1023) >> 10);
		printf(" (%s)\n", r[i].name);
	}
	if (!n)
		printf("%s: none\n", topic);
}

static void print_chosen(const struct dt_info *dt)
{
	if (dt->bootargs)
		printf("chosen: bootargs \"%s\"\n", dt->bootargs);
	else
		printf("chosen: no bootargs\n");
	if (dt->has_initrd)
		printf("chosen: initrd 0x%" PRIx64 "-0x%" PRIx64 "\n", dt->initrd_start,
		       dt->initrd_end);
	else
		printf("chosen: no initrd\n");
	if (dt->stdout_path)
		printf("chosen: stdout-path \"%.*s\"%s%s\n", (int)dt->stdout_path_len,
		       dt->stdout_path, dt->stdout_opts ? " options " : "",
		       dt->stdout_opts ? dt->stdout_opts : "");
	else
		printf("chosen: no stdout-path\n");
}

/* ---- the console: stdout-path, through /aliases ---- */

static void print_uart_u32(int node, const char *name, const char *absent)
{
	uint32_t v;

	if (!prop_u32(node, name, &v))
		printf("console: %s %" PRIu32 "\n", name, v);
	else
		printf("console: %s %s\n", name, absent);
}

static void print_console(const struct dt_info *dt)
{
	char want[PATH_MAX_LEN], path[PATH_MAX_LEN], compat[PATH_MAX_LEN];
	const char *target = want;
	int node;

	if (!dt->stdout_path) {
		printf("console: none (no stdout-path); Keel prints through SBI alone\n");
		return;
	}
	if (dt->stdout_path_len >= sizeof(want)) {
		printf("console: stdout-path too long\n");
		return;
	}
	memcpy(want, dt->stdout_path, dt->stdout_path_len);
	want[dt->stdout_path_len] = '\0';
	if (want[0] != '/') {
		int aliases = dt_path_offset(blob, "/aliases");

		target = aliases >= 0 ? prop_string(aliases, want) : NULL;
		if (!target) {
			printf("console: alias %s not in /aliases\n", want);
			return;
		}
	}
	node = dt_path_offset(blob, target);
	if (node < 0) {
		printf("console: %s: no such node\n", target);
		return;
	}
	node_path(node, path, sizeof(path));
	if (target != want)
		printf("console: %s (alias %s)\n", path, want);
	else
		printf("console: %s\n", path);
	printf("console: compatible %s\n", compatible_list(node, compat, sizeof(compat)));
	printf("console: status %s\n", is_okay(node) ? "okay" : prop_string(node, "status"));
	print_reg("console", node);
	/* 8250 binding: absent reg-shift is 0, absent reg-io-width is 1 (bytes). */
	print_uart_u32(node, "reg-shift", "none (0)");
	print_uart_u32(node, "reg-io-width", "none (1)");
	print_uart_u32(node, "clock-frequency",
		       dt_getprop(blob, node, "clocks", NULL) ? "none (clocks by phandle)"
							      : "none");
	print_uart_u32(node, "current-speed",
		       dt->stdout_opts ? "none (see stdout-path options)" : "none");
	{
		int clen;
		const char *c = dt_getprop(blob, node, "compatible", &clen);
		const struct driver_entry *drv = driver_match(c, clen);

		if (drv)
			printf("console: the SBI console (OpenSBI drives this UART) until the "
			       "console server takes it over through %s\n",
			       drv->server);
		else
			printf("console: the SBI console (OpenSBI drives this UART); no driver "
			       "server for it, so it stays that way\n");
	}
}

/*
 * DMA: "dma-noncoherent" on a bus (JH7100) means a device does not snoop
 * the harts' caches; the core says so at boot and whenever it hands a
 * driver a physical address.
 */
static void print_dma(void)
{
	int depth = 0;
	char path[PATH_MAX_LEN];

	for (int n = dt_next_node(blob, -1, &depth); n >= 0; n = dt_next_node(blob, n, &depth)) {
		if (!dt_getprop(blob, n, "dma-noncoherent", NULL))
			continue;
		printf("dma: not cache-coherent (dma-noncoherent on %s): a driver that hands "
		       "memory to a device must write back and invalidate the caches itself\n",
		       node_path(n, path, sizeof(path)));
		return;
	}
	printf("dma: coherent\n");
}

/* ---- interrupts and devices ---- */

static void print_plic(void)
{
	int depth = 0, found = 0;
	char path[PATH_MAX_LEN];

	for (int n = dt_next_node(blob, -1, &depth); n >= 0; n = dt_next_node(blob, n, &depth)) {
		const char *which = NULL;
		uint32_t ndev;

		for (size_t i = 0; i < DRIVER_PLIC_LEN; i++)
			if (is_compatible(n, driver_plic_compatibles[i])) {
				which = driver_plic_compatibles[i];
				break;
			}
		if (!which || !is_okay(n))
			continue;
		found = 1;
		printf("plic: %s (%s)\n", node_path(n, path, sizeof(path)), which);
		print_reg("plic", n);
		if (!prop_u32(n, "riscv,ndev", &ndev))
			printf("plic: %" PRIu32 " interrupt sources\n", ndev);
		else
			printf("plic: riscv,ndev missing\n");
	}
	if (!found)
		printf("plic: none\n");
}

/* Devices the core or the firmware drives: no server, and said so. */
static const struct match elsewhere_table[] = {
	{ "sifive,clint0", "firmware", "M-mode timer and IPIs: SBI TIME and IPI" },
	{ "riscv,clint0", "firmware", "M-mode timer and IPIs: SBI TIME and IPI" },
	{ "sifive,test1", "core", "QEMU's test finisher: power.c" },
	{ "sifive,test0", "core", "QEMU's test finisher: power.c" },
	{ "syscon-poweroff", "firmware", "SBI SRST" },
	{ "syscon-reboot", "firmware", "SBI SRST" },
};

static const struct match *lookup(int node, const struct match *table, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (is_compatible(node, table[i].compatible))
			return &table[i];
	return NULL;
}

/*
 * Every device devmgr would consider - an enabled node with a compatible
 * and a reg, outside /cpus, not the PLIC - and what it would do with it.
 */
static void print_servers(void)
{
	int depth = 0, devices = 0, matched = 0;
	char path[PATH_MAX_LEN], compat[PATH_MAX_LEN];

	for (int n = dt_next_node(blob, -1, &depth); n >= 0; n = dt_next_node(blob, n, &depth)) {
		const struct driver_entry *drv;
		const struct match *m;
		const char *c;
		int len;

		c = dt_getprop(blob, n, "compatible", &len);
		if (n == dt_root_offset(blob) || !c || !dt_getprop(blob, n, "reg", NULL) ||
		    !is_okay(n))
			continue;
		node_path(n, path, sizeof(path));
		if (!strncmp(path, "/cpus/", 6) || driver_is_plic(c, len))
			continue;
		devices++;
		drv = driver_match(c, len);
		if (drv) {
			matched++;
			printf("server: %s: %s -> %s%s%s\n", path, drv->compatible, drv->server,
			       drv->note ? "; " : "", drv->note ? drv->note : "");
			continue;
		}
		m = lookup(n, elsewhere_table, sizeof(elsewhere_table) / sizeof(*elsewhere_table));
		if (m)
			printf("device: %s: %s -> %s (%s)\n", path, m->compatible, m->server,
			       m->note);
		else
			printf("device: %s: %s -> no entry\n", path,
			       compatible_list(n, compat, sizeof(compat)));
	}
	printf("servers: %d of %d devices have a server entry\n", matched, devices);
}

int main(int argc, char **argv)
{
	static struct dt_info dt; /* large: not on the stack */
	char compat[PATH_MAX_LEN];
	size_t len;
	int err;

	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: dtinfo FILE.dtb\n"
				"  what Keel's core would read from the tree, and which\n"
				"  driver server devmgr would start for which node\n");
		return 2;
	}
	blob = read_file(argv[1], &len);
	err = dt_parse(blob, len, &dt);
	if (err) {
		printf("dtinfo: %s: Keel refuses it: %s (offset 0x%" PRIx32 "%s%s)\n", argv[1],
		       dt_strerror(err), dt.error.offset, dt.error.node ? ", node " : "",
		       dt.error.node ? dt.error.node : "");
		return 1;
	}
	printf("model: %s\n", *dt.model ? dt.model : "unknown");
	printf("compatible: %s\n", compatible_list(dt_root_offset(blob), compat, sizeof(compat)));
	print_harts(&dt);
	print_regions("memory", dt.mem, dt.nmem);
	print_regions("reserved", dt.resv, dt.nresv);
	print_chosen(&dt);
	print_console(&dt);
	print_plic();
	print_dma();
	print_servers();
	free((void *)blob);
	return 0;
}

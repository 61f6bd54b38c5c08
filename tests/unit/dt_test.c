/*
 * dt_test.c - host tests of core/platform/dt.c, with libfdt as the reference.
 *
 *   dt_test FILE.dtb                  dt_parse() and the walker agree with
 *                                     libfdt on every fact and every node
 *   dt_test --expect DT_ERR_x FILE    dt_parse() refuses FILE with DT_ERR_x
 *   dt_test --mutations FILE [CASE]   byte-level damage to a good FILE
 *   dt_test --synthetic [CASE]        trees built with libfdt's writer
 *   dt_test --list-mutations          "mutation NAME" / "synthetic NAME"
 *   dt_test --any FILE                any bytes (fuzzer finds): no crash,
 *                                     and the fuzzer's promises hold
 *   dt_test --print FILE              the parsed facts, readably
 *
 * Output is TAP: "ok N - name" / "not ok N - name", a plan line, and
 * "# " diagnostics naming the field and both values on a mismatch. Exit
 * status is non-zero on any failure. Every blob handed to dt.c sits in a
 * heap buffer of exactly the size given, so AddressSanitizer catches a
 * read past it.
 *
 * The reference (ref_*) is written independently against libfdt's API:
 * it uses fdt_path_offset, fdt_for_each_subnode, fdt_getprop,
 * fdt_address_cells, fdt_get_mem_rsv and libc string functions.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libfdt.h>

#include "../../core/platform/dt.h"

#define TESTLIB_NAME "dt_test"
#include "testlib.h"

static const char *const err_names[DT_ERR_COUNT] = {
	[DT_OK] = "DT_OK",
	[DT_ERR_MAGIC] = "DT_ERR_MAGIC",
	[DT_ERR_VERSION] = "DT_ERR_VERSION",
	[DT_ERR_TRUNCATED] = "DT_ERR_TRUNCATED",
	[DT_ERR_LAYOUT] = "DT_ERR_LAYOUT",
	[DT_ERR_TOKEN] = "DT_ERR_TOKEN",
	[DT_ERR_NAME] = "DT_ERR_NAME",
	[DT_ERR_STRING] = "DT_ERR_STRING",
	[DT_ERR_PROP] = "DT_ERR_PROP",
	[DT_ERR_NESTING] = "DT_ERR_NESTING",
	[DT_ERR_MEMRESERVE] = "DT_ERR_MEMRESERVE",
	[DT_ERR_CELLS] = "DT_ERR_CELLS",
	[DT_ERR_REG] = "DT_ERR_REG",
	[DT_ERR_NO_MEMORY] = "DT_ERR_NO_MEMORY",
	[DT_ERR_NO_HART] = "DT_ERR_NO_HART",
	[DT_ERR_NO_TIMEBASE] = "DT_ERR_NO_TIMEBASE",
	[DT_ERR_INITRD] = "DT_ERR_INITRD",
	[DT_ERR_BOOTARGS] = "DT_ERR_BOOTARGS",
	[DT_ERR_TOO_MANY] = "DT_ERR_TOO_MANY",
	[DT_ERR_NO_END] = "DT_ERR_NO_END",
	[DT_ERR_NOT_FOUND] = "DT_ERR_NOT_FOUND",
};

static const char *err_name(int code)
{
	if (code < 0)
		code = -code;
	return code < DT_ERR_COUNT ? err_names[code] : "DT_ERR_?";
}

/* "DT_ERR_NO_MEMORY" or "NO_MEMORY" -> code, or -1. */
static int err_by_name(const char *name)
{
	int i;

	for (i = 0; i < DT_ERR_COUNT; i++) {
		if (!strcmp(name, err_names[i]))
			return i;
		if (!strncmp(err_names[i], "DT_ERR_", 7) && !strcmp(name, err_names[i] + 7))
			return i;
	}
	return -1;
}

/* Errors about the blob's format, which libfdt's fdt_check_full() sees too. */
static int err_is_structural(int code)
{
	switch (code) {
	case DT_ERR_MAGIC:
	case DT_ERR_VERSION:
	case DT_ERR_TRUNCATED:
	case DT_ERR_LAYOUT:
	case DT_ERR_TOKEN:
	case DT_ERR_NAME:
	case DT_ERR_STRING:
	case DT_ERR_PROP:
	case DT_ERR_NESTING:
	case DT_ERR_MEMRESERVE:
	case DT_ERR_NO_END:
		return 1;
	}
	return 0;
}

/* ---- files and exact-size copies ---- */

static uint32_t be32_get(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void be32_put(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* ---- the libfdt reference ---- */

static const char *ref_str(const void *fdt, int node, const char *name, const char *dflt, int *err)
{
	int len;
	const char *p = fdt_getprop(fdt, node, name, &len);

	if (!p)
		return dflt;
	if (len < 1 || p[len - 1] != '\0') {
		*err = DT_ERR_PROP;
		return dflt;
	}
	return p;
}

static int ref_okay(const void *fdt, int node, int *err)
{
	const char *s = ref_str(fdt, node, "status", "okay", err);

	return !strcmp(s, "okay") || !strcmp(s, "ok");
}

static int ref_cells_ok(int n)
{
	return n == 1 || n == 2;
}

static enum dt_hart_state ref_judge(int okay, const char *isa, const char *mmu)
{
	size_t single;
	int u = 0, s = 0;
	size_t i;

	if (!okay)
		return DT_HART_DISABLED;
	if (strncasecmp(isa, "rv64", 4))
		return DT_HART_NOT_RV64;
	if (!*mmu || !strcmp(mmu, "riscv,none"))
		return DT_HART_NO_MMU;
	if (strcmp(mmu, "riscv,sv39") && strcmp(mmu, "riscv,sv48") && strcmp(mmu, "riscv,sv57"))
		return DT_HART_BAD_MMU;
	single = strcspn(isa + 4, "_");
	for (i = 0; i < single; i++) {
		u |= tolower((unsigned char)isa[4 + i]) == 'u';
		s |= tolower((unsigned char)isa[4 + i]) == 's';
	}
	return u && !s ? DT_HART_NO_SMODE : DT_HART_USABLE;
}

static bool ref_sstc(const char *isa)
{
	char buf[512], *tok, *save = NULL;
	int first = 1;

	snprintf(buf, sizeof(buf), "%s", isa);
	for (tok = strtok_r(buf, "_", &save); tok; tok = strtok_r(NULL, "_", &save)) {
		if (first && isa[0] != '_') {
			first = 0;
			continue; /* the base "rv64..." token */
		}
		first = 0;
		if (!strncasecmp(tok, "sstc", 4) && (!tok[4] || isdigit((unsigned char)tok[4])))
			return true;
	}
	return false;
}

/* A 4- or 8-byte integer property; 1 found, 0 absent, -1 bad length. */
static int ref_u64(const void *fdt, int node, const char *name, uint64_t *v)
{
	int len;
	const void *p = fdt_getprop(fdt, node, name, &len);

	if (!p)
		return 0;
	if (len == 4)
		*v = fdt32_ld(p);
	else if (len == 8)
		*v = fdt64_ld(p);
	else
		return -1;
	return 1;
}

static int ref_timebase(const void *fdt, int node, uint32_t *hz)
{
	uint64_t v = 0;
	int rc = ref_u64(fdt, node, "timebase-frequency", &v);

	if (rc < 0)
		return DT_ERR_PROP;
	if (v > UINT32_MAX)
		return DT_ERR_NO_TIMEBASE;
	*hz = (uint32_t)v;
	return 0;
}

/*
 * The reference's harts, in tree order (dt_info keeps none: dt.c reads
 * them from the tree, see dt_harts()); one more than dt_parse takes.
 */
static struct dt_hart ref_harts[DT_MAX_HARTS + 1];

static int ref_hart(const void *fdt, int node, int ac, struct dt_info *ri)
{
	struct dt_hart *h = &ref_harts[ri->nharts];
	const void *reg;
	int err = 0, okay, len;
	unsigned int i;

	h->isa = ref_str(fdt, node, "riscv,isa", "", &err);
	if (!err)
		h->mmu = ref_str(fdt, node, "mmu-type", "", &err);
	okay = err ? 0 : ref_okay(fdt, node, &err);
	if (err)
		return err;
	/* After the node's own properties, as dt.c judges it. */
	if (ri->nharts >= DT_MAX_HARTS)
		return DT_ERR_TOO_MANY;
	h->sstc = ref_sstc(h->isa);
	h->state = ref_judge(okay, h->isa, h->mmu);
	h->hartid = DT_HARTID_NONE;
	reg = fdt_getprop(fdt, node, "reg", &len);
	if (reg && len == ac * 4)
		h->hartid = ac == 1 ? fdt32_ld(reg) : fdt64_ld(reg);
	for (i = 0; i < ri->nharts; i++)
		if (ref_harts[i].hartid == h->hartid)
			h->state = DT_HART_BAD_NODE;
	if (h->hartid == DT_HARTID_NONE)
		h->state = DT_HART_BAD_NODE;
	ri->nusable += h->state == DT_HART_USABLE;
	ri->nharts++;
	return 0;
}

static int ref_cpus(const void *fdt, struct dt_info *ri)
{
	int cpus = fdt_path_offset(fdt, "/cpus");
	int node, ac, first = -1, err = 0;
	const char *type;

	if (cpus < 0)
		return 0;
	ac = fdt_address_cells(fdt, cpus);
	if (!ref_cells_ok(ac))
		return DT_ERR_CELLS;
	err = ref_timebase(fdt, cpus, &ri->timebase_hz);
	if (err)
		return err;
	fdt_for_each_subnode(node, fdt, cpus)
	{
		type = ref_str(fdt, node, "device_type", "", &err);
		if (err)
			return err;
		if (strcmp(type, "cpu"))
			continue;
		if (first < 0)
			first = node;
		err = ref_hart(fdt, node, ac, ri);
		if (err)
			return err;
	}
	if (!ri->timebase_hz && first >= 0)
		return ref_timebase(fdt, first, &ri->timebase_hz);
	return 0;
}

static int ref_regs(const void *fdt, int node, int ac, int sc, struct dt_region *r, unsigned int *n,
		    unsigned int max)
{
	const uint8_t *p;
	int len, i, entry = (ac + sc) * 4;
	uint64_t base, size;

	p = fdt_getprop(fdt, node, "reg", &len);
	if (!p)
		return 0;
	if (len % entry)
		return DT_ERR_REG;
	for (i = 0; i < len; i += entry) {
		base = ac == 1 ? fdt32_ld((const fdt32_t *)(p + i))
			       : fdt64_ld((const fdt64_t *)(p + i));
		size = sc == 1 ? fdt32_ld((const fdt32_t *)(p + i + ac * 4))
			       : fdt64_ld((const fdt64_t *)(p + i + ac * 4));
		if (!size)
			continue;
		if (base + (size - 1) < base)
			return DT_ERR_REG;
		if (*n >= max)
			return DT_ERR_TOO_MANY;
		r[*n].base = base;
		r[*n].size = size;
		r[*n].name = fdt_get_name(fdt, node, NULL);
		(*n)++;
	}
	return 0;
}

static int ref_memory(const void *fdt, int ac, int sc, struct dt_info *ri)
{
	int node, err = 0;
	const char *type;

	fdt_for_each_subnode(node, fdt, 0)
	{
		type = ref_str(fdt, node, "device_type", "", &err);
		if (err)
			return err;
		if (strcmp(type, "memory"))
			continue;
		if (!ref_okay(fdt, node, &err)) {
			if (err)
				return err;
			continue;
		}
		err = ref_regs(fdt, node, ac, sc, ri->mem, &ri->nmem, DT_MAX_MEM);
		if (err)
			return err;
	}
	return 0;
}

static int ref_memreserve(const void *fdt, struct dt_info *ri)
{
	int i, n = fdt_num_mem_rsv(fdt);
	uint64_t base, size;

	if (n < 0)
		return DT_ERR_MEMRESERVE;
	for (i = 0; i < n; i++) {
		fdt_get_mem_rsv(fdt, i, &base, &size);
		if (base + (size - 1) < base)
			return DT_ERR_MEMRESERVE;
		if (ri->nresv >= DT_MAX_RESV)
			return DT_ERR_TOO_MANY;
		ri->resv[ri->nresv].base = base;
		ri->resv[ri->nresv].size = size;
		ri->resv[ri->nresv].name = "/memreserve/";
		ri->nresv++;
	}
	return 0;
}

static int ref_reserved(const void *fdt, struct dt_info *ri)
{
	int rm = fdt_path_offset(fdt, "/reserved-memory");
	int node, ac, sc, err = 0;

	if (rm < 0)
		return 0;
	ac = fdt_address_cells(fdt, rm);
	sc = fdt_size_cells(fdt, rm);
	if (!ref_cells_ok(ac) || !ref_cells_ok(sc))
		return DT_ERR_CELLS;
	fdt_for_each_subnode(node, fdt, rm)
	{
		if (!ref_okay(fdt, node, &err)) {
			if (err)
				return err;
			continue;
		}
		err = ref_regs(fdt, node, ac, sc, ri->resv, &ri->nresv, DT_MAX_RESV);
		if (err)
			return err;
	}
	return 0;
}

static int ref_chosen(const void *fdt, struct dt_info *ri)
{
	int chosen = fdt_path_offset(fdt, "/chosen");
	int len, err = 0, rs, re;
	const char *p, *colon;

	if (chosen < 0)
		return 0;
	p = fdt_getprop(fdt, chosen, "bootargs", &len);
	if (p && (len < 1 || p[len - 1]))
		return DT_ERR_BOOTARGS;
	ri->bootargs = p;
	rs = ref_u64(fdt, chosen, "linux,initrd-start", &ri->initrd_start);
	re = ref_u64(fdt, chosen, "linux,initrd-end", &ri->initrd_end);
	if (rs || re) {
		if (rs != 1 || re != 1 || ri->initrd_end < ri->initrd_start)
			return DT_ERR_INITRD;
		ri->has_initrd = true;
	}
	p = ref_str(fdt, chosen, "stdout-path", NULL, &err);
	if (!p && !err)
		p = ref_str(fdt, chosen, "linux,stdout-path", NULL, &err);
	if (err)
		return err;
	if (p) {
		colon = strchr(p, ':');
		ri->stdout_path = p;
		ri->stdout_path_len = colon ? (unsigned int)(colon - p) : (unsigned int)strlen(p);
		ri->stdout_opts = colon ? colon + 1 : NULL;
	}
	return 0;
}

/* The facts, by libfdt. Returns 0 or a positive DT_ERR_x. */
static int ref_parse(const void *fdt, size_t len, struct dt_info *ri)
{
	int ac, sc, err = 0;

	memset(ri, 0, sizeof(*ri));
	if (fdt_check_full(fdt, len))
		return -1;
	ri->totalsize = fdt_totalsize(fdt);
	ri->model = ref_str(fdt, 0, "model", "", &err);
	if (err)
		return err;
	ac = fdt_address_cells(fdt, 0);
	sc = fdt_size_cells(fdt, 0);
	if (!ref_cells_ok(ac) || !ref_cells_ok(sc))
		return DT_ERR_CELLS;
	err = ref_memreserve(fdt, ri);
	if (!err)
		err = ref_cpus(fdt, ri);
	if (!err)
		err = ref_memory(fdt, ac, sc, ri);
	if (!err)
		err = ref_reserved(fdt, ri);
	if (!err)
		err = ref_chosen(fdt, ri);
	if (err)
		return err;
	if (!ri->nusable)
		return DT_ERR_NO_HART;
	if (!ri->nmem)
		return DT_ERR_NO_MEMORY;
	if (!ri->timebase_hz)
		return DT_ERR_NO_TIMEBASE;
	return 0;
}

/* ---- comparing dt.c with the reference ---- */

static const char *show(const char *s)
{
	return s ? s : "(null)";
}

static void cmp_u64(const char *what, uint64_t dt, uint64_t ref)
{
	if (dt != ref)
		diag("%s: dt=0x%" PRIx64 " libfdt=0x%" PRIx64, what, dt, ref);
}

/* Strings handed out point into the blob: the very same bytes ("" aside). */
static void cmp_ptr(const char *what, const char *dt, const char *ref)
{
	if (dt && ref && !*dt && !*ref)
		return; /* an absent property's default */
	if (dt != ref && (!dt || !ref || strcmp(dt, ref)))
		diag("%s: dt=\"%s\" libfdt=\"%s\"", what, show(dt), show(ref));
	else if (dt != ref)
		diag("%s: same text \"%s\" at different addresses", what, dt);
}

static void cmp_regions(const char *what, const struct dt_region *a, unsigned int na,
			const struct dt_region *b, unsigned int nb)
{
	char f[64];
	unsigned int i;

	snprintf(f, sizeof(f), "%s count", what);
	cmp_u64(f, na, nb);
	for (i = 0; i < na && i < nb; i++) {
		snprintf(f, sizeof(f), "%s[%u].base", what, i);
		cmp_u64(f, a[i].base, b[i].base);
		snprintf(f, sizeof(f), "%s[%u].size", what, i);
		cmp_u64(f, a[i].size, b[i].size);
		snprintf(f, sizeof(f), "%s[%u].name", what, i);
		if (strcmp(a[i].name, b[i].name))
			diag("%s: dt=\"%s\" libfdt=\"%s\"", f, a[i].name, b[i].name);
	}
}

/* dt.c's harts of @blob, in tree order, through dt_next_hart(); how many. */
static unsigned int dt_harts(const void *blob, const struct dt_info *info, struct dt_hart *out)
{
	struct dt_hart h = DT_HART_START;
	unsigned int n = 0;

	while (n <= DT_MAX_HARTS && !dt_next_hart(blob, info, &h))
		out[n++] = h;
	return n;
}

static struct dt_hart dt_harts_a[DT_MAX_HARTS + 1], dt_harts_b[DT_MAX_HARTS + 1];

static void cmp_harts(const void *blob, const struct dt_info *d, const struct dt_info *r)
{
	unsigned int i, n = dt_harts(blob, d, dt_harts_a);
	char f[64];

	cmp_u64("nharts", d->nharts, r->nharts);
	cmp_u64("nusable", d->nusable, r->nusable);
	cmp_u64("harts walked", n, d->nharts);
	for (i = 0; i < n && i < r->nharts; i++) {
		const struct dt_hart *a = &dt_harts_a[i], *b = &ref_harts[i];

		snprintf(f, sizeof(f), "harts[%u].hartid", i);
		cmp_u64(f, a->hartid, b->hartid);
		if (a->state != b->state)
			diag("harts[%u].state: dt=%s libfdt=%s", i, dt_hart_state_str(a->state),
			     dt_hart_state_str(b->state));
		snprintf(f, sizeof(f), "harts[%u].isa", i);
		cmp_ptr(f, a->isa, b->isa);
		snprintf(f, sizeof(f), "harts[%u].mmu", i);
		cmp_ptr(f, a->mmu, b->mmu);
		snprintf(f, sizeof(f), "harts[%u].sstc", i);
		cmp_u64(f, a->sstc, b->sstc);
	}
}

static void cmp_chosen(const struct dt_info *d, const struct dt_info *r)
{
	cmp_ptr("bootargs", d->bootargs, r->bootargs);
	cmp_u64("has_initrd", d->has_initrd, r->has_initrd);
	if (d->has_initrd || r->has_initrd) {
		cmp_u64("initrd_start", d->initrd_start, r->initrd_start);
		cmp_u64("initrd_end", d->initrd_end, r->initrd_end);
	}
	if (d->stdout_path != r->stdout_path)
		diag("stdout_path: dt=\"%s\" libfdt=\"%s\"", show(d->stdout_path),
		     show(r->stdout_path));
	cmp_u64("stdout_path_len", d->stdout_path_len, r->stdout_path_len);
	cmp_ptr("stdout_opts", d->stdout_opts, r->stdout_opts);
}

/* Run one comparison group as a TAP case. */
#define CASE(name, ...)                                                                            \
	do {                                                                                       \
		case_failed = 0;                                                                   \
		__VA_ARGS__;                                                                       \
		tap_result(!case_failed, "%s", name);                                              \
	} while (0)

/* The path of @node, built with libfdt's names. */
static void node_path(const void *fdt, int node, char *buf, size_t size)
{
	if (fdt_get_path(fdt, node, buf, (int)size))
		snprintf(buf, size, "?");
}

static void cmp_props(const void *fdt, int node, const char *path)
{
	int rp = fdt_first_property_offset(fdt, node);
	int dp = dt_first_prop(fdt, node);
	const char *rn, *dn;
	const void *rv, *dv, *gv;
	int rl, dl, gl;

	for (; rp >= 0 || dp >= 0;
	     rp = fdt_next_property_offset(fdt, rp), dp = dt_next_prop(fdt, dp)) {
		if (rp != dp) {
			diag("%s: property offset dt=%d libfdt=%d", path, dp, rp);
			return;
		}
		rv = fdt_getprop_by_offset(fdt, rp, &rn, &rl);
		dv = dt_prop_at(fdt, dp, &dn, &dl);
		if (!dv || rv != dv || rl != dl || strcmp(rn, dn)) {
			diag("%s: property at %d: dt=%s/%d libfdt=%s/%d", path, rp,
			     dv ? dn : "(null)", dl, rn, rl);
			return;
		}
		gv = dt_getprop(fdt, node, dn, &gl);
		if (gv != fdt_getprop(fdt, node, dn, NULL))
			diag("%s: dt_getprop(\"%s\") differs from fdt_getprop", path, dn);
	}
}

/* Every node: offset, depth, name, parent, path lookup, properties. */
static void cmp_walk(const void *fdt)
{
	int rdepth = 0, ddepth = 0, rn, dn = dt_next_node(fdt, -1, &ddepth), nodes = 0;
	char path[1024];

	for (rn = 0; rn >= 0 && rdepth >= 0;
	     rn = fdt_next_node(fdt, rn, &rdepth), dn = dt_next_node(fdt, dn, &ddepth)) {
		nodes++;
		node_path(fdt, rn, path, sizeof(path));
		if (rn != dn || rdepth != ddepth) {
			diag("node %s: offset/depth dt=%d/%d libfdt=%d/%d", path, dn, ddepth, rn,
			     rdepth);
			return;
		}
		if (strcmp(dt_node_name(fdt, dn), fdt_get_name(fdt, rn, NULL)))
			diag("node %s: name dt=\"%s\"", path, dt_node_name(fdt, dn));
		if (rn == 0 ? dt_parent_offset(fdt, dn) >= 0
			    : dt_parent_offset(fdt, dn) != fdt_parent_offset(fdt, rn))
			diag("node %s: parent dt=%d libfdt=%d", path, dt_parent_offset(fdt, dn),
			     fdt_parent_offset(fdt, rn));
		if (dt_path_offset(fdt, path) != fdt_path_offset(fdt, path))
			diag("path \"%s\": dt=%d libfdt=%d", path, dt_path_offset(fdt, path),
			     fdt_path_offset(fdt, path));
		cmp_props(fdt, rn, path);
	}
	if (dn >= 0 && ddepth >= 0)
		diag("dt walk goes on past libfdt's end at %d", dn);
	if (!nodes)
		diag("no nodes walked");
}

/* Paths libfdt and dt.c must resolve alike, present or not. */
static void cmp_paths(const void *fdt)
{
	static const char *const paths[] = {
		"/",
		"/cpus",
		"/cpus/cpu@0",
		"/cpus/cpu",
		"/memory",
		"/chosen",
		"/soc",
		"/soc/serial@10000000",
		"/soc/serial",
		"/nope",
		"/cpus/nope",
		"//cpus",
		"/cpus/",
		"/reserved-memory",
		"/cpus/cpu@0/interrupt-controller",
		"/mem",
		"/memory@8",
		"/cpus/cpu-map/cluster0/core0",
	};
	unsigned int i;
	int d, r;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		d = dt_path_offset(fdt, paths[i]);
		r = fdt_path_offset(fdt, paths[i]);
		if ((d < 0) != (r < 0) || (d >= 0 && d != r))
			diag("path \"%s\": dt=%d libfdt=%d", paths[i], d, r);
	}
	if (dt_path_offset(fdt, "cpus") >= 0)
		diag("a relative path resolved");
}

/*
 * dt_iter_next() visits what dt_next_node() does, at the same depths,
 * with the properties dt_getprops() finds; with dt_iter_skip_cpus() it
 * leaves out exactly the nodes below /cpus.
 */
static void cmp_iter(const uint8_t *blob, const struct dt_info *info)
{
	static const char *const names[] = { "compatible", "reg", "device_type" };
	struct dt_iter it = { .node = -1 }, sk = { .node = -1 };
	struct dt_prop p[3], q[3], sp[3];
	int node, depth = 0, in_cpus = -1;

	for (node = dt_next_node(blob, -1, &depth); node >= 0 && depth >= 0;
	     node = dt_next_node(blob, node, &depth)) {
		if (dt_iter_next(blob, &it, names, 3, p) || it.node != node || it.depth != depth) {
			diag("dt_iter_next: node %d depth %d, dt_next_node: %d depth %d", it.node,
			     it.depth, node, depth);
			return;
		}
		dt_getprops(blob, node, names, 3, q);
		for (int i = 0; i < 3; i++)
			if (p[i].val != q[i].val || (p[i].val && p[i].len != q[i].len))
				diag("node %d: %s differs from dt_getprops", node, names[i]);
		if (in_cpus >= 0 && depth > in_cpus)
			continue; /* below /cpus: the skipping walk never sees it */
		in_cpus = -1;
		if (dt_iter_next(blob, &sk, names, 3, sp) || sk.node != node || sk.depth != depth)
			diag("skipping walk: node %d depth %d, want %d depth %d", sk.node, sk.depth,
			     node, depth);
		if (node == info->cpus_node) {
			in_cpus = depth;
			dt_iter_skip_cpus(&sk, info);
		}
	}
	if (!dt_iter_next(blob, &it, names, 3, p) || !dt_iter_next(blob, &sk, names, 3, sp))
		diag("a walk goes on past the last node");
}

/* Facts of @dt that hold whatever the blob: pointers inside it, etc. */
static void check_inside(const struct dt_info *info, const uint8_t *blob, size_t len)
{
	const char *lo = (const char *)blob, *hi = (const char *)blob + len;

#define INSIDE(p, what)                                                                            \
	if ((p) && ((const char *)(p) < lo || (const char *)(p) >= hi) && strcmp((p), "") &&       \
	    strcmp((p), "/memreserve/"))                                                           \
	diag("%s points outside the blob", what)
	INSIDE(info->model, "model");
	INSIDE(info->bootargs, "bootargs");
	INSIDE(info->stdout_path, "stdout_path");
	INSIDE(info->stdout_opts, "stdout_opts");
	for (struct dt_hart h = DT_HART_START; !dt_next_hart(blob, info, &h);) {
		INSIDE(h.isa, "isa");
		INSIDE(h.mmu, "mmu");
	}
#undef INSIDE
}

/* The same bytes at an odd address give the same facts. */
static void check_unaligned(const uint8_t *blob, size_t len, const struct dt_info *want)
{
	uint8_t *buf = malloc(len + 1);
	struct dt_info *got = malloc(sizeof(*got));
	unsigned int i;
	int rc;

	memcpy(buf + 1, blob, len);
	rc = dt_parse(buf + 1, len, got);
	if (rc) {
		diag("unaligned copy: %s", dt_strerror(rc));
	} else {
		cmp_u64("unaligned nharts", got->nharts, want->nharts);
		cmp_u64("unaligned nmem", got->nmem, want->nmem);
		cmp_u64("unaligned timebase", got->timebase_hz, want->timebase_hz);
		unsigned int ng = dt_harts(buf + 1, got, dt_harts_a);
		unsigned int nw = dt_harts(blob, want, dt_harts_b);

		for (i = 0; i < ng && i < nw; i++)
			cmp_u64("unaligned hartid", dt_harts_a[i].hartid, dt_harts_b[i].hartid);
		for (i = 0; i < got->nmem && i < want->nmem; i++)
			cmp_u64("unaligned mem base", got->mem[i].base, want->mem[i].base);
	}
	free(got);
	free(buf);
}

/* Every buffer shorter than totalsize is refused as truncated. */
static void check_prefixes(const uint8_t *blob, size_t len)
{
	len = fdt_totalsize(blob);
	struct dt_info *info = malloc(sizeof(*info));
	size_t n, step = len > 4096 ? len / 4096 : 1;
	uint8_t *p;
	int rc;

	for (n = 0; n < len; n += step) {
		p = copy_exact(blob, n);
		rc = dt_parse(p, n, info);
		if (rc != -DT_ERR_TRUNCATED)
			diag("prefix of %zu bytes: %s, want DT_ERR_TRUNCATED", n, err_name(rc));
		free(p);
	}
	free(info);
}

/* The end of the last block: QEMU pads its dumps to 1 MiB of zeros. */
static size_t used_end(const void *fdt)
{
	size_t st = fdt_off_dt_struct(fdt) + fdt_size_dt_struct(fdt);
	size_t str = fdt_off_dt_strings(fdt) + fdt_size_dt_strings(fdt);

	return st > str ? st : str;
}

/*
 * Flip each of the first @used bytes (a sample of them in big blobs): no
 * crash, no pointer out of the blob.
 */
static void check_flips(const uint8_t *blob, size_t len, size_t used)
{
	struct dt_info *info = malloc(sizeof(*info));
	size_t i, step = used > 2048 ? used / 2048 : 1;
	uint8_t *p = copy_exact(blob, len);
	int node, depth = 0;

	for (i = 0; i < used; i += step) {
		p[i] ^= 0xff;
		if (dt_parse(p, len, info) == 0)
			check_inside(info, p, len);
		if (dt_check(p, len, NULL) == 0)
			for (node = dt_next_node(p, -1, &depth); node >= 0 && depth >= 0;
			     node = dt_next_node(p, node, &depth))
				dt_getprop(p, node, "reg", NULL);
		p[i] ^= 0xff;
	}
	free(p);
	free(info);
}

static int mode_compare(const char *path)
{
	size_t len;
	void *file = read_file(path, &len);
	uint8_t *blob = copy_exact(file, len);
	struct dt_info *d = malloc(sizeof(*d)), *r = malloc(sizeof(*r));
	int rc, rrc;

	rc = dt_parse(blob, len, d);
	rrc = ref_parse(blob, len, r);
	CASE("dt_parse accepts the tree", {
		if (rc)
			diag("dt_parse: %s (%s) at offset %u node %s", err_name(rc),
			     dt_strerror(rc), d->error.offset, show(d->error.node));
		if (rrc)
			diag("libfdt reference: %s",
			     rrc < 0 ? "fdt_check_full failed" : err_name(rrc));
	});
	if (rc || rrc) {
		free(file);
		return tap_done();
	}
	CASE("header and model", {
		cmp_u64("totalsize", d->totalsize, r->totalsize);
		cmp_ptr("model", d->model, r->model);
		cmp_u64("timebase_hz", d->timebase_hz, r->timebase_hz);
	});
	CASE("harts", cmp_harts(blob, d, r));
	CASE("memory", cmp_regions("mem", d->mem, d->nmem, r->mem, r->nmem));
	CASE("reserved memory", cmp_regions("resv", d->resv, d->nresv, r->resv, r->nresv));
	CASE("chosen", cmp_chosen(d, r));
	CASE("pointers stay inside the blob", check_inside(d, blob, len));
	CASE("structure walk matches fdt_next_node", cmp_walk(blob));
	CASE("dt_iter_next walks as dt_next_node, and skips /cpus whole", cmp_iter(blob, d));
	CASE("path lookups match fdt_path_offset", cmp_paths(blob));
	CASE("dt_check accepts", {
		struct dt_error e;

		if (dt_check(blob, len, &e))
			diag("dt_check: %s", err_name(e.code));
	});
	CASE("same facts at an unaligned address", check_unaligned(blob, len, d));
	CASE("every truncated buffer is refused", check_prefixes(blob, len));
	CASE("flipped bytes never crash", check_flips(blob, len, used_end(blob)));
	free(d);
	free(r);
	free(blob);
	free(file);
	return tap_done();
}

static int mode_expect(const char *name, const char *path)
{
	int want = err_by_name(name), rc, rrc, fdt_rc;
	size_t len;
	void *file = read_file(path, &len);
	uint8_t *blob = copy_exact(file, len);
	struct dt_info *d = malloc(sizeof(*d)), *r = malloc(sizeof(*r));

	if (want < 0) {
		fprintf(stderr, "dt_test: unknown error name %s\n", name);
		return 2;
	}
	rc = dt_parse(blob, len, d);
	CASE("dt_parse refuses with the expected error", {
		if (rc != -want)
			diag("dt_parse: %s, want %s", err_name(rc), err_names[want]);
		else
			printf("# %s: %s at offset %u, node %s\n", err_names[want], dt_strerror(rc),
			       d->error.offset, show(d->error.node));
		if (rc && d->error.code != -rc)
			diag("error.code %d, returned %d", d->error.code, rc);
		if (d->error.offset >= len)
			diag("error.offset %u past the blob", d->error.offset);
	});
	fdt_rc = fdt_check_full(blob, len);
	if (fdt_rc) {
		CASE("libfdt fdt_check_full refuses too", {
			if (!err_is_structural(want))
				diag("fdt_check_full: %s, yet the error is semantic",
				     fdt_strerror(fdt_rc));
		});
	} else {
		rrc = ref_parse(blob, len, r);
		CASE("libfdt reference refuses with the same error", {
			if (rrc != want)
				diag("reference: %s, want %s",
				     rrc < 0 ? "fdt_check_full failed" : err_name(rrc),
				     err_names[want]);
		});
		printf("# fdt_check_full: %s (the refusal is semantic)\n",
		       fdt_rc ? fdt_strerror(fdt_rc) : "accepts");
	}
	free(d);
	free(r);
	free(blob);
	free(file);
	return tap_done();
}

/* ---- byte-level damage ---- */

/* A blob being damaged: buffer, its length, and the avail to pass. */
struct mut {
	uint8_t *b;
	size_t len;   /* bytes in b */
	size_t avail; /* what dt_parse() is told */
};

#define HDR_TOTALSIZE	 4
#define HDR_OFF_STRUCT	 8
#define HDR_OFF_STRINGS	 12
#define HDR_OFF_RSVMAP	 16
#define HDR_VERSION	 20
#define HDR_LAST_COMP	 24
#define HDR_SIZE_STRINGS 32
#define HDR_SIZE_STRUCT	 36

static uint32_t hdr(const struct mut *m, int field)
{
	return be32_get(m->b + field);
}

static void set_hdr(struct mut *m, int field, uint32_t v)
{
	be32_put(m->b + field, v);
}

/* Absolute offset of the first property (of the root) / of a node token. */
static uint32_t first_prop(const struct mut *m)
{
	return hdr(m, HDR_OFF_STRUCT) + (uint32_t)fdt_first_property_offset(m->b, 0);
}

static uint32_t first_child(const struct mut *m)
{
	int node;

	fdt_for_each_subnode(node, m->b, 0) if (strlen(fdt_get_name(m->b, node, NULL)) >=
						4) return hdr(m, HDR_OFF_STRUCT) +
		(uint32_t)node;
	return 0;
}

static uint32_t end_token(const struct mut *m)
{
	return hdr(m, HDR_OFF_STRUCT) + hdr(m, HDR_SIZE_STRUCT) - 4;
}

static void m_magic(struct mut *m)
{
	m->b[0] ^= 0x01;
}
static void m_version15(struct mut *m)
{
	set_hdr(m, HDR_VERSION, 15);
	set_hdr(m, HDR_LAST_COMP, 15);
}
static void m_lastcomp18(struct mut *m)
{
	set_hdr(m, HDR_LAST_COMP, 18);
	set_hdr(m, HDR_VERSION, 18);
}
static void m_version16(struct mut *m)
{
	set_hdr(m, HDR_VERSION, 16);
	set_hdr(m, HDR_LAST_COMP, 16);
}
static void m_lastcomp_above(struct mut *m)
{
	set_hdr(m, HDR_VERSION, 16);
	set_hdr(m, HDR_LAST_COMP, 17);
}
static void m_avail_small(struct mut *m)
{
	m->avail = 20;
}
static void m_avail_zero(struct mut *m)
{
	m->avail = 0;
}
static void m_total_gt_buf(struct mut *m)
{
	set_hdr(m, HDR_TOTALSIZE, (uint32_t)m->len + 8);
}
static void m_buf_short(struct mut *m)
{
	m->avail = m->len - 1;
}
static void m_total_lt_hdr(struct mut *m)
{
	set_hdr(m, HDR_TOTALSIZE, 20);
}
static void m_total_huge(struct mut *m)
{
	set_hdr(m, HDR_TOTALSIZE, 0x80000000u);
}

static void m_struct_past(struct mut *m)
{
	set_hdr(m, HDR_SIZE_STRUCT, hdr(m, HDR_TOTALSIZE) - hdr(m, HDR_OFF_STRUCT) + 4);
}

static void m_struct_off_past(struct mut *m)
{
	set_hdr(m, HDR_OFF_STRUCT, hdr(m, HDR_TOTALSIZE) + 4);
}

static void m_struct_wrap(struct mut *m)
{
	set_hdr(m, HDR_SIZE_STRUCT, 0xfffffffcu);
}
static void m_struct_hdr(struct mut *m)
{
	set_hdr(m, HDR_OFF_STRUCT, 8);
}

static void m_strings_past(struct mut *m)
{
	set_hdr(m, HDR_SIZE_STRINGS, hdr(m, HDR_TOTALSIZE) - hdr(m, HDR_OFF_STRINGS) + 1);
}

static void m_strings_hdr(struct mut *m)
{
	set_hdr(m, HDR_OFF_STRINGS, 0);
}
static void m_rsv_past(struct mut *m)
{
	set_hdr(m, HDR_OFF_RSVMAP, hdr(m, HDR_TOTALSIZE) + 8);
}
static void m_rsv_hdr(struct mut *m)
{
	set_hdr(m, HDR_OFF_RSVMAP, 16);
}

static void m_struct_misaligned(struct mut *m)
{
	set_hdr(m, HDR_OFF_STRUCT, hdr(m, HDR_OFF_STRUCT) + 2);
	set_hdr(m, HDR_SIZE_STRUCT, hdr(m, HDR_SIZE_STRUCT) - 2);
}

static void m_mid_token(struct mut *m)
{
	set_hdr(m, HDR_SIZE_STRUCT, first_prop(m) - hdr(m, HDR_OFF_STRUCT) + 6);
}

static void m_unknown_token(struct mut *m)
{
	be32_put(m->b + first_prop(m), 0x7);
}

static void m_name_unterminated(struct mut *m)
{
	set_hdr(m, HDR_SIZE_STRUCT, first_child(m) - hdr(m, HDR_OFF_STRUCT) + 4 + 2);
}

static void m_root_named(struct mut *m)
{
	m->b[hdr(m, HDR_OFF_STRUCT) + 4] = 'x';
}

static void m_nameoff_past(struct mut *m)
{
	be32_put(m->b + first_prop(m) + 8, hdr(m, HDR_SIZE_STRINGS));
}

static void m_nameoff_huge(struct mut *m)
{
	be32_put(m->b + first_prop(m) + 8, 0xffffffffu);
}

/* Cut the strings block just before the first property name's NUL. */
static void m_name_string_cut(struct mut *m)
{
	uint32_t nameoff = be32_get(m->b + first_prop(m) + 8);
	const char *name = (const char *)m->b + hdr(m, HDR_OFF_STRINGS) + nameoff;

	set_hdr(m, HDR_SIZE_STRINGS, nameoff + (uint32_t)strlen(name));
}

static void m_prop_len_past(struct mut *m)
{
	be32_put(m->b + first_prop(m) + 4, hdr(m, HDR_SIZE_STRUCT));
}

static void m_prop_len_wrap(struct mut *m)
{
	be32_put(m->b + first_prop(m) + 4, 0xfffffff8u);
}

static void m_endnode_first(struct mut *m)
{
	be32_put(m->b + hdr(m, HDR_OFF_STRUCT), 0x2);	  /* FDT_END_NODE */
	be32_put(m->b + hdr(m, HDR_OFF_STRUCT) + 4, 0x4); /* FDT_NOP over the name */
}

/* The structure block stops right after the root's FDT_END_NODE. */
static void m_no_end(struct mut *m)
{
	set_hdr(m, HDR_SIZE_STRUCT, hdr(m, HDR_SIZE_STRUCT) - 4);
}
static void m_root_unclosed(struct mut *m)
{
	be32_put(m->b + end_token(m) - 4, 0x4);
}

static void m_prop_at_top(struct mut *m)
{
	/* root END_NODE, then END -> root END_NODE, PROP header cut: no room */
	be32_put(m->b + end_token(m), 0x3);
}

/*
 * Make room for one more token at the end of the structure block by moving
 * the strings block (which follows it) to the end of the blob; then put an
 * FDT_NOP between the root's FDT_END_NODE and FDT_END.
 */
static void m_nop_after_root(struct mut *m)
{
	uint32_t total = hdr(m, HDR_TOTALSIZE), at = (total + 7) & ~7u;
	uint32_t str_off = hdr(m, HDR_OFF_STRINGS), str_size = hdr(m, HDR_SIZE_STRINGS);
	uint32_t end = end_token(m);
	size_t newlen = at + str_size;

	if (str_off != end + 4) {
		fprintf(stderr, "dt_test: nop-after-root needs strings right after the struct\n");
		exit(2);
	}
	m->b = realloc(m->b, newlen);
	memset(m->b + total, 0, newlen - total);
	memcpy(m->b + at, m->b + str_off, str_size);
	be32_put(m->b + end, 0x4);     /* FDT_NOP */
	be32_put(m->b + end + 4, 0x9); /* FDT_END */
	set_hdr(m, HDR_SIZE_STRUCT, hdr(m, HDR_SIZE_STRUCT) + 4);
	set_hdr(m, HDR_OFF_STRINGS, at);
	set_hdr(m, HDR_TOTALSIZE, (uint32_t)newlen);
	m->len = m->avail = newlen;
}

/* Move the structure block to the end of the blob, behind an FDT_NOP. */
static void m_nop_before_root(struct mut *m)
{
	uint32_t total = hdr(m, HDR_TOTALSIZE), at = (total + 7) & ~7u;
	uint32_t st_off = hdr(m, HDR_OFF_STRUCT), st_size = hdr(m, HDR_SIZE_STRUCT);
	size_t newlen = at + 4 + st_size;

	m->b = realloc(m->b, newlen);
	memset(m->b + total, 0, newlen - total);
	be32_put(m->b + at, 0x4); /* FDT_NOP */
	memcpy(m->b + at + 4, m->b + st_off, st_size);
	set_hdr(m, HDR_OFF_STRUCT, at);
	set_hdr(m, HDR_SIZE_STRUCT, st_size + 4);
	set_hdr(m, HDR_TOTALSIZE, (uint32_t)newlen);
	m->len = m->avail = newlen;
}

/* Append nonzero reservation entries at the end and point the map there. */
static void m_rsv_unterminated(struct mut *m)
{
	uint32_t total = hdr(m, HDR_TOTALSIZE), at = (total + 7) & ~7u, i;
	size_t newlen = at + 2 * 16;

	m->b = realloc(m->b, newlen);
	memset(m->b + total, 0, newlen - total);
	for (i = at; i < newlen; i += 16) {
		be32_put(m->b + i + 4, 0x80000000u);
		be32_put(m->b + i + 12, 0x1000); /* size 4 KiB, never 0 */
	}
	m->len = m->avail = newlen;
	set_hdr(m, HDR_TOTALSIZE, (uint32_t)newlen);
	set_hdr(m, HDR_OFF_RSVMAP, at);
}

/* A sound map (one entry, then 0/0) moved to the end, 4 bytes off 8-alignment. */
static void m_rsv_misaligned(struct mut *m)
{
	uint32_t total = hdr(m, HDR_TOTALSIZE), at = ((total + 7) & ~7u) + 4;
	size_t newlen = at + 2 * 16;

	m->b = realloc(m->b, newlen);
	memset(m->b + total, 0, newlen - total);
	be32_put(m->b + at + 4, 0x80000000u);
	be32_put(m->b + at + 12, 0x1000);
	m->len = m->avail = newlen;
	set_hdr(m, HDR_TOTALSIZE, (uint32_t)newlen);
	set_hdr(m, HDR_OFF_RSVMAP, at);
}

static void m_rsv_size0(struct mut *m)
{
	/* An entry "0x1000 size 0" ends the list, as in libfdt and Linux. */
	m_rsv_unterminated(m);
	be32_put(m->b + hdr(m, HDR_OFF_RSVMAP) + 16 + 12, 0);
}

/*
 * What fdt_check_full() says. LIBFDT_UNSAFE: libfdt 1.6.1 dereferences
 * NULL on it (fdt_get_name() fails on a version < 16 root, and
 * fdt_check_full() uses the name unchecked), so it is not asked.
 */
enum libfdt_verdict { LIBFDT_REFUSES, LIBFDT_ACCEPTS, LIBFDT_UNSAFE };

struct mutation {
	const char *name;
	void (*apply)(struct mut *m);
	int want;		    /* DT_ERR_x, or 0 */
	enum libfdt_verdict libfdt; /* fdt_check_full() on the same bytes */
};

static const struct mutation mutations[] = {
	{ "bad-magic", m_magic, DT_ERR_MAGIC, LIBFDT_REFUSES },
	{ "version-15-libfdt-crashes", m_version15, DT_ERR_VERSION, LIBFDT_UNSAFE },
	{ "last-comp-version-18", m_lastcomp18, DT_ERR_VERSION, LIBFDT_REFUSES },
	{ "version-16-accepted", m_version16, 0, LIBFDT_ACCEPTS },
	{ "last-comp-version-above-version", m_lastcomp_above, DT_ERR_VERSION, LIBFDT_REFUSES },
	{ "avail-below-header", m_avail_small, DT_ERR_TRUNCATED, LIBFDT_REFUSES },
	{ "avail-zero", m_avail_zero, DT_ERR_TRUNCATED, LIBFDT_REFUSES },
	{ "totalsize-above-buffer", m_total_gt_buf, DT_ERR_TRUNCATED, LIBFDT_REFUSES },
	{ "buffer-one-byte-short", m_buf_short, DT_ERR_TRUNCATED, LIBFDT_REFUSES },
	{ "totalsize-below-header", m_total_lt_hdr, DT_ERR_LAYOUT, LIBFDT_REFUSES },
	{ "totalsize-2GiB", m_total_huge, DT_ERR_LAYOUT, LIBFDT_REFUSES },
	{ "struct-size-past-totalsize", m_struct_past, DT_ERR_LAYOUT, LIBFDT_REFUSES },
	{ "struct-offset-past-totalsize", m_struct_off_past, DT_ERR_LAYOUT, LIBFDT_REFUSES },
	{ "struct-size-wraps", m_struct_wrap, DT_ERR_LAYOUT, LIBFDT_REFUSES },
	{ "struct-overlaps-header", m_struct_hdr, DT_ERR_LAYOUT, LIBFDT_REFUSES },
	{ "strings-past-totalsize", m_strings_past, DT_ERR_LAYOUT, LIBFDT_REFUSES },
	{ "strings-overlap-header", m_strings_hdr, DT_ERR_LAYOUT, LIBFDT_REFUSES },
	{ "memreserve-past-totalsize", m_rsv_past, DT_ERR_LAYOUT, LIBFDT_REFUSES },
	{ "memreserve-overlaps-header", m_rsv_hdr, DT_ERR_LAYOUT, LIBFDT_REFUSES },
	{ "memreserve-misaligned-libfdt-accepts", m_rsv_misaligned, DT_ERR_LAYOUT, LIBFDT_ACCEPTS },
	{ "struct-offset-misaligned", m_struct_misaligned, DT_ERR_LAYOUT, LIBFDT_REFUSES },
	{ "struct-truncated-mid-token", m_mid_token, DT_ERR_TRUNCATED, LIBFDT_REFUSES },
	{ "unknown-token", m_unknown_token, DT_ERR_TOKEN, LIBFDT_REFUSES },
	{ "node-name-unterminated", m_name_unterminated, DT_ERR_NAME, LIBFDT_REFUSES },
	{ "root-name-not-empty", m_root_named, DT_ERR_NAME, LIBFDT_REFUSES },
	{ "prop-nameoff-past-strings", m_nameoff_past, DT_ERR_STRING, LIBFDT_REFUSES },
	{ "prop-nameoff-huge", m_nameoff_huge, DT_ERR_STRING, LIBFDT_REFUSES },
	{ "prop-name-unterminated", m_name_string_cut, DT_ERR_STRING, LIBFDT_REFUSES },
	{ "prop-len-past-struct", m_prop_len_past, DT_ERR_PROP, LIBFDT_REFUSES },
	{ "prop-len-wraps", m_prop_len_wrap, DT_ERR_PROP, LIBFDT_REFUSES },
	{ "end-node-without-begin", m_endnode_first, DT_ERR_NESTING, LIBFDT_REFUSES },
	{ "missing-fdt-end", m_no_end, DT_ERR_NO_END, LIBFDT_REFUSES },
	{ "fdt-end-inside-root", m_root_unclosed, DT_ERR_NESTING, LIBFDT_REFUSES },
	{ "nop-after-root", m_nop_after_root, DT_ERR_TOKEN, LIBFDT_REFUSES },
	{ "nop-before-root-libfdt-accepts", m_nop_before_root, DT_ERR_TOKEN, LIBFDT_ACCEPTS },
	{ "prop-after-root-truncated", m_prop_at_top, DT_ERR_TRUNCATED, LIBFDT_REFUSES },
	{ "memreserve-unterminated", m_rsv_unterminated, DT_ERR_MEMRESERVE, LIBFDT_REFUSES },
	{ "memreserve-size0-ends-list", m_rsv_size0, 0, LIBFDT_ACCEPTS },
};

#define N_MUTATIONS (sizeof(mutations) / sizeof(mutations[0]))

static void run_mutation(const struct mutation *mu, const uint8_t *good, size_t len)
{
	struct mut m = { .b = copy_exact(good, len), .len = len, .avail = len };
	struct dt_info *info = malloc(sizeof(*info));
	uint8_t *exact;
	int rc, frc;

	mu->apply(&m);
	/* Hand dt.c exactly avail bytes, so any over-read trips ASan. */
	exact = copy_exact(m.b, m.avail);
	rc = dt_parse(exact, m.avail, info);
	if (rc != -mu->want)
		diag("dt_parse: %s, want %s", err_name(rc), err_names[mu->want]);
	else if (rc)
		printf("# %s at offset %u\n", dt_strerror(rc), info->error.offset);
	if (mu->libfdt == LIBFDT_UNSAFE)
		frc = -FDT_ERR_BADVERSION;
	else if (m.avail < sizeof(struct fdt_header))
		frc = -FDT_ERR_TRUNCATED;
	else
		frc = fdt_check_full(exact, m.avail);
	if (mu->libfdt == LIBFDT_UNSAFE)
		printf("# fdt_check_full not asked: libfdt 1.6.1 crashes on this\n");
	else if ((frc != 0) != (mu->libfdt == LIBFDT_REFUSES))
		diag("fdt_check_full: %s, expected it to %s", frc ? fdt_strerror(frc) : "ok",
		     mu->libfdt == LIBFDT_REFUSES ? "refuse" : "accept");
	free(exact);
	free(m.b);
	free(info);
}

/* ---- synthetic trees, built with libfdt's sequential writer ---- */

#define SYN_CAP (1 << 20)

#define OK_FDT(x)                                                                                  \
	do {                                                                                       \
		int _e = (x);                                                                      \
		if (_e) {                                                                          \
			fprintf(stderr, "dt_test: %s: %s\n", #x, fdt_strerror(_e));                \
			exit(2);                                                                   \
		}                                                                                  \
	} while (0)

/* A bootable tree with @nharts harts, @nrsv memreserve entries, @levels deep. */
static uint8_t *syn_tree(int nharts, int nrsv, int levels, size_t *len)
{
	uint8_t *b = malloc(SYN_CAP);
	char name[32];
	int i;

	OK_FDT(fdt_create(b, SYN_CAP));
	for (i = 0; i < nrsv; i++)
		OK_FDT(fdt_add_reservemap_entry(b, 0x80000000ull + (uint64_t)i * 0x1000, 0x1000));
	OK_FDT(fdt_finish_reservemap(b));
	OK_FDT(fdt_begin_node(b, ""));
	OK_FDT(fdt_property_u32(b, "#address-cells", 2));
	OK_FDT(fdt_property_u32(b, "#size-cells", 2));
	OK_FDT(fdt_begin_node(b, "memory@80000000"));
	OK_FDT(fdt_property_string(b, "device_type", "memory"));
	{
		fdt64_t reg[2] = { cpu_to_fdt64(0x80000000ull), cpu_to_fdt64(0x10000000ull) };

		OK_FDT(fdt_property(b, "reg", reg, sizeof(reg)));
	}
	OK_FDT(fdt_end_node(b));
	OK_FDT(fdt_begin_node(b, "cpus"));
	OK_FDT(fdt_property_u32(b, "#address-cells", 1));
	OK_FDT(fdt_property_u32(b, "#size-cells", 0));
	OK_FDT(fdt_property_u32(b, "timebase-frequency", 10000000));
	for (i = 0; i < nharts; i++) {
		snprintf(name, sizeof(name), "cpu@%x", i);
		OK_FDT(fdt_begin_node(b, name));
		OK_FDT(fdt_property_string(b, "device_type", "cpu"));
		OK_FDT(fdt_property_u32(b, "reg", (uint32_t)i));
		OK_FDT(fdt_property_string(b, "riscv,isa", "rv64imafdc_sstc"));
		OK_FDT(fdt_property_string(b, "mmu-type", "riscv,sv39"));
		OK_FDT(fdt_end_node(b));
	}
	OK_FDT(fdt_end_node(b));
	for (i = 1; i < levels; i++) {
		snprintf(name, sizeof(name), "n%d", i);
		OK_FDT(fdt_begin_node(b, name));
	}
	for (i = 1; i < levels; i++)
		OK_FDT(fdt_end_node(b));
	OK_FDT(fdt_end_node(b));
	OK_FDT(fdt_finish(b));
	*len = fdt_totalsize(b);
	return b;
}

struct synthetic {
	const char *name;
	int nharts, nrsv, levels;
	int want;
	enum libfdt_verdict libfdt;
};

static const struct synthetic synthetics[] = {
	{ "synthetic-512-harts", DT_MAX_HARTS, 0, 1, 0, LIBFDT_ACCEPTS },
	{ "synthetic-513-harts", DT_MAX_HARTS + 1, 0, 1, DT_ERR_TOO_MANY, LIBFDT_ACCEPTS },
	{ "synthetic-32-memreserve", 1, DT_MAX_RESV, 1, 0, LIBFDT_ACCEPTS },
	{ "synthetic-33-memreserve", 1, DT_MAX_RESV + 1, 1, DT_ERR_TOO_MANY, LIBFDT_ACCEPTS },
	{ "synthetic-depth-at-limit", 1, 0, DT_MAX_DEPTH, 0, LIBFDT_ACCEPTS },
	{ "synthetic-depth-over-limit-libfdt-accepts", 1, 0, DT_MAX_DEPTH + 1, DT_ERR_NESTING,
	  LIBFDT_ACCEPTS },
};

#define N_SYNTHETICS (sizeof(synthetics) / sizeof(synthetics[0]))

static void run_synthetic(const struct synthetic *s)
{
	size_t len;
	uint8_t *built = syn_tree(s->nharts, s->nrsv, s->levels, &len);
	uint8_t *b = copy_exact(built, len);
	struct dt_info *info = malloc(sizeof(*info)), *r = malloc(sizeof(*r));
	int rc = dt_parse(b, len, info), frc = fdt_check_full(b, len), rrc;

	if (rc != -s->want)
		diag("dt_parse: %s, want %s", err_name(rc), err_names[s->want]);
	if ((frc != 0) != (s->libfdt == LIBFDT_REFUSES))
		diag("fdt_check_full: %s", frc ? fdt_strerror(frc) : "ok");
	if (!err_is_structural(s->want)) {
		rrc = ref_parse(b, len, r);
		if (rrc != s->want)
			diag("reference: %s, want %s", err_name(rrc), err_names[s->want]);
		if (!rc && !rrc) {
			cmp_harts(b, info, r);
			cmp_regions("resv", info->resv, info->nresv, r->resv, r->nresv);
		}
	}
	if (!rc)
		cmp_walk(b);
	free(info);
	free(r);
	free(b);
	free(built);
}

/* dt_strerror and dt_hart_state_str cover every code, and odd inputs. */
static void check_strings(void)
{
	int i;

	for (i = 0; i < DT_ERR_COUNT; i++)
		if (!dt_strerror(i) || !dt_strerror(-i) || strcmp(dt_strerror(i), dt_strerror(-i)))
			diag("dt_strerror(%d)", i);
	if (strcmp(dt_strerror(-DT_ERR_MAGIC), "bad magic") ||
	    strcmp(dt_strerror(DT_ERR_BOOTARGS), "bootargs not NUL-terminated"))
		diag("dt_strerror wording changed");
	if (strcmp(dt_strerror(-2147483647 - 1), "unknown error") ||
	    strcmp(dt_strerror(DT_ERR_COUNT), "unknown error"))
		diag("dt_strerror of an unknown code");
	if (strcmp(dt_hart_state_str(DT_HART_USABLE), "usable") ||
	    strcmp(dt_hart_state_str(DT_HART_BAD_MMU), "unsupported MMU") ||
	    strcmp(dt_hart_state_str(DT_HART_NO_SMODE), "no S-mode"))
		diag("dt_hart_state_str wording changed");
	if (dt_read_cells("\x12\x34\x56\x78\x9a\xbc\xde\xf0", 2) != 0x123456789abcdef0ull ||
	    dt_read_cells("\x12\x34\x56\x78", 1) != 0x12345678u ||
	    dt_read_cells("\x12\x34\x56\x78", 3) != 0)
		diag("dt_read_cells");
	if (dt_parse(NULL, 0, &(struct dt_info){ 0 }) != -DT_ERR_TRUNCATED)
		diag("dt_parse(NULL)");
}

static int mode_mutations(const char *path, const char *only)
{
	size_t len, i;
	void *file = path ? read_file(path, &len) : NULL;
	int ran = 0;

	if (path && fdt_check_full(file, len)) {
		fprintf(stderr, "dt_test: %s is not a good tree\n", path);
		return 2;
	}
	if (path)
		len = fdt_totalsize(file); /* drop QEMU's padding */
	for (i = 0; path && i < N_MUTATIONS; i++) {
		if (only && strcmp(only, mutations[i].name))
			continue;
		ran++;
		CASE(mutations[i].name, run_mutation(&mutations[i], file, len));
	}
	for (i = 0; !path && i < N_SYNTHETICS; i++) {
		if (only && strcmp(only, synthetics[i].name))
			continue;
		ran++;
		CASE(synthetics[i].name, run_synthetic(&synthetics[i]));
	}
	if (!path && (!only || !strcmp(only, "strings-and-cells"))) {
		ran++;
		CASE("strings-and-cells", check_strings());
	}
	if (!ran) {
		fprintf(stderr, "dt_test: no mutation named %s\n", only);
		return 2;
	}
	free(file);
	return tap_done();
}

/* "mutation NAME" (needs a good tree) or "synthetic NAME" (needs none). */
static void list_mutations(void)
{
	size_t i;

	for (i = 0; i < N_MUTATIONS; i++)
		printf("mutation %s\n", mutations[i].name);
	for (i = 0; i < N_SYNTHETICS; i++)
		printf("synthetic %s\n", synthetics[i].name);
	printf("synthetic strings-and-cells\n");
}

/* ---- --print ---- */

static void print_region(const char *what, const struct dt_region *r)
{
	printf("%-5s 0x%016" PRIx64 "..0x%016" PRIx64 " (%" PRIu64 " KiB) %s\n", what, r->base,
	       r->base + (r->size - 1), r->size >> 10, r->name);
}

static int mode_print(const char *path)
{
	size_t len;
	void *file = read_file(path, &len);
	uint8_t *blob = copy_exact(file, len);
	struct dt_info *d = malloc(sizeof(*d));
	unsigned int i;
	int rc = dt_parse(blob, len, d);

	if (rc) {
		printf("error: %s (%s) at offset %u, node %s\n", err_name(rc), dt_strerror(rc),
		       d->error.offset, show(d->error.node));
		return 1;
	}
	printf("totalsize %u\nmodel     \"%s\"\ntimebase  %u Hz\n", d->totalsize, d->model,
	       d->timebase_hz);
	printf("harts     %u, %u usable\n", d->nharts, d->nusable);
	for (struct dt_hart hart = DT_HART_START; !dt_next_hart(blob, d, &hart);) {
		const struct dt_hart *h = &hart;

		if (h->hartid == DT_HARTID_NONE)
			printf("  hart %-4s ", "-");
		else
			printf("  hart %-4" PRIu64 " ", h->hartid);
		printf("%-15s isa \"%s\" mmu \"%s\"%s\n", dt_hart_state_str(h->state), h->isa,
		       h->mmu, h->sstc ? " sstc" : "");
	}
	for (i = 0; i < d->nmem; i++)
		print_region("mem", &d->mem[i]);
	for (i = 0; i < d->nresv; i++)
		print_region("resv", &d->resv[i]);
	printf("bootargs  %s%s%s\n", d->bootargs ? "\"" : "", d->bootargs ? d->bootargs : "(none)",
	       d->bootargs ? "\"" : "");
	if (d->has_initrd)
		printf("initrd    0x%" PRIx64 "..0x%" PRIx64 " (end exclusive)\n", d->initrd_start,
		       d->initrd_end);
	else
		printf("initrd    (none)\n");
	if (d->stdout_path)
		printf("stdout    \"%.*s\" options %s%s%s\n", (int)d->stdout_path_len,
		       d->stdout_path, d->stdout_opts ? "\"" : "",
		       d->stdout_opts ? d->stdout_opts : "(none)", d->stdout_opts ? "\"" : "");
	else
		printf("stdout    (none)\n");
	free(d);
	free(blob);
	free(file);
	return 0;
}

/* Whatever the bytes: dt_parse() agrees with dt_check() and walks safely. */
static int mode_any(const char *path)
{
	size_t len;
	void *file = read_file(path, &len);
	uint8_t *blob = copy_exact(file, len);
	struct dt_info *info = malloc(sizeof(*info));
	struct dt_error e;
	int rc, crc;

	rc = dt_parse(blob, len, info);
	crc = dt_check(blob, len, &e);
	CASE("dt_parse and dt_check agree; pointers stay inside", {
		printf("# dt_parse: %s (%s)\n", err_name(rc), dt_strerror(rc));
		if (crc && (crc != rc || e.offset != info->error.offset))
			diag("dt_check: %s at %u, dt_parse: %s at %u", err_name(crc), e.offset,
			     err_name(rc), info->error.offset);
		if (!rc)
			check_inside(info, blob, len);
	});
	if (!crc && len >= sizeof(struct fdt_header)) {
		CASE("what dt_check accepts, libfdt accepts and walks alike", {
			if (fdt_check_full(blob, len))
				diag("fdt_check_full refuses what dt_check accepted");
			else
				cmp_walk(blob);
		});
	}
	CASE("flipped bytes never crash", check_flips(blob, len, len));
	free(info);
	free(blob);
	free(file);
	return tap_done();
}

static int usage(void)
{
	fprintf(stderr, "usage: dt_test FILE.dtb\n"
			"       dt_test --expect DT_ERR_x FILE.dtb\n"
			"       dt_test --mutations FILE.dtb [CASE]\n"
			"       dt_test --synthetic [CASE]\n"
			"       dt_test --list-mutations\n"
			"       dt_test --any FILE\n"
			"       dt_test --print FILE.dtb\n");
	return 2;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "--list-mutations")) {
		list_mutations();
		return 0;
	}
	if (argc >= 2 && argc <= 3 && !strcmp(argv[1], "--synthetic"))
		return mode_mutations(NULL, argc == 3 ? argv[2] : NULL);
	if (argc == 2 && argv[1][0] != '-')
		return mode_compare(argv[1]);
	if (argc == 4 && !strcmp(argv[1], "--expect"))
		return mode_expect(argv[2], argv[3]);
	if (argc >= 3 && argc <= 4 && !strcmp(argv[1], "--mutations"))
		return mode_mutations(argv[2], argc == 4 ? argv[3] : NULL);
	if (argc == 3 && !strcmp(argv[1], "--any"))
		return mode_any(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "--print"))
		return mode_print(argv[2]);
	return usage();
}

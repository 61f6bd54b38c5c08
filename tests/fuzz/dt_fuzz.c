/*
 * dt_fuzz.c - libFuzzer harness for core/platform/dt.c.
 *
 * Each input is a blob of exactly its own size (so ASan sees any read
 * past it), parsed at an aligned and at an odd address. On top of "no
 * crash" it checks what the reader promises:
 *   - the two parses agree; every pointer handed out lies in the blob;
 *     counts stay within DT_MAX_*;
 *   - dt_parse() fails with dt_check()'s error whenever dt_check() fails;
 *   - whatever dt_check() accepts, libfdt's fdt_check_full() accepts too,
 *     and dt_next_node()/dt_first_prop() walk it exactly as libfdt does.
 * A broken promise is __builtin_trap(), which libFuzzer reports as a crash.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libfdt.h>

#include "../../core/platform/dt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PROMISE(cond)                                                                              \
	do {                                                                                       \
		if (!(cond))                                                                       \
			__builtin_trap();                                                          \
	} while (0)

static struct dt_info info_a, info_b;

static void check_inside(const struct dt_info *info, const uint8_t *b, size_t size)
{
	const char *lo = (const char *)b, *hi = (const char *)b + size;
	unsigned int i;

#define IN(p)                                                                                      \
	PROMISE(!(p) || ((const char *)(p) >= lo && (const char *)(p) < hi) || !*(p) ||            \
		!strcmp((p), "/memreserve/"))
	IN(info->model);
	IN(info->bootargs);
	IN(info->stdout_path);
	IN(info->stdout_opts);
	PROMISE(info->nharts <= DT_MAX_HARTS && info->nusable <= info->nharts);
	PROMISE(info->nmem <= DT_MAX_MEM && info->nresv <= DT_MAX_RESV);
	for (struct dt_hart h = DT_HART_START; !dt_next_hart(b, info, &h);) {
		IN(h.isa);
		IN(h.mmu);
	}
	for (i = 0; i < info->nmem; i++)
		IN(info->mem[i].name);
	for (i = 0; i < info->nresv; i++)
		IN(info->resv[i].name);
#undef IN
}

/* The same facts from the blob at @pa and its copy at @pb, harts walked side by side. */
static void same_facts(const struct dt_info *a, const uint8_t *pa, const struct dt_info *b,
		       const uint8_t *pb)
{
	struct dt_hart ha = DT_HART_START, hb = DT_HART_START;
	unsigned int i, n = 0;
	int ra, rb;

	PROMISE(a->nharts == b->nharts && a->nusable == b->nusable);
	PROMISE(a->nmem == b->nmem && a->nresv == b->nresv);
	PROMISE(a->timebase_hz == b->timebase_hz && a->has_initrd == b->has_initrd);
	while ((ra = dt_next_hart(pa, a, &ha)) == 0) {
		rb = dt_next_hart(pb, b, &hb);
		PROMISE(rb == 0 && ha.hartid == hb.hartid && ha.state == hb.state);
		n++;
	}
	PROMISE(dt_next_hart(pb, b, &hb) != 0 && n == a->nharts);
	for (i = 0; i < a->nmem; i++)
		PROMISE(a->mem[i].base == b->mem[i].base && a->mem[i].size == b->mem[i].size);
}

/* dt.c's walk, node by node and property by property, against libfdt's. */
static void walk_like_libfdt(const uint8_t *b)
{
	int rd = 0, dd = 0, rn, dn = dt_next_node(b, -1, &dd);
	int rp, dp, rl, dl;
	const char *rname, *dname;

	for (rn = 0; rn >= 0 && rd >= 0;
	     rn = fdt_next_node(b, rn, &rd), dn = dt_next_node(b, dn, &dd)) {
		PROMISE(rn == dn && rd == dd);
		PROMISE(!strcmp(dt_node_name(b, dn), fdt_get_name(b, rn, NULL)));
		if (rd > 0)
			PROMISE(dt_parent_offset(b, dn) == fdt_parent_offset(b, rn));
		for (rp = fdt_first_property_offset(b, rn), dp = dt_first_prop(b, dn);
		     rp >= 0 || dp >= 0;
		     rp = fdt_next_property_offset(b, rp), dp = dt_next_prop(b, dp)) {
			PROMISE(rp == dp);
			PROMISE(fdt_getprop_by_offset(b, rp, &rname, &rl) ==
				dt_prop_at(b, dp, &dname, &dl));
			PROMISE(rl == dl && !strcmp(rname, dname));
		}
	}
	PROMISE(dn < 0 || dd < 0);
	PROMISE(dt_path_offset(b, "/cpus") == fdt_path_offset(b, "/cpus") ||
		(dt_path_offset(b, "/cpus") < 0 && fdt_path_offset(b, "/cpus") < 0));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *odd = malloc(size + 1);
	struct dt_error err;
	int ra, rb, rc;

	memcpy(odd + 1, data, size);
	ra = dt_parse(data, size, &info_a);
	rb = dt_parse(odd + 1, size, &info_b);
	PROMISE(ra == rb && ra <= 0 && info_a.error.code == -ra);
	rc = dt_check(data, size, &err);
	PROMISE(rc <= 0);
	if (rc)
		PROMISE(ra == rc && err.code == -rc && err.offset == info_a.error.offset);
	if (ra == 0) {
		check_inside(&info_a, data, size);
		check_inside(&info_b, odd + 1, size);
		same_facts(&info_a, data, &info_b, odd + 1);
		PROMISE(info_a.nusable > 0 && info_a.nmem > 0 && info_a.timebase_hz > 0);
	}
	/* libfdt wants an 8-byte aligned tree: data is a heap copy. */
	if (rc == 0) {
		PROMISE(fdt_check_full(data, size) == 0);
		walk_like_libfdt(data);
	}
	free(odd);
	return 0;
}

/*
 * elf_test.c - host tests of core/exec/elf.c.
 *
 *   elf_test --print FILE               elf_parse()'s result as key=value
 *                                       lines (test_cpio_elf.py compares
 *                                       them with riscv64 readelf -lhW)
 *   elf_test --expect ELF_ERR_x FILE [TEXT]  refused with that code (and
 *                                       TEXT in the detail string)
 *   elf_test --mutations FILE [CASE]    byte-level damage to a good program
 *   elf_test --synthetic [CASE]         programs written here (segment counts,
 *                                       shared pages, user_top edges)
 *   elf_test --from-cpio ARCHIVE PATH   the program found by cpio_find() in
 *                                       an initramfs parses in place
 *   elf_test --list-cases               "mutation NAME" / "synthetic NAME"
 *   elf_test --any FILE                 any bytes: no crash, promises hold
 *
 * Output is TAP. Every file handed to elf.c is a heap copy of exactly
 * its length, so AddressSanitizer catches a read past it. The reference
 * side reads headers through glibc's <elf.h> structs.
 */
#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../core/exec/cpio.h"

#define TESTLIB_NAME "elf_test"
#include "testlib.h"
#include "../../core/exec/elf.h"

/* Sv39: the lower half of a 39-bit space is user space. */
#define TEST_USER_TOP 0x4000000000ull

#define CASE(name, body)                                                                           \
	do {                                                                                       \
		case_failed = 0;                                                                   \
		body;                                                                              \
		tap_result(!case_failed, "%s", (name));                                            \
	} while (0)

static const char *const err_names[ELF_ERR_COUNT] = {
	[ELF_OK] = "ELF_OK",
	[ELF_ERR_TRUNCATED] = "ELF_ERR_TRUNCATED",
	[ELF_ERR_MAGIC] = "ELF_ERR_MAGIC",
	[ELF_ERR_CLASS] = "ELF_ERR_CLASS",
	[ELF_ERR_DATA] = "ELF_ERR_DATA",
	[ELF_ERR_VERSION] = "ELF_ERR_VERSION",
	[ELF_ERR_OSABI] = "ELF_ERR_OSABI",
	[ELF_ERR_TYPE] = "ELF_ERR_TYPE",
	[ELF_ERR_MACHINE] = "ELF_ERR_MACHINE",
	[ELF_ERR_ABI] = "ELF_ERR_ABI",
	[ELF_ERR_HEADER] = "ELF_ERR_HEADER",
	[ELF_ERR_DYNAMIC] = "ELF_ERR_DYNAMIC",
	[ELF_ERR_SEGMENT] = "ELF_ERR_SEGMENT",
	[ELF_ERR_RANGE] = "ELF_ERR_RANGE",
	[ELF_ERR_WX] = "ELF_ERR_WX",
	[ELF_ERR_OVERLAP] = "ELF_ERR_OVERLAP",
	[ELF_ERR_NO_LOAD] = "ELF_ERR_NO_LOAD",
	[ELF_ERR_TOO_MANY] = "ELF_ERR_TOO_MANY",
	[ELF_ERR_ENTRY] = "ELF_ERR_ENTRY",
	[ELF_ERR_INVAL] = "ELF_ERR_INVAL",
};

static const char *err_name(int rc)
{
	if (rc < 0)
		rc = -rc;
	return rc < ELF_ERR_COUNT ? err_names[rc] : "ELF_ERR_?";
}

static int err_by_name(const char *s)
{
	int i;

	for (i = 0; i < ELF_ERR_COUNT; i++)
		if (!strcmp(s, err_names[i]))
			return i;
	return -1;
}

/* ---- promises every accepted image keeps ---- */

static void image_promises(const struct elf_image *img, size_t len, uint64_t top)
{
	const struct elf_segment *s, *t;
	unsigned int i, j;
	bool entry_ok = false;

	if (img->nsegs < 1 || img->nsegs > ELF_MAX_SEGS)
		diag("nsegs %u", img->nsegs);
	if (img->lo % ELF_PAGE_SIZE || img->hi % ELF_PAGE_SIZE || img->lo >= img->hi ||
	    img->lo < ELF_MIN_VADDR ||
	    (top <= UINT64_MAX - 0xfff && img->hi > ((top + 0xfff) & ~0xfffull)))
		diag("span [%#lx, %#lx)", (unsigned long)img->lo, (unsigned long)img->hi);
	for (i = 0; i < img->nsegs && i < ELF_MAX_SEGS; i++) {
		s = &img->seg[i];
		if (!s->memsz || s->filesz > s->memsz || s->offset > len ||
		    s->filesz > len - s->offset)
			diag("seg %u: sizes or file bytes out of bounds", i);
		if (s->vaddr < ELF_MIN_VADDR || s->vaddr > top || s->memsz > top - s->vaddr ||
		    s->vaddr < img->lo || s->vaddr + s->memsz > img->hi)
			diag("seg %u: outside user space or the span", i);
		if ((s->flags & ELF_PF_W) && (s->flags & ELF_PF_X))
			diag("seg %u: W+X", i);
		if (s->flags & ~7u)
			diag("seg %u: flags %#x", i, s->flags);
		if ((s->flags & ELF_PF_X) && img->entry >= s->vaddr &&
		    img->entry < s->vaddr + s->filesz)
			entry_ok = true;
		for (j = 0; j < i; j++) {
			t = &img->seg[j];
			if (s->vaddr < t->vaddr + t->memsz && t->vaddr < s->vaddr + s->memsz)
				diag("segs %u and %u overlap", j, i);
			if ((s->vaddr >> 12) <= ((t->vaddr + t->memsz - 1) >> 12) &&
			    (t->vaddr >> 12) <= ((s->vaddr + s->memsz - 1) >> 12) &&
			    s->flags != t->flags)
				diag("segs %u and %u share a page with different flags", j, i);
		}
	}
	if (!entry_ok)
		diag("entry %#lx not in an X segment", (unsigned long)img->entry);
}

/* elf_parse() at an exact-size copy and at an odd address; both must agree. */
static int parse2(const uint8_t *f, size_t len, uint64_t top, struct elf_image *img,
		  struct elf_error *err)
{
	uint8_t *a = copy_exact(f, len), *odd = malloc(len + 1);
	struct elf_image img2;
	struct elf_error err2;
	int rc, rc2;

	memcpy(odd + 1, f, len);
	err->what = NULL;
	rc = elf_parse(a, len, top, img, err);
	rc2 = elf_parse(odd + 1, len, top, &img2, &err2);
	if (rc != rc2 || (rc == 0 && (img->entry != img2.entry || img->nsegs != img2.nsegs ||
				      img->lo != img2.lo || img->hi != img2.hi)))
		diag("aligned and odd-address parses differ");
	if (rc > 0 || rc <= -ELF_ERR_COUNT)
		diag("elf_parse returned %d", rc);
	if (rc && (err->code != -rc || !err->what || !*err->what))
		diag("elf_error not filled: code %d", err->code);
	if (rc == 0)
		image_promises(img, len, top);
	free(a);
	free(odd);
	return rc;
}

/* ---- --print, --expect, --from-cpio, --any ---- */

static void print_image(const struct elf_image *img)
{
	unsigned int i;

	printf("entry=%#lx\nnsegs=%u\nlo=%#lx\nhi=%#lx\n", (unsigned long)img->entry, img->nsegs,
	       (unsigned long)img->lo, (unsigned long)img->hi);
	for (i = 0; i < img->nsegs; i++)
		printf("seg=%#lx %#lx %#lx %#lx %c%c%c\n", (unsigned long)img->seg[i].offset,
		       (unsigned long)img->seg[i].vaddr, (unsigned long)img->seg[i].filesz,
		       (unsigned long)img->seg[i].memsz, img->seg[i].flags & ELF_PF_R ? 'R' : ' ',
		       img->seg[i].flags & ELF_PF_W ? 'W' : ' ',
		       img->seg[i].flags & ELF_PF_X ? 'E' : ' ');
}

static int mode_print(const char *path)
{
	size_t len;
	uint8_t *f = read_file(path, &len);
	struct elf_image img;
	struct elf_error err;
	int rc;

	CASE(path, {
		rc = parse2(f, len, TEST_USER_TOP, &img, &err);
		if (rc)
			diag("refused: %s: %s", err_name(rc), err.what);
		else
			print_image(&img);
	});
	free(f);
	return tap_done();
}

static int mode_expect(const char *code, const char *path, const char *text)
{
	size_t len;
	uint8_t *f = read_file(path, &len);
	struct elf_image img;
	struct elf_error err;
	int want = err_by_name(code), rc;

	if (want < 0) {
		fprintf(stderr, "elf_test: no error named %s\n", code);
		return 2;
	}
	CASE(path, {
		rc = parse2(f, len, TEST_USER_TOP, &img, &err);
		printf("# %s: %s\n", err_name(rc), rc ? err.what : "");
		if (rc != -want)
			diag("%s, want %s", err_name(rc), code);
		else if (rc && text && !strstr(err.what, text))
			diag("detail \"%s\" lacks \"%s\"", err.what, text);
	});
	free(f);
	return tap_done();
}

static int mode_from_cpio(const char *archive, const char *path)
{
	size_t len;
	uint8_t *file = read_file(archive, &len), *a = copy_exact(file, len);
	struct cpio_file cf;
	struct elf_image img, img2;
	struct elf_error err;
	int rc;

	CASE(path, {
		rc = cpio_find(a, len, path, &cf);
		if (rc) {
			diag("cpio_find: %s", cpio_strerror(rc));
		} else {
			/* In place in the archive (at whatever alignment cpio left it)... */
			rc = elf_parse(cf.data, cf.size, TEST_USER_TOP, &img2, &err);
			if (rc)
				diag("in place: %s: %s", err_name(rc), err.what);
			/* ...and in a buffer of exactly its size. */
			rc = parse2(cf.data, cf.size, TEST_USER_TOP, &img, &err);
			if (rc)
				diag("copied: %s: %s", err_name(rc), err.what);
			else if (img.entry != img2.entry || img.nsegs != img2.nsegs)
				diag("in place and copied differ");
			printf("# %s: %zu bytes at archive offset %zu, entry %#lx\n", path, cf.size,
			       (size_t)((const uint8_t *)cf.data - a), (unsigned long)img.entry);
		}
	});
	free(a);
	free(file);
	return tap_done();
}

static int mode_any(const char *path)
{
	size_t len;
	uint8_t *f = read_file(path, &len);
	struct elf_image img;
	struct elf_error err;
	int rc;

	CASE(path, {
		rc = parse2(f, len, TEST_USER_TOP, &img, &err);
		printf("# %s\n", rc ? err_name(rc) : "accepted");
		parse2(f, len, UINT64_MAX, &img, &err);
		parse2(f, len, 0, &img, &err);
	});
	free(f);
	return tap_done();
}

/* ---- --mutations ---- */

struct mut {
	uint8_t *b;
	size_t len;
	uint64_t top;
	Elf64_Ehdr *eh;
	Elf64_Phdr *ph;	       /* the program header table */
	int text, data, other; /* first X PT_LOAD, first W PT_LOAD, first non-LOAD */
	const char *want_what; /* substring of elf_error.what, or NULL */
};

struct mutation {
	const char *name;
	void (*apply)(struct mut *m);
	int want;
};

#define PAGE_DOWN(a) ((a) & ~(uint64_t)0xfff)
#define PAGE_UP(a)   PAGE_DOWN((a) + 0xfff)

static Elf64_Phdr *TX(struct mut *m)
{
	return &m->ph[m->text];
}
static Elf64_Phdr *DA(struct mut *m)
{
	return &m->ph[m->data];
}

static void m_magic(struct mut *m)
{
	m->b[1] = 'X';
}
static void m_class32(struct mut *m)
{
	m->b[EI_CLASS] = ELFCLASS32;
}
static void m_bigendian(struct mut *m)
{
	m->b[EI_DATA] = ELFDATA2MSB;
}
static void m_ei_version(struct mut *m)
{
	m->b[EI_VERSION] = 0;
}
static void m_osabi(struct mut *m)
{
	m->b[EI_OSABI] = ELFOSABI_GNU;
}
static void m_e_version(struct mut *m)
{
	m->eh->e_version = 2;
}
static void m_dyn(struct mut *m)
{
	m->eh->e_type = ET_DYN;
	m->want_what = "static";
}
static void m_rel(struct mut *m)
{
	m->eh->e_type = ET_REL;
}
static void m_x86(struct mut *m)
{
	m->eh->e_machine = EM_X86_64;
}
static void m_aarch64(struct mut *m)
{
	m->eh->e_machine = EM_AARCH64;
}
static void m_double(struct mut *m)
{
	m->eh->e_flags |= EF_RISCV_FLOAT_ABI_DOUBLE;
	m->want_what = "lp64 soft-float";
}
static void m_single(struct mut *m)
{
	m->eh->e_flags |= EF_RISCV_FLOAT_ABI_SINGLE;
	m->want_what = "lp64 soft-float";
}
static void m_quad(struct mut *m)
{
	m->eh->e_flags |= EF_RISCV_FLOAT_ABI_QUAD;
}
static void m_rve(struct mut *m)
{
	m->eh->e_flags |= EF_RISCV_RVE;
	m->want_what = "RVE";
}
static void m_tso_ok(struct mut *m)
{
	m->eh->e_flags |= 0x10; /* EF_RISCV_TSO */
}
static void m_ehsize(struct mut *m)
{
	m->eh->e_ehsize = 52;
}
static void m_phentsize(struct mut *m)
{
	m->eh->e_phentsize = 32;
}
static void m_phnum0(struct mut *m)
{
	m->eh->e_phnum = 0;
}
static void m_phnum65(struct mut *m)
{
	m->eh->e_phnum = 65;
}
static void m_phnum_huge(struct mut *m)
{
	m->eh->e_phnum = 0xffff;
}
static void m_phoff_end(struct mut *m)
{
	m->eh->e_phoff = m->len;
}
static void m_phoff_huge(struct mut *m)
{
	m->eh->e_phoff = 1ull << 63;
}
static void m_phoff_wrap(struct mut *m)
{
	m->eh->e_phoff = UINT64_MAX - 8;
}
static void m_phoff_in_ehdr(struct mut *m)
{
	m->eh->e_phoff = 8;
}
static void m_phdrs_cut(struct mut *m)
{
	m->len = m->eh->e_phoff + (size_t)m->eh->e_phnum * sizeof(Elf64_Phdr) - 1;
}
static void m_filesz_gt_memsz(struct mut *m)
{
	TX(m)->p_memsz = TX(m)->p_filesz - 1;
}
static void m_seg_past_file(struct mut *m)
{
	DA(m)->p_filesz = m->len;
	DA(m)->p_memsz = m->len;
}
static void m_seg_one_past(struct mut *m)
{
	DA(m)->p_filesz = m->len - DA(m)->p_offset + 1;
	if (DA(m)->p_memsz < DA(m)->p_filesz)
		DA(m)->p_memsz = DA(m)->p_filesz;
}
static void m_offset_wrap(struct mut *m)
{
	DA(m)->p_offset = UINT64_MAX - 0xf;
}
static void m_align3(struct mut *m)
{
	TX(m)->p_align = 0x1001;
}
static void m_vaddr_skew(struct mut *m)
{
	DA(m)->p_vaddr += 8;
}
static void m_vaddr_skew_align1(struct mut *m)
{
	DA(m)->p_vaddr += 8;
	DA(m)->p_align = 1;
}
static void m_vaddr0(struct mut *m)
{
	TX(m)->p_vaddr = TX(m)->p_offset & 0xfff;
	TX(m)->p_align = 0x1000;
}
static void m_vaddr_low(struct mut *m)
{
	TX(m)->p_vaddr = 0xf000 + (TX(m)->p_offset & 0xfff);
}
static void m_above_top(struct mut *m)
{
	DA(m)->p_vaddr += TEST_USER_TOP;
}
static void m_end_at_top(struct mut *m)
{
	m->top = DA(m)->p_vaddr + DA(m)->p_memsz;
}
static void m_end_past_top(struct mut *m)
{
	m->top = DA(m)->p_vaddr + DA(m)->p_memsz - 1;
}
static void m_wrap(struct mut *m)
{
	m->top = UINT64_MAX;
	DA(m)->p_memsz = UINT64_MAX - DA(m)->p_vaddr + 2;
}
static void m_roundup_wrap(struct mut *m)
{
	m->top = UINT64_MAX;
	DA(m)->p_memsz = UINT64_MAX - DA(m)->p_vaddr - 1; /* ends 2 bytes short of 2^64 */
}
static void m_wx_text(struct mut *m)
{
	TX(m)->p_flags |= PF_W;
}
static void m_wx_data(struct mut *m)
{
	DA(m)->p_flags |= PF_X;
}
static void m_overlap(struct mut *m)
{
	/* Text grows past a page; data moves onto its first page (congruence kept). */
	TX(m)->p_memsz += 0x2000;
	DA(m)->p_vaddr = TX(m)->p_vaddr + ((DA(m)->p_offset - TX(m)->p_vaddr) & 0xfff);
	m->want_what = "overlap";
}
static void m_share_page(struct mut *m)
{
	/* Text's memory now ends exactly where data starts, inside data's page. */
	if (!(DA(m)->p_vaddr & 0xfff) || DA(m)->p_vaddr < TX(m)->p_vaddr) {
		fprintf(stderr, "elf_test: base has no data segment starting mid-page\n");
		exit(2);
	}
	TX(m)->p_memsz = DA(m)->p_vaddr - TX(m)->p_vaddr;
}
static void m_entry_data(struct mut *m)
{
	m->eh->e_entry = DA(m)->p_vaddr;
}
static void m_entry0(struct mut *m)
{
	m->eh->e_entry = 0;
}
static void m_entry_end(struct mut *m)
{
	m->eh->e_entry = TX(m)->p_vaddr + TX(m)->p_filesz;
}
static void m_interp(struct mut *m)
{
	m->ph[m->other].p_type = PT_INTERP;
	m->want_what = "PT_INTERP";
}
static void m_dynamic(struct mut *m)
{
	m->ph[m->other].p_type = PT_DYNAMIC;
}
static void m_no_load(struct mut *m)
{
	int i;

	for (i = 0; i < m->eh->e_phnum; i++)
		if (m->ph[i].p_type == PT_LOAD)
			m->ph[i].p_type = PT_NOTE;
}
static void m_loads_empty(struct mut *m)
{
	int i;

	for (i = 0; i < m->eh->e_phnum; i++)
		if (m->ph[i].p_type == PT_LOAD)
			m->ph[i].p_memsz = m->ph[i].p_filesz = 0;
}
static void m_other_huge(struct mut *m)
{
	/* Non-LOAD headers are not mapped: their sizes do not matter. */
	m->ph[m->other].p_offset = UINT64_MAX;
	m->ph[m->other].p_filesz = UINT64_MAX;
}

static const struct mutation mutations[] = {
	{ "bad-magic", m_magic, ELF_ERR_MAGIC },
	{ "class-32", m_class32, ELF_ERR_CLASS },
	{ "big-endian", m_bigendian, ELF_ERR_DATA },
	{ "ei-version-0", m_ei_version, ELF_ERR_VERSION },
	{ "osabi-gnu", m_osabi, ELF_ERR_OSABI },
	{ "e-version-2", m_e_version, ELF_ERR_VERSION },
	{ "et-dyn", m_dyn, ELF_ERR_TYPE },
	{ "et-rel", m_rel, ELF_ERR_TYPE },
	{ "machine-x86-64", m_x86, ELF_ERR_MACHINE },
	{ "machine-aarch64", m_aarch64, ELF_ERR_MACHINE },
	{ "double-float-abi", m_double, ELF_ERR_ABI },
	{ "single-float-abi", m_single, ELF_ERR_ABI },
	{ "quad-float-abi", m_quad, ELF_ERR_ABI },
	{ "rve", m_rve, ELF_ERR_ABI },
	{ "tso-accepted", m_tso_ok, 0 },
	{ "ehsize-52", m_ehsize, ELF_ERR_HEADER },
	{ "phentsize-32", m_phentsize, ELF_ERR_HEADER },
	{ "phnum-0", m_phnum0, ELF_ERR_HEADER },
	{ "phnum-65", m_phnum65, ELF_ERR_HEADER },
	{ "phnum-ffff", m_phnum_huge, ELF_ERR_HEADER },
	{ "phoff-at-end", m_phoff_end, ELF_ERR_HEADER },
	{ "phoff-2^63", m_phoff_huge, ELF_ERR_HEADER },
	{ "phoff-wraps", m_phoff_wrap, ELF_ERR_HEADER },
	{ "phoff-inside-ehdr", m_phoff_in_ehdr, ELF_ERR_HEADER },
	{ "phdrs-cut-short", m_phdrs_cut, ELF_ERR_HEADER },
	{ "filesz-above-memsz", m_filesz_gt_memsz, ELF_ERR_SEGMENT },
	{ "segment-past-file", m_seg_past_file, ELF_ERR_SEGMENT },
	{ "segment-one-byte-past-file", m_seg_one_past, ELF_ERR_SEGMENT },
	{ "offset-wraps", m_offset_wrap, ELF_ERR_SEGMENT },
	{ "align-not-power-of-2", m_align3, ELF_ERR_SEGMENT },
	{ "vaddr-offset-skew", m_vaddr_skew, ELF_ERR_SEGMENT },
	{ "vaddr-offset-skew-align-1", m_vaddr_skew_align1, ELF_ERR_SEGMENT },
	{ "vaddr-0", m_vaddr0, ELF_ERR_RANGE },
	{ "vaddr-below-0x10000", m_vaddr_low, ELF_ERR_RANGE },
	{ "above-user-top", m_above_top, ELF_ERR_RANGE },
	{ "end-at-user-top-accepted", m_end_at_top, 0 },
	{ "end-one-past-user-top", m_end_past_top, ELF_ERR_RANGE },
	{ "vaddr-plus-memsz-wraps", m_wrap, ELF_ERR_RANGE },
	{ "page-round-up-wraps", m_roundup_wrap, ELF_ERR_RANGE },
	{ "text-writable", m_wx_text, ELF_ERR_WX },
	{ "data-executable", m_wx_data, ELF_ERR_WX },
	{ "overlapping-segments", m_overlap, ELF_ERR_OVERLAP },
	{ "text-and-data-share-a-page", m_share_page, ELF_ERR_OVERLAP },
	{ "entry-in-data", m_entry_data, ELF_ERR_ENTRY },
	{ "entry-0", m_entry0, ELF_ERR_ENTRY },
	{ "entry-at-text-end", m_entry_end, ELF_ERR_ENTRY },
	{ "pt-interp", m_interp, ELF_ERR_DYNAMIC },
	{ "pt-dynamic", m_dynamic, ELF_ERR_DYNAMIC },
	{ "no-pt-load", m_no_load, ELF_ERR_NO_LOAD },
	{ "all-pt-load-empty", m_loads_empty, ELF_ERR_NO_LOAD },
	{ "non-load-header-ignored", m_other_huge, 0 },
};

#define N_MUTATIONS (sizeof(mutations) / sizeof(mutations[0]))

static void mut_init(struct mut *m, const uint8_t *good, size_t len)
{
	int i;

	m->b = copy_exact(good, len);
	m->len = len;
	m->top = TEST_USER_TOP;
	m->want_what = NULL;
	m->eh = (Elf64_Ehdr *)m->b;
	m->ph = (Elf64_Phdr *)(m->b + m->eh->e_phoff);
	m->text = m->data = m->other = -1;
	for (i = 0; i < m->eh->e_phnum; i++) {
		if (m->ph[i].p_type == PT_LOAD && (m->ph[i].p_flags & PF_X) && m->text < 0)
			m->text = i;
		else if (m->ph[i].p_type == PT_LOAD && (m->ph[i].p_flags & PF_W) && m->data < 0)
			m->data = i;
		else if (m->ph[i].p_type != PT_LOAD && m->other < 0)
			m->other = i;
	}
	if (m->text < 0 || m->data < 0 || m->other < 0) {
		fprintf(stderr, "elf_test: base needs an X and a W PT_LOAD and another header\n");
		exit(2);
	}
}

static void run_mutation(const struct mutation *mu, const uint8_t *good, size_t len)
{
	struct mut m;
	struct elf_image img;
	struct elf_error err;
	int rc;

	mut_init(&m, good, len);
	mu->apply(&m);
	rc = parse2(m.b, m.len, m.top, &img, &err);
	printf("# %s%s%s\n", err_name(rc), rc ? ": " : "", rc ? err.what : "");
	if (rc != -mu->want)
		diag("%s, want %s", err_name(rc), err_names[mu->want]);
	else if (rc && m.want_what && !strstr(err.what, m.want_what))
		diag("detail \"%s\" lacks \"%s\"", err.what, m.want_what);
	free(m.b);
}

/* Cut the file at every length: accepted exactly from the last needed byte on. */
static void run_truncations(const uint8_t *good, size_t len)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)good;
	const Elf64_Phdr *ph = (const Elf64_Phdr *)(good + eh->e_phoff);
	size_t need = eh->e_phoff + (size_t)eh->e_phnum * sizeof(*ph), t;
	struct elf_image img;
	struct elf_error err;
	int i, rc, fails = 0;

	for (i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_LOAD && ph[i].p_offset + ph[i].p_filesz > need)
			need = ph[i].p_offset + ph[i].p_filesz;
	for (t = 0; t <= len && fails < 5; t++) {
		rc = parse2(good, t, TEST_USER_TOP, &img, &err);
		if ((rc == 0) != (t >= need)) {
			diag("cut at %zu (needs %zu): %s", t, need, err_name(rc));
			fails++;
		}
	}
}

static int mode_mutations(const char *path, const char *only)
{
	size_t len, i;
	uint8_t *file = read_file(path, &len);
	struct elf_image img;
	struct elf_error err;
	int ran = 0;

	if (elf_parse(file, len, TEST_USER_TOP, &img, &err)) {
		fprintf(stderr, "elf_test: %s is not a good program: %s\n", path, err.what);
		return 2;
	}
	for (i = 0; i < N_MUTATIONS; i++) {
		if (only && strcmp(only, mutations[i].name))
			continue;
		ran++;
		CASE(mutations[i].name, run_mutation(&mutations[i], file, len));
	}
	if (!only || !strcmp(only, "truncated-at-every-length")) {
		ran++;
		CASE("truncated-at-every-length", run_truncations(file, len));
	}
	if (!ran) {
		fprintf(stderr, "elf_test: no mutation named %s\n", only);
		return 2;
	}
	free(file);
	return tap_done();
}

/* ---- --synthetic: programs written here ---- */

struct prog {
	uint8_t b[8192];
	size_t len;
	Elf64_Ehdr *eh;
	Elf64_Phdr *ph;
};

/* A header and @n empty program headers; the file is 8 KiB of zeros. */
static void p_init(struct prog *p, int n)
{
	memset(p->b, 0, sizeof(p->b));
	p->len = sizeof(p->b);
	p->eh = (Elf64_Ehdr *)p->b;
	memcpy(p->eh->e_ident, ELFMAG, SELFMAG);
	p->eh->e_ident[EI_CLASS] = ELFCLASS64;
	p->eh->e_ident[EI_DATA] = ELFDATA2LSB;
	p->eh->e_ident[EI_VERSION] = EV_CURRENT;
	p->eh->e_type = ET_EXEC;
	p->eh->e_machine = EM_RISCV;
	p->eh->e_version = EV_CURRENT;
	p->eh->e_phoff = sizeof(Elf64_Ehdr);
	p->eh->e_ehsize = sizeof(Elf64_Ehdr);
	p->eh->e_phentsize = sizeof(Elf64_Phdr);
	p->eh->e_phnum = (uint16_t)n;
	p->eh->e_entry = 0x10000;
	p->ph = (Elf64_Phdr *)(p->b + p->eh->e_phoff);
}

static void p_load(struct prog *p, int i, uint64_t vaddr, uint64_t off, uint64_t filesz,
		   uint64_t memsz, uint32_t flags)
{
	p->ph[i].p_type = PT_LOAD;
	p->ph[i].p_flags = flags;
	p->ph[i].p_offset = off;
	p->ph[i].p_vaddr = p->ph[i].p_paddr = vaddr;
	p->ph[i].p_filesz = filesz;
	p->ph[i].p_memsz = memsz;
	p->ph[i].p_align = 0x1000;
}

static void want_parse(struct prog *p, uint64_t top, int want, struct elf_image *img)
{
	struct elf_error err;
	int rc = parse2(p->b, p->len, top, img, &err);

	if (rc != -want)
		diag("%s (%s), want %s", err_name(rc), rc ? err.what : "", err_names[want]);
}

static void s_loads(int n, int want)
{
	static struct prog p;
	struct elf_image img;
	int i;

	p_init(&p, n);
	p_load(&p, 0, 0x10000, 0, 0x100, 0x100, PF_R | PF_X);
	for (i = 1; i < n; i++)
		p_load(&p, i, 0x10000 + 0x1000 * (uint64_t)i, 0, 0, 0x10, PF_R);
	want_parse(&p, TEST_USER_TOP, want, &img);
	if (!want && (img.nsegs != (unsigned)n || img.lo != 0x10000 ||
		      img.hi != 0x10000 + 0x1000 * (uint64_t)n))
		diag("nsegs %u lo %#lx hi %#lx", img.nsegs, (unsigned long)img.lo,
		     (unsigned long)img.hi);
}

static void s_16_loads(void)
{
	s_loads(16, 0);
}
static void s_17_loads(void)
{
	s_loads(17, ELF_ERR_TOO_MANY);
}

/* picolibc.ld's layout: .data and .bss as two RW PT_LOADs on one page, unsorted. */
static void s_same_flags_share(void)
{
	static struct prog p;
	struct elf_image img;

	p_init(&p, 3);
	p_load(&p, 0, 0x10000, 0, 0x200, 0x200, PF_R | PF_X);
	p_load(&p, 1, 0x20000024, 0x24, 0, 0x804, PF_R | PF_W);
	p_load(&p, 2, 0x20000000, 0x1000, 0x24, 0x24, PF_R | PF_W);
	want_parse(&p, TEST_USER_TOP, 0, &img);
	if (img.lo != 0x10000 || img.hi != 0x20001000 || img.seg[1].vaddr != 0x20000024)
		diag("lo %#lx hi %#lx", (unsigned long)img.lo, (unsigned long)img.hi);
}

static void s_diff_flags_share(void)
{
	static struct prog p;
	struct elf_image img;

	p_init(&p, 3);
	p_load(&p, 0, 0x10000, 0, 0x200, 0x200, PF_R | PF_X);
	p_load(&p, 1, 0x20000000, 0x1000, 0x24, 0x24, PF_R);
	p_load(&p, 2, 0x20000024, 0x1024, 0x10, 0x10, PF_R | PF_W);
	want_parse(&p, TEST_USER_TOP, ELF_ERR_OVERLAP, &img);
}

static void s_memsz0_skipped(void)
{
	static struct prog p;
	struct elf_image img;

	p_init(&p, 2);
	p_load(&p, 0, 0, 0, 0, 0, PF_R | PF_W | PF_X); /* empty: maps nothing */
	p_load(&p, 1, 0x10000, 0, 0x100, 0x3000, PF_R | PF_X);
	want_parse(&p, TEST_USER_TOP, 0, &img);
	if (img.nsegs != 1 || img.seg[0].memsz != 0x3000 || img.hi != 0x13000)
		diag("nsegs %u", img.nsegs);
}

static void s_no_page_round_wrap(void)
{
	static struct prog p;
	struct elf_image img;

	p_init(&p, 1);
	p_load(&p, 0, UINT64_MAX - 0xfff, 0, 0x100, 0x800, PF_R | PF_X);
	p.eh->e_entry = UINT64_MAX - 0xfff;
	want_parse(&p, UINT64_MAX, ELF_ERR_RANGE, &img);
	want_parse(&p, UINT64_MAX - 0x7ff, ELF_ERR_RANGE, &img);
}

static void s_bad_arguments(void)
{
	struct elf_image img;
	struct elf_error err;
	static const uint8_t one = 0x7f;

	if (elf_parse(NULL, 0, TEST_USER_TOP, &img, &err) != -ELF_ERR_INVAL ||
	    elf_parse(&one, 1, TEST_USER_TOP, NULL, NULL) != -ELF_ERR_INVAL)
		diag("NULL: not INVAL");
	if (elf_parse(&one, 1, TEST_USER_TOP, &img, NULL) != -ELF_ERR_TRUNCATED)
		diag("1 byte: not TRUNCATED");
	if (strcmp(elf_strerror(-ELF_ERR_WX), "writable and executable segment") ||
	    strcmp(elf_strerror(ELF_ERR_COUNT), "unknown error"))
		diag("elf_strerror");
}

static const struct tap_case synthetics[] = {
	{ "16-pt-loads", s_16_loads },
	{ "17-pt-loads", s_17_loads },
	{ "same-flags-share-a-page-unsorted", s_same_flags_share },
	{ "different-flags-share-a-page", s_diff_flags_share },
	{ "empty-pt-load-skipped", s_memsz0_skipped },
	{ "page-round-up-near-2^64", s_no_page_round_wrap },
	{ "bad-arguments", s_bad_arguments },
};

#define N_SYNTHETICS (sizeof(synthetics) / sizeof(synthetics[0]))

static int mode_synthetic(const char *only)
{
	return tap_run_cases(synthetics, N_SYNTHETICS, only);
}

static void list_cases(void)
{
	size_t i;

	for (i = 0; i < N_MUTATIONS; i++)
		printf("mutation %s\n", mutations[i].name);
	printf("mutation truncated-at-every-length\n");
	for (i = 0; i < N_SYNTHETICS; i++)
		printf("synthetic %s\n", synthetics[i].name);
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "--list-cases")) {
		list_cases();
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "--print"))
		return mode_print(argv[2]);
	if ((argc == 4 || argc == 5) && !strcmp(argv[1], "--expect"))
		return mode_expect(argv[2], argv[3], argc == 5 ? argv[4] : NULL);
	if ((argc == 3 || argc == 4) && !strcmp(argv[1], "--mutations"))
		return mode_mutations(argv[2], argc == 4 ? argv[3] : NULL);
	if ((argc == 2 || argc == 3) && !strcmp(argv[1], "--synthetic"))
		return mode_synthetic(argc == 3 ? argv[2] : NULL);
	if (argc == 4 && !strcmp(argv[1], "--from-cpio"))
		return mode_from_cpio(argv[2], argv[3]);
	if (argc == 3 && !strcmp(argv[1], "--any"))
		return mode_any(argv[2]);
	fprintf(stderr, "usage: elf_test --print FILE | --expect ELF_ERR_x FILE [TEXT]\n"
			"       elf_test --mutations FILE [CASE] | --synthetic [CASE]\n"
			"       elf_test --from-cpio ARCHIVE PATH | --list-cases | --any FILE\n");
	return 2;
}

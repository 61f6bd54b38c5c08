/*
 * elf.c - check a static ELF64 RISC-V executable before it is loaded.
 *
 * Owns the ELF format as far as exec needs it: the ELF header, the
 * program headers, and the RISC-V e_flags (ELF gABI chapters 4 and 5;
 * RISC-V ELF psABI, "File Header"). Section headers are not looked at:
 * a loader needs only segments. The rules, and the one for segments that
 * share a page, are in elf.h.
 *
 * Invariants: fields are read little-endian byte by byte (the file may
 * sit at any alignment in the initramfs); every offset is checked as
 * "off <= len && need <= len - off", every end as "a <= max - b" before
 * "a + b", so nothing overflows and nothing outside [f, f + len) is
 * read. Each byte of the headers is read once: the ELF header into a
 * struct elf_ehdr, each program header into a struct elf_phdr, and the
 * checks and the result use only those copies, so a file that changes
 * while it is parsed (a memory object another task writes) can be
 * refused or accepted, never read out of bounds. Segment contents are
 * the loader's, bounded by this copy. No libc, no allocation, no
 * written globals.
 * Elsewhere: mapping the segments (vm.c), the user stack (exec).
 */
#include "elf.h"
#include "keel/strtab.h"

/* ELF gABI 4: e_ident[] indexes and values. */
#define EI_MAG0	      0
#define EI_CLASS      4
#define EI_DATA	      5
#define EI_VERSION    6
#define EI_OSABI      7
#define ELF_MAGIC_LEN 4
#define ELFCLASS64    2
#define ELFDATA2LSB   1
#define EV_CURRENT    1
#define ELFOSABI_NONE 0 /* also ELFOSABI_SYSV */

/* ELF64 header fields, by byte offset (gABI 4, "ELF Header"). */
#define E_TYPE		16
#define E_MACHINE	18
#define E_VERSION	20
#define E_ENTRY		24
#define E_PHOFF		32
#define E_FLAGS		48
#define E_EHSIZE	52
#define E_PHENTSIZE	54
#define E_PHNUM		56
#define ELF64_EHDR_SIZE 64

#define ET_EXEC	 2
#define ET_DYN	 3
#define EM_RISCV 243

/* RISC-V psABI, "File Header": e_flags. */
#define EF_RISCV_FLOAT_ABI	  0x0006u
#define EF_RISCV_FLOAT_ABI_SOFT	  0x0000u
#define EF_RISCV_FLOAT_ABI_SINGLE 0x0002u
#define EF_RISCV_FLOAT_ABI_DOUBLE 0x0004u
#define EF_RISCV_FLOAT_ABI_QUAD	  0x0006u
#define EF_RISCV_RVE		  0x0008u

/* ELF64 program header fields, by byte offset (gABI 5, "Program Header"). */
#define P_TYPE		0
#define P_FLAGS		4
#define P_OFFSET	8
#define P_VADDR		16
#define P_FILESZ	32
#define P_MEMSZ		40
#define P_ALIGN		48
#define ELF64_PHDR_SIZE 56

#define PT_LOAD	   1
#define PT_DYNAMIC 2
#define PT_INTERP  3

#define ELF_PF_RWX (ELF_PF_R | ELF_PF_W | ELF_PF_X)

/* By ELF_ERR_x, from ELF_OK. */
static const char elf_err_str[] = "success\0"
				  "truncated\0"
				  "not an ELF file\0"
				  "not ELF64\0"
				  "not little-endian\0"
				  "bad ELF version\0"
				  "unsupported OS ABI\0"
				  "not a static executable\0"
				  "not RISC-V\0"
				  "unsupported RISC-V ABI\0"
				  "bad ELF header\0"
				  "dynamically linked\0"
				  "bad segment\0"
				  "segment outside user space\0"
				  "writable and executable segment\0"
				  "overlapping segments\0"
				  "nothing to load\0"
				  "too many segments\0"
				  "entry point not in executable code\0"
				  "bad argument";
_Static_assert(ELF_ERR_INVAL == 19 && ELF_ERR_COUNT == 20, "elf_err_str has a name per code");

const char *elf_strerror(int err)
{
	const char *s = strtab_nth(elf_err_str, sizeof(elf_err_str), err < 0 ? -(long)err : err);

	return s ? s : "unknown error";
}

/* ---- small freestanding helpers ---- */

static uint64_t elf_le(const uint8_t *p, unsigned int n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

static uint16_t elf_le16(const uint8_t *p)
{
	return (uint16_t)elf_le(p, 2);
}

static uint32_t elf_le32(const uint8_t *p)
{
	return (uint32_t)elf_le(p, 4);
}

static uint64_t elf_le64(const uint8_t *p)
{
	return elf_le(p, 8);
}

static uint64_t elf_page_down(uint64_t a)
{
	return a & ~(uint64_t)(ELF_PAGE_SIZE - 1);
}

/* @a rounded up to a page; the caller ensures it does not wrap. */
static uint64_t elf_page_up(uint64_t a)
{
	return elf_page_down(a + (ELF_PAGE_SIZE - 1));
}

static int elf_fail(struct elf_error *err, int code, const char *what, int phdr)
{
	if (err) {
		err->code = code;
		err->what = what;
		err->phdr = phdr;
	}
	return -code;
}

/* ---- the ELF header ---- */

/*
 * The ELF header, copied out of the file once (elf_read_ehdr): every
 * check and every later use reads this copy, never the file again. The
 * file may be a memory object another task is writing (spawn_mem), so a
 * value read twice could differ between the check and the use.
 */
struct elf_ehdr {
	uint8_t class, data, ident_version, osabi;
	uint16_t type, machine, ehsize, phentsize, phnum;
	uint32_t version, flags;
	uint64_t entry, phoff;
};

/* @b holds at least ELF64_EHDR_SIZE bytes; the magic was read (once) already. */
static void elf_read_ehdr(const uint8_t *b, struct elf_ehdr *eh)
{
	eh->class = b[EI_CLASS];
	eh->data = b[EI_DATA];
	eh->ident_version = b[EI_VERSION];
	eh->osabi = b[EI_OSABI];
	eh->type = elf_le16(b + E_TYPE);
	eh->machine = elf_le16(b + E_MACHINE);
	eh->version = elf_le32(b + E_VERSION);
	eh->entry = elf_le64(b + E_ENTRY);
	eh->phoff = elf_le64(b + E_PHOFF);
	eh->flags = elf_le32(b + E_FLAGS);
	eh->ehsize = elf_le16(b + E_EHSIZE);
	eh->phentsize = elf_le16(b + E_PHENTSIZE);
	eh->phnum = elf_le16(b + E_PHNUM);
}

static int elf_check_ident(const struct elf_ehdr *eh, struct elf_error *err)
{
	if (eh->class != ELFCLASS64)
		return elf_fail(err, ELF_ERR_CLASS, "EI_CLASS is not ELFCLASS64", -1);
	if (eh->data != ELFDATA2LSB)
		return elf_fail(err, ELF_ERR_DATA, "EI_DATA is not ELFDATA2LSB", -1);
	if (eh->ident_version != EV_CURRENT)
		return elf_fail(err, ELF_ERR_VERSION, "EI_VERSION is not EV_CURRENT", -1);
	if (eh->osabi != ELFOSABI_NONE)
		return elf_fail(err, ELF_ERR_OSABI, "EI_OSABI is not ELFOSABI_NONE (SYSV)", -1);
	return 0;
}

/* Keel user programs are rv64 lp64: integer registers only. */
static int elf_check_flags(uint32_t flags, struct elf_error *err)
{
	/* lp64f, lp64d, lp64q: the core saves no FPU state (yet). */
	if (flags & EF_RISCV_FLOAT_ABI)
		return elf_fail(err, ELF_ERR_ABI, "hard-float ABI: Keel runs lp64 soft-float", -1);
	if (flags & EF_RISCV_RVE)
		return elf_fail(err, ELF_ERR_ABI, "RVE ABI: Keel runs RV64I programs", -1);
	return 0;
}

static int elf_check_header(const struct elf_ehdr *eh, size_t len, struct elf_error *err)
{
	int rc;

	rc = elf_check_ident(eh, err);
	if (rc)
		return rc;
	if (eh->type == ET_DYN)
		return elf_fail(err, ELF_ERR_TYPE, "ET_DYN (PIE or shared object), not static", -1);
	if (eh->type != ET_EXEC)
		return elf_fail(err, ELF_ERR_TYPE, "e_type is not ET_EXEC", -1);
	if (eh->machine != EM_RISCV)
		return elf_fail(err, ELF_ERR_MACHINE, "e_machine is not EM_RISCV (243)", -1);
	if (eh->version != EV_CURRENT)
		return elf_fail(err, ELF_ERR_VERSION, "e_version is not EV_CURRENT", -1);
	rc = elf_check_flags(eh->flags, err);
	if (rc)
		return rc;
	if (eh->ehsize != ELF64_EHDR_SIZE)
		return elf_fail(err, ELF_ERR_HEADER, "e_ehsize is not 64", -1);
	if (eh->phentsize != ELF64_PHDR_SIZE)
		return elf_fail(err, ELF_ERR_HEADER, "e_phentsize is not 56", -1);
	if (eh->phnum < 1 || eh->phnum > ELF_MAX_PHNUM)
		return elf_fail(err, ELF_ERR_HEADER, "e_phnum not in 1..64", -1);
	/* phnum <= 64, so the product cannot overflow. */
	if (eh->phoff < ELF64_EHDR_SIZE)
		return elf_fail(err, ELF_ERR_HEADER, "program headers overlap the ELF header", -1);
	if (eh->phoff > len || (uint64_t)eh->phnum * ELF64_PHDR_SIZE > len - eh->phoff)
		return elf_fail(err, ELF_ERR_HEADER, "program headers outside the file", -1);
	return 0;
}

/* ---- program headers ---- */

/* One program header as the file gives it: copied once, then only this is read. */
struct elf_phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, filesz, memsz, align;
};

static void elf_read_phdr(const uint8_t *p, struct elf_phdr *ph)
{
	ph->type = elf_le32(p + P_TYPE);
	ph->flags = elf_le32(p + P_FLAGS);
	ph->offset = elf_le64(p + P_OFFSET);
	ph->vaddr = elf_le64(p + P_VADDR);
	ph->filesz = elf_le64(p + P_FILESZ);
	ph->memsz = elf_le64(p + P_MEMSZ);
	ph->align = elf_le64(p + P_ALIGN);
}

/* The file bytes and the alignment of PT_LOAD number @i. */
static int elf_check_load_file(const struct elf_phdr *ph, size_t len, int i, struct elf_error *err)
{
	if (ph->filesz > ph->memsz)
		return elf_fail(err, ELF_ERR_SEGMENT, "p_filesz > p_memsz", i);
	if (ph->offset > len || ph->filesz > len - ph->offset)
		return elf_fail(err, ELF_ERR_SEGMENT, "segment past the end of the file", i);
	/* gABI: 0 and 1 mean no alignment; otherwise a power of two. */
	if (ph->align & (ph->align - 1))
		return elf_fail(err, ELF_ERR_SEGMENT, "p_align not a power of two", i);
	if (ph->align > 1 && (ph->vaddr - ph->offset) % ph->align)
		return elf_fail(err, ELF_ERR_SEGMENT, "p_vaddr != p_offset modulo p_align", i);
	if ((ph->vaddr - ph->offset) % ELF_PAGE_SIZE)
		return elf_fail(err, ELF_ERR_SEGMENT, "p_vaddr != p_offset modulo 4096", i);
	return 0;
}

/* Where PT_LOAD number @i would go in memory, and with which rights. */
static int elf_check_load_mem(const struct elf_phdr *ph, uint64_t user_top, int i,
			      struct elf_error *err)
{
	if (ph->vaddr < ELF_MIN_VADDR)
		return elf_fail(err, ELF_ERR_RANGE, "p_vaddr below 0x10000", i);
	/* End within user_top, and its page round-up does not wrap. */
	if (ph->vaddr > user_top || ph->memsz > user_top - ph->vaddr ||
	    ph->vaddr + ph->memsz > UINT64_MAX - (ELF_PAGE_SIZE - 1))
		return elf_fail(err, ELF_ERR_RANGE, "segment above the user address space", i);
	if ((ph->flags & ELF_PF_W) && (ph->flags & ELF_PF_X))
		return elf_fail(err, ELF_ERR_WX, "segment both writable and executable", i);
	return 0;
}

/* The rule in elf.h: no shared bytes; a shared page only with equal flags. */
static int elf_check_pair(const struct elf_segment *a, const struct elf_segment *b, int i,
			  struct elf_error *err)
{
	uint64_t a_end = a->vaddr + a->memsz, b_end = b->vaddr + b->memsz;

	if (a->vaddr < b_end && b->vaddr < a_end)
		return elf_fail(err, ELF_ERR_OVERLAP, "two PT_LOADs overlap", i);
	if (elf_page_down(a->vaddr) < elf_page_up(b_end) &&
	    elf_page_down(b->vaddr) < elf_page_up(a_end) && a->flags != b->flags)
		return elf_fail(err, ELF_ERR_OVERLAP,
				"PT_LOADs with different flags share a 4 KiB page", i);
	return 0;
}

/*
 * Check program header @i (at @p, inside the table elf_check_header()
 * bounded with the copy's e_phoff and e_phnum) and, for a PT_LOAD with
 * memory, add it to @img.
 */
static int elf_add_phdr(const uint8_t *p, size_t len, uint64_t user_top, int i,
			struct elf_image *img, struct elf_error *err)
{
	struct elf_phdr ph;
	struct elf_segment *s;
	unsigned int j;
	int rc;

	elf_read_phdr(p, &ph);
	if (ph.type == PT_INTERP)
		return elf_fail(err, ELF_ERR_DYNAMIC, "PT_INTERP: not static", i);
	if (ph.type == PT_DYNAMIC)
		return elf_fail(err, ELF_ERR_DYNAMIC, "PT_DYNAMIC: not static", i);
	if (ph.type != PT_LOAD)
		return 0; /* PT_TLS, PT_NOTE, PT_RISCV_ATTRIBUTES...: not mapped */
	rc = elf_check_load_file(&ph, len, i, err);
	if (rc || ph.memsz == 0)
		return rc; /* an empty PT_LOAD maps nothing */
	rc = elf_check_load_mem(&ph, user_top, i, err);
	if (rc)
		return rc;
	if (img->nsegs == ELF_MAX_SEGS)
		return elf_fail(err, ELF_ERR_TOO_MANY, "more than 16 PT_LOADs", i);
	s = &img->seg[img->nsegs];
	s->vaddr = ph.vaddr;
	s->memsz = ph.memsz;
	s->filesz = ph.filesz;
	s->offset = ph.offset;
	s->flags = ph.flags & ELF_PF_RWX;
	for (j = 0; j < img->nsegs; j++) {
		rc = elf_check_pair(&img->seg[j], s, i, err);
		if (rc)
			return rc;
	}
	img->nsegs++;
	return 0;
}

/* The entry must be in the file-backed bytes of an executable segment. */
static bool elf_entry_ok(const struct elf_image *img)
{
	const struct elf_segment *s;
	unsigned int i;

	for (i = 0; i < img->nsegs; i++) {
		s = &img->seg[i];
		if ((s->flags & ELF_PF_X) && img->entry >= s->vaddr &&
		    img->entry - s->vaddr < s->filesz)
			return true;
	}
	return false;
}

static void elf_span(struct elf_image *img)
{
	unsigned int i;
	uint64_t lo = UINT64_MAX, hi = 0;

	for (i = 0; i < img->nsegs; i++) {
		if (img->seg[i].vaddr < lo)
			lo = img->seg[i].vaddr;
		if (img->seg[i].vaddr + img->seg[i].memsz > hi)
			hi = img->seg[i].vaddr + img->seg[i].memsz;
	}
	img->lo = elf_page_down(lo);
	img->hi = elf_page_up(hi); /* elf_check_load_mem(): no wrap */
}

int elf_parse(const void *f, size_t len, uint64_t user_top, struct elf_image *img,
	      struct elf_error *err)
{
	const uint8_t *b = f;
	struct elf_ehdr eh;
	int i, rc;

	if (!f || !img)
		return elf_fail(err, ELF_ERR_INVAL, "NULL file or image", -1);
	img->nsegs = 0;
	img->entry = img->lo = img->hi = 0;
	if (len < ELF_MAGIC_LEN)
		return elf_fail(err, ELF_ERR_TRUNCATED, "shorter than the ELF magic", -1);
	if (b[EI_MAG0] != 0x7f || b[1] != 'E' || b[2] != 'L' || b[3] != 'F')
		return elf_fail(err, ELF_ERR_MAGIC, "no \\177ELF magic", -1);
	if (len < ELF64_EHDR_SIZE)
		return elf_fail(err, ELF_ERR_TRUNCATED, "shorter than an ELF64 header", -1);
	elf_read_ehdr(b, &eh);
	rc = elf_check_header(&eh, len, err);
	if (rc)
		return rc;
	/* Each program header is read once, into elf_add_phdr()'s copy. */
	for (i = 0; i < eh.phnum; i++) {
		rc = elf_add_phdr(b + eh.phoff + (size_t)i * ELF64_PHDR_SIZE, len, user_top, i, img,
				  err);
		if (rc)
			return rc;
	}
	if (img->nsegs == 0)
		return elf_fail(err, ELF_ERR_NO_LOAD, "no PT_LOAD with p_memsz > 0", -1);
	img->entry = eh.entry;
	if (!elf_entry_ok(img))
		return elf_fail(err, ELF_ERR_ENTRY,
				"e_entry not in an executable PT_LOAD's file bytes", -1);
	elf_span(img);
	if (err) {
		err->code = 0;
		err->what = "";
		err->phdr = -1;
	}
	return 0;
}

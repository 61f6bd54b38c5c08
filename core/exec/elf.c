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
 * read. No libc, no allocation, no written globals.
 * Elsewhere: mapping the segments (vm.c), the user stack (exec).
 */
#include "elf.h"

/* ELF gABI 4: e_ident[] indexes and values. */
#define EI_MAG0			0
#define EI_CLASS		4
#define EI_DATA			5
#define EI_VERSION		6
#define EI_OSABI		7
#define ELF_MAGIC_LEN		4
#define ELFCLASS64		2
#define ELFDATA2LSB		1
#define EV_CURRENT		1
#define ELFOSABI_NONE		0	/* also ELFOSABI_SYSV */

/* ELF64 header fields, by byte offset (gABI 4, "ELF Header"). */
#define E_TYPE			16
#define E_MACHINE		18
#define E_VERSION		20
#define E_ENTRY			24
#define E_PHOFF			32
#define E_FLAGS			48
#define E_EHSIZE		52
#define E_PHENTSIZE		54
#define E_PHNUM			56
#define ELF64_EHDR_SIZE		64

#define ET_EXEC			2
#define ET_DYN			3
#define EM_RISCV		243

/* RISC-V psABI, "File Header": e_flags. */
#define EF_RISCV_FLOAT_ABI		0x0006u
#define EF_RISCV_FLOAT_ABI_SOFT		0x0000u
#define EF_RISCV_FLOAT_ABI_SINGLE	0x0002u
#define EF_RISCV_FLOAT_ABI_DOUBLE	0x0004u
#define EF_RISCV_FLOAT_ABI_QUAD		0x0006u
#define EF_RISCV_RVE			0x0008u

/* ELF64 program header fields, by byte offset (gABI 5, "Program Header"). */
#define P_TYPE			0
#define P_FLAGS			4
#define P_OFFSET		8
#define P_VADDR			16
#define P_FILESZ		32
#define P_MEMSZ			40
#define P_ALIGN			48
#define ELF64_PHDR_SIZE		56

#define PT_LOAD			1
#define PT_DYNAMIC		2
#define PT_INTERP		3

#define ELF_PF_RWX		(ELF_PF_R | ELF_PF_W | ELF_PF_X)

static const char *const elf_err_str[ELF_ERR_COUNT] = {
	[ELF_OK] = "success",
	[ELF_ERR_TRUNCATED] = "truncated",
	[ELF_ERR_MAGIC] = "not an ELF file",
	[ELF_ERR_CLASS] = "not ELF64",
	[ELF_ERR_DATA] = "not little-endian",
	[ELF_ERR_VERSION] = "bad ELF version",
	[ELF_ERR_OSABI] = "unsupported OS ABI",
	[ELF_ERR_TYPE] = "not a static executable",
	[ELF_ERR_MACHINE] = "not RISC-V",
	[ELF_ERR_ABI] = "unsupported RISC-V ABI",
	[ELF_ERR_HEADER] = "bad ELF header",
	[ELF_ERR_DYNAMIC] = "dynamically linked",
	[ELF_ERR_SEGMENT] = "bad segment",
	[ELF_ERR_RANGE] = "segment outside user space",
	[ELF_ERR_WX] = "writable and executable segment",
	[ELF_ERR_OVERLAP] = "overlapping segments",
	[ELF_ERR_NO_LOAD] = "nothing to load",
	[ELF_ERR_TOO_MANY] = "too many segments",
	[ELF_ERR_ENTRY] = "entry point not in executable code",
	[ELF_ERR_INVAL] = "bad argument",
};

const char *elf_strerror(int err)
{
	if (err < 0 && err > -ELF_ERR_COUNT)
		err = -err;
	if (err < 0 || err >= ELF_ERR_COUNT)
		return "unknown error";
	return elf_err_str[err];
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

/* After the magic, which elf_parse() checked before the length. */
static int elf_check_ident(const uint8_t *b, struct elf_error *err)
{
	if (b[EI_CLASS] != ELFCLASS64)
		return elf_fail(err, ELF_ERR_CLASS, "EI_CLASS is not ELFCLASS64", -1);
	if (b[EI_DATA] != ELFDATA2LSB)
		return elf_fail(err, ELF_ERR_DATA, "EI_DATA is not ELFDATA2LSB", -1);
	if (b[EI_VERSION] != EV_CURRENT)
		return elf_fail(err, ELF_ERR_VERSION, "EI_VERSION is not EV_CURRENT", -1);
	if (b[EI_OSABI] != ELFOSABI_NONE)
		return elf_fail(err, ELF_ERR_OSABI, "EI_OSABI is not ELFOSABI_NONE (SYSV)", -1);
	return 0;
}

/* Why a float ABI is refused; one string per ABI, all static. */
#define ELF_FPU_WHY	": Keel user programs are built for lp64 soft-float" \
			" (the kernel does not save FPU state yet)"

/* Keel user programs are rv64 lp64: integer registers only. */
static int elf_check_flags(uint32_t flags, struct elf_error *err)
{
	switch (flags & EF_RISCV_FLOAT_ABI) {
	case EF_RISCV_FLOAT_ABI_SINGLE:
		return elf_fail(err, ELF_ERR_ABI, "single-float ABI (lp64f)" ELF_FPU_WHY, -1);
	case EF_RISCV_FLOAT_ABI_DOUBLE:
		return elf_fail(err, ELF_ERR_ABI, "double-float ABI (lp64d)" ELF_FPU_WHY, -1);
	case EF_RISCV_FLOAT_ABI_QUAD:
		return elf_fail(err, ELF_ERR_ABI, "quad-float ABI (lp64q)" ELF_FPU_WHY, -1);
	}
	if (flags & EF_RISCV_RVE)
		return elf_fail(err, ELF_ERR_ABI, "RVE ABI (EF_RISCV_RVE): Keel runs RV64I programs",
				-1);
	return 0;
}

static int elf_check_header(const uint8_t *b, size_t len, struct elf_error *err)
{
	uint16_t type = elf_le16(b + E_TYPE);
	uint64_t phoff = elf_le64(b + E_PHOFF);
	uint16_t phnum = elf_le16(b + E_PHNUM);
	int rc;

	rc = elf_check_ident(b, err);
	if (rc)
		return rc;
	if (type == ET_DYN)
		return elf_fail(err, ELF_ERR_TYPE,
				"ET_DYN (PIE or shared object): Keel loads static ET_EXEC only", -1);
	if (type != ET_EXEC)
		return elf_fail(err, ELF_ERR_TYPE, "e_type is not ET_EXEC", -1);
	if (elf_le16(b + E_MACHINE) != EM_RISCV)
		return elf_fail(err, ELF_ERR_MACHINE, "e_machine is not EM_RISCV (243)", -1);
	if (elf_le32(b + E_VERSION) != EV_CURRENT)
		return elf_fail(err, ELF_ERR_VERSION, "e_version is not EV_CURRENT", -1);
	rc = elf_check_flags(elf_le32(b + E_FLAGS), err);
	if (rc)
		return rc;
	if (elf_le16(b + E_EHSIZE) != ELF64_EHDR_SIZE)
		return elf_fail(err, ELF_ERR_HEADER, "e_ehsize is not 64", -1);
	if (elf_le16(b + E_PHENTSIZE) != ELF64_PHDR_SIZE)
		return elf_fail(err, ELF_ERR_HEADER, "e_phentsize is not 56", -1);
	if (phnum < 1 || phnum > ELF_MAX_PHNUM)
		return elf_fail(err, ELF_ERR_HEADER, "e_phnum not in 1..64", -1);
	/* phnum <= 64, so the product cannot overflow. */
	if (phoff < ELF64_EHDR_SIZE)
		return elf_fail(err, ELF_ERR_HEADER, "program headers overlap the ELF header", -1);
	if (phoff > len ||
	    (uint64_t)phnum * ELF64_PHDR_SIZE > len - phoff)
		return elf_fail(err, ELF_ERR_HEADER, "program headers outside the file", -1);
	return 0;
}

/* ---- program headers ---- */

/* One PT_LOAD as the file gives it. */
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
static int elf_check_load_file(const struct elf_phdr *ph, size_t len, int i,
			       struct elf_error *err)
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

/* Check program header @i and, for a PT_LOAD with memory, add it to @img. */
static int elf_add_phdr(const uint8_t *b, size_t len, uint64_t user_top, int i,
			struct elf_image *img, struct elf_error *err)
{
	struct elf_phdr ph;
	struct elf_segment *s;
	unsigned int j;
	int rc;

	elf_read_phdr(b + elf_le64(b + E_PHOFF) + (size_t)i * ELF64_PHDR_SIZE, &ph);
	if (ph.type == PT_INTERP)
		return elf_fail(err, ELF_ERR_DYNAMIC,
				"PT_INTERP: dynamically linked; Keel runs static executables", i);
	if (ph.type == PT_DYNAMIC)
		return elf_fail(err, ELF_ERR_DYNAMIC,
				"PT_DYNAMIC: dynamically linked; Keel runs static executables", i);
	if (ph.type != PT_LOAD)
		return 0;	/* PT_TLS, PT_NOTE, PT_RISCV_ATTRIBUTES...: not mapped */
	rc = elf_check_load_file(&ph, len, i, err);
	if (rc || ph.memsz == 0)
		return rc;	/* an empty PT_LOAD maps nothing */
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
	img->hi = elf_page_up(hi);	/* elf_check_load_mem(): no wrap */
}

int elf_parse(const void *f, size_t len, uint64_t user_top, struct elf_image *img,
	      struct elf_error *err)
{
	const uint8_t *b = f;
	uint16_t phnum;
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
	rc = elf_check_header(b, len, err);
	if (rc)
		return rc;
	phnum = elf_le16(b + E_PHNUM);
	for (i = 0; i < phnum; i++) {
		rc = elf_add_phdr(b, len, user_top, i, img, err);
		if (rc)
			return rc;
	}
	if (img->nsegs == 0)
		return elf_fail(err, ELF_ERR_NO_LOAD, "no PT_LOAD with p_memsz > 0", -1);
	img->entry = elf_le64(b + E_ENTRY);
	if (!elf_entry_ok(img))
		return elf_fail(err, ELF_ERR_ENTRY,
				"e_entry not inside the file bytes of an executable PT_LOAD", -1);
	elf_span(img);
	if (err) {
		err->code = 0;
		err->what = "";
		err->phdr = -1;
	}
	return 0;
}

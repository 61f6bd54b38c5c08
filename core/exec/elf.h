/*
 * elf.h - the checks an ELF64 RISC-V executable passes before Keel loads it.
 *
 * elf_parse() reads the ELF header and program headers of a static
 * executable (in memory: usually a file in the initramfs) and either
 * refuses it with a reason or returns the PT_LOAD segments to map. It
 * maps nothing itself.
 *
 * The segment rule: PT_LOAD byte ranges [vaddr, vaddr + memsz) never
 * overlap. Two of them may share a 4 KiB page (the end of one and the
 * start of the next) only when their flags are equal: picolibc's
 * picolibc.ld puts .data and .bss in two RW segments on one page, while
 * GNU ld's default script starts each segment on a page of its own. A
 * page shared by segments of different permissions would have to take
 * the union (rodata made writable, or text W+X), so it is refused. The
 * loader maps such a shared page once, with the common flags, and fills
 * it from both segments. PT_LOADs need not be sorted by vaddr (picolibc.ld
 * breaks that rule of the ELF spec).
 *
 * Freestanding: no libc, no allocation, no written globals.
 * Elsewhere: address spaces (vm.c), building the user stack (exec).
 */
#ifndef KEEL_ELF_H
#define KEEL_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* core/keel.h has __must_check too; this header also builds on the host. */
#define ELF_MUST_CHECK __attribute__((warn_unused_result))

#define ELF_MAX_SEGS  16    /* PT_LOADs kept; real programs have 2 or 3 */
#define ELF_MAX_PHNUM 64    /* program headers looked at */
#define ELF_PAGE_SIZE 4096u /* Sv39 base page: segment rules are per page */
/* Nothing below (no page 0: NULL faults); GNU ld's RISC-V default text start. */
#define ELF_MIN_VADDR 0x10000u

/* p_flags (ELF gABI, "Segment Permissions"). */
#define ELF_PF_X 0x1u
#define ELF_PF_W 0x2u
#define ELF_PF_R 0x4u

/* Functions return 0 or -ELF_ERR_x; struct elf_error says more. */
enum elf_err {
	ELF_OK = 0,
	ELF_ERR_TRUNCATED = 1, /* shorter than an ELF header */
	ELF_ERR_MAGIC,	       /* not "\177ELF" */
	ELF_ERR_CLASS,	       /* not ELFCLASS64 */
	ELF_ERR_DATA,	       /* not little-endian */
	ELF_ERR_VERSION,       /* EI_VERSION or e_version not EV_CURRENT */
	ELF_ERR_OSABI,	       /* EI_OSABI not SYSV/none */
	ELF_ERR_TYPE,	       /* not ET_EXEC (ET_DYN: PIE or shared object) */
	ELF_ERR_MACHINE,       /* not EM_RISCV */
	ELF_ERR_ABI,	       /* e_flags: hard-float ABI, or RVE */
	ELF_ERR_HEADER,	       /* e_ehsize, e_phentsize, e_phnum, e_phoff */
	ELF_ERR_DYNAMIC,       /* PT_INTERP or PT_DYNAMIC: static only */
	ELF_ERR_SEGMENT,       /* filesz > memsz, past the file, bad alignment */
	ELF_ERR_RANGE,	       /* below ELF_MIN_VADDR, above user_top, wraps */
	ELF_ERR_WX,	       /* a segment both writable and executable */
	ELF_ERR_OVERLAP,       /* two PT_LOADs overlap (see the rule above) */
	ELF_ERR_NO_LOAD,       /* no PT_LOAD with memsz > 0 */
	ELF_ERR_TOO_MANY,      /* more than ELF_MAX_SEGS PT_LOADs */
	ELF_ERR_ENTRY,	       /* entry not in an executable segment's file bytes */
	ELF_ERR_INVAL,	       /* NULL pointer */
	ELF_ERR_COUNT
};

/* A short description of @err (negative or positive), e.g. "not RISC-V". */
const char *elf_strerror(int err);

struct elf_error {
	int code;	  /* ELF_ERR_x, positive */
	const char *what; /* static detail, e.g. "PT_INTERP: dynamically linked" */
	int phdr;	  /* index of the program header at fault, or -1 */
};

/* One PT_LOAD: map [vaddr, vaddr + memsz), file bytes [offset, offset + filesz). */
struct elf_segment {
	uint64_t vaddr, memsz, filesz, offset;
	uint32_t flags; /* ELF_PF_R/W/X */
};

struct elf_image {
	uint64_t entry;
	unsigned int nsegs; /* PT_LOADs with memsz > 0, file order */
	struct elf_segment seg[ELF_MAX_SEGS];
	uint64_t lo, hi; /* page-aligned span of all PT_LOADs */
};

/*
 * Any hart. Checks the executable of @len bytes at @f (any alignment)
 * for a user address space ending at @user_top (exclusive) and fills
 * @img. Never reads outside [f, f + len), and reads each header byte
 * once: @f may change meanwhile (another task's shared memory) and the
 * result is still self-consistent and in bounds. Returns 0 or
 * -ELF_ERR_x with @err (may be NULL) saying why.
 */
int ELF_MUST_CHECK elf_parse(const void *f, size_t len, uint64_t user_top, struct elf_image *img,
			     struct elf_error *err);

#endif /* KEEL_ELF_H */

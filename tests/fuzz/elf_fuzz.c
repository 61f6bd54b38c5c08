/*
 * elf_fuzz.c - libFuzzer harness for core/exec/elf.c.
 *
 * Each input is a file of exactly its own size (so ASan sees any read
 * past it), parsed at an aligned and an odd address and against three
 * user_top values. On top of "no crash" it checks what elf_parse()
 * promises for an accepted file: 1..ELF_MAX_SEGS segments, each inside
 * the file and below user_top, above ELF_MIN_VADDR, never W+X, never
 * overlapping, sharing a page only with equal flags; the entry inside an
 * X segment's file bytes; lo/hi page-aligned around them all. A refused
 * file gets a code and a detail string.
 * A broken promise is __builtin_trap(), which libFuzzer reports as a crash.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../core/exec/elf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PROMISE(cond)                                                                              \
	do {                                                                                       \
		if (!(cond))                                                                       \
			__builtin_trap();                                                          \
	} while (0)

static void promises(const struct elf_image *img, size_t size, uint64_t top)
{
	const struct elf_segment *s, *t;
	bool entry_ok = false;
	unsigned int i, j;

	PROMISE(img->nsegs >= 1 && img->nsegs <= ELF_MAX_SEGS);
	PROMISE(img->lo % ELF_PAGE_SIZE == 0 && img->hi % ELF_PAGE_SIZE == 0 && img->lo < img->hi &&
		img->lo >= ELF_MIN_VADDR);
	for (i = 0; i < img->nsegs; i++) {
		s = &img->seg[i];
		PROMISE(s->memsz && s->filesz <= s->memsz);
		PROMISE(s->offset <= size && s->filesz <= size - s->offset);
		PROMISE(s->vaddr >= ELF_MIN_VADDR && s->vaddr <= top && s->memsz <= top - s->vaddr);
		PROMISE(s->vaddr >= img->lo && s->vaddr + s->memsz <= img->hi);
		PROMISE(!((s->flags & ELF_PF_W) && (s->flags & ELF_PF_X)) && !(s->flags & ~7u));
		if ((s->flags & ELF_PF_X) && img->entry >= s->vaddr &&
		    img->entry - s->vaddr < s->filesz)
			entry_ok = true;
		for (j = 0; j < i; j++) {
			t = &img->seg[j];
			PROMISE(s->vaddr >= t->vaddr + t->memsz || t->vaddr >= s->vaddr + s->memsz);
			if ((s->vaddr >> 12) <= ((t->vaddr + t->memsz - 1) >> 12) &&
			    (t->vaddr >> 12) <= ((s->vaddr + s->memsz - 1) >> 12))
				PROMISE(s->flags == t->flags);
		}
	}
	PROMISE(entry_ok);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t tops[] = { 0x4000000000ull, UINT64_MAX, 0x20000 };
	uint8_t *exact = malloc(size ? size : 1), *odd = malloc(size + 1);
	struct elf_image a, b;
	struct elf_error ea, eb;
	unsigned int i;
	int ra, rb;

	memcpy(exact, data, size);
	memcpy(odd + 1, data, size);
	for (i = 0; i < sizeof(tops) / sizeof(tops[0]); i++) {
		ra = elf_parse(exact, size, tops[i], &a, &ea);
		rb = elf_parse(odd + 1, size, tops[i], &b, &eb);
		PROMISE(ra == rb && ra <= 0 && ra > -ELF_ERR_COUNT);
		if (ra) {
			PROMISE(ea.code == -ra && ea.what && ea.what[0] && ea.what == eb.what);
			PROMISE(ea.phdr >= -1 && ea.phdr < 64);
		} else {
			PROMISE(a.entry == b.entry && a.nsegs == b.nsegs && a.lo == b.lo &&
				a.hi == b.hi);
			promises(&a, size, tops[i]);
		}
	}
	free(exact);
	free(odd);
	return 0;
}

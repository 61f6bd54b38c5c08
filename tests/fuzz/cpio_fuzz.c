/*
 * cpio_fuzz.c - libFuzzer harness for core/exec/cpio.c.
 *
 * Each input is an archive of exactly its own size (so ASan sees any read
 * past it), read at an aligned and at an odd address. On top of "no
 * crash" it checks what the reader promises:
 *   - cpio_check() and a cpio_next() walk agree, at both addresses;
 *   - every entry handed out lies in the buffer, its name is NUL-terminated
 *     at namelen with no NUL before, and has no ".." component;
 *   - cpio_find() of each entry's name finds an entry of that name, and
 *     fails with cpio_check()'s error on a refused archive.
 * A broken promise is __builtin_trap(), which libFuzzer reports as a crash.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../core/exec/cpio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PROMISE(cond)                                                                              \
	do {                                                                                       \
		if (!(cond))                                                                       \
			__builtin_trap();                                                          \
	} while (0)

static void entry_inside(const struct cpio_file *f, const uint8_t *b, size_t size)
{
	const uint8_t *name = (const uint8_t *)f->name, *d = f->data;
	size_t i;

	PROMISE(name >= b && f->namelen < size && name <= b + size - f->namelen - 1);
	PROMISE(name[f->namelen] == 0 && !memchr(name, 0, f->namelen));
	PROMISE(d >= b && f->size <= size && d <= b + size - f->size);
	for (i = 0; i + 2 <= f->namelen; i++)
		PROMISE(!(name[i] == '.' && name[i + 1] == '.' && (i == 0 || name[i - 1] == '/') &&
			  (i + 2 == f->namelen || name[i + 2] == '/')));
}

/* Walk; returns cpio_check()'s answer as the walk sees it. */
static int walk(const uint8_t *b, size_t size, int check_rc)
{
	struct cpio_file f, g;
	size_t off = 0, prev, n = 0;
	int rc;

	while ((rc = cpio_next(b, size, &off, &f)) == 0) {
		entry_inside(&f, b, size);
		/* A few lookups: each name is found (perhaps a later namesake). */
		if (n++ < 4 && check_rc == 0) {
			PROMISE(cpio_find(b, size, f.name, &g) == 0);
			entry_inside(&g, b, size);
		}
	}
	if (rc == 1) {
		prev = off;
		PROMISE(cpio_next(b, size, &off, &f) == 1 && off == prev);
		return 0;
	}
	PROMISE(rc < 0 && rc > -CPIO_ERR_COUNT);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *exact = malloc(size ? size : 1), *odd = malloc(size + 1);
	struct cpio_error err;
	struct cpio_file f;
	int rc, rc_odd;

	memcpy(exact, data, size);
	memcpy(odd + 1, data, size);
	rc = cpio_check(exact, size, &err);
	rc_odd = cpio_check(odd + 1, size, NULL);
	PROMISE(rc == rc_odd && rc <= 0 && rc > -CPIO_ERR_COUNT);
	if (rc)
		PROMISE(err.code == -rc && err.offset <= size);
	PROMISE(walk(exact, size, rc) == rc);
	PROMISE(walk(odd + 1, size, rc) == rc);
	rc_odd = cpio_find(exact, size, "/init", &f);
	PROMISE(rc ? rc_odd == rc : (rc_odd == 0 || rc_odd == -CPIO_ERR_NOT_FOUND));
	if (rc_odd == 0)
		entry_inside(&f, exact, size);
	free(exact);
	free(odd);
	return 0;
}

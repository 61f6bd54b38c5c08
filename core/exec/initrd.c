/*
 * initrd.c - the initramfs, read in place through the direct map.
 *
 * Checked once, whole, at boot (cpio_check); after that lookups trust
 * the structure. pmem never hands out its pages (machine_dt.initrd_*).
 * Every entry's header is decoded once, at boot, into initrd_index, so
 * a lookup (one per spawn) compares names rather than walk the archive;
 * without room for the index, lookups walk it (cpio_find).
 * Read-only after boot: no lock.
 */
#include "initrd.h"
#include "arch/riscv.h"
#include "lib/log.h"
#include "mm/pmem.h"
#include "platform/machine.h"

static const void *initrd_base; /* NULL: none, or refused */
static size_t initrd_len;
static struct cpio_file *initrd_index; /* every entry in archive order; NULL: none */
static unsigned int initrd_entries;

/* Boot: decode every header once into pages of their own. */
static __init void initrd_index_init(unsigned int files)
{
	unsigned long pages = ALIGN_UP(files * sizeof(struct cpio_file), PAGE_SIZE) / PAGE_SIZE;
	size_t off = 0;
	uint64_t pa;

	if (!files || pmem_alloc_contig(pages, &pa))
		return;
	initrd_index = pa_to_kva(pa);
	while (initrd_entries < files &&
	       cpio_next(initrd_base, initrd_len, &off, &initrd_index[initrd_entries]) == 0)
		initrd_entries++;
}

__init void initrd_init(void)
{
	const struct dt_info *dt = &machine_dt;
	struct cpio_error err;
	unsigned int files = 0;
	size_t off = 0;
	struct cpio_file f;
	int rc;

	if (!dt->has_initrd) {
		pr_info("initrd: none\n");
		return;
	}
	if (dt->initrd_end > DIRECT_MAP_SIZE) {
		pr_err("initrd: 0x%lx-0x%lx not in the direct map; ignored\n",
		       (unsigned long)dt->initrd_start, (unsigned long)dt->initrd_end);
		return;
	}
	rc = cpio_check(pa_to_kva(dt->initrd_start), dt->initrd_end - dt->initrd_start, &err);
	if (rc) {
		pr_err("initrd: bad initramfs at 0x%lx: %s at offset %lu; ignored\n",
		       (unsigned long)dt->initrd_start, cpio_strerror(rc),
		       (unsigned long)err.offset);
		return;
	}
	initrd_base = pa_to_kva(dt->initrd_start);
	initrd_len = dt->initrd_end - dt->initrd_start;
	while (cpio_next(initrd_base, initrd_len, &off, &f) == 0)
		files++;
	pr_info("initrd: %lu KiB cpio archive at 0x%lx, %u entries\n",
		(unsigned long)(initrd_len / KiB), (unsigned long)dt->initrd_start, files);
	initrd_index_init(files);
}

bool initrd_present(void)
{
	return initrd_base != NULL;
}

/* The last index entry named @path (the last of a name wins, as in cpio_find()), or NULL. */
static const struct cpio_file *initrd_lookup(const char *path)
{
	for (unsigned int i = initrd_entries; i; i--)
		if (cpio_name_eq(&initrd_index[i - 1], path))
			return &initrd_index[i - 1];
	return NULL;
}

int initrd_find(const char *path, struct cpio_file *f)
{
	const struct cpio_file *e;

	if (!initrd_base)
		return -KEEL_ENOENT;
	if (initrd_index) {
		e = initrd_lookup(path);
		if (!e)
			return -KEEL_ENOENT;
		/* A hard link's data sits on another entry: cpio_find() knows which. */
		if (!(cpio_is_reg(e) && e->nlink > 1 && !e->size)) {
			*f = *e;
			return cpio_is_reg(f) ? 0 : -KEEL_EINVAL;
		}
	}
	if (cpio_find(initrd_base, initrd_len, path, f))
		return -KEEL_ENOENT;
	return cpio_is_reg(f) ? 0 : -KEEL_EINVAL;
}

void initrd_for_each(bool (*fn)(const struct cpio_file *f, void *arg), void *arg)
{
	struct cpio_file f;
	size_t off = 0;

	if (!initrd_base)
		return;
	while (cpio_next(initrd_base, initrd_len, &off, &f) == 0)
		if (!fn(&f, arg))
			return;
}

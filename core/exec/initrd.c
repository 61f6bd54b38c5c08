/*
 * initrd.c - the initramfs, read in place through the direct map.
 *
 * Checked once, whole, at boot (cpio_check); after that lookups trust
 * the structure. pmem never hands out its pages (machine_dt.initrd_*).
 * Read-only after boot: no lock.
 */
#include "initrd.h"
#include "lib/log.h"
#include "platform/machine.h"

static const void *initrd_base; /* NULL: none, or refused */
static size_t initrd_len;

void initrd_init(void)
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
		pr_err("initrd: 0x%lx-0x%lx is beyond the direct map; ignored\n",
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
}

bool initrd_present(void)
{
	return initrd_base != NULL;
}

int initrd_find(const char *path, struct cpio_file *f)
{
	if (!initrd_base)
		return -KEEL_ENOENT;
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

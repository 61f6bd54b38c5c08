/*
 * initrd.h - the initramfs: a cpio (newc) archive the boot loader put in
 * memory and named in /chosen (linux,initrd-start/-end). The core reads
 * it in place; it is never unpacked.
 */
#ifndef KEEL_INITRD_H
#define KEEL_INITRD_H

#include "keel.h"
#include "cpio.h"

/* Boot: check the whole archive; a bad one is reported and ignored. */
__init void initrd_init(void);
/* Is there a sound initramfs? */
bool initrd_present(void);
/* Find @path (a regular file, symlinks not followed); 0 or -KEEL_ENOENT/-KEEL_EINVAL. */
int __must_check initrd_find(const char *path, struct cpio_file *f);
/* Walk every entry; @fn returns false to stop. */
void initrd_for_each(bool (*fn)(const struct cpio_file *f, void *arg), void *arg);

#endif

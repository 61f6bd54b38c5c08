/*
 * exec.h - start a user program: a static ELF64 from the initramfs, a
 * fresh address space, a stack with argc, argv, envp and auxv as the
 * RISC-V psABI (and Linux) lay them out.
 */
#ifndef KEEL_EXEC_H
#define KEEL_EXEC_H

#include "keel.h"

struct as;

#define EXEC_MAX_ARGS	 64 /* argv + envp entries */
#define EXEC_MAX_STRINGS (16 * KiB)

struct exec_image {
	struct quota *quota; /* in: what the address space is charged to */
	struct as *as;
	uintptr_t entry, sp;
};

/* Load @path with @argv/@envp (kernel strings, NULL-terminated); 0 or -KEEL_E*. */
/* As exec_load(), from an ELF image in memory (@what names it in messages). */
int __must_check exec_load_mem(const void *data, size_t size, const char *what,
			       const char *const *argv, const char *const *envp,
			       struct exec_image *img);
int __must_check exec_load(const char *path, const char *const *argv, const char *const *envp,
			   struct exec_image *img);
/* The current kernel task becomes the user program @img; never returns. */
__noreturn void exec_enter(struct exec_image *img, const char *name);

#endif

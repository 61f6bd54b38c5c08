/*
 * exec.c - load an ELF executable from the initramfs and enter it.
 *
 * elf_parse() has checked every header (class, machine, type, segment
 * bounds, overlaps, W+X); here each PT_LOAD gets fresh pages, its file
 * bytes and zeroed rest, and the stack gets the strings, then auxv,
 * envp, argv and argc below them, 16-byte aligned (RISC-V psABI).
 */
#include "exec.h"
#include "mm/as.h"
#include "arch/cpu.h"
#include "elf.h"
#include "lib/fmt.h"
#include "initrd.h"
#include "lib/log.h"
#include "arch/riscv.h"
#include "lib/string.h"
#include "kernel/task.h"
#include "arch/trap.h"

/* auxv keys (the System V gABI numbers Linux uses). */
#define AT_NULL	  0
#define AT_PAGESZ 6
#define AT_ENTRY  9
#define AT_HWCAP  16

static unsigned long exec_perm(uint32_t flags)
{
	return (flags & ELF_PF_R ? PTE_R : 0) | (flags & ELF_PF_W ? PTE_W : 0) |
	       (flags & ELF_PF_X ? PTE_X : 0);
}

/* Copy @n bytes to user @va of @as through the direct map, whatever the page's rights. */
static void exec_poke(struct as *as, uintptr_t va, const void *src, size_t n)
{
	const char *s = src;

	while (n) {
		size_t chunk = MIN(n, PAGE_SIZE - (va & (PAGE_SIZE - 1)));
		char *k = as_kva(as, va, 0);

		memcpy(k, s, chunk);
		va += chunk;
		s += chunk;
		n -= chunk;
	}
}

static int exec_load_segments(struct as *as, const void *file, const struct elf_image *elf)
{
	for (unsigned int i = 0; i < elf->nsegs; i++) {
		const struct elf_segment *sg = &elf->seg[i];
		uintptr_t lo = ALIGN_DOWN(sg->vaddr, PAGE_SIZE);
		uintptr_t hi = ALIGN_UP(sg->vaddr + sg->memsz, PAGE_SIZE);
		int err;

		/* Segments may share a page (elf_parse allows it when their rights agree). */
		for (uintptr_t va = lo; va < hi; va += PAGE_SIZE) {
			if (as_kva(as, va, 0))
				continue;
			err = as_map_anon(as, va, PAGE_SIZE, exec_perm(sg->flags));
			if (err)
				return err;
		}
		exec_poke(as, sg->vaddr, (const char *)file + sg->offset, sg->filesz);
	}
	return 0;
}

static unsigned int exec_count(const char *const *v)
{
	unsigned int n = 0;

	while (v && v[n])
		n++;
	return n;
}

/* Lay out the initial stack; the sp to start with, or 0 if it does not fit. */
static uintptr_t exec_stack(struct as *as, const char *const *argv, const char *const *envp,
			    uintptr_t entry)
{
	unsigned int argc = exec_count(argv), envc = exec_count(envp);
	uintptr_t strp = USER_STACK_TOP, ptrs[EXEC_MAX_ARGS];
	uint64_t words[2 * EXEC_MAX_ARGS + 16];
	unsigned int nw = 0;
	uintptr_t sp;

	if (argc + envc > EXEC_MAX_ARGS - 2)
		return 0;
	/* The strings, at the very top. */
	for (unsigned int i = 0; i < argc + envc; i++) {
		const char *s = i < argc ? argv[i] : envp[i - argc];
		size_t n = strlen(s) + 1;

		if (USER_STACK_TOP - (strp - n) > EXEC_MAX_STRINGS)
			return 0;
		strp -= n;
		exec_poke(as, strp, s, n);
		ptrs[i] = strp;
	}
	words[nw++] = argc;
	for (unsigned int i = 0; i < argc; i++)
		words[nw++] = ptrs[i];
	words[nw++] = 0;
	for (unsigned int i = 0; i < envc; i++)
		words[nw++] = ptrs[argc + i];
	words[nw++] = 0;
	words[nw++] = AT_PAGESZ;
	words[nw++] = PAGE_SIZE;
	words[nw++] = AT_ENTRY;
	words[nw++] = entry;
	words[nw++] = AT_NULL;
	words[nw++] = 0;
	sp = ALIGN_DOWN(strp - nw * sizeof(uint64_t), 16);
	exec_poke(as, sp, words, nw * sizeof(uint64_t));
	return sp;
}

int exec_load(const char *path, const char *const *argv, const char *const *envp,
	      struct exec_image *img)
{
	struct cpio_file f;
	int err;

	err = initrd_find(path, &f);
	if (err)
		return err;
	return exec_load_mem(f.data, f.size, path, argv, envp, img);
}

int exec_load_mem(const void *data, size_t size, const char *what, const char *const *argv,
		  const char *const *envp, struct exec_image *img)
{
	struct elf_image elf;
	struct elf_error eerr;
	struct as *as;
	int err;

	err = elf_parse(data, size, USER_MMAP_BASE, &elf, &eerr);
	if (err) {
		pr_task(task_current(), LOG_ERR, "exec: %s: not a Keel executable: %s%s%s\n", what,
			elf_strerror(err), eerr.what ? ": " : "", eerr.what ? eerr.what : "");
		return -KEEL_EINVAL;
	}
	as = as_create(img->quota);
	if (!as)
		return -KEEL_ENOMEM;
	err = exec_load_segments(as, data, &elf);
	if (!err)
		err = as_map_lazy(as, USER_STACK_TOP - USER_STACK_SIZE, USER_STACK_SIZE,
				  PTE_R | PTE_W);
	if (!err) {
		img->sp = exec_stack(as, argv, envp, elf.entry);
		if (!img->sp)
			err = -KEEL_ERANGE;
	}
	if (err) {
		as_destroy(as);
		return err;
	}
	img->as = as;
	img->entry = elf.entry;
	return 0;
}

void trap_enter_frame(struct trap_frame *tf) __attribute__((noreturn));

void exec_enter(struct exec_image *img, const char *name)
{
	struct task *t = task_current();
	/* The frame's place at the top is never used by kernel frames (task_create). */
	struct trap_frame *tf = (struct trap_frame *)(t->stack_top - sizeof(struct trap_frame));
	struct as *old;

	local_irq_disable();
	memset(tf, 0, sizeof(*tf));
	tf->regs[2 - 1] = img->sp;
	tf->sepc = img->entry;
	/* sret to U-mode (SPP = 0) with interrupts on there (SPIE). */
	tf->sstatus =
		(csr_read(sstatus) & ~(SSTATUS_SPP | SSTATUS_SIE | SSTATUS_SUM)) | SSTATUS_SPIE;
	old = t->as;
	t->as = img->as;
	fmt_snprintf(t->name, sizeof(t->name), "%s", name);
	as_activate(t->as);
	this_cpu()->active_as = t->as;
	this_cpu()->kstack_top = t->stack_top;
	if (old)
		as_destroy(old);
	trap_enter_frame(tf);
}

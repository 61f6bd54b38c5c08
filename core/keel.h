/*
 * keel.h - what every core file includes: fixed-width types, the few
 * attributes and helpers the core uses everywhere, and the kernel's place
 * in the Sv39 address space.
 */
#ifndef KEEL_KEEL_H
#define KEEL_KEEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keel/errno.h"
#include "keel/init.h"

#define KEEL_VERSION "0.1"

#ifndef DEBUG
#define DEBUG 0 /* configure --debug passes -DDEBUG=1 */
#endif

#define __must_check   __attribute__((warn_unused_result))
#define __noreturn     __attribute__((noreturn))
#define __printf(a, b) __attribute__((format(printf, a, b)))
#define __aligned(n)   __attribute__((aligned(n)))
/*
 * Off the measured paths in a file built for speed ($hotflags): gcc builds
 * the function for size and moves it to .text.unlikely.
 */
#define __cold __attribute__((cold))
/* Left as the firmware left it: boot/entry.S does not clear it (kernel.ld). */
#define __noinit __attribute__((section(".noinit")))
/* Code and data used only while booting. */
#define __boot __attribute__((section(".text.boot")))

#define ARRAY_SIZE(a)	 (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a)	 (((x) + ((a)-1)) & ~((__typeof__(x))(a)-1))
#define ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a)-1))
#define MIN(a, b)	 ((a) < (b) ? (a) : (b))
#define MAX(a, b)	 ((a) > (b) ? (a) : (b))

/*
 * Index of the lowest set bit of @x, which is not 0. rv64imac has no ctz
 * instruction, and __builtin_ctzll calls libgcc's __ctzdi2, which brings
 * a 256-byte table into .rodata; six halving steps do without one.
 */
static inline unsigned int ctz64(uint64_t x)
{
	unsigned int n = 0;

	for (unsigned int s = 32; s; s >>= 1)
		if (!(x & ((1ULL << s) - 1))) {
			x >>= s;
			n += s;
		}
	return n;
}

#define KiB 1024UL
#define MiB (1024UL * KiB)
#define GiB (1024UL * MiB)

/*
 * The Sv39 kernel half (privileged spec 4.4.1: bits 63..39 copy bit 38).
 * The core is linked at KERNEL_VBASE and mapped onto wherever it was
 * loaded; all RAM is mapped once more at DIRECT_MAP_BASE + pa.
 * boot/entry.S and boot/kernel.ld use the same numbers.
 */
#define DIRECT_MAP_BASE 0xffffffc000000000UL
#define DIRECT_MAP_SIZE (64UL * GiB) /* physical addresses below this */
#define KERNEL_VBASE	0xffffffff80000000UL

/* The boot hart's stack; boot/kernel.ld reserves it (same number). */
#define BOOT_STACK_SIZE (16 * KiB)

/* Set once by boot/entry.S: where the Image was really loaded. */
extern unsigned long kernel_load_pa;
extern char _start[], _etext[], __rodata_start[], __rodata_end[];
extern char __init_begin[], __init_text_end[], __init_end[];
extern char __data_start[], _edata[], __bss_start[], _end[];
extern char __boot_stack_guard[], __boot_stack_top[];

static inline void *pa_to_kva(uint64_t pa)
{
	return (void *)(uintptr_t)(pa + DIRECT_MAP_BASE);
}

/* A kernel-image or direct-map address to its physical address. */
static inline uint64_t kva_to_pa(const void *p)
{
	uintptr_t va = (uintptr_t)p;

	if (va >= KERNEL_VBASE)
		return va - KERNEL_VBASE + kernel_load_pa;
	return va - DIRECT_MAP_BASE;
}

#endif

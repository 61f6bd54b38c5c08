/*
 * keel/init.h - code and constants the core needs only while it boots.
 *
 * __init functions go to .init.text and __initconst tables to
 * .init.rodata; boot/kernel.ld puts both between .text and .rodata, and
 * kernel_init() gives their pages to the page allocator once the harts
 * are up and the initramfs is checked, before the first user program runs
 * (Linux's free_initmem(), seL4's BOOT_CODE). Nothing resident may call or
 * point into them, but the one __ref function that frees them:
 * tools/check-init fails the link if anything else does.
 *
 * Outside the core (host tests, user servers that share a file with it)
 * the marks are nothing.
 */
#ifndef KEEL_INIT_H
#define KEEL_INIT_H

#ifdef KEEL_CORE
/* cold: gcc builds it for size even in a file built for speed. */
#define __init	    __attribute__((section(".init.text"), cold))
#define __initconst __attribute__((section(".init.rodata")))
/*
 * Resident, but calls __init code before the free (Linux's __ref): only
 * kernel_init(), which frees. tools/check-init lets .text.ref through.
 */
#define __ref __attribute__((section(".text.ref"), noinline))
#else
#define __init
#define __initconst
#define __ref
#endif

#endif

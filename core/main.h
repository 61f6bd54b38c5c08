/*
 * main.h - the core's entry from boot/entry.S.
 */
#ifndef KEEL_MAIN_H
#define KEEL_MAIN_H

__attribute__((noreturn)) void core_main(unsigned long boot_hartid, unsigned long fdt_pa);

#endif

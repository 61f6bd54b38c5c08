/*
 * power.h - ending a run: power off, reboot, or fail (after a panic).
 * The SBI SRST extension does the work; this file adds what the device
 * tree says about the machine (power_set_finisher). Never return.
 */
#ifndef KEEL_POWER_H
#define KEEL_POWER_H

#include "keel.h"

/* Boot hart, once (platform/machine.c): QEMU's test finisher (0: none), and a poweroff device? */
void power_set_finisher(uint64_t finisher_pa, bool has_poweroff);
/* The test finisher's physical address, for vm_init() to map; 0 if none. */
uint64_t power_finisher_pa(void);

__noreturn void power_off(void);
__noreturn void power_reboot(void);
/* After a panic: a failure an emulator reports as a non-zero exit. */
__noreturn void power_fail(void);

#endif

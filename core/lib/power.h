/*
 * power.h - ending a run: power off, reboot, or fail (after a panic).
 * The SBI SRST extension does the work; this file adds what the device
 * tree says about the machine (see machine_has_poweroff). Never return.
 */
#ifndef KEEL_POWER_H
#define KEEL_POWER_H

#include "keel.h"

__noreturn void power_off(void);
__noreturn void power_reboot(void);
/* After a panic: a failure an emulator reports as a non-zero exit. */
__noreturn void power_fail(void);

#endif

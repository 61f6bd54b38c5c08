/*
 * power.c - power off, reboot, fail. Any hart.
 *
 * On a machine whose DT has no poweroff device, OpenSBI 1.1's SRST
 * shutdown parks the hart forever (QEMU sifive_u); there Keel says so
 * and asks for a reset instead, which QEMU -no-reboot turns into an exit.
 */
#include "power.h"
#include "log.h"
#include "platform/machine.h"
#include "sbi/sbi.h"

void power_off(void)
{
	if (!machine_has_poweroff) {
		pr_warn("power: no poweroff device in the device tree; resetting instead\n");
		log_flush();
		sbi_system_reboot();
	}
	log_flush();
	sbi_system_poweroff();
}

void power_reboot(void)
{
	log_flush();
	sbi_system_reboot();
}

void power_fail(void)
{
	log_flush();
	machine_emulator_fail();	/* QEMU virt: exit status 1 */
	if (!machine_has_poweroff)
		sbi_system_reboot();
	sbi_system_fail();
}

/*
 * power.c - power off, reboot, fail. Any hart.
 *
 * Owns what ending a run needs besides SBI SRST: QEMU's test finisher
 * ("sifive,test0/1"; OpenSBI 1.x drives it on SRST but passes no exit
 * code, so QEMU would exit 0 after a panic: power_fail() writes FAIL with
 * code 1 itself), and whether the DT has a device the firmware can power
 * off with. On a machine without one, OpenSBI 1.1's SRST shutdown parks
 * the hart forever (QEMU sifive_u); there Keel says so and asks for a
 * reset instead, which QEMU -no-reboot turns into an exit.
 *
 * platform/machine.c finds the devices and calls power_set_finisher()
 * once at boot, before any other hart runs; read-only after.
 */
#include "power.h"
#include "log.h"
#include "arch/riscv.h"
#include "sbi/sbi.h"

/* QEMU hw/misc/sifive_test.c: low 16 bits the command, high 16 the exit code. */
#define FINISHER_FAIL	      0x3333
#define FINISHER_EXIT_CODE(c) ((uint32_t)(c) << 16)

static uint64_t power_finisher; /* immutable after boot */
static bool power_has_poweroff; /* immutable after boot */

void power_set_finisher(uint64_t finisher_pa, bool has_poweroff)
{
	power_finisher = finisher_pa;
	power_has_poweroff = has_poweroff;
}

uint64_t power_finisher_pa(void)
{
	return power_finisher;
}

/* The firmware did not end the run: say so, and park this hart. */
static __noreturn void power_park(const char *what, long err)
{
	log_raw_printf("sbi: cannot %s (%s); parking this hart\n", what, sbi_strerror(err));
	csr_clear(sstatus, SSTATUS_SIE);
	for (;;)
		riscv_wfi();
}

void power_off(void)
{
	if (!power_has_poweroff) {
		pr_warn("power: no poweroff device in the device tree; resetting instead\n");
		log_flush();
		power_park("reset", sbi_system_reboot());
	}
	log_flush();
	power_park("power off", sbi_system_poweroff());
}

void power_reboot(void)
{
	log_flush();
	power_park("reset", sbi_system_reboot());
}

void power_fail(void)
{
	uint64_t pa = power_finisher;

	log_flush();
	/* Mapped by the early map, and by vm_init() in the kernel map. */
	if (pa && pa < DIRECT_MAP_SIZE)
		*(volatile uint32_t *)pa_to_kva(pa) = FINISHER_FAIL | FINISHER_EXIT_CODE(1);
	if (!power_has_poweroff)
		power_park("reset", sbi_system_reboot());
	power_park("power off", sbi_system_fail());
}

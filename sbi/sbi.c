/*
 * sbi.c - the SBI client: one ecall helper, one small function per call,
 * extension probing, and the one place SBI errors become Keel errors.
 *
 * The firmware is probed once on the boot hart (sbi_probe) before any
 * other hart runs; `sbi` is read-only after that. Every call is safe on
 * any hart.
 */
#include "sbi.h"
#include "arch/riscv.h"
#include "keel/strtab.h"

struct sbi_info sbi;

struct sbiret sbi_ecall(unsigned long ext, unsigned long fid, unsigned long a0, unsigned long a1,
			unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)
{
	register unsigned long r0 __asm__("a0") = a0;
	register unsigned long r1 __asm__("a1") = a1;
	register unsigned long r2 __asm__("a2") = a2;
	register unsigned long r3 __asm__("a3") = a3;
	register unsigned long r4 __asm__("a4") = a4;
	register unsigned long r5 __asm__("a5") = a5;
	register unsigned long r6 __asm__("a6") = fid;
	register unsigned long r7 __asm__("a7") = ext;

	__asm__ __volatile__("ecall"
			     : "+r"(r0), "+r"(r1)
			     : "r"(r2), "r"(r3), "r"(r4), "r"(r5), "r"(r6), "r"(r7)
			     : "memory");
	return (struct sbiret){ .error = (long)r0, .value = (long)r1 };
}

/* Legacy extensions (SBI spec chapter 5) return their error in a0 only. */
static long sbi_legacy(unsigned long ext, unsigned long a0)
{
	return sbi_ecall(ext, 0, a0, 0, 0, 0, 0, 0).error;
}

const char *sbi_strerror(long err)
{
	switch (err) {
	case SBI_SUCCESS:
		return "SBI_SUCCESS";
	case SBI_ERR_FAILED:
		return "SBI_ERR_FAILED";
	case SBI_ERR_NOT_SUPPORTED:
		return "SBI_ERR_NOT_SUPPORTED";
	case SBI_ERR_INVALID_PARAM:
		return "SBI_ERR_INVALID_PARAM";
	case SBI_ERR_DENIED:
		return "SBI_ERR_DENIED";
	case SBI_ERR_INVALID_ADDRESS:
		return "SBI_ERR_INVALID_ADDRESS";
	case SBI_ERR_ALREADY_AVAILABLE:
		return "SBI_ERR_ALREADY_AVAILABLE";
	case SBI_ERR_ALREADY_STARTED:
		return "SBI_ERR_ALREADY_STARTED";
	case SBI_ERR_ALREADY_STOPPED:
		return "SBI_ERR_ALREADY_STOPPED";
	case SBI_ERR_NO_SHMEM:
		return "SBI_ERR_NO_SHMEM";
	default:
		return "SBI error (unknown code)";
	}
}

int sbi_to_kerr(long err)
{
	switch (err) {
	case SBI_SUCCESS:
		return 0;
	case SBI_ERR_NOT_SUPPORTED:
		return -KEEL_ENOTSUP;
	case SBI_ERR_INVALID_PARAM:
	case SBI_ERR_INVALID_ADDRESS:
		return -KEEL_EINVAL;
	case SBI_ERR_DENIED:
		return -KEEL_EDENIED;
	case SBI_ERR_ALREADY_AVAILABLE:
	case SBI_ERR_ALREADY_STARTED:
	case SBI_ERR_ALREADY_STOPPED:
		return -KEEL_EBUSY;
	default:
		return -KEEL_EIO;
	}
}

/* Implementation IDs (SBI spec 4.9). */
const char *sbi_impl_name(unsigned long id)
{
	static const char names[] = "Berkeley Boot Loader\0OpenSBI\0Xvisor\0KVM\0RustSBI\0Diosix\0"
				    "Coffer\0Xen Project\0PolarFire Hart Software Services\0"
				    "coreboot\0oreboot";
	const char *s = strtab_nth(names, sizeof(names), id);

	return s ? s : "unknown";
}

const char *sbi_hsm_state_str(long state)
{
	static const char names[] = "STARTED\0STOPPED\0START_PENDING\0STOP_PENDING\0SUSPENDED\0"
				    "SUSPEND_PENDING\0RESUME_PENDING";
	const char *s = state < 0 ? NULL : strtab_nth(names, sizeof(names), (unsigned long)state);

	return s ? s : "unknown";
}

static __init bool sbi_probe_ext(unsigned long ext)
{
	struct sbiret r = sbi_ecall(SBI_EXT_BASE, SBI_EXT_BASE_PROBE_EXT, ext, 0, 0, 0, 0, 0);

	return r.error == SBI_SUCCESS && r.value != 0;
}

/* Boot hart, once, early: what the firmware is and offers (machine_log_sbi() says it). */
__init void sbi_probe(void)
{
	struct sbiret r = sbi_ecall(SBI_EXT_BASE, SBI_EXT_BASE_GET_SPEC_VERSION, 0, 0, 0, 0, 0, 0);

	if (r.error)
		return; /* SBI v0.1 has no base extension: only the legacy calls exist. */
	sbi.base = true;
	sbi.spec_version = (unsigned long)r.value;
	sbi.impl_id =
		(unsigned long)sbi_ecall(SBI_EXT_BASE, SBI_EXT_BASE_GET_IMP_ID, 0, 0, 0, 0, 0, 0)
			.value;
	sbi.impl_version = (unsigned long)sbi_ecall(SBI_EXT_BASE, SBI_EXT_BASE_GET_IMP_VERSION, 0,
						    0, 0, 0, 0, 0)
				   .value;
	sbi.time = sbi_probe_ext(SBI_EXT_TIME);
	sbi.ipi = sbi_probe_ext(SBI_EXT_IPI);
	sbi.hsm = sbi_probe_ext(SBI_EXT_HSM);
	sbi.srst = sbi_probe_ext(SBI_EXT_SRST);
	sbi.dbcn = sbi_probe_ext(SBI_EXT_DBCN);
}

void sbi_console_write(const char *s, size_t len)
{
	if (sbi.dbcn) {
		/* DBCN takes a physical address (SBI spec 12.1). */
		uint64_t pa = kva_to_pa(s);
		struct sbiret r;

		while (len) {
			r = sbi_ecall(SBI_EXT_DBCN, SBI_EXT_DBCN_CONSOLE_WRITE, len, pa, 0, 0, 0,
				      0);
			if (r.error || r.value <= 0 || (size_t)r.value > len)
				break;
			len -= (size_t)r.value;
			pa += (uint64_t)r.value;
		}
		return;
	}
	while (len--)
		sbi_legacy(SBI_EXT_LEGACY_CONSOLE_PUTCHAR, (unsigned char)*s++);
}

int sbi_console_getchar(void)
{
	if (sbi.dbcn) {
		unsigned char c;
		struct sbiret r = sbi_ecall(SBI_EXT_DBCN, SBI_EXT_DBCN_CONSOLE_READ, 1,
					    kva_to_pa(&c), 0, 0, 0, 0);

		return !r.error && r.value == 1 ? c : -1;
	}
	return (int)sbi_legacy(SBI_EXT_LEGACY_CONSOLE_GETCHAR, 0);
}

long sbi_set_timer(uint64_t stime_value)
{
	if (sbi.time)
		return sbi_ecall(SBI_EXT_TIME, SBI_EXT_TIME_SET_TIMER, stime_value, 0, 0, 0, 0, 0)
			.error;
	return sbi_legacy(SBI_EXT_LEGACY_SET_TIMER, stime_value);
}

long sbi_send_ipi(unsigned long hart_mask, unsigned long hart_mask_base)
{
	return sbi_ecall(SBI_EXT_IPI, SBI_EXT_IPI_SEND_IPI, hart_mask, hart_mask_base, 0, 0, 0, 0)
		.error;
}

long sbi_hart_start(unsigned long hartid, unsigned long start_pa, unsigned long opaque)
{
	return sbi_ecall(SBI_EXT_HSM, SBI_EXT_HSM_HART_START, hartid, start_pa, opaque, 0, 0, 0)
		.error;
}

long sbi_hart_stop(void)
{
	return sbi_ecall(SBI_EXT_HSM, SBI_EXT_HSM_HART_STOP, 0, 0, 0, 0, 0, 0).error;
}

struct sbiret sbi_hart_get_status(unsigned long hartid)
{
	return sbi_ecall(SBI_EXT_HSM, SBI_EXT_HSM_HART_GET_STATUS, hartid, 0, 0, 0, 0, 0);
}

/*
 * System reset through SRST, and for a shutdown the legacy call too.
 * Returns only if the firmware could not: the SBI error (or
 * SBI_ERR_NOT_SUPPORTED); the caller says so and parks the hart.
 */
static long sbi_reset(unsigned long type, unsigned long reason)
{
	long err = SBI_ERR_NOT_SUPPORTED;

	if (sbi.srst)
		err = sbi_ecall(SBI_EXT_SRST, SBI_EXT_SRST_RESET, type, reason, 0, 0, 0, 0).error;
	if (type == SBI_SRST_RESET_TYPE_SHUTDOWN)
		sbi_legacy(SBI_EXT_LEGACY_SHUTDOWN, 0);
	return err;
}

long sbi_system_poweroff(void)
{
	return sbi_reset(SBI_SRST_RESET_TYPE_SHUTDOWN, SBI_SRST_RESET_REASON_NONE);
}

long sbi_system_reboot(void)
{
	return sbi_reset(SBI_SRST_RESET_TYPE_COLD_REBOOT, SBI_SRST_RESET_REASON_NONE);
}

/* After a panic: shut down with "system failure" so an emulator exits non-zero. */
long sbi_system_fail(void)
{
	return sbi_reset(SBI_SRST_RESET_TYPE_SHUTDOWN, SBI_SRST_RESET_REASON_SYSFAIL);
}

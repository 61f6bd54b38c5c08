/*
 * sbi.h - the SBI client: the calls Keel makes into M-mode firmware.
 *
 * Constants and names follow the RISC-V Supervisor Binary Interface
 * Specification v2.0 (extension IDs are the ASCII of their names).
 * Each wrapper returns the raw struct sbiret; sbi_to_kerr() maps errors.
 */
#ifndef KEEL_SBI_H
#define KEEL_SBI_H

#include "keel.h"

/* Extension IDs (SBI spec chapter 3-10) */
#define SBI_EXT_LEGACY_SET_TIMER       0x00
#define SBI_EXT_LEGACY_CONSOLE_PUTCHAR 0x01
#define SBI_EXT_LEGACY_CONSOLE_GETCHAR 0x02
#define SBI_EXT_LEGACY_SHUTDOWN	       0x08
#define SBI_EXT_BASE		       0x10
#define SBI_EXT_TIME		       0x54494D45 /* "TIME" */
#define SBI_EXT_IPI		       0x735049	  /* "sPI" */
#define SBI_EXT_HSM		       0x48534D	  /* "HSM" */
#define SBI_EXT_SRST		       0x53525354 /* "SRST" */
#define SBI_EXT_DBCN		       0x4442434E /* "DBCN" */

/* Base extension functions (chapter 4) */
#define SBI_EXT_BASE_GET_SPEC_VERSION 0
#define SBI_EXT_BASE_GET_IMP_ID	      1
#define SBI_EXT_BASE_GET_IMP_VERSION  2
#define SBI_EXT_BASE_PROBE_EXT	      3

#define SBI_EXT_TIME_SET_TIMER		0
#define SBI_EXT_IPI_SEND_IPI		0
#define SBI_EXT_HSM_HART_START		0
#define SBI_EXT_HSM_HART_STOP		1
#define SBI_EXT_HSM_HART_GET_STATUS	2
#define SBI_EXT_SRST_RESET		0
#define SBI_EXT_DBCN_CONSOLE_WRITE	0
#define SBI_EXT_DBCN_CONSOLE_READ	1
#define SBI_EXT_DBCN_CONSOLE_WRITE_BYTE 2

/* HSM states (9.1) */
#define SBI_HSM_STATE_STARTED	      0
#define SBI_HSM_STATE_STOPPED	      1
#define SBI_HSM_STATE_START_PENDING   2
#define SBI_HSM_STATE_STOP_PENDING    3
#define SBI_HSM_STATE_SUSPENDED	      4
#define SBI_HSM_STATE_SUSPEND_PENDING 5
#define SBI_HSM_STATE_RESUME_PENDING  6

/* SRST types and reasons (10.1) */
#define SBI_SRST_RESET_TYPE_SHUTDOWN	0
#define SBI_SRST_RESET_TYPE_COLD_REBOOT 1
#define SBI_SRST_RESET_TYPE_WARM_REBOOT 2
#define SBI_SRST_RESET_REASON_NONE	0
#define SBI_SRST_RESET_REASON_SYSFAIL	1

/* Standard error codes (3.2) */
#define SBI_SUCCESS		  0
#define SBI_ERR_FAILED		  -1
#define SBI_ERR_NOT_SUPPORTED	  -2
#define SBI_ERR_INVALID_PARAM	  -3
#define SBI_ERR_DENIED		  -4
#define SBI_ERR_INVALID_ADDRESS	  -5
#define SBI_ERR_ALREADY_AVAILABLE -6
#define SBI_ERR_ALREADY_STARTED	  -7
#define SBI_ERR_ALREADY_STOPPED	  -8
#define SBI_ERR_NO_SHMEM	  -9

struct sbiret {
	long error;
	long value;
};

/* What the firmware offers; filled by sbi_probe(), read-only after boot. */
struct sbi_info {
	unsigned long spec_version; /* major << 24 | minor */
	unsigned long impl_id;
	unsigned long impl_version;
	bool base, time, ipi, hsm, srst, dbcn;
};
extern struct sbi_info sbi;

struct sbiret sbi_ecall(unsigned long ext, unsigned long fid, unsigned long a0, unsigned long a1,
			unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5);

__init void sbi_probe(void);
const char *sbi_strerror(long err);
int sbi_to_kerr(long err);
const char *sbi_impl_name(unsigned long id);
const char *sbi_hsm_state_str(long state);

/* Console: DBCN when the firmware has it, the legacy putchar otherwise. */
void sbi_console_write(const char *s, size_t len);
/* One byte from the console, or -1 if none is waiting. */
int sbi_console_getchar(void);

long sbi_set_timer(uint64_t stime_value);
long sbi_send_ipi(unsigned long hart_mask, unsigned long hart_mask_base);
long sbi_hart_start(unsigned long hartid, unsigned long start_pa, unsigned long opaque);
long sbi_hart_stop(void);
struct sbiret sbi_hart_get_status(unsigned long hartid);

/* Power: SRST when present, the legacy shutdown otherwise; never return. */
/* Power off, reboot, or shut down as failed; return only on failure, with the SBI error. */
long sbi_system_poweroff(void);
long sbi_system_reboot(void);
long sbi_system_fail(void);

#endif

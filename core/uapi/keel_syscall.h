/*
 * keel_syscall.h - the system call interface, shared by the core and the
 * user runtime (servers/lib). docs/syscalls.md describes each call.
 *
 * ABI: ecall from U-mode; a7 = number, a0-a5 = arguments; a0 = result,
 * >= 0 on success, a negative KERR_* code on failure.
 */
#ifndef KEEL_UAPI_SYSCALL_H
#define KEEL_UAPI_SYSCALL_H

#define SYS_exit	0	/* (code) -> never returns */
#define SYS_write	1	/* (fd, buf, len) -> bytes written */
#define SYS_read	2	/* (fd, buf, len) -> bytes read */
#define SYS_getpid	3	/* () -> pid */
#define SYS_yield	4	/* () -> 0 */
#define SYS_sleep_us	5	/* (us) -> 0 */
#define SYS_time_ns	6	/* () -> nanoseconds since reset */
#define SYS_spawn	7	/* (path, argv, envp) -> pid */
#define SYS_wait	8	/* (pid, &status) -> pid */
#define SYS_dmesg	9	/* (seq, buf, len) -> bytes, 0 at the end */
#define SYS_ps		10	/* (buf, max) -> entries */
#define SYS_reboot	11	/* (how) -> never returns */
#define SYS_initrd_read	12	/* (path, buf, len, offset) -> bytes */
#define SYS_getppid	13	/* () -> ppid */
#define SYS_initrd_list	14	/* (index, &entry) -> 1, 0 past the end */
#define SYS_MAX		15

/* SYS_reboot's how */
#define KEEL_REBOOT_POWEROFF	0
#define KEEL_REBOOT_RESTART	1

/* Error codes (the core's KERR_*), returned negated. */
#define KEEL_EINVAL	1
#define KEEL_ENOMEM	2
#define KEEL_ENOTSUP	3
#define KEEL_EBUSY	4
#define KEEL_ENOENT	5
#define KEEL_ERANGE	6
#define KEEL_EDENIED	7
#define KEEL_ETIMEDOUT	8
#define KEEL_EIO	9
#define KEEL_ENOSYS	10
#define KEEL_ECHILD	11

/* One SYS_ps entry. */
struct keel_ps {
	int pid, ppid;
	int hart;		/* hartid it runs or last ran on */
	int state;		/* 0 running, 1 ready, 2 blocked, 3 dead */
	char name[16];
};

/* One SYS_initrd_list entry. */
struct keel_dirent {
	unsigned long size;
	unsigned int mode;	/* S_IFMT bits and permissions, as in the cpio header */
	char name[116];
};

#endif

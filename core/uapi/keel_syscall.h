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
#define SYS_spawn	7	/* (path, argv, envp, handles, n) -> pid */
#define SYS_wait	8	/* (pid, &status) -> pid */
#define SYS_dmesg	9	/* (seq, buf, len) -> bytes, 0 at the end */
#define SYS_ps		10	/* (buf, max) -> entries */
#define SYS_reboot	11	/* (how) -> never returns */
#define SYS_initrd_read	12	/* (path, buf, len, offset) -> bytes */
#define SYS_getppid	13	/* () -> ppid */
#define SYS_initrd_list	14	/* (index, &entry) -> 1, 0 past the end */
#define SYS_handle_close	15	/* (h) -> 0 */
#define SYS_handle_dup	16	/* (h, rights) -> new handle */
#define SYS_ep_create	17	/* () -> endpoint handle */
#define SYS_ipc_call	18	/* (h, msg in a1-a6) -> 0, reply in a1-a6 */
#define SYS_ipc_recv	19	/* (h) -> caller's pid, message in a1-a6 */
#define SYS_ipc_reply	20	/* (-, reply in a1-a6) -> 0 */
#define SYS_ipc_reply_recv 21	/* (h, reply in a1-a6) -> caller's pid, message in a1-a6 */
#define SYS_notif_create 22	/* () -> notification handle */
#define SYS_notif_signal 23	/* (h, bits) -> 0 */
#define SYS_notif_wait	24	/* (h) -> 0, bits in a1 */
#define SYS_MAX		25

/* Kinds of object a handle names. */
#define KEEL_OBJ_ENDPOINT	1
#define KEEL_OBJ_NOTIFICATION	2

/* Rights a handle carries. */
#define KEEL_R_SEND		(1U << 0)	/* ipc_call on an endpoint */
#define KEEL_R_RECEIVE		(1U << 1)	/* ipc_recv, ipc_reply_recv */
#define KEEL_R_SIGNAL		(1U << 2)	/* notif_signal */
#define KEEL_R_WAIT		(1U << 3)	/* notif_wait */
#define KEEL_R_DUPLICATE	(1U << 4)	/* handle_dup */
#define KEEL_R_TRANSFER		(1U << 5)	/* pass it in a message or to spawn */
#define KEEL_R_EP_ALL		(KEEL_R_SEND | KEEL_R_RECEIVE | KEEL_R_DUPLICATE | KEEL_R_TRANSFER)
#define KEEL_R_NOTIF_ALL	(KEEL_R_SIGNAL | KEEL_R_WAIT | KEEL_R_DUPLICATE | KEEL_R_TRANSFER)

/* "No handle" in a message's handle register. */
#define KEEL_HANDLE_NONE	(-1L)
/* Handles SYS_spawn can pass; the child finds them in slots 0, 1, ... */
#define KEEL_SPAWN_HANDLES	8

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
#define KEEL_EPEER	12
#define KEEL_EDEADLK	13

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

/*
 * keel/syscall.h - the system call interface, shared by the core and the
 * user runtime (servers/lib). docs/syscalls.md describes each call.
 *
 * ABI: ecall from U-mode; a7 = number, a0-a5 = arguments; a0 = result,
 * >= 0 on success, a negated KEEL_E* code (keel/errno.h) on failure.
 * The IPC calls return a message in a1-a6 as well. A call keeps every
 * other register but t0-t6, which it may clobber (docs/syscalls.md,
 * "Registers"): name KEEL_ECALL_CLOBBERS in every ecall's asm.
 */
#ifndef KEEL_UAPI_SYSCALL_H
#define KEEL_UAPI_SYSCALL_H

#include "keel/errno.h"
#include "keel/syscalls.h"

#ifndef __ASSEMBLER__
/* What an ecall may clobber besides its outputs, for an asm statement's clobber list. */
#define KEEL_ECALL_CLOBBERS "memory", "t0", "t1", "t2", "t3", "t4", "t5", "t6"

/* SYS_<name> = its number, from the one table (keel/syscalls.h). */
#define KEEL_SYSCALL_NR(nr, name, kind, n, args, ret) SYS_##name = nr,
enum { KEEL_SYSCALLS(KEEL_SYSCALL_NR) SYS_MAX };
#undef KEEL_SYSCALL_NR
#endif

/* Kinds of object a handle names. */
#define KEEL_OBJ_ENDPOINT     1
#define KEEL_OBJ_NOTIFICATION 2
#define KEEL_OBJ_MEMORY	      3 /* pages: anonymous, shared, DMA, or the device tree */
#define KEEL_OBJ_MMIO	      4 /* a device's register window */
#define KEEL_OBJ_IRQ	      5 /* one PLIC source, bound to a notification */
#define KEEL_OBJ_CONTROL      6 /* the machine: power, harts, devices, tasks */

/* Rights a handle carries. */
#define KEEL_R_SEND	 (1U << 0)  /* ipc_call on an endpoint */
#define KEEL_R_RECEIVE	 (1U << 1)  /* ipc_recv, ipc_reply_recv */
#define KEEL_R_SIGNAL	 (1U << 2)  /* notif_signal */
#define KEEL_R_WAIT	 (1U << 3)  /* notif_wait */
#define KEEL_R_DUPLICATE (1U << 4)  /* handle_dup */
#define KEEL_R_TRANSFER	 (1U << 5)  /* pass it in a message or to spawn */
#define KEEL_R_MAP_READ	 (1U << 6)  /* mmap a memory or MMIO object */
#define KEEL_R_MAP_WRITE (1U << 7)  /* ... writable */
#define KEEL_R_POWER	 (1U << 8)  /* control: reboot, power off */
#define KEEL_R_HOTPLUG	 (1U << 9)  /* control: hart_ctl */
#define KEEL_R_DEVICES	 (1U << 10) /* control: mmio_create, irq_create, console_claim */
#define KEEL_R_KILL	 (1U << 11) /* control: kill */
#define KEEL_R_EP_ALL	 (KEEL_R_SEND | KEEL_R_RECEIVE | KEEL_R_DUPLICATE | KEEL_R_TRANSFER)
#define KEEL_R_NOTIF_ALL (KEEL_R_SIGNAL | KEEL_R_WAIT | KEEL_R_DUPLICATE | KEEL_R_TRANSFER)
#define KEEL_R_MEM_ALL	 (KEEL_R_MAP_READ | KEEL_R_MAP_WRITE | KEEL_R_DUPLICATE | KEEL_R_TRANSFER)
#define KEEL_R_CONTROL_ALL                                                                         \
	(KEEL_R_POWER | KEEL_R_HOTPLUG | KEEL_R_DEVICES | KEEL_R_KILL | KEEL_R_DUPLICATE |         \
	 KEEL_R_TRANSFER)

/*
 * The handles init (pid 1) starts with: the machine's control object
 * with every right, and the flattened device tree, read-only.
 */
#define KEEL_H_INIT_CONTROL 0
#define KEEL_H_INIT_FDT	    1

/* SYS_mmap's prot; h = KEEL_HANDLE_NONE maps fresh zeroed memory. */
#define KEEL_PROT_READ	1
#define KEEL_PROT_WRITE 2

/* SYS_ipc_recv* label when a notification bound to the endpoint fired: bits in w[0]. */
#define KEEL_LABEL_NOTIFY (~0UL)

/*
 * SYS_dmesg: with this bit in seq, a line the console log level hides
 * comes back as -KEEL_ENOENT (a console server prints what is left).
 */
#define KEEL_DMESG_CONSOLE (1UL << 62)

/* SYS_wait_any's flags */
#define KEEL_WNOHANG 1

/* "No handle" in a message's handle register. */
#define KEEL_HANDLE_NONE (-1L)
/* Handles SYS_spawn can pass; the child finds them in slots 0, 1, ... */
#define KEEL_SPAWN_HANDLES 8

/*
 * Bytes of one argument or environment string spawn takes, NUL included;
 * the core also refuses a longer command-line word for init (it could
 * not hand it on).
 */
#define KEEL_ARG_MAX 1024

/* SYS_reboot's how */
#define KEEL_REBOOT_POWEROFF 0
#define KEEL_REBOOT_RESTART  1

/*
 * Kinds of limit (SYS_limit_set, struct keel_ps; docs/syscalls.md,
 * "Limits"). Each counts the task and everything it started.
 */
#define KEEL_LIMIT_PAGES   0 /* 4 KiB pages: mapped, page tables, objects' */
#define KEEL_LIMIT_OBJECTS 1 /* endpoints, notifications, memory, MMIO, IRQ objects */
#define KEEL_LIMIT_TASKS   2 /* the task itself and its descendants */
#define KEEL_LIMITS	   3

/* One SYS_ps entry. */
struct keel_ps {
	int pid, ppid;
	int hart;  /* hartid it runs or last ran on */
	int state; /* 0 running, 1 ready, 2 blocked, 3 dead */
	char name[16];
	/* Use of the task and its descendants, and its limits, by KEEL_LIMIT_*; 0 for kernel tasks.
	 */
	unsigned long used[KEEL_LIMITS];
	unsigned long limit[KEEL_LIMITS];
};

/* One SYS_harts entry. */
struct keel_hart {
	unsigned long hartid;
	int cpu;    /* Keel's cpu number */
	int online; /* 1 online, 0 offline */
	int pid;    /* what runs there now (0: idle) */
	char name[16];
};

/*
 * SYS_meminfo (&info, size): the core fills the first @size bytes (0: the
 * first three fields, the structure's original size), so a program built
 * against a shorter structure keeps working. free counts the harts'
 * page caches (cached) too; free_blocks[o] counts free runs of 2^o pages
 * (the buddy allocator's blocks, docs/memory.md), largest is the biggest
 * one in bytes, objects the bytes of kernel objects allocated.
 */
#define KEEL_MEMINFO_ORDERS 16
struct keel_meminfo {
	unsigned long total, free; /* bytes of RAM the core manages, and free now */
	unsigned long page_size;
	unsigned long largest; /* bytes in the largest free contiguous block */
	unsigned long cached;  /* bytes of free pages in the harts' caches */
	unsigned long objects; /* bytes of kernel objects (tasks, endpoints, ...) */
	unsigned long free_blocks[KEEL_MEMINFO_ORDERS];
	unsigned long ipis_sent; /* debug: IPIs the core has sent since boot, all harts */
};

/* One SYS_initrd_list entry. */
struct keel_dirent {
	unsigned long size;
	unsigned int mode; /* S_IFMT bits and permissions, as in the cpio header */
	char name[116];
};

#endif

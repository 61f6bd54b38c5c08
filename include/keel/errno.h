/*
 * keel/errno.h - Keel's error codes: the one list, shared by the core and
 * user space. System calls and the core's fallible functions return 0 (or
 * a count) on success and a negated code on failure. SBI errors are mapped
 * to these once, in sbi/sbi.c.
 *
 * KEEL_ERRNO_LIST(X) gives each code as X(name, number, text), so the core
 * (kerr_str) and the user runtime (keel_strerror) name them from here.
 * Names and texts are Linux's where Linux has the error (EDENIED and EPEER
 * are Keel's own); docs/syscalls.md lists them.
 */
#ifndef KEEL_ERRNO_H
#define KEEL_ERRNO_H

/* clang-format off */
#define KEEL_ERRNO_LIST(X)                                                    \
	X(EINVAL, 1, "invalid argument")      /* bad argument */              \
	X(ENOMEM, 2, "out of memory")         /* out of memory */             \
	X(ENOTSUP, 3, "not supported")        /* not here (firmware, hw) */   \
	X(EBUSY, 4, "busy")                   /* in use or already started */ \
	X(ENOENT, 5, "no such file or object")                                \
	X(ERANGE, 6, "out of range")          /* value out of range */        \
	X(EDENIED, 7, "denied")               /* rights or firmware refused */\
	X(ETIMEDOUT, 8, "timed out")          /* gave up waiting */           \
	X(EIO, 9, "I/O error")                /* the device failed */         \
	X(ENOSYS, 10, "no such system call")                                  \
	X(ECHILD, 11, "no such child")        /* not a child to wait for */   \
	X(EPEER, 12, "peer gone")             /* the other side of IPC gone */\
	X(EDEADLK, 13, "would wait for itself")                               \
	X(EEXIST, 14, "file exists")          /* the name is taken */         \
	X(ENOTEMPTY, 15, "directory not empty")                               \
	X(EISDIR, 16, "is a directory")       /* read/write of a directory */ \
	X(ENOTDIR, 17, "not a directory")     /* a path step is a file */     \
	X(ENOSPC, 18, "no space left on device")                              \
	X(EROFS, 19, "read-only file system") /* the initramfs, a ro mount */ \
	X(EAGAIN, 20, "limit reached, try again later") /* a task limit */    \
	X(EMFILE, 21, "too many handles")     /* the handle table is full */

/* clang-format on */

#ifndef __ASSEMBLER__
#define KEEL_ERRNO_ENUM(name, num, text) KEEL_##name = num,
enum { KEEL_ERRNO_LIST(KEEL_ERRNO_ENUM) };
#undef KEEL_ERRNO_ENUM
#endif

#endif

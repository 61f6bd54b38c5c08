/*
 * sys_common.h - what the sys_<family>.c files share: the handler
 * definition macros, the entry prototypes made from the one table, and
 * the size limits of what a call copies in.
 *
 * SYSCALL_DEFINEn(name, type, arg, ...) defines the handler
 * static long sys_<name>(type arg, ...) and the table's entry
 * sys_entry_<name>(tf), which reads a0.. from the trap frame once and
 * passes them on, as Linux's SYSCALL_DEFINE does. A call whose message
 * rides in a1-a6 takes the frame itself: SYSCALL_DEFINE_FRAME(name).
 */
#ifndef KEEL_SYS_COMMON_H
#define KEEL_SYS_COMMON_H

#include "keel.h"
#include "arch/trap.h"
#include "keel/syscall.h"
#include "kernel/task.h"

#define SYS_IO_CHUNK 256	  /* bytes write/read copy per step */
#define SYS_PATH_MAX 256	  /* a path, NUL included */
#define SYS_ARG_MAX  KEEL_ARG_MAX /* bytes of one argument or environment string */

#define SYS_PROTO(nr, name, kind, n, args, ret) long sys_entry_##name(struct trap_frame *tf);
KEEL_SYSCALLS(SYS_PROTO)
#undef SYS_PROTO

#define SYSCALL_DEFINE_FRAME(name) long sys_entry_##name(struct trap_frame *tf)

#define SYSCALL_DEFINE0(name)                                                                      \
	static long sys_##name(void);                                                              \
	long sys_entry_##name(struct trap_frame *tf)                                               \
	{                                                                                          \
		(void)tf;                                                                          \
		return sys_##name();                                                               \
	}                                                                                          \
	static long sys_##name(void)

#define SYSCALL_DEFINE1(name, t1, a1)                                                              \
	static long sys_##name(t1 a1);                                                             \
	long sys_entry_##name(struct trap_frame *tf)                                               \
	{                                                                                          \
		return sys_##name((t1)tf_arg(tf, 1));                                              \
	}                                                                                          \
	static long sys_##name(t1 a1)

#define SYSCALL_DEFINE2(name, t1, a1, t2, a2)                                                      \
	static long sys_##name(t1 a1, t2 a2);                                                      \
	long sys_entry_##name(struct trap_frame *tf)                                               \
	{                                                                                          \
		return sys_##name((t1)tf_arg(tf, 1), (t2)tf_arg(tf, 2));                           \
	}                                                                                          \
	static long sys_##name(t1 a1, t2 a2)

#define SYSCALL_DEFINE3(name, t1, a1, t2, a2, t3, a3)                                              \
	static long sys_##name(t1 a1, t2 a2, t3 a3);                                               \
	long sys_entry_##name(struct trap_frame *tf)                                               \
	{                                                                                          \
		return sys_##name((t1)tf_arg(tf, 1), (t2)tf_arg(tf, 2), (t3)tf_arg(tf, 3));        \
	}                                                                                          \
	static long sys_##name(t1 a1, t2 a2, t3 a3)

#define SYSCALL_DEFINE4(name, t1, a1, t2, a2, t3, a3, t4, a4)                                      \
	static long sys_##name(t1 a1, t2 a2, t3 a3, t4 a4);                                        \
	long sys_entry_##name(struct trap_frame *tf)                                               \
	{                                                                                          \
		return sys_##name((t1)tf_arg(tf, 1), (t2)tf_arg(tf, 2), (t3)tf_arg(tf, 3),         \
				  (t4)tf_arg(tf, 4));                                              \
	}                                                                                          \
	static long sys_##name(t1 a1, t2 a2, t3 a3, t4 a4)

#define SYSCALL_DEFINE5(name, t1, a1, t2, a2, t3, a3, t4, a4, t5, a5)                              \
	static long sys_##name(t1 a1, t2 a2, t3 a3, t4 a4, t5 a5);                                 \
	long sys_entry_##name(struct trap_frame *tf)                                               \
	{                                                                                          \
		return sys_##name((t1)tf_arg(tf, 1), (t2)tf_arg(tf, 2), (t3)tf_arg(tf, 3),         \
				  (t4)tf_arg(tf, 4), (t5)tf_arg(tf, 5));                           \
	}                                                                                          \
	static long sys_##name(t1 a1, t2 a2, t3 a3, t4 a4, t5 a5)

/* The caller's address space. */
static inline struct as *sys_as(void)
{
	return task_current()->as;
}

#endif

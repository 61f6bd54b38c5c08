/*
 * keel.h - the user runtime: system call wrappers (core/uapi/keel_syscall.h
 * has the numbers and docs/syscalls.md what each does) and the few
 * helpers every Keel program shares. The C library is picolibc.
 */
#ifndef KEEL_USER_H
#define KEEL_USER_H

#include <stddef.h>
#include <stdint.h>

#include "keel_syscall.h"

static inline long keel_syscall(long n, long a0, long a1, long a2, long a3)
{
	register long r0 __asm__("a0") = a0;
	register long r1 __asm__("a1") = a1;
	register long r2 __asm__("a2") = a2;
	register long r3 __asm__("a3") = a3;
	register long r7 __asm__("a7") = n;

	__asm__ __volatile__("ecall" : "+r"(r0) : "r"(r1), "r"(r2), "r"(r3), "r"(r7) : "memory");
	return r0;
}

static inline __attribute__((noreturn)) void keel_exit(int code)
{
	keel_syscall(SYS_exit, code, 0, 0, 0);
	for (;;)
		;
}

static inline long keel_write(int fd, const void *buf, size_t len)
{
	return keel_syscall(SYS_write, fd, (long)buf, (long)len, 0);
}

static inline long keel_read(int fd, void *buf, size_t len)
{
	return keel_syscall(SYS_read, fd, (long)buf, (long)len, 0);
}

static inline int keel_getpid(void)
{
	return (int)keel_syscall(SYS_getpid, 0, 0, 0, 0);
}

static inline int keel_getppid(void)
{
	return (int)keel_syscall(SYS_getppid, 0, 0, 0, 0);
}

static inline void keel_yield(void)
{
	keel_syscall(SYS_yield, 0, 0, 0, 0);
}

static inline void keel_sleep_us(uint64_t us)
{
	keel_syscall(SYS_sleep_us, (long)us, 0, 0, 0);
}

static inline uint64_t keel_time_ns(void)
{
	return (uint64_t)keel_syscall(SYS_time_ns, 0, 0, 0, 0);
}

static inline long keel_spawn(const char *path, char *const argv[], char *const envp[])
{
	return keel_syscall(SYS_spawn, (long)path, (long)argv, (long)envp, 0);
}

static inline long keel_wait(long pid, int *status)
{
	return keel_syscall(SYS_wait, pid, (long)status, 0, 0);
}

static inline long keel_dmesg(unsigned long seq, char *buf, size_t len)
{
	return keel_syscall(SYS_dmesg, (long)seq, (long)buf, (long)len, 0);
}

static inline long keel_ps(struct keel_ps *buf, unsigned long max)
{
	return keel_syscall(SYS_ps, (long)buf, (long)max, 0, 0);
}

static inline long keel_reboot(int how)
{
	return keel_syscall(SYS_reboot, how, 0, 0, 0);
}

static inline long keel_initrd_read(const char *path, void *buf, size_t len, size_t off)
{
	return keel_syscall(SYS_initrd_read, (long)path, (long)buf, (long)len, (long)off);
}

static inline long keel_initrd_list(unsigned long index, struct keel_dirent *e)
{
	return keel_syscall(SYS_initrd_list, (long)index, (long)e, 0, 0);
}

/* The environment main() got; getenv() reads it. */
extern char **environ;

/* A short name for a negative KEEL_E* result. */
const char *keel_strerror(long err);

#endif

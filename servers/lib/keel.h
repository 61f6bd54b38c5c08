/*
 * keel.h - the user runtime: system call wrappers (include/keel/syscall.h
 * has the numbers and docs/syscalls.md what each does) and the few
 * helpers every Keel program shares. The C library is picolibc.
 */
#ifndef KEEL_USER_H
#define KEEL_USER_H

#include <stddef.h>
#include <stdint.h>

#include "keel/syscall.h"

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

static inline long keel_syscall6(long n, long a0, long a1, long a2, long a3, long a4, long a5)
{
	register long r0 __asm__("a0") = a0;
	register long r1 __asm__("a1") = a1;
	register long r2 __asm__("a2") = a2;
	register long r3 __asm__("a3") = a3;
	register long r4 __asm__("a4") = a4;
	register long r5 __asm__("a5") = a5;
	register long r7 __asm__("a7") = n;

	__asm__ __volatile__("ecall"
			     : "+r"(r0)
			     : "r"(r1), "r"(r2), "r"(r3), "r"(r4), "r"(r5), "r"(r7)
			     : "memory");
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

/* As keel_spawn(); the child finds @handles (at most KEEL_SPAWN_HANDLES) in slots 0, 1, ... */
static inline long keel_spawn_h(const char *path, char *const argv[], char *const envp[],
				const long *handles, unsigned long n)
{
	return keel_syscall6(SYS_spawn, (long)path, (long)argv, (long)envp, (long)handles,
			     (long)n, 0);
}

/*
 * As keel_spawn_h(), the ELF being the contents of memory object @mem
 * (the caller needs KEEL_R_MAP_READ on it); the child is named argv[0].
 */
static inline long keel_spawn_mem(long mem, char *const argv[], char *const envp[],
				  const long *handles, unsigned long n)
{
	return keel_syscall6(SYS_spawn_mem, mem, (long)argv, (long)envp, (long)handles, (long)n,
			     0);
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

/* Power off or restart; @ctl is a control handle with KEEL_R_POWER. */
static inline long keel_reboot(long ctl, int how)
{
	return keel_syscall(SYS_reboot, ctl, how, 0, 0);
}

static inline long keel_initrd_read(const char *path, void *buf, size_t len, size_t off)
{
	return keel_syscall(SYS_initrd_read, (long)path, (long)buf, (long)len, (long)off);
}

static inline long keel_initrd_list(unsigned long index, struct keel_dirent *e)
{
	return keel_syscall(SYS_initrd_list, (long)index, (long)e, 0, 0);
}

/* --- handles and IPC ------------------------------------------------- */

static inline long keel_handle_close(long h)
{
	return keel_syscall(SYS_handle_close, h, 0, 0, 0);
}

static inline long keel_handle_dup(long h, unsigned int rights)
{
	return keel_syscall(SYS_handle_dup, h, (long)rights, 0, 0);
}

static inline long keel_ep_create(void)
{
	return keel_syscall(SYS_ep_create, 0, 0, 0, 0);
}

/* An IPC message: it travels in a1-a6 (docs/syscalls.md). */
struct keel_msg {
	unsigned long label;
	unsigned long w[4];
	long handle;		/* KEEL_HANDLE_NONE, or one to pass / one received */
};

/* One IPC system call: @in goes out in a1-a6, @out comes back from them on success. */
static inline long keel_ipc(long nr, long h, const struct keel_msg *in, struct keel_msg *out)
{
	register long r0 __asm__("a0") = h;
	register unsigned long r1 __asm__("a1") = in ? in->label : 0;
	register unsigned long r2 __asm__("a2") = in ? in->w[0] : 0;
	register unsigned long r3 __asm__("a3") = in ? in->w[1] : 0;
	register unsigned long r4 __asm__("a4") = in ? in->w[2] : 0;
	register unsigned long r5 __asm__("a5") = in ? in->w[3] : 0;
	register long r6 __asm__("a6") = in ? in->handle : KEEL_HANDLE_NONE;
	register long r7 __asm__("a7") = nr;

	__asm__ __volatile__("ecall"
			     : "+r"(r0), "+r"(r1), "+r"(r2), "+r"(r3), "+r"(r4), "+r"(r5),
			       "+r"(r6)
			     : "r"(r7)
			     : "memory");
	if (r0 >= 0 && out) {
		out->label = r1;
		out->w[0] = r2;
		out->w[1] = r3;
		out->w[2] = r4;
		out->w[3] = r5;
		out->handle = r6;
	}
	return r0;
}

/* Send @in on endpoint @h and wait for the reply in @out; 0 or -KEEL_E*. */
static inline long keel_ipc_call(long h, const struct keel_msg *in, struct keel_msg *out)
{
	return keel_ipc(SYS_ipc_call, h, in, out);
}

/* Wait for a caller on @h; its pid, the message in @out. */
static inline long keel_ipc_recv(long h, struct keel_msg *out)
{
	return keel_ipc(SYS_ipc_recv, h, NULL, out);
}

/* Answer the caller last received from. */
static inline long keel_ipc_reply(const struct keel_msg *reply)
{
	return keel_ipc(SYS_ipc_reply, 0, reply, NULL);
}

/* Reply (if a caller waits for one), then receive: a server's loop in one call. */
static inline long keel_ipc_reply_recv(long h, const struct keel_msg *reply, struct keel_msg *out)
{
	return keel_ipc(SYS_ipc_reply_recv, h, reply, out);
}

static inline long keel_notif_create(void)
{
	return keel_syscall(SYS_notif_create, 0, 0, 0, 0);
}

static inline long keel_notif_signal(long h, unsigned long bits)
{
	return keel_syscall(SYS_notif_signal, h, (long)bits, 0, 0);
}

/* Wait until some bits are set; they go to *@bits and are cleared. 0 or -KEEL_E*. */
static inline long keel_notif_wait(long h, unsigned long *bits)
{
	register long r0 __asm__("a0") = h;
	register unsigned long r1 __asm__("a1") = 0;
	register long r7 __asm__("a7") = SYS_notif_wait;

	__asm__ __volatile__("ecall" : "+r"(r0), "+r"(r1) : "r"(r7) : "memory");
	if (r0 >= 0)
		*bits = r1;
	return r0;
}

static inline long keel_wait_any(int *status, int flags)
{
	return keel_syscall(SYS_wait_any, (long)status, flags, 0, 0);
}

/* --- memory, devices, the machine ---------------------------------------- */

/*
 * Map @size bytes of object @h (KEEL_HANDLE_NONE: fresh zeroed memory) at
 * @va (0: the core picks) with KEEL_PROT_*; the address, or -KEEL_E*.
 */
static inline long keel_mmap(long h, uintptr_t va, size_t size, int prot)
{
	return keel_syscall(SYS_mmap, h, (long)va, (long)size, prot);
}

static inline long keel_munmap(void *va, size_t size)
{
	return keel_syscall(SYS_munmap, (long)va, (long)size, 0, 0);
}

/* A new object of @size bytes of physically contiguous zeroed memory (for sharing and DMA). */
static inline long keel_mem_create(size_t size)
{
	return keel_syscall(SYS_mem_create, (long)size, 0, 0, 0);
}

/* The physical (bus) address of memory object @h, for a device's DMA. */
static inline long keel_mem_phys(long h)
{
	return keel_syscall(SYS_mem_phys, h, 0, 0, 0);
}

/* A handle for the device registers at [@pa, @pa + @size); @ctl needs KEEL_R_DEVICES. */
static inline long keel_mmio_create(long ctl, uint64_t pa, size_t size)
{
	return keel_syscall(SYS_mmio_create, ctl, (long)pa, (long)size, 0);
}

/*
 * A handle for interrupt source @irq of the PLIC: when it fires, @bits are
 * signalled on notification @notif and the source stays masked until
 * keel_irq_ack(). @ctl needs KEEL_R_DEVICES.
 */
static inline long keel_irq_create(long ctl, unsigned int irq, long notif, unsigned long bits)
{
	return keel_syscall(SYS_irq_create, ctl, irq, notif, (long)bits);
}

static inline long keel_irq_ack(long irq)
{
	return keel_syscall(SYS_irq_ack, irq, 0, 0, 0);
}

/* Take hart @hartid offline (0) or bring it online (1); @ctl needs KEEL_R_HOTPLUG. */
static inline long keel_hart_ctl(long ctl, unsigned long hartid, int online)
{
	return keel_syscall(SYS_hart_ctl, ctl, (long)hartid, online, 0);
}

/*
 * Bind notification @notif to endpoint @ep: a receive on @ep then also
 * returns when @notif is signalled, with label KEEL_LABEL_NOTIFY and the
 * bits in w[0] (and result 0). A new binding replaces the endpoint's old
 * one; a notification bound already is -KEEL_EBUSY.
 */
static inline long keel_ep_bind(long ep, long notif)
{
	return keel_syscall(SYS_ep_bind, ep, notif, 0, 0);
}

/* As keel_ipc_recv(), giving up after @us microseconds with -KEEL_ETIMEDOUT. */
static inline long keel_ipc_recv_timeout(long h, struct keel_msg *out, uint64_t us)
{
	/* The timeout goes in a1, where a message's label would. */
	const struct keel_msg in = { .label = us, .handle = KEEL_HANDLE_NONE };

	return keel_ipc(SYS_ipc_recv_timeout, h, &in, out);
}

/* Signal @bits on @notif whenever a child of the caller exits. */
static inline long keel_child_notif(long notif, unsigned long bits)
{
	return keel_syscall(SYS_child_notif, notif, (long)bits, 0, 0);
}

/*
 * @on = 1: the core stops printing its log on the firmware console (the
 * caller, a console server, prints it from dmesg); 0, or the caller's
 * exit, gives it back. @ctl needs KEEL_R_DEVICES.
 */
static inline long keel_console_claim(long ctl, int on)
{
	return keel_syscall(SYS_console_claim, ctl, on, 0, 0);
}

static inline long keel_harts(struct keel_hart *buf, unsigned long max)
{
	return keel_syscall(SYS_harts, (long)buf, (long)max, 0, 0);
}

static inline long keel_meminfo(struct keel_meminfo *info)
{
	return keel_syscall(SYS_meminfo, (long)info, (long)sizeof(*info), 0, 0);
}

/* End task @pid; @ctl needs KEEL_R_KILL. */
static inline long keel_kill(long ctl, long pid)
{
	return keel_syscall(SYS_kill, ctl, pid, 0, 0);
}

/* The environment main() got; getenv() reads it. */
extern char **environ;

/* A short name for a negative KEEL_E* result. */
const char *keel_strerror(long err);

#endif

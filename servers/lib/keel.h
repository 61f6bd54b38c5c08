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

	__asm__ __volatile__("ecall"
			     : "+r"(r0)
			     : "r"(r1), "r"(r2), "r"(r3), "r"(r7)
			     : KEEL_ECALL_CLOBBERS);
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
			     : KEEL_ECALL_CLOBBERS);
	return r0;
}

/*
 * keel_sys_<name>(): one stub per plain system call (kind R), made from
 * the one table (keel/syscalls.h). The typed wrappers below call them.
 */
#define KEEL_P0()		   void
#define KEEL_P1(a)		   long a
#define KEEL_P2(a, b)		   long a, long b
#define KEEL_P3(a, b, c)	   long a, long b, long c
#define KEEL_P4(a, b, c, d)	   long a, long b, long c, long d
#define KEEL_P5(a, b, c, d, e)	   long a, long b, long c, long d, long e
#define KEEL_C0(nr)		   keel_syscall(nr, 0, 0, 0, 0)
#define KEEL_C1(nr, a)		   keel_syscall(nr, a, 0, 0, 0)
#define KEEL_C2(nr, a, b)	   keel_syscall(nr, a, b, 0, 0)
#define KEEL_C3(nr, a, b, c)	   keel_syscall(nr, a, b, c, 0)
#define KEEL_C4(nr, a, b, c, d)	   keel_syscall(nr, a, b, c, d)
#define KEEL_C5(nr, a, b, c, d, e) keel_syscall6(nr, a, b, c, d, e, 0)
#define KEEL_APPLY(m, a)	   m a
#define KEEL_CALL(n, nr, args)	   KEEL_APPLY(KEEL_C##n, (nr KEEL_COMMA_##n args))
#define KEEL_COMMA_0()
#define KEEL_COMMA_1(a)		    , a
#define KEEL_COMMA_2(a, b)	    , a, b
#define KEEL_COMMA_3(a, b, c)	    , a, b, c
#define KEEL_COMMA_4(a, b, c, d)    , a, b, c, d
#define KEEL_COMMA_5(a, b, c, d, e) , a, b, c, d, e
#define KEEL_STUB_R(nr, name, n, args)                                                             \
	static inline long keel_sys_##name(KEEL_P##n args)                                         \
	{                                                                                          \
		return KEEL_CALL(n, nr, args);                                                     \
	}
#define KEEL_STUB_M(nr, name, n, args)
#define KEEL_STUB(nr, name, kind, n, args, ret) KEEL_STUB_##kind(nr, name, n, args)
KEEL_SYSCALLS(KEEL_STUB)
#undef KEEL_STUB

static inline __attribute__((noreturn)) void keel_exit(int code)
{
	keel_sys_exit(code);
	for (;;)
		;
}

static inline long keel_write(int fd, const void *buf, size_t len)
{
	return keel_sys_write(fd, (long)buf, (long)len);
}

static inline long keel_read(int fd, void *buf, size_t len)
{
	return keel_sys_read(fd, (long)buf, (long)len);
}

static inline int keel_getpid(void)
{
	return (int)keel_sys_getpid();
}

static inline int keel_getppid(void)
{
	return (int)keel_sys_getppid();
}

static inline void keel_yield(void)
{
	keel_sys_yield();
}

static inline void keel_sleep_us(uint64_t us)
{
	keel_sys_sleep_us((long)us);
}

static inline uint64_t keel_time_ns(void)
{
	return (uint64_t)keel_sys_time_ns();
}

static inline long keel_spawn(const char *path, char *const argv[], char *const envp[])
{
	return keel_sys_spawn((long)path, (long)argv, (long)envp, 0, 0);
}

/* As keel_spawn(); the child finds @handles (at most KEEL_SPAWN_HANDLES) in slots 0, 1, ... */
static inline long keel_spawn_h(const char *path, char *const argv[], char *const envp[],
				const long *handles, unsigned long n)
{
	return keel_sys_spawn((long)path, (long)argv, (long)envp, (long)handles, (long)n);
}

/*
 * As keel_spawn_h(), the ELF being the contents of memory object @mem
 * (the caller needs KEEL_R_MAP_READ on it); the child is named argv[0].
 */
static inline long keel_spawn_mem(long mem, char *const argv[], char *const envp[],
				  const long *handles, unsigned long n)
{
	return keel_sys_spawn_mem(mem, (long)argv, (long)envp, (long)handles, (long)n);
}

static inline long keel_wait(long pid, int *status)
{
	return keel_sys_wait(pid, (long)status);
}

static inline long keel_dmesg(unsigned long seq, char *buf, size_t len)
{
	return keel_sys_dmesg((long)seq, (long)buf, (long)len);
}

static inline long keel_ps(struct keel_ps *buf, unsigned long max)
{
	return keel_sys_ps((long)buf, (long)max);
}

/* Power off or restart; @ctl is a control handle with KEEL_R_POWER. */
static inline long keel_reboot(long ctl, int how)
{
	return keel_sys_reboot(ctl, how);
}

static inline long keel_initrd_read(const char *path, void *buf, size_t len, size_t off)
{
	return keel_sys_initrd_read((long)path, (long)buf, (long)len, (long)off);
}

static inline long keel_initrd_list(unsigned long index, struct keel_dirent *e)
{
	return keel_sys_initrd_list((long)index, (long)e);
}

/* --- handles and IPC ------------------------------------------------- */

static inline long keel_handle_close(long h)
{
	return keel_sys_handle_close(h);
}

static inline long keel_handle_dup(long h, unsigned int rights)
{
	return keel_sys_handle_dup(h, (long)rights);
}

static inline long keel_ep_create(void)
{
	return keel_sys_ep_create();
}

/* An IPC message: it travels in a1-a6 (docs/syscalls.md). */
struct keel_msg {
	unsigned long label;
	unsigned long w[4];
	long handle; /* KEEL_HANDLE_NONE, or one to pass / one received */
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
			     : "+r"(r0), "+r"(r1), "+r"(r2), "+r"(r3), "+r"(r4), "+r"(r5), "+r"(r6)
			     : "r"(r7)
			     : KEEL_ECALL_CLOBBERS);
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
	return keel_sys_notif_create();
}

static inline long keel_notif_signal(long h, unsigned long bits)
{
	return keel_sys_notif_signal(h, (long)bits);
}

/* Wait until some bits are set; they go to *@bits and are cleared. 0 or -KEEL_E*. */
static inline long keel_notif_wait(long h, unsigned long *bits)
{
	register long r0 __asm__("a0") = h;
	register unsigned long r1 __asm__("a1") = 0;
	register long r7 __asm__("a7") = SYS_notif_wait;

	__asm__ __volatile__("ecall" : "+r"(r0), "+r"(r1) : "r"(r7) : KEEL_ECALL_CLOBBERS);
	if (r0 >= 0)
		*bits = r1;
	return r0;
}

static inline long keel_wait_any(int *status, int flags)
{
	return keel_sys_wait_any((long)status, flags);
}

/* --- memory, devices, the machine ---------------------------------------- */

/*
 * Map @size bytes of object @h (KEEL_HANDLE_NONE: fresh zeroed memory) at
 * @va (0: the core picks) with KEEL_PROT_*; the address, or -KEEL_E*.
 */
static inline long keel_mmap(long h, uintptr_t va, size_t size, int prot)
{
	return keel_sys_mmap(h, (long)va, (long)size, prot);
}

static inline long keel_munmap(void *va, size_t size)
{
	return keel_sys_munmap((long)va, (long)size);
}

/* A new object of @size bytes of physically contiguous zeroed memory (for sharing and DMA). */
static inline long keel_mem_create(size_t size)
{
	return keel_sys_mem_create((long)size);
}

/* The physical (bus) address of memory object @h, for a device's DMA. */
static inline long keel_mem_phys(long h)
{
	return keel_sys_mem_phys(h);
}

/* A handle for the device registers at [@pa, @pa + @size); @ctl needs KEEL_R_DEVICES. */
static inline long keel_mmio_create(long ctl, uint64_t pa, size_t size)
{
	return keel_sys_mmio_create(ctl, (long)pa, (long)size);
}

/*
 * A handle for interrupt source @irq of the PLIC: when it fires, @bits are
 * signalled on notification @notif and the source stays masked until
 * keel_irq_ack(). @ctl needs KEEL_R_DEVICES.
 */
static inline long keel_irq_create(long ctl, unsigned int irq, long notif, unsigned long bits)
{
	return keel_sys_irq_create(ctl, irq, notif, (long)bits);
}

static inline long keel_irq_ack(long irq)
{
	return keel_sys_irq_ack(irq);
}

/* Take hart @hartid offline (0) or bring it online (1); @ctl needs KEEL_R_HOTPLUG. */
static inline long keel_hart_ctl(long ctl, unsigned long hartid, int online)
{
	return keel_sys_hart_ctl(ctl, (long)hartid, online);
}

/*
 * Bind notification @notif to endpoint @ep: a receive on @ep then also
 * returns when @notif is signalled, with label KEEL_LABEL_NOTIFY and the
 * bits in w[0] (and result 0). A new binding replaces the endpoint's old
 * one; a notification bound already is -KEEL_EBUSY.
 */
static inline long keel_ep_bind(long ep, long notif)
{
	return keel_sys_ep_bind(ep, notif);
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
	return keel_sys_child_notif(notif, (long)bits);
}

/*
 * @on = 1: the core stops printing its log on the firmware console (the
 * caller, a console server, prints it from dmesg); 0, or the caller's
 * exit, gives it back. @ctl needs KEEL_R_DEVICES.
 */
static inline long keel_console_claim(long ctl, int on)
{
	return keel_sys_console_claim(ctl, on);
}

static inline long keel_harts(struct keel_hart *buf, unsigned long max)
{
	return keel_sys_harts((long)buf, (long)max);
}

static inline long keel_meminfo(struct keel_meminfo *info)
{
	return keel_sys_meminfo((long)info, (long)sizeof(*info));
}

/* End task @pid; @ctl needs KEEL_R_KILL. */
static inline long keel_kill(long ctl, long pid)
{
	return keel_sys_kill(ctl, pid);
}

/*
 * What children spawned from now on may take of @kind (KEEL_LIMIT_*),
 * they and theirs together; at most our own limit (-KEEL_ERANGE).
 */
static inline long keel_limit_set(int kind, unsigned long limit)
{
	return keel_sys_limit_set(kind, (long)limit);
}

/* The environment main() got; getenv() reads it. */
extern char **environ;

/* A short name for a negative KEEL_E* result. */
const char *keel_strerror(long err);
/*
 * The caller's own ps entry, read into @buf (@max entries, the caller's
 * memory: nothing is allocated, so it works with the heap exhausted);
 * @me points into @buf. 0, or -1 if ps did not list the caller.
 */
int keel_own_ps(struct keel_ps *buf, unsigned long max, const struct keel_ps **me);

#endif

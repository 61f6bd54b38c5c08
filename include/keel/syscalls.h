/*
 * keel/syscalls.h - the one table of Keel's system calls.
 *
 * KEEL_SYSCALLS(X) lists each call once as
 *   X(number, name, kind, argument count, (argument names), "returns")
 * and everything else is made from it: the SYS_* numbers
 * (keel/syscall.h), the core's dispatch table (core/syscall/dispatch.c),
 * the user stubs keel_sys_<name>() (servers/lib/keel.h), and the
 * number/name/arguments/returns columns of docs/syscalls.md
 * (tools/syscalls.py writes them; tests/test_syscalls.py fails when they
 * disagree). Adding a call: docs/hacking.md.
 *
 * kind: R - arguments in a0-a5, result in a0;
 *       M - a message in a1-a6 as well (the IPC calls): the core's handler
 *           takes the trap frame and the user stub is written by hand.
 */
#ifndef KEEL_SYSCALLS_H
#define KEEL_SYSCALLS_H

/* clang-format off */
#define KEEL_SYSCALLS(X)                                                                   \
	X(0, exit, R, 1, (code), "never")                                                 \
	X(1, write, R, 3, (fd, buf, len), "bytes written")                                \
	X(2, read, R, 3, (fd, buf, len), "bytes read (>= 1)")                             \
	X(3, getpid, R, 0, (), "pid")                                                     \
	X(4, yield, R, 0, (), "0")                                                        \
	X(5, sleep_us, R, 1, (us), "0")                                                   \
	X(6, time_ns, R, 0, (), "nanoseconds")                                            \
	X(7, spawn, R, 5, (path, argv, envp, handles, n), "pid")                          \
	X(8, wait, R, 2, (pid, status), "pid")                                            \
	X(9, dmesg, R, 3, (seq, buf, len), "bytes, 0 past the end")                       \
	X(10, ps, R, 2, (buf, max), "entries")                                            \
	X(11, reboot, R, 2, (ctl, how), "never")                                          \
	X(12, initrd_read, R, 4, (path, buf, len, offset), "bytes, 0 at the end")         \
	X(13, getppid, R, 0, (), "parent's pid")                                          \
	X(14, initrd_list, R, 2, (index, entry), "1, 0 past the end")                     \
	X(15, handle_close, R, 1, (h), "0")                                               \
	X(16, handle_dup, R, 2, (h, rights), "new handle")                                \
	X(17, ep_create, R, 0, (), "handle")                                              \
	X(18, ipc_call, M, 1, (h), "0, reply in a1-a6")                                   \
	X(19, ipc_recv, M, 1, (h), "caller's pid, message in a1-a6; or 0 and a notification") \
	X(20, ipc_reply, M, 0, (), "0")                                                   \
	X(21, ipc_reply_recv, M, 1, (h), "as ipc_recv")                                   \
	X(22, notif_create, R, 0, (), "handle")                                           \
	X(23, notif_signal, R, 2, (h, bits), "0")                                         \
	X(24, notif_wait, M, 1, (h), "0, bits in a1")                                     \
	X(25, mmap, R, 4, (h, va, size, prot), "address")                                 \
	X(26, munmap, R, 2, (va, size), "0")                                              \
	X(27, mem_create, R, 1, (size), "handle")                                         \
	X(28, mem_phys, R, 1, (h), "physical address")                                    \
	X(29, mmio_create, R, 3, (ctl, pa, size), "handle")                               \
	X(30, irq_create, R, 4, (ctl, irq, notif, bits), "handle")                        \
	X(31, irq_ack, R, 1, (h), "0")                                                    \
	X(32, hart_ctl, R, 3, (ctl, hartid, online), "0")                                 \
	X(33, ep_bind, R, 2, (ep, notif), "0")                                            \
	X(34, ipc_recv_timeout, M, 2, (h, us), "as ipc_recv")                             \
	X(35, child_notif, R, 2, (notif, bits), "0")                                      \
	X(36, console_claim, R, 2, (ctl, on), "log sequence number; 0")                   \
	X(37, harts, R, 2, (buf, max), "entries")                                         \
	X(38, meminfo, R, 2, (info, size), "0")                                                 \
	X(39, kill, R, 2, (ctl, pid), "0")                                                \
	X(40, wait_any, R, 2, (status, flags), "pid, or 0")                               \
	X(41, spawn_mem, R, 5, (mem, argv, envp, handles, n), "pid")                      \
	X(42, hart_pin, R, 1, (hartid), "0") \
	X(43, limit_set, R, 2, (kind, limit), "0")
/* clang-format on */

#endif

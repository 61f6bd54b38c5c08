/*
 * dispatch.h - the system call entry: arch/trap_entry.S calls
 * syscall_entry() for every ecall from U-mode. The numbers and the ABI:
 * include/keel/syscall.h; each call is described in docs/syscalls.md.
 */
#ifndef KEEL_SYSCALL_H
#define KEEL_SYSCALL_H

struct trap_frame;

/* arch/trap_entry.S only, interrupts off: run the call in a7, result in a0. */
void syscall_entry(struct trap_frame *tf);
/* trap_entry.S: the end of a system call, interrupts off (a kill, a switch due). */
void syscall_exit_check(void);
/* A fault in U-mode: report it and end the task (never returns). */
__attribute__((noreturn)) void syscall_user_fault(struct trap_frame *tf);

#endif

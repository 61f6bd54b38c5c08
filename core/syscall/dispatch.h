/*
 * syscall.h - the system call entry: trap_handler() passes every ecall
 * from U-mode here. The numbers and the ABI: include/keel/syscall.h;
 * each call is described in docs/syscalls.md.
 */
#ifndef KEEL_SYSCALL_H
#define KEEL_SYSCALL_H

struct trap_frame;

void syscall_handle(struct trap_frame *tf);
/* A fault in U-mode: report it and end the task (never returns). */
__attribute__((noreturn)) void syscall_user_fault(struct trap_frame *tf);

#endif

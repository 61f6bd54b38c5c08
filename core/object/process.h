/*
 * process.h - a user task's object side (process.c): how it ends with
 * its handles, IPC, parent and children, and how a kill takes effect.
 * The thread side (stack, scheduling, join) is kernel/task.c.
 */
#ifndef KEEL_PROCESS_H
#define KEEL_PROCESS_H

#include "keel.h"

struct kobj;

/*
 * End the current task with @code: fail the IPC it is part of, close its
 * handles, give its children to init, tell its parent, then task_exit().
 * Never returns. SYS_exit, kill and user faults end a task here.
 */
__noreturn void process_exit(int code);
/* Interrupts off, on the way back to user mode: if kill() asked, the task ends here. */
void process_check_killed(void);
/* The task a report about @t's death is rate-limited as (held), and giving it back. */
struct task *process_report_to(struct task *t);
void process_report_done(struct task *t, struct task *to);
/* Signal @bits on notification @n (a reference given over, or NULL) when a child exits. */
void process_set_child_notif(struct kobj *n, unsigned long bits);

#endif

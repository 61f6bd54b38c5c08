/*
 * kthread.h - kernel threads, made by kthreadd (pid 2) as in Linux: a
 * caller asks, kthreadd creates the task (its parent is pid 2), and the
 * caller gets it back, not yet running.
 */
#ifndef KEEL_KTHREAD_H
#define KEEL_KTHREAD_H

#include "keel.h"

struct task;

/* pid 2's body (rest_init starts it). */
void kthreadd(void *unused);
/* Any task, after kthreadd runs: a new, stopped kernel thread, or NULL. */
struct task *kthread_create(void (*fn)(void *), void *arg, const char *name);
/* Create and start. */
struct task *kthread_run(void (*fn)(void *), void *arg, const char *name);

#endif

/*
 * handle.h - per-task handle tables: what a task may reach, and how.
 *
 * A handle is a small integer naming a slot of the task's table; the slot
 * holds a kernel object and the rights the task has over it. A task can
 * only name objects through its own table, so it reaches nothing it was
 * not handed (DESIGN.md section 4). Objects are reference-counted: every
 * slot, and every handle riding in an IPC message, holds one reference.
 */
#ifndef KEEL_HANDLE_H
#define KEEL_HANDLE_H

#include "keel.h"
#include "lib/kobj.h"
#include "lib/spinlock.h"
#include "keel/syscall.h"

#define HANDLE_MAX 64 /* slots per task */

struct task;

struct handle {
	struct kobj *obj;    /* NULL: a free slot */
	unsigned int rights; /* KEEL_R_* */
};

/*
 * Only the owning task changes its table, except that spawn fills a
 * child's before it first runs; the lock keeps readers (exit, the
 * self-call check in ipc.c) consistent. Lock order: ipc_lock, then this.
 */
struct handle_table {
	struct spinlock lock;
	struct handle slot[HANDLE_MAX]; /* guarded by lock */
};

/*
 * Put @o with @rights in @t's table, consuming one reference the caller
 * holds; the new handle, or -KEEL_ENOMEM (no page for the table, or over
 * @t's page limit), -KEEL_EMFILE (the table is full); the reference is
 * then dropped.
 */
int __must_check handle_install(struct task *t, struct kobj *o, unsigned int rights);
/*
 * The current task's handle @h if it names a @type object with every
 * right in @need: 0 and *@o borrowed (valid while the handle is open,
 * and only the caller can close it), or -KEEL_ENOENT (no such handle),
 * -KEEL_EINVAL (another type), -KEEL_EDENIED (a right missing).
 */
int __must_check handle_get(long h, unsigned int type, unsigned int need, struct kobj **o);
/* Take a new reference to handle @h for passing on; it needs KEEL_R_TRANSFER. */
int __must_check handle_take(long h, struct kobj **o, unsigned int *rights);
int __must_check handle_close(long h);
/* A copy of @h with @rights (a subset of its own); the new handle. */
long __must_check handle_dup(long h, unsigned int rights);
/* How many handles of @t name @o with every right in @rights. */
unsigned int handle_count(struct task *t, struct kobj *o, unsigned int rights);
/* At exit: close every handle of @t and free its table. */
void handle_table_free(struct task *t);

#endif

/*
 * wait.h - sleeping in kernel code: wait queues, completions, mutexes.
 *
 * Every wait that can time out takes a timeout in milliseconds and a
 * short description of what it waits for; a wait that times out says so
 * in the log, naming the task and that description.
 */
#ifndef KEEL_WAIT_H
#define KEEL_WAIT_H

#include "keel.h"
#include "lib/spinlock.h"

struct task;

/* Tasks blocked on something; FIFO. The owner's lock guards it. */
struct waitqueue {
	struct task *head, *tail;
};

struct completion {
	struct spinlock lock;
	unsigned int done;   /* guarded by lock */
	struct waitqueue wq; /* guarded by lock */
};

struct mutex {
	struct spinlock lock;
	struct task *owner;  /* guarded by lock */
	struct waitqueue wq; /* guarded by lock */
};

#define WAIT_FOREVER 0U

/* Queue operations for other waiting primitives (ipc.c); the owner's lock is held. */
void wq_add(struct waitqueue *wq, struct task *t);
void wq_del(struct waitqueue *wq, struct task *t);
struct task *wq_pop(struct waitqueue *wq);

void completion_init(struct completion *c);
void complete(struct completion *c);
void complete_all(struct completion *c);
/* 0, or -KEEL_ETIMEDOUT after @timeout_ms (WAIT_FOREVER: no limit), logged with @what. */
int __must_check wait_for_completion(struct completion *c, unsigned int timeout_ms,
				     const char *what);

/* As wait_for_completion() with no limit, but a kill ends it: -KEEL_ETIMEDOUT then. */
int __must_check wait_for_completion_killable(struct completion *c);

void mutex_init(struct mutex *m);
void mutex_lock(struct mutex *m);
void mutex_unlock(struct mutex *m);

/* Sleep the current task for @us microseconds, or until it is killed. */
void task_sleep_us(uint64_t us);

#endif

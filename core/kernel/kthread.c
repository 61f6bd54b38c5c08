/*
 * kthread.c - kthreadd and kthread_create().
 *
 * Requests wait on a list; kthreadd takes them one at a time, creates
 * the task with ppid 2 and completes the request. kthread_create() waits
 * for that (with a timeout: kthreadd not answering is reported).
 *
 * Locking: kthread_lock guards the request list.
 */
#include "kthread.h"
#include "lib/log.h"
#include "lib/panic.h"
#include "sched.h"
#include "lib/spinlock.h"
#include "task.h"
#include "wait.h"

#define KTHREADD_PID		  2
#define KTHREAD_CREATE_TIMEOUT_MS 5000

struct kthread_req {
	void (*fn)(void *);
	void *arg;
	const char *name;
	struct task *result;
	struct completion done;
	struct kthread_req *next;
};

static struct kthread_req *kthread_list; /* guarded by kthread_lock */
static struct spinlock kthread_lock = SPINLOCK_INIT;
/* One count per queued request; all-zero is a valid empty completion. */
static struct completion kthread_work;

void kthreadd(void *unused)
{
	(void)unused;
	for (;;) {
		struct kthread_req *req;
		unsigned long flags;

		if (wait_for_completion(&kthread_work, WAIT_FOREVER, "kthread requests"))
			continue;
		flags = spin_lock_irqsave(&kthread_lock);
		req = kthread_list;
		if (req)
			kthread_list = req->next;
		spin_unlock_irqrestore(&kthread_lock, flags);
		if (!req)
			continue;
		req->result = task_create(req->name, req->fn, req->arg, KTHREADD_PID);
		complete(&req->done);
	}
}

struct task *kthread_create(void (*fn)(void *), void *arg, const char *name)
{
	struct kthread_req req = { .fn = fn, .arg = arg, .name = name };
	struct kthread_req **pp;
	unsigned long flags;

	completion_init(&req.done);
	flags = spin_lock_irqsave(&kthread_lock);
	for (pp = &kthread_list; *pp; pp = &(*pp)->next)
		;
	*pp = &req;
	spin_unlock_irqrestore(&kthread_lock, flags);
	complete(&kthread_work);
	/* kthreadd not answering is a kernel bug; req lives on our stack, so stop here. */
	if (wait_for_completion(&req.done, KTHREAD_CREATE_TIMEOUT_MS, "kthreadd"))
		panic("kthread: kthreadd did not create %s in %u ms", name,
		      KTHREAD_CREATE_TIMEOUT_MS);
	if (!req.result)
		pr_err("kthread: cannot create %s: out of tasks or memory\n", name);
	return req.result;
}

struct task *kthread_run(void (*fn)(void *), void *arg, const char *name)
{
	struct task *t = kthread_create(fn, arg, name);

	if (t)
		sched_wake(t);
	return t;
}

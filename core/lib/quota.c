/*
 * quota.c - the limit tree (quota.h): charges, limits and the nodes.
 *
 * Nodes live in a fixed pool. A node outlives its task while anything
 * it charged is still there (an object passed on, say); each such node
 * is held by something charged to it and to its ancestors, so the pool
 * is bounded by the same limits it enforces: every live node counts as
 * one task at the root, so a root task limit of at most QUOTA_MAX means
 * the pool never runs out first.
 *
 * Locking: quota_lock guards every node's refs, used and child_limit,
 * and the pool. It is a leaf: taken under ipc_lock, irq_lock, a
 * handle table's lock, never the other way.
 */
#include "quota.h"
#include "err.h"
#include "panic.h"
#include "spinlock.h"
#include "string.h"

#define QUOTA_MAX 1024 /* nodes at once: one per user task, as task.c's pool */

static struct quota quota_pool[QUOTA_MAX]; /* guarded by quota_lock */
static struct spinlock quota_lock = SPINLOCK_INIT;
static struct quota *quota_the_root; /* set once at boot */

/* quota_lock held: a free node, zeroed, or NULL. */
static struct quota *quota_alloc(void)
{
	for (unsigned int i = 0; i < QUOTA_MAX; i++) {
		if (quota_pool[i].refs)
			continue;
		memset(&quota_pool[i], 0, sizeof(quota_pool[i]));
		quota_pool[i].refs = 1;
		return &quota_pool[i];
	}
	return NULL;
}

/* quota_lock held: add @n at @q and up, or nothing if a level would pass its limit. */
static bool quota_add(struct quota *q, enum quota_kind kind, unsigned long n)
{
	for (struct quota *p = q; p; p = p->parent)
		if (p->used[kind] + n > p->limit[kind] || p->used[kind] + n < n)
			return false;
	for (struct quota *p = q; p; p = p->parent)
		p->used[kind] += n;
	return true;
}

/* quota_lock held. */
static void quota_sub(struct quota *q, enum quota_kind kind, unsigned long n)
{
	for (struct quota *p = q; p; p = p->parent) {
		if (p->used[kind] < n)
			panic("quota: %lu of kind %d uncharged, %lu charged", n, kind,
			      p->used[kind]);
		p->used[kind] -= n;
	}
}

static int quota_error(enum quota_kind kind)
{
	return kind == QUOTA_PAGES ? -KEEL_ENOMEM : -KEEL_EAGAIN;
}

struct quota *quota_root(const unsigned long limit[QUOTA_KINDS])
{
	unsigned long flags = spin_lock_irqsave(&quota_lock);
	struct quota *q = quota_the_root ? NULL : quota_alloc();

	if (q) {
		memcpy(q->limit, limit, sizeof(q->limit));
		memcpy(q->child_limit, limit, sizeof(q->child_limit));
		q->used[QUOTA_TASKS] = 1; /* init itself */
		quota_the_root = q;
	}
	spin_unlock_irqrestore(&quota_lock, flags);
	if (!q)
		panic("quota: a second root");
	return q;
}

int quota_new(struct quota *parent, unsigned long self_pages, struct quota **out)
{
	unsigned long flags;
	struct quota *q;
	int err = 0;

	*out = NULL;
	if (!parent)
		return 0; /* a kernel thread's child: charged to nobody */
	flags = spin_lock_irqsave(&quota_lock);
	q = quota_alloc();
	if (!q) {
		err = -KEEL_EAGAIN;
	} else {
		q->parent = parent;
		q->self_pages = self_pages;
		memcpy(q->limit, parent->child_limit, sizeof(q->limit));
		memcpy(q->child_limit, parent->child_limit, sizeof(q->child_limit));
		if (!quota_add(q, QUOTA_TASKS, 1))
			err = -KEEL_EAGAIN;
		else if (!quota_add(q, QUOTA_PAGES, self_pages))
			err = -KEEL_ENOMEM, quota_sub(q, QUOTA_TASKS, 1);
		if (err)
			q->refs = 0;
		else
			parent->refs++;
	}
	spin_unlock_irqrestore(&quota_lock, flags);
	*out = err ? NULL : q;
	return err;
}

void quota_get(struct quota *q)
{
	unsigned long flags = spin_lock_irqsave(&quota_lock);

	q->refs++;
	spin_unlock_irqrestore(&quota_lock, flags);
}

void quota_put(struct quota *q)
{
	unsigned long flags = spin_lock_irqsave(&quota_lock);

	/* Each freed node gives back its own cost and its reference to its parent. */
	while (q && !--q->refs) {
		struct quota *parent = q->parent;

		quota_sub(q, QUOTA_TASKS, 1);
		quota_sub(q, QUOTA_PAGES, q->self_pages);
		q = parent;
	}
	spin_unlock_irqrestore(&quota_lock, flags);
}

int quota_charge(struct quota *q, enum quota_kind kind, unsigned long n)
{
	unsigned long flags;
	bool ok;

	if (!q)
		return 0;
	flags = spin_lock_irqsave(&quota_lock);
	ok = quota_add(q, kind, n);
	spin_unlock_irqrestore(&quota_lock, flags);
	return ok ? 0 : quota_error(kind);
}

void quota_uncharge(struct quota *q, enum quota_kind kind, unsigned long n)
{
	unsigned long flags;

	if (!q)
		return;
	flags = spin_lock_irqsave(&quota_lock);
	quota_sub(q, kind, n);
	spin_unlock_irqrestore(&quota_lock, flags);
}

int quota_set_child_limit(struct quota *q, enum quota_kind kind, unsigned long limit)
{
	unsigned long flags;

	if (limit > q->limit[kind])
		return -KEEL_ERANGE;
	flags = spin_lock_irqsave(&quota_lock);
	q->child_limit[kind] = limit;
	spin_unlock_irqrestore(&quota_lock, flags);
	return 0;
}

void quota_read(struct quota *q, unsigned long used[QUOTA_KINDS], unsigned long limit[QUOTA_KINDS])
{
	unsigned long flags;

	if (!q) {
		memset(used, 0, QUOTA_KINDS * sizeof(used[0]));
		memset(limit, 0, QUOTA_KINDS * sizeof(limit[0]));
		return;
	}
	flags = spin_lock_irqsave(&quota_lock);
	memcpy(used, q->used, QUOTA_KINDS * sizeof(used[0]));
	memcpy(limit, q->limit, QUOTA_KINDS * sizeof(limit[0]));
	spin_unlock_irqrestore(&quota_lock, flags);
}

/*
 * quota.c - the limit tree (quota.h): charges, limits and the nodes.
 *
 * Nodes come from the allocator mm/ registers (a kmem cache: lib/ may
 * not call up into mm/, so mm/kmem.c hands it down at boot). A node
 * outlives its task while anything it charged is still there (an object
 * passed on, say); each
 * such node is held by something charged to it and to its ancestors, and
 * every live node counts as one task at the root, so the nodes are
 * bounded by the same limits they enforce. A node is freed when its last
 * reference goes, after its parent's is dropped; the root is never freed.
 *
 * Locking: quota_lock guards every node's refs, used and child_limit.
 * It is a leaf but for the cache's lock (a node is made and freed
 * outside it): taken under ipc_lock, irq_lock, a handle table's lock,
 * never the other way.
 */
#include "quota.h"
#include "err.h"
#include "panic.h"
#include "spinlock.h"
#include "string.h"

static struct spinlock quota_lock = SPINLOCK_INIT;
static struct quota *quota_the_root;  /* set once at boot */
static void *(*quota_alloc_fn)(void); /* immutable after boot: quota_set_allocator() */
static void (*quota_free_fn)(void *node);
static unsigned long quota_nnodes; /* atomic: nodes allocated */

void quota_set_allocator(void *(*alloc)(void), void (*free)(void *node))
{
	quota_alloc_fn = alloc;
	quota_free_fn = free;
}

/* A zeroed node with one reference, or NULL (no lock held). */
static struct quota *quota_alloc(void)
{
	struct quota *q = quota_alloc_fn ? quota_alloc_fn() : NULL;

	if (q) {
		q->refs = 1;
		__atomic_fetch_add(&quota_nnodes, 1, __ATOMIC_RELAXED);
	}
	return q;
}

static void quota_free(struct quota *q)
{
	__atomic_fetch_sub(&quota_nnodes, 1, __ATOMIC_RELAXED);
	quota_free_fn(q);
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
	struct quota *q = quota_alloc();
	unsigned long flags;
	bool second;

	if (!q)
		panic("quota: no memory for the root");
	memcpy(q->limit, limit, sizeof(q->limit));
	memcpy(q->child_limit, limit, sizeof(q->child_limit));
	q->used[QUOTA_TASKS] = 1; /* init itself */
	flags = spin_lock_irqsave(&quota_lock);
	second = quota_the_root;
	if (!second)
		quota_the_root = q;
	spin_unlock_irqrestore(&quota_lock, flags);
	if (second)
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
	q = quota_alloc();
	if (!q)
		return -KEEL_ENOMEM;
	q->parent = parent;
	q->self_pages = self_pages;
	flags = spin_lock_irqsave(&quota_lock);
	memcpy(q->limit, parent->child_limit, sizeof(q->limit));
	memcpy(q->child_limit, parent->child_limit, sizeof(q->child_limit));
	if (!quota_add(q, QUOTA_TASKS, 1))
		err = -KEEL_EAGAIN;
	else if (!quota_add(q, QUOTA_PAGES, self_pages))
		err = -KEEL_ENOMEM, quota_sub(q, QUOTA_TASKS, 1);
	if (!err)
		parent->refs++;
	spin_unlock_irqrestore(&quota_lock, flags);
	if (err) {
		quota_free(q);
		return err;
	}
	*out = q;
	return 0;
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
	struct quota *dead = NULL;

	/*
	 * Each freed node gives back its own cost and its reference to its
	 * parent; the dead ones are chained through ->parent (no longer
	 * needed) and freed after the lock.
	 */
	while (q && !--q->refs) {
		struct quota *parent = q->parent;

		quota_sub(q, QUOTA_TASKS, 1);
		quota_sub(q, QUOTA_PAGES, q->self_pages);
		q->parent = dead;
		dead = q;
		q = parent;
	}
	spin_unlock_irqrestore(&quota_lock, flags);
	while (dead) {
		struct quota *next = dead->parent;

		quota_free(dead);
		dead = next;
	}
}

unsigned long quota_nodes(void)
{
	return __atomic_load_n(&quota_nnodes, __ATOMIC_RELAXED);
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

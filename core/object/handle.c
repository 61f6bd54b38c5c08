/*
 * handle.c - per-task handle tables (handle.h), and the handle system
 * calls: close and duplicate.
 *
 * A task's table is one page from pmem, made on the first handle it gets
 * and freed at exit with every handle in it closed; the page is charged
 * to the task's quota meanwhile. A reference to an
 * object is dropped outside the table lock: dropping the last one may
 * wake tasks (ipc.c), and ipc_lock comes before a table lock.
 */
#include "handle.h"
#include "lib/quota.h"
#include "mm/pmem.h"
#include "lib/string.h"
#include "kernel/task.h"

_Static_assert(sizeof(struct handle_table) <= 4096, "a handle table fits in a page");

/* @t's table, made if @make and it has none; NULL without one. */
static struct handle_table *handle_table(struct task *t, bool make)
{
	struct handle_table *ht = __atomic_load_n(&t->handles, __ATOMIC_ACQUIRE);
	uint64_t pa;

	if (ht || !make)
		return ht;
	/* Only @t itself, or its parent before @t first runs, gets here. */
	if (quota_charge(t->quota, QUOTA_PAGES, 1))
		return NULL;
	if (pmem_alloc_page(&pa)) {
		quota_uncharge(t->quota, QUOTA_PAGES, 1);
		return NULL;
	}
	ht = pa_to_kva(pa); /* zeroed: every slot free, the lock unlocked */
	ht->lock = (struct spinlock)SPINLOCK_INIT;
	/* Pairs with the acquire load above. */
	__atomic_store_n(&t->handles, ht, __ATOMIC_RELEASE);
	return ht;
}

int handle_install(struct task *t, struct kobj *o, unsigned int rights)
{
	struct handle_table *ht = handle_table(t, true);
	unsigned long flags;

	if (!ht) {
		kobj_drop(o, rights);
		return -KEEL_ENOMEM;
	}
	flags = spin_lock_irqsave(&ht->lock);
	for (int h = 0; h < HANDLE_MAX; h++) {
		if (ht->slot[h].obj)
			continue;
		ht->slot[h].obj = o;
		ht->slot[h].rights = rights;
		spin_unlock_irqrestore(&ht->lock, flags);
		return h;
	}
	spin_unlock_irqrestore(&ht->lock, flags);
	kobj_drop(o, rights);
	return -KEEL_EMFILE;
}

/*
 * A copy of the current task's slot @h; -KEEL_ENOENT if there is none.
 * No lock: only the task itself changes its own table once it runs (a
 * task is one thread), and others only read it.
 */
static int handle_read(long h, struct handle *out)
{
	struct handle_table *ht = handle_table(task_current(), false);

	if (!ht || h < 0 || h >= HANDLE_MAX)
		return -KEEL_ENOENT;
	*out = ht->slot[h];
	return out->obj ? 0 : -KEEL_ENOENT;
}

int handle_get(long h, unsigned int type, unsigned int need, struct kobj **o)
{
	struct handle e;
	int err = handle_read(h, &e);

	if (err)
		return err;
	if (e.obj->kt->type != type)
		return -KEEL_EINVAL;
	if ((e.rights & need) != need)
		return -KEEL_EDENIED;
	*o = e.obj;
	return 0;
}

int handle_take(long h, struct kobj **o, unsigned int *rights)
{
	struct handle e;
	int err = handle_read(h, &e);

	if (err)
		return err;
	if (!(e.rights & KEEL_R_TRANSFER))
		return -KEEL_EDENIED;
	/* The slot's own reference keeps the object alive until this one is taken. */
	kobj_hold(e.obj, e.rights);
	*o = e.obj;
	*rights = e.rights;
	return 0;
}

int handle_close(long h)
{
	struct handle_table *ht = handle_table(task_current(), false);
	struct handle e;
	unsigned long flags;

	if (!ht || h < 0 || h >= HANDLE_MAX)
		return -KEEL_ENOENT;
	flags = spin_lock_irqsave(&ht->lock);
	e = ht->slot[h];
	ht->slot[h].obj = NULL;
	ht->slot[h].rights = 0;
	spin_unlock_irqrestore(&ht->lock, flags);
	if (!e.obj)
		return -KEEL_ENOENT;
	kobj_drop(e.obj, e.rights);
	return 0;
}

long handle_dup(long h, unsigned int rights)
{
	struct handle e;
	int err = handle_read(h, &e);

	if (err)
		return err;
	if (!(e.rights & KEEL_R_DUPLICATE) || (rights & ~e.rights))
		return -KEEL_EDENIED;
	kobj_hold(e.obj, rights);
	return handle_install(task_current(), e.obj, rights);
}

unsigned int handle_count(struct task *t, struct kobj *o, unsigned int rights)
{
	struct handle_table *ht = handle_table(t, false);
	unsigned int n = 0;
	unsigned long flags;

	if (!ht)
		return 0;
	flags = spin_lock_irqsave(&ht->lock);
	for (int h = 0; h < HANDLE_MAX; h++)
		if (ht->slot[h].obj == o && (ht->slot[h].rights & rights) == rights)
			n++;
	spin_unlock_irqrestore(&ht->lock, flags);
	return n;
}

void handle_table_free(struct task *t)
{
	struct handle_table *ht = handle_table(t, false);

	if (!ht)
		return;
	for (int h = 0; h < HANDLE_MAX; h++) {
		struct handle e;
		unsigned long flags = spin_lock_irqsave(&ht->lock);

		e = ht->slot[h];
		ht->slot[h].obj = NULL;
		spin_unlock_irqrestore(&ht->lock, flags);
		if (e.obj)
			kobj_drop(e.obj, e.rights);
	}
	__atomic_store_n(&t->handles, NULL, __ATOMIC_RELEASE);
	pmem_free_page(kva_to_pa(ht));
	quota_uncharge(t->quota, QUOTA_PAGES, 1);
}

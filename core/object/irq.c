/*
 * irq.c - IRQ objects: a device interrupt becomes bits on a notification.
 *
 * irq_create() attaches a handler to the PLIC source (drivers/plic.c);
 * when the device interrupts, the PLIC claims the source and the handler
 * signals the notification; the claim stays open until the driver's
 * irq_ack(). The last reference detaches the source (disabled, an open
 * claim completed) and drops the notification.
 *
 * Locking: irq_lock guards the reference counts. The
 * handler runs under plic_lock and reads only fields immutable while the
 * source is attached. Lock order: irq_lock, then plic_lock, then a
 * notification's lock.
 */
#include "irq.h"
#include "ipc.h"
#include "drivers/plic.h"
#include "lib/kobj.h"
#include "mm/kmem.h"
#include "lib/quota.h"
#include "lib/spinlock.h"
#include "keel/syscall.h"

struct irq_obj {
	struct kobj obj;
	unsigned int refs;   /* guarded by irq_lock; freed at 0 */
	unsigned int source; /* immutable while refs > 0 */
	struct kobj *notif;  /* a reference with the signal right; immutable */
	struct quota *quota; /* charged one object (a reference); immutable */
	unsigned long bits;  /* immutable */
};

static struct spinlock irq_lock = SPINLOCK_INIT;
/* One object per bound source at most: the PLIC's riscv,ndev bounds them. */
static struct kmem_cache irq_cache = KMEM_CACHE_INIT("irq", struct irq_obj, false);

static struct irq_obj *irq_of(struct kobj *o)
{
	return (struct irq_obj *)o;
}

/* plic_lock held: the device interrupted. */
static void irq_fire(void *arg, unsigned int source)
{
	struct irq_obj *q = arg;

	(void)source;
	ipc_notif_signal(q->notif, q->bits);
}

static void irq_hold(struct kobj *o, unsigned int rights)
{
	unsigned long flags = spin_lock_irqsave(&irq_lock);

	(void)rights;
	irq_of(o)->refs++;
	spin_unlock_irqrestore(&irq_lock, flags);
}

static void irq_drop(struct kobj *o, unsigned int rights)
{
	struct irq_obj *q = irq_of(o);
	unsigned long flags = spin_lock_irqsave(&irq_lock);
	struct kobj *notif = NULL;

	(void)rights;
	if (q->refs == 1) {
		/* Detached before the slot is free: irq_fire() cannot see it again. */
		plic_detach(q->source);
		notif = q->notif;
	}
	q->refs--;
	spin_unlock_irqrestore(&irq_lock, flags);
	if (notif) {
		struct quota *quota = q->quota;

		kobj_drop(notif, KEEL_R_SIGNAL);
		kmem_free(&irq_cache, q); /* detached: the interrupt path finds it no more */
		if (quota) {
			quota_uncharge(quota, QUOTA_OBJECTS, 1);
			quota_put(quota);
		}
	}
}

static const struct kobj_type irq_type = {
	.name = "irq",
	.type = KEEL_OBJ_IRQ,
	.hold = irq_hold,
	.drop = irq_drop,
};

int irq_create(struct kobj *n, unsigned long source, unsigned long bits, struct quota *quota,
	       struct kobj **out)
{
	struct irq_obj *q;
	unsigned long flags;
	int err;

	if (!bits || source > UINT32_MAX)
		return -KEEL_ERANGE;
	err = quota_charge(quota, QUOTA_OBJECTS, 1);
	if (err)
		return err;
	q = kmem_alloc(&irq_cache);
	if (!q) {
		quota_uncharge(quota, QUOTA_OBJECTS, 1);
		return -KEEL_ENOMEM;
	}
	q->quota = quota;
	flags = spin_lock_irqsave(&irq_lock);
	q->obj.kt = &irq_type;
	q->refs = 1;
	q->source = (unsigned int)source;
	q->notif = n;
	q->bits = bits;
	kobj_hold(n, KEEL_R_SIGNAL);
	err = plic_attach(q->source, irq_fire, q);
	spin_unlock_irqrestore(&irq_lock, flags);
	if (err) {
		kobj_drop(n, KEEL_R_SIGNAL);
		kmem_free(&irq_cache, q);
		quota_uncharge(quota, QUOTA_OBJECTS, 1);
		return err;
	}
	if (quota)
		quota_get(quota);
	*out = &q->obj;
	return 0;
}

void irq_ack(struct kobj *o)
{
	plic_complete(irq_of(o)->source);
}

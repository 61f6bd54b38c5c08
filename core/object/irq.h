/*
 * irq.h - IRQ objects (irq.c): one PLIC source bound to a notification.
 */
#ifndef KEEL_IRQ_H
#define KEEL_IRQ_H

#include "keel.h"

struct kobj;

/*
 * An IRQ object binding PLIC @source to notification @n (signalled with
 * @bits; the object takes its own reference to @n) in *@out, with one
 * reference. -KEEL_ENOTSUP, -KEEL_ERANGE, -KEEL_EBUSY or -KEEL_ENOMEM.
 */
int __must_check irq_create(struct kobj *n, unsigned long source, unsigned long bits,
			    struct kobj **out);
/* Complete IRQ object @o's open claim, if any (the driver served the device). */
void irq_ack(struct kobj *o);

#endif

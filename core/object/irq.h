/*
 * irq.h - IRQ objects (irq.c): one PLIC source bound to a notification.
 */
#ifndef KEEL_IRQ_H
#define KEEL_IRQ_H

#include "keel.h"

struct kobj;
struct quota;

/*
 * An IRQ object binding PLIC @source to notification @n (signalled with
 * @bits; the object takes its own reference to @n) in *@out, with one
 * reference, charged to @quota as one object until it is freed.
 * -KEEL_ENOTSUP, -KEEL_ERANGE, -KEEL_EBUSY, -KEEL_ENOMEM or -KEEL_EAGAIN
 * (over @quota's object limit).
 */
int __must_check irq_create(struct kobj *n, unsigned long source, unsigned long bits,
			    struct quota *quota, struct kobj **out);
/* Complete IRQ object @o's open claim, if any (the driver served the device). */
void irq_ack(struct kobj *o);

#endif

/*
 * sys_irq.c - interrupts from user space: irq_create, irq_ack. The IRQ
 * objects are object/irq.c, the PLIC they sit on drivers/plic.c.
 */
#include "sys_common.h"
#include "object/irq.h"
#include "object/handle.h"

SYSCALL_DEFINE4(irq_create, long, ctl, unsigned long, source, long, notif_h, unsigned long, bits)
{
	struct kobj *c, *n, *q;
	long err = handle_get(ctl, KEEL_OBJ_CONTROL, KEEL_R_DEVICES, &c);

	if (!err)
		err = handle_get(notif_h, KEEL_OBJ_NOTIFICATION, KEEL_R_SIGNAL, &n);
	if (!err)
		err = irq_create(n, source, bits, task_current()->quota, &q);
	if (err)
		return err;
	return handle_install(task_current(), q, KEEL_R_DUPLICATE | KEEL_R_TRANSFER);
}

SYSCALL_DEFINE1(irq_ack, long, h)
{
	struct kobj *o;
	long err = handle_get(h, KEEL_OBJ_IRQ, 0, &o);

	if (err)
		return err;
	irq_ack(o);
	return 0;
}

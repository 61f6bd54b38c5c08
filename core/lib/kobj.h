/*
 * kobj.h - the interface every kernel object a handle can name
 * implements: a type with hold and drop. Layers below object/ (mm/as.c's
 * mappings hold objects) take and drop references through it without
 * knowing what the object is.
 */
#ifndef KEEL_KOBJ_H
#define KEEL_KOBJ_H

struct kobj;

/* What a type does when a reference with some rights is taken or dropped. */
struct kobj_type {
	const char *name;
	unsigned int type; /* KEEL_OBJ_* */
	void (*hold)(struct kobj *o, unsigned int rights);
	void (*drop)(struct kobj *o, unsigned int rights); /* may free @o */
	/* Optional: the last task that could drive it is ending (a device's DMA stops). */
	void (*quiesce)(struct kobj *o);
};

/* The head of every kernel object a handle can name. */
struct kobj {
	const struct kobj_type *kt; /* immutable while referenced */
};

/* A reference with @rights: taking one counts as a holder of those rights. */
static inline void kobj_hold(struct kobj *o, unsigned int rights)
{
	o->kt->hold(o, rights);
}

static inline void kobj_drop(struct kobj *o, unsigned int rights)
{
	o->kt->drop(o, rights);
}

static inline void kobj_quiesce(struct kobj *o)
{
	if (o->kt->quiesce)
		o->kt->quiesce(o);
}

#endif

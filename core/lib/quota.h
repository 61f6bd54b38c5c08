/*
 * quota.h - what a task and everything it started may take: pages,
 * kernel objects, tasks (docs/syscalls.md, "Limits").
 *
 * A struct quota is a node in a tree that follows spawn: each user task
 * owns one, whose parent is its spawner's. A charge adds to the node and
 * to every ancestor, and is refused (nothing added) if any of them would
 * pass its limit, so a subtree never takes more than its root's limit.
 * Whatever charged a node (a task, an address space, an object) holds a
 * reference to it and uncharges it when freed, even after the task is
 * gone. No task knowledge here, so mm/ can charge too.
 */
#ifndef KEEL_QUOTA_H
#define KEEL_QUOTA_H

#include "keel.h"
#include "keel/syscall.h"

enum quota_kind {
	QUOTA_PAGES = KEEL_LIMIT_PAGES,	    /* 4 KiB pages: user, tables, objects' */
	QUOTA_OBJECTS = KEEL_LIMIT_OBJECTS, /* endpoints, notifications, memory, IRQ */
	QUOTA_TASKS = KEEL_LIMIT_TASKS,	    /* the task itself and its descendants */
	QUOTA_KINDS = KEEL_LIMITS
};

struct quota {
	struct quota *parent;			/* a reference; immutable */
	unsigned int refs;			/* guarded by quota_lock; freed at 0 */
	unsigned long self_pages;		/* charged by quota_new(); immutable */
	unsigned long limit[QUOTA_KINDS];	/* immutable after quota_new() */
	unsigned long used[QUOTA_KINDS];	/* this node's subtree; guarded by quota_lock */
	unsigned long child_limit[QUOTA_KINDS]; /* what quota_new() gives a child; quota_lock */
};

/*
 * Boot, once, before any node: where nodes come from (mm/kmem.c's
 * cache; @alloc returns a zeroed struct quota or NULL, any hart).
 */
void quota_set_allocator(void *(*alloc)(void), void (*free)(void *node));
/* Boot, once: the root node (init's), with @limit; panics if called twice. */
struct quota *quota_root(const unsigned long limit[QUOTA_KINDS]);
/*
 * A child node of @parent with the limits @parent gives its children,
 * one reference for the caller; the node itself is charged as one task
 * and @self_pages pages (its kernel stack) up the tree until it is
 * freed. -KEEL_EAGAIN (tasks) or -KEEL_ENOMEM (pages, or no memory for it).
 * A NULL @parent gives a NULL node: charged to nobody.
 */
int __must_check quota_new(struct quota *parent, unsigned long self_pages, struct quota **out);
void quota_get(struct quota *q);
/* Drop a reference; the last one uncharges the node's own cost and frees it. */
void quota_put(struct quota *q);
/*
 * Charge @n of @kind to @q and its ancestors; all or nothing. NULL @q
 * (a kernel thread) is never refused. -KEEL_ENOMEM for pages,
 * -KEEL_EAGAIN for objects and tasks.
 */
int __must_check quota_charge(struct quota *q, enum quota_kind kind, unsigned long n);
void quota_uncharge(struct quota *q, enum quota_kind kind, unsigned long n);
/* What @q's future children get of @kind; -KEEL_ERANGE above @q's own limit. */
int __must_check quota_set_child_limit(struct quota *q, enum quota_kind kind, unsigned long limit);
/* Nodes in existence (self-tests). */
unsigned long quota_nodes(void);
/* A consistent copy of @q's use and limits (zeros for NULL). */
void quota_read(struct quota *q, unsigned long used[QUOTA_KINDS], unsigned long limit[QUOTA_KINDS]);

#endif

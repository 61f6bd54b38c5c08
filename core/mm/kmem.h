/*
 * kmem.h - the kernel's small-object allocator: a cache per object type
 * (endpoints, notifications, memory objects, address spaces, IRQ
 * objects) of fixed-size objects carved from pmem pages ("slabs"). A
 * cache grows a page at a time as its objects are allocated, so the only
 * bound on objects is memory; a slab that empties goes back to pmem
 * (a cache keeps one, so an alloc/free loop does not churn pages).
 * Any hart; objects come back zeroed.
 *
 * A type-stable cache (KMEM_TYPESAFE) never returns its slabs: a freed
 * object stays an object of that type, and kmem_next() walks the live
 * ones without a lock (tasks: a pointer to an ended task still reads a
 * task, as with the fixed pool of old).
 */
#ifndef KEEL_KMEM_H
#define KEEL_KMEM_H

#include "keel.h"
#include "lib/spinlock.h"

struct kmem_slab;

struct kmem_cache {
	const char *name; /* immutable */
	size_t size;	  /* immutable: bytes per object, 16-aligned */
	bool typesafe;	  /* immutable: slabs are never freed */
	struct spinlock lock;
	struct kmem_slab *partial;    /* guarded by lock: slabs with a free object */
	struct kmem_slab *full;	      /* guarded by lock */
	struct kmem_slab *all;	      /* typesafe: every slab, prepended (atomic pointer) */
	unsigned long slabs, objects; /* guarded by lock */
};

#define KMEM_TYPESAFE true
#define KMEM_CACHE_INIT(nm, type, safe)                                                            \
	{                                                                                          \
		.name = (nm), .size = ALIGN_UP(sizeof(type), 16), .typesafe = (safe),              \
		.lock = SPINLOCK_INIT                                                              \
	}

/* Boot, after vm_init: the caches lib/ needs handed down (lib/quota.h's nodes). */
__init void kmem_init(void);
/*
 * A zeroed object, or NULL when no page is left. The one place an object
 * is made: a per-task charge would be taken here (its slab page already
 * passes pmem's accounting hook).
 */
void *kmem_alloc(struct kmem_cache *c);
void kmem_free(struct kmem_cache *c, void *obj);
/* Typesafe caches: the allocated object after @obj (NULL: the first), or NULL. No lock. */
void *kmem_next(struct kmem_cache *c, void *obj);
/* Bytes of pages all caches hold, for meminfo. */
unsigned long kmem_bytes(void);

#endif

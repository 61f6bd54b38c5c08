/*
 * kmem.c - fixed-size kernel objects carved from pages.
 *
 * A slab is one pmem page: this header, then up to KMEM_SLAB_OBJS
 * objects of its cache's size. A bit per object says it is allocated
 * (the lowest clear bit is the next to hand out), and a slab sits on its
 * cache's partial list while it has a free object, else on the full
 * list. kmem_free finds the slab from the object's page. A slab that
 * empties is freed unless it is the cache's last partial one (or the
 * cache is typesafe: then its memory stays the type's for good).
 *
 * Locking: each cache's lock guards its lists and counts, and the bits
 * of its slabs (written under it; kmem_next reads them atomically).
 * No other lock is taken under a cache's: slab pages come and go outside it.
 */
#include "kmem.h"
#include "pmem.h"
#include "lib/panic.h"
#include "lib/quota.h"
#include "lib/string.h"

#define KMEM_SLAB_OBJS 64 /* the bits of kmem_slab.used */

struct kmem_slab {
	struct kmem_cache *cache;      /* immutable */
	struct kmem_slab *next, *prev; /* guarded by the cache's lock: its list */
	struct kmem_slab *all_next;    /* typesafe caches: immutable once linked */
	uint64_t used;		       /* bit i: object i allocated; atomic */
	unsigned int nobjs;	       /* immutable: objects in this slab */
};

#define KMEM_FIRST ALIGN_UP(sizeof(struct kmem_slab), 16)

static unsigned long kmem_pages; /* atomic: pages all caches hold */

static unsigned int kmem_per_slab(const struct kmem_cache *c)
{
	return MIN((PAGE_SIZE - KMEM_FIRST) / c->size, KMEM_SLAB_OBJS);
}

static void *kmem_obj(struct kmem_slab *s, unsigned int i)
{
	return (char *)s + KMEM_FIRST + (size_t)i * s->cache->size;
}

static struct kmem_slab *kmem_slab_of(void *obj)
{
	return (struct kmem_slab *)ALIGN_DOWN((uintptr_t)obj, PAGE_SIZE);
}

static void kmem_push(struct kmem_slab **list, struct kmem_slab *s)
{
	s->prev = NULL;
	s->next = *list;
	if (s->next)
		s->next->prev = s;
	*list = s;
}

static void kmem_unlink(struct kmem_slab **list, struct kmem_slab *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		*list = s->next;
	if (s->next)
		s->next->prev = s->prev;
}

static uint64_t kmem_all_bits(const struct kmem_slab *s)
{
	return s->nobjs == 64 ? ~0ULL : (1ULL << s->nobjs) - 1;
}

/* A fresh slab for @c, not yet on a list (no lock held: pmem zeroes a page), or NULL. */
static struct kmem_slab *kmem_new_slab(struct kmem_cache *c)
{
	struct kmem_slab *s;
	uint64_t pa;

	BUG_ON(!kmem_per_slab(c)); /* an object bigger than a page */
	if (pmem_alloc_page(&pa))
		return NULL;
	s = pa_to_kva(pa); /* zeroed: no object allocated */
	s->cache = c;
	s->nobjs = kmem_per_slab(c);
	__atomic_fetch_add(&kmem_pages, 1, __ATOMIC_RELAXED);
	return s;
}

/* @c's lock held: put the new slab @s on the partial list (and, typesafe, on all). */
static void kmem_add_slab(struct kmem_cache *c, struct kmem_slab *s)
{
	kmem_push(&c->partial, s);
	if (c->typesafe) {
		s->all_next = c->all;
		/* Pairs with the acquire load in kmem_next(). */
		__atomic_store_n(&c->all, s, __ATOMIC_RELEASE);
	}
	c->slabs++;
}

/*
 * The lock is held for a few stores only: a new slab is made before it
 * is taken, and the object zeroed after (many harts start at once, each
 * making its idle task; a long hold there stalls them under TCG).
 */
void *kmem_alloc(struct kmem_cache *c)
{
	struct kmem_slab *s, *fresh = NULL;
	unsigned long flags;
	unsigned int i;
	void *obj;

	for (;;) {
		flags = spin_lock_irqsave(&c->lock);
		if (fresh) {
			kmem_add_slab(c, fresh); /* even if another came meanwhile */
			fresh = NULL;
		}
		if (c->partial)
			break;
		spin_unlock_irqrestore(&c->lock, flags);
		fresh = kmem_new_slab(c);
		if (!fresh)
			return NULL;
	}
	s = c->partial;
	i = ctz64(~s->used);
	__atomic_store_n(&s->used, s->used | (1ULL << i), __ATOMIC_RELAXED);
	if (s->used == kmem_all_bits(s)) {
		kmem_unlink(&c->partial, s);
		kmem_push(&c->full, s);
	}
	c->objects++;
	spin_unlock_irqrestore(&c->lock, flags);
	obj = kmem_obj(s, i);
	/* A typesafe object is seen by kmem_next() from its bit on, as a pool slot once was. */
	memset(obj, 0, c->size);
	return obj;
}

void kmem_free(struct kmem_cache *c, void *obj)
{
	struct kmem_slab *s = kmem_slab_of(obj);
	unsigned int i = (unsigned int)(((char *)obj - (char *)s - KMEM_FIRST) / c->size);
	unsigned long flags;
	bool release = false;

	BUG_ON(s->cache != c || kmem_obj(s, i) != obj);
	flags = spin_lock_irqsave(&c->lock);
	BUG_ON(!(s->used & (1ULL << i))); /* freed twice */
	if (s->used == kmem_all_bits(s)) {
		kmem_unlink(&c->full, s);
		kmem_push(&c->partial, s);
	}
	__atomic_store_n(&s->used, s->used & ~(1ULL << i), __ATOMIC_RELEASE);
	c->objects--;
	/* An empty slab goes back, unless it is the one partial slab left. */
	if (!s->used && !c->typesafe && (s->prev || s->next)) {
		kmem_unlink(&c->partial, s);
		c->slabs--;
		release = true;
	}
	spin_unlock_irqrestore(&c->lock, flags);
	if (release) {
		__atomic_fetch_sub(&kmem_pages, 1, __ATOMIC_RELAXED);
		pmem_free_page(kva_to_pa(s));
	}
}

void *kmem_next(struct kmem_cache *c, void *obj)
{
	struct kmem_slab *s;
	unsigned int i = 0;

	BUG_ON(!c->typesafe);
	if (obj) {
		s = kmem_slab_of(obj);
		i = (unsigned int)(((char *)obj - (char *)s - KMEM_FIRST) / c->size) + 1;
	} else {
		s = __atomic_load_n(&c->all, __ATOMIC_ACQUIRE);
	}
	for (; s; s = s->all_next, i = 0) {
		/* Pairs with the release store in kmem_free() (and kmem_alloc's, under lock). */
		uint64_t used = __atomic_load_n(&s->used, __ATOMIC_ACQUIRE);

		used &= i < 64 ? ~((1ULL << i) - 1) : 0;
		if (used)
			return kmem_obj(s, ctz64(used));
	}
	return NULL;
}

static struct kmem_cache kmem_quota_cache = KMEM_CACHE_INIT("quota", struct quota, false);

static void *kmem_quota_alloc(void)
{
	return kmem_alloc(&kmem_quota_cache);
}

static void kmem_quota_free(void *node)
{
	kmem_free(&kmem_quota_cache, node);
}

/* lib/quota.c may not call up into mm/: its nodes' cache is handed down here. */
__init void kmem_init(void)
{
	quota_set_allocator(kmem_quota_alloc, kmem_quota_free);
}

unsigned long kmem_bytes(void)
{
	return __atomic_load_n(&kmem_pages, __ATOMIC_RELAXED) * PAGE_SIZE;
}

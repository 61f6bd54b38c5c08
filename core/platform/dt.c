/*
 * dt.c - read the flattened device tree the firmware hands the boot hart.
 *
 * Owns the FDT format (DTSpec v0.4 chapter 5) and the few bindings the
 * core boots from: /cpus (RISC-V cpus binding), memory nodes,
 * /reserved-memory, /chosen. dt_check() proves the header and the whole
 * structure block sound once; everything after it, and every walker
 * call, still bounds-checks each token it reads, so no input makes the
 * reader touch a byte outside the blob.
 *
 * Invariants: offsets are uint32_t and checked as "off <= size &&
 * size - off >= need", never "off + need <= size", so nothing overflows;
 * big-endian fields are read byte by byte (the blob may be unaligned);
 * no libc, no allocation, no written globals (any hart may call this).
 * Elsewhere: what the kernel does with the facts (smp.c, pmem.c, cmdline.c).
 */
#include "dt.h"
#include "keel/init.h"
#include "keel/strtab.h"

/* DTSpec 5.2: header fields, by byte offset. */
#define FDT_MAGIC		0xd00dfeedu
#define FDT_HDR_MAGIC		0
#define FDT_HDR_TOTALSIZE	4
#define FDT_HDR_OFF_DT_STRUCT	8
#define FDT_HDR_OFF_DT_STRINGS	12
#define FDT_HDR_OFF_MEM_RSVMAP	16
#define FDT_HDR_VERSION		20
#define FDT_HDR_LAST_COMP	24
#define FDT_HDR_SIZE_DT_STRINGS 32
#define FDT_HDR_SIZE_DT_STRUCT	36
#define FDT_V16_HDR_SIZE	36 /* size_dt_struct came with v17 */
#define FDT_V17_HDR_SIZE	40
#define FDT_FIRST_VERSION	16 /* DTSpec 5.2: version 17, compatible 16 */
#define FDT_LAST_COMP_VERSION	17

/* DTSpec 5.3: memory reservation block entries, 8-byte aligned. */
#define FDT_RSV_ENTRY_SIZE 16
#define FDT_RSV_ALIGN	   8

/* DTSpec 5.4: structure block tokens, each 4-byte aligned. */
#define FDT_BEGIN_NODE 0x1u
#define FDT_END_NODE   0x2u
#define FDT_PROP       0x3u
#define FDT_NOP	       0x4u
#define FDT_END	       0x9u
#define FDT_TAGSIZE    4
#define FDT_PROP_HDR   12 /* token, len, nameoff */

/* Offsets are handed out as int (as in libfdt), so blobs stay below 2 GiB. */
#define DT_OFFSET_MAX 0x7fffffffu

#define DT_CELL_SIZE 4

/* The parts of a header that dt_view_init() proved sound. */
struct dt_view {
	const uint8_t *b;
	uint32_t totalsize;
	uint32_t st_off, st_size;   /* structure block */
	uint32_t str_off, str_size; /* strings block */
	uint32_t rsv_off;	    /* memory reservation block */
	bool checked;		    /* dt_check() accepted the blob: names need no bounds */
};

/* One structure-block token, as dt_read_tok() found it. */
struct dt_tok {
	uint32_t tag;
	uint32_t next;	    /* offset of the following token */
	const char *name;   /* BEGIN_NODE: node name; PROP: property name */
	const uint8_t *val; /* PROP value */
	uint32_t len;	    /* PROP length */
};

/* By DT_ERR_x, from DT_OK. */
static const char dt_err_str[] __initconst = "success\0"
					     "bad magic\0"
					     "unsupported version\0"
					     "truncated\0"
					     "bad block layout in header\0"
					     "bad structure token\0"
					     "bad node name\0"
					     "bad property name string\0"
					     "malformed property\0"
					     "bad node nesting\0"
					     "bad memory reservation map\0"
					     "unsupported #address-cells or #size-cells\0"
					     "malformed reg\0"
					     "no memory node\0"
					     "no usable hart\0"
					     "no timebase-frequency\0"
					     "bad initrd range\0"
					     "bootargs not NUL-terminated\0"
					     "too many harts or regions\0"
					     "structure block without FDT_END\0"
					     "not found";
_Static_assert(DT_ERR_NOT_FOUND == 20 && DT_ERR_COUNT == 21, "dt_err_str has a name per code");

__init const char *dt_strerror(int err)
{
	const char *s = strtab_nth(dt_err_str, sizeof(dt_err_str), err < 0 ? -(long)err : err);

	return s ? s : "unknown error";
}

__init const char *dt_hart_state_str(enum dt_hart_state s)
{
	switch (s) {
	case DT_HART_USABLE:
		return "usable";
	case DT_HART_DISABLED:
		return "disabled";
	case DT_HART_NOT_RV64:
		return "not RV64";
	case DT_HART_NO_MMU:
		return "no MMU";
	case DT_HART_BAD_MMU:
		return "unsupported MMU";
	case DT_HART_NO_SMODE:
		return "no S-mode";
	case DT_HART_BAD_NODE:
		return "bad node";
	}
	return "unknown";
}

/* ---- small freestanding helpers ---- */

static __init uint32_t dt_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static __init uint64_t dt_be64(const uint8_t *p)
{
	return (uint64_t)dt_be32(p) << 32 | dt_be32(p + 4);
}

__init uint64_t dt_read_cells(const void *p, int cells)
{
	if (cells == 1)
		return dt_be32(p);
	if (cells == 2)
		return dt_be64(p);
	return 0;
}

static __init char dt_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static __init bool dt_streq(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

/* Does @s start with @prefix, ignoring ASCII case? */
static __init bool dt_prefix_ci(const char *s, const char *prefix)
{
	for (; *prefix; s++, prefix++)
		if (dt_lower(*s) != *prefix)
			return false;
	return true;
}

/* Index of the first @c in the NUL-terminated @s, or its length. */
static __init unsigned int dt_strchrnul(const char *s, char c)
{
	unsigned int i = 0;

	while (s[i] && s[i] != c)
		i++;
	return i;
}

/* Length of the NUL-terminated string at @p, within @room bytes; -1 if none. */
static __init int dt_strnlen(const uint8_t *p, uint32_t room)
{
	uint32_t i;

	for (i = 0; i < room; i++)
		if (!p[i])
			return (int)i;
	return -1;
}

static __init uint32_t dt_align4(uint32_t off)
{
	return (off + (FDT_TAGSIZE - 1)) & ~(uint32_t)(FDT_TAGSIZE - 1);
}

static __init int dt_fail(struct dt_error *err, int code, uint32_t offset, const char *node)
{
	if (err) {
		err->code = code;
		err->offset = offset;
		err->node = node;
	}
	return -code;
}

/* ---- header, memory reservation map, structure block ---- */

/* Is [off, off + size) inside [min, total)? Overflow-safe. */
static __init bool dt_block_ok(uint32_t off, uint32_t size, uint32_t min, uint32_t total)
{
	return off >= min && off <= total && size <= total - off;
}

static __init int dt_view_layout(struct dt_view *v, uint32_t hdrsize, bool v17,
				 struct dt_error *err)
{
	const uint8_t *b = v->b;

	v->st_off = dt_be32(b + FDT_HDR_OFF_DT_STRUCT);
	v->st_size = v17 ? dt_be32(b + FDT_HDR_SIZE_DT_STRUCT)
			 : v->totalsize - v->st_off; /* checked below */
	if (!dt_block_ok(v->st_off, v->st_size, hdrsize, v->totalsize) || v->st_off % FDT_TAGSIZE)
		return dt_fail(err, DT_ERR_LAYOUT, FDT_HDR_OFF_DT_STRUCT, NULL);

	v->str_off = dt_be32(b + FDT_HDR_OFF_DT_STRINGS);
	v->str_size = dt_be32(b + FDT_HDR_SIZE_DT_STRINGS);
	if (!dt_block_ok(v->str_off, v->str_size, hdrsize, v->totalsize))
		return dt_fail(err, DT_ERR_LAYOUT, FDT_HDR_OFF_DT_STRINGS, NULL);

	v->rsv_off = dt_be32(b + FDT_HDR_OFF_MEM_RSVMAP);
	if (!dt_block_ok(v->rsv_off, 0, hdrsize, v->totalsize) || v->rsv_off % FDT_RSV_ALIGN)
		return dt_fail(err, DT_ERR_LAYOUT, FDT_HDR_OFF_MEM_RSVMAP, NULL);
	return 0;
}

/* Check the header against @avail bytes and fill @v. */
static __init int dt_view_init(const void *blob, size_t avail, struct dt_view *v,
			       struct dt_error *err)
{
	const uint8_t *b = blob;
	uint32_t version, last_comp, hdrsize;

	v->b = b;
	v->checked = false;
	if (avail < FDT_TAGSIZE)
		return dt_fail(err, DT_ERR_TRUNCATED, 0, NULL);
	if (dt_be32(b + FDT_HDR_MAGIC) != FDT_MAGIC)
		return dt_fail(err, DT_ERR_MAGIC, FDT_HDR_MAGIC, NULL);
	if (avail < FDT_V17_HDR_SIZE)
		return dt_fail(err, DT_ERR_TRUNCATED, 0, NULL);

	version = dt_be32(b + FDT_HDR_VERSION);
	last_comp = dt_be32(b + FDT_HDR_LAST_COMP);
	if (version < FDT_FIRST_VERSION)
		return dt_fail(err, DT_ERR_VERSION, FDT_HDR_VERSION, NULL);
	/* A version cannot be compatible with a later one (libfdt agrees). */
	if (last_comp > FDT_LAST_COMP_VERSION || last_comp > version)
		return dt_fail(err, DT_ERR_VERSION, FDT_HDR_LAST_COMP, NULL);
	hdrsize = version >= 17 ? FDT_V17_HDR_SIZE : FDT_V16_HDR_SIZE;

	v->totalsize = dt_be32(b + FDT_HDR_TOTALSIZE);
	if (v->totalsize < hdrsize || v->totalsize > DT_OFFSET_MAX)
		return dt_fail(err, DT_ERR_LAYOUT, FDT_HDR_TOTALSIZE, NULL);
	if (v->totalsize > avail)
		return dt_fail(err, DT_ERR_TRUNCATED, FDT_HDR_TOTALSIZE, NULL);
	return dt_view_layout(v, hdrsize, version >= 17, err);
}

/* The walker's view: trusts totalsize, which dt_check() held to avail. */
static __init int dt_view_trusted(const void *blob, struct dt_view *v)
{
	const uint8_t *b = blob;

	int rc;

	if (!b)
		return -DT_ERR_NOT_FOUND;
	rc = dt_view_init(blob, dt_be32(b + FDT_HDR_TOTALSIZE), v, NULL);
	v->checked = true;
	return rc;
}

/*
 * Number of memory reservation entries before the terminator. Like Linux
 * and libfdt, an entry of size 0 ends the list (DTSpec asks for 0/0).
 */
static __init int dt_rsv_count(const struct dt_view *v, uint32_t *count, struct dt_error *err)
{
	uint32_t off = v->rsv_off;
	uint32_t n = 0;

	while (v->totalsize - off >= FDT_RSV_ENTRY_SIZE) {
		if (dt_be64(v->b + off + 8) == 0) {
			*count = n;
			return 0;
		}
		n++;
		off += FDT_RSV_ENTRY_SIZE;
	}
	return dt_fail(err, DT_ERR_MEMRESERVE, v->rsv_off, NULL);
}

static __init int dt_read_begin_node(const struct dt_view *v, uint32_t off, struct dt_tok *t)
{
	const uint8_t *s = v->b + v->st_off;
	int len = dt_strnlen(s + off + FDT_TAGSIZE, v->st_size - off - FDT_TAGSIZE);

	if (len < 0)
		return -DT_ERR_NAME;
	t->name = (const char *)(s + off + FDT_TAGSIZE);
	/* Padding past the block is caught when the next token is read. */
	t->next = dt_align4(off + FDT_TAGSIZE + (uint32_t)len + 1);
	return 0;
}

static __init int dt_read_prop(const struct dt_view *v, uint32_t off, struct dt_tok *t)
{
	const uint8_t *s = v->b + v->st_off;
	uint32_t nameoff;
	int nlen;

	if (v->st_size - off < FDT_PROP_HDR)
		return -DT_ERR_TRUNCATED;
	t->len = dt_be32(s + off + 4);
	nameoff = dt_be32(s + off + 8);
	if (t->len > v->st_size - off - FDT_PROP_HDR)
		return -DT_ERR_PROP;
	if (nameoff >= v->str_size)
		return -DT_ERR_STRING;
	/* dt_check() found every name terminated: a walk need not look again. */
	nlen = v->checked ? 0 : dt_strnlen(v->b + v->str_off + nameoff, v->str_size - nameoff);
	if (nlen < 0)
		return -DT_ERR_STRING;
	t->name = (const char *)(v->b + v->str_off + nameoff);
	t->val = s + off + FDT_PROP_HDR;
	t->next = dt_align4(off + FDT_PROP_HDR + t->len);
	return 0;
}

/* Decode the token at structure offset @off, checking every byte it spans. */
static __init int dt_read_tok(const struct dt_view *v, uint32_t off, struct dt_tok *t)
{
	if (off == v->st_size)
		return -DT_ERR_NO_END;
	if (off > v->st_size || v->st_size - off < FDT_TAGSIZE)
		return -DT_ERR_TRUNCATED;
	t->tag = dt_be32(v->b + v->st_off + off);
	t->name = NULL;
	t->val = NULL;
	t->len = 0;
	switch (t->tag) {
	case FDT_BEGIN_NODE:
		return dt_read_begin_node(v, off, t);
	case FDT_PROP:
		return dt_read_prop(v, off, t);
	case FDT_END_NODE:
	case FDT_NOP:
	case FDT_END:
		t->next = off + FDT_TAGSIZE;
		return 0;
	}
	return -DT_ERR_TOKEN;
}

/* Where the structure walk stands: the open nodes' names, for errors. */
struct dt_walk {
	int depth;
	bool root_done;
	const char *names[DT_MAX_DEPTH];
};

static __init const char *dt_walk_node(const struct dt_walk *w)
{
	return w->depth > 0 ? w->names[w->depth - 1] : NULL;
}

/* One token's effect on the nesting; 1 when FDT_END closes a sound tree. */
static __init int dt_walk_step(struct dt_walk *w, const struct dt_tok *t)
{
	switch (t->tag) {
	case FDT_BEGIN_NODE:
		if (w->root_done)
			return -DT_ERR_NESTING; /* a second root */
		if (w->depth == 0 && t->name[0])
			return -DT_ERR_NAME; /* DTSpec 5.4.1: root is "" */
		if (w->depth == DT_MAX_DEPTH)
			return -DT_ERR_NESTING;
		w->names[w->depth++] = t->name;
		return 0;
	case FDT_END_NODE:
		if (w->depth == 0)
			return -DT_ERR_NESTING;
		if (--w->depth == 0)
			w->root_done = true;
		return 0;
	case FDT_PROP:
		return w->depth == 0 ? -DT_ERR_TOKEN : 0;
	case FDT_END:
		return w->root_done ? 1 : -DT_ERR_NESTING;
	}
	/*
	 * FDT_NOP stands where a node or property was removed (DTSpec
	 * 5.4.1), so never outside the root. libfdt refuses one after the
	 * root, and assumes the root at offset 0 (fdt_path_offset()).
	 */
	return w->depth == 0 ? -DT_ERR_TOKEN : 0;
}

static __init int dt_check_struct(const struct dt_view *v, struct dt_error *err)
{
	struct dt_walk w; /* not "= { 0 }": that may become memset() */
	struct dt_tok t;
	uint32_t off = 0;
	int rc;

	w.depth = 0;
	w.root_done = false;
	/* Each token moves off forward by at least FDT_TAGSIZE: this ends. */
	for (;;) {
		rc = dt_read_tok(v, off, &t);
		if (rc == 0)
			rc = dt_walk_step(&w, &t);
		if (rc < 0)
			return dt_fail(err, -rc, v->st_off + off, dt_walk_node(&w));
		if (rc > 0)
			return 0;
		off = t.next;
	}
}

__init int dt_check(const void *blob, size_t avail, struct dt_error *err)
{
	struct dt_view v;
	uint32_t nrsv;
	int rc;

	if (!blob)
		return dt_fail(err, DT_ERR_TRUNCATED, 0, NULL);
	rc = dt_view_init(blob, avail, &v, err);
	if (rc)
		return rc;
	rc = dt_rsv_count(&v, &nrsv, err);
	if (rc)
		return rc;
	return dt_check_struct(&v, err);
}

/* ---- the walker ---- */

/* Read the token at @offset, which must be a @tag. */
static __init int dt_tok_at(const void *blob, int offset, uint32_t tag, struct dt_view *v,
			    struct dt_tok *t)
{
	int rc = dt_view_trusted(blob, v);

	if (rc)
		return rc;
	if (offset < 0 || offset % FDT_TAGSIZE)
		return -DT_ERR_NOT_FOUND;
	rc = dt_read_tok(v, (uint32_t)offset, t);
	if (rc)
		return rc;
	return t->tag == tag ? 0 : -DT_ERR_NOT_FOUND;
}

/* First token at or after @off that is not FDT_NOP. */
static __init int dt_skip_nops(const struct dt_view *v, uint32_t off, struct dt_tok *t,
			       uint32_t *at)
{
	int rc;

	for (;;) {
		rc = dt_read_tok(v, off, t);
		if (rc)
			return rc;
		if (t->tag != FDT_NOP)
			break;
		off = t->next;
	}
	*at = off;
	return 0;
}

/* dt_check() saw to it that the structure block opens with the root. */
__init int dt_root_offset(const void *blob)
{
	struct dt_view v;
	struct dt_tok t;
	int rc = dt_tok_at(blob, 0, FDT_BEGIN_NODE, &v, &t);

	return rc ? rc : 0;
}

__init int dt_next_node(const void *blob, int offset, int *depth)
{
	struct dt_view v;
	struct dt_tok t;
	uint32_t off;
	int rc;

	if (offset < 0) {
		if (depth)
			*depth = 0;
		return dt_root_offset(blob);
	}
	rc = dt_tok_at(blob, offset, FDT_BEGIN_NODE, &v, &t);
	if (rc)
		return rc;
	for (off = t.next;; off = t.next) {
		rc = dt_read_tok(&v, off, &t);
		if (rc)
			return rc;
		if (t.tag == FDT_BEGIN_NODE) {
			if (depth)
				(*depth)++;
			return (int)off;
		}
		if (t.tag == FDT_END)
			return -DT_ERR_NOT_FOUND;
		if (t.tag == FDT_END_NODE && depth && --(*depth) < 0)
			return -DT_ERR_NOT_FOUND;
	}
}

__init const char *dt_node_name(const void *blob, int node)
{
	struct dt_view v;
	struct dt_tok t;

	if (dt_tok_at(blob, node, FDT_BEGIN_NODE, &v, &t))
		return NULL;
	return t.name;
}

/* The property at or after @off (NOPs skipped), or < 0. */
static __init int dt_prop_from(const struct dt_view *v, uint32_t off)
{
	struct dt_tok t;
	uint32_t at;
	int rc = dt_skip_nops(v, off, &t, &at);

	if (rc)
		return rc;
	return t.tag == FDT_PROP ? (int)at : -DT_ERR_NOT_FOUND;
}

__init int dt_first_prop(const void *blob, int node)
{
	struct dt_view v;
	struct dt_tok t;
	int rc = dt_tok_at(blob, node, FDT_BEGIN_NODE, &v, &t);

	return rc ? rc : dt_prop_from(&v, t.next);
}

__init int dt_next_prop(const void *blob, int prop)
{
	struct dt_view v;
	struct dt_tok t;
	int rc = dt_tok_at(blob, prop, FDT_PROP, &v, &t);

	return rc ? rc : dt_prop_from(&v, t.next);
}

__init const void *dt_prop_at(const void *blob, int prop, const char **name, int *len)
{
	struct dt_view v;
	struct dt_tok t;

	if (dt_tok_at(blob, prop, FDT_PROP, &v, &t))
		return NULL;
	if (name)
		*name = t.name;
	if (len)
		*len = (int)t.len;
	return t.val;
}

/*
 * The properties at @off (NOPs skipped) into @props, for @names: the
 * first of a name wins. *@end: where the search stopped (past the last
 * property, unless all were found first).
 */
static __init void dt_read_props(const struct dt_view *v, uint32_t off, const char *const *names,
				 unsigned int n, struct dt_prop *props, uint32_t *end)
{
	struct dt_tok t;
	unsigned int i, left = n;

	for (i = 0; i < n; i++)
		props[i].val = NULL;
	for (; left; off = t.next) {
		if (dt_read_tok(v, off, &t) || (t.tag != FDT_PROP && t.tag != FDT_NOP))
			break;
		for (i = 0; t.tag == FDT_PROP && i < n; i++) {
			if (props[i].val || !dt_streq(t.name, names[i]))
				continue;
			props[i].val = t.val;
			props[i].len = (int)t.len;
			left--;
			break;
		}
	}
	*end = off;
}

__init void dt_getprops(const void *blob, int node, const char *const *names, unsigned int n,
			struct dt_prop *props)
{
	struct dt_view v;
	struct dt_tok t;
	uint32_t end;

	if (dt_tok_at(blob, node, FDT_BEGIN_NODE, &v, &t)) {
		for (unsigned int i = 0; i < n; i++)
			props[i].val = NULL;
		return;
	}
	/* One view for the whole walk: the header is read once, not twice a property. */
	dt_read_props(&v, t.next, names, n, props, &end);
}

__init int dt_iter_next(const void *blob, struct dt_iter *it, const char *const *names,
			unsigned int n, struct dt_prop *props)
{
	struct dt_view v;
	struct dt_tok t;
	uint32_t off = it->next;
	int rc;

	if (it->node < 0) {
		off = 0; /* the root's BEGIN_NODE */
		it->depth = -1;
	} else if (!off) {
		rc = dt_tok_at(blob, it->node, FDT_BEGIN_NODE, &v, &t);
		if (rc)
			return rc;
		off = t.next;
		it->depth = 0;
	}
	rc = dt_view_trusted(blob, &v);
	for (; rc == 0; off = t.next) {
		rc = dt_read_tok(&v, off, &t);
		if (rc || t.tag == FDT_END || (t.tag == FDT_END_NODE && --it->depth < 0))
			break;
		if (t.tag != FDT_BEGIN_NODE)
			continue;
		it->depth++;
		it->node = (int)off;
		dt_read_props(&v, t.next, names, n, props, &it->next);
		return 0;
	}
	it->next = off; /* at the end: stays there */
	it->depth = -1;
	return rc < 0 ? rc : -DT_ERR_NOT_FOUND;
}

__init const void *dt_getprop(const void *blob, int node, const char *name, int *len)
{
	struct dt_prop p;

	dt_getprops(blob, node, &name, 1, &p);
	if (p.val && len)
		*len = p.len;
	return p.val;
}

__init int dt_parent_offset(const void *blob, int node)
{
	int stack[DT_MAX_DEPTH];
	struct dt_iter it = { .node = -1 };

	while (!dt_iter_next(blob, &it, NULL, 0, NULL)) {
		if (it.depth >= DT_MAX_DEPTH)
			return -DT_ERR_NESTING;
		stack[it.depth] = it.node;
		if (it.node == node)
			return it.depth > 0 ? stack[it.depth - 1] : -DT_ERR_NOT_FOUND;
	}
	return -DT_ERR_NOT_FOUND;
}

/*
 * Does node name @name match the path component @comp of @len bytes?
 * As in libfdt, "memory" matches "memory@80000000" when the component
 * gives no unit address.
 */
static __init bool dt_name_matches(const char *name, const char *comp, unsigned int len)
{
	unsigned int i;
	bool has_unit = false;

	if (!name)
		return false;
	for (i = 0; i < len; i++) {
		if (name[i] != comp[i])
			return false;
		if (comp[i] == '@')
			has_unit = true;
	}
	return name[len] == '\0' || (!has_unit && name[len] == '@');
}

static __init int dt_subnode(const void *blob, int parent, const char *comp, unsigned int len)
{
	struct dt_view v;
	struct dt_tok t;
	uint32_t off;
	int depth = 0;

	if (dt_tok_at(blob, parent, FDT_BEGIN_NODE, &v, &t))
		return -DT_ERR_NOT_FOUND;
	/* One view and one pass over @parent's subtree (not a view per node). */
	for (off = t.next;; off = t.next) {
		if (dt_read_tok(&v, off, &t))
			return -DT_ERR_NOT_FOUND;
		if (t.tag == FDT_BEGIN_NODE) {
			if (++depth == 1 && dt_name_matches(t.name, comp, len))
				return (int)off;
		} else if (t.tag == FDT_END_NODE) {
			if (--depth < 0)
				return -DT_ERR_NOT_FOUND;
		} else if (t.tag == FDT_END) {
			return -DT_ERR_NOT_FOUND;
		}
	}
}

__init int dt_path_offset(const void *blob, const char *path)
{
	int node = dt_root_offset(blob);
	unsigned int len;

	if (!path || path[0] != '/')
		return -DT_ERR_NOT_FOUND;
	while (node >= 0) {
		while (*path == '/')
			path++;
		if (!*path)
			break;
		len = dt_strchrnul(path, '/');
		node = dt_subnode(blob, node, path, len);
		path += len;
	}
	return node;
}

/* ---- dt_parse: the facts the core boots from ---- */

struct dt_ctx {
	const void *blob;
	uint32_t st_off;
	struct dt_info *info;
	uint32_t root_ac, root_sc; /* the root's #address-cells/#size-cells */
};

/* Record a semantic error found at @node. */
static __init int dt_fail_node(struct dt_ctx *c, int code, int node)
{
	const char *name = node >= 0 ? dt_node_name(c->blob, node) : NULL;

	if (name && !name[0])
		name = "/";
	return dt_fail(&c->info->error, code, c->st_off + (uint32_t)(node >= 0 ? node : 0), name);
}

/*
 * String property @name of @node: 0 and *@s, or -DT_ERR_NOT_FOUND when
 * absent, or -DT_ERR_PROP when its last byte is not the NUL.
 */
static __init int dt_get_string(const void *blob, int node, const char *name, const char **s)
{
	int len;
	const char *p = dt_getprop(blob, node, name, &len);

	if (!p)
		return -DT_ERR_NOT_FOUND;
	if (len < 1 || p[len - 1] != '\0')
		return -DT_ERR_PROP;
	*s = p;
	return 0;
}

/* @p as a string: 0 and *@s (@dflt when absent), or -DT_ERR_PROP without its NUL. */
static __init int dt_prop_str(const struct dt_prop *p, const char *dflt, const char **s)
{
	const char *v = p->val;

	*s = dflt;
	if (!v)
		return 0;
	if (p->len < 1 || v[p->len - 1] != '\0')
		return -DT_ERR_PROP;
	*s = v;
	return 0;
}

/* Like dt_get_string() but absent gives @dflt; a malformed one is an error. */
static __init int dt_string_or(struct dt_ctx *c, int node, const char *name, const char *dflt,
			       const char **s)
{
	int rc;

	*s = dflt;
	rc = dt_get_string(c->blob, node, name, s);
	if (rc == -DT_ERR_NOT_FOUND)
		return 0;
	return rc ? dt_fail_node(c, DT_ERR_PROP, node) : 0;
}

/* status absent, "okay" or "ok" (DTSpec 2.3.4; "ok" is the old spelling). */
static __init int dt_node_okay(struct dt_ctx *c, int node, bool *okay)
{
	const char *status;
	int rc = dt_string_or(c, node, "status", "okay", &status);

	*okay = dt_streq(status, "okay") || dt_streq(status, "ok");
	return rc;
}

/* #address-cells / #size-cells of @node, @dflt when absent, must be 1 or 2. */
static __init int dt_cells(struct dt_ctx *c, int node, const char *name, uint32_t dflt,
			   uint32_t *cells)
{
	int len;
	const void *p = dt_getprop(c->blob, node, name, &len);

	*cells = dflt;
	if (p && len != DT_CELL_SIZE)
		return dt_fail_node(c, DT_ERR_CELLS, node);
	if (p)
		*cells = dt_be32(p);
	if (*cells < 1 || *cells > 2)
		return dt_fail_node(c, DT_ERR_CELLS, node);
	return 0;
}

/* A 32- or 64-bit integer property; -DT_ERR_NOT_FOUND if absent. */
static __init int dt_get_u64(const void *blob, int node, const char *name, uint64_t *val)
{
	int len;
	const void *p = dt_getprop(blob, node, name, &len);

	if (!p)
		return -DT_ERR_NOT_FOUND;
	if (len != DT_CELL_SIZE && len != 2 * DT_CELL_SIZE)
		return -DT_ERR_PROP;
	*val = dt_read_cells(p, len / DT_CELL_SIZE);
	return 0;
}

static __init int dt_add_region(struct dt_region *r, unsigned int *n, unsigned int max,
				uint64_t base, uint64_t size, const char *name)
{
	if (size == 0)
		return 0;
	if (size - 1 > UINT64_MAX - base)
		return -DT_ERR_REG; /* wraps past 2^64 */
	if (*n >= max)
		return -DT_ERR_TOO_MANY;
	r[*n].base = base;
	r[*n].size = size;
	r[*n].name = name;
	(*n)++;
	return 0;
}

/* Every (address, size) entry of @node's reg. A node without reg adds none. */
static __init int dt_add_regs(struct dt_ctx *c, int node, uint32_t ac, uint32_t sc,
			      struct dt_region *r, unsigned int *n, unsigned int max)
{
	const uint8_t *p;
	uint32_t entry = (ac + sc) * DT_CELL_SIZE;
	int len, i, rc;

	p = dt_getprop(c->blob, node, "reg", &len);
	if (!p)
		return 0;
	if ((uint32_t)len % entry)
		return dt_fail_node(c, DT_ERR_REG, node);
	for (i = 0; i < len; i += (int)entry) {
		rc = dt_add_region(r, n, max, dt_read_cells(p + i, (int)ac),
				   dt_read_cells(p + i + ac * DT_CELL_SIZE, (int)sc),
				   dt_node_name(c->blob, node));
		if (rc)
			return dt_fail_node(c, -rc, node);
	}
	return 0;
}

static __init int dt_parse_root(struct dt_ctx *c, int root)
{
	int rc;

	rc = dt_string_or(c, root, "model", "", &c->info->model);
	if (rc)
		return rc;
	rc = dt_cells(c, root, "#address-cells", 2, &c->root_ac);
	if (rc)
		return rc;
	return dt_cells(c, root, "#size-cells", 1, &c->root_sc);
}

static __init int dt_parse_memreserve(struct dt_ctx *c)
{
	struct dt_view v;
	struct dt_info *info = c->info;
	uint32_t i, n, off;
	int rc;

	rc = dt_view_trusted(c->blob, &v);
	if (rc == 0)
		rc = dt_rsv_count(&v, &n, NULL);
	if (rc)
		return dt_fail(&info->error, -rc, FDT_HDR_OFF_MEM_RSVMAP, NULL);
	for (i = 0; i < n; i++) {
		off = v.rsv_off + i * FDT_RSV_ENTRY_SIZE;
		rc = dt_add_region(info->resv, &info->nresv, DT_MAX_RESV, dt_be64(v.b + off),
				   dt_be64(v.b + off + 8), "/memreserve/");
		if (rc == -DT_ERR_REG)
			rc = -DT_ERR_MEMRESERVE;
		if (rc)
			return dt_fail(&info->error, -rc, off, NULL);
	}
	return 0;
}

/* Each '_'-separated multi-letter extension of @isa: is one "sstc"? */
static __init bool dt_isa_has_sstc(const char *isa)
{
	const char *p;

	for (p = isa; *p; p++) {
		if (*p != '_' || !dt_prefix_ci(p + 1, "sstc"))
			continue;
		/* "_sstc", "_sstc_...", or with a version: "_sstc1p0" */
		if (p[5] == '\0' || p[5] == '_' || (p[5] >= '0' && p[5] <= '9'))
			return true;
	}
	return false;
}

/* An old-style ISA string naming U-mode but not S-mode ("rv64imacu"). */
static __init bool dt_isa_no_smode(const char *isa)
{
	bool u = false, s = false;
	const char *p;

	/* Only the single-letter part, before the first multi-letter "_x". */
	for (p = isa + 4; *p && *p != '_'; p++) {
		u |= dt_lower(*p) == 'u';
		s |= dt_lower(*p) == 's';
	}
	return u && !s;
}

static __init enum dt_hart_state dt_hart_judge(bool okay, const char *isa, const char *mmu)
{
	if (!okay)
		return DT_HART_DISABLED;
	if (!dt_prefix_ci(isa, "rv64"))
		return DT_HART_NOT_RV64;
	if (!mmu[0] || dt_streq(mmu, "riscv,none"))
		return DT_HART_NO_MMU;
	/* Priv. spec 1.12, 4.5/4.6: Sv48 and Sv57 harts also do Sv39. */
	if (!dt_streq(mmu, "riscv,sv39") && !dt_streq(mmu, "riscv,sv48") &&
	    !dt_streq(mmu, "riscv,sv57"))
		return DT_HART_BAD_MMU;
	if (dt_isa_no_smode(isa))
		return DT_HART_NO_SMODE;
	return DT_HART_USABLE;
}

/* Does a cpu node of /cpus before @node have hart id @id? dt_next_hart()'s slow path. */
static __init bool dt_hartid_before(const void *blob, const struct dt_info *info, int node,
				    uint64_t id)
{
	static const char *const names[] __initconst = { "device_type", "reg" };
	struct dt_prop p[2];
	const char *type;
	struct dt_iter it;

	it.node = info->cpus_node;
	it.next = 0;
	while (!dt_iter_next(blob, &it, names, 2, p) && it.node < node) {
		if (it.depth != 1)
			continue;
		if (!dt_prop_str(&p[0], "", &type) && dt_streq(type, "cpu") && p[1].val &&
		    p[1].len == (int)(info->cpus_ac * DT_CELL_SIZE) &&
		    dt_read_cells(p[1].val, (int)info->cpus_ac) == id)
			return true;
	}
	return false;
}

/*
 * The node at @node, its properties from @off, as a hart: 1 and @h
 * filled, 0 if it is not a cpu node, -DT_ERR_PROP if a string it needs
 * lacks its NUL. *@end: where its properties end.
 */
static __init int dt_read_hart(const struct dt_view *v, const struct dt_info *info, int node,
			       uint32_t off, struct dt_hart *h, uint32_t *end)
{
	static const char *const names[] __initconst = { "device_type", "reg", "status",
							 "riscv,isa", "mmu-type" };
	struct dt_prop p[5];
	const char *type, *status;
	uint32_t ac = info->cpus_ac;

	dt_read_props(v, off, names, 5, p, end);
	if (dt_prop_str(&p[0], "", &type))
		return -DT_ERR_PROP;
	if (!dt_streq(type, "cpu"))
		return 0;
	if (dt_prop_str(&p[2], "okay", &status) || dt_prop_str(&p[3], "", &h->isa) ||
	    dt_prop_str(&p[4], "", &h->mmu))
		return -DT_ERR_PROP;
	h->sstc = dt_isa_has_sstc(h->isa);
	/* status absent, "okay" or "ok" (DTSpec 2.3.4; "ok" is the old spelling). */
	h->state =
		dt_hart_judge(dt_streq(status, "okay") || dt_streq(status, "ok"), h->isa, h->mmu);
	h->hartid = DT_HARTID_NONE;
	if (p[1].val && p[1].len == (int)(ac * DT_CELL_SIZE))
		h->hartid = dt_read_cells(p[1].val, (int)ac);
	if (h->hartid == DT_HARTID_NONE ||
	    (h->hartid < h->fresh && dt_hartid_before(v->b, info, node, h->hartid)))
		h->state = DT_HART_BAD_NODE;
	else if (h->hartid >= h->fresh)
		h->fresh = h->hartid + 1;
	return 1;
}

/* One view and one pass over the tokens of /cpus: each is read once per walk. */
__init int dt_next_hart(const void *blob, const struct dt_info *info, struct dt_hart *h)
{
	struct dt_view v;
	struct dt_tok t;
	uint32_t off;
	int rc;

	if (h->node < 0) {
		h->node = info->cpus_node;
		h->depth = 0;
		h->fresh = 0;
	}
	if (h->depth < 0)
		return -DT_ERR_NOT_FOUND;
	rc = dt_tok_at(blob, h->node, FDT_BEGIN_NODE, &v, &t);
	for (off = t.next; rc == 0; off = t.next) {
		rc = dt_read_tok(&v, off, &t);
		if (rc || t.tag == FDT_END || (t.tag == FDT_END_NODE && --h->depth < 0))
			break;
		if (t.tag != FDT_BEGIN_NODE || ++h->depth != 1)
			continue;
		rc = dt_read_hart(&v, info, (int)off, t.next, h, &t.next);
		if (rc) {
			h->node = (int)off;
			return rc < 0 ? rc : 0;
		}
	}
	h->depth = -1; /* done: any further call says so */
	h->node = (int)off;
	return rc < 0 ? rc : -DT_ERR_NOT_FOUND;
}

__init void dt_iter_skip_cpus(struct dt_iter *it, const struct dt_info *info)
{
	if (it->node != info->cpus_node || !info->cpus_end)
		return;
	it->next = info->cpus_end;
	it->depth--; /* past /cpus's FDT_END_NODE */
}

/* timebase-frequency of @node: 0 when absent. */
static __init int dt_timebase(struct dt_ctx *c, int node, uint32_t *hz)
{
	uint64_t val = 0;
	int rc = dt_get_u64(c->blob, node, "timebase-frequency", &val);

	if (rc == -DT_ERR_PROP)
		return dt_fail_node(c, DT_ERR_PROP, node);
	if (val > UINT32_MAX)
		return dt_fail_node(c, DT_ERR_NO_TIMEBASE, node);
	*hz = (uint32_t)val;
	return 0;
}

/* Is @node's device_type @type? A device_type without its NUL is an error. */
static __init int dt_is_type(struct dt_ctx *c, int node, const char *type, bool *is)
{
	const char *dt;
	int rc = dt_string_or(c, node, "device_type", "", &dt);

	*is = dt_streq(dt, type);
	return rc;
}

static __init int dt_parse_cpus(struct dt_ctx *c)
{
	struct dt_info *info = c->info;
	struct dt_hart h;
	uint32_t hz = 0;
	int first = -1, rc;

	info->cpus_node = dt_path_offset(c->blob, "/cpus");
	if (info->cpus_node < 0)
		return 0; /* no harts: dt_parse() says so */
	rc = dt_cells(c, info->cpus_node, "#address-cells", 2, &info->cpus_ac);
	if (rc == 0)
		rc = dt_timebase(c, info->cpus_node, &info->timebase_hz);
	if (rc)
		return rc;
	/* Counted only: the harts stay in the tree (dt_next_hart()). */
	h.node = -1;
	while ((rc = dt_next_hart(c->blob, info, &h)) == 0) {
		if (info->nharts == DT_MAX_HARTS)
			return dt_fail_node(c, DT_ERR_TOO_MANY, h.node);
		if (first < 0)
			first = h.node;
		info->nharts++;
		info->nusable += h.state == DT_HART_USABLE;
	}
	if (rc != -DT_ERR_NOT_FOUND)
		return dt_fail_node(c, -rc, h.node);
	info->cpus_end = (uint32_t)h.node + FDT_TAGSIZE; /* the walk stopped at its END_NODE */
	if (!info->timebase_hz && first >= 0) {
		rc = dt_timebase(c, first, &hz);
		info->timebase_hz = hz;
		return rc;
	}
	return 0;
}

/* Root children with device_type "memory", status okay, by the root's cells. */
static __init int dt_parse_memory(struct dt_ctx *c, int root)
{
	struct dt_info *info = c->info;
	struct dt_iter it;
	int node, rc = 0;
	bool is_mem, okay;

	/* No view per node: dt_next_node() would read the header 400 times at 128 harts. */
	it.node = root;
	it.next = 0;
	while (rc == 0 && !dt_iter_next(c->blob, &it, NULL, 0, NULL)) {
		node = it.node;
		if (it.depth != 1)
			continue;
		dt_iter_skip_cpus(&it, info); /* /cpus itself is still looked at */
		rc = dt_is_type(c, node, "memory", &is_mem);
		if (rc || !is_mem)
			continue;
		rc = dt_node_okay(c, node, &okay);
		if (rc || !okay)
			continue;
		rc = dt_add_regs(c, node, c->root_ac, c->root_sc, info->mem, &info->nmem,
				 DT_MAX_MEM);
	}
	return rc;
}

/*
 * /reserved-memory children with reg, by /reserved-memory's cells. A
 * child with only "size" is a dynamic pool the kernel does not place:
 * it is left out, not refused.
 */
static __init int dt_parse_reserved(struct dt_ctx *c)
{
	struct dt_info *info = c->info;
	struct dt_iter it;
	uint32_t ac, sc;
	int rm, node, rc;
	bool okay;

	rm = dt_path_offset(c->blob, "/reserved-memory");
	if (rm < 0)
		return 0;
	rc = dt_cells(c, rm, "#address-cells", 2, &ac);
	if (rc == 0)
		rc = dt_cells(c, rm, "#size-cells", 1, &sc);
	it.node = rm;
	it.next = 0;
	while (rc == 0 && !dt_iter_next(c->blob, &it, NULL, 0, NULL)) {
		node = it.node;
		if (it.depth != 1)
			continue;
		rc = dt_node_okay(c, node, &okay);
		if (rc || !okay)
			continue;
		rc = dt_add_regs(c, node, ac, sc, info->resv, &info->nresv, DT_MAX_RESV);
	}
	return rc;
}

/* linux,initrd-start/-end: both or neither, 32 or 64 bits, end >= start. */
static __init int dt_parse_initrd(struct dt_ctx *c, int chosen)
{
	struct dt_info *info = c->info;
	int rs, re;

	rs = dt_get_u64(c->blob, chosen, "linux,initrd-start", &info->initrd_start);
	re = dt_get_u64(c->blob, chosen, "linux,initrd-end", &info->initrd_end);
	if (rs == -DT_ERR_NOT_FOUND && re == -DT_ERR_NOT_FOUND) {
		info->initrd_start = info->initrd_end = 0;
		return 0;
	}
	if (rs || re || info->initrd_end < info->initrd_start)
		return dt_fail_node(c, DT_ERR_INITRD, chosen);
	info->has_initrd = true;
	return 0;
}

/* stdout-path (or the older linux,stdout-path): "path-or-alias[:options]". */
static __init int dt_parse_stdout(struct dt_ctx *c, int chosen)
{
	struct dt_info *info = c->info;
	const char *s;
	unsigned int len;
	int rc;

	rc = dt_string_or(c, chosen, "stdout-path", NULL, &s);
	if (rc == 0 && !s)
		rc = dt_string_or(c, chosen, "linux,stdout-path", NULL, &s);
	if (rc || !s)
		return rc;
	len = dt_strchrnul(s, ':');
	info->stdout_path = s;
	info->stdout_path_len = len;
	info->stdout_opts = s[len] == ':' ? s + len + 1 : NULL;
	return 0;
}

static __init int dt_parse_chosen(struct dt_ctx *c)
{
	struct dt_info *info = c->info;
	const char *args;
	int chosen, rc;

	chosen = dt_path_offset(c->blob, "/chosen");
	if (chosen < 0)
		return 0;
	rc = dt_get_string(c->blob, chosen, "bootargs", &args);
	if (rc == -DT_ERR_PROP)
		return dt_fail_node(c, DT_ERR_BOOTARGS, chosen);
	if (rc == 0)
		info->bootargs = args;
	rc = dt_parse_initrd(c, chosen);
	return rc ? rc : dt_parse_stdout(c, chosen);
}

/* Field by field: a struct assignment may become a memset() call. */
static __init void dt_info_reset(struct dt_info *info)
{
	info->totalsize = 0;
	info->model = "";
	info->timebase_hz = 0;
	info->nharts = info->nusable = 0;
	info->cpus_node = -1;
	info->cpus_ac = 0;
	info->cpus_end = 0;
	info->nmem = info->nresv = 0;
	info->bootargs = NULL;
	info->has_initrd = false;
	info->initrd_start = info->initrd_end = 0;
	info->stdout_path = NULL;
	info->stdout_path_len = 0;
	info->stdout_opts = NULL;
	info->error.code = 0;
	info->error.offset = 0;
	info->error.node = NULL;
}

/* What the core cannot boot without. */
static __init int dt_parse_musts(struct dt_ctx *c, int root)
{
	int cpus = c->info->cpus_node;

	if (!c->info->nusable)
		return dt_fail_node(c, DT_ERR_NO_HART, cpus >= 0 ? cpus : root);
	if (!c->info->nmem)
		return dt_fail_node(c, DT_ERR_NO_MEMORY, root);
	if (!c->info->timebase_hz)
		return dt_fail_node(c, DT_ERR_NO_TIMEBASE, cpus >= 0 ? cpus : root);
	return 0;
}

__init int dt_parse(const void *blob, size_t avail, struct dt_info *info)
{
	struct dt_ctx c = { .blob = blob, .info = info };
	struct dt_view v;
	int root, rc;

	dt_info_reset(info);
	rc = dt_check(blob, avail, &info->error);
	if (rc)
		return rc;
	rc = dt_view_trusted(blob, &v);
	if (rc)
		return dt_fail(&info->error, -rc, 0, NULL);
	c.st_off = v.st_off;
	info->totalsize = v.totalsize;
	root = dt_root_offset(blob);
	if (root < 0)
		return dt_fail(&info->error, -root, v.st_off, NULL);

	rc = dt_parse_root(&c, root);
	if (rc == 0)
		rc = dt_parse_memreserve(&c);
	if (rc == 0)
		rc = dt_parse_cpus(&c);
	if (rc == 0)
		rc = dt_parse_memory(&c, root);
	if (rc == 0)
		rc = dt_parse_reserved(&c);
	if (rc == 0)
		rc = dt_parse_chosen(&c);
	if (rc == 0)
		rc = dt_parse_musts(&c, root);
	return rc;
}

/*
 * dt.h - the flattened device tree reader's interface.
 *
 * dt_parse() checks a whole blob once and extracts what the core boots
 * from: memory, reserved memory, /chosen, and how many harts there are.
 * The harts themselves stay in the tree: dt_next_hart() reads them one
 * cpu node at a time, so nothing here is sized for the most harts a
 * machine may have. The lower-level walker (dt_next_node() and friends)
 * serves later users that need more of the tree; it is valid only on a
 * blob that dt_check() accepted.
 *
 * Offsets of nodes and properties are byte offsets into the structure
 * block, as in libfdt, so the two can be compared. Offsets in struct
 * dt_error are byte offsets from the start of the blob.
 *
 * Freestanding: no libc, no allocation, no written globals. Everything a
 * caller gets back points into the blob or into the caller's dt_info.
 * Elsewhere: the hart table (smp.c), memory accounting (pmem.c).
 */
#ifndef KEEL_DT_H
#define KEEL_DT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DT_MAX_HARTS 512 /* cpu nodes dt_parse() takes; QEMU virt's most */
#define DT_MAX_MEM   16
#define DT_MAX_RESV  32
#define DT_MAX_DEPTH 32 /* levels, the root being level 1 */

/* core/keel.h has __must_check too; this header also builds on the host. */
#define DT_MUST_CHECK __attribute__((warn_unused_result))

/* Functions return 0 or -DT_ERR_x. */
enum dt_err {
	DT_OK = 0,
	DT_ERR_MAGIC = 1,  /* not an FDT */
	DT_ERR_VERSION,	   /* version < 16 or last_comp_version > 17 */
	DT_ERR_TRUNCATED,  /* buffer or a token ends early */
	DT_ERR_LAYOUT,	   /* a header offset or size is out of place */
	DT_ERR_TOKEN,	   /* unknown or misplaced token */
	DT_ERR_NAME,	   /* node name unterminated, or root not "" */
	DT_ERR_STRING,	   /* property name outside the strings block */
	DT_ERR_PROP,	   /* property runs past the block, or malformed */
	DT_ERR_NESTING,	   /* unbalanced or deeper than DT_MAX_DEPTH */
	DT_ERR_MEMRESERVE, /* memory reserve map without its terminator */
	DT_ERR_CELLS,	   /* #address-cells / #size-cells not 1 or 2 */
	DT_ERR_REG,	   /* a reg that does not fit its cells */
	DT_ERR_NO_MEMORY,
	DT_ERR_NO_HART,
	DT_ERR_NO_TIMEBASE,
	DT_ERR_INITRD,
	DT_ERR_BOOTARGS,
	DT_ERR_TOO_MANY,  /* more than DT_MAX_* harts or regions */
	DT_ERR_NO_END,	  /* structure block without FDT_END */
	DT_ERR_NOT_FOUND, /* walker: no such node or property */
	DT_ERR_COUNT
};

/* A short description of @err (negative or positive), e.g. "bad magic". */
const char *dt_strerror(int err);

/* Judged in this order; BAD_NODE overrides the others. */
enum dt_hart_state {
	DT_HART_USABLE = 0,
	DT_HART_DISABLED, /* status neither "okay" nor "ok" */
	DT_HART_NOT_RV64, /* riscv,isa does not start "rv64" */
	DT_HART_NO_MMU,	  /* mmu-type absent or "riscv,none" */
	DT_HART_BAD_MMU,  /* mmu-type not riscv,sv39/sv48/sv57 */
	DT_HART_NO_SMODE, /* old-style ISA with 'u' but no 's' */
	DT_HART_BAD_NODE  /* reg absent or not #address-cells long, or a
			   * hart id an earlier cpu node already has */
};

/* "usable", "disabled", "not RV64", "no MMU", ... */
const char *dt_hart_state_str(enum dt_hart_state s);

#define DT_HARTID_NONE UINT64_MAX /* hartid of a cpu node with a bad reg */

/*
 * One cpu node of /cpus, as dt_next_hart() reads it. A walk starts from
 * DT_HART_START; the last three fields are its place between calls.
 */
struct dt_hart {
	uint64_t hartid; /* cpu node "reg" */
	enum dt_hart_state state;
	const char *isa; /* "riscv,isa" in the blob, "" if absent */
	const char *mmu; /* "mmu-type" in the blob, "" if absent */
	bool sstc;	 /* ISA string lists "_sstc" */
	int node;	 /* the cpu node; -1 before the first; at the end, /cpus's END_NODE */
	int depth;	 /* the walk's depth below /cpus */
	uint64_t fresh;	 /* no earlier cpu node has a hart id >= this */
};

#define DT_HART_START ((struct dt_hart){ .node = -1 })

struct dt_region {
	uint64_t base, size;
	const char *name; /* node name, or "/memreserve/" */
};

struct dt_error {
	int code;	  /* DT_ERR_x, positive */
	uint32_t offset;  /* byte offset in the blob where it was found */
	const char *node; /* node name, or NULL */
};

/*
 * Memory: the root's children with device_type "memory". Reserved: the
 * header's memory reservation map, then the children of /reserved-memory
 * that have a reg (one with only "size" is a dynamic pool: left out).
 * Regions of size 0 are skipped; one that wraps past 2^64 is refused.
 */
struct dt_info {
	uint32_t totalsize;
	const char *model;	      /* "/model" or "" */
	uint32_t timebase_hz;	      /* /cpus, else the first cpu node's */
	unsigned int nharts, nusable; /* cpu nodes; dt_next_hart() reads them */
	int cpus_node;		      /* /cpus, or -1 */
	uint32_t cpus_ac;	      /* its #address-cells */
	uint32_t cpus_end;	      /* the structure offset after /cpus, 0 if none */
	unsigned int nmem;
	struct dt_region mem[DT_MAX_MEM]; /* device_type "memory", okay */
	unsigned int nresv;
	struct dt_region resv[DT_MAX_RESV]; /* memreserve, then reserved-memory */
	const char *bootargs;		    /* NULL if absent */
	bool has_initrd;
	uint64_t initrd_start, initrd_end; /* end exclusive, as in Linux */
	const char *stdout_path;	   /* stdout-path, else the older
					    * linux,stdout-path; NULL if neither */
	unsigned int stdout_path_len;	   /* path or alias, no ":options" */
	const char *stdout_opts;	   /* after ':', or NULL */
	struct dt_error error;		   /* filled when dt_parse fails */
};

/*
 * Any hart, boot time. Checks the whole blob's structure once, then fills
 * @info. Never reads outside [blob, blob + avail). Returns 0 or -DT_ERR_x,
 * with info->error saying where.
 */
int DT_MUST_CHECK dt_parse(const void *blob, size_t avail, struct dt_info *info);

/*
 * The cpu node after @h->node in /cpus of a blob dt_parse() accepted into
 * @info (@h = DT_HART_START: the first): 0 with @h filled, in tree order,
 * or < 0 when there is none. A hart id an earlier cpu node has makes the
 * node DT_HART_BAD_NODE. The ids ascend in every tree seen so far, which
 * costs nothing; ids out of order cost a walk over the earlier nodes.
 */
int dt_next_hart(const void *blob, const struct dt_info *info, struct dt_hart *h);

/* Header and full structure walk; @err (may be NULL) says where it failed. */
int DT_MUST_CHECK dt_check(const void *blob, size_t avail, struct dt_error *err);

/*
 * The walker, valid only after dt_check() returned 0 on this blob.
 * dt_next_node(): @offset < 0 gives the root at *depth 0; afterwards the
 * next node in tree order, *depth adjusted. Returns < 0 at the end of the
 * tree, or when *depth would drop below 0 (the subtree is done).
 */
int dt_next_node(const void *blob, int offset, int *depth);
const char *dt_node_name(const void *blob, int node);	/* "" for root */
int dt_path_offset(const void *blob, const char *path); /* no aliases */
int dt_first_prop(const void *blob, int node);		/* < 0 if none */
int dt_next_prop(const void *blob, int prop);		/* < 0 at the end */
const void *dt_prop_at(const void *blob, int prop, const char **name, int *len);
const void *dt_getprop(const void *blob, int node, const char *name, int *len);

/* What dt_getprops() found of a property: @val NULL when absent. */
struct dt_prop {
	const void *val;
	int len;
};

/*
 * The properties @names[0..n) of @node into @props[0..n), in one pass
 * over its properties (a dt_getprop() each would walk them again); the
 * first of a name wins.
 */
void dt_getprops(const void *blob, int node, const char *const *names, unsigned int n,
		 struct dt_prop *props);

/*
 * A walk in tree order that reads the properties it asks for as it
 * passes them, one pass over the tokens and one look at the header per
 * node (dt_next_node() then dt_getprops() read each node's properties
 * twice). Start with node = -1 for the whole tree (the root first, at
 * depth 0), or with node = a node and next = 0 for the nodes below it
 * (depth 1 for its children).
 */
struct dt_iter {
	int node;      /* the node returned last */
	int depth;     /* its depth, as dt_next_node() counts */
	uint32_t next; /* where the walk goes on; 0 = just after @node */
};

/* The next node into @it, @names[0..n) of it into @props: 0, or < 0 at the end. */
int dt_iter_next(const void *blob, struct dt_iter *it, const char *const *names, unsigned int n,
		 struct dt_prop *props);
struct dt_info;
/*
 * @it just returned /cpus of the tree dt_parse() read into @info: go on
 * after its subtree without reading it (at 128 harts it is 80% of the
 * tree; devices and memory are never there). Else nothing.
 */
void dt_iter_skip_cpus(struct dt_iter *it, const struct dt_info *info);
int dt_parent_offset(const void *blob, int node); /* O(n); < 0 for root */
int dt_root_offset(const void *blob);		  /* 0, as dt_check() insists */

/* Big-endian value of 1 or 2 cells at @p (any alignment); 0 otherwise. */
uint64_t dt_read_cells(const void *p, int cells);

#endif /* KEEL_DT_H */

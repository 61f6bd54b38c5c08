/*
 * syscall_fuzz.c - selftest=syscall-fuzz: random system calls with random
 * arguments from several tasks on every hart, for syscall_fuzz_ms ms (the
 * core puts syscall-fuzz.ms= there; 10000 by default). It passes when the
 * core neither panics nor hangs: every task it starts ends by the
 * deadline (a task the core kills for a fault counts, and is fine).
 *
 * Three roles, by pid and argv:
 *   pid 1, the parent: holds init's handles (control, device tree) and
 *       passes neither on. It starts two children per online hart and,
 *       as they exit or as it kills one now and then, new ones until the
 *       deadline; it serves the endpoint they report their counts on
 *       (bound to the notification that says a child exited); then it
 *       prints a KTAP report and powers off.
 *   "child <seed> <deadline ns>": random calls until the deadline. Its one
 *       handle, slot 0, can only send on the parent's endpoint.
 *   anything else (a child's own spawns of this program): exits at once.
 *
 * A child fuzzes the core, not itself: it keeps out of bounds only what
 * would block it for ever or wreck its own memory. No console read;
 * sleeps and timed receives of at most 2 ms; a receive or a notification
 * wait only where something is sure to come; munmap only of what it
 * mapped, or of the mmap area; no pointer into its own image or stack;
 * console writes only of one fixed line, rarely. Everything else is fair
 * game: dead handles, pointers to nothing or into the kernel, huge sizes.
 *
 * Knobs, as name=value words on the kernel command line (the core hands
 * unknown ones to pid 1's environment; the parent passes _all on):
 *   syscall_fuzz_seed=N     replay the parent's random choices (printed)
 *   syscall_fuzz_all=1      also the calls that hit known core bugs (see
 *                           tame_call(), tame_munmap(), SYS_mmap in tame())
 *   syscall_fuzz_serve_us=N the parent's timed receive (10000): small values
 *                           make timed waits race their wake-ups often
 *   syscall_fuzz_hold=S     before killing hung tasks, S seconds for gdb
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keel.h"

#define CHILDREN_PER_HART 2
#define MAX_CHILDREN	  512 /* live at once; more harts than this share */
/*
 * Past the deadline a live child is hung, unless it said it stopped: then
 * the core may still be freeing it. Tasks exiting at once drop their
 * handles under the one ipc_lock, a ticket lock, and with more QEMU harts
 * than host cores that convoy has taken 7 s (-smp 4 on 2 cores).
 */
#define HANG_GRACE_MS	 2000
#define EXIT_GRACE_MS	 10000
#define KILL_EVERY_MS	 1000  /* the parent kills a random child this often */
#define SERVE_TIMEOUT_US 10000 /* the parent's receive (syscall_fuzz_serve_us=) */
#define REPORT_EVERY	 64    /* calls between a child's reports */
#define EXIT_ONE_IN	 5000  /* a child exits on purpose */
#define FAULT_ONE_IN	 20000 /* a child faults on purpose */
#define TIME_ONE_IN	 8     /* calls timed, for the slowest one */
#define DEADLINE_EVERY	 4     /* calls between looks at the clock (a power of 2) */

/* A child's report: w[0] calls, w[1] of them returned >= 0, w[2] the slowest (us), w[3] its number.
 */
#define FUZZ_REPORT 0x5ca11f0221UL
/* A child's last message: w[0] how late after the deadline it stopped (us). */
#define FUZZ_DONE 0x5ca11f0222UL

/* The layout every program has (servers/lib/user.ld, core/mm/as.h). */
#define FUZZ_PAGE	   4096UL
#define FUZZ_IMAGE_LO	   0x10000UL	  /* user.ld: text from here */
#define FUZZ_MMAP_BASE	   0x1000000000UL /* as.h USER_MMAP_BASE */
#define FUZZ_USER_TOP	   0x4000000000UL /* as.h USER_TOP */
#define FUZZ_STACK_LO	   (FUZZ_USER_TOP - FUZZ_PAGE - 256 * 1024UL)
#define FUZZ_KERNEL_DIRECT 0xffffffc000000000UL /* the core's direct map */
#define FUZZ_KERNEL_IMAGE  0xffffffff80000000UL /* the core's image */

#define SCRATCH_SIZE (16 * FUZZ_PAGE)
#define MAX_MAPS     32
#define MAX_KIDS     8
#define MUNMAP_MAX   (16UL << 20) /* see tame_munmap() */
#define MMAP_MAX     (4UL << 20)  /* see tame(), SYS_mmap */
#define MEM_MAX	     (1UL << 20)  /* likewise, for mem_create */
#define HANDLES	     64		  /* slots per task (docs/syscalls.md) */

#define FUZZ_MIN(a, b) ((a) < (b) ? (a) : (b))

extern char _end[]; /* user.ld: the end of bss */

static uint64_t rng_next(uint64_t *s)
{
	/* xorshift64* (Vigna, "An experimental exploration of Marsaglia's xorshift generators") */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

/* --- a child ------------------------------------------------------------- */

enum { H_EMPTY, H_EP, H_NOTIF, H_MEM, H_UNKNOWN };

/* What a child knows of one of its handle slots. */
struct slot {
	unsigned char kind;
	unsigned char bound; /* an endpoint with a notification bound to it */
	unsigned int obj;    /* which object: dups share it */
	unsigned int rights;
};

struct fuzz {
	uint64_t rng;
	uint64_t deadline;	 /* time_ns */
	unsigned long calls, ok; /* since the last report */
	uint64_t slowest_ns;	 /* of the calls timed since the last report */
	long slowest_nr;
	unsigned int next_obj;
	struct slot h[HANDLES];
	struct {
		uintptr_t va;
		size_t size;
	} maps[MAX_MAPS]; /* [0] is the scratch area (va 0 once unmapped) */
	unsigned int nmaps;
	long kids[MAX_KIDS];
	unsigned int nkids;
	int all; /* syscall_fuzz_all=1: also what hits known core bugs */
};

static uint64_t rnd(struct fuzz *f)
{
	return rng_next(&f->rng);
}

static int one_in(struct fuzz *f, unsigned int n)
{
	return rnd(f) % n == 0;
}

/*
 * This program first; then names of nothing; last, FUZZ_NOT_ELF entries
 * that are no program (spawn logs a line for each).
 */
static const char *const fuzz_paths[] = {
	"/bin/syscall_fuzz",
	"/nonexistent",
	"",
	"/bin/syscall_fuzz/",
	"/bin/syscall_fuzz.",
	"/bin/syscall_fuz",
	"//bin/../bin/syscall_fuzz",
	"/etc/initcalls",
	"/bin",
	"/",
};
#define FUZZ_NPATHS  (sizeof(fuzz_paths) / sizeof(fuzz_paths[0]))
#define FUZZ_NOT_ELF 3
static char *const quit_argv[] = { "syscall_fuzz", "quit", NULL };
static char *const bad_argv[] = { "syscall_fuzz", (char *)FUZZ_KERNEL_IMAGE, NULL };
static const long spawn_handles[KEEL_SPAWN_HANDLES] = { 0, 1, 2, 3, 5, 63, 64, -1 };
static const char fuzz_line[] = "syscall-fuzz: a line from a child\n";

/* A pointer the core must refuse: nothing mapped there, or the kernel. */
static uintptr_t bad_ptr(struct fuzz *f)
{
	static const uintptr_t bad[] = {
		0,
		8,
		FUZZ_PAGE - 1,
		FUZZ_IMAGE_LO - 8,
		0x10000000UL,
		FUZZ_MMAP_BASE - 8,
		0x2000000000UL,
		FUZZ_USER_TOP - 8,
		FUZZ_USER_TOP,
		0x8000000000UL,
		0x0000800000000000UL,
		0x8000000000000000UL,
		0x80200000UL,
		FUZZ_KERNEL_DIRECT,
		FUZZ_KERNEL_DIRECT + 0x200000,
		FUZZ_KERNEL_IMAGE,
		FUZZ_KERNEL_IMAGE + 0x1000,
		~0UL - 7,
	};

	return bad[rnd(f) % (sizeof(bad) / sizeof(bad[0]))];
}

/* A pointer into memory the child mapped (scratch or a map), maybe near its end. */
static uintptr_t map_ptr(struct fuzz *f)
{
	unsigned int i = (unsigned int)(rnd(f) % f->nmaps);

	if (!f->maps[i].va)
		return bad_ptr(f);
	if (one_in(f, 4)) /* a copy that runs off the end into the guard page */
		return f->maps[i].va + f->maps[i].size - rnd(f) % 64;
	return f->maps[i].va + rnd(f) % f->maps[i].size;
}

static uint64_t pick_size(struct fuzz *f)
{
	static const uint64_t sizes[] = {
		0,
		1,
		7,
		8,
		16,
		64,
		255,
		256,
		257,
		4095,
		4096,
		4097,
		8192,
		65536,
		1UL << 20,
		16UL << 20,
		(16UL << 20) + 1,
		1UL << 30,
		(1UL << 30) + 1,
		1UL << 32,
		1UL << 40,
		~0UL,
		0x7fffffffffffffffUL,
		0x8000000000000000UL,
		0x7fffffffUL,
	};

	return sizes[rnd(f) % (sizeof(sizes) / sizeof(sizes[0]))];
}

/* A handle number: mostly a slot, often one that holds something. */
static long pick_handle(struct fuzz *f)
{
	switch (rnd(f) % 8) {
	case 0:
		return -1;
	case 1:
		return (long)(rnd(f) % 4 ? HANDLES : rnd(f));
	case 2:
	case 3:
		return (long)(rnd(f) % HANDLES);
	default:
		for (int tries = 0; tries < 8; tries++) {
			long h = (long)(rnd(f) % HANDLES);

			if (f->h[h].kind != H_EMPTY)
				return h;
		}
		return 0;
	}
}

static unsigned long pick_arg(struct fuzz *f)
{
	switch (rnd(f) % 16) {
	case 0:
		return 0;
	case 1:
		return ~0UL;
	case 2:
		return rnd(f) % 71;
	case 3:
		return (unsigned long)pick_handle(f);
	case 4:
		return map_ptr(f);
	case 5:
		return (rnd(f) % 64) * FUZZ_PAGE;
	case 6:
		return bad_ptr(f);
	case 7:
		return pick_size(f);
	case 8:
		return f->maps[0].va ? f->maps[0].va + (rnd(f) % 16) * FUZZ_PAGE : 0;
	case 9:
		return rnd(f);
	case 10:
		return 1UL << (rnd(f) % 64);
	case 11:
		return -(rnd(f) % 16);
	case 12:
		return FUZZ_MMAP_BASE + (rnd(f) % 4096) * FUZZ_PAGE;
	case 13:
		return rnd(f) & 0xffffffffUL;
	default:
		return map_ptr(f);
	}
}

/* Keep a value away from the child's own image and stack: the core would write there. */
static unsigned long no_self(struct fuzz *f, unsigned long v)
{
	if ((v >= FUZZ_IMAGE_LO && v < (uintptr_t)_end + FUZZ_PAGE) ||
	    (v >= FUZZ_STACK_LO - FUZZ_PAGE && v < FUZZ_USER_TOP - FUZZ_PAGE))
		return map_ptr(f);
	return v;
}

static int recv_blocks(const struct fuzz *f, long h);
static void reap_kids(struct fuzz *f);

/* A system call number: any (exit aside), and now and then none at all. */
static long pick_nr(struct fuzz *f)
{
	long nr;

	if (one_in(f, 64))
		return one_in(f, 2) ? -1L : (long)(rnd(f) | SYS_MAX);
	do
		nr = (long)(rnd(f) % (SYS_MAX + 3));
	while (nr == SYS_exit);
	return nr;
}

static int holds_send(const struct fuzz *f, unsigned int obj)
{
	for (int i = 0; i < HANDLES; i++)
		if (f->h[i].kind == H_EP && f->h[i].obj == obj && (f->h[i].rights & KEEL_R_SEND))
			return 1;
	return 0;
}

/*
 * Would a receive on @h wait for ever? It would on an endpoint this child
 * may receive on while it may also send there itself (no one else will)
 * or a notification is bound (nobody signals it), and on what it does
 * not know.
 */
static int recv_blocks(const struct fuzz *f, long h)
{
	const struct slot *s;

	if (h < 0 || h >= HANDLES)
		return 0;
	s = &f->h[h];
	if (s->kind == H_UNKNOWN)
		return 1;
	if (s->kind != H_EP || !(s->rights & KEEL_R_RECEIVE))
		return 0;
	return s->bound || holds_send(f, s->obj);
}

/* A slot of the same notification that may signal it, or -1. */
static long signaller(const struct fuzz *f, long h)
{
	for (long i = 0; i < HANDLES; i++)
		if (f->h[i].kind == H_NOTIF && f->h[i].obj == f->h[h].obj &&
		    (f->h[i].rights & KEEL_R_SIGNAL))
			return i;
	return -1;
}

static unsigned long syscall7(long nr, unsigned long a[7])
{
	register unsigned long r0 __asm__("a0") = a[0];
	register unsigned long r1 __asm__("a1") = a[1];
	register unsigned long r2 __asm__("a2") = a[2];
	register unsigned long r3 __asm__("a3") = a[3];
	register unsigned long r4 __asm__("a4") = a[4];
	register unsigned long r5 __asm__("a5") = a[5];
	register unsigned long r6 __asm__("a6") = a[6];
	register long r7 __asm__("a7") = nr;

	__asm__ __volatile__("ecall"
			     : "+r"(r0), "+r"(r1), "+r"(r2), "+r"(r3), "+r"(r4), "+r"(r5), "+r"(r6)
			     : "r"(r7)
			     : KEEL_ECALL_CLOBBERS);
	a[0] = r0, a[1] = r1, a[2] = r2, a[3] = r3, a[4] = r4, a[5] = r5, a[6] = r6;
	return r0;
}

/* spawn and spawn_mem: argv, envp, handles and their number in a1-a4. */
static void tame_spawn(struct fuzz *f, long nr, unsigned long a[7])
{
	/*
	 * A path from the table or one the core cannot read. Loading the
	 * program costs a few hundred pages, so it is the path 1 time in 8;
	 * a non-ELF file costs a log line, so 1 in 64.
	 */
	if (nr == SYS_spawn_mem) {
		/* Its memory holds no program (a log line each): rarely a real one. */
		if (a[0] < HANDLES && f->h[a[0]].kind == H_MEM && !one_in(f, 64))
			a[0] = (unsigned long)KEEL_HANDLE_NONE;
	} else if (one_in(f, 4)) {
		a[0] = bad_ptr(f);
	} else if (one_in(f, 8)) {
		a[0] = (uintptr_t)fuzz_paths[0];
	} else if (one_in(f, 64)) {
		a[0] = (uintptr_t)fuzz_paths[FUZZ_NPATHS - 1 - rnd(f) % FUZZ_NOT_ELF];
	} else {
		a[0] = (uintptr_t)fuzz_paths[1 + rnd(f) % (FUZZ_NPATHS - 1 - FUZZ_NOT_ELF)];
	}
	/* The child it may start must take the "quit" role. */
	switch (rnd(f) % 5) {
	case 0:
		a[1] = 0;
		break;
	case 1:
		a[1] = (uintptr_t)bad_argv;
		break;
	case 2:
		a[1] = bad_ptr(f);
		break;
	default:
		a[1] = (uintptr_t)quit_argv;
		break;
	}
	if (one_in(f, 2))
		a[2] = one_in(f, 2) ? (uintptr_t)quit_argv : 0;
	if (one_in(f, 2))
		a[3] = (uintptr_t)spawn_handles + (rnd(f) % 4) * sizeof(long);
	a[4] = one_in(f, 4) ? a[4] : rnd(f) % (KEEL_SPAWN_HANDLES + 2);
	if (f->nkids == MAX_KIDS) /* no room to remember another */
		a[0] = nr == SYS_spawn ? bad_ptr(f) : (unsigned long)KEEL_HANDLE_NONE;
}

static void tame_munmap(struct fuzz *f, unsigned long a[7])
{
	unsigned int i = (unsigned int)(rnd(f) % f->nmaps);

	switch (rnd(f) % 4) {
	case 0: /* in the mmap area, below the stack */
		a[0] = FUZZ_MMAP_BASE + (rnd(f) % 65536) * FUZZ_PAGE;
		a[1] = pick_size(f);
		break;
	case 1: /* what the core must refuse */
		a[0] = one_in(f, 2) ? bad_ptr(f) : f->maps[i].va + 1;
		break;
	default: /* some pages of a map, or the whole of it */
		if (!f->maps[i].va) {
			a[0] = bad_ptr(f);
			break;
		}
		a[0] = f->maps[i].va;
		a[1] = f->maps[i].size;
		if (one_in(f, 2)) {
			unsigned long pages = f->maps[i].size / FUZZ_PAGE;
			unsigned long first = rnd(f) % pages;

			a[0] += first * FUZZ_PAGE;
			a[1] = (1 + rnd(f) % (pages - first)) * FUZZ_PAGE - rnd(f) % 2;
		}
		break;
	}
	/* Whatever the case picked: never the image, never the stack. */
	if (a[0] >= FUZZ_IMAGE_LO && a[0] < FUZZ_MMAP_BASE)
		a[0] = bad_ptr(f) | 1;
	if (a[0] >= FUZZ_MMAP_BASE && a[0] < FUZZ_USER_TOP &&
	    a[1] > FUZZ_STACK_LO - FUZZ_PAGE - a[0])
		a[1] = FUZZ_STACK_LO - FUZZ_PAGE - a[0];
	/*
	 * as_munmap() costs time in the size of the range, mapped or not, and
	 * a kill waits for its end: 1 GiB takes over a second under TCG, the
	 * whole mmap area many minutes. Bounded, unless syscall_fuzz_all=1.
	 */
	if (!f->all && a[1] > MUNMAP_MAX)
		a[1] = MUNMAP_MAX;
}

/*
 * Two holes in the core's "a call never waits for a receiver that cannot
 * come" (ipc.c), kept out unless syscall_fuzz_all=1:
 *  - the check counts the caller's receive handles, not the one riding
 *    in its own message: a call on endpoint E passing E (with receive)
 *    queues for ever;
 *  - it is made once, at the call: when another holder of receive on E
 *    (a child it spawned with E) exits, leaving only the caller's own,
 *    the queued caller is not failed.
 * So: no endpoint passed on itself, and a child's own endpoints are
 * called only while it has no children (which could hold copies).
 */
static void tame_call(struct fuzz *f, unsigned long a[7])
{
	long h = (long)a[0], x = (long)a[6];

	if (h < 0 || h >= HANDLES || f->h[h].kind != H_EP || !f->h[h].obj)
		return; /* no endpoint, or the parent's: it always receives */
	if (x >= 0 && x < HANDLES && f->h[x].kind == H_EP && f->h[x].obj == f->h[h].obj)
		a[6] = (unsigned long)KEEL_HANDLE_NONE;
	reap_kids(f);
}

/*
 * Bend a call that could block for ever or hurt the child itself; the
 * number to make (it may change: a blocking receive becomes a timed one).
 */
static long tame(struct fuzz *f, long nr, unsigned long a[7])
{
	long h = (long)a[0];

	switch (nr) {
	case SYS_write:
		if (a[0] == 1 || a[0] == 2) {
			if (one_in(f, 256)) {
				a[1] = (uintptr_t)fuzz_line;
				a[2] = sizeof(fuzz_line) - 1;
			} else if (one_in(f, 2)) {
				a[2] = 0;
			} else {
				a[1] = bad_ptr(f);
			}
		}
		break;
	case SYS_read:
		if (a[0] == 0)
			a[2] = 0; /* console input never comes */
		break;
	case SYS_sleep_us:
	case SYS_ipc_recv_timeout:
		a[nr == SYS_sleep_us ? 0 : 1] = rnd(f) % 2001;
		break;
	case SYS_spawn:
	case SYS_spawn_mem:
		tame_spawn(f, nr, a);
		break;
	case SYS_wait:
		if (f->nkids && one_in(f, 2))
			a[0] = (unsigned long)f->kids[rnd(f) % f->nkids];
		break;
	case SYS_ipc_call:
		if (h >= 0 && h < HANDLES && f->h[h].kind == H_UNKNOWN)
			return SYS_getpid;
		if (a[1] == FUZZ_REPORT || a[1] == FUZZ_DONE)
			a[1] += 2;
		a[6] = (unsigned long)pick_handle(f);
		if (!f->all)
			tame_call(f, a);
		break;
	case SYS_ipc_recv:
	case SYS_ipc_reply_recv:
		a[6] = (unsigned long)pick_handle(f);
		if (recv_blocks(f, h)) {
			a[1] = rnd(f) % 2001;
			return SYS_ipc_recv_timeout;
		}
		break;
	case SYS_ipc_reply:
		a[6] = (unsigned long)pick_handle(f);
		break;
	case SYS_notif_wait:
		if (h >= 0 && h < HANDLES && f->h[h].kind == H_UNKNOWN)
			return SYS_getpid;
		if (h >= 0 && h < HANDLES && f->h[h].kind == H_NOTIF &&
		    (f->h[h].rights & KEEL_R_WAIT)) {
			long s = signaller(f, h);

			if (s < 0)
				return SYS_getpid; /* nobody could wake it */
			keel_notif_signal(s, rnd(f) | 1);
			f->calls++;
		}
		break;
	case SYS_mmap:
		if (one_in(f, 2))
			a[0] = (unsigned long)KEEL_HANDLE_NONE;
		if (!one_in(f, 4))
			a[1] = 0;
		/*
		 * as_mmap() allocates and zeroes every page at once, and a
		 * kill waits for it: 1 GiB (the most it takes) empties RAM for
		 * seconds, and the exits that give it back take pmem_lock once
		 * a page, from every hart at once. Bounded, unless
		 * syscall_fuzz_all=1.
		 */
		if (a[2] > MMAP_MAX && a[2] <= (1UL << 30) && (!f->all || !one_in(f, 8)))
			a[2] = (rnd(f) % 64 + 1) * FUZZ_PAGE;
		if (one_in(f, 2))
			a[3] = KEEL_PROT_READ | (rnd(f) % 2 ? KEEL_PROT_WRITE : 0);
		if (f->nmaps == MAX_MAPS)
			a[2] = 0; /* no room to remember it */
		break;
	case SYS_munmap:
		tame_munmap(f, a);
		break;
	case SYS_mem_create:
		if (a[0] > MEM_MAX && a[0] <= (16UL << 20) && (!f->all || !one_in(f, 8)))
			a[0] = (rnd(f) % 64 + 1) * FUZZ_PAGE; /* as for mmap */
		break;
	case SYS_handle_close:
		if (a[0] == 0)
			a[0] = (unsigned long)(1 + rnd(f) % (HANDLES - 1)); /* the report line */
		break;
	case SYS_initrd_read:
		if (one_in(f, 2))
			a[0] = (uintptr_t)fuzz_paths[rnd(f) % FUZZ_NPATHS];
		break;
	}
	return nr;
}

static void new_slot(struct fuzz *f, long h, int kind, unsigned int rights)
{
	if (h < 0 || h >= HANDLES)
		return;
	f->h[h] = (struct slot){ .kind = (unsigned char)kind,
				 .obj = ++f->next_obj,
				 .rights = rights };
}

static void forget_kid(struct fuzz *f, long pid)
{
	for (unsigned int i = 0; i < f->nkids; i++) {
		if (f->kids[i] != pid)
			continue;
		f->kids[i] = f->kids[--f->nkids];
		return;
	}
}

static void forget_maps(struct fuzz *f, uintptr_t va, size_t size)
{
	size = (size + FUZZ_PAGE - 1) & ~(FUZZ_PAGE - 1);
	for (unsigned int i = 0; i < f->nmaps; i++) {
		if (!f->maps[i].va || f->maps[i].va < va ||
		    f->maps[i].va + f->maps[i].size > va + size)
			continue;
		if (i == 0) {
			f->maps[0].va = 0; /* the scratch area stays in its slot */
		} else {
			f->maps[i--] = f->maps[--f->nmaps];
		}
	}
}

/* What a call that worked changed: handles, maps, children. @in: its arguments. */
static void learn(struct fuzz *f, long nr, const unsigned long in[7], const unsigned long out[7])
{
	long r = (long)out[0], h = (long)in[0];

	switch (nr) {
	case SYS_ep_create:
		new_slot(f, r, H_EP, KEEL_R_EP_ALL);
		break;
	case SYS_notif_create:
		new_slot(f, r, H_NOTIF, KEEL_R_NOTIF_ALL);
		break;
	case SYS_mem_create:
		new_slot(f, r, H_MEM, KEEL_R_MEM_ALL);
		break;
	case SYS_mmio_create:
	case SYS_irq_create:
		new_slot(f, r, H_UNKNOWN, 0);
		break;
	case SYS_handle_dup:
		if (r >= 0 && r < HANDLES) {
			f->h[r] = h >= 0 && h < HANDLES ? f->h[h]
							: (struct slot){ H_UNKNOWN, 0, 0, 0 };
			f->h[r].rights = (unsigned int)in[1];
		}
		break;
	case SYS_handle_close:
		f->h[h].kind = H_EMPTY;
		break;
	case SYS_ep_bind:
		for (int i = 0; i < HANDLES; i++)
			if (f->h[i].kind == H_EP && f->h[i].obj == f->h[h].obj)
				f->h[i].bound = 1;
		break;
	case SYS_ipc_call:
	case SYS_ipc_recv:
	case SYS_ipc_reply_recv:
	case SYS_ipc_recv_timeout:
		if ((long)out[6] != KEEL_HANDLE_NONE)
			new_slot(f, (long)out[6], H_UNKNOWN, 0);
		break;
	case SYS_mmap:
		if (f->nmaps < MAX_MAPS) {
			f->maps[f->nmaps].va = (uintptr_t)r;
			f->maps[f->nmaps++].size = (in[2] + FUZZ_PAGE - 1) & ~(FUZZ_PAGE - 1);
		}
		break;
	case SYS_munmap:
		forget_maps(f, in[0], in[1]);
		break;
	case SYS_spawn:
	case SYS_spawn_mem:
		if (f->nkids < MAX_KIDS)
			f->kids[f->nkids++] = r;
		break;
	case SYS_wait:
	case SYS_wait_any:
		forget_kid(f, r);
		break;
	}
}

static void fuzz_one(struct fuzz *f)
{
	unsigned long in[7], a[7];
	long nr = pick_nr(f);
	int timed = one_in(f, TIME_ONE_IN);
	uint64_t t0 = timed ? keel_time_ns() : 0;
	long r;

	for (int i = 0; i < 7; i++)
		in[i] = no_self(f, pick_arg(f));
	nr = tame(f, nr, in);
	memcpy(a, in, sizeof(a));
	f->calls++;
	r = (long)syscall7(nr, a);
	if (timed && keel_time_ns() - t0 > f->slowest_ns) {
		f->slowest_ns = keel_time_ns() - t0;
		f->slowest_nr = nr;
	}
	if (r >= 0) {
		f->ok++;
		learn(f, nr, in, a);
	}
}

static void report(struct fuzz *f)
{
	struct keel_msg m = { FUZZ_REPORT,
			      { f->calls, f->ok, f->slowest_ns / 1000,
				(unsigned long)f->slowest_nr },
			      KEEL_HANDLE_NONE },
			r;

	if (keel_ipc_call(0, &m, &r) == 0)
		f->calls = f->ok = f->slowest_ns = 0;
}

/* The last word: how late after the deadline it stopped (us). */
static void done(struct fuzz *f)
{
	uint64_t now = keel_time_ns();
	struct keel_msg m = { FUZZ_DONE,
			      { now > f->deadline ? (now - f->deadline) / 1000 : 0 },
			      KEEL_HANDLE_NONE },
			r;

	keel_ipc_call(0, &m, &r);
}

static void reap_kids(struct fuzz *f)
{
	while (f->nkids)
		if (keel_wait(f->kids[--f->nkids], NULL) < 0)
			continue;
}

static int run_child(uint64_t seed, uint64_t deadline)
{
	static struct fuzz fz;
	struct fuzz *f = &fz;
	long va = keel_mmap(KEEL_HANDLE_NONE, 0, SCRATCH_SIZE, KEEL_PROT_READ | KEEL_PROT_WRITE);

	f->rng = seed | 1;
	f->deadline = deadline;
	f->all = getenv("syscall_fuzz_all") != NULL;
	f->h[0] = (struct slot){ H_EP, 0, 0, KEEL_R_SEND | KEEL_R_DUPLICATE | KEEL_R_TRANSFER };
	f->maps[0].va = va < 0 ? 0 : (uintptr_t)va;
	f->maps[0].size = SCRATCH_SIZE;
	f->nmaps = 1;
	for (unsigned long i = 0;; i++) {
		if (!(i & (DEADLINE_EVERY - 1)) && keel_time_ns() >= f->deadline)
			break;
		if (f->calls >= REPORT_EVERY)
			report(f);
		if (one_in(f, EXIT_ONE_IN)) {
			report(f);
			if (one_in(f, 2))
				reap_kids(f); /* else they outlive it */
			return (int)(rnd(f) % 0x100);
		}
		if (one_in(f, FAULT_ONE_IN)) {
			report(f);
			return *(volatile int *)bad_ptr(f);
		}
		fuzz_one(f);
	}
	report(f);
	done(f);
	reap_kids(f);
	return 0;
}

/* --- the parent ---------------------------------------------------------- */

#define EXIT_FAULT   0x100 /* | scause: a fault killed it (docs/syscalls.md) */
#define EXIT_KILLED  0x209 /* ended by kill */
#define PS_DEAD	     3	   /* struct keel_ps state */
#define CHILD_EXITED 1	   /* the bit child_notif signals */

struct parent {
	uint64_t rng, seed;
	uint64_t start, deadline; /* time_ns */
	long ep, give;		  /* the endpoint; the children's send-only copy */
	unsigned int harts, target;
	struct {
		long pid;
		int stopped; /* it said FUZZ_DONE: it is in its exit */
		uint64_t stopped_ns;
	} live[MAX_CHILDREN];
	unsigned int nlive;
	unsigned long calls, ok, messages;
	unsigned long slowest_us;
	long slowest_nr;
	unsigned long latest_us;       /* the latest a child stopped after the deadline */
	unsigned long slowest_exit_us; /* from a child's FUZZ_DONE to its reaping */
	unsigned int started, normal, on_purpose, faulted, killed, missed, spawn_failed;
	long spawn_err;
	int all;	   /* pass syscall_fuzz_all on */
	uint64_t serve_us; /* its timed receive: it reaps between */
};

static char *const all_envp[] = { "syscall_fuzz_all=1", NULL };

static struct keel_ps ps_buf[1024];
static struct keel_hart hart_buf[1024];

static unsigned int online_harts(void)
{
	long n = keel_harts(hart_buf, sizeof(hart_buf) / sizeof(hart_buf[0]));
	unsigned int up = 0;

	for (long i = 0; i < n; i++)
		up += hart_buf[i].online != 0;
	return up ? up : 1;
}

static void spawn_child(struct parent *p)
{
	char seed[24], deadline[24];
	char *argv[] = { "syscall_fuzz", "child", seed, deadline, NULL };
	long pid;

	snprintf(seed, sizeof(seed), "%llu", (unsigned long long)rng_next(&p->rng));
	snprintf(deadline, sizeof(deadline), "%llu", (unsigned long long)p->deadline);
	pid = keel_spawn_h("/bin/syscall_fuzz", argv, p->all ? all_envp : NULL, &p->give, 1);
	if (pid < 0) {
		p->spawn_failed++;
		p->spawn_err = pid;
		return;
	}
	p->live[p->nlive].pid = pid;
	p->live[p->nlive++].stopped = 0;
	p->started++;
}

static void child_gone(struct parent *p, long pid, int status)
{
	for (unsigned int i = 0; i < p->nlive; i++) {
		if (p->live[i].pid != pid)
			continue;
		if (p->live[i].stopped &&
		    (keel_time_ns() - p->live[i].stopped_ns) / 1000 > p->slowest_exit_us)
			p->slowest_exit_us = (keel_time_ns() - p->live[i].stopped_ns) / 1000;
		p->live[i] = p->live[--p->nlive];
		break;
	}
	if (status == 0)
		p->normal++;
	else if (status == EXIT_KILLED)
		p->killed++;
	else if (status & EXIT_FAULT)
		p->faulted++;
	else
		p->on_purpose++;
}

static void reap(struct parent *p)
{
	int status;
	long pid;

	while ((pid = keel_wait_any(&status, KEEL_WNOHANG)) > 0)
		child_gone(p, pid, status);
}

/*
 * A child ps shows dead that wait_any() did not hand back: reap it with
 * wait() and count it (wait_any() should never miss one).
 */
static void reap_missed(struct parent *p)
{
	long n = keel_ps(ps_buf, sizeof(ps_buf) / sizeof(ps_buf[0]));

	reap(p);
	for (long i = 0; i < n; i++) {
		int status;

		if (ps_buf[i].ppid != 1 || ps_buf[i].state != PS_DEAD)
			continue;
		for (unsigned int j = 0; j < p->nlive; j++) {
			if (p->live[j].pid != ps_buf[i].pid)
				continue;
			if (keel_wait(ps_buf[i].pid, &status) == ps_buf[i].pid) {
				p->missed++;
				child_gone(p, ps_buf[i].pid, status);
			}
			break;
		}
	}
}

/* Answer one message from a child; a report adds to the counts. */
static void serve(struct parent *p, long pid, const struct keel_msg *in)
{
	struct keel_msg out = { in->label + 1,
				{ in->w[3], in->w[2], in->w[1], in->w[0] },
				KEEL_HANDLE_NONE };

	if (in->handle > p->give) /* a handle a child passed: not ours to keep */
		keel_handle_close(in->handle);
	if (in->label == FUZZ_REPORT) {
		p->calls += in->w[0];
		p->ok += in->w[1];
		if (in->w[2] > p->slowest_us) {
			p->slowest_us = in->w[2];
			p->slowest_nr = (long)in->w[3];
		}
	} else if (in->label == FUZZ_DONE) {
		p->latest_us = in->w[0] > p->latest_us ? in->w[0] : p->latest_us;
		for (unsigned int i = 0; i < p->nlive; i++)
			if (p->live[i].pid == pid) {
				p->live[i].stopped = 1;
				p->live[i].stopped_ns = keel_time_ns();
			}
	} else {
		p->messages++;
	}
	keel_ipc_reply(&out);
}

static uint64_t now_ms(const struct parent *p)
{
	return (keel_time_ns() - p->start) / 1000000;
}

static int all_stopped(const struct parent *p)
{
	for (unsigned int i = 0; i < p->nlive; i++)
		if (!p->live[i].stopped)
			return 0;
	return 1;
}

/*
 * Serve, reap and restart children until the deadline, then until all
 * are gone, or one has not stopped HANG_GRACE_MS after the deadline, or
 * one that stopped is not gone EXIT_GRACE_MS later still.
 */
static void supervise(struct parent *p)
{
	uint64_t last_kill = 0, last_scan = 0, ms = (p->deadline - p->start) / 1000000;

	for (;;) {
		struct keel_msg m;
		uint64_t t = now_ms(p);
		long r;

		if ((t >= ms && !p->nlive) || t >= ms + HANG_GRACE_MS + EXIT_GRACE_MS ||
		    (t >= ms + HANG_GRACE_MS && !all_stopped(p)))
			return;
		r = keel_ipc_recv_timeout(p->ep, &m, p->serve_us);
		if (r > 0)
			serve(p, r, &m);
		reap(p);
		t = now_ms(p);
		if (t >= last_scan + 100) {
			reap_missed(p);
			last_scan = t;
		}
		if (t < ms && t >= last_kill + KILL_EVERY_MS && p->nlive > 1) {
			keel_kill(KEEL_H_INIT_CONTROL, p->live[rng_next(&p->rng) % p->nlive].pid);
			last_kill = t;
		}
		while (t < ms && p->nlive < p->target && p->spawn_failed < 10000) {
			unsigned int failed = p->spawn_failed;

			spawn_child(p);
			if (p->spawn_failed != failed)
				break; /* out of something: try again next turn */
		}
	}
}

/* Children still there past the grace time: name them, then kill them. */
static unsigned int report_hung(struct parent *p)
{
	long n = keel_ps(ps_buf, sizeof(ps_buf) / sizeof(ps_buf[0]));
	uint64_t ms = (p->deadline - p->start) / 1000000;
	unsigned int hung = p->nlive;

	for (unsigned int j = 0; j < p->nlive; j++) {
		int state = -1;

		for (long i = 0; i < n; i++)
			if (ps_buf[i].pid == p->live[j].pid)
				state = ps_buf[i].state;
		printf("# syscall-fuzz: pid %ld still there %lu ms after the deadline (state %d), "
		       "%s\n",
		       p->live[j].pid, (unsigned long)(now_ms(p) - ms), state,
		       p->live[j].stopped ? "in its exit" : "still fuzzing");
	}
	/* syscall_fuzz_hold=S: S seconds for a debugger to look before the kills. */
	if (getenv("syscall_fuzz_hold"))
		keel_sleep_us(strtoull(getenv("syscall_fuzz_hold"), NULL, 10) * 1000000);
	for (unsigned int j = 0; j < p->nlive; j++)
		keel_kill(KEEL_H_INIT_CONTROL, p->live[j].pid);
	keel_sleep_us(500000);
	reap_missed(p);
	if (p->nlive)
		printf("# syscall-fuzz: %u of them survived a kill\n", p->nlive);
	return hung;
}

static int run_parent(void)
{
	static struct parent par;
	struct parent *p = &par;
	const char *ms_env = getenv("syscall_fuzz_ms"), *seed_env = getenv("syscall_fuzz_seed");
	unsigned long ms = ms_env ? strtoul(ms_env, NULL, 10) : 10000;
	long notif;
	unsigned int hung = 0;

	p->seed = seed_env ? strtoull(seed_env, NULL, 0) : keel_time_ns() * 0x9e3779b97f4a7c15ULL;
	p->rng = p->seed | 1;
	p->all = getenv("syscall_fuzz_all") != NULL;
	p->serve_us = getenv("syscall_fuzz_serve_us")
			      ? strtoull(getenv("syscall_fuzz_serve_us"), NULL, 10)
			      : SERVE_TIMEOUT_US;
	p->harts = online_harts();
	p->target = FUZZ_MIN(CHILDREN_PER_HART * p->harts, MAX_CHILDREN);
	p->ep = keel_ep_create();
	notif = keel_notif_create();
	if (p->ep < 0 || notif < 0 || keel_ep_bind(p->ep, notif) ||
	    keel_child_notif(notif, CHILD_EXITED)) {
		printf("KTAP version 1\n1..1\nnot ok 1 syscall-fuzz # no endpoint: %s\n",
		       keel_strerror(p->ep < 0 ? p->ep : notif));
		keel_reboot(KEEL_H_INIT_CONTROL, KEEL_REBOOT_POWEROFF);
	}
	p->give = keel_handle_dup(p->ep, KEEL_R_SEND | KEEL_R_DUPLICATE | KEEL_R_TRANSFER);
	printf("KTAP version 1\n1..1\n");
	printf("# syscall-fuzz: %u tasks on %u harts for %lu ms, seed 0x%llx\n", p->target,
	       p->harts, ms, (unsigned long long)p->seed);
	p->start = keel_time_ns();
	p->deadline = p->start + ms * 1000000ULL;
	supervise(p);
	if (p->nlive)
		hung = report_hung(p);
	printf("# syscall-fuzz: %lu calls by %u tasks on %u harts in %lu ms; %u tasks faulted, "
	       "%u hung\n",
	       p->calls, p->started, p->harts, ms, p->faulted, hung);
	printf("# syscall-fuzz: %lu calls/s, %lu returned >= 0; tasks: %u ended at the deadline, "
	       "%u exited early, %u killed; %lu other messages\n",
	       ms ? p->calls * 1000 / ms : 0, p->ok, p->normal, p->on_purpose, p->killed,
	       p->messages);
	printf("# syscall-fuzz: the slowest call timed: number %ld, %lu us; the last child "
	       "stopped %lu us after the deadline; the slowest exit took %lu us\n",
	       p->slowest_nr, p->slowest_us, p->latest_us, p->slowest_exit_us);
	if (p->spawn_failed)
		printf("# syscall-fuzz: %u spawns failed, the last with %s\n", p->spawn_failed,
		       keel_strerror(p->spawn_err));
	if (p->missed)
		printf("# syscall-fuzz: wait_any missed %u exited children (ps saw them dead)\n",
		       p->missed);
	if (hung || !p->calls)
		printf("not ok 1 syscall-fuzz # %s\n", hung ? "tasks hung" : "no calls made");
	else
		printf("ok 1 syscall-fuzz\n");
	keel_reboot(KEEL_H_INIT_CONTROL, KEEL_REBOOT_POWEROFF);
	return 1;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "child"))
		return run_child(strtoull(argv[2], NULL, 10), strtoull(argv[3], NULL, 10));
	if (keel_getpid() == 1)
		return run_parent();
	return 0; /* a child's random spawn of this program */
}

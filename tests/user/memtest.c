/*
 * memtest.c - memory comes back: `memtest <case>`, run from the shell by
 * tests/boot/test_memory.py, which reads what it prints.
 *
 *	exhaust		a task maps anonymous memory until ENOMEM and exits (and
 *			the caller does the same and unmaps): every page is free
 *			again, and the largest contiguous block can be had again
 *	loop		10,000 cycles of mmap/munmap of 8 fresh pages, then of a
 *			memory object: free memory and address space do not grow
 *	objects		children hold 720 endpoints, 733 notifications and 1440
 *			memory objects at once (the old static pools had 256, 256
 *			and 512), then end; programs still start and the memory
 *			comes back
 *
 * Each checked rule prints "MEM_nnnn ok <what>" or "MEM_nnnn FAIL <what>",
 * figures as "memtest: <name> <value>"; the last line is "memtest: <case>:
 * <n> failed".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keel.h"

#define CHUNK	   (1024 * 1024)      /* what the hog maps at a time */
#define BIG	   (16 * 1024 * 1024) /* the largest mem_create */
#define CYCLES	   10000
#define LOOP_PAGES 8
#define HOLDERS	   12  /* children in `objects` */
#define HOLD_EPS   60  /* endpoints each holds by handle, each bound to a notification */
#define HOLD_MEMS  120 /* memory objects each holds by a mapping */

static int failures;

static void check(const char *id, int ok, const char *what, long got)
{
	printf("%s %s %s (got %ld)\n", id, ok ? "ok" : "FAIL", what, got);
	failures += !ok;
}

static struct keel_meminfo info(void)
{
	struct keel_meminfo m;

	memset(&m, 0, sizeof(m));
	if (keel_meminfo(&m))
		printf("memtest: meminfo failed\n");
	return m;
}

static void show(const char *when, const struct keel_meminfo *m)
{
	printf("memtest: %s free %lu KiB, largest %lu KiB, cached %lu KiB, objects %lu KiB\n", when,
	       m->free / 1024, m->largest / 1024, m->cached / 1024, m->objects / 1024);
}

/* Run @argv to its end; its exit status, or -1. */
static int run(char *const argv[], const long *handles, unsigned long n)
{
	char *envp[] = { NULL };
	long pid = keel_spawn_h(argv[0], argv, envp, handles, n);
	int status = -1;

	if (pid < 0) {
		printf("memtest: spawn %s: %s\n", argv[0], keel_strerror(pid));
		return -1;
	}
	if (keel_wait(pid, &status) < 0)
		return -1;
	return status;
}

/* Map CHUNKs until the core says ENOMEM; how many. */
static long hog(void **chunks, long max)
{
	long n = 0;

	while (n < max) {
		long va = keel_mmap(KEEL_HANDLE_NONE, 0, CHUNK, KEEL_PROT_READ | KEEL_PROT_WRITE);

		if (va < 0)
			break;
		chunks[n++] = (void *)va;
	}
	return n;
}

static int hog_main(void)
{
	static void *chunks[16384];

	printf("memtest: hog mapped %ld MiB\n", hog(chunks, 16384));
	return 0; /* exits holding it all */
}

static int exhaust(void)
{
	static void *chunks[16384];
	char *nop[] = { "/bin/nop", NULL }, *hogv[] = { "/bin/memtest", "hog", NULL };
	struct keel_meminfo before, after;
	long h, n;

	run(nop, NULL, 0);	  /* the kernel-stack slot a child takes, now cached */
	h = keel_mem_create(BIG); /* and our handle table exists from here on */
	check("MEM_0001", h >= 0, "16 MiB of contiguous memory at the start", h);
	keel_handle_close(h);
	before = info();
	show("before", &before);
	check("MEM_0002", run(hogv, NULL, 0) == 0, "a task maps memory until ENOMEM and exits", 0);
	after = info();
	show("after hog", &after);
	check("MEM_0003", after.free == before.free, "every page is free again after it exits",
	      (long)(before.free - after.free));
	h = keel_mem_create(BIG);
	check("MEM_0004", h >= 0, "16 MiB of contiguous memory again", h);
	keel_handle_close(h);
	after = info();
	check("MEM_0005", after.largest >= BIG && after.largest == before.largest,
	      "the largest free block is as big as at the start", (long)after.largest);

	n = hog(chunks, 16384);
	printf("memtest: this task mapped %ld MiB\n", n);
	for (long i = 0; i < n; i++)
		keel_munmap(chunks[i], CHUNK);
	h = keel_mem_create(BIG);
	check("MEM_0006", h >= 0, "16 MiB of contiguous memory after unmapping it all", h);
	keel_handle_close(h);
	after = info();
	show("after unmap", &after);
	check("MEM_0007", after.free == before.free, "every page is free after unmapping",
	      (long)(before.free - after.free));
	{
		struct keel_meminfo old;

		memset(&old, 0xff, sizeof(old));
		h = keel_syscall(SYS_meminfo, (long)&old, 0, 0, 0); /* as built before size */
		check("MEM_0008", !h && old.page_size == 4096 && old.largest == ~0UL,
		      "meminfo with size 0 fills the original three fields only", h);
	}
	printf("memtest: free blocks by order:");
	for (int o = 0; o < KEEL_MEMINFO_ORDERS; o++)
		printf(" %lu", after.free_blocks[o]);
	printf("\n");
	return 0;
}

static void touch(long va, size_t size)
{
	for (size_t off = 0; off < size; off += 4096)
		((volatile char *)va)[off] = 1;
}

static int loop(void)
{
	size_t size = LOOP_PAGES * 4096;
	struct keel_meminfo before, after;
	long va, h, lo = -1, hi = 0, bad = 0;

	/* One round first: the maps page and the handle table exist from here on. */
	h = keel_mem_create(size);
	va = keel_mmap(h, 0, size, KEEL_PROT_READ | KEEL_PROT_WRITE);
	keel_munmap((void *)va, size);
	keel_handle_close(h);
	va = keel_mmap(KEEL_HANDLE_NONE, 0, size, KEEL_PROT_READ | KEEL_PROT_WRITE);
	keel_munmap((void *)va, size);

	before = info();
	show("before", &before);
	for (int i = 0; i < CYCLES; i++) {
		va = keel_mmap(KEEL_HANDLE_NONE, 0, size, KEEL_PROT_READ | KEEL_PROT_WRITE);
		if (va < 0 || keel_munmap((void *)va, size)) {
			bad++;
			break;
		}
		lo = lo < 0 || va < lo ? va : lo;
		hi = va > hi ? va : hi;
	}
	after = info();
	show("after anonymous", &after);
	check("MEM_0010", !bad, "10000 anonymous mmap/munmap cycles succeed", bad);
	check("MEM_0011", after.free == before.free, "free memory is what it was",
	      (long)(before.free - after.free));
	printf("memtest: anonymous addresses 0x%lx-0x%lx\n", lo, hi);
	check("MEM_0012", hi - lo < 16 * (long)size, "the addresses are reused", hi - lo);

	h = keel_mem_create(size);
	lo = -1, hi = 0;
	for (int i = 0; i < CYCLES && h >= 0; i++) {
		va = keel_mmap(h, 0, size, KEEL_PROT_READ | KEEL_PROT_WRITE);
		if (va < 0 || (touch(va, size), keel_munmap((void *)va, size))) {
			bad++;
			break;
		}
		lo = lo < 0 || va < lo ? va : lo;
		hi = va > hi ? va : hi;
	}
	keel_handle_close(h);
	after = info();
	show("after object", &after);
	check("MEM_0013", h >= 0 && !bad, "10000 memory-object map/unmap cycles succeed", bad);
	check("MEM_0014", after.free == before.free, "free memory is what it was",
	      (long)(before.free - after.free));
	check("MEM_0015", hi - lo < 16 * (long)size, "the addresses are reused", hi - lo);
	return 0;
}

/* A child of `objects`: hold objects, say so on slot 0's bit @bit, wait on slot 1. */
static int holder_main(int bit)
{
	unsigned long bits;
	long made = 0;

	for (int i = 0; i < HOLD_EPS; i++) {
		long ep = keel_ep_create(), n = keel_notif_create();

		/* The endpoint holds the notification once the handle goes. */
		made += ep >= 0 && n >= 0 && !keel_ep_bind(ep, n);
		if (n >= 0)
			keel_handle_close(n);
	}
	for (int i = 0; i < HOLD_MEMS; i++) {
		long h = keel_mem_create(4096);
		long va = h >= 0 ? keel_mmap(h, 0, 4096, KEEL_PROT_READ) : -1;

		made += va >= 0; /* the mapping holds it once the handle goes */
		if (h >= 0)
			keel_handle_close(h);
	}
	if (made != HOLD_EPS + HOLD_MEMS)
		printf("memtest: holder %d made %ld of %d\n", bit, made, HOLD_EPS + HOLD_MEMS);
	keel_notif_signal(0, 1UL << bit);
	keel_notif_wait(1, &bits);
	return made == HOLD_EPS + HOLD_MEMS ? 0 : 1;
}

/* Start the holders, wait until each holds its objects; the peak meminfo. */
static int hold_round(struct keel_meminfo *peak)
{
	long ready = keel_notif_create(), go[HOLDERS], pid[HOLDERS];
	unsigned long seen = 0, bits, t0 = (unsigned long)(keel_time_ns() / 1000000);
	int bad = 0;

	for (int i = 0; i < HOLDERS; i++) {
		char arg[8];
		char *argv[] = { "/bin/memtest", "holder", arg, NULL }, *envp[] = { NULL };
		long hs[2];

		snprintf(arg, sizeof(arg), "%d", i);
		go[i] = keel_notif_create();
		hs[0] = ready;
		hs[1] = go[i];
		pid[i] = keel_spawn_h(argv[0], argv, envp, hs, 2);
		if (pid[i] < 0) {
			printf("memtest: holder %d: spawn: %s\n", i, keel_strerror(pid[i]));
			bad++;
		}
	}
	while (!bad && seen != (1UL << HOLDERS) - 1 && !keel_notif_wait(ready, &bits))
		seen |= bits;
	*peak = info();
	for (int i = 0; i < HOLDERS; i++) {
		int status = -1;

		keel_notif_signal(go[i], 1);
		if (pid[i] >= 0 && (keel_wait(pid[i], &status) < 0 || status))
			bad++;
		keel_handle_close(go[i]);
	}
	keel_handle_close(ready);
	printf("memtest: a round took %lu ms\n", (unsigned long)(keel_time_ns() / 1000000) - t0);
	return bad;
}

static int objects(void)
{
	char *nop[] = { "/bin/nop", NULL };
	struct keel_meminfo before, peak, after;
	int bad;

	/* A first round: the kernel-stack slots the holders take stay cached after it. */
	bad = hold_round(&peak);
	before = info();
	show("before", &before);
	bad += hold_round(&peak);
	show("peak", &peak);
	after = info();
	show("after", &after);
	printf("memtest: held %d endpoints, %d notifications, %d memory objects at once\n",
	       HOLDERS * HOLD_EPS, HOLDERS * (HOLD_EPS + 1) + 1, HOLDERS * HOLD_MEMS);
	check("MEM_0020", !bad, "every holder made and held its objects", bad);
	check("MEM_0021", run(nop, NULL, 0) == 0, "a program still starts after", 0);
	after = info();
	check("MEM_0022", after.free == before.free, "free memory is what it was",
	      (long)(before.free - after.free));
	check("MEM_0023", after.objects == before.objects, "kernel objects are what they were",
	      (long)(after.objects - before.objects));
	return 0;
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";

	if (!strcmp(what, "hog"))
		return hog_main();
	if (!strcmp(what, "holder") && argc > 2)
		return holder_main(atoi(argv[2]));
	printf("memtest: %s\n", what); /* stdio's buffer is mapped from here on */
	if (!strcmp(what, "exhaust"))
		exhaust();
	else if (!strcmp(what, "loop"))
		loop();
	else if (!strcmp(what, "objects"))
		objects();
	else
		return printf("usage: memtest exhaust|loop|objects\n"), 2;
	printf("memtest: %s: %d failed\n", what, failures);
	return failures ? 1 : 0;
}

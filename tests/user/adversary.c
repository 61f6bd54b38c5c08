/*
 * adversary.c - an ordinary program that tries to crash, starve or outlive
 * the system, one class of attack at a time, and checks the outcome.
 *
 * Run it from the shell like any program (`/bin/adversary [class...]`): it
 * holds no handle but the one to its parent's endpoint, as every program
 * does. Each class prints "ADV_nnnn ok <claim>" or "ADV_nnnn FAIL <claim>:
 * <what happened>", and the run ends with "adversary: N passed, N failed".
 * The test (tests/boot/test_adversary.py) then checks the system still
 * answers: the shell, /mnt, a new program.
 *
 *   fetch    ADV_0001  a second task rewriting a memory object while spawn_mem
 *                      reads it cannot panic the core (runs /bin/race)
 *   flood    ADV_0002  thousands of refused programs leave the boot log readable
 *   read     ADV_0003  read(0) cannot steal the console server's keystrokes
 *   memory   ADV_0004  memory taken until ENOMEM comes back when the task exits,
 *                      contiguous runs included
 *   mmap     ADV_0005  10,000 map/unmap cycles leave the address space as it was
 *   objects  ADV_0006  endpoints, notifications and memory objects beyond the old
 *                      pools: an error for this task at its limit, and all back after
 *   tasks    ADV_0007  children until refused: an error for this task, others unhurt
 *   cycle    ADV_0008  two tasks calling each other's endpoints get EDEADLK, not a
 *                      wait for ever
 *   limits   ADV_0009  limit_set: a child gets what its parent gave, never more, and
 *                      cannot raise it for its own children
 *   pingpong ADV_0010  two tasks signalling each other's notifications on our hart
 *                      (each signal hands the hart over) leave us our turns
 *   spawnhog ADV_0011  a task on another hart spawning programs that each ask for
 *                      32 MiB of zeroed memory does not hold up our spawns
 *
 * `/bin/adversary hold` is not a class: it starts a holder that takes
 * every task, object and page it may, says "adversary: holding ...",
 * and keeps them until killed (its children end with it), so the test
 * can kill a server meanwhile and see it come back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keel.h"
#include "proto.h"

#define MiB	     (1024UL * 1024)
#define MMAP_CYCLES  10000
#define OBJECTS_MAX  4096 /* well past the old pools (256 endpoints, 512 memory objects) */
#define CHILDREN_MAX 2048
#define SLACK_PAGES  4 /* meminfo may differ by what the allocator caches */

static int passed, failed;

/* ps entries read to find ourselves: static, as the memory tests run with no heap left. */
#define PS_MAX 1024
static struct keel_ps ps_buf[PS_MAX];

static void result(const char *id, int ok, const char *claim, const char *why)
{
	printf("%s %s %s%s%s\n", id, ok ? "ok" : "FAIL", claim, ok ? "" : ": ", ok ? "" : why);
	if (ok)
		passed++;
	else
		failed++;
}

static uint64_t free_bytes(void)
{
	struct keel_meminfo m;

	return keel_meminfo(&m) ? 0 : m.free;
}

/* Run @path with @argv as a child; its exit status, or -1. */
static int run(char *const argv[])
{
	long h = PROTO_H_PARENT;
	int status = -1;
	long pid = keel_spawn_h(argv[0], argv, NULL, &h, 1);

	if (pid < 0 || keel_wait(pid, &status) < 0)
		return -1;
	return status;
}

static void adv_fetch(void)
{
	char *argv[] = { "/bin/race", "40", NULL };
	int status = run(argv);
	char why[64];

	snprintf(why, sizeof(why), "/bin/race exit status %d", status);
	result("ADV_0001", status == 0, "spawn_mem reads a racing memory object once", why);
}

static void adv_flood(void)
{
	long mem = keel_mem_create(4096);
	char *args[] = { "junk", NULL };
	char line[256];
	int refused = 0, found = 0;

	for (int i = 0; i < 2000 && mem >= 0; i++)
		refused += keel_spawn_mem(mem, args, NULL, NULL, 0) == -KEEL_EINVAL;
	keel_handle_close(mem);
	/* The boot's first lines must still be in the ring. */
	for (unsigned long seq = 0; seq < 4096 && !found; seq++) {
		long n = keel_dmesg(seq, line, sizeof(line) - 1);

		if (n == -KEEL_ERANGE || n == -KEEL_ENOENT)
			continue;
		if (n <= 0)
			break;
		line[n] = 0;
		found = strstr(line, "Keel version") != NULL;
	}
	result("ADV_0002", refused == 2000 && found, "2000 refusals keep the boot log",
	       found ? "not every spawn was refused" : "the banner left the log ring");
}

static void adv_read(void)
{
	char c;
	long r;

	if (!getenv("KEEL_CONSOLE")) {
		result("ADV_0003", 1, "read(0) steals nothing (no console server here)", "");
		return;
	}
	r = keel_read(0, &c, 1);
	result("ADV_0003", r == -KEEL_EBUSY, "read(0) is refused while the console server reads",
	       "read(0) returned something else");
}

/* Child: take anonymous memory until refused, then exit holding it. */
static int eat(void)
{
	unsigned long n = 0;

	while (keel_mmap(KEEL_HANDLE_NONE, 0, MiB, KEEL_PROT_READ | KEEL_PROT_WRITE) >= 0)
		n++;
	printf("adversary: ate %lu MiB\n", n);
	return 0;
}

static void adv_memory(void)
{
	char *argv[] = { "/bin/adversary", "eat", NULL };
	uint64_t before = free_bytes(), after;
	int status = run(argv);
	long mem;
	char why[96];

	after = free_bytes();
	/* A contiguous 8 MiB run again: freed pages must serve runs, not just single pages. */
	mem = keel_mem_create(8 * MiB);
	if (mem >= 0)
		keel_handle_close(mem);
	snprintf(why, sizeof(why), "status %d, free %lu -> %lu KiB, mem_create(8 MiB) %ld", status,
		 (unsigned long)(before >> 10), (unsigned long)(after >> 10), mem);
	result("ADV_0004", status == 0 && after + SLACK_PAGES * 4096 >= before && mem >= 0,
	       "memory eaten to ENOMEM comes back whole", why);
}

static void adv_mmap(void)
{
	uint64_t before, after;
	long mem = keel_mem_create(8 * 4096), bad = 0;
	char why[96];

	/* One round first: page tables for the range exist before we measure. */
	for (int round = 0; round < 2; round++) {
		before = free_bytes();
		for (int i = 0; i < MMAP_CYCLES && !bad; i++) {
			long va = keel_mmap(i % 2 ? mem : KEEL_HANDLE_NONE, 0, 8 * 4096,
					    KEEL_PROT_READ | KEEL_PROT_WRITE);

			if (va < 0 || keel_munmap((void *)va, 8 * 4096))
				bad = va < 0 ? va : -1;
		}
		after = free_bytes();
	}
	keel_handle_close(mem);
	snprintf(why, sizeof(why), "error %ld; free %lu -> %lu KiB", bad,
		 (unsigned long)(before >> 10), (unsigned long)(after >> 10));
	result("ADV_0005", !bad && after + SLACK_PAGES * 4096 >= before,
	       "10,000 map/unmap cycles hold nothing", why);
}

static void adv_objects(void)
{
	static long h[OBJECTS_MAX];
	uint64_t before = free_bytes(), after;
	int n = 0, kinds_ok = 1;
	long err = 0;
	char why[128];

	for (int kind = 0; kind < 3; kind++) {
		for (n = 0; n < OBJECTS_MAX; n++) {
			h[n] = kind == 0   ? keel_ep_create()
			       : kind == 1 ? keel_notif_create()
					   : keel_mem_create(4096);
			if (h[n] < 0)
				break;
		}
		err = n < OBJECTS_MAX ? h[n] : 0;
		/* Refused with an error at our limit, or all of them granted: never a hang. */
		if (n < OBJECTS_MAX && err != -KEEL_ENOMEM && err != -KEEL_EAGAIN &&
		    err != -KEEL_EMFILE)
			kinds_ok = 0;
		for (int i = 0; i < n; i++)
			keel_handle_close(h[i]);
	}
	after = free_bytes();
	snprintf(why, sizeof(why), "last kind stopped at %d with %ld; free %lu -> %lu KiB", n, err,
		 (unsigned long)(before >> 10), (unsigned long)(after >> 10));
	result("ADV_0006", kinds_ok && after + SLACK_PAGES * 4096 >= before,
	       "objects past the old pools: our error, all back after", why);
}

static void adv_tasks(void)
{
	static long pids[CHILDREN_MAX];
	char *argv[] = { "/bin/adversary", "nap", NULL };
	long h = PROTO_H_PARENT, err = 0;
	int n, reaped = 0;
	char why[96];

	for (n = 0; n < CHILDREN_MAX; n++) {
		pids[n] = keel_spawn_h(argv[0], argv, NULL, &h, 1);
		if (pids[n] < 0)
			break;
	}
	err = n < CHILDREN_MAX ? pids[n] : 0;
	for (int i = 0; i < n; i++)
		reaped += keel_wait(pids[i], NULL) == pids[i];
	/* Once they are gone, we may start one again. */
	char *nop[] = { "/bin/nop", NULL };
	int again = run(nop);

	snprintf(why, sizeof(why), "%d children, then %ld; %d reaped; again %d", n, err, reaped,
		 again);
	result("ADV_0007",
	       n > 0 && reaped == n && again == 0 &&
		       (n == CHILDREN_MAX || err == -KEEL_ENOMEM || err == -KEEL_EAGAIN),
	       "children until refused: our error, and we can start one after", why);
}

#define LIMIT_CHILD_PAGES   1024 /* 4 MiB: a program starts in less */
#define LIMIT_CHILD_OBJECTS 5

/*
 * A child started under limits we set checks them from inside: it has
 * exactly what we gave, cannot give its own children more, and is
 * refused with its error at its limit. Its exit status: 0 if all held.
 */
static int limit_child(void)
{
	const struct keel_ps *me;
	long h, n = 0, err;

	if (keel_own_ps(ps_buf, PS_MAX, &me))
		return 1;
	if (me->limit[KEEL_LIMIT_PAGES] != LIMIT_CHILD_PAGES ||
	    me->limit[KEEL_LIMIT_OBJECTS] != LIMIT_CHILD_OBJECTS)
		return 2;
	if (keel_limit_set(KEEL_LIMIT_PAGES, LIMIT_CHILD_PAGES + 1) != -KEEL_ERANGE ||
	    keel_limit_set(KEEL_LIMIT_OBJECTS, LIMIT_CHILD_OBJECTS + 1) != -KEEL_ERANGE)
		return 3;
	if (keel_limit_set(KEEL_LIMIT_PAGES, LIMIT_CHILD_PAGES) ||
	    keel_limit_set(KEEL_LIMIT_PAGES, LIMIT_CHILD_PAGES / 2))
		return 4;
	if (keel_mem_create(8 * MiB) != -KEEL_ENOMEM)
		return 5;
	while ((h = keel_ep_create()) >= 0)
		n++;
	if (h != -KEEL_EAGAIN || n + me->used[KEEL_LIMIT_OBJECTS] != LIMIT_CHILD_OBJECTS)
		return 6;
	while ((err = keel_mmap(KEEL_HANDLE_NONE, 0, 4096, KEEL_PROT_READ | KEEL_PROT_WRITE)) >= 0)
		;
	if (err != -KEEL_ENOMEM || keel_own_ps(ps_buf, PS_MAX, &me) ||
	    me->used[KEEL_LIMIT_PAGES] > LIMIT_CHILD_PAGES)
		return 7;
	return 0;
}

static void adv_limits(void)
{
	char *argv[] = { "/bin/adversary", "limit-child", NULL };
	const struct keel_ps *me;
	unsigned long limit[KEEL_LIMITS];
	long above = 0;
	int status = -1;
	char why[96];

	if (!keel_own_ps(ps_buf, PS_MAX, &me)) {
		memcpy(limit, me->limit, sizeof(limit));
		above = keel_limit_set(KEEL_LIMIT_PAGES, limit[KEEL_LIMIT_PAGES] + 1);
		if (!keel_limit_set(KEEL_LIMIT_PAGES, LIMIT_CHILD_PAGES) &&
		    !keel_limit_set(KEEL_LIMIT_OBJECTS, LIMIT_CHILD_OBJECTS))
			status = run(argv);
		/* Our next children get all we have again. */
		for (int k = 0; k < KEEL_LIMITS; k++)
			keel_limit_set(k, limit[k]);
	}
	snprintf(why, sizeof(why), "limit_set above ours: %ld; the child's status %d", above,
		 status);
	result("ADV_0009", above == -KEEL_ERANGE && status == 0,
	       "a child has what its parent gave, never more", why);
}

/* A holder's child: wait on the holder's endpoint until the holder is gone. */
static int cling(void)
{
	struct keel_msg m;
	long parent = keel_getppid();

	while (keel_getppid() == parent && keel_ipc_recv_timeout(0, &m, 1000000) != -KEEL_EPEER)
		;
	return 0;
}

/* Take every task, object and page we may, say so, and keep them until killed. */
static int holder(void)
{
	char *argv[] = { "/bin/adversary", "cling", NULL };
	long ep = keel_ep_create(), h, tasks = 0, objects = 0, mib = 0;
	long task_err, object_err, page_err;

	h = keel_handle_dup(ep, KEEL_R_RECEIVE | KEEL_R_TRANSFER);
	while ((task_err = keel_spawn_h(argv[0], argv, NULL, &h, 1)) >= 0)
		tasks++;
	while ((object_err = keel_notif_create()) >= 0)
		objects++;
	while ((page_err = keel_mmap(KEEL_HANDLE_NONE, 0, MiB, KEEL_PROT_READ | KEEL_PROT_WRITE)) >=
	       0)
		mib++;
	printf("adversary: holding %ld tasks, %ld objects, %ld MiB; pid %d; refused: %s, %s, %s\n",
	       tasks, objects, mib, keel_getpid(), keel_strerror(task_err),
	       keel_strerror(object_err), keel_strerror(page_err));
	while (keel_getpid() > 0)
		keel_sleep_us(1000000);
	return 0;
}

/* Start a holder and leave it running. */
static int hold(void)
{
	char *argv[] = { "/bin/adversary", "holder", NULL };
	long pid = keel_spawn_h(argv[0], argv, NULL, NULL, 0);

	if (pid < 0)
		return printf("adversary: no holder: %s\n", keel_strerror(pid)), 1;
	return 0;
}

/*
 * The cycle: we receive on A, the child on B. The child calls A (we do
 * not answer yet), then we call B: each now waits for the other.
 */
static void adv_cycle(void)
{
	long a = keel_ep_create(), pass[2], pid;
	struct keel_msg m = { .label = 1, .handle = KEEL_HANDLE_NONE }, r = { 0 };
	char *argv[] = { "/bin/adversary", "cycle-child", NULL };
	long got, b;
	char why[96];

	pass[0] = PROTO_H_PARENT;
	pass[1] = keel_handle_dup(a, KEEL_R_SEND | KEEL_R_TRANSFER);
	pid = keel_spawn_h(argv[0], argv, NULL, pass, 2);
	keel_handle_close(pass[1]);
	/* The child's first call brings its endpoint B; we answer it. */
	got = keel_ipc_recv(a, &r);
	b = r.handle;
	m.handle = KEEL_HANDLE_NONE;
	keel_ipc_reply(&m);
	/* Its second call waits on A, which only we receive; now we call B. */
	keel_sleep_us(100000);
	got = keel_ipc_call(b, &m, &r);
	snprintf(why, sizeof(why), "the closing call returned %ld", got);
	result("ADV_0008", got == -KEEL_EDEADLK, "a call cycle is refused with EDEADLK", why);
	/* Undo: answer the child's call so it can exit, then reap it. */
	if (keel_ipc_recv_timeout(a, &r, 1000000) >= 0)
		keel_ipc_reply(&m);
	keel_handle_close(a);
	keel_handle_close(b);
	keel_wait(pid, NULL);
}

static int cycle_child(void)
{
	long b = keel_ep_create();
	struct keel_msg m = { .label = 1 }, r;

	m.handle = keel_handle_dup(b, KEEL_R_SEND | KEEL_R_TRANSFER);
	if (keel_ipc_call(1, &m, &r) < 0)
		return 1;
	m.handle = KEEL_HANDLE_NONE;
	keel_ipc_call(1, &m, &r); /* waits on A while our parent calls B */
	return 0;
}

/*
 * One side of the ping-pong, pinned to hart argv[2]: wait on slot 0,
 * count the round in the page of slot 2, signal slot 1; "kick": signal
 * first. Word 1 of the page set ends it (our parent signals us then).
 */
static int pingpong(int argc, char **argv)
{
	volatile unsigned long *page;
	unsigned long bits;
	long va;

	if (argc < 3 || keel_sys_hart_pin(strtol(argv[2], NULL, 0)))
		return 1;
	va = keel_mmap(2, 0, 4096, KEEL_PROT_READ | KEEL_PROT_WRITE);
	if (va < 0)
		return 2;
	page = (volatile unsigned long *)va;
	if (argc > 3)
		keel_notif_signal(1, 1);
	while (!page[1] && keel_notif_wait(0, &bits) == 0) {
		__atomic_fetch_add(&page[0], 1, __ATOMIC_RELAXED);
		keel_notif_signal(1, 1);
	}
	return 0;
}

/*
 * The ping-pong on our own hart, the pair and we at the same priority:
 * the tick must still give us the hart (a gap of at most PINGPONG_GAP_MS
 * between two looks at the clock) while the pair goes on.
 */
#define PINGPONG_MS	1000
#define PINGPONG_GAP_MS 250
static void adv_pingpong(void)
{
	long n[2] = { keel_notif_create(), keel_notif_create() };
	long mem = keel_mem_create(4096), va = -1, pid[2] = { -1, -1 }, pass[3];
	volatile unsigned long *page = NULL;
	unsigned long rounds = 0, start;
	uint64_t t0, last, gap = 0;
	const struct keel_ps *me;
	char hart[24], why[128];
	char *argv[] = { "/bin/adversary", "pingpong-side", hart, "kick", NULL };

	if (n[0] < 0 || n[1] < 0 || mem < 0 || keel_own_ps(ps_buf, PS_MAX, &me) ||
	    keel_sys_hart_pin(me->hart) ||
	    (va = keel_mmap(mem, 0, 4096, KEEL_PROT_READ | KEEL_PROT_WRITE)) < 0) {
		result("ADV_0010", 0,
		       "a notification ping-pong leaves its hart's others their turns",
		       "no notifications, page or pin");
		return;
	}
	page = (volatile unsigned long *)va;
	snprintf(hart, sizeof(hart), "%d", me->hart);
	for (int i = 0; i < 2; i++) {
		pass[0] = n[i];
		pass[1] = n[!i];
		pass[2] = mem;
		argv[3] = i ? "kick" : NULL;
		pid[i] = keel_spawn_h(argv[0], argv, NULL, pass, 3);
	}
	keel_sleep_us(50000); /* both pinned and playing */
	start = page[0];
	t0 = last = keel_time_ns();
	while (last - t0 < PINGPONG_MS * 1000000ULL) {
		uint64_t now = keel_time_ns();

		gap = now - last > gap ? now - last : gap;
		last = now;
	}
	rounds = page[0] - start;
	page[1] = 1; /* end it: both may be waiting */
	keel_notif_signal(n[0], 1);
	keel_notif_signal(n[1], 1);
	for (int i = 0; i < 2; i++)
		if (pid[i] >= 0)
			keel_wait(pid[i], NULL);
	keel_sys_hart_pin(-1);
	snprintf(why, sizeof(why), "%lu rounds in %d ms; our longest wait %lu ms (pids %ld, %ld)",
		 rounds, PINGPONG_MS, (unsigned long)(gap / 1000000), pid[0], pid[1]);
	result("ADV_0010",
	       pid[0] >= 0 && pid[1] >= 0 && rounds >= 100 && gap < PINGPONG_GAP_MS * 1000000ULL,
	       "a notification ping-pong leaves its hart's others their turns", why);
	keel_munmap((void *)page, 4096);
	keel_handle_close(mem);
	keel_handle_close(n[0]);
	keel_handle_close(n[1]);
}

/*
 * An ELF of one page whose data segment asks for SPAWNHOG_MIB MiB of
 * zeroed memory: cheap to write, slow to load (every page is mapped and
 * cleared at spawn). Its code pins itself to hart @hart and exits there
 * (freeing the 32 MiB is the hog's hart's work, too).
 */
#define SPAWNHOG_MIB   32
#define SPAWNHOG_LOOPS 8
#define SPAWNHOG_NOPS  8
static void spawnhog_elf(unsigned char *p, int hart)
{
	static const unsigned char ident[16] = { 0x7f, 'E', 'L', 'F', 2, 1, 1 };
	/* a0 = hart; a7 = hart_pin (42); ecall; a0 = 0; a7 = exit (0); ecall */
	const uint32_t code[6] = {
		(uint32_t)hart << 20 | 0x513, 42 << 20 | 0x893, 0x73, 0x513, 0x893, 0x73
	};
	uint64_t phdr[2][7] = {
		/* type | flags << 32, offset, vaddr, paddr, filesz, memsz, align */
		{ 1 | 5ULL << 32, 0, 0x10000, 0x10000, 4096, 4096, 4096 },	      /* R X */
		{ 1 | 6ULL << 32, 0, 0x20000, 0x20000, 0, SPAWNHOG_MIB * MiB, 4096 }, /* R W */
	};
	const uint16_t half[] = { 2, 243 }; /* ET_EXEC, EM_RISCV */
	const uint32_t version = 1;
	const uint64_t entry = 0x10100, phoff = 64;
	const uint16_t sizes[] = { 64, 56, 2 }; /* e_ehsize, e_phentsize, e_phnum */

	memcpy(p, ident, 16);
	memcpy(p + 16, half, 4);
	memcpy(p + 20, &version, 4);
	memcpy(p + 24, &entry, 8);
	memcpy(p + 32, &phoff, 8);
	memcpy(p + 52, sizes, 6);
	memcpy(p + 64, phdr, sizeof(phdr));
	memcpy(p + 0x100, code, sizeof(code));
}

/*
 * The hog: pinned to hart argv[2], spawns the ELF in handle 0
 * SPAWNHOG_LOOPS times, each load right after the last (it reaps a child
 * after starting the next), so a load is nearly always under way.
 */
static int spawnhog(int argc, char **argv)
{
	char *hog[] = { "hogload", NULL };
	long last = -1;

	if (argc < 3 || keel_sys_hart_pin(strtol(argv[2], NULL, 0)))
		return 1;
	for (int i = 0; i < SPAWNHOG_LOOPS; i++) {
		long pid = keel_spawn_mem(0, hog, NULL, NULL, 0);

		if (pid < 0 || (last >= 0 && keel_wait(last, NULL) < 0))
			return 2;
		last = pid;
	}
	return keel_wait(last, NULL) < 0 ? 3 : 0;
}

/* The spawn call alone for @argv (the ELF in @mem if >= 0): ns, or 0 if refused; reaps it. */
static uint64_t spawn_ns(long mem, char *const argv[])
{
	uint64_t t0 = keel_time_ns(), t;
	long pid = mem >= 0 ? keel_spawn_mem(mem, argv, NULL, NULL, 0)
			    : keel_spawn(argv[0], argv, NULL);

	t = keel_time_ns() - t0;
	if (pid < 0 || keel_wait(pid, NULL) < 0)
		return 0;
	return t;
}

/*
 * A load the core makes slow, on another hart, must not hold up ours: a
 * lock shared by every spawn made each of ours wait for a whole load.
 * Ours must take less than half a hog load each, while the hog loads.
 */
static void adv_spawnhog(void)
{
	const char *claim = "slow loads on another hart do not hold up our spawns";
	long mem = keel_mem_create(4096), va = -1, pid = -1;
	char *nop[] = { "/bin/nop", NULL }, *hog[] = { "hogload", NULL };
	char hart[24], why[160];
	char *argv[] = { "/bin/adversary", "spawnhog-side", hart, NULL };
	const struct keel_ps *me;
	uint64_t alone, worst = 0;
	int other = -1, status = -1;

	if (mem < 0 || keel_own_ps(ps_buf, PS_MAX, &me) ||
	    (va = keel_mmap(mem, 0, 4096, KEEL_PROT_READ | KEEL_PROT_WRITE)) < 0) {
		result("ADV_0011", 0, claim, "no memory object or ps");
		return;
	}
	for (int h = 0; h < 64 && other < 0; h++) /* another hart that exists */
		if (h != me->hart && !keel_sys_hart_pin(h))
			other = h;
	if (other < 0 || keel_sys_hart_pin(me->hart)) {
		result("ADV_0011", 0, claim, "no second hart to run the hog on");
		goto out;
	}
	spawnhog_elf((unsigned char *)va, other);
	alone = spawn_ns(mem, hog);
	snprintf(hart, sizeof(hart), "%d", other);
	pid = keel_spawn_h(argv[0], argv, NULL, &mem, 1);
	keel_sleep_us(alone / 4000); /* the hog is loading */
	for (int i = 0; i < SPAWNHOG_NOPS; i++) {
		uint64_t t = spawn_ns(-1, nop);

		worst = !t || t > worst ? (t ? t : ~0ULL) : worst;
	}
	if (pid >= 0)
		keel_wait(pid, &status);
	snprintf(why, sizeof(why), "a hog's spawn alone %lu ms, our slowest %lu ms, hog status %d",
		 (unsigned long)(alone / 1000000), (unsigned long)(worst / 1000000), status);
	result("ADV_0011", alone >= 20000000 && worst < alone / 2 && status == 0, claim, why);
out:
	keel_sys_hart_pin(-1);
	if (va >= 0)
		keel_munmap((void *)va, 4096);
	keel_handle_close(mem);
}

static const struct {
	const char *name;
	void (*fn)(void);
} classes[] = {
	{ "fetch", adv_fetch },	      { "flood", adv_flood },	    { "read", adv_read },
	{ "memory", adv_memory },     { "mmap", adv_mmap },	    { "objects", adv_objects },
	{ "tasks", adv_tasks },	      { "cycle", adv_cycle },	    { "limits", adv_limits },
	{ "pingpong", adv_pingpong }, { "spawnhog", adv_spawnhog },
};

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "eat"))
		return eat();
	if (argc > 1 && !strcmp(argv[1], "nap"))
		return keel_sleep_us(200000), 0;
	if (argc > 1 && !strcmp(argv[1], "cycle-child"))
		return cycle_child();
	if (argc > 1 && !strcmp(argv[1], "limit-child"))
		return limit_child();
	if (argc > 1 && !strcmp(argv[1], "hold"))
		return hold();
	if (argc > 1 && !strcmp(argv[1], "holder"))
		return holder();
	if (argc > 1 && !strcmp(argv[1], "cling"))
		return cling();
	if (argc > 1 && !strcmp(argv[1], "pingpong-side"))
		return pingpong(argc, argv);
	if (argc > 1 && !strcmp(argv[1], "spawnhog-side"))
		return spawnhog(argc, argv);
	for (unsigned int i = 0; i < sizeof(classes) / sizeof(classes[0]); i++) {
		int want = argc == 1;

		for (int j = 1; j < argc; j++)
			want |= !strcmp(argv[j], classes[i].name);
		if (want)
			classes[i].fn();
	}
	printf("adversary: %d passed, %d failed\n", passed, failed);
	return failed != 0;
}

/*
 * race.c - a second task rewrites what a system call is reading.
 *
 * `race [rounds]`: puts /bin/nop and the arguments of the calls below in
 * two shared memory objects, starts a child (`race flip`) that maps both
 * and flips bytes in them as fast as it can (two of them, so at least one
 * runs on another hart than the caller at -smp 4), and makes
 * every call that reads user memory or a memory object, again and again:
 * spawn_mem (e_phoff, e_phnum flip), spawn (path, argv pointers, argv
 * string lengths, handle numbers flip), initrd_read (path), write, and
 * dmesg, ps, meminfo, harts into the shared pages. The core copies what it
 * reads once, so each call must either refuse (with the error that one
 * of the two values gives) or do what one of the two values asks; a
 * started child must run and exit 0. A panic ends the run.
 *
 * Each rule prints "RACE_nnnn ok <what>" or "RACE_nnnn FAIL <what>", then
 * "race: N passed, M failed".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keel.h"

#define ELF_SIZE    (128 * 1024) /* holds /bin/nop */
#define SHARED_SIZE (16 * 1024)
#define E_PHOFF	    32
#define E_PHNUM	    56
#define BAD_PHOFF   0x4000000000000000UL /* far outside any mapping */
#define LONG_ARG    1100		 /* over the core's 1023-byte limit */

/* The shared page's layout: the flipper and the caller agree on it. */
struct shared {
	volatile unsigned long stop, flips;
	unsigned long phoff, phnum; /* the file's own values */
	char *argv[4];		    /* argv[1] flips between arg and an unmapped address */
	long handles[2];	    /* handles[0] flips between a handle and an empty slot */
	char path[32];		    /* "/bin/nop" <-> "/bin/nXp" */
	char arg[LONG_ARG + 16];    /* NUL at 3 <-> at LONG_ARG */
	char name[8];		    /* "nop" */
	char text[4];		    /* write reads it: 'x' <-> '+' */
	char out[4096];		    /* dmesg, ps, harts, meminfo write here */
};

static int passed, failed;

static void check(const char *id, int ok, const char *what, long got)
{
	printf("%s %s %s (got %ld)\n", id, ok ? "ok" : "FAIL", what, got);
	if (ok)
		passed++;
	else
		failed++;
}

/* The flipper: both values of every racy field, until told to stop. */
static int flip(long elf_h, long shared_h)
{
	long e = keel_mmap(elf_h, 0, ELF_SIZE, KEEL_PROT_READ | KEEL_PROT_WRITE);
	long s = keel_mmap(shared_h, 0, SHARED_SIZE, KEEL_PROT_READ | KEEL_PROT_WRITE);
	volatile unsigned char *elf = (volatile unsigned char *)e;
	struct shared *sh = (struct shared *)s;
	unsigned long phoff, n = 0;
	unsigned short phnum;

	if (e < 0 || s < 0)
		return 1;
	phoff = sh->phoff;
	phnum = (unsigned short)sh->phnum;
	while (!sh->stop) {
		int odd = n & 1;

		*(volatile unsigned long *)(elf + E_PHOFF) = odd ? BAD_PHOFF : phoff;
		/* Mostly valid, so the check passes and the use would see the flip. */
		*(volatile unsigned short *)(elf + E_PHNUM) = n % 1024 == 1 ? 0 : phnum;
		((volatile char **)sh->argv)[1] = odd ? (char *)0x10 : sh->arg;
		((volatile long *)sh->handles)[0] = odd ? 60 : elf_h;
		((volatile char *)sh->path)[6] = odd ? 'X' : 'o';
		((volatile char *)sh->arg)[3] = odd ? 'x' : 0;
		((volatile char *)sh->text)[0] = odd ? 'x' : '+';
		sh->flips = ++n;
	}
	/* Leave them valid for the checks after the race. */
	*(volatile unsigned long *)(elf + E_PHOFF) = phoff;
	*(volatile unsigned short *)(elf + E_PHNUM) = phnum;
	return 0;
}

/* A copy to or from the shared page either works or is refused as a fault would be. */
static int copied(long rc)
{
	return rc != -KEEL_EINVAL;
}

/* A started child must be /bin/nop, whole: it exits 0. */
static int reaped_ok(long pid)
{
	int status = -1;

	return keel_wait(pid, &status) == pid && status == 0;
}

static void race_spawn_mem(long elf, struct shared *sh, int rounds)
{
	int ok = 0, refused = 0, bad = 0;

	for (int i = 0; i < rounds; i++) {
		char *argv[] = { sh->name, NULL };
		long pid = keel_spawn_mem(elf, argv, NULL, NULL, 0);

		if (pid > 0)
			reaped_ok(pid) ? ok++ : bad++;
		else if (pid == -KEEL_EINVAL)
			refused++;
		else
			bad++;
	}
	printf("race: spawn_mem: %d started, %d refused\n", ok, refused);
	check("RACE_0010", bad == 0, "spawn_mem of a file being rewritten: runs or is refused",
	      bad);
}

static void race_spawn(struct shared *sh, int rounds)
{
	int ok = 0, refused = 0, bad = 0;

	for (int i = 0; i < rounds; i++) {
		long pid = keel_spawn_h(sh->path, sh->argv, NULL, sh->handles, 1);

		if (pid > 0)
			reaped_ok(pid) ? ok++ : bad++;
		else if (pid == -KEEL_EINVAL || pid == -KEEL_ERANGE || pid == -KEEL_ENOENT)
			refused++;
		else
			bad++;
	}
	printf("race: spawn: %d started, %d refused\n", ok, refused);
	check("RACE_0011", bad == 0, "spawn with path, argv and handles being rewritten", bad);
}

static void race_initrd_read(struct shared *sh, int rounds)
{
	char buf[64];
	int bad = 0;

	for (int i = 0; i < rounds; i++) {
		long n = keel_initrd_read(sh->path, buf, sizeof(buf), 0);

		if (n == (long)sizeof(buf) && !memcmp(buf, "\177ELF", 4))
			continue;
		if (n != -KEEL_ENOENT)
			bad++;
	}
	check("RACE_0012", bad == 0, "initrd_read of a path being rewritten", bad);
}

static void race_out(struct shared *sh, int rounds)
{
	int bad = 0;

	for (int i = 0; i < rounds; i++) {
		bad += keel_write(1, sh->text, 1) != 1;
		bad += !copied(keel_dmesg(i, sh->out, 64)); /* ERANGE: out of the ring */
		bad += keel_ps((struct keel_ps *)sh->out, 4) != 4;
		bad += keel_harts((struct keel_hart *)sh->out, 4) <= 0;
		bad += keel_meminfo((struct keel_meminfo *)sh->out) != 0;
	}
	check("RACE_0013", bad == 0, "write, dmesg, ps, harts, meminfo on a page being written",
	      bad);
}

/* /bin/nop into @elf, the arguments into @sh. */
static int setup(unsigned char *elf, struct shared *sh, long elf_h)
{
	long n, off = 0;

	while ((n = keel_initrd_read("/bin/nop", elf + off, 4096, off)) > 0)
		off += n;
	if (off <= 0 || off > ELF_SIZE)
		return -1;
	memcpy(&sh->phoff, elf + E_PHOFF, 8);
	memcpy(&sh->phnum, elf + E_PHNUM, 2);
	strcpy(sh->name, "nop");
	strcpy(sh->path, "/bin/nop");
	memset(sh->arg, 'a', LONG_ARG);
	sh->arg[3] = 0;
	sh->argv[0] = sh->name;
	sh->argv[1] = sh->arg;
	sh->handles[0] = elf_h;
	return 0;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 && strcmp(argv[1], "flip") ? atoi(argv[1]) : 300;
	long elf_h, shared_h, pid[2];
	unsigned char *elf;
	struct shared *sh;
	char *fargv[] = { "race", "flip", NULL };
	long hs[2];
	if (argc > 1 && !strcmp(argv[1], "flip"))
		return flip(0, 1);
	elf_h = keel_mem_create(ELF_SIZE);
	shared_h = keel_mem_create(SHARED_SIZE);
	elf = (unsigned char *)keel_mmap(elf_h, 0, ELF_SIZE, KEEL_PROT_READ | KEEL_PROT_WRITE);
	sh = (struct shared *)keel_mmap(shared_h, 0, SHARED_SIZE, KEEL_PROT_READ | KEEL_PROT_WRITE);
	if (elf_h < 0 || shared_h < 0 || (long)elf < 0 || (long)sh < 0 || setup(elf, sh, elf_h)) {
		printf("race: setup failed\n");
		return 1;
	}
	pid[0] = keel_spawn_mem(elf_h, (char *[]){ sh->name, NULL }, NULL, NULL, 0);
	check("RACE_0001", pid[0] > 0 && reaped_ok(pid[0]), "spawn_mem of /bin/nop, nobody writing",
	      pid[0]);
	hs[0] = elf_h;
	hs[1] = shared_h;
	pid[0] = keel_spawn_h("/bin/race", fargv, NULL, hs, 2);
	pid[1] = keel_spawn_h("/bin/race", fargv, NULL, hs, 2);
	check("RACE_0002", pid[0] > 0 && pid[1] > 0, "the flippers start", pid[1]);
	if (pid[0] <= 0 || pid[1] <= 0)
		return 1;
	while (sh->flips < 1000)
		keel_yield();
	race_spawn_mem(elf_h, sh, rounds * 4);
	race_spawn(sh, rounds);
	race_initrd_read(sh, rounds * 10);
	race_out(sh, rounds);
	printf("\nrace: %lu flips\n", sh->flips);
	sh->stop = 1;
	check("RACE_0003", reaped_ok(pid[0]) && reaped_ok(pid[1]), "the flippers end", 0);
	pid[0] = keel_spawn_mem(elf_h, (char *[]){ sh->name, NULL }, NULL, NULL, 0);
	check("RACE_0004", pid[0] > 0 && reaped_ok(pid[0]), "spawn_mem after the race", pid[0]);
	printf("race: %d passed, %d failed\n", passed, failed);
	return failed != 0;
}

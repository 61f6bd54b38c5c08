/*
 * torture.c - the file-system client of 'ninja torture' (tests/torture/).
 *
 * Started by init as a late initcall (a test initramfs adds its line), it
 * writes files to /mnt, syncs and reads them back, for ever, while the
 * host kills servers under it (fs, virtio-blk, console, the UART driver,
 * devmgr) through the shell. Every version of a file gets a new name, so
 * a file that was synced is never written again: after a sync that
 * returned 0 with no fs restart since the write, the file must read back
 * exactly, now and after the power off (the host checks the image with
 * debugfs and e2fsck). Lines it prints, for the host:
 *
 *   torture: durable <name> <size> <fnv1a-32>   a file the host must find
 *   torture: unlinking <name>                   about to go: may be absent from now on
 *   torture: gone <name>                        unlinked and synced
 *   torture: round <n> ok <k> retried <r>       progress
 *   torture: MISMATCH <name> ...                a synced file read back wrong
 *
 * A call that fails because a server died is retried after a pause; a
 * file whose write may have been lost in a restart is written again
 * under a new name.
 */
#include <stdio.h>
#include <string.h>

#include "client.h"
#include "keel.h"
#include "proto.h"
#include "serve.h"

#define DIR	 "/mnt/torture"
#define LIVE	 48   /* durable files kept; older ones are unlinked */
#define BATCH	 4    /* files written per sync */
#define MAXLEN	 3000 /* bytes of one file, at most */
#define RETRY_US 20000

struct file {
	char name[64];
	uint32_t len, sum;
	int durable;
};

static struct file files[LIVE + BATCH];
static unsigned int nfiles;
static unsigned long seq, retried;
static uint32_t rnd_state = 2463534242u;
static char buf[MAXLEN], back[MAXLEN];
static const char *prefix = ""; /* argv[1]: names of this boot's files */

static uint32_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

static uint32_t fnv1a(const char *p, size_t n)
{
	uint32_t h = 2166136261u;

	while (n--)
		h = (h ^ (uint8_t)*p++) * 16777619u;
	return h;
}

/* Which fs server answers now: its pid (a restart makes a new one), or 0. */
static long fs_generation(void)
{
	static struct keel_ps ps[128];
	long n = keel_ps(ps, sizeof(ps) / sizeof(ps[0]));

	for (long i = 0; i < n; i++)
		if (!strcmp(ps[i].name, "fs") && ps[i].state != 3)
			return ps[i].pid;
	return 0;
}

/* Retry @call until it succeeds (a server may be restarting). */
#define PERSIST(call)                                                                              \
	({                                                                                         \
		long r_;                                                                           \
		while ((r_ = (call)) < 0) {                                                        \
			retried++;                                                                 \
			keel_sleep_us(RETRY_US);                                                   \
		}                                                                                  \
		r_;                                                                                \
	})

/* ENOENT is an answer, not a failure. */
static long stat_or_absent(const char *path, uint64_t *size)
{
	uint32_t mode;
	long r = fs_stat(path, size, &mode);

	return r == -KEEL_ENOENT ? 1 : r;
}

static long unlink_or_absent(const char *path)
{
	long r = fs_unlink(path);

	return r == -KEEL_ENOENT ? 0 : r;
}

static void write_one(struct file *f)
{
	uint32_t len = 1 + rnd() % MAXLEN;

	snprintf(f->name, sizeof(f->name), DIR "/%sf%06lu", prefix, seq++);
	for (uint32_t i = 0; i < len; i++)
		buf[i] = (char)('a' + (rnd() + i) % 26);
	f->len = len;
	f->sum = fnv1a(buf, len);
	f->durable = 0;
	PERSIST(fs_write(f->name, 0, buf, len, FS_O_CREATE | FS_O_TRUNC));
}

/* Read @f back: 1 if it matches what was written. */
static int check_one(const struct file *f)
{
	uint64_t size = 0;
	long n;

	if (PERSIST(stat_or_absent(f->name, &size)) == 1)
		return 0;
	if (size != f->len)
		return 0;
	n = PERSIST(fs_read(f->name, 0, back, f->len));
	return (uint32_t)n == f->len && fnv1a(back, f->len) == f->sum;
}

int main(int argc, char **argv)
{
	unsigned long round = 0;

	if (argc > 1)
		prefix = argv[1];

	/* Ready at once: init need not wait for a client that never ends. */
	keel_ready_say(keel_ep_create(), "torture");
	/* The directory: made now, or there from an earlier boot. */
	while (fs_mkdir(DIR) < 0 && PERSIST(stat_or_absent(DIR, &(uint64_t){ 0 })) == 1) {
		retried++;
		keel_sleep_us(RETRY_US);
	}
	for (;;) {
		long gen = fs_generation();
		unsigned int first = nfiles, ok = 0;

		for (unsigned int i = 0; i < BATCH; i++)
			write_one(&files[nfiles++]);
		PERSIST(fs_sync());
		/* A restart between the writes and the sync may have lost them: write again. */
		if (fs_generation() != gen) {
			nfiles = first;
			retried++;
			continue;
		}
		for (unsigned int i = first; i < nfiles; i++) {
			struct file *f = &files[i];

			if (!check_one(f)) {
				/* Read back wrong though synced, unless fs restarted meanwhile. */
				if (fs_generation() == gen) {
					printf("torture: MISMATCH %s: %u bytes, sum 0x%08x\n",
					       f->name, (unsigned int)f->len, (unsigned int)f->sum);
					return 1;
				}
				retried++;
				continue;
			}
			f->durable = 1;
			ok++;
			printf("torture: durable %s %u %08x\n", f->name, (unsigned int)f->len,
			       (unsigned int)f->sum);
		}
		/* Keep LIVE files: unlink the oldest, and say so once that is synced. */
		while (nfiles > LIVE) {
			/*
			 * Said before the unlink: a power off (or a console killed)
			 * between the sync and "gone" must not make the host look
			 * for a file that is rightly gone.
			 */
			printf("torture: unlinking %s\n", files[0].name);
			PERSIST(unlink_or_absent(files[0].name));
			PERSIST(fs_sync());
			printf("torture: gone %s\n", files[0].name);
			memmove(&files[0], &files[1], (nfiles - 1) * sizeof(files[0]));
			nfiles--;
		}
		printf("torture: round %lu ok %u retried %lu\n", ++round, ok, retried);
	}
}

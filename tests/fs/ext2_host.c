/*
 * ext2_host.c - drive servers/fs/ext2.c on an image file, for test_ext2.py.
 *
 *   ext2_host IMG [CMD ARG...]     one command from argv
 *   ext2_host IMG < script         one command per line ('#' starts a comment)
 *
 * Commands (TEXT takes \n \t \s (space) \\ and \xHH escapes):
 *   info                     geometry, free counts, read-only flag, mount message
 *   ls DIR                   "mode(octal) size name" per entry (ext2_readdir)
 *   entry DIR INDEX          that entry's name, or "end"
 *   tree DIR                 every path below DIR: "d PATH", "f PATH SIZE CRC32"
 *                            (of the first 16 MiB),
 *                            "l PATH TARGET", "o PATH MODE"
 *   stat PATH | lookup PATH  "mode 0M size S" | "ino N"
 *   cat PATH [CHUNK]         the file's bytes to stdout, read CHUNK bytes a call
 *   readat PATH OFF LEN      LEN bytes from OFF, as hex
 *   write PATH TEXT          create + truncate, then TEXT
 *   append PATH TEXT         create + append
 *   pwrite PATH OFF TEXT     at OFF, no flags (the file must exist)
 *   writef PATH FLAGS OFF TEXT
 *   put PATH HOSTFILE        create + truncate, a host file's bytes
 *   writebig PATH N [CHUNK]  create + truncate, N pattern bytes, CHUNK a call
 *   pwritebig PATH OFF N     create, N pattern bytes at OFF
 *   checkbig PATH OFF N      "ok" if the N bytes at OFF are the pattern
 *   fill PREFIX SIZE         files PREFIX0, PREFIX1, ... of SIZE bytes until
 *                            the disk is full: "files N bytes B"
 *   mkdir PATH | rm PATH | sync
 *   failio READS WRITES      the device fails every read after READS more
 *                            and every write after WRITES more (-1: never)
 *
 * The library's corruption reports print "corrupt: LINE" as they come.
 * Errors print "error: CMD: NAME (-N)" and the run goes on; the exit status
 * is 0 if every command succeeded, 2 if one failed, 3 if mount failed, 1 for
 * usage. The pattern byte at file offset P is (P * 31 + (P >> 11)) & 0xff,
 * so a block read from the wrong place shows.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ext2.h"

#define SECTOR	   512
#define TREE_DEPTH 64
#define ARG_MAX_N  8
#define HASH_MAX   (16 << 20)

struct image {
	int fd;
	uint64_t sectors;
};

static struct ext2_fs fs;
static int failed;
static long reads_left = -1, writes_left = -1; /* failio: -1 is "never fail" */

/* Whether this device call fails, as failio asked. */
static bool io_fails(long *left)
{
	if (*left < 0)
		return false;
	if (*left == 0)
		return true;
	(*left)--;
	return false;
}

static int img_read(void *ctx, uint64_t sector, uint32_t count, void *buf)
{
	struct image *img = ctx;

	/* A real disk ends: so does this one. */
	if (sector > img->sectors || count > img->sectors - sector || io_fails(&reads_left))
		return -1;
	if (pread(img->fd, buf, (size_t)count * SECTOR, (off_t)(sector * SECTOR)) !=
	    (ssize_t)count * SECTOR)
		return -1;
	return 0;
}

static int img_write(void *ctx, uint64_t sector, uint32_t count, const void *buf)
{
	struct image *img = ctx;

	if (sector > img->sectors || count > img->sectors - sector || io_fails(&writes_left))
		return -1;
	if (pwrite(img->fd, buf, (size_t)count * SECTOR, (off_t)(sector * SECTOR)) !=
	    (ssize_t)count * SECTOR)
		return -1;
	return 0;
}

static uint32_t img_now(void *ctx)
{
	const char *t = getenv("EXT2_HOST_TIME");

	(void)ctx;
	return t ? (uint32_t)strtoul(t, NULL, 0) : 1700000000U;
}

static void img_log(void *ctx, const char *line)
{
	(void)ctx;
	printf("corrupt: %s\n", line);
}

static const char *err_name(long err)
{
	switch (-err) {
	case KEEL_EINVAL:
		return "EINVAL";
	case KEEL_ENOMEM:
		return "ENOMEM";
	case KEEL_ENOTSUP:
		return "ENOTSUP";
	case KEEL_EBUSY:
		return "EBUSY";
	case KEEL_ENOENT:
		return "ENOENT";
	case KEEL_ERANGE:
		return "ERANGE";
	case KEEL_EDENIED:
		return "EDENIED";
	case KEEL_EIO:
		return "EIO";
	case KEEL_EEXIST:
		return "EEXIST";
	case KEEL_ENOTEMPTY:
		return "ENOTEMPTY";
	case KEEL_EISDIR:
		return "EISDIR";
	case KEEL_ENOTDIR:
		return "ENOTDIR";
	case KEEL_ENOSPC:
		return "ENOSPC";
	case KEEL_EROFS:
		return "EROFS";
	}
	return "E?";
}

/* Reports a failed command; returns @err so callers can "return report(...)". */
static long report(const char *cmd, long err)
{
	if (err < 0) {
		printf("error: %s: %s (%ld)\n", cmd, err_name(err), err);
		failed = 1;
	}
	return err;
}

static uint8_t pattern(uint64_t pos)
{
	return (uint8_t)(pos * 31 + (pos >> 11));
}

/* Decodes TEXT escapes in place; returns the length. */
static size_t unescape(char *s)
{
	char *out = s, *in = s;

	while (*in) {
		if (*in != '\\' || !in[1]) {
			*out++ = *in++;
			continue;
		}
		in++;
		switch (*in) {
		case 'n':
			*out++ = '\n';
			in++;
			break;
		case 't':
			*out++ = '\t';
			in++;
			break;
		case 's':
			*out++ = ' ';
			in++;
			break;
		case 'x': {
			char hex[3] = { in[1], in[1] ? in[2] : 0, 0 };

			*out++ = (char)strtoul(hex, NULL, 16);
			in += 1 + strlen(hex);
			break;
		}
		default:
			*out++ = *in++;
			break;
		}
	}
	*out = '\0';
	return (size_t)(out - s);
}

/* CRC-32 (IEEE, as zlib.crc32): @crc is the running value, 0 to start. */
static uint32_t crc32(uint32_t crc, const uint8_t *p, size_t n)
{
	unsigned int k;

	crc = ~crc;
	while (n--) {
		crc ^= *p++;
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320U & -(crc & 1));
	}
	return ~crc;
}

static int cmd_ls(const char *dir)
{
	char name[EXT2_NAME_MAX + 1];
	uint32_t mode;
	uint64_t size;
	unsigned int i;
	int r;

	for (i = 0; (r = ext2_readdir(&fs, dir, i, name, sizeof(name), &mode, &size)) == 1; i++)
		printf("%06o %" PRIu64 " %s\n", mode, size, name);
	return (int)report("ls", r);
}

/*
 * Hashes a file, reading it in odd-sized pieces; only the first
 * HASH_MAX bytes, so a corrupt size of gigabytes of holes stays quick.
 */
static long file_hash(const char *path, uint64_t size, uint32_t *hash)
{
	static uint8_t buf[7777];
	uint64_t off = 0;
	uint32_t h = 0;
	long n;

	while (off < size && off < HASH_MAX) {
		n = ext2_read(&fs, path, off, buf,
			      HASH_MAX - off < sizeof(buf) ? HASH_MAX - off : sizeof(buf));
		if (n <= 0)
			return n ? n : -KEEL_EIO;
		h = crc32(h, buf, (size_t)n);
		off += (uint64_t)n;
	}
	*hash = h;
	return 0;
}

static int tree(char *path, size_t len, int depth)
{
	char name[EXT2_NAME_MAX + 1], target[EXT2_BLOCK_MAX + 1];
	uint64_t size;
	uint32_t mode, hash;
	unsigned int i;
	long r;

	if (depth > TREE_DEPTH)
		return (int)report("tree: too deep", -KEEL_ERANGE);
	for (i = 0; (r = ext2_readdir(&fs, path, i, name, sizeof(name), &mode, &size)) == 1; i++) {
		size_t n = strlen(name);

		if (len + 1 + n >= EXT2_PATH_MAX)
			return (int)report("tree: path too long", -KEEL_ERANGE);
		if (len == 0 || path[len - 1] != '/')
			path[len++] = '/';
		memcpy(path + len, name, n + 1);
		switch (mode & EXT2_S_IFMT) {
		case EXT2_S_IFDIR:
			printf("d %s\n", path);
			r = tree(path, len + n, depth + 1);
			break;
		case EXT2_S_IFREG:
			r = file_hash(path, size, &hash);
			if (!r)
				printf("f %s %" PRIu64 " %08x\n", path, size, hash);
			break;
		case EXT2_S_IFLNK:
			r = ext2_read(&fs, path, 0, target, sizeof(target) - 1);
			if (r >= 0) {
				target[r] = '\0';
				printf("l %s %s\n", path, target);
				r = 0;
			}
			break;
		default:
			printf("o %s %06o\n", path, mode);
		}
		path[len] = '\0';
		if (len > 1 && path[len - 1] == '/')
			path[len - 1] = '\0';
		len = strlen(path);
		if (r < 0)
			return (int)report(path, r);
	}
	return (int)report("tree", r);
}

static int cmd_cat(const char *path, size_t chunk)
{
	uint8_t *buf;
	uint64_t off = 0;
	long n;

	if (!chunk)
		chunk = 4096;
	buf = malloc(chunk);
	if (!buf)
		return 1;
	while ((n = ext2_read(&fs, path, off, buf, chunk)) > 0) {
		fwrite(buf, 1, (size_t)n, stdout);
		off += (uint64_t)n;
	}
	free(buf);
	if (n < 0 && off)
		putchar('\n'); /* the error line starts a line */
	return (int)report("cat", n);
}

static int cmd_readat(const char *path, uint64_t off, size_t len)
{
	uint8_t *buf = malloc(len ? len : 1);
	long n, i;

	if (!buf)
		return 1;
	n = ext2_read(&fs, path, off, buf, len);
	for (i = 0; i < n; i++)
		printf("%02x", buf[i]);
	if (n >= 0)
		printf("\n");
	free(buf);
	return (int)report("readat", n);
}

static int cmd_put(const char *path, const char *host)
{
	struct stat st;
	uint8_t *buf;
	long n;
	int fd = open(host, O_RDONLY);

	if (fd < 0 || fstat(fd, &st)) {
		perror(host);
		failed = 1;
		return 1;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf || read(fd, buf, (size_t)st.st_size) != st.st_size) {
		perror(host);
		exit(1);
	}
	close(fd);
	n = ext2_write(&fs, path, 0, buf, (size_t)st.st_size, EXT2_O_CREATE | EXT2_O_TRUNC);
	free(buf);
	if (n >= 0 && n != st.st_size)
		printf("short write %ld of %lld\n", n, (long long)st.st_size);
	return (int)report("put", n);
}

/* N pattern bytes at @off, @chunk a call; stops at the first short write. */
static int write_pattern(const char *path, uint64_t off, uint64_t n, size_t chunk, int flags)
{
	uint8_t *buf;
	uint64_t done = 0;
	size_t i, want;
	long r = 0;

	if (!chunk)
		chunk = 65536;
	buf = malloc(chunk);
	if (!buf)
		exit(1);
	while (done < n || (n == 0 && flags & EXT2_O_TRUNC)) {
		want = n - done < chunk ? (size_t)(n - done) : chunk;
		for (i = 0; i < want; i++)
			buf[i] = pattern(off + done + i);
		r = ext2_write(&fs, path, off + done, buf, want, flags);
		if (r < 0)
			break;
		done += (uint64_t)r;
		flags &= ~EXT2_O_TRUNC;
		if ((size_t)r < want || want == 0)
			break;
	}
	free(buf);
	printf("wrote %" PRIu64 "\n", done);
	if (r >= 0 && done < n)
		r = -KEEL_ENOMEM; /* a short write is how a full disk first shows */
	return (int)report("write pattern", r);
}

static int cmd_checkbig(const char *path, uint64_t off, uint64_t n)
{
	static uint8_t buf[10000];
	uint64_t done = 0;
	long r, i;

	while (done < n) {
		r = ext2_read(&fs, path, off + done, buf,
			      n - done < sizeof(buf) ? n - done : sizeof(buf));
		if (r <= 0)
			return (int)report("checkbig", r ? r : -KEEL_ERANGE);
		for (i = 0; i < r; i++) {
			if (buf[i] != pattern(off + done + (uint64_t)i)) {
				printf("mismatch at %" PRIu64 "\n", off + done + (uint64_t)i);
				failed = 1;
				return 1;
			}
		}
		done += (uint64_t)r;
	}
	printf("ok\n");
	return 0;
}

/* Files of @size bytes until something fails; that failure is the expected one. */
static int cmd_fill(const char *prefix, size_t size)
{
	char path[EXT2_PATH_MAX];
	uint8_t *buf = malloc(size ? size : 1);
	uint64_t total = 0;
	unsigned int i;
	long r = 0;

	if (!buf)
		exit(1);
	memset(buf, 0xa5, size);
	for (i = 0; i < 1000000; i++) {
		snprintf(path, sizeof(path), "%s%u", prefix, i);
		r = ext2_write(&fs, path, 0, buf, size, EXT2_O_CREATE | EXT2_O_TRUNC);
		if (r < 0)
			break;
		total += (uint64_t)r;
		if ((size_t)r < size)
			break;
	}
	free(buf);
	printf("files %u bytes %" PRIu64 " last %s\n", i, total, r < 0 ? err_name(r) : "short");
	return 0;
}

static void cmd_info(void)
{
	printf("block_size %u groups %u blocks %u inodes %u free_blocks %u free_inodes %u "
	       "inode_size %u ro %d\n",
	       fs.block_size, fs.groups, fs.blocks_count, fs.inodes_count, fs.free_blocks,
	       fs.free_inodes, fs.inode_size, fs.ro);
	printf("msg %s\n", fs.msg);
}

static uint64_t num(const char *s)
{
	return strtoull(s, NULL, 0);
}

/* Runs one command; argv[0] is its name. */
static void run(int argc, char **argv)
{
	const char *c = argv[0];
	char path[EXT2_PATH_MAX + 1];
	uint64_t size;
	uint32_t mode, ino;
	long r;

#define NEED(n)                                                                                    \
	do {                                                                                       \
		if (argc < (n) + 1) {                                                              \
			printf("error: %s: needs %d arguments\n", c, n);                           \
			failed = 1;                                                                \
			return;                                                                    \
		}                                                                                  \
	} while (0)
	if (!strcmp(c, "info")) {
		cmd_info();
	} else if (!strcmp(c, "ls")) {
		NEED(1);
		cmd_ls(argv[1]);
	} else if (!strcmp(c, "entry")) {
		NEED(2);
		r = ext2_readdir(&fs, argv[1], (unsigned int)num(argv[2]), path, sizeof(path),
				 &mode, &size);
		if (r >= 0)
			printf("%s\n", r ? path : "end");
		report(c, r);
	} else if (!strcmp(c, "tree")) {
		NEED(1);
		snprintf(path, sizeof(path), "%s", argv[1]);
		tree(path, strlen(path), 0);
	} else if (!strcmp(c, "stat")) {
		NEED(1);
		r = report("stat", ext2_stat(&fs, argv[1], &size, &mode));
		if (!r)
			printf("mode 0%o size %" PRIu64 "\n", mode, size);
	} else if (!strcmp(c, "lookup")) {
		NEED(1);
		r = report("lookup", ext2_lookup(&fs, argv[1], &ino));
		if (!r)
			printf("ino %u\n", ino);
	} else if (!strcmp(c, "cat")) {
		NEED(1);
		cmd_cat(argv[1], argc > 2 ? (size_t)num(argv[2]) : 0);
	} else if (!strcmp(c, "readat")) {
		NEED(3);
		cmd_readat(argv[1], num(argv[2]), (size_t)num(argv[3]));
	} else if (!strcmp(c, "write") || !strcmp(c, "append")) {
		NEED(2);
		size = unescape(argv[2]);
		r = ext2_write(&fs, argv[1], 0, argv[2], size,
			       EXT2_O_CREATE | (c[0] == 'w' ? EXT2_O_TRUNC : EXT2_O_APPEND));
		report(c, r);
	} else if (!strcmp(c, "pwrite")) {
		NEED(3);
		size = unescape(argv[3]);
		report(c, ext2_write(&fs, argv[1], num(argv[2]), argv[3], size, 0));
	} else if (!strcmp(c, "writef")) {
		NEED(4);
		size = unescape(argv[4]);
		r = ext2_write(&fs, argv[1], num(argv[3]), argv[4], size, (int)num(argv[2]));
		if (r >= 0)
			printf("wrote %ld\n", r);
		report(c, r);
	} else if (!strcmp(c, "put")) {
		NEED(2);
		cmd_put(argv[1], argv[2]);
	} else if (!strcmp(c, "writebig")) {
		NEED(2);
		write_pattern(argv[1], 0, num(argv[2]), argc > 3 ? (size_t)num(argv[3]) : 0,
			      EXT2_O_CREATE | EXT2_O_TRUNC);
	} else if (!strcmp(c, "pwritebig")) {
		NEED(3);
		write_pattern(argv[1], num(argv[2]), num(argv[3]), 0, EXT2_O_CREATE);
	} else if (!strcmp(c, "checkbig")) {
		NEED(3);
		cmd_checkbig(argv[1], num(argv[2]), num(argv[3]));
	} else if (!strcmp(c, "fill")) {
		NEED(2);
		cmd_fill(argv[1], (size_t)num(argv[2]));
	} else if (!strcmp(c, "mkdir")) {
		NEED(1);
		report(c, ext2_mkdir(&fs, argv[1]));
	} else if (!strcmp(c, "rm")) {
		NEED(1);
		report(c, ext2_unlink(&fs, argv[1]));
	} else if (!strcmp(c, "failio")) {
		NEED(2);
		reads_left = strtol(argv[1], NULL, 0);
		writes_left = strtol(argv[2], NULL, 0);
	} else if (!strcmp(c, "sync")) {
		report(c, ext2_sync(&fs));
	} else {
		printf("error: unknown command %s\n", c);
		failed = 1;
	}
#undef NEED
}

/* Splits @line at blanks into at most ARG_MAX_N words. */
static int split(char *line, char **argv)
{
	int argc = 0;
	char *tok, *save;

	for (tok = strtok_r(line, " \t\r\n", &save); tok && argc < ARG_MAX_N;
	     tok = strtok_r(NULL, " \t\r\n", &save))
		argv[argc++] = tok;
	return argc;
}

int main(int argc, char **argv)
{
	struct image img;
	struct ext2_dev dev = {
		.ctx = &img,
		.read = img_read,
		.write = img_write,
		.now = img_now,
		.log = img_log,
	};
	struct stat st;
	char *line = NULL, *args[ARG_MAX_N];
	size_t cap = 0;
	int err, n;

	if (argc < 2) {
		fprintf(stderr, "usage: %s IMG [CMD ARG...]\n", argv[0]);
		return 1;
	}
	img.fd = open(argv[1], O_RDWR);
	if (img.fd < 0 || fstat(img.fd, &st)) {
		perror(argv[1]);
		return 1;
	}
	img.sectors = (uint64_t)st.st_size / SECTOR;
	dev.sectors = img.sectors;
	err = ext2_mount(&fs, &dev);
	if (err) {
		printf("mount: %s (%d): %s\n", err_name(err), err, fs.msg);
		return 3;
	}
	if (fs.msg[0])
		printf("mount: %s\n", fs.msg);
	if (argc > 2) {
		run(argc - 2, argv + 2);
	} else {
		while (getline(&line, &cap, stdin) > 0) {
			n = split(line, args);
			if (n && args[0][0] != '#')
				run(n, args);
			fflush(stdout);
		}
		free(line);
	}
	close(img.fd);
	return failed ? 2 : 0;
}

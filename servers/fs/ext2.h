/*
 * ext2.h - an ext2 file-system library for the fs server.
 *
 * Freestanding: no allocation, no libc beyond memcpy/memset/memcmp/strlen.
 * The caller owns a struct ext2_fs (about 300 KiB with the default cache)
 * and a block device given as two sector callbacks. Nothing here locks:
 * one thread uses one struct ext2_fs at a time.
 *
 * Paths are absolute or relative to the root alike ("/a/b" == "a/b");
 * "//" and a trailing "/" are allowed; "." and ".." are looked up as the
 * directory entries they are. Symbolic links are not followed.
 *
 * Writes go to a write-back cache of EXT2_CACHE_BLOCKS blocks, which
 * reach the disk in an order that a crash cannot turn into references to
 * nothing; the superblock is marked not clean before the first of them and
 * clean by ext2_sync(). ext2_mount() repairs an image not marked clean
 * (e2fsck -p's fixes; fs->msg says what). So: what ext2_sync() returned 0
 * for survives a crash; call it on FS_SYNC and before the medium goes away.
 *
 * Errors are KEEL_* numbers (include/keel/syscall.h), returned negated.
 * ext2 needs a few POSIX-like ones; each maps onto the closest KEEL code:
 */
#ifndef KEEL_EXT2_H
#define KEEL_EXT2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keel/syscall.h"

#define EXT2_EINVAL    KEEL_EINVAL    /* bad argument */
#define EXT2_ENOTDIR   KEEL_ENOTDIR   /* a path component is not a directory */
#define EXT2_EISDIR    KEEL_EISDIR    /* read/write on a directory */
#define EXT2_ENOSPC    KEEL_ENOSPC    /* no free block or inode left */
#define EXT2_ENOTSUP   KEEL_ENOTSUP   /* a feature or layout this code does not handle */
#define EXT2_EEXIST    KEEL_EEXIST    /* the name is taken */
#define EXT2_ENOTEMPTY KEEL_ENOTEMPTY /* rmdir of a directory with entries */
#define EXT2_EBUSY     KEEL_EBUSY     /* unlink of the root */
#define EXT2_ENOENT    KEEL_ENOENT    /* no such file or directory */
#define EXT2_ERANGE    KEEL_ERANGE    /* name/path too long, file too big, too many links */
#define EXT2_EROFS     KEEL_EROFS     /* mounted read-only (unknown ro_compat feature) */
#define EXT2_EIO       KEEL_EIO	      /* device error, or the image is corrupt */

/* Every call's result matters: a dropped error is a lost write. */
#define EXT2_MUST_CHECK __attribute__((warn_unused_result))

/* ext2_write() flags: the values of FS_O_* in servers/lib/proto.h. */
#define EXT2_O_CREATE 1 /* create a missing regular file (an existing one is opened) */
#define EXT2_O_TRUNC  2 /* free the contents first */
#define EXT2_O_APPEND 4 /* write at the end; @off is ignored */

/* Block sizes 1024..4096; the cache holds that many of the largest. */
#define EXT2_BLOCK_MAX 4096
/* What a sync of a few files dirties: none of it need be written before the sync. */
#ifndef EXT2_CACHE_BLOCKS
#define EXT2_CACHE_BLOCKS 64
#endif
/* Inodes a recovery at mount can count links of (2 bytes each); a bigger one mounts read-only. */
#ifndef EXT2_RECOVER_INODES
#define EXT2_RECOVER_INODES 16384
#endif
#define EXT2_NAME_MAX 255  /* bytes in one path component */
#define EXT2_PATH_MAX 4096 /* bytes in a path, without the NUL */
#define EXT2_MSG_MAX  128

/* The mode bits ext2_stat() and ext2_readdir() give (i_mode, as in cpio). */
#define EXT2_S_IFMT   0170000
#define EXT2_S_IFSOCK 0140000
#define EXT2_S_IFLNK  0120000
#define EXT2_S_IFREG  0100000
#define EXT2_S_IFBLK  0060000
#define EXT2_S_IFDIR  0040000
#define EXT2_S_IFCHR  0020000
#define EXT2_S_IFIFO  0010000

/*
 * The block device: 512-byte sectors; read/write return 0 or a negative
 * error (any negative value becomes -EXT2_EIO). @sectors bounds the
 * file system at mount (0: unknown, not checked). @now gives seconds for
 * inode times (NULL: times are written as 0). @log takes one line (no
 * newline) naming corruption found after mount, such as "inode 12: block 3
 * in the system zone"; at most EXT2_LOG_MAX a mount, then one saying the
 * rest are dropped (NULL: not told).
 */
struct ext2_dev {
	void *ctx;
	int (*read)(void *ctx, uint64_t sector, uint32_t count, void *buf);
	int (*write)(void *ctx, uint64_t sector, uint32_t count, const void *buf);
	uint64_t sectors;
	uint32_t (*now)(void *ctx);
	void (*log)(void *ctx, const char *line);
	int (*flush)(void *ctx); /* what was written is on the medium (NULL: nothing to do) */
};

#define EXT2_LOG_MAX 8 /* corruption lines a mount: a crafted disk cannot flood the log */

/* One cached block; @data is only valid while @valid. */
struct ext2_cblock {
	uint32_t blk;
	uint32_t used; /* LRU stamp */
	bool valid;
	bool dirty;    /* differs from the disk until written back */
	uint8_t order; /* when a sync writes it: ext2.c's enum wb_order */
	uint8_t data[EXT2_BLOCK_MAX] __attribute__((aligned(8)));
};

/* A mounted file system. Fields are private to ext2.c except @msg and @ro. */
struct ext2_fs {
	struct ext2_dev dev;
	bool ro;		/* mounted read-only: writes give -EXT2_EROFS */
	char msg[EXT2_MSG_MAX]; /* why ext2_mount() failed or went read-only */

	/* Geometry, from the superblock, checked by ext2_mount(). */
	uint32_t block_size;
	uint32_t sectors_per_block;
	uint32_t blocks_count, inodes_count;
	uint32_t first_data_block;
	uint32_t blocks_per_group, inodes_per_group;
	uint32_t groups;
	uint32_t gdt_blocks;	/* group descriptor table, after the superblock */
	uint32_t itable_blocks; /* inode table of one group */
	uint32_t data_start;	/* first block after the superblock and descriptors */
	uint32_t meta_blocks;	/* superblock, descriptors, reserved ones: a group's first */
	uint32_t backup_bgs[2]; /* sparse_super2: the groups with backups (0: none) */
	bool sparse_super;	/* backups only in groups 0, 1 and powers of 3, 5, 7 */
	bool sparse_super2;	/* backups only in group 0 and backup_bgs[] */
	uint32_t inode_size;
	uint32_t first_ino;
	uint32_t rev;
	bool filetype;	 /* directory entries carry a file type */
	bool large_file; /* i_size_high holds the top half of a file's size */

	/* The superblock as read; free counts below win at sync. */
	uint8_t sb[1024];
	uint32_t free_blocks, free_inodes;
	bool sb_dirty;
	bool sb_clean;	  /* the superblock on the disk says EXT2_VALID_FS */
	bool recovered;	  /* ext2_mount() repaired what a crash left; msg says what */
	bool broken;	  /* a change failed half-way: syncs say EXT2_ERROR_FS, not clean */
	uint32_t changes; /* blocks made dirty, ever: did a failed change touch the cache? */

	/* Where the last ext2_readdir() stopped, so listing in order stays linear. */
	struct {
		uint32_t ino, index, gen;
		uint32_t lblk, blk, off;
	} rd;
	uint32_t gen; /* bumped by every directory change: rd is stale */

	uint32_t logged; /* corruption lines given to dev.log this mount */
	uint32_t stamp;	 /* LRU clock */
	struct ext2_cblock cache[EXT2_CACHE_BLOCKS];
	uint16_t refs[EXT2_RECOVER_INODES]; /* recover(): names of each inode, and flags */
};

/*
 * Checks the superblock (magic, revision, block size, counts, every
 * group descriptor) and readies @fs. Incompat features other than
 * filetype are refused with -EXT2_ENOTSUP; unknown ro_compat features
 * mount read-only. Either way fs->msg says which. 0 or -EXT2_E*.
 */
EXT2_MUST_CHECK int ext2_mount(struct ext2_fs *fs, const struct ext2_dev *dev);

/* The inode number of @path. 0 or -EXT2_E*. */
EXT2_MUST_CHECK int ext2_lookup(struct ext2_fs *fs, const char *path, uint32_t *ino);

/* Size in bytes and i_mode (type and permission bits) of @path. 0 or -EXT2_E*. */
EXT2_MUST_CHECK int ext2_stat(struct ext2_fs *fs, const char *path, uint64_t *size, uint32_t *mode);

/*
 * Up to @len bytes of a regular file (or a symlink's target) from @off.
 * Holes read as zeros. Bytes read (0 at or past the end) or -EXT2_E*.
 */
EXT2_MUST_CHECK long ext2_read(struct ext2_fs *fs, const char *path, uint64_t off, void *buf,
			       size_t len);

/*
 * Writes @len bytes at @off of a regular file, as @flags (EXT2_O_*) say.
 * Writing past the end leaves a hole. Bytes written: fewer than @len only
 * if the disk filled up after some were written; else -EXT2_E*.
 */
EXT2_MUST_CHECK long ext2_write(struct ext2_fs *fs, const char *path, uint64_t off, const void *buf,
				size_t len, int flags);

/*
 * Entry @index of directory @path, "." and ".." skipped: its name
 * (NUL-terminated; -EXT2_ERANGE if @namemax is too small), mode and size.
 * 1 for an entry, 0 past the end, or -EXT2_E*. Asking for 0, 1, 2, ... in
 * turn costs one pass over the directory: where the last call stopped is
 * remembered until a directory changes; any other order rescans.
 */
EXT2_MUST_CHECK int ext2_readdir(struct ext2_fs *fs, const char *path, unsigned int index,
				 char *name, size_t namemax, uint32_t *mode, uint64_t *size);

/* A new empty directory, mode 0755. 0 or -EXT2_E* (-EXT2_EEXIST if taken). */
EXT2_MUST_CHECK int ext2_mkdir(struct ext2_fs *fs, const char *path);

/* Removes a file, symlink, device or empty directory. 0 or -EXT2_E*. */
EXT2_MUST_CHECK int ext2_unlink(struct ext2_fs *fs, const char *path);

/* Writes back dirty blocks, group descriptors and the superblock. 0 or -EXT2_E*. */
EXT2_MUST_CHECK int ext2_sync(struct ext2_fs *fs);

#endif

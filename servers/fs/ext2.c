/*
 * ext2.c - ext2 (revisions 0 and 1) on a sector device, for the fs server.
 *
 * Layout, as the ext2 specification (and e2fsprogs' ext2_fs.h) names it:
 * the superblock is at byte 1024; the group descriptor table starts in
 * the block after the one holding it; each group's descriptor says where
 * its block bitmap, inode bitmap and inode table are. A file's blocks are
 * found through i_block[]: 12 direct, then single, double and triple
 * indirect blocks of 32-bit block numbers. Directories are linear lists
 * of entries that each carry their own length (rec_len).
 *
 * Owns: a write-back block cache (LRU, dirty bits, written back in the
 * order of enum wb_order), the superblock's clean flag and the repair at
 * mount when it is not set (recover()), block and inode
 * allocation with the free counts, block maps (read and write at every
 * depth), directory entries (insert splits an entry's slack, delete merges
 * into the previous entry), and where the last ext2_readdir() stopped.
 *
 * Invariants:
 *  - No pointer into the cache is kept across another call that takes a
 *    block: any of them may evict. On-disk structures are memcpy'd into
 *    locals and back, which also keeps unaligned or aliased access out.
 *  - The disk is input. Every number read from it is checked before
 *    anything is read or written through it: a block of a file's map
 *    must be on the file system, outside the system zone (superblock
 *    copies, descriptors and reserved ones, bitmaps, inode tables: see
 *    group_meta) and used in its bitmap, and not already on its walk
 *    (block_check, bmap_check); directory entries fit their block and
 *    name no reserved inode; sizes agree with the map. Mount checks the
 *    geometry and that each group's metadata lies in the group, clear of
 *    the rest. Walks are bounded by the depth of the block map, the size
 *    of a directory and the length of a path, so a corrupt image gives
 *    -EXT2_EIO and a line to dev.log (corrupt(), a few a mount), never a
 *    loop. A map is checked whole before any of it is freed; a block in
 *    it twice on two branches stops at its clear bit. The allocators
 *    pass over metadata blocks and in-use inodes a bitmap calls free.
 *  - The superblock's free counts are kept in fs->free_*, summed from the
 *    group descriptors at mount, and written at ext2_sync().
 *
 * Choices: htree (dir_index) directories are read linearly, and the
 * first change to one clears its EXT2_INDEX_FL, turning it into the plain
 * directory it also is. A freed inode is zeroed (no i_dtime), so e2fsck is
 * content without a clock. Reserved blocks (s_r_blocks_count) are not
 * held back: the fs server is the only user. Backup superblocks and
 * descriptors are left alone, as Linux does.
 *
 * Not here: extents, inline data, journalling, checksums, xattrs (a
 * file's xattr block is only released when the file goes), locking.
 */
#include <string.h> /* memcpy, memset, memcmp, strlen: nothing else from libc */

#include "ext2.h"

/* On-disk structures are copied byte for byte: both Keel's targets are little-endian. */
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "ext2.c assumes a little-endian CPU"
#endif

#define SECTOR_SIZE		 512
#define EXT2_SUPER_SECTOR	 (1024 / SECTOR_SIZE) /* the superblock is at byte 1024 */
#define EXT2_SUPER_SIZE		 1024
#define EXT2_SUPER_MAGIC	 0xef53
#define EXT2_VALID_FS		 0x0001 /* s_state: unmounted (for Keel: synced) cleanly */
#define EXT2_ERROR_FS		 0x0002 /* s_state: errors detected */
#define EXT2_GOOD_OLD_REV	 0
#define EXT2_DYNAMIC_REV	 1
#define EXT2_GOOD_OLD_INODE_SIZE 128
#define EXT2_GOOD_OLD_FIRST_INO	 11
#define EXT2_ROOT_INO		 2
#define EXT2_MIN_BLOCK_LOG	 10 /* block size = 1024 << s_log_block_size */
#define EXT2_MAX_BLOCK_LOG	 12 /* what the cache holds: 4096 */
#define EXT2_DESC_SIZE		 32 /* no 64bit feature: 32-byte descriptors */
#define EXT2_NDIR_BLOCKS	 12
#define EXT2_N_BLOCKS		 15
#define EXT2_LINK_MAX		 32000 /* as Linux's ext2 */
#define EXT2_FAST_LINK_MAX	 60    /* a fast symlink's target lives in i_block[] */

/* i_flags */
#define EXT2_INDEX_FL	    0x00001000 /* htree directory */
#define EXT4_EXTENTS_FL	    0x00080000
#define EXT4_INLINE_DATA_FL 0x10000000

/* Directory entry file types (filetype feature). */
#define EXT2_FT_UNKNOWN	 0
#define EXT2_FT_REG_FILE 1
#define EXT2_FT_DIR	 2
#define EXT2_FT_CHRDEV	 3
#define EXT2_FT_BLKDEV	 4
#define EXT2_FT_FIFO	 5
#define EXT2_FT_SOCK	 6
#define EXT2_FT_SYMLINK	 7

/* An xattr block's header: magic, then the number of inodes sharing it. */
#define EXT2_XATTR_MAGIC 0xea020000

/* Compat features that move metadata: reserved descriptor blocks, fewer backups. */
#define EXT2_FEATURE_COMPAT_RESIZE_INODE  0x0010
#define EXT2_FEATURE_COMPAT_SPARSE_SUPER2 0x0200

/* Features this code handles; the rest of incompat is refused, of ro_compat mounts read-only. */
#define EXT2_FEATURE_INCOMPAT_FILETYPE	    0x0002
#define EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER 0x0001
#define EXT2_FEATURE_RO_COMPAT_LARGE_FILE   0x0002
#define EXT2_FEATURE_RO_COMPAT_BTREE_DIR    0x0004 /* defined, never used by anyone */
#define EXT2_INCOMPAT_OK		    EXT2_FEATURE_INCOMPAT_FILETYPE
#define EXT2_RO_COMPAT_OK                                                                          \
	(EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER | EXT2_FEATURE_RO_COMPAT_LARGE_FILE |                 \
	 EXT2_FEATURE_RO_COMPAT_BTREE_DIR)

#define NONE 0xffffffffU

struct ext2_super {
	uint32_t s_inodes_count;
	uint32_t s_blocks_count;
	uint32_t s_r_blocks_count;
	uint32_t s_free_blocks_count;
	uint32_t s_free_inodes_count;
	uint32_t s_first_data_block;
	uint32_t s_log_block_size;
	uint32_t s_log_frag_size;
	uint32_t s_blocks_per_group;
	uint32_t s_frags_per_group;
	uint32_t s_inodes_per_group;
	uint32_t s_mtime;
	uint32_t s_wtime;
	uint16_t s_mnt_count;
	uint16_t s_max_mnt_count;
	uint16_t s_magic;
	uint16_t s_state;
	uint16_t s_errors;
	uint16_t s_minor_rev_level;
	uint32_t s_lastcheck;
	uint32_t s_checkinterval;
	uint32_t s_creator_os;
	uint32_t s_rev_level;
	uint16_t s_def_resuid;
	uint16_t s_def_resgid;
	uint32_t s_first_ino; /* revision 1 from here */
	uint16_t s_inode_size;
	uint16_t s_block_group_nr;
	uint32_t s_feature_compat;
	uint32_t s_feature_incompat;
	uint32_t s_feature_ro_compat;
	uint8_t s_uuid[16];
	char s_volume_name[16];
	char s_last_mounted[64];
	uint32_t s_algorithm_usage_bitmap;
	uint8_t s_prealloc_blocks;
	uint8_t s_prealloc_dir_blocks;
	uint16_t s_reserved_gdt_blocks; /* resize_inode: descriptor blocks kept for growth */
	uint8_t s_mid[588 - 208];
	uint32_t s_backup_bgs[2]; /* sparse_super2: the two groups with backups */
	uint8_t s_rest[EXT2_SUPER_SIZE - 596];
};
_Static_assert(sizeof(struct ext2_super) == EXT2_SUPER_SIZE, "superblock size");
_Static_assert(offsetof(struct ext2_super, s_magic) == 56, "s_magic offset");
_Static_assert(offsetof(struct ext2_super, s_first_ino) == 84, "s_first_ino offset");
_Static_assert(offsetof(struct ext2_super, s_feature_ro_compat) == 100, "ro_compat offset");
_Static_assert(offsetof(struct ext2_super, s_reserved_gdt_blocks) == 206, "reserved gdt offset");
_Static_assert(offsetof(struct ext2_super, s_backup_bgs) == 0x24c, "backup_bgs offset");

struct ext2_group_desc {
	uint32_t bg_block_bitmap;
	uint32_t bg_inode_bitmap;
	uint32_t bg_inode_table;
	uint16_t bg_free_blocks_count;
	uint16_t bg_free_inodes_count;
	uint16_t bg_used_dirs_count;
	uint16_t bg_flags;
	uint8_t bg_reserved[12];
};
_Static_assert(sizeof(struct ext2_group_desc) == EXT2_DESC_SIZE, "descriptor size");

/* The first 128 bytes of an inode: all this code reads or writes of one. */
struct ext2_inode {
	uint16_t i_mode;
	uint16_t i_uid;
	uint32_t i_size;
	uint32_t i_atime;
	uint32_t i_ctime;
	uint32_t i_mtime;
	uint32_t i_dtime;
	uint16_t i_gid;
	uint16_t i_links_count;
	uint32_t i_blocks; /* 512-byte units, indirect blocks included */
	uint32_t i_flags;
	uint32_t i_osd1;
	uint32_t i_block[EXT2_N_BLOCKS];
	uint32_t i_generation;
	uint32_t i_file_acl;
	uint32_t i_size_high; /* regular files; i_dir_acl for directories */
	uint32_t i_faddr;
	uint8_t i_osd2[12];
};
_Static_assert(sizeof(struct ext2_inode) == EXT2_GOOD_OLD_INODE_SIZE, "inode size");
_Static_assert(offsetof(struct ext2_inode, i_block) == 40, "i_block offset");

/* i_extra_isize of a large inode: what e2fsprogs writes for new inodes. */
#define EXT2_EXTRA_ISIZE_OFF EXT2_GOOD_OLD_INODE_SIZE
#define EXT2_EXTRA_ISIZE     32

/* A directory entry's fixed part; the name follows. */
struct ext2_dirent_head {
	uint32_t inode;
	uint16_t rec_len;
	uint8_t name_len;
	uint8_t file_type; /* high byte of a 16-bit name_len without filetype */
};
#define EXT2_DIRENT_HEAD 8
_Static_assert(sizeof(struct ext2_dirent_head) == EXT2_DIRENT_HEAD, "dirent head");

/* Room an entry with an @len-byte name needs: entries are 4-byte aligned. */
static uint32_t rec_size(uint32_t len)
{
	return (EXT2_DIRENT_HEAD + len + 3) & ~3U;
}

/* --- messages (ext2_mount's reasons, corruption reports) --------------- */

/* Appends @s to the line @buf (EXT2_MSG_MAX bytes), cut short if it must. */
static void msg_add(char *buf, const char *s)
{
	size_t n = strlen(buf);

	while (*s && n < EXT2_MSG_MAX - 1)
		buf[n++] = *s++;
	buf[n] = '\0';
}

static void msg_num(char *buf, uint64_t v, unsigned int base)
{
	char tmp[24];
	int i = sizeof(tmp) - 1;

	tmp[i] = '\0';
	do {
		tmp[--i] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v && i > 0);
	if (base == 16)
		msg_add(buf, "0x");
	msg_add(buf, &tmp[i]);
}

/* Sets fs->msg to "@what@val" and returns @err, for one-line refusals. */
static int refuse(struct ext2_fs *fs, int err, const char *what, uint64_t val, unsigned int base)
{
	fs->msg[0] = '\0';
	msg_add(fs->msg, what);
	if (base)
		msg_num(fs->msg, val, base);
	return err;
}

/*
 * Reports corruption found after mount and returns -EXT2_EIO: @fmt with
 * each '%' replaced by the next of @a, @b, @c in decimal, to dev.log. Only
 * EXT2_LOG_MAX lines a mount, then one saying so: the disk is the input.
 */
static int corrupt(struct ext2_fs *fs, const char *fmt, uint64_t a, uint64_t b, uint64_t c)
{
	const uint64_t args[3] = { a, b, c };
	char line[EXT2_MSG_MAX] = "", piece[2] = "";
	unsigned int n = 0;

	if (!fs->dev.log || fs->logged > EXT2_LOG_MAX)
		return -EXT2_EIO;
	if (fs->logged++ == EXT2_LOG_MAX) {
		fs->dev.log(fs->dev.ctx, "more corruption: not reported until the next mount");
		return -EXT2_EIO;
	}
	for (; *fmt; fmt++) {
		if (*fmt == '%' && n < 3) {
			msg_num(line, args[n++], 10);
			continue;
		}
		piece[0] = *fmt;
		msg_add(line, piece);
	}
	fs->dev.log(fs->dev.ctx, line);
	return -EXT2_EIO;
}

/* --- block cache --------------------------------------------------------- */

static uint32_t now(struct ext2_fs *fs);

static int dev_block(struct ext2_fs *fs, uint32_t blk, void *buf, bool write)
{
	uint64_t sector = (uint64_t)blk * fs->sectors_per_block;
	int err;

	if (write)
		err = fs->dev.write(fs->dev.ctx, sector, fs->sectors_per_block, buf);
	else
		err = fs->dev.read(fs->dev.ctx, sector, fs->sectors_per_block, buf);
	return err < 0 ? -EXT2_EIO : 0;
}

/*
 * Write-back order. A sync (and a cache full of dirty blocks) writes the
 * dirty blocks one class at a time, flushing the disk between classes,
 * so a crash part-way leaves references to nothing new: data, indirect
 * and freshly allocated blocks first, then inode tables and bitmaps,
 * then directory blocks changed in place, then the group descriptors;
 * the superblock, marked clean, is last. The worst a crash leaves is a
 * leaked inode or block, or a name whose inode was freed, and the
 * superblock not marked clean: ext2_mount() repairs those (recover()).
 */
enum wb_order {
	WB_DATA,  /* file data, indirect blocks, xattr blocks, blocks new to a file */
	WB_INODE, /* inode tables, block and inode bitmaps */
	WB_DIR,	  /* directory blocks changed in place: names go to inodes already written */
	WB_DESC,  /* group descriptors */
	WB_ORDERS
};

/* Marks @c dirty, to be written with class @order (the earliest it was given). */
static void blk_dirty(struct ext2_fs *fs, struct ext2_cblock *c, unsigned int order)
{
	fs->changes++;
	if (!c->dirty || order < c->order)
		c->order = (uint8_t)order;
	c->dirty = true;
}

static int dev_flush(struct ext2_fs *fs)
{
	return fs->dev.flush && fs->dev.flush(fs->dev.ctx) < 0 ? -EXT2_EIO : 0;
}

/*
 * Writes the superblock with the free counts and @clean as its state
 * (EXT2_VALID_FS), then flushes. Not clean goes to the disk before the
 * first block a sync changes; clean after the last.
 */
static int sb_write(struct ext2_fs *fs, bool clean)
{
	struct ext2_super sb;
	int err;

	memcpy(&sb, fs->sb, sizeof(sb));
	sb.s_free_blocks_count = fs->free_blocks;
	sb.s_free_inodes_count = fs->free_inodes;
	/* A change that failed half-way was written as it was: the next mount repairs it. */
	clean = clean && !fs->broken;
	if (clean)
		sb.s_state = (uint16_t)((sb.s_state | EXT2_VALID_FS) & ~EXT2_ERROR_FS);
	else if (fs->broken)
		sb.s_state = (uint16_t)((sb.s_state & ~EXT2_VALID_FS) | EXT2_ERROR_FS);
	else
		sb.s_state &= (uint16_t)~EXT2_VALID_FS;
	sb.s_wtime = now(fs);
	memcpy(fs->sb, &sb, sizeof(sb));
	err = fs->dev.write(fs->dev.ctx, EXT2_SUPER_SECTOR, EXT2_SUPER_SIZE / SECTOR_SIZE, fs->sb);
	if (err < 0)
		return -EXT2_EIO;
	fs->sb_clean = clean;
	fs->sb_dirty = false;
	return dev_flush(fs);
}

static int cache_writeback(struct ext2_fs *fs, struct ext2_cblock *c)
{
	int err;

	if (!c->valid || !c->dirty)
		return 0;
	err = dev_block(fs, c->blk, c->data, true);
	if (err)
		return err;
	c->dirty = false;
	return 0;
}

/*
 * Writes every dirty block, class by class (enum wb_order), the
 * superblock marked not clean first. 0 or the first error; a block that
 * failed stays dirty, and no later class is written.
 */
static int cache_flush(struct ext2_fs *fs)
{
	unsigned int i, order;
	bool any = false;
	int err;

	for (i = 0; i < EXT2_CACHE_BLOCKS; i++)
		any |= fs->cache[i].valid && fs->cache[i].dirty;
	if (!any)
		return 0;
	if (fs->sb_clean) {
		err = sb_write(fs, false);
		if (err)
			return err;
	}
	for (order = 0; order < WB_ORDERS; order++) {
		any = false;
		for (i = 0; i < EXT2_CACHE_BLOCKS; i++) {
			struct ext2_cblock *c = &fs->cache[i];

			if (!c->valid || !c->dirty || c->order != order)
				continue;
			err = cache_writeback(fs, c);
			if (err)
				return err;
			any = true;
		}
		/* This class on the medium before the next refers to it. */
		err = any ? dev_flush(fs) : 0;
		if (err)
			return err;
	}
	return 0;
}

enum blk_how {
	BLK_READ, /* the block's contents from the disk */
	BLK_ZERO, /* a zeroed, dirty block: it is about to be overwritten */
};

/*
 * The cached copy of block @blk. The pointer is valid until the next call
 * that takes a block; whoever changes c->data sets c->dirty.
 */
static int blk_get(struct ext2_fs *fs, uint32_t blk, enum blk_how how, struct ext2_cblock **out)
{
	struct ext2_cblock *c, *victim = &fs->cache[0];
	unsigned int i;
	int err;

	if (blk >= fs->blocks_count)
		return -EXT2_EIO;
	for (i = 0; i < EXT2_CACHE_BLOCKS; i++) {
		c = &fs->cache[i];
		if (c->valid && c->blk == blk)
			goto hit;
		if (!c->valid)
			victim = c;
		else if (victim->valid && (victim->dirty > c->dirty ||
					   (victim->dirty == c->dirty && c->used < victim->used)))
			victim = c;
	}
	c = victim;
	/* Only dirty blocks left: write them all, in order, rather than this one alone. */
	if (c->valid && c->dirty) {
		err = cache_flush(fs);
		if (err)
			return err;
	}
	c->valid = false;
	if (how == BLK_READ) {
		err = dev_block(fs, blk, c->data, false);
		if (err)
			return err;
	}
	c->blk = blk;
	c->valid = true;
	c->dirty = false;
hit:
	if (how == BLK_ZERO) {
		memset(c->data, 0, fs->block_size);
		blk_dirty(fs, c, WB_DATA);
	}
	c->used = ++fs->stamp;
	*out = c;
	return 0;
}

/* Copies @len bytes at @off of block @blk out to @obj. */
static int blk_read_at(struct ext2_fs *fs, uint32_t blk, uint32_t off, void *obj, size_t len)
{
	struct ext2_cblock *c;
	int err = blk_get(fs, blk, BLK_READ, &c);

	if (err)
		return err;
	memcpy(obj, c->data + off, len);
	return 0;
}

/* Copies @obj's @len bytes in at @off of block @blk, which is then dirty. */
static int blk_write_at(struct ext2_fs *fs, uint32_t blk, uint32_t off, const void *obj, size_t len,
			unsigned int order)
{
	struct ext2_cblock *c;
	int err = blk_get(fs, blk, BLK_READ, &c);

	if (err)
		return err;
	memcpy(c->data + off, obj, len);
	blk_dirty(fs, c, order);
	return 0;
}

/* --- group descriptors and inodes -------------------------------------- */

static int gd_locate(struct ext2_fs *fs, uint32_t g, uint32_t *blk, uint32_t *off)
{
	if (g >= fs->groups)
		return -EXT2_EIO;
	*blk = fs->first_data_block + 1 + g / (fs->block_size / EXT2_DESC_SIZE);
	*off = g % (fs->block_size / EXT2_DESC_SIZE) * EXT2_DESC_SIZE;
	return 0;
}

static int gd_get(struct ext2_fs *fs, uint32_t g, struct ext2_group_desc *gd)
{
	uint32_t blk, off;
	int err = gd_locate(fs, g, &blk, &off);

	return err ? err : blk_read_at(fs, blk, off, gd, sizeof(*gd));
}

static int gd_put(struct ext2_fs *fs, uint32_t g, const struct ext2_group_desc *gd)
{
	uint32_t blk, off;
	int err = gd_locate(fs, g, &blk, &off);

	return err ? err : blk_write_at(fs, blk, off, gd, sizeof(*gd), WB_DESC);
}

/* Blocks in group @g: the last group may be short. */
static uint32_t group_blocks(const struct ext2_fs *fs, uint32_t g)
{
	if (g == fs->groups - 1)
		return fs->blocks_count - fs->first_data_block - g * fs->blocks_per_group;
	return fs->blocks_per_group;
}

static uint32_t group_first_block(const struct ext2_fs *fs, uint32_t g)
{
	return fs->first_data_block + g * fs->blocks_per_group;
}

/*
 * A group's free count @count moved by @delta, kept within 0..@max: a
 * count that lied (more free than the group holds) is reported and
 * clamped rather than wrapped, so the next mount still takes the image.
 */
static uint16_t count_move(struct ext2_fs *fs, const char *fmt, uint32_t g, uint16_t count,
			   int delta, uint32_t max)
{
	int64_t v = (int64_t)count + delta;

	if (v >= 0 && v <= max)
		return (uint16_t)v;
	/* Never below 0: the allocators take only from groups whose count is above 0. */
	(void)corrupt(fs, fmt, g, (uint64_t)v, max);
	return (uint16_t)(v < 0 ? 0 : max);
}

/*
 * Writes back group @g's descriptor @gd once @blocks blocks and @inodes
 * inodes of the group were freed (negative: taken): its free counts move,
 * and the totals ext2_sync() writes to the superblock with them.
 */
static int gd_put_free(struct ext2_fs *fs, uint32_t g, struct ext2_group_desc *gd, int blocks,
		       int inodes)
{
	uint16_t old_blocks = gd->bg_free_blocks_count, old_inodes = gd->bg_free_inodes_count;
	int err;

	gd->bg_free_blocks_count = count_move(fs, "group %: free blocks count to % of %", g,
					      old_blocks, blocks, group_blocks(fs, g));
	gd->bg_free_inodes_count = count_move(fs, "group %: free inodes count to % of %", g,
					      old_inodes, inodes, fs->inodes_per_group);
	err = gd_put(fs, g, gd);
	if (err)
		return err;
	/* Modulo 2^32: a count that went down subtracts. */
	fs->free_blocks += (uint32_t)gd->bg_free_blocks_count - old_blocks;
	fs->free_inodes += (uint32_t)gd->bg_free_inodes_count - old_inodes;
	fs->sb_dirty = true;
	return 0;
}

static uint32_t block_group(const struct ext2_fs *fs, uint32_t blk)
{
	return (blk - fs->first_data_block) / fs->blocks_per_group;
}

/* Whether @n is a power of @base (1 included). */
static bool is_power(uint32_t n, uint32_t base)
{
	uint64_t p = 1;

	while (p < n)
		p *= base;
	return p == n;
}

/* Whether group @g starts with copies of the superblock and descriptors (sparse_super). */
static bool group_has_super(const struct ext2_fs *fs, uint32_t g)
{
	if (g == 0)
		return true;
	if (fs->sparse_super2)
		return g == fs->backup_bgs[0] || g == fs->backup_bgs[1];
	if (!fs->sparse_super)
		return true;
	return is_power(g, 3) || is_power(g, 5) || is_power(g, 7);
}

/*
 * Whether @blk of group @g (described by @gd) is the group's metadata: its
 * superblock copy, descriptors and reserved descriptors, bitmaps or inode
 * table. Without flex_bg (refused at mount) a group's metadata lies in the
 * group, so this and the blocks below s_first_data_block are the whole
 * system zone, as Linux's ext2_data_block_valid() sees it.
 */
static bool group_meta(const struct ext2_fs *fs, uint32_t g, const struct ext2_group_desc *gd,
		       uint32_t blk)
{
	if (group_has_super(fs, g) && blk - group_first_block(fs, g) < fs->meta_blocks)
		return true;
	if (blk == gd->bg_block_bitmap || blk == gd->bg_inode_bitmap)
		return true;
	return blk >= gd->bg_inode_table && blk - gd->bg_inode_table < fs->itable_blocks;
}

static uint32_t ino_group(const struct ext2_fs *fs, uint32_t ino)
{
	return (ino - 1) / fs->inodes_per_group;
}

/* Where inode @ino lives: block and byte offset in it. */
static int inode_locate(struct ext2_fs *fs, uint32_t ino, uint32_t *blk, uint32_t *off)
{
	struct ext2_group_desc gd;
	uint32_t index, byte;
	int err;

	if (ino == 0 || ino > fs->inodes_count)
		return -EXT2_EIO;
	err = gd_get(fs, ino_group(fs, ino), &gd);
	if (err)
		return err;
	index = (ino - 1) % fs->inodes_per_group;
	/* ext2_mount() checked the table fits: index * inode_size stays in it. */
	byte = index * fs->inode_size;
	*blk = gd.bg_inode_table + byte / fs->block_size;
	*off = byte % fs->block_size;
	return 0;
}

static int inode_get(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in)
{
	uint32_t blk, off;
	int err = inode_locate(fs, ino, &blk, &off);

	return err ? err : blk_read_at(fs, blk, off, in, sizeof(*in));
}

/* Writes back the first 128 bytes; a large inode's extra space is kept. */
static int inode_put(struct ext2_fs *fs, uint32_t ino, const struct ext2_inode *in)
{
	uint32_t blk, off;
	int err = inode_locate(fs, ino, &blk, &off);

	return err ? err : blk_write_at(fs, blk, off, in, sizeof(*in), WB_INODE);
}

/* Zeroes all of inode @ino's slot, then (if @in) writes @in as a new inode. */
static int inode_reset(struct ext2_fs *fs, uint32_t ino, const struct ext2_inode *in)
{
	struct ext2_cblock *c;
	uint32_t blk, off;
	uint16_t extra = EXT2_EXTRA_ISIZE;
	int err;

	err = inode_locate(fs, ino, &blk, &off);
	if (!err)
		err = blk_get(fs, blk, BLK_READ, &c);
	if (err)
		return err;
	memset(c->data + off, 0, fs->inode_size);
	if (in) {
		memcpy(c->data + off, in, sizeof(*in));
		/* As e2fsprogs does: the large part covers i_extra_isize..i_crtime_extra. */
		if (fs->inode_size >= EXT2_GOOD_OLD_INODE_SIZE + EXT2_EXTRA_ISIZE)
			memcpy(c->data + off + EXT2_EXTRA_ISIZE_OFF, &extra, sizeof(extra));
	}
	blk_dirty(fs, c, WB_INODE);
	return 0;
}

static uint32_t now(struct ext2_fs *fs)
{
	return fs->dev.now ? fs->dev.now(fs->dev.ctx) : 0;
}

static bool is_dir(const struct ext2_inode *in)
{
	return (in->i_mode & EXT2_S_IFMT) == EXT2_S_IFDIR;
}

static bool is_reg(const struct ext2_inode *in)
{
	return (in->i_mode & EXT2_S_IFMT) == EXT2_S_IFREG;
}

static bool is_fast_symlink(const struct ext2_fs *fs, const struct ext2_inode *in)
{
	uint32_t xattr = in->i_file_acl ? fs->block_size / SECTOR_SIZE : 0;

	/* Linux's test: a symlink with no data blocks keeps its target in i_block[]. */
	return (in->i_mode & EXT2_S_IFMT) == EXT2_S_IFLNK && in->i_blocks == xattr;
}

/* Whether i_block[] is a block map (devices keep numbers there, fast symlinks text). */
static bool has_block_map(const struct ext2_fs *fs, const struct ext2_inode *in)
{
	if (is_reg(in) || is_dir(in))
		return true;
	return (in->i_mode & EXT2_S_IFMT) == EXT2_S_IFLNK && !is_fast_symlink(fs, in);
}

static uint64_t inode_size(const struct ext2_inode *in)
{
	if (is_reg(in))
		return in->i_size | (uint64_t)in->i_size_high << 32;
	return in->i_size;
}

static void inode_set_size(struct ext2_inode *in, uint64_t size)
{
	in->i_size = (uint32_t)size;
	if (is_reg(in))
		in->i_size_high = (uint32_t)(size >> 32);
}

/* --- bitmaps and allocation -------------------------------------------- */

/* First clear bit in [@from, @to) of @map, or NONE. */
static uint32_t bitmap_find_zero(const uint8_t *map, uint32_t from, uint32_t to)
{
	uint32_t bit = from;

	while (bit < to) {
		if (bit % 8 == 0 && map[bit / 8] == 0xff) {
			bit += 8;
			continue;
		}
		if (!(map[bit / 8] & (1U << (bit % 8))))
			return bit;
		bit++;
	}
	return NONE;
}

/* Clears bit @bit of bitmap block @map; a bit already clear is -EXT2_EIO. */
static int bitmap_clear(struct ext2_fs *fs, uint32_t map, uint32_t bit)
{
	struct ext2_cblock *c;
	int err = blk_get(fs, map, BLK_READ, &c);

	if (err)
		return err;
	/* Already free: two owners of one block or inode, a corrupt image. */
	if (!(c->data[bit / 8] & (1U << (bit % 8))))
		return -EXT2_EIO;
	c->data[bit / 8] &= ~(1U << (bit % 8));
	blk_dirty(fs, c, WB_INODE);
	return 0;
}

/* A free block, near @goal if one is; marked used in the bitmap and the counts. */
static int block_alloc(struct ext2_fs *fs, uint32_t goal, uint32_t *out)
{
	struct ext2_group_desc gd;
	struct ext2_cblock *c;
	uint32_t i, g, g0, start, bit, nbits, blk;
	int err;

	if (fs->free_blocks == 0)
		return -EXT2_ENOSPC;
	if (goal < fs->first_data_block || goal >= fs->blocks_count)
		goal = fs->first_data_block;
	g0 = (goal - fs->first_data_block) / fs->blocks_per_group;
	for (i = 0; i <= fs->groups; i++) {
		/* The goal's group twice: from the goal, then (last) from its start. */
		g = (g0 + i) % fs->groups;
		start = i == 0 ? goal - group_first_block(fs, g) : 0;
		err = gd_get(fs, g, &gd);
		if (err)
			return err;
		if (gd.bg_free_blocks_count == 0)
			continue;
		err = blk_get(fs, gd.bg_block_bitmap, BLK_READ, &c);
		if (err)
			return err;
		nbits = group_blocks(fs, g);
		/* A bitmap may call metadata free: such a block is never handed out. */
		for (bit = bitmap_find_zero(c->data, start, nbits); bit != NONE;
		     bit = bitmap_find_zero(c->data, bit + 1, nbits)) {
			blk = group_first_block(fs, g) + bit;
			if (!group_meta(fs, g, &gd, blk))
				break;
			(void)corrupt(fs, "group %: metadata block % is free in the bitmap", g, blk,
				      0);
		}
		if (bit == NONE)
			continue;
		c->data[bit / 8] |= 1U << (bit % 8);
		blk_dirty(fs, c, WB_INODE);
		err = gd_put_free(fs, g, &gd, -1, 0);
		if (err)
			return err;
		*out = blk;
		return 0;
	}
	return -EXT2_ENOSPC;
}

static int block_free(struct ext2_fs *fs, uint32_t blk)
{
	struct ext2_group_desc gd;
	uint32_t g;
	int err;

	/* Callers checked @blk (block_check) or took it from block_alloc(). */
	if (blk < fs->first_data_block || blk >= fs->blocks_count)
		return -EXT2_EIO;
	g = block_group(fs, blk);
	err = gd_get(fs, g, &gd);
	if (err)
		return err;
	if (group_meta(fs, g, &gd, blk))
		return -EXT2_EIO;
	err = bitmap_clear(fs, gd.bg_block_bitmap, blk - group_first_block(fs, g));
	return err ? err : gd_put_free(fs, g, &gd, 1, 0);
}

/*
 * The first inode of group @g from bit @lo that its bitmap calls free, in
 * *@bit (NONE if none). One the bitmap calls free but that still has
 * links is another file's: it is reported and passed over.
 */
static int inode_find_free(struct ext2_fs *fs, uint32_t g, const struct ext2_group_desc *gd,
			   uint32_t lo, uint32_t *bit)
{
	struct ext2_inode in;
	struct ext2_cblock *c;
	uint32_t ino;
	int err;

	for (*bit = lo;; (*bit)++) {
		err = blk_get(fs, gd->bg_inode_bitmap, BLK_READ, &c);
		if (err)
			return err;
		*bit = bitmap_find_zero(c->data, *bit, fs->inodes_per_group);
		if (*bit == NONE)
			return 0;
		ino = g * fs->inodes_per_group + *bit + 1;
		err = inode_get(fs, ino, &in);
		if (err)
			return err;
		if (!in.i_links_count)
			return 0;
		(void)corrupt(fs, "inode %: in use, with % links, but free in the bitmap", ino,
			      in.i_links_count, 0);
	}
}

/* A free inode, first looking in group @g0; counted as a directory if @dir. */
static int inode_alloc(struct ext2_fs *fs, uint32_t g0, bool dir, uint32_t *out)
{
	struct ext2_group_desc gd;
	struct ext2_cblock *c;
	uint32_t i, g, lo, bit;
	int err;

	if (fs->free_inodes == 0)
		return -EXT2_ENOSPC;
	for (i = 0; i < fs->groups; i++) {
		g = (g0 + i) % fs->groups;
		/* Inodes below s_first_ino are reserved (root, journal, ...). */
		lo = 0;
		if (fs->first_ino - 1 > g * fs->inodes_per_group)
			lo = fs->first_ino - 1 - g * fs->inodes_per_group;
		if (lo >= fs->inodes_per_group)
			continue;
		err = gd_get(fs, g, &gd);
		if (err)
			return err;
		if (gd.bg_free_inodes_count == 0)
			continue;
		err = inode_find_free(fs, g, &gd, lo, &bit);
		if (err)
			return err;
		if (bit == NONE)
			continue;
		err = blk_get(fs, gd.bg_inode_bitmap, BLK_READ, &c);
		if (err)
			return err;
		c->data[bit / 8] |= 1U << (bit % 8);
		blk_dirty(fs, c, WB_INODE);
		if (dir)
			gd.bg_used_dirs_count++;
		err = gd_put_free(fs, g, &gd, 0, -1);
		if (err)
			return err;
		*out = g * fs->inodes_per_group + bit + 1;
		return 0;
	}
	return -EXT2_ENOSPC;
}

static int inode_free(struct ext2_fs *fs, uint32_t ino, bool dir)
{
	struct ext2_group_desc gd;
	uint32_t g = ino_group(fs, ino);
	int err;

	err = gd_get(fs, g, &gd);
	if (!err)
		err = bitmap_clear(fs, gd.bg_inode_bitmap, (ino - 1) % fs->inodes_per_group);
	if (err)
		return err;
	if (dir && gd.bg_used_dirs_count)
		gd.bg_used_dirs_count--;
	return gd_put_free(fs, g, &gd, 0, 1);
}

/* --- block maps ------------------------------------------------------------ */

/*
 * Whether @blk, read from inode @ino's map, may be one of its blocks: on
 * the file system, outside the system zone (group_meta) and used in its
 * group's bitmap (a free one would later go to another file too). 0, or
 * -EXT2_EIO and a report, before anything reads or writes through it.
 */
static int block_check(struct ext2_fs *fs, uint32_t ino, uint32_t blk)
{
	struct ext2_group_desc gd;
	struct ext2_cblock *c;
	uint32_t g, bit;
	int err;

	if (blk >= fs->blocks_count)
		return corrupt(fs, "inode %: block % past the end (% blocks)", ino, blk,
			       fs->blocks_count);
	if (blk < fs->first_data_block)
		return corrupt(fs, "inode %: block % in the system zone", ino, blk, 0);
	g = block_group(fs, blk);
	err = gd_get(fs, g, &gd);
	if (err)
		return err;
	if (group_meta(fs, g, &gd, blk))
		return corrupt(fs, "inode %: block % in the system zone", ino, blk, 0);
	err = blk_get(fs, gd.bg_block_bitmap, BLK_READ, &c);
	if (err)
		return err;
	bit = blk - group_first_block(fs, g);
	if (!(c->data[bit / 8] & (1U << (bit % 8))))
		return corrupt(fs, "inode %: block % is free in the bitmap", ino, blk, 0);
	return 0;
}

/*
 * Whether @blk, met at level @l of the walk to a block of @in (@path the
 * blocks above it, @slot its i_block[] entry), is already on the walk or
 * one of the top indirect blocks: a loop, or a map block doubling as data,
 * which a write would turn into pointers anywhere.
 */
static bool bmap_repeats(const struct ext2_inode *in, const uint32_t path[4], unsigned int l,
			 uint32_t slot, uint32_t blk)
{
	unsigned int i;

	for (i = 0; i < l; i++) {
		if (path[i] == blk)
			return true;
	}
	for (i = EXT2_NDIR_BLOCKS; i < EXT2_N_BLOCKS; i++) {
		if (i != slot && in->i_block[i] == blk)
			return true;
	}
	return false;
}

/* block_check() and bmap_repeats() for an existing entry of the walk. */
static int bmap_check(struct ext2_fs *fs, uint32_t ino, const struct ext2_inode *in,
		      const uint32_t path[4], unsigned int l, uint32_t slot, uint32_t blk)
{
	if (bmap_repeats(in, path, l, slot, blk))
		return corrupt(fs, "inode %: block % twice in its map", ino, blk, 0);
	return block_check(fs, ino, blk);
}

/*
 * The path to logical block @lblk: idx[0] is the i_block[] slot, idx[1..depth]
 * the entry in each indirect block on the way down.
 */
static int bmap_path(const struct ext2_fs *fs, uint64_t lblk, uint32_t idx[4], unsigned int *depth)
{
	uint64_t per = fs->block_size / 4, span = 1;
	unsigned int d, l;

	if (lblk < EXT2_NDIR_BLOCKS) {
		idx[0] = (uint32_t)lblk;
		*depth = 0;
		return 0;
	}
	lblk -= EXT2_NDIR_BLOCKS;
	for (d = 1; d <= 3; d++) {
		span *= per;
		if (lblk < span) {
			idx[0] = EXT2_NDIR_BLOCKS + d - 1;
			for (l = d; l >= 1; l--) {
				idx[l] = (uint32_t)(lblk % per);
				lblk /= per;
			}
			*depth = d;
			return 0;
		}
		lblk -= span;
	}
	return -EXT2_ERANGE;
}

/* Bytes a file can reach through its block map: 12 + p + p^2 + p^3 blocks. */
static uint64_t bmap_limit(const struct ext2_fs *fs)
{
	uint64_t per = fs->block_size / 4;

	return (EXT2_NDIR_BLOCKS + per + per * per + per * per * per) * fs->block_size;
}

/* A new block for @in (counted in its i_blocks), zeroed in the cache if @zero. */
static int block_new(struct ext2_fs *fs, struct ext2_inode *in, uint32_t *goal, bool zero,
		     uint32_t *out)
{
	uint32_t units = fs->block_size / SECTOR_SIZE;
	struct ext2_cblock *c;
	int err;

	if (in->i_blocks > UINT32_MAX - units)
		return -EXT2_ERANGE;
	err = block_alloc(fs, *goal, out);
	if (err)
		return err;
	if (zero) {
		err = blk_get(fs, *out, BLK_ZERO, &c);
		if (err) {
			block_free(fs, *out);
			return err;
		}
	}
	in->i_blocks += units;
	*goal = *out + 1;
	return 0;
}

/*
 * The disk block holding logical block @lblk of inode @ino (@in), 0 for a hole. With
 * @alloc a hole is filled: missing indirect blocks are allocated zeroed,
 * then the data block, with *@fresh set because its contents are stale.
 * @in's i_block[] and i_blocks change; the caller writes @in back.
 */
static int bmap(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in, uint64_t lblk, bool alloc,
		uint32_t *goal, uint32_t *out, bool *fresh)
{
	struct ext2_cblock *c;
	uint32_t idx[4], path[4] = { 0 }, blk, parent;
	unsigned int depth, l;
	int err;

	*out = 0;
	*fresh = false;
	if (in->i_flags & (EXT4_EXTENTS_FL | EXT4_INLINE_DATA_FL))
		return -EXT2_ENOTSUP;
	err = bmap_path(fs, lblk, idx, &depth);
	if (err)
		return err;
	blk = in->i_block[idx[0]];
	if (!blk) {
		if (!alloc)
			return 0;
		err = block_new(fs, in, goal, depth > 0, &blk);
		if (err)
			return err;
		in->i_block[idx[0]] = blk;
		*fresh = depth == 0;
	} else {
		err = bmap_check(fs, ino, in, path, 0, idx[0], blk);
		if (err)
			return err;
	}
	for (l = 1; l <= depth; l++) {
		parent = path[l - 1] = blk;
		err = blk_get(fs, parent, BLK_READ, &c);
		if (err)
			return err;
		memcpy(&blk, c->data + idx[l] * 4, sizeof(blk));
		if (blk) {
			err = bmap_check(fs, ino, in, path, l, idx[0], blk);
			if (err)
				return err;
			continue;
		}
		if (!alloc)
			return 0;
		err = block_new(fs, in, goal, l < depth, &blk);
		if (err)
			return err;
		/* The allocation went through the cache: look the parent up again. */
		err = blk_get(fs, parent, BLK_READ, &c);
		if (err)
			return err;
		memcpy(c->data + idx[l] * 4, &blk, sizeof(blk));
		blk_dirty(fs, c, WB_DATA);
		*fresh = l == depth;
	}
	*out = blk;
	return 0;
}

/*
 * Frees (with @dry, only checks) block @path[@l] of inode @ino's map and,
 * @depth levels down, every block under it. @path holds the blocks above,
 * so a loop is caught before anything is freed; a block met twice on two
 * branches is caught by its bitmap bit, already clear.
 */
static int free_tree(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in, uint32_t path[4],
		     unsigned int l, unsigned int depth, bool dry)
{
	uint32_t units = fs->block_size / SECTOR_SIZE, blk = path[l];
	struct ext2_cblock *c;
	uint32_t i;
	unsigned int j;
	int err;

	for (j = 0; j < l; j++) {
		if (path[j] == blk)
			return corrupt(fs, "inode %: block % twice in its map", ino, blk, 0);
	}
	err = block_check(fs, ino, blk);
	if (err)
		return err;
	for (i = 0; depth > 0 && i < fs->block_size / 4; i++) {
		/* Looked up per entry: the frees below go through the cache. */
		err = blk_get(fs, blk, BLK_READ, &c);
		if (err)
			return err;
		memcpy(&path[l + 1], c->data + i * 4, sizeof(path[l + 1]));
		if (!path[l + 1])
			continue;
		err = free_tree(fs, ino, in, path, l + 1, depth - 1, dry);
		if (err)
			return err;
	}
	if (dry)
		return 0;
	err = block_free(fs, blk);
	if (err)
		return err;
	in->i_blocks -= in->i_blocks < units ? in->i_blocks : units;
	return 0;
}

/*
 * Frees every block of inode @ino's map (@in) and sets its size to 0; with
 * @dry only checks that it could. A map that fails the check frees nothing.
 */
static int truncate_map(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in, bool dry)
{
	uint32_t path[4];
	unsigned int i, depth;
	int err;

	if (in->i_flags & (EXT4_EXTENTS_FL | EXT4_INLINE_DATA_FL))
		return -EXT2_ENOTSUP;
	for (i = 0; i < EXT2_N_BLOCKS; i++) {
		path[0] = in->i_block[i];
		if (!path[0])
			continue;
		if (bmap_repeats(in, path, 0, i, path[0]))
			return corrupt(fs, "inode %: block % twice in its map", ino, path[0], 0);
		depth = i < EXT2_NDIR_BLOCKS ? 0 : i - EXT2_NDIR_BLOCKS + 1;
		err = free_tree(fs, ino, in, path, 0, depth, dry);
		if (err)
			return err;
		if (!dry)
			in->i_block[i] = 0;
	}
	if (!dry)
		inode_set_size(in, 0);
	return 0;
}

static int truncate_all(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in)
{
	int err = truncate_map(fs, ino, in, true);

	return err ? err : truncate_map(fs, ino, in, false);
}

/* Whether inode @ino's xattr block @blk is one. */
static int xattr_check(struct ext2_fs *fs, uint32_t ino, uint32_t blk)
{
	uint32_t magic;
	int err;

	err = block_check(fs, ino, blk);
	if (!err)
		err = blk_read_at(fs, blk, 0, &magic, sizeof(magic));
	if (err)
		return err;
	if (magic != EXT2_XATTR_MAGIC)
		return corrupt(fs, "inode %: xattr block % has no xattr magic", ino, blk, 0);
	return 0;
}

/* Drops inode @ino's reference to its xattr block, freeing the block with the last one. */
static int xattr_release(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in)
{
	struct ext2_cblock *c;
	uint32_t refs, blk = in->i_file_acl;
	int err;

	if (!blk)
		return 0;
	err = xattr_check(fs, ino, blk);
	if (!err)
		err = blk_get(fs, blk, BLK_READ, &c);
	if (err)
		return err;
	memcpy(&refs, c->data + 4, sizeof(refs));
	if (refs > 1) {
		refs--;
		memcpy(c->data + 4, &refs, sizeof(refs));
		blk_dirty(fs, c, WB_DATA);
	} else {
		err = block_free(fs, blk);
		if (err)
			return err;
	}
	in->i_file_acl = 0;
	return 0;
}

/* --- directories ----------------------------------------------------------- */

/* A walk over a directory's entries, used ones and gaps alike. */
struct dir_iter {
	uint32_t ino; /* the directory's */
	struct ext2_inode dir;
	uint32_t lblk, nblocks; /* next block to load, blocks in all */
	uint32_t blk;		/* disk block of the current entry */
	uint32_t off;		/* offset of the next entry in it */
	uint32_t cur, prev;	/* offsets of the current entry and the one before (or NONE) */
};

struct dir_entry {
	uint32_t inode;
	uint32_t rec_len;
	uint32_t name_len;
	uint8_t type;
	char name[EXT2_NAME_MAX + 1];
};

static int dir_open(struct ext2_fs *fs, uint32_t ino, struct dir_iter *it)
{
	int err;

	err = inode_get(fs, ino, &it->dir);
	if (err)
		return err;
	if (!is_dir(&it->dir))
		return -EXT2_ENOTDIR;
	/* A directory is whole blocks, and no bigger than the disk. */
	if (it->dir.i_size % fs->block_size || it->dir.i_size / fs->block_size > fs->blocks_count)
		return corrupt(fs, "directory inode %: size % is not whole blocks of the disk", ino,
			       it->dir.i_size, 0);
	it->ino = ino;
	it->nblocks = it->dir.i_size / fs->block_size;
	it->lblk = 0;
	it->off = fs->block_size;
	it->cur = it->prev = NONE;
	return 0;
}

/* The next entry (gaps have inode 0): 1, 0 at the end, or -EXT2_EIO. */
static int dir_next(struct ext2_fs *fs, struct dir_iter *it, struct dir_entry *de)
{
	struct ext2_dirent_head h;
	struct ext2_cblock *c;
	uint32_t goal = 0, len;
	bool fresh;
	int err;

	if (it->off >= fs->block_size) {
		if (it->lblk >= it->nblocks)
			return 0;
		err = bmap(fs, it->ino, &it->dir, it->lblk, false, &goal, &it->blk, &fresh);
		if (err)
			return err;
		if (!it->blk)
			return corrupt(fs, "directory inode %: hole at block %", it->ino, it->lblk,
				       0);
		it->lblk++;
		it->off = 0;
		it->prev = NONE;
	}
	err = blk_get(fs, it->blk, BLK_READ, &c);
	if (err)
		return err;
	/* it->off is 4-aligned and below the block size, so 8 bytes fit. */
	memcpy(&h, c->data + it->off, sizeof(h));
	len = h.name_len;
	if (!fs->filetype)
		len |= (uint32_t)h.file_type << 8;
	if (h.rec_len < EXT2_DIRENT_HEAD || h.rec_len % 4 || h.rec_len > fs->block_size - it->off)
		return corrupt(fs, "directory inode %: block %: rec_len % does not fit", it->ino,
			       it->blk, h.rec_len);
	if (EXT2_DIRENT_HEAD + len > h.rec_len || len > EXT2_NAME_MAX || (h.inode && !len))
		return corrupt(fs, "directory inode %: block %: name_len % does not fit", it->ino,
			       it->blk, len);
	/* Reserved inodes (bad blocks, journal, ...) are never named; the root is, as "..". */
	if (h.inode > fs->inodes_count ||
	    (h.inode && h.inode < fs->first_ino && h.inode != EXT2_ROOT_INO))
		return corrupt(fs, "directory inode %: block %: entry for inode %", it->ino,
			       it->blk, h.inode);
	de->inode = h.inode;
	de->rec_len = h.rec_len;
	de->name_len = len;
	de->type = fs->filetype ? h.file_type : EXT2_FT_UNKNOWN;
	memcpy(de->name, c->data + it->off + EXT2_DIRENT_HEAD, len);
	de->name[len] = '\0';
	it->cur = it->off;
	it->prev = it->off == 0 ? NONE : it->prev;
	it->off += h.rec_len;
	return 1;
}

/* Remembers the entry just returned as "previous" for the next one. */
static void dir_advance(struct dir_iter *it)
{
	it->prev = it->cur;
}

static bool is_dots(const char *name, size_t len)
{
	return (len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.');
}

/* Finds @name in directory @dir; @it is left on the entry. 0, -EXT2_ENOENT or an error. */
static int dir_find(struct ext2_fs *fs, uint32_t dir, const char *name, size_t len,
		    struct dir_iter *it, struct dir_entry *de)
{
	int r;

	r = dir_open(fs, dir, it);
	if (r)
		return r;
	while ((r = dir_next(fs, it, de)) > 0) {
		if (de->inode && de->name_len == len && !memcmp(de->name, name, len))
			return 0;
		dir_advance(it);
	}
	return r ? r : -EXT2_ENOENT;
}

/* Writes an entry at @p (the header, the name, zeros to the aligned end). */
static void dirent_put(struct ext2_fs *fs, uint8_t *p, uint32_t ino, uint32_t rec_len,
		       const char *name, size_t len, uint8_t type)
{
	struct ext2_dirent_head h = {
		.inode = ino,
		.rec_len = (uint16_t)rec_len,
		.name_len = (uint8_t)len,
		.file_type = fs->filetype ? type : 0,
	};

	memcpy(p, &h, sizeof(h));
	memcpy(p + EXT2_DIRENT_HEAD, name, len);
	memset(p + EXT2_DIRENT_HEAD + len, 0, rec_size(len) - EXT2_DIRENT_HEAD - len);
}

/* Marks directory @dir changed: times, and an htree index no longer true. */
static int dir_touch(struct ext2_fs *fs, uint32_t dir, struct ext2_inode *din)
{
	din->i_flags &= ~EXT2_INDEX_FL;
	din->i_mtime = din->i_ctime = now(fs);
	fs->gen++;
	return inode_put(fs, dir, din);
}

/* Adds @name -> @ino to directory @dir: in the first gap that fits, else in a new block. */
static int dir_add(struct ext2_fs *fs, uint32_t dir, const char *name, size_t len, uint32_t ino,
		   uint8_t type)
{
	struct ext2_inode din;
	struct ext2_cblock *c;
	struct dir_entry de;
	struct dir_iter it;
	uint32_t need = rec_size(len), used, blk, goal;
	bool fresh;
	int r, err;

	r = dir_open(fs, dir, &it);
	if (r)
		return r;
	while ((r = dir_next(fs, &it, &de)) > 0) {
		used = de.inode ? rec_size(de.name_len) : 0;
		if (de.rec_len - used >= need) {
			err = blk_get(fs, it.blk, BLK_READ, &c);
			if (err)
				return err;
			if (used) {
				/* Split: the old entry keeps what it needs, the rest is ours. */
				uint16_t shrunk = (uint16_t)used;

				memcpy(c->data + it.cur + 4, &shrunk, sizeof(shrunk));
			}
			dirent_put(fs, c->data + it.cur + used, ino, de.rec_len - used, name, len,
				   type);
			blk_dirty(fs, c, WB_DIR);
			err = inode_get(fs, dir, &din);
			return err ? err : dir_touch(fs, dir, &din);
		}
		dir_advance(&it);
	}
	if (r < 0)
		return r;
	/* No room: one more block, holding just this entry. */
	err = inode_get(fs, dir, &din);
	if (err)
		return err;
	if (din.i_size > UINT32_MAX - fs->block_size)
		return -EXT2_ERANGE;
	goal = group_first_block(fs, ino_group(fs, dir));
	err = bmap(fs, dir, &din, din.i_size / fs->block_size, true, &goal, &blk, &fresh);
	if (!err && !fresh)
		err = corrupt(fs, "directory inode %: block % past its end", dir, blk, 0);
	if (!err)
		err = blk_get(fs, blk, BLK_ZERO, &c);
	if (!err) {
		dirent_put(fs, c->data, ino, fs->block_size, name, len, type);
		din.i_size += fs->block_size;
	}
	/* Written even on failure: i_blocks counts whatever bmap() allocated. */
	r = dir_touch(fs, dir, &din);
	return err ? err : r;
}

/* Removes the entry @it is on: merged into the previous one, or made a gap. */
static int dir_remove(struct ext2_fs *fs, uint32_t dir, const struct dir_iter *it,
		      const struct dir_entry *de)
{
	struct ext2_inode din;
	struct ext2_cblock *c;
	uint32_t zero = 0;
	uint16_t rec;
	int err;

	err = blk_get(fs, it->blk, BLK_READ, &c);
	if (err)
		return err;
	if (it->prev != NONE) {
		memcpy(&rec, c->data + it->prev + 4, sizeof(rec));
		rec = (uint16_t)(rec + de->rec_len);
		memcpy(c->data + it->prev + 4, &rec, sizeof(rec));
	} else {
		memcpy(c->data + it->cur, &zero, sizeof(zero));
	}
	blk_dirty(fs, c, WB_DIR);
	err = inode_get(fs, dir, &din);
	return err ? err : dir_touch(fs, dir, &din);
}

/* 1 if directory @ino holds nothing but "." and "..", 0 if it does, or an error. */
static int dir_empty(struct ext2_fs *fs, uint32_t ino)
{
	struct dir_entry de;
	struct dir_iter it;
	int r;

	r = dir_open(fs, ino, &it);
	if (r)
		return r;
	while ((r = dir_next(fs, &it, &de)) > 0) {
		if (de.inode && !is_dots(de.name, de.name_len))
			return 0;
	}
	return r ? r : 1;
}

/* --- paths -------------------------------------------------------------------- */

/* The next component of *@p: its start in *@name, its length (0 at the end). */
static size_t path_next(const char **p, const char **name)
{
	const char *s = *p;

	while (*s == '/')
		s++;
	*name = s;
	while (*s && *s != '/')
		s++;
	*p = s;
	return (size_t)(s - *name);
}

/*
 * Resolves all but the last component of @path: the directory it names in
 * *@dir, the last component in *@name / *@len (*@len is 0 for the root).
 */
static int path_parent(struct ext2_fs *fs, const char *path, uint32_t *dir, const char **name,
		       size_t *len)
{
	const char *p = path, *next;
	struct dir_entry de;
	struct dir_iter it;
	size_t n, nlen;
	int err;

	if (!path)
		return -EXT2_EINVAL;
	/* The length is bounded before anything walks it. */
	for (n = 0; path[n]; n++) {
		if (n >= EXT2_PATH_MAX)
			return -EXT2_ERANGE;
	}
	*dir = EXT2_ROOT_INO;
	*len = path_next(&p, name);
	while (*len) {
		if (*len > EXT2_NAME_MAX)
			return -EXT2_ERANGE;
		nlen = path_next(&p, &next);
		if (!nlen)
			break;
		err = dir_find(fs, *dir, *name, *len, &it, &de);
		if (err)
			return err;
		*dir = de.inode;
		*name = next;
		*len = nlen;
	}
	return 0;
}

/* The inode @path names. */
static int path_lookup(struct ext2_fs *fs, const char *path, uint32_t *ino)
{
	struct dir_entry de;
	struct dir_iter it;
	const char *name;
	uint32_t dir;
	size_t len;
	int err;

	err = path_parent(fs, path, &dir, &name, &len);
	if (err)
		return err;
	if (!len) {
		*ino = EXT2_ROOT_INO;
		return 0;
	}
	err = dir_find(fs, dir, name, len, &it, &de);
	if (err)
		return err;
	*ino = de.inode;
	return 0;
}

/* The inode @path names, its number and a copy. */
static int path_inode(struct ext2_fs *fs, const char *path, uint32_t *ino, struct ext2_inode *in)
{
	int err = path_lookup(fs, path, ino);

	return err ? err : inode_get(fs, *ino, in);
}

/* Where a new name may go: the parent exists, the name is free and proper. */
static int path_create(struct ext2_fs *fs, const char *path, uint32_t *dir, const char **name,
		       size_t *len)
{
	struct dir_entry de;
	struct dir_iter it;
	int err;

	if (fs->ro)
		return -EXT2_EROFS;
	err = path_parent(fs, path, dir, name, len);
	if (err)
		return err;
	if (!*len || is_dots(*name, *len))
		return -EXT2_EEXIST;
	err = dir_find(fs, *dir, *name, *len, &it, &de);
	if (!err)
		return -EXT2_EEXIST;
	return err == -EXT2_ENOENT ? 0 : err;
}

/* --- the interface -------------------------------------------------------- */

int ext2_lookup(struct ext2_fs *fs, const char *path, uint32_t *ino)
{
	return path_lookup(fs, path, ino);
}

int ext2_stat(struct ext2_fs *fs, const char *path, uint64_t *size, uint32_t *mode)
{
	struct ext2_inode in;
	uint32_t ino;
	int err = path_inode(fs, path, &ino, &in);

	if (err)
		return err;
	*size = inode_size(&in);
	*mode = in.i_mode;
	return 0;
}

/* Whether inode @ino, named in a directory, is used in its bitmap (else it is up for grabs). */
static int inode_check_used(struct ext2_fs *fs, uint32_t ino)
{
	uint32_t bit = (ino - 1) % fs->inodes_per_group;
	struct ext2_group_desc gd;
	struct ext2_cblock *c;
	int err;

	err = gd_get(fs, ino_group(fs, ino), &gd);
	if (!err)
		err = blk_get(fs, gd.bg_inode_bitmap, BLK_READ, &c);
	if (err)
		return err;
	if (!(c->data[bit / 8] & (1U << (bit % 8))))
		return corrupt(fs, "inode %: named, but free in the bitmap", ino, 0, 0);
	return 0;
}

/*
 * Whether inode @ino is sound before its blocks are read, written or
 * freed: used in its bitmap, a file no bigger than its map reaches, a
 * fast symlink's target inside i_block[], a slow one's in its one block
 * (so removing it frees no more). 0, or -EXT2_EIO and a report.
 */
static int inode_check(struct ext2_fs *fs, uint32_t ino, const struct ext2_inode *in)
{
	unsigned int i;
	int err;

	err = inode_check_used(fs, ino);
	if (err)
		return err;
	if (is_reg(in) && inode_size(in) > bmap_limit(fs))
		return corrupt(fs, "inode %: size % beyond its block map", ino, inode_size(in), 0);
	if ((in->i_mode & EXT2_S_IFMT) != EXT2_S_IFLNK)
		return 0;
	if (is_fast_symlink(fs, in)) {
		if (in->i_size < EXT2_FAST_LINK_MAX)
			return 0;
		return corrupt(fs, "inode %: fast symlink of % bytes", ino, in->i_size, 0);
	}
	if (in->i_size == 0 || in->i_size >= fs->block_size)
		return corrupt(fs, "inode %: symlink of % bytes", ino, in->i_size, 0);
	for (i = 1; i < EXT2_N_BLOCKS; i++) {
		if (in->i_block[i])
			return corrupt(fs, "inode %: symlink with block % in slot %", ino,
				       in->i_block[i], i);
	}
	return 0;
}

/* A fast symlink's target, from i_block[]. */
static long read_fast_symlink(const struct ext2_inode *in, uint64_t off, void *buf, size_t len)
{
	uint64_t size = in->i_size;

	if (size >= EXT2_FAST_LINK_MAX)
		return -EXT2_EIO;
	if (off >= size)
		return 0;
	if (len > size - off)
		len = (size_t)(size - off);
	memcpy(buf, (const uint8_t *)in->i_block + off, len);
	return (long)len;
}

/* Of the @left bytes from file offset @pos, how many lie in @pos's block; *@boff: where. */
static uint32_t block_span(const struct ext2_fs *fs, uint64_t pos, size_t left, uint32_t *boff)
{
	uint32_t n;

	*boff = (uint32_t)(pos % fs->block_size);
	n = fs->block_size - *boff;
	return n > left ? (uint32_t)left : n;
}

long ext2_read(struct ext2_fs *fs, const char *path, uint64_t off, void *buf, size_t len)
{
	uint8_t *dst = buf;
	struct ext2_inode in;
	struct ext2_cblock *c;
	uint32_t ino, blk, boff, n, goal = 0;
	uint64_t size, pos;
	size_t done;
	bool fresh;
	int err;

	err = path_inode(fs, path, &ino, &in);
	if (err)
		return err;
	if (is_dir(&in))
		return -EXT2_EISDIR;
	err = inode_check(fs, ino, &in);
	if (err)
		return err;
	if (is_fast_symlink(fs, &in))
		return read_fast_symlink(&in, off, buf, len);
	if (!has_block_map(fs, &in))
		return -EXT2_EINVAL;
	size = inode_size(&in);
	if (off >= size)
		return 0;
	if (len > size - off)
		len = (size_t)(size - off);
	if (len > (size_t)INT32_MAX)
		len = INT32_MAX; /* the count must fit the return value */
	for (done = 0; done < len; done += n) {
		pos = off + done;
		n = block_span(fs, pos, len - done, &boff);
		err = bmap(fs, ino, &in, pos / fs->block_size, false, &goal, &blk, &fresh);
		if (err)
			return err;
		if (!blk) {
			memset(dst + done, 0, n);
			continue;
		}
		err = blk_get(fs, blk, BLK_READ, &c);
		if (err)
			return err;
		memcpy(dst + done, c->data + boff, n);
	}
	return (long)done;
}

/* The largest size a file may grow to. */
static uint64_t file_limit(const struct ext2_fs *fs)
{
	/* Without large_file, i_size_high is not a size; revision 0 cannot get it. */
	if (!fs->large_file && fs->rev == EXT2_GOOD_OLD_REV)
		return INT32_MAX;
	return bmap_limit(fs);
}

/* Notes a file bigger than 2 GiB in the superblock, as Linux does. */
static void note_large_file(struct ext2_fs *fs, uint64_t size)
{
	struct ext2_super sb;

	if (fs->large_file || size <= INT32_MAX)
		return;
	memcpy(&sb, fs->sb, sizeof(sb));
	sb.s_feature_ro_compat |= EXT2_FEATURE_RO_COMPAT_LARGE_FILE;
	memcpy(fs->sb, &sb, sizeof(sb));
	fs->large_file = true;
	fs->sb_dirty = true;
}

/* Copies @len bytes into @in's blocks from @off; bytes written, or an error if none were. */
static long file_write(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in, uint64_t off,
		       const uint8_t *src, size_t len)
{
	uint32_t goal = group_first_block(fs, ino_group(fs, ino)), blk, boff, n;
	uint64_t pos, limit = file_limit(fs);
	struct ext2_cblock *c;
	size_t done;
	bool fresh;
	int err = 0;

	if (off > limit || len > limit - off)
		return -EXT2_ERANGE;
	if (len > (size_t)INT32_MAX)
		len = INT32_MAX;
	for (done = 0; done < len; done += n) {
		pos = off + done;
		n = block_span(fs, pos, len - done, &boff);
		err = bmap(fs, ino, in, pos / fs->block_size, true, &goal, &blk, &fresh);
		if (err)
			break;
		/* A new block or a whole one is not read first: it is zeroed. */
		err = blk_get(fs, blk, fresh || n == fs->block_size ? BLK_ZERO : BLK_READ, &c);
		if (err)
			break;
		memcpy(c->data + boff, src + done, n);
		blk_dirty(fs, c, WB_DATA);
		if (pos + n > inode_size(in)) {
			inode_set_size(in, pos + n);
			note_large_file(fs, pos + n);
		}
	}
	return done ? (long)done : err;
}

/* A new empty regular file @name in @dir. */
static int file_create(struct ext2_fs *fs, uint32_t dir, const char *name, size_t len,
		       uint32_t *ino)
{
	struct ext2_inode in;
	int err;

	err = inode_alloc(fs, ino_group(fs, dir), false, ino);
	if (err)
		return err;
	memset(&in, 0, sizeof(in));
	in.i_mode = EXT2_S_IFREG | 0644;
	in.i_links_count = 1;
	in.i_atime = in.i_ctime = in.i_mtime = now(fs);
	err = inode_reset(fs, *ino, &in);
	if (!err)
		err = dir_add(fs, dir, name, len, *ino, EXT2_FT_REG_FILE);
	if (err) {
		inode_reset(fs, *ino, NULL);
		inode_free(fs, *ino, false);
	}
	return err;
}

static long do_write(struct ext2_fs *fs, const char *path, uint64_t off, const void *buf,
		     size_t len, int flags)
{
	struct ext2_inode in;
	struct dir_entry de;
	struct dir_iter it;
	const char *name;
	uint32_t dir, ino;
	size_t nlen;
	long n;
	int err;

	if (fs->ro)
		return -EXT2_EROFS;
	if (flags & ~(EXT2_O_CREATE | EXT2_O_TRUNC | EXT2_O_APPEND))
		return -EXT2_EINVAL;
	err = path_parent(fs, path, &dir, &name, &nlen);
	if (err)
		return err;
	if (!nlen)
		return -EXT2_EISDIR;
	err = dir_find(fs, dir, name, nlen, &it, &de);
	if (err == -EXT2_ENOENT && (flags & EXT2_O_CREATE) && !is_dots(name, nlen))
		err = file_create(fs, dir, name, nlen, &ino);
	else if (!err)
		ino = de.inode;
	if (!err)
		err = inode_get(fs, ino, &in);
	if (err)
		return err;
	if (is_dir(&in))
		return -EXT2_EISDIR;
	if (!is_reg(&in))
		return -EXT2_EINVAL;
	err = inode_check(fs, ino, &in);
	if (err)
		return err;
	if (flags & EXT2_O_TRUNC) {
		err = truncate_all(fs, ino, &in);
		if (err) {
			inode_put(fs, ino, &in);
			return err;
		}
	}
	if (flags & EXT2_O_APPEND)
		off = inode_size(&in);
	n = len ? file_write(fs, ino, &in, off, buf, len) : 0;
	in.i_mtime = in.i_ctime = now(fs);
	err = inode_put(fs, ino, &in);
	return err ? err : n;
}

int ext2_readdir(struct ext2_fs *fs, const char *path, unsigned int index, char *name,
		 size_t namemax, uint32_t *mode, uint64_t *size)
{
	struct ext2_inode in;
	struct dir_entry de;
	struct dir_iter it;
	unsigned int n = 0;
	uint32_t ino;
	int r;

	r = path_lookup(fs, path, &ino);
	if (!r)
		r = dir_open(fs, ino, &it);
	if (r)
		return r;
	/* Entry @index follows the last one returned: go on from there. */
	if (fs->rd.ino == ino && fs->rd.gen == fs->gen && fs->rd.index && fs->rd.index <= index) {
		it.lblk = fs->rd.lblk;
		it.blk = fs->rd.blk;
		it.off = fs->rd.off;
		n = fs->rd.index;
	}
	while ((r = dir_next(fs, &it, &de)) > 0) {
		if (!de.inode || is_dots(de.name, de.name_len) || n++ != index)
			continue;
		if (namemax < de.name_len + 1)
			return -EXT2_ERANGE;
		r = inode_get(fs, de.inode, &in);
		if (r)
			return r;
		memcpy(name, de.name, de.name_len + 1);
		*mode = in.i_mode;
		*size = inode_size(&in);
		fs->rd.ino = ino;
		fs->rd.index = index + 1;
		fs->rd.gen = fs->gen;
		fs->rd.lblk = it.lblk;
		fs->rd.blk = it.blk;
		fs->rd.off = it.off;
		return 1;
	}
	return r;
}

static int do_mkdir(struct ext2_fs *fs, const char *path)
{
	struct ext2_inode in, pin;
	struct ext2_cblock *c;
	uint32_t dir, ino, blk;
	const char *name;
	size_t len;
	int err;

	err = path_create(fs, path, &dir, &name, &len);
	if (!err)
		err = inode_get(fs, dir, &pin);
	if (err)
		return err;
	if (pin.i_links_count >= EXT2_LINK_MAX)
		return -EXT2_ERANGE;
	err = inode_alloc(fs, ino_group(fs, dir), true, &ino);
	if (err)
		return err;
	err = block_alloc(fs, group_first_block(fs, ino_group(fs, ino)), &blk);
	if (err)
		goto free_inode;
	err = blk_get(fs, blk, BLK_ZERO, &c);
	if (err)
		goto free_block;
	dirent_put(fs, c->data, ino, rec_size(1), ".", 1, EXT2_FT_DIR);
	dirent_put(fs, c->data + rec_size(1), dir, fs->block_size - rec_size(1), "..", 2,
		   EXT2_FT_DIR);
	memset(&in, 0, sizeof(in));
	in.i_mode = EXT2_S_IFDIR | 0755;
	in.i_links_count = 2; /* its name and its "." */
	in.i_size = fs->block_size;
	in.i_blocks = fs->block_size / SECTOR_SIZE;
	in.i_block[0] = blk;
	in.i_atime = in.i_ctime = in.i_mtime = now(fs);
	err = inode_reset(fs, ino, &in);
	if (!err)
		err = dir_add(fs, dir, name, len, ino, EXT2_FT_DIR);
	if (err)
		goto free_block;
	/* The new ".." is a link to the parent. */
	err = inode_get(fs, dir, &pin);
	if (err)
		return err;
	pin.i_links_count++;
	return inode_put(fs, dir, &pin);

free_block:
	block_free(fs, blk);
free_inode:
	inode_reset(fs, ino, NULL);
	inode_free(fs, ino, true);
	return err;
}

/*
 * Whether inode @ino can be freed whole: checked before its name goes, so
 * a corrupt one stays named rather than becoming a half-freed orphan.
 */
static int delete_check(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in)
{
	int err = inode_check(fs, ino, in);

	if (!err && has_block_map(fs, in))
		err = truncate_map(fs, ino, in, true);
	if (!err && in->i_file_acl)
		err = xattr_check(fs, ino, in->i_file_acl);
	return err;
}

/* Frees inode @ino, its blocks and xattr block: its last link is gone. */
static int inode_delete(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in)
{
	bool dir = is_dir(in);
	int err;

	if (has_block_map(fs, in)) {
		err = truncate_all(fs, ino, in);
		if (err)
			return err;
	}
	err = xattr_release(fs, ino, in);
	if (err)
		return err;
	err = inode_reset(fs, ino, NULL);
	if (err)
		return err;
	return inode_free(fs, ino, dir);
}

static int do_unlink(struct ext2_fs *fs, const char *path)
{
	struct ext2_inode in, pin;
	struct dir_entry de;
	struct dir_iter it;
	const char *name;
	uint32_t dir;
	size_t len;
	int err;

	if (fs->ro)
		return -EXT2_EROFS;
	err = path_parent(fs, path, &dir, &name, &len);
	if (err)
		return err;
	if (!len)
		return -EXT2_EBUSY;
	if (is_dots(name, len))
		return -EXT2_EINVAL;
	err = dir_find(fs, dir, name, len, &it, &de);
	if (!err)
		err = inode_get(fs, de.inode, &in);
	if (err)
		return err;
	if (is_dir(&in)) {
		err = dir_empty(fs, de.inode);
		if (err <= 0)
			return err ? err : -EXT2_ENOTEMPTY;
	}
	if (is_dir(&in) || in.i_links_count <= 1) {
		err = delete_check(fs, de.inode, &in);
		if (err)
			return err;
	}
	err = dir_remove(fs, dir, &it, &de);
	if (err)
		return err;
	if (is_dir(&in)) {
		/* Its ".." no longer links the parent. */
		err = inode_get(fs, dir, &pin);
		if (err)
			return err;
		if (pin.i_links_count > 2)
			pin.i_links_count--;
		err = inode_put(fs, dir, &pin);
		if (err)
			return err;
		in.i_links_count = 0;
	} else if (in.i_links_count) {
		in.i_links_count--;
	}
	if (in.i_links_count) {
		in.i_ctime = now(fs);
		return inode_put(fs, de.inode, &in);
	}
	return inode_delete(fs, de.inode, &in);
}

/*
 * @ret of a change begun when fs->changes was @before. One that failed
 * after it changed the cache (a device error half-way, a corrupt block
 * met late) may have left it half done, and a sync writes it as it is:
 * the superblock then says EXT2_ERROR_FS, so the next mount repairs it.
 */
static long change_done(struct ext2_fs *fs, uint32_t before, long ret)
{
	if (ret < 0 && fs->changes != before)
		fs->broken = true;
	return ret;
}

long ext2_write(struct ext2_fs *fs, const char *path, uint64_t off, const void *buf, size_t len,
		int flags)
{
	uint32_t before = fs->changes; /* read first: argument order is unspecified */
	long n = do_write(fs, path, off, buf, len, flags);

	/* A short write stopped at an error too (a full disk, or the device). */
	change_done(fs, before, n >= 0 && (size_t)n < len ? -EXT2_EIO : n);
	return n;
}

int ext2_mkdir(struct ext2_fs *fs, const char *path)
{
	uint32_t before = fs->changes;

	return (int)change_done(fs, before, do_mkdir(fs, path));
}

int ext2_unlink(struct ext2_fs *fs, const char *path)
{
	uint32_t before = fs->changes;

	return (int)change_done(fs, before, do_unlink(fs, path));
}

int ext2_sync(struct ext2_fs *fs)
{
	int err;

	if (fs->ro)
		return 0;
	err = cache_flush(fs);
	if (err)
		return err;
	/* Last, so the counts never claim blocks whose bitmaps are not on disk. */
	if (!fs->sb_dirty && fs->sb_clean)
		return 0;
	return sb_write(fs, true);
}

/* --- recovery ----------------------------------------------------------------- */

/*
 * recover() runs at mount when the superblock is not marked clean: the
 * last writer died between its first write and its sync (see enum
 * wb_order). As e2fsck -p would, it keeps what the directory tree
 * reaches from the root and rebuilds the rest from that: names of free or
 * unwritten inodes and second names of a directory go; inodes no name
 * reaches are freed (zeroed); block map entries outside the file system,
 * in the system zone or claimed already are dropped; link counts,
 * i_blocks, a directory's size, both bitmaps and every free count are
 * recomputed. Each step writes through the cache and the superblock
 * stays not clean until the final sync, so a crash in recovery only
 * means it runs again.
 *
 * fs->refs[ino - 1]: the names found for the inode (REC_COUNT bits),
 * whether it is a directory reached and whether it was scanned.
 */
#define REC_COUNT   0x3fff
#define REC_DIR	    0x4000
#define REC_SCANNED 0x8000

struct rec_stats {
	uint32_t names, inodes, links, maps;
};

/* Sets bit @bit of bitmap block @map; 1 if it was set already, 0, or an error. */
static int rec_bit_set(struct ext2_fs *fs, uint32_t map, uint32_t bit)
{
	struct ext2_cblock *c;
	int err = blk_get(fs, map, BLK_READ, &c);

	if (err)
		return err;
	if (c->data[bit / 8] & (1U << (bit % 8)))
		return 1;
	c->data[bit / 8] |= (uint8_t)(1U << (bit % 8));
	blk_dirty(fs, c, WB_INODE);
	return 0;
}

/* Claims block @blk for a file: 0, 1 if it may not be (bad, metadata, taken), or an error. */
static int rec_claim(struct ext2_fs *fs, uint32_t blk)
{
	struct ext2_group_desc gd;
	uint32_t g;
	int err;

	if (blk < fs->first_data_block || blk >= fs->blocks_count)
		return 1;
	g = block_group(fs, blk);
	err = gd_get(fs, g, &gd);
	if (err)
		return err;
	if (group_meta(fs, g, &gd, blk))
		return 1;
	return rec_bit_set(fs, gd.bg_block_bitmap, blk - group_first_block(fs, g));
}

struct rec_map {
	uint32_t blocks; /* claimed, indirect ones included */
	uint64_t last;	 /* last logical block mapped, + 1 (0: none) */
	bool dropped;	 /* an entry was cleared */
	bool loose;	 /* claim whatever is in range, reserved inodes' way (no checks) */
};

/* Claims @blk the way @m says: checked (rec_claim), or only kept in range (reserved inodes). */
static int rec_take(struct ext2_fs *fs, uint32_t blk, const struct rec_map *m)
{
	struct ext2_group_desc gd;
	uint32_t g;
	int err;

	if (!m->loose)
		return rec_claim(fs, blk);
	if (blk < fs->first_data_block || blk >= fs->blocks_count)
		return 1;
	g = block_group(fs, blk);
	err = gd_get(fs, g, &gd);
	if (err)
		return err;
	err = rec_bit_set(fs, gd.bg_block_bitmap, blk - group_first_block(fs, g));
	return err < 0 ? err : 0;
}

/* Empty bitmaps, but for the system zone, reserved inodes and the padding past a group's end. */
static int rec_bitmaps_reset(struct ext2_fs *fs)
{
	struct ext2_group_desc gd;
	struct ext2_cblock *c;
	uint32_t g, bit, n;
	int err;

	for (g = 0; g < fs->groups; g++) {
		err = gd_get(fs, g, &gd);
		if (!err)
			err = blk_get(fs, gd.bg_block_bitmap, BLK_READ, &c);
		if (err)
			return err;
		memset(c->data, 0, fs->block_size);
		n = group_blocks(fs, g);
		for (bit = 0; bit < fs->block_size * 8; bit++)
			if (bit >= n || group_meta(fs, g, &gd, group_first_block(fs, g) + bit))
				c->data[bit / 8] |= (uint8_t)(1U << (bit % 8));
		blk_dirty(fs, c, WB_INODE);
		err = blk_get(fs, gd.bg_inode_bitmap, BLK_READ, &c);
		if (err)
			return err;
		memset(c->data, 0, fs->block_size);
		for (bit = 0; bit < fs->block_size * 8; bit++)
			if (bit >= fs->inodes_per_group ||
			    g * fs->inodes_per_group + bit + 1 < fs->first_ino)
				c->data[bit / 8] |= (uint8_t)(1U << (bit % 8));
		blk_dirty(fs, c, WB_INODE);
		gd.bg_used_dirs_count = 0;
		err = gd_put(fs, g, &gd);
		if (err)
			return err;
	}
	return 0;
}

/*
 * Claims indirect block @blk at @level (1: it holds data blocks) and what
 * it maps from logical block @lblk; entries that may not be are cleared.
 */
static int rec_walk(struct ext2_fs *fs, uint32_t blk, unsigned int level, uint64_t lblk,
		    struct rec_map *m)
{
	uint32_t per = fs->block_size / 4, i, e;
	uint64_t span = 1;
	int err;

	for (i = 1; i < level; i++)
		span *= per;
	for (i = 0; i < per; i++) {
		err = blk_read_at(fs, blk, i * 4, &e, sizeof(e));
		if (err)
			return err;
		if (!e)
			continue;
		err = rec_take(fs, e, m);
		if (err < 0)
			return err;
		if (err) {
			uint32_t zero = 0;

			if (m->loose)
				continue;
			err = blk_write_at(fs, blk, i * 4, &zero, sizeof(zero), WB_DATA);
			if (err)
				return err;
			m->dropped = true;
			continue;
		}
		m->blocks++;
		if (level > 1) {
			err = rec_walk(fs, e, level - 1, lblk + i * span, m);
			if (err)
				return err;
		} else {
			m->last = lblk + i + 1;
		}
	}
	return 0;
}

/* Claims @in's blocks (map and xattr block), clearing entries that may not be. */
static int rec_map(struct ext2_fs *fs, struct ext2_inode *in, struct rec_map *m)
{
	uint64_t per = fs->block_size / 4, base[3] = { EXT2_NDIR_BLOCKS, 0, 0 };
	unsigned int i;
	int err;

	base[1] = base[0] + per;
	base[2] = base[1] + per * per;
	for (i = 0; has_block_map(fs, in) && i < EXT2_N_BLOCKS; i++) {
		uint32_t b = in->i_block[i];

		if (!b)
			continue;
		err = rec_take(fs, b, m);
		if (err < 0)
			return err;
		if (err) {
			if (!m->loose) {
				in->i_block[i] = 0;
				m->dropped = true;
			}
			continue;
		}
		m->blocks++;
		if (i < EXT2_NDIR_BLOCKS) {
			m->last = i + 1;
			continue;
		}
		err = rec_walk(fs, b, i - EXT2_NDIR_BLOCKS + 1, base[i - EXT2_NDIR_BLOCKS], m);
		if (err)
			return err;
	}
	/* An xattr block may be shared: claimed once, counted by each. */
	if (in->i_file_acl) {
		err = rec_claim(fs, in->i_file_acl);
		if (err < 0)
			return err;
		m->blocks++;
	}
	return 0;
}

/* Claims @ino's blocks and makes i_blocks, the size and @links agree; written if changed. */
static int rec_fix_inode(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in, uint16_t links,
			 struct rec_stats *st)
{
	struct ext2_inode old = *in;
	struct rec_map m = { 0 };
	uint64_t size;
	int err = rec_map(fs, in, &m);

	if (err)
		return err;
	st->maps += m.dropped;
	if (has_block_map(fs, in))
		in->i_blocks = m.blocks * (fs->block_size / SECTOR_SIZE);
	size = inode_size(in);
	if (is_dir(in))
		inode_set_size(in, m.last * fs->block_size);
	else if (has_block_map(fs, in) && m.last && size <= (m.last - 1) * fs->block_size)
		inode_set_size(in, m.last * fs->block_size);
	if (in->i_links_count != links) {
		in->i_links_count = links;
		st->links++;
	}
	if (!memcmp(&old, in, sizeof(old)))
		return 0;
	return inode_put(fs, ino, in);
}

/* The entry type @in calls for. */
static uint8_t rec_ftype(const struct ext2_inode *in)
{
	switch (in->i_mode & EXT2_S_IFMT) {
	case EXT2_S_IFREG:
		return EXT2_FT_REG_FILE;
	case EXT2_S_IFDIR:
		return EXT2_FT_DIR;
	case EXT2_S_IFCHR:
		return EXT2_FT_CHRDEV;
	case EXT2_S_IFBLK:
		return EXT2_FT_BLKDEV;
	case EXT2_S_IFIFO:
		return EXT2_FT_FIFO;
	case EXT2_S_IFSOCK:
		return EXT2_FT_SOCK;
	case EXT2_S_IFLNK:
		return EXT2_FT_SYMLINK;
	default:
		return EXT2_FT_UNKNOWN;
	}
}

static bool rec_live(const struct ext2_inode *in)
{
	return in->i_mode && in->i_links_count && !in->i_dtime && rec_ftype(in) != EXT2_FT_UNKNOWN;
}

/*
 * Checks the entry at @off of directory block @blk (entry @index of the
 * directory): a name of a live inode stays and counts, any other is
 * cleared. 1 if @ino is a directory kept, 0, or an error.
 */
static int rec_entry(struct ext2_fs *fs, uint32_t blk, uint32_t off, struct rec_stats *st)
{
	struct ext2_dirent_head h;
	struct ext2_inode in;
	uint16_t *r;
	int err = blk_read_at(fs, blk, off, &h, sizeof(h));
	bool keep;

	if (err || !h.inode)
		return err;
	/* Not the root nor another reserved inode: first_ino is past them all. */
	keep = h.inode >= fs->first_ino && h.inode <= fs->inodes_count;
	if (keep) {
		err = inode_get(fs, h.inode, &in);
		if (err)
			return err;
		r = &fs->refs[h.inode - 1];
		keep = rec_live(&in) && !(is_dir(&in) && (*r & REC_COUNT));
	}
	if (!keep) {
		h.inode = 0;
		st->names++;
		return blk_write_at(fs, blk, off, &h, sizeof(h), WB_DIR);
	}
	if ((*r & REC_COUNT) < REC_COUNT)
		(*r)++;
	if (is_dir(&in))
		*r |= REC_DIR;
	if (fs->filetype && h.file_type != rec_ftype(&in)) {
		h.file_type = rec_ftype(&in);
		err = blk_write_at(fs, blk, off, &h, sizeof(h), WB_DIR);
		if (err)
			return err;
	}
	return is_dir(&in);
}

/* Writes a directory block that holds nothing (block 0: "." and ".." only). */
static int rec_dir_reset(struct ext2_fs *fs, uint32_t dir, uint32_t blk, bool first)
{
	struct ext2_cblock *c;
	int err = blk_get(fs, blk, BLK_ZERO, &c);

	if (err)
		return err;
	if (!first) {
		dirent_put(fs, c->data, 0, fs->block_size, "", 0, 0);
		return 0;
	}
	/* The parent is not known here: the root adopts it, as lost+found would. */
	dirent_put(fs, c->data, dir, rec_size(1), ".", 1, EXT2_FT_DIR);
	dirent_put(fs, c->data + rec_size(1), EXT2_ROOT_INO, fs->block_size - rec_size(1), "..", 2,
		   EXT2_FT_DIR);
	return 0;
}

/* Scans directory @dir: its blocks claimed, its names checked and counted, its links set. */
static int rec_scan_dir(struct ext2_fs *fs, uint32_t dir, struct rec_stats *st)
{
	struct ext2_inode in;
	uint16_t subdirs = 0;
	uint64_t lblk, nblk;
	int err = inode_get(fs, dir, &in);

	if (err)
		return err;
	fs->refs[dir - 1] |= REC_SCANNED;
	err = rec_fix_inode(fs, dir, &in, in.i_links_count, st);
	if (err)
		return err;
	nblk = in.i_size / fs->block_size;
	for (lblk = 0; lblk < nblk; lblk++) {
		struct ext2_dirent_head h;
		uint32_t blk, off = 0;
		bool fresh;

		/* Holes read as nothing; bmap() walks a map rec_map() just claimed. */
		err = bmap(fs, dir, &in, lblk, false, NULL, &blk, &fresh);
		if (err)
			return err;
		if (!blk)
			continue;
		while (off < fs->block_size) {
			err = blk_read_at(fs, blk, off, &h, sizeof(h));
			if (err)
				return err;
			if (h.rec_len < EXT2_DIRENT_HEAD || h.rec_len % 4 ||
			    h.rec_len > fs->block_size - off || rec_size(h.name_len) > h.rec_len) {
				st->names++;
				err = rec_dir_reset(fs, dir, blk, lblk == 0);
				if (err)
					return err;
				off = 0;
				break;
			}
			if (lblk == 0 && off < rec_size(2) + rec_size(1) &&
			    (off == 0 || off == rec_size(1))) {
				off += h.rec_len; /* "." and ".." */
				continue;
			}
			err = rec_entry(fs, blk, off, st);
			if (err < 0)
				return err;
			subdirs += (uint16_t)err;
			off += h.rec_len;
		}
	}
	err = inode_get(fs, dir, &in);
	if (err || in.i_links_count == 2 + subdirs)
		return err;
	in.i_links_count = (uint16_t)(2 + subdirs);
	st->links++;
	return inode_put(fs, dir, &in);
}

/* Zeroes an inode no name reaches; keeps a reached one, its blocks claimed and counts fixed. */
static int rec_inode(struct ext2_fs *fs, uint32_t ino, struct rec_stats *st)
{
	struct ext2_group_desc gd;
	struct ext2_inode in;
	uint16_t r = fs->refs[ino - 1];
	uint32_t g = ino_group(fs, ino);
	int err = inode_get(fs, ino, &in);

	if (err)
		return err;
	if (ino != EXT2_ROOT_INO && !(r & REC_COUNT)) {
		if (!in.i_mode && !in.i_links_count)
			return 0;
		st->inodes++;
		return inode_reset(fs, ino, NULL);
	}
	if (!(r & REC_SCANNED)) {
		err = rec_fix_inode(fs, ino, &in, r & REC_COUNT, st);
		if (err)
			return err;
	}
	err = gd_get(fs, g, &gd);
	if (!err)
		err = rec_bit_set(fs, gd.bg_inode_bitmap, (ino - 1) % fs->inodes_per_group);
	if (err < 0 || !is_dir(&in))
		return err < 0 ? err : 0;
	gd.bg_used_dirs_count++;
	return gd_put(fs, g, &gd);
}

/* Free blocks and inodes of every group, from the bitmaps, and the totals. */
static int rec_counts(struct ext2_fs *fs)
{
	struct ext2_group_desc gd;
	struct ext2_cblock *c;
	uint32_t g, bit, fb, fi;
	int err;

	fs->free_blocks = fs->free_inodes = 0;
	for (g = 0; g < fs->groups; g++) {
		err = gd_get(fs, g, &gd);
		if (!err)
			err = blk_get(fs, gd.bg_block_bitmap, BLK_READ, &c);
		if (err)
			return err;
		for (fb = 0, bit = 0; bit < group_blocks(fs, g); bit++)
			fb += !(c->data[bit / 8] & (1U << (bit % 8)));
		err = blk_get(fs, gd.bg_inode_bitmap, BLK_READ, &c);
		if (err)
			return err;
		for (fi = 0, bit = 0; bit < fs->inodes_per_group; bit++)
			fi += !(c->data[bit / 8] & (1U << (bit % 8)));
		gd.bg_free_blocks_count = (uint16_t)fb;
		gd.bg_free_inodes_count = (uint16_t)fi;
		err = gd_put(fs, g, &gd);
		if (err)
			return err;
		fs->free_blocks += fb;
		fs->free_inodes += fi;
	}
	fs->sb_dirty = true;
	return 0;
}

/* Says what recover() did in fs->msg. */
static void rec_say(struct ext2_fs *fs, const struct rec_stats *st, uint32_t fb, uint32_t fi)
{
	fs->msg[0] = '\0';
	msg_add(fs->msg, "not cleanly synced; repaired: names ");
	msg_num(fs->msg, st->names, 10);
	msg_add(fs->msg, ", inodes ");
	msg_num(fs->msg, st->inodes, 10);
	msg_add(fs->msg, ", links ");
	msg_num(fs->msg, st->links, 10);
	msg_add(fs->msg, ", maps ");
	msg_num(fs->msg, st->maps, 10);
	msg_add(fs->msg, "; free ");
	msg_num(fs->msg, fb, 10);
	msg_add(fs->msg, "->");
	msg_num(fs->msg, fs->free_blocks, 10);
	msg_add(fs->msg, " blocks, ");
	msg_num(fs->msg, fi, 10);
	msg_add(fs->msg, "->");
	msg_num(fs->msg, fs->free_inodes, 10);
	msg_add(fs->msg, " inodes");
}

/* The repair of an image whose superblock is not marked clean (see above). 0 or an error. */
static int recover(struct ext2_fs *fs)
{
	struct rec_stats st = { 0 };
	uint32_t ino, fb = fs->free_blocks, fi = fs->free_inodes;
	struct ext2_inode in;
	bool more = true;
	int err;

	memset(fs->refs, 0, sizeof(fs->refs));
	err = rec_bitmaps_reset(fs);
	/* Reserved inodes (the resize inode, a journal) keep their blocks, unchecked. */
	for (ino = 1; !err && ino < fs->first_ino; ino++) {
		struct rec_map m = { .loose = true };

		if (ino == EXT2_ROOT_INO)
			continue;
		err = inode_get(fs, ino, &in);
		if (!err && in.i_mode)
			err = rec_map(fs, &in, &m);
	}
	/* The tree, from the root: each pass scans the directories the last one reached. */
	fs->refs[EXT2_ROOT_INO - 1] = REC_DIR;
	while (!err && more) {
		more = false;
		for (ino = 1; !err && ino <= fs->inodes_count; ino++) {
			uint16_t r = fs->refs[ino - 1];

			if ((r & REC_DIR) && !(r & REC_SCANNED)) {
				err = rec_scan_dir(fs, ino, &st);
				more = true;
			}
		}
	}
	for (ino = EXT2_ROOT_INO; !err && ino <= fs->inodes_count; ino++) {
		if (ino >= fs->first_ino || ino == EXT2_ROOT_INO)
			err = rec_inode(fs, ino, &st);
	}
	if (!err)
		err = rec_counts(fs);
	if (!err)
		err = ext2_sync(fs);
	if (err)
		return err;
	rec_say(fs, &st, fb, fi);
	fs->recovered = true;
	return 0;
}

/* --- mount ------------------------------------------------------------------ */

struct feature_name {
	uint32_t bit;
	const char *name;
};

/* Names as e2fsprogs prints them, so a refusal reads like dumpe2fs. */
static const struct feature_name incompat_names[] = {
	{ 0x0001, "compression" },
	{ 0x0004, "needs_recovery" },
	{ 0x0008, "journal_dev" },
	{ 0x0010, "meta_bg" },
	{ 0x0040, "extent" },
	{ 0x0080, "64bit" },
	{ 0x0100, "mmp" },
	{ 0x0200, "flex_bg" },
	{ 0x0400, "ea_inode" },
	{ 0x1000, "dirdata" },
	{ 0x2000, "metadata_csum_seed" },
	{ 0x4000, "large_dir" },
	{ 0x8000, "inline_data" },
	{ 0x10000, "encrypt" },
	{ 0x20000, "casefold" },
	{ 0, NULL },
};

static const struct feature_name ro_compat_names[] = {
	{ 0x0008, "huge_file" }, { 0x0010, "uninit_bg" },
	{ 0x0020, "dir_nlink" }, { 0x0040, "extra_isize" },
	{ 0x0080, "snapshot" },	 { 0x0100, "quota" },
	{ 0x0200, "bigalloc" },	 { 0x0400, "metadata_csum" },
	{ 0x0800, "replica" },	 { 0x1000, "read-only" },
	{ 0x2000, "project" },	 { 0x4000, "shared_blocks" },
	{ 0x8000, "verity" },	 { 0, NULL },
};

/* Appends the names of @bits to fs->msg, and the hex of any without one. */
static void msg_features(struct ext2_fs *fs, uint32_t bits, const struct feature_name *names)
{
	for (; names->name; names++) {
		if (bits & names->bit) {
			msg_add(fs->msg, " ");
			msg_add(fs->msg, names->name);
			bits &= ~names->bit;
		}
	}
	if (bits) {
		msg_add(fs->msg, " ");
		msg_num(fs->msg, bits, 16);
	}
}

static int check_features(struct ext2_fs *fs, const struct ext2_super *sb)
{
	uint32_t incompat = 0, ro_compat = 0;

	if (sb->s_rev_level >= EXT2_DYNAMIC_REV) {
		incompat = sb->s_feature_incompat;
		ro_compat = sb->s_feature_ro_compat;
	}
	fs->filetype = incompat & EXT2_FEATURE_INCOMPAT_FILETYPE;
	fs->large_file = ro_compat & EXT2_FEATURE_RO_COMPAT_LARGE_FILE;
	if (incompat & ~EXT2_INCOMPAT_OK) {
		refuse(fs, 0, "unsupported features:", 0, 0);
		msg_features(fs, incompat & ~EXT2_INCOMPAT_OK, incompat_names);
		return -EXT2_ENOTSUP;
	}
	if (ro_compat & ~EXT2_RO_COMPAT_OK) {
		refuse(fs, 0, "read-only, features:", 0, 0);
		msg_features(fs, ro_compat & ~EXT2_RO_COMPAT_OK, ro_compat_names);
		fs->ro = true;
	}
	return 0;
}

/* Which groups hold superblock copies, and how many blocks those take. */
static int check_backups(struct ext2_fs *fs, const struct ext2_super *sb)
{
	uint32_t compat = 0, ro_compat = 0, reserved = 0;

	if (fs->rev >= EXT2_DYNAMIC_REV) {
		compat = sb->s_feature_compat;
		ro_compat = sb->s_feature_ro_compat;
	}
	fs->sparse_super = ro_compat & EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER;
	fs->sparse_super2 = compat & EXT2_FEATURE_COMPAT_SPARSE_SUPER2;
	if (fs->sparse_super2)
		memcpy(fs->backup_bgs, sb->s_backup_bgs, sizeof(fs->backup_bgs));
	if (compat & EXT2_FEATURE_COMPAT_RESIZE_INODE)
		reserved = sb->s_reserved_gdt_blocks;
	/* Linux's bound: the resize inode's one indirect block lists them. */
	if (reserved > fs->block_size / 4)
		return refuse(fs, -EXT2_EINVAL, "bad reserved descriptor blocks ", reserved, 10);
	fs->meta_blocks = 1 + fs->gdt_blocks + reserved;
	if (fs->meta_blocks >= group_blocks(fs, 0))
		return refuse(fs, -EXT2_EINVAL, "descriptors fill group 0: ", fs->meta_blocks, 10);
	return 0;
}

/* The superblock's numbers, checked against each other and the device. */
static int check_super(struct ext2_fs *fs, const struct ext2_super *sb)
{
	uint64_t groups, itable;
	int err;

	if (sb->s_magic != EXT2_SUPER_MAGIC)
		return refuse(fs, -EXT2_EINVAL, "bad magic ", sb->s_magic, 16);
	if (sb->s_rev_level > EXT2_DYNAMIC_REV)
		return refuse(fs, -EXT2_ENOTSUP, "unknown revision ", sb->s_rev_level, 10);
	/* ext2 allows up to 64 KiB (log 6); beyond is nonsense, not a feature. */
	if (sb->s_log_block_size > 6)
		return refuse(fs, -EXT2_EINVAL, "bad block size log ", sb->s_log_block_size, 10);
	if (sb->s_log_block_size > EXT2_MAX_BLOCK_LOG - EXT2_MIN_BLOCK_LOG)
		return refuse(fs, -EXT2_ENOTSUP, "unsupported block size ",
			      1024U << sb->s_log_block_size, 10);
	fs->block_size = 1024U << sb->s_log_block_size;
	fs->sectors_per_block = fs->block_size / SECTOR_SIZE;
	fs->rev = sb->s_rev_level;
	fs->blocks_count = sb->s_blocks_count;
	fs->inodes_count = sb->s_inodes_count;
	fs->first_data_block = sb->s_first_data_block;
	fs->blocks_per_group = sb->s_blocks_per_group;
	fs->inodes_per_group = sb->s_inodes_per_group;
	fs->inode_size = EXT2_GOOD_OLD_INODE_SIZE;
	fs->first_ino = EXT2_GOOD_OLD_FIRST_INO;
	if (fs->rev >= EXT2_DYNAMIC_REV) {
		fs->inode_size = sb->s_inode_size;
		fs->first_ino = sb->s_first_ino;
	}

	/* The superblock is in block 1 with 1 KiB blocks, else in block 0. */
	if (fs->first_data_block != (fs->block_size == 1024 ? 1U : 0U))
		return refuse(fs, -EXT2_EINVAL, "bad first data block ", fs->first_data_block, 10);
	if (fs->blocks_count <= fs->first_data_block || fs->inodes_count == 0)
		return refuse(fs, -EXT2_EINVAL, "bad blocks count ", fs->blocks_count, 10);
	/* One bitmap block per group. */
	if (!fs->blocks_per_group || fs->blocks_per_group > 8 * fs->block_size)
		return refuse(fs, -EXT2_EINVAL, "bad blocks per group ", fs->blocks_per_group, 10);
	if (!fs->inodes_per_group || fs->inodes_per_group > 8 * fs->block_size)
		return refuse(fs, -EXT2_EINVAL, "bad inodes per group ", fs->inodes_per_group, 10);
	if (fs->inode_size < EXT2_GOOD_OLD_INODE_SIZE || fs->inode_size > fs->block_size ||
	    (fs->inode_size & (fs->inode_size - 1)))
		return refuse(fs, -EXT2_EINVAL, "bad inode size ", fs->inode_size, 10);
	if (fs->first_ino < EXT2_GOOD_OLD_FIRST_INO || fs->first_ino > fs->inodes_count)
		return refuse(fs, -EXT2_EINVAL, "bad first inode ", fs->first_ino, 10);

	groups = (fs->blocks_count - fs->first_data_block + fs->blocks_per_group - 1) /
		 fs->blocks_per_group;
	if (groups * fs->inodes_per_group != fs->inodes_count)
		return refuse(fs, -EXT2_EINVAL,
			      "inodes count disagrees with groups: ", fs->inodes_count, 10);
	fs->groups = (uint32_t)groups;
	fs->gdt_blocks =
		(uint32_t)((groups * EXT2_DESC_SIZE + fs->block_size - 1) / fs->block_size);
	fs->data_start = fs->first_data_block + 1 + fs->gdt_blocks;
	if (fs->data_start >= fs->blocks_count)
		return refuse(fs, -EXT2_EINVAL, "descriptors past the end: ", fs->gdt_blocks, 10);
	itable = ((uint64_t)fs->inodes_per_group * fs->inode_size + fs->block_size - 1) /
		 fs->block_size;
	fs->itable_blocks = (uint32_t)itable;
	err = check_backups(fs, sb);
	if (err)
		return err;

	if (sb->s_free_blocks_count > fs->blocks_count ||
	    sb->s_free_inodes_count > fs->inodes_count)
		return refuse(fs, -EXT2_EINVAL, "bad free counts", 0, 0);
	if (fs->dev.sectors && (uint64_t)fs->blocks_count * fs->sectors_per_block > fs->dev.sectors)
		return refuse(fs, -EXT2_EINVAL, "file system bigger than the device: blocks ",
			      fs->blocks_count, 10);
	return 0;
}

/* Says which of group @g's structures is out of place. */
static int refuse_group(struct ext2_fs *fs, uint32_t g, const char *what, uint32_t val)
{
	refuse(fs, 0, "group ", g, 10);
	msg_add(fs->msg, ": ");
	msg_add(fs->msg, what);
	msg_add(fs->msg, " ");
	msg_num(fs->msg, val, 10);
	return -EXT2_EINVAL;
}

/* Whether blocks @blk..@blk+@n-1 lie in group @g, past its superblock copy if it has one. */
static bool group_holds(const struct ext2_fs *fs, uint32_t g, uint32_t blk, uint32_t n)
{
	uint32_t first = group_first_block(fs, g), end = first + group_blocks(fs, g);

	if (group_has_super(fs, g))
		first += fs->meta_blocks;
	return blk >= first && blk < end && n <= end - blk;
}

/* Whether @blk is one of the @n blocks from @start. */
static bool in_run(uint32_t blk, uint32_t start, uint32_t n)
{
	return blk >= start && blk - start < n;
}

/*
 * Every group descriptor in place: bitmaps and inode table inside their
 * group (no flex_bg), clear of its superblock copy and of each other, as
 * Linux's ext2_check_descriptors() wants; the free counts summed for the
 * superblock.
 */
static int check_groups(struct ext2_fs *fs, const struct ext2_super *sb)
{
	struct ext2_group_desc gd;
	uint32_t g, it;
	int err;

	fs->free_blocks = fs->free_inodes = 0;
	for (g = 0; g < fs->groups; g++) {
		err = gd_get(fs, g, &gd);
		if (err)
			return refuse(fs, err, "cannot read descriptors of group ", g, 10);
		it = gd.bg_inode_table;
		if (!group_holds(fs, g, gd.bg_block_bitmap, 1))
			return refuse_group(fs, g, "block bitmap at", gd.bg_block_bitmap);
		if (!group_holds(fs, g, gd.bg_inode_bitmap, 1) ||
		    gd.bg_inode_bitmap == gd.bg_block_bitmap)
			return refuse_group(fs, g, "inode bitmap at", gd.bg_inode_bitmap);
		if (!group_holds(fs, g, it, fs->itable_blocks) ||
		    in_run(gd.bg_block_bitmap, it, fs->itable_blocks) ||
		    in_run(gd.bg_inode_bitmap, it, fs->itable_blocks))
			return refuse_group(fs, g, "inode table at", it);
		if (gd.bg_free_blocks_count > group_blocks(fs, g))
			return refuse_group(fs, g, "free blocks", gd.bg_free_blocks_count);
		if (gd.bg_free_inodes_count > fs->inodes_per_group)
			return refuse_group(fs, g, "free inodes", gd.bg_free_inodes_count);
		if (gd.bg_used_dirs_count > fs->inodes_per_group)
			return refuse_group(fs, g, "directories", gd.bg_used_dirs_count);
		fs->free_blocks += gd.bg_free_blocks_count;
		fs->free_inodes += gd.bg_free_inodes_count;
	}
	/* As Linux's ext2: the descriptors' sums are the truth; sync writes them. */
	fs->sb_dirty = fs->free_blocks != sb->s_free_blocks_count ||
		       fs->free_inodes != sb->s_free_inodes_count;
	return 0;
}

int ext2_mount(struct ext2_fs *fs, const struct ext2_dev *dev)
{
	struct ext2_super sb;
	struct ext2_inode root;
	int err;

	memset(fs, 0, sizeof(*fs));
	if (!dev || !dev->read)
		return refuse(fs, -EXT2_EINVAL, "no device", 0, 0);
	fs->dev = *dev;
	if (fs->dev.read(fs->dev.ctx, EXT2_SUPER_SECTOR, EXT2_SUPER_SIZE / SECTOR_SIZE, fs->sb) < 0)
		return refuse(fs, -EXT2_EIO, "cannot read the superblock", 0, 0);
	memcpy(&sb, fs->sb, sizeof(sb));
	err = check_super(fs, &sb);
	if (!err)
		err = check_features(fs, &sb);
	if (!err)
		err = check_groups(fs, &sb);
	if (err)
		return err;
	err = inode_get(fs, EXT2_ROOT_INO, &root);
	if (err)
		return refuse(fs, err, "cannot read the root inode", 0, 0);
	if (!is_dir(&root))
		return refuse(fs, -EXT2_EINVAL, "root inode is not a directory, mode 0",
			      root.i_mode, 8);
	if (!fs->dev.write && !fs->ro) {
		refuse(fs, 0, "read-only, no write callback", 0, 0);
		fs->ro = true;
	}
	fs->sb_clean = (sb.s_state & (EXT2_VALID_FS | EXT2_ERROR_FS)) == EXT2_VALID_FS;
	if (fs->ro || fs->sb_clean)
		return 0;
	if (fs->inodes_count > EXT2_RECOVER_INODES) {
		fs->ro = true;
		return refuse(fs, 0, "not cleanly synced, too many inodes to repair; read-only: ",
			      fs->inodes_count, 10);
	}
	err = recover(fs);
	if (err)
		return refuse(fs, err, "not cleanly synced, and the repair failed", 0, 0);
	return 0;
}

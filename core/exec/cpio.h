/*
 * cpio.h - the initramfs reader's interface: cpio "newc" archives.
 *
 * The buffer is what the boot loader hands over (/chosen
 * linux,initrd-start/-end), read in place. As in Linux
 * (Documentation/driver-api/early-userspace/buffer-format.rst) it may hold
 * several uncompressed archives one after the other, with NUL padding
 * before each one and at the end:
 *
 *   initramfs := archive (NUL* archive)* NUL*
 *   archive   := entry* trailer        (Keel insists on the trailer)
 *   entry     := header(110) name NUL pad4 data pad4
 *
 * An archive starts at a 4-byte aligned offset with "070701" (newc) or
 * "070702" (crc: a regular file's check field is the 32-bit sum of its
 * data bytes, and is verified). Compressed archives are refused: Keel builds
 * its initramfs uncompressed. A later entry of the same name wins, as it
 * does when Linux unpacks the archives into its rootfs.
 *
 * Every function checks every entry it passes over, so none needs
 * cpio_check() first, and none reads outside [a, a + len) whatever the
 * bytes are. Names are refused if a component is "..".
 *
 * Freestanding: no libc, no allocation, no written globals. A struct
 * cpio_file points into the archive.
 * Elsewhere: where the archive is (dt.c), what runs from it (exec).
 */
#ifndef KEEL_CPIO_H
#define KEEL_CPIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* core/keel.h has __must_check too; this header also builds on the host. */
#define CPIO_MUST_CHECK __attribute__((warn_unused_result))

/* Functions return 0 (1 where said) or -CPIO_ERR_x. */
enum cpio_err {
	CPIO_OK = 0,
	CPIO_ERR_MAGIC = 1,  /* no "070701"/"070702" where an entry starts */
	CPIO_ERR_HEX,	     /* a header field is not 8 hex digits */
	CPIO_ERR_NAMESIZE,   /* namesize 0 */
	CPIO_ERR_NAME,	     /* name not NUL-terminated exactly at namesize */
	CPIO_ERR_DOTDOT,     /* a name with a ".." component */
	CPIO_ERR_TRUNCATED,  /* header, name, data or padding past the end */
	CPIO_ERR_NO_TRAILER, /* the buffer ends without "TRAILER!!!" */
	CPIO_ERR_CRC,	     /* "070702" file whose data does not sum to check */
	CPIO_ERR_JUNK,	     /* after a trailer: neither NUL nor an archive */
	CPIO_ERR_NOT_FOUND,  /* cpio_find(): no such name */
	CPIO_ERR_INVAL,	     /* NULL pointer or offset out of range */
	CPIO_ERR_COUNT
};

/* A short description of @err (negative or positive), e.g. "bad magic". */
const char *cpio_strerror(int err);

struct cpio_error {
	int code;      /* CPIO_ERR_x, positive */
	size_t offset; /* byte offset in the buffer where it was found */
};

/* One archive member, as the header describes it; pointers into the archive. */
struct cpio_file {
	const char *name; /* as stored ("init", "./init", "sbin/x"), NUL-terminated */
	size_t namelen;	  /* without the NUL */
	const void *data; /* file contents, or a symlink's target */
	size_t size;
	uint32_t mode, ino, uid, gid, nlink, mtime;
	uint32_t devmajor, devminor, rdevmajor, rdevminor;
};

/* Does @f's name, as cpio_find() compares names ("/x", "./x", "x" alike), say @path? */
bool cpio_name_eq(const struct cpio_file *f, const char *path);

/* S_IFMT and the file types (POSIX <sys/stat.h>, octal as cpio stores them). */
#define CPIO_S_IFMT  0170000u
#define CPIO_S_IFDIR 0040000u
#define CPIO_S_IFREG 0100000u
#define CPIO_S_IFLNK 0120000u

static inline bool cpio_is_reg(const struct cpio_file *f)
{
	return (f->mode & CPIO_S_IFMT) == CPIO_S_IFREG;
}

static inline bool cpio_is_dir(const struct cpio_file *f)
{
	return (f->mode & CPIO_S_IFMT) == CPIO_S_IFDIR;
}

static inline bool cpio_is_symlink(const struct cpio_file *f)
{
	return (f->mode & CPIO_S_IFMT) == CPIO_S_IFLNK;
}

/*
 * Any hart. Walks the whole buffer: every entry of every archive, the
 * trailers, the padding. Returns 0 or -CPIO_ERR_x with @err (may be NULL)
 * saying where.
 */
int CPIO_MUST_CHECK cpio_check(const void *a, size_t len, struct cpio_error *err);

/*
 * Any hart. Start with *off = 0. Returns 0 with the entry at *off in @f
 * and *off moved past it; 1 once the last archive's trailer is reached
 * (trailers between archives are stepped over; *off then stays at the
 * last trailer, so a further call returns 1 again); or -CPIO_ERR_x with
 * *off unchanged.
 */
int CPIO_MUST_CHECK cpio_next(const void *a, size_t len, size_t *off, struct cpio_file *f);

/*
 * Any hart. Finds @path ("/init", "init" and "./init" are the same name;
 * "/" is the archive's "." entry). The last entry of that name wins. A
 * regular file that is a hard link without data (newc stores the data
 * with the last link only) is given the data of its linked entry. Walks
 * and checks the whole buffer, so a damaged archive is refused even when
 * the name comes early. Returns 0, -CPIO_ERR_NOT_FOUND or another error.
 */
int CPIO_MUST_CHECK cpio_find(const void *a, size_t len, const char *path, struct cpio_file *f);

#endif /* KEEL_CPIO_H */

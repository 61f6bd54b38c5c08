/*
 * cpio.c - read the initramfs: cpio "newc" and "crc" archives, in place.
 *
 * Owns the archive format (cpio(5), "New ASCII Format"; Linux's
 * Documentation/driver-api/early-userspace/buffer-format.rst for how
 * archives are concatenated) and name lookup. Nothing is unpacked: the
 * callers get pointers into the buffer.
 *
 * Invariants: every offset is a size_t checked as "off <= len &&
 * len - off >= need" before the bytes are read, never "off + need <=
 * len", so nothing overflows; header fields are ASCII, read byte by
 * byte (no alignment assumed). Every entry is checked completely
 * (header, name, data, padding, crc) before it is handed out. No libc,
 * no allocation, no written globals: any hart may call this.
 *
 * Choices, where the format leaves room:
 *   - hex digits in either case (GNU cpio writes upper case, Linux's
 *     gen_init_cpio lower case); every field must be 8 of them;
 *   - "070702": the check field is verified for regular files only, as
 *     GNU cpio computes it (a symlink's is 0) and Linux checks it;
 *   - the padding after a header + name and after the data must lie
 *     inside the buffer (GNU cpio and gen_init_cpio always write it); its
 *     bytes are not looked at, as Linux does not;
 *   - after a trailer only NUL bytes or another archive (at a 4-byte
 *     aligned offset, as Linux requires) may follow: GNU cpio pads to 512
 *     bytes, boot loaders pad to 4, and an early-microcode archive is
 *     concatenated in front of the main one. Anything else (a compressed
 *     archive, garbage) is refused, not silently dropped;
 *   - the buffer must start with an archive (no leading NULs) and end
 *     with a trailer: a missing trailer is what a truncated image looks
 *     like.
 * Elsewhere: where the buffer comes from (dt.c /chosen), exec (task.c).
 */
#include "cpio.h"
#include "keel/strtab.h"

/* cpio(5) newc header: magic, then 13 fields of 8 hex digits. */
#define CPIO_MAGIC_LEN 6
#define CPIO_FIELD_LEN 8
#define CPIO_HDR_SIZE  110
#define CPIO_ALIGN     4

/* Field indexes, in header order. */
enum cpio_field {
	CPIO_F_INO,
	CPIO_F_MODE,
	CPIO_F_UID,
	CPIO_F_GID,
	CPIO_F_NLINK,
	CPIO_F_MTIME,
	CPIO_F_FILESIZE,
	CPIO_F_DEVMAJOR,
	CPIO_F_DEVMINOR,
	CPIO_F_RDEVMAJOR,
	CPIO_F_RDEVMINOR,
	CPIO_F_NAMESIZE,
	CPIO_F_CHECK,
	CPIO_NFIELDS
};

_Static_assert(CPIO_MAGIC_LEN + CPIO_NFIELDS * CPIO_FIELD_LEN == CPIO_HDR_SIZE,
	       "newc header is 110 bytes");

static const char cpio_trailer_name[] = "TRAILER!!!";

/* By CPIO_ERR_x, from CPIO_OK. */
static const char cpio_err_str[] = "success\0"
				   "bad magic (not a newc/crc cpio archive)\0"
				   "header field not 8 hex digits\0"
				   "namesize 0\0"
				   "name not NUL-terminated at namesize\0"
				   "name with a \"..\" component\0"
				   "entry runs past the end\0"
				   "no TRAILER!!! entry\0"
				   "crc mismatch\0"
				   "junk after trailer (compressed archive?)\0"
				   "not found\0"
				   "bad argument";
_Static_assert(CPIO_ERR_INVAL == 11 && CPIO_ERR_COUNT == 12, "cpio_err_str has a name per code");

const char *cpio_strerror(int err)
{
	const char *s = strtab_nth(cpio_err_str, sizeof(cpio_err_str), err < 0 ? -(long)err : err);

	return s ? s : "unknown error";
}

/* ---- small freestanding helpers ---- */

/* Is [off, off + need) inside a buffer of @len bytes? Overflow-safe. */
static bool cpio_fits(size_t off, size_t need, size_t len)
{
	return off <= len && need <= len - off;
}

/* @n rounded up to CPIO_ALIGN; false if that wraps. */
static bool cpio_align(size_t n, size_t *out)
{
	size_t up = (CPIO_ALIGN - n % CPIO_ALIGN) % CPIO_ALIGN;

	if (n > (size_t)-1 - up)
		return false;
	*out = n + up;
	return true;
}

static int cpio_hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool cpio_hex8(const uint8_t *p, uint32_t *val)
{
	uint32_t v = 0;
	int d, i;

	for (i = 0; i < CPIO_FIELD_LEN; i++) {
		d = cpio_hexval(p[i]);
		if (d < 0)
			return false;
		v = v << 4 | (uint32_t)d;
	}
	*val = v;
	return true;
}

static bool cpio_memeq(const uint8_t *a, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (a[i] != (uint8_t)b[i])
			return false;
	return true;
}

/* Does the name of @n bytes have a component that is exactly ".."? */
static bool cpio_has_dotdot(const char *s, size_t n)
{
	size_t i, start = 0;

	for (i = 0; i <= n; i++) {
		if (i < n && s[i] != '/')
			continue;
		if (i - start == 2 && s[start] == '.' && s[start + 1] == '.')
			return true;
		start = i + 1;
	}
	return false;
}

/*
 * Drop what makes "/x", "./x" and "x" one name: leading "/" and "./"
 * runs, and a lone "." (the archive's root entry). Returns the rest.
 */
static const char *cpio_strip(const char *s, size_t *n)
{
	for (;;) {
		if (*n >= 1 && s[0] == '/') {
			s++;
			(*n)--;
		} else if (*n >= 2 && s[0] == '.' && s[1] == '/') {
			s += 2;
			*n -= 2;
		} else if (*n == 1 && s[0] == '.') {
			s++;
			(*n)--;
		} else {
			return s;
		}
	}
}

static size_t cpio_strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

static int cpio_fail(struct cpio_error *err, int code, size_t offset)
{
	if (err) {
		err->code = code;
		err->offset = offset;
	}
	return -code;
}

/* ---- one entry ---- */

/* One header's fields, after cpio_read_header() proved them hex. */
struct cpio_hdr {
	uint32_t f[CPIO_NFIELDS];
	bool crc; /* "070702" */
};

static int cpio_read_header(const uint8_t *b, size_t len, size_t off, struct cpio_hdr *h,
			    struct cpio_error *err)
{
	size_t room = len - off; /* callers hold off <= len */
	int i;

	if (room == 0)
		return cpio_fail(err, CPIO_ERR_NO_TRAILER, off);
	if (room >= CPIO_MAGIC_LEN) {
		if (cpio_memeq(b + off, "070702", CPIO_MAGIC_LEN))
			h->crc = true;
		else if (cpio_memeq(b + off, "070701", CPIO_MAGIC_LEN))
			h->crc = false;
		else
			return cpio_fail(err, CPIO_ERR_MAGIC, off);
	}
	if (room < CPIO_HDR_SIZE)
		return cpio_fail(err, CPIO_ERR_TRUNCATED, off);
	for (i = 0; i < CPIO_NFIELDS; i++) {
		size_t at = off + CPIO_MAGIC_LEN + (size_t)i * CPIO_FIELD_LEN;

		if (!cpio_hex8(b + at, &h->f[i]))
			return cpio_fail(err, CPIO_ERR_HEX, at);
	}
	if (h->f[CPIO_F_NAMESIZE] == 0)
		return cpio_fail(err, CPIO_ERR_NAMESIZE,
				 off + CPIO_MAGIC_LEN + CPIO_F_NAMESIZE * CPIO_FIELD_LEN);
	return 0;
}

/* The 32-bit sum of the data bytes, as "070702" wants it (cpio(5)). */
static uint32_t cpio_sum(const uint8_t *p, size_t n)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i < n; i++)
		sum += p[i];
	return sum;
}

static void cpio_fill(struct cpio_file *f, const struct cpio_hdr *h, const uint8_t *name,
		      const uint8_t *data)
{
	f->name = (const char *)name;
	f->namelen = h->f[CPIO_F_NAMESIZE] - 1;
	f->data = data;
	f->size = h->f[CPIO_F_FILESIZE];
	f->mode = h->f[CPIO_F_MODE];
	f->ino = h->f[CPIO_F_INO];
	f->uid = h->f[CPIO_F_UID];
	f->gid = h->f[CPIO_F_GID];
	f->nlink = h->f[CPIO_F_NLINK];
	f->mtime = h->f[CPIO_F_MTIME];
	f->devmajor = h->f[CPIO_F_DEVMAJOR];
	f->devminor = h->f[CPIO_F_DEVMINOR];
	f->rdevmajor = h->f[CPIO_F_RDEVMAJOR];
	f->rdevminor = h->f[CPIO_F_RDEVMINOR];
}

/*
 * Check the whole entry at @off (off <= len) and fill @f; *next is the
 * offset after its data padding. Returns 0, 1 for a trailer, or -error.
 */
static int cpio_read_entry(const uint8_t *b, size_t len, size_t off, struct cpio_file *f,
			   size_t *next, struct cpio_error *err)
{
	struct cpio_hdr h;
	size_t namesize, data_off, data_end;
	const uint8_t *name;
	size_t i;
	int rc;

	rc = cpio_read_header(b, len, off, &h, err);
	if (rc)
		return rc;
	namesize = h.f[CPIO_F_NAMESIZE];
	/* off + 110 <= len was checked; the name and its padding come next. */
	if (!cpio_fits(off + CPIO_HDR_SIZE, namesize, len) ||
	    !cpio_align(off + CPIO_HDR_SIZE + namesize, &data_off) || data_off > len)
		return cpio_fail(err, CPIO_ERR_TRUNCATED, off);
	name = b + off + CPIO_HDR_SIZE;
	for (i = 0; i + 1 < namesize; i++)
		if (name[i] == '\0')
			return cpio_fail(err, CPIO_ERR_NAME, off + CPIO_HDR_SIZE);
	if (name[namesize - 1] != '\0')
		return cpio_fail(err, CPIO_ERR_NAME, off + CPIO_HDR_SIZE);
	if (cpio_has_dotdot((const char *)name, namesize - 1))
		return cpio_fail(err, CPIO_ERR_DOTDOT, off + CPIO_HDR_SIZE);
	if (!cpio_fits(data_off, h.f[CPIO_F_FILESIZE], len) ||
	    !cpio_align(data_off + h.f[CPIO_F_FILESIZE], &data_end) || data_end > len)
		return cpio_fail(err, CPIO_ERR_TRUNCATED, off);
	cpio_fill(f, &h, name, b + data_off);
	/* GNU cpio sums regular files only (a symlink's check is 0); so does Linux. */
	if (h.crc && cpio_is_reg(f) && cpio_sum(b + data_off, f->size) != h.f[CPIO_F_CHECK])
		return cpio_fail(err, CPIO_ERR_CRC, off);
	*next = data_end;
	if (namesize == sizeof(cpio_trailer_name) &&
	    cpio_memeq(name, cpio_trailer_name, sizeof(cpio_trailer_name)))
		return 1;
	return 0;
}

/*
 * After a trailer ending at @off: skip NULs. Returns 1 at the end of the
 * buffer, 0 with *start at the next archive, or -CPIO_ERR_JUNK.
 */
static int cpio_after_trailer(const uint8_t *b, size_t len, size_t off, size_t *start,
			      struct cpio_error *err)
{
	while (off < len && b[off] == '\0')
		off++;
	if (off == len)
		return 1;
	if (off % CPIO_ALIGN || b[off] != '0')
		return cpio_fail(err, CPIO_ERR_JUNK, off);
	*start = off;
	return 0;
}

/*
 * The next member at or after *off, stepping over inner trailers.
 * Returns 0 (*off past the member, *at its header, *newarch whether a
 * new archive began before it), 1 at the end (*off at the last trailer),
 * or -error.
 */
static int cpio_walk(const uint8_t *b, size_t len, size_t *off, size_t *at, bool *newarch,
		     struct cpio_file *f, struct cpio_error *err)
{
	size_t cur = *off, next;
	int rc;

	*newarch = false;
	for (;;) {
		rc = cpio_read_entry(b, len, cur, f, &next, err);
		if (rc <= 0)
			break;
		/* A trailer: the end, or another archive. */
		rc = cpio_after_trailer(b, len, next, &next, err);
		if (rc < 0)
			return rc;
		if (rc > 0) {
			*off = cur;
			return 1;
		}
		*newarch = true;
		cur = next;
	}
	if (rc < 0)
		return rc;
	*at = cur;
	*off = next;
	return 0;
}

int cpio_next(const void *a, size_t len, size_t *off, struct cpio_file *f)
{
	size_t at;
	bool newarch;

	if (!a || !off || !f || *off > len)
		return -CPIO_ERR_INVAL;
	return cpio_walk(a, len, off, &at, &newarch, f, NULL);
}

int cpio_check(const void *a, size_t len, struct cpio_error *err)
{
	struct cpio_file f;
	size_t off = 0, at;
	bool newarch;
	int rc;

	if (!a)
		return cpio_fail(err, CPIO_ERR_INVAL, 0);
	/* Each member moves off forward by at least a header: this ends. */
	do {
		rc = cpio_walk(a, len, &off, &at, &newarch, &f, err);
	} while (rc == 0);
	return rc < 0 ? rc : 0;
}

/* ---- lookup ---- */

static bool cpio_name_is(const struct cpio_file *f, const char *want, size_t wlen)
{
	size_t n = f->namelen;
	const char *s = cpio_strip(f->name, &n);
	size_t i;

	if (n != wlen)
		return false;
	for (i = 0; i < n; i++)
		if (s[i] != want[i])
			return false;
	return true;
}

bool cpio_name_eq(const struct cpio_file *f, const char *path)
{
	size_t wlen = cpio_strlen(path);
	const char *want = cpio_strip(path, &wlen);

	return cpio_name_is(f, want, wlen);
}

static bool cpio_same_inode(const struct cpio_file *x, const struct cpio_file *y)
{
	return x->ino == y->ino && x->devmajor == y->devmajor && x->devminor == y->devminor;
}

/*
 * newc hard links (cpio(5)): every link has nlink > 1 and the same
 * inode; only the last one of the group in its archive carries the data.
 * @arch is where that archive starts.
 */
static int cpio_link_data(const uint8_t *b, size_t len, size_t arch, struct cpio_file *f)
{
	struct cpio_file g;
	size_t off = arch, at;
	bool newarch;
	int rc;

	for (;;) {
		rc = cpio_walk(b, len, &off, &at, &newarch, &g, NULL);
		if (rc != 0 || (newarch && at != arch))
			return rc < 0 ? rc : 0; /* end of that archive */
		if (cpio_is_reg(&g) && g.size && cpio_same_inode(&g, f)) {
			f->data = g.data;
			f->size = g.size;
		}
	}
}

int cpio_find(const void *a, size_t len, const char *path, struct cpio_file *f)
{
	struct cpio_file g;
	size_t off = 0, at, arch = 0, found_at = 0, found_arch = 0, next, wlen;
	const char *want;
	bool newarch, found = false;
	int rc;

	if (!a || !path || !f)
		return -CPIO_ERR_INVAL;
	wlen = cpio_strlen(path);
	want = cpio_strip(path, &wlen);
	while ((rc = cpio_walk(a, len, &off, &at, &newarch, &g, NULL)) == 0) {
		if (newarch)
			arch = at;
		if (cpio_name_is(&g, want, wlen)) {
			found = true;
			found_at = at;
			found_arch = arch;
		}
	}
	if (rc < 0)
		return rc;
	if (!found)
		return -CPIO_ERR_NOT_FOUND;
	/* Read it again rather than copy the struct: no memcpy() here. */
	rc = cpio_read_entry(a, len, found_at, f, &next, NULL);
	if (rc < 0)
		return rc;
	if (cpio_is_reg(f) && f->nlink > 1 && f->size == 0)
		return cpio_link_data(a, len, found_arch, f);
	return 0;
}

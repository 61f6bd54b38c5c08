/*
 * cpio_test.c - host tests of core/exec/cpio.c.
 *
 *   cpio_test --compare ARCHIVE DIR     every entry GNU cpio wrote from DIR
 *                                       matches what lstat()/read()/readlink()
 *                                       see there, and every path of DIR is
 *                                       in the archive; cpio_find() finds each
 *   cpio_test --mutations ARCHIVE [CASE] byte-level damage to a good archive
 *                                       (small-newc.cpio or small-crc.cpio)
 *   cpio_test --synthetic [CASE]        archives written here (names, hard
 *                                       links, concatenation, edge cases)
 *   cpio_test --list-cases              "mutation NAME" / "synthetic NAME"
 *   cpio_test --any FILE                any bytes (fuzzer finds): no crash,
 *                                       and the reader's promises hold
 *
 * Output is TAP, as dt_test's. Every buffer handed to cpio.c is a heap
 * copy of exactly the length given, so AddressSanitizer catches any read
 * past it. The reference reader (ref_*) is separate code using strtoul().
 */
#define _GNU_SOURCE
#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "../../core/exec/cpio.h"

#define TESTLIB_NAME "cpio_test"
#include "testlib.h"

#define CASE(name, body)                                                                           \
	do {                                                                                       \
		case_failed = 0;                                                                   \
		body;                                                                              \
		tap_result(!case_failed, "%s", (name));                                            \
	} while (0)

static const char *const err_names[CPIO_ERR_COUNT] = {
	[CPIO_OK] = "CPIO_OK",
	[CPIO_ERR_MAGIC] = "CPIO_ERR_MAGIC",
	[CPIO_ERR_HEX] = "CPIO_ERR_HEX",
	[CPIO_ERR_NAMESIZE] = "CPIO_ERR_NAMESIZE",
	[CPIO_ERR_NAME] = "CPIO_ERR_NAME",
	[CPIO_ERR_DOTDOT] = "CPIO_ERR_DOTDOT",
	[CPIO_ERR_TRUNCATED] = "CPIO_ERR_TRUNCATED",
	[CPIO_ERR_NO_TRAILER] = "CPIO_ERR_NO_TRAILER",
	[CPIO_ERR_CRC] = "CPIO_ERR_CRC",
	[CPIO_ERR_JUNK] = "CPIO_ERR_JUNK",
	[CPIO_ERR_NOT_FOUND] = "CPIO_ERR_NOT_FOUND",
	[CPIO_ERR_INVAL] = "CPIO_ERR_INVAL",
};

static const char *err_name(int rc)
{
	if (rc < 0)
		rc = -rc;
	return rc < CPIO_ERR_COUNT ? err_names[rc] : "CPIO_ERR_?";
}

/* ---- files and exact-size copies ---- */

/* ---- the reference reader: locates entries for the mutations ---- */

#define REF_MAX 4096

struct ref_ent {
	size_t off, name_off, data_off, next;
	unsigned long f[13]; /* ino mode uid gid nlink mtime filesize ... check */
	char name[4200];
};

static size_t ref_n;
static struct ref_ent ref[REF_MAX];

static unsigned long ref_field(const uint8_t *h, int i)
{
	char tmp[9];

	memcpy(tmp, h + 6 + 8 * i, 8);
	tmp[8] = 0;
	return strtoul(tmp, NULL, 16);
}

/* Entries of one good archive, the trailer included. */
static void ref_read(const uint8_t *b, size_t len)
{
	size_t off = 0;
	struct ref_ent *e;
	int i;

	for (ref_n = 0; off + 110 <= len && ref_n < REF_MAX; ref_n++) {
		e = &ref[ref_n];
		e->off = off;
		for (i = 0; i < 13; i++)
			e->f[i] = ref_field(b + off, i);
		e->name_off = off + 110;
		snprintf(e->name, sizeof(e->name), "%s", (const char *)b + e->name_off);
		e->data_off = (e->name_off + e->f[11] + 3) & ~(size_t)3;
		e->next = (e->data_off + e->f[6] + 3) & ~(size_t)3;
		off = e->next;
		if (!strcmp(e->name, "TRAILER!!!")) {
			ref_n++;
			return;
		}
	}
	fprintf(stderr, "cpio_test: reference reader found no trailer\n");
	exit(2);
}

static struct ref_ent *ref_by_name(const char *name)
{
	size_t i;

	for (i = 0; i < ref_n; i++)
		if (!strcmp(ref[i].name, name))
			return &ref[i];
	fprintf(stderr, "cpio_test: no entry %s in the base archive\n", name);
	exit(2);
}

static void put_hex(uint8_t *b, size_t entry_off, int field, unsigned long v)
{
	char tmp[9];

	snprintf(tmp, sizeof(tmp), "%08lX", v);
	memcpy(b + entry_off + 6 + 8 * field, tmp, 8);
}

/* ---- promises any input must keep (shared with --any) ---- */

/* Walk with cpio_next(); check what each entry promises. Returns the end code. */
static int walk_promises(const uint8_t *b, size_t len, size_t *count)
{
	struct cpio_file f;
	size_t off = 0, prev, i;
	int rc;

	*count = 0;
	for (;;) {
		prev = off;
		rc = cpio_next(b, len, &off, &f);
		if (rc != 0)
			break;
		(*count)++;
		if (off <= prev || off > len)
			diag("cpio_next: offset %zu -> %zu", prev, off);
		if (f.name < (const char *)b || f.name + f.namelen >= (const char *)b + len)
			diag("name outside the buffer");
		else if (f.name[f.namelen] || memchr(f.name, 0, f.namelen))
			diag("name not NUL-terminated at namelen");
		if ((const uint8_t *)f.data < b || f.size > len ||
		    (const uint8_t *)f.data > b + len - f.size)
			diag("data outside the buffer");
		for (i = 0; i + 2 <= f.namelen; i++)
			if (f.name[i] == '.' && f.name[i + 1] == '.' &&
			    (i == 0 || f.name[i - 1] == '/') &&
			    (i + 2 == f.namelen || f.name[i + 2] == '/'))
				diag("a \"..\" component got through: %s", f.name);
	}
	if (rc == 1) {
		prev = off;
		if (cpio_next(b, len, &off, &f) != 1 || off != prev)
			diag("cpio_next after the end: not 1 again at the same offset");
	}
	return rc;
}

/* Run every entry point on @b; all must agree with cpio_check() = @want. */
static void all_agree(const uint8_t *b, size_t len, int want)
{
	struct cpio_error err = { -1, 0 };
	struct cpio_file f;
	size_t n;
	int rc = cpio_check(b, len, &err);

	if (rc != -want)
		diag("cpio_check: %s at %zu, want %s", err_name(rc), err.offset, err_names[want]);
	if (rc && (err.code != -rc || err.offset > len))
		diag("cpio_error: code %d offset %zu for %s", err.code, err.offset, err_name(rc));
	n = 0;
	rc = walk_promises(b, len, &n);
	if ((rc == 1 ? 0 : rc) != -want)
		diag("cpio_next walk ends with %s after %zu entries, want %s",
		     rc == 1 ? "end" : err_name(rc), n, err_names[want]);
	rc = cpio_find(b, len, "/no/such/file", &f);
	if (rc != (want ? -want : -CPIO_ERR_NOT_FOUND))
		diag("cpio_find of a missing name: %s", err_name(rc));
}

/* ---- --compare: GNU cpio's archive against the tree it came from ---- */

static const char *cmp_dir;
static size_t cmp_seen, cmp_paths;

static void stripped(const char *name, char *out, size_t outlen)
{
	while (*name == '/' || (name[0] == '.' && name[1] == '/'))
		name += *name == '/' ? 1 : 2;
	if (!strcmp(name, "."))
		name = "";
	snprintf(out, outlen, "%s", name);
}

static void compare_data(const struct cpio_file *f, const char *path, const struct stat *st)
{
	char *want = malloc((size_t)st->st_size + 1);
	FILE *fp;

	if (S_ISLNK(st->st_mode)) {
		ssize_t n = readlink(path, want, (size_t)st->st_size + 1);

		if (n != (ssize_t)f->size || memcmp(want, f->data, f->size))
			diag("%s: symlink target differs", path);
	} else if (S_ISREG(st->st_mode)) {
		fp = fopen(path, "rb");
		if (!fp || fread(want, 1, (size_t)st->st_size, fp) != (size_t)st->st_size)
			diag("%s: cannot read", path);
		else if (f->size != (size_t)st->st_size || memcmp(want, f->data, f->size))
			diag("%s: contents differ (%zu bytes in the archive, %lld on disk)", path,
			     f->size, (long long)st->st_size);
		if (fp)
			fclose(fp);
	}
	free(want);
}

static void compare_entry(const uint8_t *b, size_t len, const struct cpio_file *f)
{
	char path[8192], rel[4200], spell[4300];
	const char *fmts[] = { "%s", "/%s", "./%s", "//./%s" };
	struct cpio_file g;
	struct stat st;
	unsigned int i;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", cmp_dir, f->name);
	if (lstat(path, &st)) {
		diag("%s: in the archive, not on disk", f->name);
		return;
	}
	if (f->mode != st.st_mode || f->uid != st.st_uid || f->gid != st.st_gid ||
	    f->nlink != st.st_nlink || f->mtime != (uint32_t)st.st_mtime ||
	    f->ino != (uint32_t)st.st_ino || f->devmajor != major(st.st_dev) ||
	    f->devminor != minor(st.st_dev))
		diag("%s: mode %o/%o uid %u/%u gid %u/%u nlink %u/%lu mtime %u/%lld ino %u/%lu",
		     f->name, f->mode, st.st_mode, f->uid, st.st_uid, f->gid, st.st_gid, f->nlink,
		     (unsigned long)st.st_nlink, f->mtime, (long long)st.st_mtime, f->ino,
		     (unsigned long)st.st_ino);
	if (S_ISDIR(st.st_mode) != cpio_is_dir(f) || S_ISREG(st.st_mode) != cpio_is_reg(f) ||
	    S_ISLNK(st.st_mode) != cpio_is_symlink(f))
		diag("%s: cpio_is_* disagree with lstat", f->name);
	/* newc keeps a hard link's data with the group's last entry only. */
	if (!(S_ISREG(st.st_mode) && st.st_nlink > 1 && f->size == 0))
		compare_data(f, path, &st);
	stripped(f->name, rel, sizeof(rel));
	for (i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		snprintf(spell, sizeof(spell), fmts[i], rel);
		rc = cpio_find(b, len, spell, &g);
		if (rc) {
			diag("cpio_find(\"%s\"): %s", spell, err_name(rc));
			continue;
		}
		if (g.ino != f->ino || g.mode != f->mode)
			diag("cpio_find(\"%s\") found another entry", spell);
		compare_data(&g, path, &st);
	}
}

static int count_path(const char *p, const struct stat *st, int type, struct FTW *ftw)
{
	(void)p;
	(void)st;
	(void)type;
	(void)ftw;
	cmp_paths++;
	return 0;
}

static int mode_compare(const char *archive, const char *dir)
{
	size_t len, off = 0;
	uint8_t *file = read_file(archive, &len), *b = copy_exact(file, len);
	struct cpio_file f;
	int rc;

	cmp_dir = dir;
	CASE("cpio_check accepts it", all_agree(b, len, 0));
	CASE("every entry matches the tree", {
		while ((rc = cpio_next(b, len, &off, &f)) == 0) {
			cmp_seen++;
			compare_entry(b, len, &f);
		}
		if (rc != 1)
			diag("cpio_next: %s", err_name(rc));
	});
	CASE("every path of the tree is in the archive", {
		if (nftw(dir, count_path, 16, FTW_PHYS))
			diag("nftw %s: %s", dir, strerror(errno));
		if (cmp_paths != cmp_seen)
			diag("%zu paths on disk, %zu entries", cmp_paths, cmp_seen);
	});
	free(b);
	free(file);
	return tap_done();
}

/* ---- --mutations: byte-level damage to small-{newc,crc}.cpio ---- */

struct mut {
	uint8_t *b;
	size_t len; /* bytes handed to cpio.c */
	size_t cap;
	size_t want_off; /* expected cpio_error.offset, or SIZE_MAX */
};

#define NA (-1) /* case does not apply to this format */

struct mutation {
	const char *name;
	void (*apply)(struct mut *m);
	int want_newc, want_crc;
};

static void m_magic(struct mut *m)
{
	m->b[5] = '3';
	m->want_off = 0;
}
static void m_magic_odc(struct mut *m)
{
	struct ref_ent *e = ref_by_name("a");

	memcpy(m->b + e->off, "070707", 6);
	m->want_off = e->off;
}

static int hex_field;
static void m_hex(struct mut *m)
{
	struct ref_ent *e = ref_by_name("a");

	m->b[e->off + 6 + 8 * hex_field + 7] = 'g';
	m->want_off = e->off + 6 + 8 * (size_t)hex_field;
}

static void m_hex_space(struct mut *m)
{
	struct ref_ent *e = ref_by_name("b4");

	m->b[e->off + 6 + 8 * 6] = ' ';
}

static void m_hex_lower(struct mut *m)
{
	size_t i, j;

	for (i = 0; i < ref_n; i++)
		for (j = ref[i].off + 6; j < ref[i].off + 110; j++)
			if (m->b[j] >= 'A' && m->b[j] <= 'F')
				m->b[j] = (uint8_t)(m->b[j] - 'A' + 'a');
}

static void m_namesize0(struct mut *m)
{
	struct ref_ent *e = ref_by_name("a");

	put_hex(m->b, e->off, 11, 0);
	m->want_off = e->off + 6 + 8 * 11;
}

static void m_name_no_nul(struct mut *m)
{
	struct ref_ent *e = ref_by_name("a");

	m->b[e->name_off + 1] = 'a';
}

static void m_name_embedded_nul(struct mut *m)
{
	m->b[ref_by_name("dir/c")->name_off + 3] = 0;
}

static void m_namesize_past(struct mut *m)
{
	put_hex(m->b, ref_by_name("a")->off, 11, 0x7fffffff);
}
static void m_namesize_max(struct mut *m)
{
	put_hex(m->b, ref_by_name("a")->off, 11, 0xffffffff);
}
static void m_filesize_past(struct mut *m)
{
	put_hex(m->b, ref_by_name("b4")->off, 6, 0x100000);
}
static void m_filesize_max(struct mut *m)
{
	put_hex(m->b, ref_by_name("b4")->off, 6, 0xffffffff);
}
static void m_filesize_plus4(struct mut *m)
{
	put_hex(m->b, ref_by_name("b4")->off, 6, 8);
}

static void m_no_trailer(struct mut *m)
{
	m->len = ref_by_name("TRAILER!!!")->off;
	m->want_off = m->len;
}

static void m_trailer_renamed(struct mut *m)
{
	struct ref_ent *e = ref_by_name("TRAILER!!!");

	m->b[e->name_off + 9] = '?';
	m->want_off = e->next;
}

static void m_trailer_only_name(struct mut *m)
{
	/* The trailer's name complete, its padding cut off. */
	struct ref_ent *e = ref_by_name("TRAILER!!!");

	m->len = e->name_off + 11;
}

static void rename5(struct mut *m, const char *five)
{
	memcpy(m->b + ref_by_name("dir/c")->name_off, five, 5);
}

static void m_dotdot_lead(struct mut *m)
{
	rename5(m, "../xy");
}
static void m_dotdot_mid(struct mut *m)
{
	rename5(m, "x/../");
}
static void m_dotdot_tail(struct mut *m)
{
	rename5(m, "ab/..");
}
static void m_dots_ok1(struct mut *m)
{
	rename5(m, "...ab");
}
static void m_dots_ok2(struct mut *m)
{
	rename5(m, "a..bc");
}
static void m_dots_ok3(struct mut *m)
{
	rename5(m, "x/..y");
}

static void m_dotdot_exact(struct mut *m)
{
	struct ref_ent *e = ref_by_name("dir"); /* "dir\0" -> "..\0": same padding */

	put_hex(m->b, e->off, 11, 3);
	memcpy(m->b + e->name_off, "..", 3);
}

static void m_data_flipped(struct mut *m)
{
	m->b[ref_by_name("b4")->data_off + 2] ^= 1;
}

static void m_check_changed(struct mut *m)
{
	struct ref_ent *e = ref_by_name("a");

	put_hex(m->b, e->off, 12, e->f[12] + 1);
}

static void m_junk_after(struct mut *m)
{
	size_t at = ref_by_name("TRAILER!!!")->next + 9;

	if (at >= m->len)
		abort();
	m->b[at] = 'x';
	m->want_off = at;
}

static void m_gzip_after(struct mut *m)
{
	size_t at = ref_by_name("TRAILER!!!")->next;

	m->b[at] = 0x1f;
	m->b[at + 1] = 0x8b;
	m->want_off = at;
}

static void m_misaligned_archive(struct mut *m)
{
	size_t at = ref_by_name("TRAILER!!!")->next + 1;

	memcpy(m->b + at, m->b, 110);
	m->want_off = at;
}

static void m_append_self(struct mut *m)
{
	memcpy(m->b + m->len, m->b, m->len);
	m->len *= 2;
}

static void m_append_cut(struct mut *m)
{
	size_t t = ref_by_name("TRAILER!!!")->off;

	memcpy(m->b + m->len, m->b, t);
	m->len += t;
	m->want_off = m->len;
}

static void m_leading_nul(struct mut *m)
{
	memmove(m->b + 4, m->b, m->len);
	memset(m->b, 0, 4);
	m->len += 4;
	m->want_off = 0;
}

static void m_empty(struct mut *m)
{
	m->len = 0;
}

static const struct mutation mutations[] = {
	{ "bad-magic", m_magic, CPIO_ERR_MAGIC, CPIO_ERR_MAGIC },
	{ "odc-magic-second-entry", m_magic_odc, CPIO_ERR_MAGIC, CPIO_ERR_MAGIC },
	{ "non-hex-ino", m_hex, CPIO_ERR_HEX, CPIO_ERR_HEX },
	{ "non-hex-mode", m_hex, CPIO_ERR_HEX, CPIO_ERR_HEX },
	{ "non-hex-uid", m_hex, CPIO_ERR_HEX, CPIO_ERR_HEX },
	{ "non-hex-gid", m_hex, CPIO_ERR_HEX, CPIO_ERR_HEX },
	{ "non-hex-nlink", m_hex, CPIO_ERR_HEX, CPIO_ERR_HEX },
	{ "non-hex-mtime", m_hex, CPIO_ERR_HEX, CPIO_ERR_HEX },
	{ "non-hex-filesize", m_hex, CPIO_ERR_HEX, CPIO_ERR_HEX },
	{ "non-hex-devmajor", m_hex, CPIO_ERR_HEX, CPIO_ERR_HEX },
	{ "non-hex-devminor", m_hex, CPIO_ERR_HEX, CPIO_ERR_HEX },
	{ "non-hex-rdevmajor", m_hex, CPIO_ERR_HEX, CPIO_ERR_HEX },
	{ "non-hex-rdevminor", m_hex, CPIO_ERR_HEX, CPIO_ERR_HEX },
	{ "non-hex-namesize", m_hex, CPIO_ERR_HEX, CPIO_ERR_HEX },
	{ "non-hex-check", m_hex, CPIO_ERR_HEX, CPIO_ERR_HEX },
	{ "space-in-filesize", m_hex_space, CPIO_ERR_HEX, CPIO_ERR_HEX },
	{ "lower-case-hex-accepted", m_hex_lower, 0, 0 },
	{ "namesize-0", m_namesize0, CPIO_ERR_NAMESIZE, CPIO_ERR_NAMESIZE },
	{ "name-without-nul", m_name_no_nul, CPIO_ERR_NAME, CPIO_ERR_NAME },
	{ "name-with-embedded-nul", m_name_embedded_nul, CPIO_ERR_NAME, CPIO_ERR_NAME },
	{ "namesize-past-end", m_namesize_past, CPIO_ERR_TRUNCATED, CPIO_ERR_TRUNCATED },
	{ "namesize-ffffffff", m_namesize_max, CPIO_ERR_TRUNCATED, CPIO_ERR_TRUNCATED },
	{ "filesize-past-end", m_filesize_past, CPIO_ERR_TRUNCATED, CPIO_ERR_TRUNCATED },
	{ "filesize-ffffffff", m_filesize_max, CPIO_ERR_TRUNCATED, CPIO_ERR_TRUNCATED },
	{ "filesize-plus-4", m_filesize_plus4, CPIO_ERR_MAGIC, CPIO_ERR_CRC },
	{ "missing-trailer", m_no_trailer, CPIO_ERR_NO_TRAILER, CPIO_ERR_NO_TRAILER },
	{ "trailer-renamed", m_trailer_renamed, CPIO_ERR_MAGIC, CPIO_ERR_MAGIC },
	{ "trailer-padding-cut", m_trailer_only_name, CPIO_ERR_TRUNCATED, CPIO_ERR_TRUNCATED },
	{ "dotdot-leading", m_dotdot_lead, CPIO_ERR_DOTDOT, CPIO_ERR_DOTDOT },
	{ "dotdot-middle", m_dotdot_mid, CPIO_ERR_DOTDOT, CPIO_ERR_DOTDOT },
	{ "dotdot-trailing", m_dotdot_tail, CPIO_ERR_DOTDOT, CPIO_ERR_DOTDOT },
	{ "dotdot-whole-name", m_dotdot_exact, CPIO_ERR_DOTDOT, CPIO_ERR_DOTDOT },
	{ "three-dots-accepted", m_dots_ok1, 0, 0 },
	{ "dots-inside-accepted", m_dots_ok2, 0, 0 },
	{ "dotdot-prefix-accepted", m_dots_ok3, 0, 0 },
	{ "crc-data-byte-flipped", m_data_flipped, 0, CPIO_ERR_CRC },
	{ "check-field-changed", m_check_changed, 0, CPIO_ERR_CRC },
	{ "junk-in-trailing-padding", m_junk_after, CPIO_ERR_JUNK, CPIO_ERR_JUNK },
	{ "gzip-after-trailer", m_gzip_after, CPIO_ERR_JUNK, CPIO_ERR_JUNK },
	{ "misaligned-second-archive", m_misaligned_archive, CPIO_ERR_JUNK, CPIO_ERR_JUNK },
	{ "second-archive-appended", m_append_self, 0, 0 },
	{ "second-archive-without-trailer", m_append_cut, CPIO_ERR_NO_TRAILER,
	  CPIO_ERR_NO_TRAILER },
	{ "leading-nul-bytes", m_leading_nul, CPIO_ERR_MAGIC, CPIO_ERR_MAGIC },
	{ "empty-buffer", m_empty, CPIO_ERR_NO_TRAILER, CPIO_ERR_NO_TRAILER },
};

#define N_MUTATIONS (sizeof(mutations) / sizeof(mutations[0]))

static void run_mutation(const struct mutation *mu, const uint8_t *good, size_t len, bool crc)
{
	struct mut m = { .len = len, .cap = 2 * len + 256, .want_off = SIZE_MAX };
	struct cpio_error err = { -1, 0 };
	int want = crc ? mu->want_crc : mu->want_newc;
	uint8_t *exact;

	if (!strncmp(mu->name, "non-hex-", 8)) {
		static const char *const names[13] = {
			"ino",	     "mode",	 "uid",	     "gid",	 "nlink",
			"mtime",     "filesize", "devmajor", "devminor", "rdevmajor",
			"rdevminor", "namesize", "check",
		};
		for (hex_field = 0; strcmp(names[hex_field], mu->name + 8); hex_field++)
			;
	}
	m.b = calloc(1, m.cap);
	memcpy(m.b, good, len);
	mu->apply(&m);
	exact = copy_exact(m.b, m.len);
	all_agree(exact, m.len, want);
	if (cpio_check(exact, m.len, &err) && m.want_off != SIZE_MAX && err.offset != m.want_off)
		diag("error offset %zu, want %zu", err.offset, m.want_off);
	if (!strcmp(mu->name, "second-archive-appended")) {
		struct cpio_file f;

		/* The second copy's "a" wins. */
		if (cpio_find(exact, m.len, "a", &f) || (const uint8_t *)f.data < exact + len)
			diag("cpio_find did not return the later archive's entry");
	}
	free(exact);
	free(m.b);
}

/* Cut the archive at every length: refused until the trailer is whole. */
static void run_truncations(const uint8_t *good, size_t len)
{
	size_t t, end = ref_by_name("TRAILER!!!")->next, i;
	struct cpio_error err;
	uint8_t *exact;
	int rc, want;

	for (t = 0; t <= len; t++) {
		exact = copy_exact(good, t);
		rc = cpio_check(exact, t, &err);
		want = 0;
		if (t < end) {
			want = -CPIO_ERR_TRUNCATED;
			for (i = 0; i < ref_n; i++)
				if (ref[i].off == t)
					want = -CPIO_ERR_NO_TRAILER;
		}
		if (rc != want)
			diag("cut at %zu of %zu: %s, want %s", t, len, err_name(rc),
			     err_name(want));
		free(exact);
	}
}

static int mode_mutations(const char *path, const char *only)
{
	size_t len, i;
	uint8_t *file = read_file(path, &len);
	bool crc = len >= 6 && !memcmp(file, "070702", 6);
	int ran = 0, want;

	ref_read(file, len);
	if (cpio_check(file, len, NULL)) {
		fprintf(stderr, "cpio_test: %s is not a good archive\n", path);
		free(file);
		return 2;
	}
	for (i = 0; i < N_MUTATIONS; i++) {
		if (only && strcmp(only, mutations[i].name))
			continue;
		ran++;
		want = crc ? mutations[i].want_crc : mutations[i].want_newc;
		if (want == NA)
			continue;
		CASE(mutations[i].name, run_mutation(&mutations[i], file, len, crc));
	}
	if (!only || !strcmp(only, "truncated-at-every-offset")) {
		ran++;
		CASE("truncated-at-every-offset", run_truncations(file, len));
	}
	if (!ran) {
		fprintf(stderr, "cpio_test: no mutation named %s\n", only);
		return 2;
	}
	free(file);
	return tap_done();
}

/* ---- --synthetic: archives written here ---- */

struct w {
	uint8_t b[65536];
	size_t len;
};

static void w_entry(struct w *w, const char *magic, const char *name, uint32_t mode,
		    const char *data, size_t size, uint32_t ino, uint32_t nlink)
{
	size_t namesize = strlen(name) + 1;
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i < size; i++)
		sum += (uint8_t)data[i];
	w->len += (size_t)sprintf((char *)w->b + w->len,
				  "%s%08x%08x%08x%08x%08x%08x%08zx%08x%08x%08x%08x%08zx%08x", magic,
				  ino, mode, 0u, 0u, nlink, 1700000000u, size, 0u, 1u, 0u, 0u,
				  namesize, strcmp(magic, "070702") ? 0u : sum);
	memcpy(w->b + w->len, name, namesize);
	w->len += namesize;
	while (w->len % 4)
		w->b[w->len++] = 0;
	memcpy(w->b + w->len, data, size);
	w->len += size;
	while (w->len % 4)
		w->b[w->len++] = 0;
}

static void w_file(struct w *w, const char *name, const char *data)
{
	static uint32_t ino = 100;

	w_entry(w, "070701", name, 0100644, data, strlen(data), ino++, 1);
}

static void w_trailer(struct w *w)
{
	w_entry(w, "070701", "TRAILER!!!", 0, "", 0, 0, 1);
}

static void w_pad(struct w *w, size_t to)
{
	while (w->len % to)
		w->b[w->len++] = 0;
}

static void want_find(const struct w *w, const char *path, int want_rc, const char *want)
{
	uint8_t *b = copy_exact(w->b, w->len);
	struct cpio_file f;
	int rc = cpio_find(b, w->len, path, &f);

	if (rc != want_rc)
		diag("cpio_find(\"%s\"): %s, want %s", path, err_name(rc), err_name(want_rc));
	else if (!rc && want && (f.size != strlen(want) || memcmp(f.data, want, f.size)))
		diag("cpio_find(\"%s\"): data \"%.*s\", want \"%s\"", path, (int)f.size,
		     (const char *)f.data, want);
	free(b);
}

static void want_check(const struct w *w, int want)
{
	uint8_t *b = copy_exact(w->b, w->len);

	all_agree(b, w->len, want);
	free(b);
}

static void s_names(void)
{
	static struct w w;

	w.len = 0;
	w_entry(&w, "070701", ".", 040755, "", 0, 1, 2);
	w_file(&w, "init", "I");
	w_file(&w, "./sbin/init", "S");
	w_file(&w, "/etc/x", "X");
	w_entry(&w, "070701", "sbin/link", 0120777, "/init", 5, 9, 1);
	w_trailer(&w);
	w_pad(&w, 512);
	want_check(&w, 0);
	want_find(&w, "init", 0, "I");
	want_find(&w, "/init", 0, "I");
	want_find(&w, "./init", 0, "I");
	want_find(&w, ".//./init", 0, "I");
	want_find(&w, "sbin/init", 0, "S");
	want_find(&w, "/sbin/init", 0, "S");
	want_find(&w, "etc/x", 0, "X");
	want_find(&w, "/sbin/link", 0, "/init");
	want_find(&w, "/", 0, "");
	want_find(&w, "init/", -CPIO_ERR_NOT_FOUND, NULL);
	want_find(&w, "ini", -CPIO_ERR_NOT_FOUND, NULL);
	want_find(&w, "initx", -CPIO_ERR_NOT_FOUND, NULL);
	want_find(&w, "../init", -CPIO_ERR_NOT_FOUND, NULL);
	want_find(&w, "TRAILER!!!", -CPIO_ERR_NOT_FOUND, NULL);
	want_find(&w, "", 0, "");
}

static void s_later_wins(void)
{
	static struct w w;
	struct cpio_file f;
	size_t off = 0, n = 0;
	int rc;

	w.len = 0;
	w_file(&w, "init", "one");
	w_trailer(&w);
	w_pad(&w, 512);
	w_file(&w, "init", "two");
	w_file(&w, "other", "o");
	w_trailer(&w);
	w.len += 4; /* a boot loader's NUL padding */
	want_check(&w, 0);
	want_find(&w, "/init", 0, "two");
	want_find(&w, "/other", 0, "o");
	while ((rc = cpio_next(w.b, w.len, &off, &f)) == 0)
		n++;
	if (rc != 1 || n != 3)
		diag("cpio_next: %zu entries then %s, want 3 then end", n, err_name(rc));
}

static void s_hard_links(void)
{
	static struct w w;

	w.len = 0;
	w_entry(&w, "070701", "h1", 0100644, "", 0, 5, 2);
	w_entry(&w, "070701", "h2", 0100644, "data", 4, 5, 2);
	w_entry(&w, "070701", "lonely", 0100644, "", 0, 6, 2);
	w_trailer(&w);
	/* Same inode number in the next archive: not the same file. */
	w_entry(&w, "070701", "z", 0100644, "zzz", 3, 6, 2);
	w_trailer(&w);
	want_check(&w, 0);
	want_find(&w, "h1", 0, "data");
	want_find(&w, "h2", 0, "data");
	want_find(&w, "lonely", 0, "");
}

static void s_only_trailer(void)
{
	static struct w w;
	struct cpio_file f;
	size_t off = 0;

	w.len = 0;
	w_trailer(&w);
	want_check(&w, 0);
	want_find(&w, "x", -CPIO_ERR_NOT_FOUND, NULL);
	if (cpio_next(w.b, w.len, &off, &f) != 1 || off != 0)
		diag("cpio_next on a lone trailer: not 1 at offset 0");
}

static void s_crc_written_here(void)
{
	static struct w w;

	w.len = 0;
	w_entry(&w, "070702", "c", 0100644, "\xff\xfe\x80", 3, 1, 1);
	w_entry(&w, "070701", "n", 0100644, "plain", 5, 2, 1);
	w_trailer(&w);
	want_check(&w, 0);
	want_find(&w, "c", 0, "\xff\xfe\x80");
}

static void s_long_name(void)
{
	static struct w w;
	static char name[5000];

	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = 0;
	name[100] = '/';
	w.len = 0;
	w_file(&w, name, "long");
	w_trailer(&w);
	want_check(&w, 0);
	want_find(&w, name, 0, "long");
}

static void s_bad_second_archive(void)
{
	static struct w w;

	w.len = 0;
	w_file(&w, "init", "one");
	w_trailer(&w);
	w_file(&w, "bad/../x", "two");
	w_trailer(&w);
	want_check(&w, CPIO_ERR_DOTDOT);
	want_find(&w, "init", -CPIO_ERR_DOTDOT, NULL);
}

static void s_bad_arguments(void)
{
	static struct w w;
	struct cpio_file f;
	size_t off;

	w.len = 0;
	w_trailer(&w);
	off = w.len + 1;
	if (cpio_next(w.b, w.len, &off, &f) != -CPIO_ERR_INVAL)
		diag("cpio_next with *off past len: not INVAL");
	if (cpio_check(NULL, 0, NULL) != -CPIO_ERR_INVAL ||
	    cpio_find(w.b, w.len, NULL, &f) != -CPIO_ERR_INVAL)
		diag("NULL arguments: not INVAL");
	if (strcmp(cpio_strerror(-CPIO_ERR_CRC), "crc mismatch") ||
	    strcmp(cpio_strerror(CPIO_ERR_COUNT), "unknown error") ||
	    strcmp(cpio_strerror(-1000), "unknown error"))
		diag("cpio_strerror");
}

static const struct tap_case synthetics[] = {
	{ "name-spellings", s_names },
	{ "concatenated-later-wins", s_later_wins },
	{ "hard-links", s_hard_links },
	{ "only-a-trailer", s_only_trailer },
	{ "crc-written-here", s_crc_written_here },
	{ "5000-byte-name", s_long_name },
	{ "bad-entry-in-second-archive", s_bad_second_archive },
	{ "bad-arguments", s_bad_arguments },
};

#define N_SYNTHETICS (sizeof(synthetics) / sizeof(synthetics[0]))

static int mode_synthetic(const char *only)
{
	return tap_run_cases(synthetics, N_SYNTHETICS, only);
}

/* ---- --any ---- */

static int mode_any(const char *path)
{
	size_t len, n;
	uint8_t *file = read_file(path, &len), *b = copy_exact(file, len);
	struct cpio_error err;
	int rc;

	CASE(path, {
		rc = cpio_check(b, len, &err);
		if (rc > 0 || rc <= -CPIO_ERR_COUNT)
			diag("cpio_check returned %d", rc);
		printf("# cpio_check: %s\n", rc ? err_name(rc) : "ok");
		if (walk_promises(b, len, &n) != (rc ? rc : 1))
			diag("cpio_next disagrees with cpio_check");
		all_agree(b, len, -rc);
	});
	free(b);
	free(file);
	return tap_done();
}

static void list_cases(void)
{
	size_t i;

	for (i = 0; i < N_MUTATIONS; i++)
		printf("mutation %s\n", mutations[i].name);
	printf("mutation truncated-at-every-offset\n");
	for (i = 0; i < N_SYNTHETICS; i++)
		printf("synthetic %s\n", synthetics[i].name);
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "--list-cases")) {
		list_cases();
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "--compare"))
		return mode_compare(argv[2], argv[3]);
	if ((argc == 3 || argc == 4) && !strcmp(argv[1], "--mutations"))
		return mode_mutations(argv[2], argc == 4 ? argv[3] : NULL);
	if ((argc == 2 || argc == 3) && !strcmp(argv[1], "--synthetic"))
		return mode_synthetic(argc == 3 ? argv[2] : NULL);
	if (argc == 3 && !strcmp(argv[1], "--any"))
		return mode_any(argv[2]);
	fprintf(stderr, "usage: cpio_test --compare ARCHIVE DIR | --mutations ARCHIVE [CASE]\n"
			"       cpio_test --synthetic [CASE] | --list-cases | --any FILE\n");
	return 2;
}

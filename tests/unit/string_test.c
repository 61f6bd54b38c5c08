/*
 * string_test.c - core/lib/string.c's memcpy, memmove and memset on the
 * host, against a byte loop: every offset of either end in a 16-byte
 * window and lengths from 0 to past a page, so each of memcpy's ways (8
 * bytes, 4 bytes, bytes) and the ragged ends are crossed; nothing outside
 * the destination is written. TAP output.
 */
#include <stdint.h>
#include <stdio.h>

/* The core's functions under names of their own, next to the host's. */
#define memset	k_memset
#define memcpy	k_memcpy
#define memmove k_memmove
#define memcmp	k_memcmp
#define strlen	k_strlen
#define strcmp	k_strcmp
#define strncmp k_strncmp
#define strstr	k_strstr
#include "../../core/lib/string.c"
#undef memset
#undef memcpy
#undef memmove
#undef memcmp
#undef strlen
#undef strcmp
#undef strncmp
#undef strstr

#define AREA 8192
#define EDGE 64 /* untouched bytes either side of what is written */

static int tap_n, tap_failed;
static unsigned char src[AREA + 2 * EDGE], dst[AREA + 2 * EDGE];

static void check(int ok, const char *name)
{
	printf("%s %d - %s\n", ok ? "ok" : "not ok", ++tap_n, name);
	if (!ok)
		tap_failed = 1;
}

static const size_t lengths[] = { 0,  1,  3,  4,  7,  8,   9,	 15,   16,   17,  31,
				  32, 33, 63, 64, 65, 100, 4095, 4096, 4097, 4100 };

/* dst as it must be after writing @n bytes at @d of @fill, or of src from @s if @fill < 0. */
static int dst_is(size_t d, size_t s, size_t n, int fill)
{
	for (size_t i = 0; i < sizeof(dst); i++) {
		int want = 0xee;

		if (i >= d && i < d + n)
			want = fill >= 0 ? fill : src[s + i - d];
		if (dst[i] != want)
			return 0;
	}
	return 1;
}

int main(void)
{
	int ok = 1;

	for (size_t i = 0; i < sizeof(src); i++)
		src[i] = (unsigned char)(i * 131 + 7);
	for (size_t so = 0; so < 16; so++)
		for (size_t dof = 0; dof < 16; dof++)
			for (size_t l = 0; l < sizeof(lengths) / sizeof(lengths[0]); l++) {
				size_t n = lengths[l];

				for (size_t i = 0; i < sizeof(dst); i++)
					dst[i] = 0xee;
				ok &= k_memcpy(dst + EDGE + dof, src + EDGE + so, n) ==
				      dst + EDGE + dof;
				ok &= dst_is(EDGE + dof, EDGE + so, n, -1);
			}
	check(ok, "memcpy: every end offset mod 16, 0 to 4100 bytes; nothing else written");

	ok = 1;
	for (size_t dof = 0; dof < 16; dof++)
		for (size_t l = 0; l < sizeof(lengths) / sizeof(lengths[0]); l++) {
			size_t n = lengths[l];

			for (size_t i = 0; i < sizeof(dst); i++)
				dst[i] = 0xee;
			ok &= k_memset(dst + EDGE + dof, 0x5a, n) == dst + EDGE + dof;
			ok &= dst_is(EDGE + dof, 0, n, 0x5a);
		}
	check(ok, "memset: every start offset mod 16, 0 to 4100 bytes; nothing else written");

	ok = 1;
	for (size_t shift = 1; shift < 12; shift++) {
		unsigned char want[200];

		for (size_t i = 0; i < sizeof(dst); i++)
			dst[i] = (unsigned char)i;
		for (size_t i = 0; i < sizeof(want); i++)
			want[i] = dst[EDGE + i];
		k_memmove(dst + EDGE + shift, dst + EDGE, sizeof(want)); /* overlapping, upwards */
		for (size_t i = 0; i < sizeof(want); i++)
			ok &= dst[EDGE + shift + i] == want[i];
		k_memmove(dst + EDGE, dst + EDGE + shift, sizeof(want)); /* and back down */
		for (size_t i = 0; i < sizeof(want); i++)
			ok &= dst[EDGE + i] == want[i];
	}
	check(ok, "memmove: overlapping moves both ways");

	printf("1..%d\n", tap_n);
	return tap_failed;
}

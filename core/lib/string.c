/*
 * string.c - memory and string helpers. Simple on purpose: memset and
 * memcpy go a word at a time where they can, the rest a byte at a time.
 */
#include <stdint.h>

#include "string.h"

/*
 * memset and memcpy move 8 bytes at a time where both ends are as far
 * off an 8-byte boundary (pages, frames, most structures), memcpy 4 at a
 * time where they are as far off a 4-byte one (an initramfs file into a
 * page): page zeroing and copying are on the path of every spawn. Bytes
 * for the rest.
 */
/* The loops must stay loops: gcc would turn them into calls to themselves. */
#define STRING_LOOP __attribute__((optimize("no-tree-loop-distribute-patterns")))

STRING_LOOP void *memset(void *s, int c, size_t n)
{
	unsigned char *p = s;
	uint64_t word = 0x0101010101010101ULL * (unsigned char)c;

	for (; n && ((uintptr_t)p & 7); n--)
		*p++ = (unsigned char)c;
	/* 64 bytes a round: a page in 64 rounds of 11 instructions. */
	for (; n >= 64; n -= 64, p += 64) {
		uint64_t *q = (uint64_t *)p;

		q[0] = word, q[1] = word, q[2] = word, q[3] = word;
		q[4] = word, q[5] = word, q[6] = word, q[7] = word;
	}
	for (; n >= 8; n -= 8, p += 8)
		*(uint64_t *)p = word;
	while (n--)
		*p++ = (unsigned char)c;
	return s;
}

STRING_LOOP void *memcpy(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;
	uintptr_t skew = (uintptr_t)d ^ (uintptr_t)s;

	if (!(skew & 7) && n >= 8) {
		/* Both ends the same way off: bytes up to the boundary, then words. */
		for (; (uintptr_t)d & 7; n--)
			*d++ = *s++;
		for (; n >= 32; n -= 32, d += 32, s += 32) {
			uint64_t *dq = (uint64_t *)d;
			const uint64_t *sq = (const uint64_t *)s;
			uint64_t a = sq[0], b = sq[1], e = sq[2], f = sq[3];

			dq[0] = a, dq[1] = b, dq[2] = e, dq[3] = f;
		}
		for (; n >= 8; n -= 8, d += 8, s += 8)
			*(uint64_t *)d = *(const uint64_t *)s;
	} else if (!(skew & 3) && n >= 4) {
		/* cpio's file data is 4-byte aligned: a page from it goes here. */
		for (; (uintptr_t)d & 3; n--)
			*d++ = *s++;
		for (; n >= 16; n -= 16, d += 16, s += 16) {
			uint32_t *dw = (uint32_t *)d;
			const uint32_t *sw = (const uint32_t *)s;
			uint32_t a = sw[0], b = sw[1], e = sw[2], f = sw[3];

			dw[0] = a, dw[1] = b, dw[2] = e, dw[3] = f;
		}
		for (; n >= 4; n -= 4, d += 4, s += 4)
			*(uint32_t *)d = *(const uint32_t *)s;
	}
	while (n--)
		*d++ = *s++;
	return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	if (d < s)
		return memcpy(dst, src, n);
	while (n--)
		d[n] = s[n];
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *p = a, *q = b;

	for (; n; n--, p++, q++)
		if (*p != *q)
			return *p - *q;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b || !*a)
			return (unsigned char)*a - (unsigned char)*b;
	}
	return 0;
}

char *strstr(const char *haystack, const char *needle)
{
	size_t n = strlen(needle);

	for (; *haystack; haystack++)
		if (!strncmp(haystack, needle, n))
			return (char *)haystack;
	return n ? NULL : (char *)haystack;
}

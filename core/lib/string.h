/*
 * string.h - the few C library string functions the core needs (and
 * that the compiler may call on its own: memset, memcpy, memmove, memcmp).
 */
#ifndef KEEL_STRING_H
#define KEEL_STRING_H

#include <stddef.h>

#ifndef NULL
#define NULL ((void *)0)
#endif

void *memset(void *s, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strstr(const char *haystack, const char *needle);

#endif

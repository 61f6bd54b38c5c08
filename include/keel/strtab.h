/*
 * keel/strtab.h - tables of names packed into one string: "a\0b\0c". A
 * name costs its bytes and its NUL, where a table of pointers costs 8
 * bytes more per name. For names of error codes, causes and states, read
 * when a line is printed, not on any fast path: the look-up walks.
 */
#ifndef KEEL_STRTAB_H
#define KEEL_STRTAB_H

#include <stddef.h>

/*
 * The @n-th name of @tab, @size bytes with its final NUL (sizeof of the
 * array), or NULL if the table has fewer or that name is empty (a hole).
 */
static inline const char *strtab_nth(const char *tab, size_t size, unsigned long n)
{
	const char *end = tab + size;

	for (; tab < end && n; tab++)
		if (!*tab)
			n--;
	return tab < end && *tab ? tab : NULL;
}

#endif

/*
 * err.c - names for Keel's error codes, for log lines.
 */
#include "err.h"
#include "keel/strtab.h"

/* The packed table below is in number order: the list must be too. */
enum { KERR_FIRST = __COUNTER__ };
#define KEEL_EORDER(name, num, text)                                                               \
	_Static_assert((num) == __COUNTER__ - KERR_FIRST, "out of order: " #name);
KEEL_ERRNO_LIST(KEEL_EORDER)
#undef KEEL_EORDER

const char *kerr_str(int err)
{
#define KEEL_ENAME(name, num, text) text "\0"
	static const char names[] = "success\0" KEEL_ERRNO_LIST(KEEL_ENAME);
#undef KEEL_ENAME
	const char *s = strtab_nth(names, sizeof(names), err < 0 ? -(long)err : err);

	return s ? s : "unknown error";
}

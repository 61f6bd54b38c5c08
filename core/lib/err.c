/*
 * err.c - names for Keel's error codes, for log lines.
 */
#include "err.h"

const char *kerr_str(int err)
{
#define KEEL_ENAME(name, num, text) [num] = text,
	static const char *const names[] = { [0] = "success", KEEL_ERRNO_LIST(KEEL_ENAME) };
#undef KEEL_ENAME

	if (err < 0)
		err = -err;
	return (unsigned int)err < sizeof(names) / sizeof(names[0]) && names[err] ? names[err]
										  : "unknown error";
}

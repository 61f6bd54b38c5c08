/*
 * err.c - names for Keel's error codes, for log lines.
 */
#include "err.h"

const char *kerr_str(int err)
{
	static const char *const names[] = {
		[KERR_OK] = "success",
		[KERR_INVAL] = "invalid argument",
		[KERR_NOMEM] = "out of memory",
		[KERR_NOTSUP] = "not supported",
		[KERR_BUSY] = "busy",
		[KERR_NOENT] = "no such object",
		[KERR_RANGE] = "out of range",
		[KERR_DENIED] = "denied",
		[KERR_TIMEDOUT] = "timed out",
		[KERR_IO] = "I/O error",
		[KERR_NOSYS] = "no such system call",
		[KERR_CHILD] = "no such child",
		[KERR_PEER] = "peer gone",
		[KERR_DEADLK] = "would wait for itself",
	};

	if (err < 0)
		err = -err;
	return (unsigned int)err < sizeof(names) / sizeof(names[0]) && names[err] ?
		       names[err] : "unknown error";
}

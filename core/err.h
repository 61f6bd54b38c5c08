/*
 * err.h - Keel's error codes. Fallible functions return 0 or -KERR_*.
 * SBI errors are mapped to these once, in sbi/sbi.c.
 */
#ifndef KEEL_ERR_H
#define KEEL_ERR_H

enum {
	KERR_OK = 0,
	KERR_INVAL,	/* bad argument */
	KERR_NOMEM,	/* out of memory */
	KERR_NOTSUP,	/* not supported here (firmware, hardware) */
	KERR_BUSY,	/* already in use or already started */
	KERR_NOENT,	/* no such object */
	KERR_RANGE,	/* value out of range */
	KERR_DENIED,	/* firmware or rights refused */
	KERR_TIMEDOUT,	/* gave up waiting */
	KERR_IO,	/* the firmware or device failed */
	KERR_NOSYS,	/* no such system call */
	KERR_CHILD,	/* not a child to wait for */
	KERR_PEER,	/* the other side of an IPC is gone */
	KERR_DEADLK,	/* the call could only wait for the caller itself */
};

const char *kerr_str(int err);

#endif

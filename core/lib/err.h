/*
 * err.h - the core's side of the error codes: fallible functions return 0
 * or -KEEL_E* (include/keel/errno.h, the one list), kerr_str names them.
 */
#ifndef KEEL_ERR_H
#define KEEL_ERR_H

#include "keel/errno.h"

const char *kerr_str(int err);

#endif

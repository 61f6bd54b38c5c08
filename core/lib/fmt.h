/*
 * fmt.h - the core's printf-style formatter (no libc in the kernel).
 * Supports %d %i %u %x %X %o %p %s %c %%, the l/ll/z length modifiers,
 * width, '-' and '0' flags and a precision for %s.
 */
#ifndef KEEL_FMT_H
#define KEEL_FMT_H

#include <stdarg.h>
#include "keel.h"

/* Like vsnprintf: returns the length it would have written. */
int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int fmt_snprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);

#endif

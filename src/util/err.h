/*
 * err.h - error reporting shared by every module.
 *
 * Functions return 0 or a negative errno-style code; the human-readable cause
 * is kept in one per-thread message buffer set by pyro_err_set(). The first
 * failure wins: callers up the stack may prefix context with pyro_err_prefix()
 * but never overwrite the cause. Nothing here allocates.
 */
#ifndef PYRO_UTIL_ERR_H
#define PYRO_UTIL_ERR_H

#include <stddef.h>

#define PYRO_ERR_MAX 512

/* Set the current message (printf-style) and return -code (code is a
 * positive errno value, or EINVAL when unsure). */
int pyro_err_set(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Put "prefix: " in front of the current message. Returns -code. */
int pyro_err_prefix(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The current message, or "" when none was set. Never NULL. */
const char *pyro_err_msg(void);

/* Forget the current message. */
void pyro_err_clear(void);

/* Print "pyrometer: error: <msg>" to stderr. */
void pyro_err_print(void);

#endif

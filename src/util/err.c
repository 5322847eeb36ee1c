/*
 * err.c - the per-thread error message behind err.h.
 */
#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char err_msg[PYRO_ERR_MAX];

int pyro_err_set(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err_msg, sizeof(err_msg), fmt, ap);
	va_end(ap);
	return code > 0 ? -code : (code < 0 ? code : -1);
}

int pyro_err_prefix(int code, const char *fmt, ...)
{
	char prefix[PYRO_ERR_MAX];
	char old[PYRO_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err_msg, sizeof(old));
	/* Either part may be cut to fit; the message stays NUL-terminated. */
	if (snprintf(err_msg, sizeof(err_msg), "%.200s: %.300s", prefix, old) < 0)
		err_msg[0] = '\0';
	return code > 0 ? -code : (code < 0 ? code : -1);
}

const char *pyro_err_msg(void)
{
	return err_msg;
}

void pyro_err_clear(void)
{
	err_msg[0] = '\0';
}

void pyro_err_print(void)
{
	fprintf(stderr, "pyrometer: error: %s\n", err_msg[0] ? err_msg : "unknown error");
}

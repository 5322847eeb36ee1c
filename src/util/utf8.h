/*
 * utf8.h - keep text that came from outside valid UTF-8.
 */
#ifndef PYRO_UTIL_UTF8_H
#define PYRO_UTIL_UTF8_H

#include <stddef.h>

/* Replace, in place, every byte that does not start or continue a valid
 * UTF-8 sequence (overlong forms, surrogates and NULs included) with '?'.
 * Returns the number of bytes replaced. */
size_t pyro_utf8_sanitize(char *s, size_t n);

#endif

/*
 * utf8.h - keep text that came from outside valid UTF-8.
 */
#ifndef PYRO_UTIL_UTF8_H
#define PYRO_UTIL_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Replace, in place, every byte that does not start or continue a valid
 * UTF-8 sequence (overlong forms, surrogates and NULs included) with '?'.
 * Returns the number of bytes replaced. */
size_t pyro_utf8_sanitize(char *s, size_t n);

/* Unit i of an array of 1-, 2- or 4-byte units (a CPython str's data by
 * its kind, a PyLong's digits), native byte order. */
uint32_t pyro_unit_at(const uint8_t *data, size_t i, unsigned width);

/* Encode code point c (below 0x110000, not a surrogate) into out (4 bytes
 * at least); returns the bytes written. */
size_t pyro_utf8_encode(uint32_t c, char *out);

#endif

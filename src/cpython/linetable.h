/*
 * linetable.h - CPython 3.11+ location tables (co_linetable) to line numbers.
 *
 * The table is untrusted bytes from another process: decoding stops cleanly
 * at any malformed or truncated entry and keeps what came before.
 */
#ifndef PYRO_CPYTHON_LINETABLE_H
#define PYRO_CPYTHON_LINETABLE_H

#include <stddef.h>
#include <stdint.h>

#define CPY_LINETABLE_MAX_BYTES (1u << 20)
#define CPY_LINETABLE_MAX_RANGES (1u << 20)

/* Code units [start, end) map to line (-1: no location). */
struct cpy_line_range {
	uint32_t start;
	uint32_t end;
	int32_t line;
};

/* Decode a 3.11+ location table. *out is malloc'd (NULL when n is 0).
 * Returns 0 (possibly with fewer ranges than the table describes, when it is
 * malformed: the tail is dropped), or -ENOMEM. */
int cpy_linetable_decode(const uint8_t *tab, size_t len, int32_t firstlineno, struct cpy_line_range **out,
			 size_t *n);

/* The line for code unit `unit`, or firstlineno when no range covers it or
 * its range has no location. */
int32_t cpy_linetable_line(const struct cpy_line_range *r, size_t n, int64_t unit, int32_t firstlineno);

#endif

/*
 * linetable.h - CPython line-number tables to line numbers: co_lnotab
 * (3.6-3.9), the 3.10 co_linetable and the 3.11+ location table.
 *
 * The table is untrusted bytes from another process: decoding stops cleanly
 * at any malformed or truncated entry and keeps what came before. Every
 * decoder yields the same sorted, non-overlapping ranges in code units (2
 * bytes), adjacent ranges of equal line merged, so one lookup serves all.
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
 * malformed: the tail is dropped), or -ENOMEM (*out NULL, *n 0). At most
 * CPY_LINETABLE_MAX_BYTES of the table are read and CPY_LINETABLE_MAX_RANGES
 * ranges kept; a line past +-INT32_MAX or a unit past UINT32_MAX ends the
 * decoding like a malformed entry. */
int cpy_linetable_decode(const uint8_t *tab, size_t len, int32_t firstlineno, struct cpy_line_range **out,
			 size_t *n);

/* Decode a 3.6-3.9 co_lnotab (byte-offset increment, signed line increment pairs).
 * Ranges are in code units; the last range runs to UINT32_MAX. Same contract as
 * cpy_linetable_decode.
 * As in CPython's PyCode_Addr2Line, an odd final byte is ignored and -128 is
 * an ordinary line increment. Byte increments may be odd only where the line
 * does not change (CPython splits long gaps into 255-byte steps); a line
 * change at an odd offset is malformed. A table that is cut short (malformed,
 * or over a bound) keeps its earlier ranges but gets no final open range. */
int cpy_lnotab_decode(const uint8_t *tab, size_t len, int32_t firstlineno, struct cpy_line_range **out, size_t *n);

/* Decode a 3.10 co_linetable ((byte delta, signed line delta) pairs, -128 = no line).
 * Same contract as cpy_linetable_decode.
 * A -128 range has line -1 and leaves the running line unchanged; an empty
 * range is not emitted but its line delta counts; an odd byte delta is
 * malformed; an odd final byte is dropped. Nothing covers the units past the
 * table (CPython reports no line there). */
int cpy_linetable310_decode(const uint8_t *tab, size_t len, int32_t firstlineno, struct cpy_line_range **out,
			    size_t *n);

/* The line for code unit `unit` in ranges from any decoder above, or
 * firstlineno when no range covers it (unit < 0, or past the last range) or
 * its range has no location (line < 0). Never fails. */
int32_t cpy_linetable_line(const struct cpy_line_range *r, size_t n, int64_t unit, int32_t firstlineno);

#endif

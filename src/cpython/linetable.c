/*
 * linetable.c - decoders for CPython's line-number tables, all producing
 * struct cpy_line_range in code units. Tables are untrusted: every read is
 * bounded by the length given, and a malformed entry ends the decoding.
 *
 * 3.11+ (Objects/locations.md): each entry starts with a byte 1CCCCLLL: C
 * the code, L+1 the number of code units covered. Codes 0-9 (short form) and
 * 10-12 (one-line form) carry a line delta of 0 and C-10; 13 (no column) and
 * 14 (long form) carry a signed varint delta; 15 means no location. Varints
 * hold 6 bits a byte, bit 6 set on all but the last.
 *
 * 3.10 (Objects/lnotab_notes.txt, codeobject.c advance()): pairs of an
 * unsigned byte delta and a signed line delta; -128 means "no line" for that
 * range and leaves the running line alone. Ranges start at offset 0.
 *
 * 3.6-3.9 co_lnotab (PyCode_Addr2Line): pairs of an unsigned byte increment
 * and a signed line increment; the line applies from the address reached so
 * far, and the last line runs on to the end of the code.
 */
#include "cpython/linetable.h"

#include "util/buf.h"

#include <errno.h>
#include <stdlib.h>

/* The ranges being built: appended in order, adjacent equal lines merged. */
struct lt_ranges {
	struct cpy_line_range *v; /* owned until handed to the caller */
	size_t cap;
	size_t cnt;
};

/* Append units [start, end) with line (-1: none). Empty ranges are skipped.
 * Returns 0, -E2BIG when a bound is reached (the caller stops and keeps what
 * it has), or -ENOMEM (the array is freed and emptied). */
static int lt_push(struct lt_ranges *o, uint64_t start, uint64_t end, int64_t line)
{
	struct cpy_line_range *last = o->cnt ? &o->v[o->cnt - 1] : NULL;
	int rc;

	if (end <= start)
		return 0;
	if (end > UINT32_MAX || line < -(int64_t)INT32_MAX || line > INT32_MAX)
		return -E2BIG;
	if (line < 0)
		line = -1;
	if (last && last->end == start && last->line == line) {
		last->end = (uint32_t)end;
		return 0;
	}
	rc = pyro_array_grow((void **)&o->v, &o->cap, o->cnt + 1, sizeof(*o->v), CPY_LINETABLE_MAX_RANGES);
	if (rc == -ENOMEM) {
		free(o->v);
		*o = (struct lt_ranges){ 0 };
	}
	if (rc < 0)
		return rc;
	o->v[o->cnt].start = (uint32_t)start;
	o->v[o->cnt].end = (uint32_t)end;
	o->v[o->cnt].line = (int32_t)line;
	o->cnt++;
	return 0;
}

/* Hand the ranges to the caller. */
static int lt_finish(struct lt_ranges *o, int rc, struct cpy_line_range **out, size_t *n)
{
	if (rc == -ENOMEM)
		return rc;
	*out = o->v;
	*n = o->cnt;
	return 0;
}

/* A table byte read as a signed byte (CPython's (signed char) cast). */
static int lt_s8(uint8_t b)
{
	return b < 128 ? (int)b : (int)b - 256;
}

/* Whether line + delta stays within +-INT32_MAX; if so, adds it. */
static int lt_add_line(int64_t *line, int64_t delta)
{
	if (delta < -(int64_t)INT32_MAX || delta > INT32_MAX)
		return 0; /* no real table moves this far; also keeps the sum defined */
	if (*line + delta < -(int64_t)INT32_MAX || *line + delta > INT32_MAX)
		return 0;
	*line += delta;
	return 1;
}

struct lt_reader {
	const uint8_t *p;
	size_t len;
	size_t off;
};

static int lt_varint(struct lt_reader *r, uint64_t *v)
{
	uint64_t val = 0;
	unsigned shift = 0;

	for (;;) {
		uint8_t b;

		if (r->off >= r->len || shift > 60)
			return -1;
		b = r->p[r->off++];
		val |= (uint64_t)(b & 63) << shift;
		shift += 6;
		if (!(b & 64))
			break;
	}
	*v = val;
	return 0;
}

static int lt_svarint(struct lt_reader *r, int64_t *v)
{
	uint64_t u;

	if (lt_varint(r, &u) < 0)
		return -1;
	*v = (u & 1) ? -(int64_t)(u >> 1) : (int64_t)(u >> 1);
	return 0;
}

int cpy_linetable_decode(const uint8_t *tab, size_t len, int32_t firstlineno, struct cpy_line_range **out,
			 size_t *n)
{
	struct lt_reader r = { tab, len > CPY_LINETABLE_MAX_BYTES ? CPY_LINETABLE_MAX_BYTES : len, 0 };
	struct lt_ranges o = { 0 };
	int64_t line = firstlineno;
	uint64_t unit = 0;
	int rc = 0;

	*out = NULL;
	*n = 0;
	while (r.off < r.len) {
		uint8_t first = r.p[r.off++];
		unsigned code = (first >> 3) & 15;
		unsigned units = (first & 7) + 1;
		int64_t delta = 0;
		int has_line = 1;

		if (!(first & 0x80))
			break; /* not an entry start: malformed */
		if (code == 15) {
			has_line = 0;
		} else if (code == 14 || code == 13) {
			if (lt_svarint(&r, &delta) < 0)
				break;
		} else if (code >= 10) {
			delta = (int64_t)code - 10;
		}
		/* Skip the rest of the entry (columns): up to the next start byte. */
		while (r.off < r.len && !(r.p[r.off] & 0x80))
			r.off++;
		if (!lt_add_line(&line, delta))
			break;
		if ((rc = lt_push(&o, unit, unit + units, has_line ? line : -1)) < 0)
			break;
		unit += units;
	}
	return lt_finish(&o, rc, out, n);
}

int cpy_lnotab_decode(const uint8_t *tab, size_t len, int32_t firstlineno, struct cpy_line_range **out, size_t *n)
{
	/* CPython reads len / 2 whole pairs: an odd last byte is not part of the table. */
	size_t end = (len > CPY_LINETABLE_MAX_BYTES ? CPY_LINETABLE_MAX_BYTES : len) & ~(size_t)1;
	struct lt_ranges o = { 0 };
	uint64_t start = 0, addr = 0; /* bytes: where the current line began, and how far we are */
	int64_t line = firstlineno;
	int whole = len <= CPY_LINETABLE_MAX_BYTES;
	size_t off;
	int rc = 0;

	*out = NULL;
	*n = 0;
	for (off = 0; off < end; off += 2) {
		int dline = lt_s8(tab[off + 1]);

		addr += tab[off];
		if (dline == 0)
			continue; /* a 255-byte step of a long gap: may end at an odd offset */
		if (addr & 1) {
			whole = 0; /* a line change inside an instruction: malformed */
			break;
		}
		if ((rc = lt_push(&o, start / 2, addr / 2, line)) < 0 || !lt_add_line(&line, dline)) {
			whole = 0;
			break;
		}
		start = addr;
	}
	if (whole)
		rc = lt_push(&o, start / 2, UINT32_MAX, line);
	return lt_finish(&o, rc, out, n);
}

int cpy_linetable310_decode(const uint8_t *tab, size_t len, int32_t firstlineno, struct cpy_line_range **out,
			    size_t *n)
{
	/* An odd last byte is half a pair: truncated, dropped. */
	size_t end = (len > CPY_LINETABLE_MAX_BYTES ? CPY_LINETABLE_MAX_BYTES : len) & ~(size_t)1;
	struct lt_ranges o = { 0 };
	int64_t line = firstlineno; /* CPython's computed_line */
	uint64_t addr = 0;          /* bytes */
	size_t off;
	int rc = 0;

	*out = NULL;
	*n = 0;
	for (off = 0; off < end; off += 2) {
		uint8_t dbytes = tab[off];
		int dline = lt_s8(tab[off + 1]);

		if (dbytes & 1)
			break; /* CPython steps by at most 254: never inside an instruction */
		if (dline != -128 && !lt_add_line(&line, dline))
			break;
		if ((rc = lt_push(&o, addr / 2, (addr + dbytes) / 2, dline == -128 ? -1 : line)) < 0)
			break;
		addr += dbytes;
	}
	return lt_finish(&o, rc, out, n);
}

int32_t cpy_linetable_line(const struct cpy_line_range *r, size_t n, int64_t unit, int32_t firstlineno)
{
	size_t lo = 0, hi = n;

	if (unit < 0)
		return firstlineno;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if ((uint64_t)unit < r[mid].start)
			hi = mid;
		else if ((uint64_t)unit >= r[mid].end)
			lo = mid + 1;
		else
			return r[mid].line >= 0 ? r[mid].line : firstlineno;
	}
	return firstlineno;
}

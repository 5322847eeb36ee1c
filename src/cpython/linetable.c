/*
 * linetable.c - decoder for the 3.11+ location table format
 * (Objects/locations.md in CPython's source).
 *
 * Each entry starts with a byte 1CCCCLLL: C the code, L+1 the number of code
 * units covered. Codes 0-9 (short form) and 10-12 (one-line form) carry a
 * line delta of 0 and C-10; 13 (no column) and 14 (long form) carry a signed
 * varint delta; 15 means no location. Varints hold 6 bits a byte, bit 6 set
 * on all but the last.
 */
#include "cpython/linetable.h"

#include <errno.h>
#include <stdlib.h>

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
	struct cpy_line_range *v = NULL;
	size_t cap = 0, cnt = 0;
	int64_t line = firstlineno;
	uint64_t unit = 0;

	*out = NULL;
	*n = 0;
	while (r.off < r.len && cnt < CPY_LINETABLE_MAX_RANGES) {
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
		if (delta < -(int64_t)INT32_MAX || delta > INT32_MAX)
			break; /* no real table moves this far; also keeps the sum defined */
		line += delta;
		if (line < -(int64_t)INT32_MAX || line > INT32_MAX)
			break;
		if (unit + units > UINT32_MAX)
			break;
		if (cnt == cap) {
			size_t ncap = cap ? cap * 2 : 32;
			struct cpy_line_range *nv = realloc(v, ncap * sizeof(*nv));

			if (!nv) {
				free(v);
				return -ENOMEM;
			}
			v = nv;
			cap = ncap;
		}
		v[cnt].start = (uint32_t)unit;
		v[cnt].end = (uint32_t)(unit + units);
		v[cnt].line = has_line ? (int32_t)line : -1;
		cnt++;
		unit += units;
	}
	*out = v;
	*n = cnt;
	return 0;
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

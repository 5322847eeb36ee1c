/* libFuzzer target: every line-table decoder (3.6-3.9 co_lnotab, 3.10 and
 * 3.11+ co_linetable) on the same input, the invariants of their ranges,
 * and the line lookup. */
#include "cpython/linetable.h"

#include <stdlib.h>

typedef int (*decode_fn)(const uint8_t *, size_t, int32_t, struct cpy_line_range **, size_t *);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const decode_fn fns[] = { cpy_lnotab_decode, cpy_linetable310_decode, cpy_linetable_decode };
	size_t f;

	for (f = 0; f < sizeof(fns) / sizeof(fns[0]); f++) {
		struct cpy_line_range *r;
		size_t n, i, u;

		if (fns[f](data, size, 1, &r, &n) < 0)
			continue;
		if (n > CPY_LINETABLE_MAX_RANGES)
			abort();
		/* Sorted, disjoint, never empty: the lookup's binary search needs it. */
		for (i = 0; i < n; i++)
			if (r[i].start >= r[i].end || (i && r[i - 1].end > r[i].start))
				abort();
		for (u = 0; u < 64; u++)
			cpy_linetable_line(r, n, (int64_t)u - 1, 1);
		cpy_linetable_line(r, n, UINT32_MAX, 1);
		free(r);
	}
	return 0;
}

/* libFuzzer target: the 3.11+ location-table decoder and line lookup. */
#include "cpython/linetable.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cpy_line_range *r;
	size_t n, u;

	if (cpy_linetable_decode(data, size, 1, &r, &n) < 0)
		return 0;
	for (u = 0; u < 64; u++)
		cpy_linetable_line(r, n, (int64_t)u - 1, 1);
	free(r);
	return 0;
}

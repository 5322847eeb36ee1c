/* libFuzzer target: the /proc/PID/maps parser. */
#include "proc/maps.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proc_maps m;

	if (proc_maps_parse((const char *)data, size, &m) == 0)
		proc_maps_release(&m);
	return 0;
}

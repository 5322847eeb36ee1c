/* libFuzzer target: the /proc/PID/task/TID/children parser. */
#include "proc/task.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pid_t *kids = NULL;
	size_t n = 0, cap = 0, i;
	char buf[4096];

	/* The reader hands the parser a NUL-terminated copy, as here. */
	if (size >= sizeof(buf))
		size = sizeof(buf) - 1;
	memcpy(buf, data, size);
	buf[size] = '\0';
	if (proc_children_parse(buf, &kids, &n, &cap) == 0)
		for (i = 0; i < n; i++)
			if (kids[i] <= 0)
				abort(); /* only positive pids come out */
	free(kids);
	return 0;
}

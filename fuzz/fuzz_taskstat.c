/* libFuzzer target: the /proc/PID/task/TID/stat parser. */
#include "proc/task.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proc_task_stat st;
	char buf[1024];

	/* The reader hands the parser a NUL-terminated copy, as here. */
	if (size >= sizeof(buf))
		size = sizeof(buf) - 1;
	memcpy(buf, data, size);
	buf[size] = '\0';
	proc_task_stat_parse(buf, size, &st);
	return 0;
}

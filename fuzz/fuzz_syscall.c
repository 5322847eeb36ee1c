/* libFuzzer target: the /proc/PID/task/TID/syscall parser. */
#include "proc/task.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t arg0;
	char buf[256];
	long nr;

	/* The reader hands the parser a NUL-terminated copy, as here. */
	if (size >= sizeof(buf))
		size = sizeof(buf) - 1;
	memcpy(buf, data, size);
	buf[size] = '\0';
	proc_task_syscall_parse(buf, &nr, &arg0);
	return 0;
}

/* libFuzzer target: the sys.version text read from a target's memory. */
#include "cpython/target.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1); /* NUL-terminated, as attach.c reads it */

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	cpy_version_from_text(text);
	free(text);
	return 0;
}

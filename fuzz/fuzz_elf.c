/* libFuzzer target: the ELF reader (header, sections, symbol tables). */
#include "proc/elf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct elf_file e;
	uint64_t v, s, vals[4], sizes[4];

	if (elf_parse(&e, data, size) < 0)
		return 0;
	elf_find_symbol(&e, "_PyRuntime", &v, &s);
	elf_find_section(&e, ".PyRuntime", &v, &s);
	elf_find_symbols(&e, "version", vals, sizes, 4); /* name and name.<digits> */
	return 0;
}

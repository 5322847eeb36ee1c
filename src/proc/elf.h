/*
 * elf.h - symbols, sections and load segments of an ELF64 file.
 *
 * The file is mapped read-only and treated as untrusted: every offset, size
 * and string index is checked against the mapping. elf_parse() works on any
 * buffer, so the parser can be unit-tested and fuzzed without files.
 */
#ifndef PYRO_PROC_ELF_H
#define PYRO_PROC_ELF_H

#include <stddef.h>
#include <stdint.h>

struct elf_file {
	const uint8_t *data; /* borrowed from the caller, or owned mapping when mapped */
	size_t size;
	int mapped;
	uint16_t machine;
	uint64_t load_vaddr;  /* p_vaddr - p_offset of the PT_LOAD at file offset 0 */
	int has_load;
};

/* Check the header of a buffer the caller keeps alive. Returns 0 or negative
 * with a message ("not an ELF file", "32-bit ELF is not supported", ...). */
int elf_parse(struct elf_file *e, const void *data, size_t size);
/* Map and parse a file. */
int elf_open(struct elf_file *e, const char *path);
void elf_release(struct elf_file *e);

/* Find a symbol by exact name in .dynsym, then .symtab. Returns 1 found,
 * 0 absent. value is the link-time address (add the load bias). */
int elf_find_symbol(const struct elf_file *e, const char *name, uint64_t *value, uint64_t *size);
/* Find every defined symbol named `name` or, as GCC names function-local
 * statics, `name.<digits>` (".symtab" only holds those). Stores up to max
 * values and sizes; returns how many were found (may exceed max). */
size_t elf_find_symbols(const struct elf_file *e, const char *name, uint64_t *values, uint64_t *sizes, size_t max);
/* Find a section by name. Returns 1 found, 0 absent. */
int elf_find_section(const struct elf_file *e, const char *name, uint64_t *addr, uint64_t *size);

#endif

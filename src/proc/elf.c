/*
 * elf.c - a bounds-checked ELF64 reader, little-endian hosts only.
 *
 * Reads through the section headers (symbols need them; stripped files keep
 * .dynsym, which is what Python exports). Nothing here trusts a count or an
 * offset before checking it against the buffer.
 */
#include "proc/elf.h"
#include "util/err.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>


static int in_bounds(const struct elf_file *e, uint64_t off, uint64_t len)
{
	return off <= e->size && len <= e->size - off;
}

static int get_shdr(const struct elf_file *e, size_t i, Elf64_Shdr *sh)
{
	Elf64_Ehdr eh;
	uint64_t off;

	memcpy(&eh, e->data, sizeof(eh));
	if (i >= eh.e_shnum)
		return -1;
	off = eh.e_shoff + (uint64_t)i * sizeof(Elf64_Shdr);
	if (!in_bounds(e, off, sizeof(*sh)))
		return -1;
	memcpy(sh, e->data + off, sizeof(*sh));
	return 0;
}

/* A NUL-terminated string at strtab section + idx, or NULL. */
static const char *get_str(const struct elf_file *e, const Elf64_Shdr *strtab, uint64_t idx)
{
	const char *s;

	if (strtab->sh_type != SHT_STRTAB || !in_bounds(e, strtab->sh_offset, strtab->sh_size))
		return NULL;
	if (idx >= strtab->sh_size)
		return NULL;
	s = (const char *)e->data + strtab->sh_offset + idx;
	if (!memchr(s, '\0', strtab->sh_size - idx))
		return NULL;
	return s;
}

int elf_parse(struct elf_file *e, const void *data, size_t size)
{
	Elf64_Ehdr eh;
	size_t i;

	memset(e, 0, sizeof(*e));
	e->data = data;
	e->size = size;
	if (size < EI_NIDENT || memcmp(data, ELFMAG, SELFMAG) != 0)
		return pyro_err_set(ENOEXEC, "not an ELF file");
	if (e->data[EI_CLASS] != ELFCLASS64)
		return pyro_err_set(ENOEXEC, "32-bit ELF is not supported");
	if (e->data[EI_DATA] != ELFDATA2LSB)
		return pyro_err_set(ENOEXEC, "big-endian ELF is not supported");
	if (size < sizeof(eh))
		return pyro_err_set(ENOEXEC, "truncated ELF header");
	memcpy(&eh, data, sizeof(eh));
	e->machine = eh.e_machine;
	if ((eh.e_shnum && eh.e_shentsize != sizeof(Elf64_Shdr)))
		return pyro_err_set(ENOEXEC, "bad ELF section header table");
	if (eh.e_phentsize == sizeof(Elf64_Phdr)) {
		for (i = 0; i < eh.e_phnum; i++) {
			uint64_t off = eh.e_phoff + (uint64_t)i * sizeof(Elf64_Phdr);
			Elf64_Phdr ph;

			if (!in_bounds(e, off, sizeof(ph)))
				break;
			memcpy(&ph, e->data + off, sizeof(ph));
			if (ph.p_type == PT_LOAD && ph.p_offset == 0) {
				e->load_vaddr = ph.p_vaddr;
				e->has_load = 1;
				break;
			}
		}
	}
	return 0;
}

int elf_open(struct elf_file *e, const char *path)
{
	struct stat st;
	void *p;
	int fd, rc;

	memset(e, 0, sizeof(*e));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return pyro_err_set(errno, "cannot open %s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || st.st_size <= 0) {
		close(fd);
		return pyro_err_set(ENOEXEC, "cannot use %s: empty or unreadable", path);
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return pyro_err_set(errno, "cannot map %s: %s", path, strerror(errno));
	rc = elf_parse(e, p, (size_t)st.st_size);
	if (rc < 0) {
		munmap(p, (size_t)st.st_size);
		memset(e, 0, sizeof(*e));
		return pyro_err_prefix(rc, "%s", path);
	}
	e->mapped = 1;
	return 0;
}

void elf_release(struct elf_file *e)
{
	if (e->mapped && e->data)
		munmap((void *)e->data, e->size);
	memset(e, 0, sizeof(*e));
}

/* name, or name.<digits> when `local_suffix` is set. */
static int symbol_matches(const char *s, const char *name, size_t name_len, int local_suffix)
{
	if (strncmp(s, name, name_len) != 0)
		return 0;
	if (s[name_len] == '\0')
		return 1;
	if (!local_suffix || s[name_len] != '.' || !s[name_len + 1])
		return 0;
	for (s += name_len + 1; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

/* Visit symbols of `type` sections matching name; stores up to max. Returns
 * the number of matches, stopping at the first when max is 1 and
 * local_suffix is 0. */
static size_t scan_symtab(const struct elf_file *e, uint32_t type, const char *name, int local_suffix,
			  uint64_t *values, uint64_t *sizes, size_t max)
{
	size_t name_len = strlen(name), found = 0;
	Elf64_Ehdr eh;
	size_t i;

	memcpy(&eh, e->data, sizeof(eh));
	for (i = 0; i < eh.e_shnum; i++) {
		Elf64_Shdr sh, strtab;
		uint64_t j, n;

		if (get_shdr(e, i, &sh) < 0 || sh.sh_type != type)
			continue;
		if (sh.sh_entsize != sizeof(Elf64_Sym) || !in_bounds(e, sh.sh_offset, sh.sh_size))
			continue;
		if (get_shdr(e, sh.sh_link, &strtab) < 0)
			continue;
		n = sh.sh_size / sizeof(Elf64_Sym);
		for (j = 0; j < n; j++) {
			Elf64_Sym sym;
			const char *s;

			memcpy(&sym, e->data + sh.sh_offset + j * sizeof(Elf64_Sym), sizeof(sym));
			if (sym.st_shndx == SHN_UNDEF || sym.st_name == 0)
				continue;
			s = get_str(e, &strtab, sym.st_name);
			if (!s || !symbol_matches(s, name, name_len, local_suffix))
				continue;
			if (found < max) {
				values[found] = sym.st_value;
				if (sizes)
					sizes[found] = sym.st_size;
			}
			found++;
			if (!local_suffix && found >= max)
				return found;
		}
	}
	return found;
}

size_t elf_find_symbols(const struct elf_file *e, const char *name, uint64_t *values, uint64_t *sizes, size_t max)
{
	if (!e->data || e->size < sizeof(Elf64_Ehdr))
		return 0;
	return scan_symtab(e, SHT_SYMTAB, name, 1, values, sizes, max);
}

static int find_in_symtab(const struct elf_file *e, uint32_t type, const char *name, uint64_t *value,
			  uint64_t *size)
{
	return scan_symtab(e, type, name, 0, value, size, 1) > 0;
}

int elf_find_symbol(const struct elf_file *e, const char *name, uint64_t *value, uint64_t *size)
{
	if (!e->data || e->size < sizeof(Elf64_Ehdr))
		return 0;
	return find_in_symtab(e, SHT_DYNSYM, name, value, size) ||
	       find_in_symtab(e, SHT_SYMTAB, name, value, size);
}

int elf_find_section(const struct elf_file *e, const char *name, uint64_t *addr, uint64_t *size)
{
	Elf64_Ehdr eh;
	Elf64_Shdr names;
	size_t i;

	if (!e->data || e->size < sizeof(Elf64_Ehdr))
		return 0;
	memcpy(&eh, e->data, sizeof(eh));
	if (get_shdr(e, eh.e_shstrndx, &names) < 0)
		return 0;
	for (i = 0; i < eh.e_shnum; i++) {
		Elf64_Shdr sh;
		const char *s;

		if (get_shdr(e, i, &sh) < 0)
			continue;
		s = get_str(e, &names, sh.sh_name);
		if (s && strcmp(s, name) == 0) {
			*addr = sh.sh_addr;
			if (size)
				*size = sh.sh_size;
			return 1;
		}
	}
	return 0;
}

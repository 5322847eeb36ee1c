/* Unit tests for the ELF reader. */
#include "check.h"
#include "proc/elf.h"
#include "util/err.h"

int pyro_test_marker_symbol = 42;

TEST(finds_symbol_in_own_binary)
{
	struct elf_file e;
	uint64_t value = 0, size = 0;

	ASSERT_EQ(elf_open(&e, "/proc/self/exe"), 0);
	ASSERT_EQ(elf_find_symbol(&e, "pyro_test_marker_symbol", &value, &size), 1);
	ASSERT_EQ(size, sizeof(int));
	ASSERT_TRUE(value != 0);
	ASSERT_EQ(elf_find_symbol(&e, "no_such_symbol_anywhere", &value, &size), 0);
	ASSERT_TRUE(e.has_load);
	elf_release(&e);
}

TEST(symbol_value_plus_bias_is_the_live_address)
{
	struct elf_file e;
	uint64_t value = 0;
	FILE *f = fopen("/proc/self/maps", "r");
	char line[4096], exe[4096];
	unsigned long long start = 0, off = 0;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	exe[n] = '\0';
	while (fgets(line, sizeof(line), f))
		if (strstr(line, exe) && sscanf(line, "%llx-%*x %*s %llx", &start, &off) == 2 && off == 0)
			break;
	fclose(f);
	ASSERT_EQ(elf_open(&e, "/proc/self/exe"), 0);
	ASSERT_EQ(elf_find_symbol(&e, "pyro_test_marker_symbol", &value, NULL), 1);
	ASSERT_EQ(start - e.load_vaddr + value, (uintptr_t)&pyro_test_marker_symbol);
	elf_release(&e);
}

TEST(finds_sections)
{
	struct elf_file e;
	uint64_t addr = 0, size = 0;

	ASSERT_EQ(elf_open(&e, "/proc/self/exe"), 0);
	ASSERT_EQ(elf_find_section(&e, ".text", &addr, &size), 1);
	ASSERT_TRUE(size > 0);
	ASSERT_EQ(elf_find_section(&e, ".no_such_section", &addr, &size), 0);
	elf_release(&e);
}

TEST(rejects_garbage_and_truncation)
{
	struct elf_file e;
	uint8_t buf[64] = { 0x7f, 'E', 'L', 'F', 2, 1 };
	uint64_t v;

	ASSERT_TRUE(elf_parse(&e, "hello", 5) < 0);
	ASSERT_CONTAINS(pyro_err_msg(), "not an ELF");
	ASSERT_TRUE(elf_parse(&e, buf, 20) < 0);
	buf[4] = 1;
	ASSERT_TRUE(elf_parse(&e, buf, sizeof(buf)) < 0);
	ASSERT_CONTAINS(pyro_err_msg(), "32-bit");
	buf[4] = 2;
	/* A header claiming sections far past the buffer: parse is fine,
	 * lookups find nothing and read nothing out of bounds. */
	memset(buf + 16, 0xff, 48);
	buf[58] = 64; /* e_shentsize = sizeof(Elf64_Shdr) */
	buf[59] = 0;
	if (elf_parse(&e, buf, sizeof(buf)) == 0) {
		ASSERT_EQ(elf_find_symbol(&e, "x", &v, NULL), 0);
		ASSERT_EQ(elf_find_section(&e, ".text", &v, NULL), 0);
	}
}

CHECK_MAIN()

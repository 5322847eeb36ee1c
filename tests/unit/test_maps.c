/* Unit tests for the /proc/PID/maps parser. */
#include "check.h"
#include "proc/maps.h"
#include "util/err.h"

TEST(parses_lines_with_paths_and_spaces)
{
	const char *text =
	    "55d0c0000000-55d0c0001000 r--p 00000000 08:01 1234                       /usr/bin/python3.11\n"
	    "7f0000000000-7f0000021000 r-xp 00021000 fd:00 98765  /opt/my dir/libpython3.12.so.1.0 (deleted)\n"
	    "7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0                          [stack]\n"
	    "7ffd10000000-7ffd10001000 rw-p 00000000 00:00 0\n";
	struct proc_maps m;

	ASSERT_EQ(proc_maps_parse(text, strlen(text), &m), 0);
	ASSERT_EQ(m.n, 4);
	ASSERT_EQ(m.v[0].start, 0x55d0c0000000ULL);
	ASSERT_EQ(m.v[0].end, 0x55d0c0001000ULL);
	ASSERT_STR_EQ(m.v[0].perms, "r--p");
	ASSERT_STR_EQ(m.v[0].path, "/usr/bin/python3.11");
	ASSERT_EQ(m.v[1].offset, 0x21000);
	ASSERT_STR_EQ(m.v[1].path, "/opt/my dir/libpython3.12.so.1.0 (deleted)");
	ASSERT_STR_EQ(m.v[2].path, "[stack]");
	ASSERT_STR_EQ(m.v[3].path, "");
	proc_maps_release(&m);
}

TEST(rejects_malformed_line_with_its_number)
{
	const char *text = "1000-2000 r--p 00000000 08:01 1 /a\nzzzz-2000 r--p 0 0 0 /b\n";
	struct proc_maps m;

	ASSERT_TRUE(proc_maps_parse(text, strlen(text), &m) < 0);
	ASSERT_CONTAINS(pyro_err_msg(), "line 2");
	ASSERT_EQ(m.n, 0);
}

TEST(rejects_end_before_start)
{
	const char *text = "2000-1000 r--p 00000000 08:01 1 /a\n";
	struct proc_maps m;

	ASSERT_TRUE(proc_maps_parse(text, strlen(text), &m) < 0);
}

TEST(reads_own_maps_and_finds_lowest_mapping)
{
	struct proc_maps m;
	const struct proc_map *first;
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	ASSERT_TRUE(n > 0);
	exe[n] = '\0';
	ASSERT_EQ(proc_maps_read(getpid(), &m), 0);
	first = proc_maps_first_of(&m, exe);
	ASSERT_TRUE(first != NULL);
	ASSERT_EQ(first->offset, 0);
	proc_maps_release(&m);
}

CHECK_MAIN()

/* Unit tests for reading a CPython version from sys.version text. */
#include "check.h"
#include "cpython/target.h"

TEST(release_versions)
{
	ASSERT_EQ(cpy_version_from_text("3.8.18 (default, Nov 22 2026, 10:00:00) \n[GCC 12.2.0]"), 0x030812f0);
	ASSERT_EQ(cpy_version_from_text("3.6.15 (default"), 0x03060ff0);
	ASSERT_EQ(cpy_version_from_text("3.10.13"), 0x030a0df0);
}

TEST(pre_releases_and_local_builds)
{
	ASSERT_EQ(cpy_version_from_text("3.13.0rc2 (main, ...)"), 0x030d00c2);
	ASSERT_EQ(cpy_version_from_text("3.12.0a7 (main"), 0x030c00a7);
	ASSERT_EQ(cpy_version_from_text("3.11.0b1+ (heads/3.11"), 0x030b00b1);
	ASSERT_EQ(cpy_version_from_text("3.9.18+ (default"), 0x030912f0);
}

TEST(not_a_version)
{
	ASSERT_EQ(cpy_version_from_text(""), 0);
	ASSERT_EQ(cpy_version_from_text("2.7.18 (default"), 0);
	ASSERT_EQ(cpy_version_from_text("3.x"), 0);
	ASSERT_EQ(cpy_version_from_text("3.8.18x"), 0);
	ASSERT_EQ(cpy_version_from_text("3.8.100 (default"), 0);
	ASSERT_EQ(cpy_version_from_text("3.8.1rc (default"), 0);
	ASSERT_EQ(cpy_version_from_text("3.8.1rc99 (default"), 0);
	ASSERT_EQ(cpy_version_from_text("usage: python"), 0);
}

CHECK_MAIN()

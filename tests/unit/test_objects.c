/* Unit tests for the value formatting of cpython/objects.c: str and bytes
 * escaping and truncation, long ints, floats. */
#include "check.h"
#include "cpython/objects.h"
#include "util/utf8.h"

#include <math.h>

static char out[CPY_VALUE_BUF];

static void fmt1(const char *s, size_t total, unsigned flags, size_t max)
{
	cpy_format_chars(out, sizeof(out), (const uint8_t *)s, strlen(s), 1, total, flags, max);
}

/* The number of UTF-8 characters in s. */
static size_t chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

TEST(short_str_is_its_repr)
{
	fmt1("hello", 5, CPY_FMT_QUOTE, 80);
	ASSERT_STR_EQ(out, "'hello'");
	fmt1("it's a\\b", 8, CPY_FMT_QUOTE, 80);
	ASSERT_STR_EQ(out, "'it\\'s a\\\\b'");
	fmt1("", 0, CPY_FMT_QUOTE, 80);
	ASSERT_STR_EQ(out, "''");
}

TEST(control_characters_are_escaped)
{
	fmt1("a\nb\tc\x07\x1b[31m\x7f", 12, CPY_FMT_QUOTE, 80);
	ASSERT_STR_EQ(out, "'a\\nb\\tc\\x07\\x1b[31m\\x7f'");
	/* Unquoted (names): the same escapes, no quotes. */
	fmt1("x\ry", 3, 0, 80);
	ASSERT_STR_EQ(out, "x\\ry");
}

TEST(wide_characters_become_utf8_and_bidi_is_escaped)
{
	const uint16_t two[] = { 'h', 0xe9, 0x2713, 0x202e, 0xd800, 0x85 };
	const uint32_t four[] = { 0x1f525, 'x', 0x110000 };

	cpy_format_chars(out, sizeof(out), (const uint8_t *)two, 6, 2, 6, CPY_FMT_QUOTE, 80);
	ASSERT_STR_EQ(out, "'h\xc3\xa9\xe2\x9c\x93\\u202e\\ud800\\x85'");
	cpy_format_chars(out, sizeof(out), (const uint8_t *)four, 3, 4, 3, CPY_FMT_QUOTE, 80);
	ASSERT_STR_EQ(out, "'\xf0\x9f\x94\xa5x\\U00110000'");
}

TEST(long_str_is_cut_with_its_length)
{
	char s[200];

	memset(s, 'x', sizeof(s) - 1);
	s[sizeof(s) - 1] = '\0';
	fmt1(s, 10000, CPY_FMT_QUOTE, 80);
	ASSERT_TRUE(strncmp(out, "'xxxxxxxxxx", 11) == 0);
	ASSERT_TRUE(strstr(out, "'... (10000 chars)") != NULL);
	ASSERT_EQ(chars(out), 80);
	/* Read whole but too long to show. */
	fmt1(s, 199, CPY_FMT_QUOTE, 30);
	ASSERT_TRUE(strstr(out, "'... (199 chars)") != NULL);
	ASSERT_EQ(chars(out), 30);
	/* Unquoted: just "...". */
	fmt1(s, 199, 0, 10);
	ASSERT_STR_EQ(out, "xxxxxxx...");
}

TEST(a_cut_never_splits_a_character_or_an_escape)
{
	uint16_t s[100];
	size_t i;

	for (i = 0; i < 100; i++)
		s[i] = i % 2 ? 0x4e2d : 0x01; /* a CJK character, then \x01 */
	for (i = 20; i < 40; i++) {
		cpy_format_chars(out, sizeof(out), (const uint8_t *)s, 100, 2, 100, CPY_FMT_QUOTE, i);
		ASSERT_TRUE(chars(out) <= i);
		ASSERT_TRUE(strstr(out, "'... (100 chars)") != NULL);
		/* Every escape is whole: the text before the suffix ends in one. */
		ASSERT_TRUE(strstr(out, "\\x0'") == NULL && strstr(out, "\\x'") == NULL && strstr(out, "\\'") == NULL);
	}
	/* A buffer too small for max_chars stops early but stays valid UTF-8. */
	{
		char small[12];

		cpy_format_chars(small, sizeof(small), (const uint8_t *)s, 100, 2, 100, CPY_FMT_QUOTE, 80);
		ASSERT_TRUE(strlen(small) < sizeof(small));
		ASSERT_EQ(pyro_utf8_sanitize(small, strlen(small)), 0);
	}
}

TEST(bytes_escape_high_bytes)
{
	const uint8_t b[] = { 0, 'a', 'b', 0xff, '\n', 0xe9 };

	cpy_format_chars(out, sizeof(out), b, sizeof(b), 1, sizeof(b), CPY_FMT_QUOTE | CPY_FMT_BYTES, 80);
	ASSERT_STR_EQ(out, "b'\\x00ab\\xff\\n\\xe9'");
	cpy_format_chars(out, sizeof(out), b, sizeof(b), 1, 5000, CPY_FMT_QUOTE | CPY_FMT_BYTES, 80);
	ASSERT_TRUE(strstr(out, "'... (5000 bytes)") != NULL);
}

TEST(long_ints)
{
	const uint32_t d64[] = { 0, 0, 16 };              /* 2**64 in 30-bit digits */
	const uint32_t one[] = { 1 };
	const uint32_t zero[] = { 0 };
	static uint32_t big[CPY_LONG_DIGITS_MAX + 1];
	size_t i;

	cpy_format_long(out, sizeof(out), d64, 3, 30, 0, 80);
	ASSERT_STR_EQ(out, "18446744073709551616");
	cpy_format_long(out, sizeof(out), d64, 3, 30, 1, 80);
	ASSERT_STR_EQ(out, "-18446744073709551616");
	cpy_format_long(out, sizeof(out), one, 1, 30, 1, 80);
	ASSERT_STR_EQ(out, "-1");
	cpy_format_long(out, sizeof(out), zero, 0, 30, 0, 80);
	ASSERT_STR_EQ(out, "0");
	/* 15-bit digits: 2**30 = 32768**2. */
	{
		const uint32_t d15[] = { 0, 0, 1 };

		cpy_format_long(out, sizeof(out), d15, 3, 15, 0, 80);
		ASSERT_STR_EQ(out, "1073741824");
	}
	/* 2**1170 - 1 (all 39 digits full): 353 decimal digits, too long. */
	for (i = 0; i < 39; i++)
		big[i] = (1u << 30) - 1;
	cpy_format_long(out, sizeof(out), big, 39, 30, 0, 80);
	/* str(2**1170 - 1), as Python prints it: 1603595861...7171047423 */
	ASSERT_STR_EQ(out, "<int 1603595861...7171047423, 353 digits>");
	ASSERT_TRUE(chars(out) <= 80);
	/* More digits than can be converted: only the size. */
	for (i = 0; i < CPY_LONG_DIGITS_MAX + 1; i++)
		big[i] = (1u << 30) - 1;
	cpy_format_long(out, sizeof(out), big, CPY_LONG_DIGITS_MAX + 1, 30, 1, 80);
	ASSERT_STR_EQ(out, "<negative int of 21030 bits>");
}

TEST(floats_read_back_like_python)
{
	static const struct {
		double v;
		const char *repr;
	} cases[] = {
		{ 2.5, "2.5" },       { 0.1, "0.1" },           { 1e16, "1e+16" },
		{ 1e15, "1000000000000000.0" },                 { 1e-300, "1e-300" },
		{ 0.0001, "0.0001" }, { 1.5e-05, "1.5e-05" },   { -0.0, "-0.0" },
		{ 123.456, "123.456" },                         { 1.0 / 3, "0.3333333333333333" },
		{ 5e-324, "5e-324" }, { 1.7976931348623157e308, "1.7976931348623157e+308" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cpy_format_float(out, sizeof(out), cases[i].v);
		ASSERT_STR_EQ(out, cases[i].repr);
	}
	cpy_format_float(out, sizeof(out), INFINITY);
	ASSERT_STR_EQ(out, "inf");
	cpy_format_float(out, sizeof(out), -INFINITY);
	ASSERT_STR_EQ(out, "-inf");
	cpy_format_float(out, sizeof(out), NAN);
	ASSERT_STR_EQ(out, "nan");
}

CHECK_MAIN()

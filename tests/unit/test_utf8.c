/* Unit tests for the UTF-8 sanitizer. */
#include "check.h"
#include "util/utf8.h"

static size_t san(char *s)
{
	return pyro_utf8_sanitize(s, strlen(s));
}

TEST(valid_text_is_untouched)
{
	char s[] = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\xa5 <module>";

	ASSERT_EQ(san(s), 0);
	ASSERT_STR_EQ(s, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\xa5 <module>");
}

TEST(invalid_bytes_become_question_marks)
{
	char lone[] = "a\xfa" "b";
	char overlong[] = "\xc0\xaf";
	char surrogate[] = "\xed\xa0\x80";
	char cut[] = "x\xe2\x82";
	char nul[4] = { 'a', 0, 'b', 0 };

	ASSERT_EQ(san(lone), 1);
	ASSERT_STR_EQ(lone, "a?b");
	ASSERT_EQ(san(overlong), 2);
	ASSERT_EQ(san(surrogate), 3);
	ASSERT_EQ(san(cut), 2);
	ASSERT_STR_EQ(cut, "x??");
	ASSERT_EQ(pyro_utf8_sanitize(nul, 3), 1);
	ASSERT_EQ(nul[1], '?');
}

/* Every length of encoding, checked by the validator itself. */
TEST(encode_round_trips_through_the_validator)
{
	static const uint32_t cps[] = { 0x41, 0x7f, 0x80, 0x7ff, 0x800, 0xfffd, 0x10000, 0x10ffff };
	static const size_t lens[] = { 1, 1, 2, 2, 3, 3, 4, 4 };
	size_t i;

	for (i = 0; i < sizeof(cps) / sizeof(cps[0]); i++) {
		char buf[8];
		size_t n = pyro_utf8_encode(cps[i], buf);

		ASSERT_EQ(n, lens[i]);
		buf[n] = '\0';
		ASSERT_EQ(pyro_utf8_sanitize(buf, n), 0);
	}
	{
		char e[4];

		ASSERT_EQ(pyro_utf8_encode(0xe9, e), 2);
		ASSERT_EQ((uint8_t)e[0], 0xc3);
		ASSERT_EQ((uint8_t)e[1], 0xa9);
	}
}

TEST(unit_at_reads_each_width)
{
	uint8_t one[] = { 1, 2, 3 };
	uint16_t two[] = { 0x1234, 0xfffe };
	uint32_t four[] = { 0x10ffff, 7 };

	ASSERT_EQ(pyro_unit_at(one, 2, 1), 3);
	ASSERT_EQ(pyro_unit_at((const uint8_t *)two, 1, 2), 0xfffe);
	ASSERT_EQ(pyro_unit_at((const uint8_t *)four, 0, 4), 0x10ffff);
}

CHECK_MAIN()

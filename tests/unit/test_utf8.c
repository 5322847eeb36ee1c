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

CHECK_MAIN()

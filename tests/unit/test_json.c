/* Unit tests for the JSON writer's strings and numbers. */
#include "check.h"
#include "util/json.h"

#include <stdlib.h>

/* What the writer prints for one call, as a NUL-terminated string. */
static char *capture_str(const char *s, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	pyro_json_strn(f, s, n);
	fclose(f);
	return buf;
}

TEST(plain_text_is_quoted_as_is)
{
	char *out = capture_str("caf\xc3\xa9 module.fn", 15);

	ASSERT_STR_EQ(out, "\"caf\xc3\xa9 module.fn\"");
	free(out);
}

TEST(json_specials_and_controls_are_escaped)
{
	char *out = capture_str("a\"b\\c\nd\te\x01\x7f", 11);

	ASSERT_STR_EQ(out, "\"a\\\"b\\\\c\\nd\\te\\u0001\\u007f\"");
	free(out);
}

TEST(markup_cannot_end_a_script_block)
{
	const char *s = "</script><img src=x onerror=alert(1)>&amp;";
	char *out = capture_str(s, strlen(s));

	ASSERT_TRUE(strchr(out, '<') == NULL);
	ASSERT_TRUE(strchr(out, '>') == NULL);
	ASSERT_TRUE(strchr(out, '&') == NULL);
	ASSERT_STR_EQ(out, "\"\\u003c/script\\u003e\\u003cimg src=x onerror=alert(1)\\u003e\\u0026amp;\"");
	free(out);
}

TEST(line_separators_and_nul_are_escaped)
{
	char *out = capture_str("a\xe2\x80\xa8" "b\xe2\x80\xa9" "c\0d", 11);

	ASSERT_STR_EQ(out, "\"a\\u2028b\\u2029c\\u0000d\"");
	free(out);
	/* A lone lead byte at the end is copied, not read past. */
	out = capture_str("x\xe2", 2);
	ASSERT_STR_EQ(out, "\"x\xe2\"");
	free(out);
}

TEST(numbers)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	pyro_json_u64(f, 0);
	fputc(' ', f);
	pyro_json_u64(f, UINT64_MAX);
	fputc(' ', f);
	pyro_json_i64(f, INT64_MIN);
	fputc(' ', f);
	pyro_json_double(f, 0.25, 6);
	fputc(' ', f);
	pyro_json_double(f, 1.0 / 0.0, 6);
	fputc(' ', f);
	pyro_json_double(f, -3.0, 6);
	fclose(f);
	ASSERT_STR_EQ(buf, "0 18446744073709551615 -9223372036854775808 0.25 0 -3");
	free(buf);
}

CHECK_MAIN()

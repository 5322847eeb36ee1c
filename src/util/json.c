/*
 * json.c - escaped JSON strings and fast integers (see json.h).
 */
#include "util/json.h"

#include <math.h>
#include <string.h>

void pyro_json_strn(FILE *out, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s, *end = p + n;

	putc_unlocked('"', out);
	for (; p < end; p++) {
		unsigned c = *p;

		if (c == '"' || c == '\\') {
			putc_unlocked('\\', out);
			putc_unlocked((int)c, out);
		} else if (c < 0x20 || c == '<' || c == '>' || c == '&' || c == 0x7f) {
			switch (c) {
			case '\n':
				fputs("\\n", out);
				break;
			case '\t':
				fputs("\\t", out);
				break;
			case '\r':
				fputs("\\r", out);
				break;
			default:
				fputs("\\u00", out);
				putc_unlocked(hex[c >> 4], out);
				putc_unlocked(hex[c & 15], out);
			}
		} else if (c == 0xe2 && end - p >= 3 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9)) {
			/* U+2028 and U+2029 end a line in older JavaScript. */
			fputs(p[2] == 0xa8 ? "\\u2028" : "\\u2029", out);
			p += 2;
		} else {
			putc_unlocked((int)c, out);
		}
	}
	putc_unlocked('"', out);
}

void pyro_json_str(FILE *out, const char *s)
{
	pyro_json_strn(out, s, strlen(s));
}

void pyro_json_u64(FILE *out, uint64_t v)
{
	char buf[24];
	int i = sizeof(buf);

	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	fwrite_unlocked(buf + i, 1, sizeof(buf) - (size_t)i, out);
}

void pyro_json_i64(FILE *out, int64_t v)
{
	if (v < 0) {
		putc_unlocked('-', out);
		pyro_json_u64(out, (uint64_t)0 - (uint64_t)v);
	} else {
		pyro_json_u64(out, (uint64_t)v);
	}
}

void pyro_json_double(FILE *out, double v, int digits)
{
	if (!isfinite(v))
		v = 0;
	if (v == floor(v) && fabs(v) < 1e15)
		pyro_json_i64(out, (int64_t)v);
	else
		fprintf(out, "%.*g", digits, v);
}

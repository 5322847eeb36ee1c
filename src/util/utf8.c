/*
 * utf8.c - UTF-8 validation by the Unicode standard's table 3-7.
 */
#include "util/utf8.h"

#include <stdint.h>
#include <string.h>

/* Length of the valid sequence at p (1-4), or 0 if invalid. */
static size_t valid_seq(const uint8_t *p, size_t left)
{
	uint8_t c = p[0];

	if (c >= 0x01 && c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return left >= 2 && (p[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		uint8_t lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;

		return left >= 3 && p[1] >= lo && p[1] <= hi && (p[2] & 0xc0) == 0x80 ? 3 : 0;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		uint8_t lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;

		return left >= 4 && p[1] >= lo && p[1] <= hi && (p[2] & 0xc0) == 0x80 && (p[3] & 0xc0) == 0x80 ? 4
															: 0;
	}
	return 0;
}

size_t pyro_utf8_sanitize(char *s, size_t n)
{
	uint8_t *p = (uint8_t *)s;
	size_t i = 0, bad = 0;

	while (i < n) {
		size_t k = valid_seq(p + i, n - i);

		if (k == 0) {
			p[i++] = '?';
			bad++;
		} else {
			i += k;
		}
	}
	return bad;
}

uint32_t pyro_unit_at(const uint8_t *data, size_t i, unsigned width)
{
	uint16_t v2;
	uint32_t v4;

	if (width == 2) {
		memcpy(&v2, data + i * 2, 2);
		return v2;
	}
	if (width == 4) {
		memcpy(&v4, data + i * 4, 4);
		return v4;
	}
	return data[i];
}

size_t pyro_utf8_encode(uint32_t c, char *out)
{
	if (c < 0x80) {
		out[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		out[0] = (char)(0xc0 | (c >> 6));
		out[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		out[0] = (char)(0xe0 | (c >> 12));
		out[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		out[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (c >> 18));
	out[1] = (char)(0x80 | ((c >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((c >> 6) & 0x3f));
	out[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

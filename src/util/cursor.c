/*
 * cursor.c - bounds-checked reads for cursor.h.
 */
#include "util/cursor.h"

#include <string.h>

void pyro_cursor_init(struct pyro_cursor *c, const void *p, size_t len, uint64_t base)
{
	memset(c, 0, sizeof(*c));
	c->p = p;
	c->len = len;
	c->base = base;
}

static int cursor_short(struct pyro_cursor *c, const char *what)
{
	if (!c->fail) {
		c->fail = what;
		c->fail_at = c->base + c->off;
		c->truncated = 1;
	}
	return -1;
}

int pyro_cursor_fail(struct pyro_cursor *c, const char *what)
{
	if (!c->fail) {
		c->fail = what;
		c->fail_at = c->base + c->off;
	}
	return -1;
}

size_t pyro_cursor_left(const struct pyro_cursor *c)
{
	return c->len - c->off;
}

int pyro_cursor_uvarint(struct pyro_cursor *c, uint64_t *v, const char *what)
{
	uint64_t r = 0;
	size_t i;

	if (c->fail)
		return -1;
	for (i = 0; i < 10; i++) {
		uint8_t byte;

		if (c->off + i >= c->len)
			return cursor_short(c, what);
		byte = c->p[c->off + i];
		if (i == 9 && byte > 1)
			return pyro_cursor_fail(c, what);
		r |= (uint64_t)(byte & 0x7f) << (7 * i);
		if (!(byte & 0x80)) {
			c->off += i + 1;
			*v = r;
			return 0;
		}
	}
	return pyro_cursor_fail(c, what);
}

int pyro_cursor_svarint(struct pyro_cursor *c, int64_t *v, const char *what)
{
	uint64_t u;

	if (pyro_cursor_uvarint(c, &u, what) < 0)
		return -1;
	*v = (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
	return 0;
}

int pyro_cursor_u8(struct pyro_cursor *c, uint8_t *v, const char *what)
{
	if (c->fail)
		return -1;
	if (c->off >= c->len)
		return cursor_short(c, what);
	*v = c->p[c->off++];
	return 0;
}

int pyro_cursor_bytes(struct pyro_cursor *c, const uint8_t **p, size_t n, const char *what)
{
	if (c->fail)
		return -1;
	if (n > c->len - c->off)
		return cursor_short(c, what);
	*p = c->p + c->off;
	c->off += n;
	return 0;
}

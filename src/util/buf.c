/*
 * buf.c - growable byte buffer and varint encoding.
 */
#include "util/buf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void pyro_buf_init(struct pyro_buf *b)
{
	memset(b, 0, sizeof(*b));
}

void pyro_buf_release(struct pyro_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

int pyro_buf_reserve(struct pyro_buf *b, size_t n)
{
	size_t want, cap;
	uint8_t *p;

	if (b->oom)
		return -ENOMEM;
	if (n > SIZE_MAX / 2 - b->len)
		goto fail;
	want = b->len + n;
	if (want <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < want)
		cap *= 2;
	p = realloc(b->data, cap);
	if (!p)
		goto fail;
	b->data = p;
	b->cap = cap;
	return 0;
fail:
	b->oom = 1;
	return -ENOMEM;
}

void pyro_buf_append(struct pyro_buf *b, const void *p, size_t n)
{
	if (n == 0 || pyro_buf_reserve(b, n) < 0)
		return;
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

void pyro_buf_putc(struct pyro_buf *b, uint8_t c)
{
	if (pyro_buf_reserve(b, 1) < 0)
		return;
	b->data[b->len++] = c;
}

void pyro_buf_printf(struct pyro_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || pyro_buf_reserve(b, (size_t)n + 1) < 0)
		return;
	va_start(ap, fmt);
	vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void pyro_buf_uvarint(struct pyro_buf *b, uint64_t v)
{
	uint8_t tmp[10];
	size_t n = 0;

	do {
		uint8_t byte = v & 0x7f;

		v >>= 7;
		tmp[n++] = byte | (v ? 0x80 : 0);
	} while (v);
	pyro_buf_append(b, tmp, n);
}

void pyro_buf_svarint(struct pyro_buf *b, int64_t v)
{
	pyro_buf_uvarint(b, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

void pyro_buf_lstring(struct pyro_buf *b, const char *s, size_t n)
{
	pyro_buf_uvarint(b, n);
	pyro_buf_append(b, s, n);
}

int pyro_array_grow(void **v, size_t *cap, size_t want, size_t elem, size_t max)
{
	size_t ncap;
	void *nv;

	if (want <= *cap)
		return 0;
	if (want > max || want > SIZE_MAX / 2 / elem)
		return -E2BIG;
	ncap = *cap ? *cap : 64;
	while (ncap < want)
		ncap *= 2;
	nv = realloc(*v, ncap * elem);
	if (!nv)
		return -ENOMEM;
	*v = nv;
	*cap = ncap;
	return 0;
}

/*
 * buf.h - a growable byte buffer.
 *
 * Appends never fail silently: on allocation failure the buffer is marked
 * failed (oom) and later appends are ignored, so a writer can check once at
 * the end instead of after every byte.
 */
#ifndef PYRO_UTIL_BUF_H
#define PYRO_UTIL_BUF_H

#include <stddef.h>
#include <stdint.h>

struct pyro_buf {
	uint8_t *data; /* owned */
	size_t len;
	size_t cap;
	int oom;
};

void pyro_buf_init(struct pyro_buf *b);
void pyro_buf_release(struct pyro_buf *b);
/* Make room for n more bytes; returns 0 or -ENOMEM (buffer unchanged). */
int pyro_buf_reserve(struct pyro_buf *b, size_t n);
void pyro_buf_append(struct pyro_buf *b, const void *p, size_t n);
void pyro_buf_putc(struct pyro_buf *b, uint8_t c);
void pyro_buf_printf(struct pyro_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Grow a malloc'd array *v (capacity *cap elements of elem bytes) to hold
 * at least want elements, doubling. Returns 0, -E2BIG past max elements, or
 * -ENOMEM; *v and *cap are unchanged on failure. */
int pyro_array_grow(void **v, size_t *cap, size_t want, size_t elem, size_t max);

/* Unsigned LEB128. */
void pyro_buf_uvarint(struct pyro_buf *b, uint64_t v);
/* Zigzag-encoded signed LEB128. */
void pyro_buf_svarint(struct pyro_buf *b, int64_t v);
/* Length (uvarint) then bytes. */
void pyro_buf_lstring(struct pyro_buf *b, const char *s, size_t n);

#endif

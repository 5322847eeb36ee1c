/*
 * outbuf.h - output staged in a fixed buffer and written with one fwrite
 * per 64 KiB: for renderers that write millions of small pieces (sample
 * stacks as integers, trace events), where one stdio call per piece is the
 * slowest part of the render.
 */
#ifndef PYRO_UTIL_OUTBUF_H
#define PYRO_UTIL_OUTBUF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define PYRO_OUTBUF_SIZE (1u << 16)

struct pyro_outbuf {
	FILE *out;      /* borrowed */
	char *b;        /* owned, PYRO_OUTBUF_SIZE bytes */
	size_t n;
};

/* Returns 0, or -ENOMEM (o->b NULL; release is still safe). */
int pyro_outbuf_init(struct pyro_outbuf *o, FILE *out);
/* Write what is staged to o->out (before writing to o->out directly). */
void pyro_outbuf_flush(struct pyro_outbuf *o);
/* Flush and free. */
void pyro_outbuf_release(struct pyro_outbuf *o);
void pyro_outbuf_put(struct pyro_outbuf *o, const char *s, size_t n);
void pyro_outbuf_u64(struct pyro_outbuf *o, uint64_t v);

/* A string literal, its length counted by the compiler. */
#define PYRO_OUTBUF_LIT(o, lit) pyro_outbuf_put((o), (lit), sizeof(lit) - 1)

#endif

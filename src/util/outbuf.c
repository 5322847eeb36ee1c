/*
 * outbuf.c - a staging buffer in front of a FILE (outbuf.h).
 */
#include "util/outbuf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int pyro_outbuf_init(struct pyro_outbuf *o, FILE *out)
{
	o->out = out;
	o->n = 0;
	o->b = malloc(PYRO_OUTBUF_SIZE);
	return o->b ? 0 : -ENOMEM;
}

void pyro_outbuf_flush(struct pyro_outbuf *o)
{
	if (o->n)
		fwrite_unlocked(o->b, 1, o->n, o->out);
	o->n = 0;
}

void pyro_outbuf_release(struct pyro_outbuf *o)
{
	if (o->b)
		pyro_outbuf_flush(o);
	free(o->b);
	o->b = NULL;
}

void pyro_outbuf_put(struct pyro_outbuf *o, const char *s, size_t n)
{
	if (o->n + n > PYRO_OUTBUF_SIZE) {
		pyro_outbuf_flush(o);
		if (n > PYRO_OUTBUF_SIZE) {
			fwrite_unlocked(s, 1, n, o->out);
			return;
		}
	}
	memcpy(o->b + o->n, s, n);
	o->n += n;
}

void pyro_outbuf_u64(struct pyro_outbuf *o, uint64_t v)
{
	char tmp[24];
	int i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	pyro_outbuf_put(o, tmp + i, sizeof(tmp) - (size_t)i);
}

/*
 * cursor.h - bounds-checked reading of untrusted bytes.
 *
 * Every read checks the remaining length first. On the first failure the
 * cursor records what was expected and where, and every later read fails
 * too, so a parser can read a whole record and check once.
 */
#ifndef PYRO_UTIL_CURSOR_H
#define PYRO_UTIL_CURSOR_H

#include <stddef.h>
#include <stdint.h>

struct pyro_cursor {
	const uint8_t *p;  /* borrowed */
	size_t len;
	size_t off;
	uint64_t base;     /* file offset of p[0], for messages */
	const char *fail;  /* static string: what was expected, or NULL */
	uint64_t fail_at;  /* file offset of the failure */
	int truncated;     /* the failure was running out of bytes */
};

void pyro_cursor_init(struct pyro_cursor *c, const void *p, size_t len, uint64_t base);
/* Each returns 0, or -1 with c->fail set (value untouched then). */
int pyro_cursor_uvarint(struct pyro_cursor *c, uint64_t *v, const char *what);
int pyro_cursor_svarint(struct pyro_cursor *c, int64_t *v, const char *what);
int pyro_cursor_u8(struct pyro_cursor *c, uint8_t *v, const char *what);
/* Borrow n bytes in place. */
int pyro_cursor_bytes(struct pyro_cursor *c, const uint8_t **p, size_t n, const char *what);
/* Mark a semantic failure (a bad index, say) at the current offset. */
int pyro_cursor_fail(struct pyro_cursor *c, const char *what);
size_t pyro_cursor_left(const struct pyro_cursor *c);

#endif

/*
 * code_objects.c - the code-object cache behind code_objects.h. Reading and
 * decoding live in walk.c, which knows the target; this file only stores.
 */
#include "cpython/code_objects.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void cpy_code_cache_init(struct cpy_code_cache *c, uint32_t fp_off, uint32_t fp_len)
{
	memset(c, 0, sizeof(*c));
	pyro_hash_init(&c->by_addr);
	c->fp_off = fp_off;
	c->fp_len = fp_len > CPY_FINGERPRINT_MAX ? CPY_FINGERPRINT_MAX : fp_len;
	c->next_id = 1;
}

void cpy_code_free(struct cpy_code *e)
{
	if (!e)
		return;
	free(e->qualname);
	free(e->filename);
	free(e->lines);
	free(e->snap_data);
	free(e);
}

void cpy_code_cache_release(struct cpy_code_cache *c)
{
	size_t i;

	cpy_code_cache_sweep(c);
	free(c->retired);
	for (i = 0; i < c->n; i++)
		cpy_code_free(c->v[i]);
	free(c->v);
	pyro_hash_release(&c->by_addr);
	memset(c, 0, sizeof(*c));
}

static size_t memo_slot(uint64_t addr)
{
	return (size_t)((addr >> 4) ^ (addr >> 13)) & (CPY_CODE_MEMO - 1);
}

struct cpy_code *cpy_code_cache_get(struct cpy_code_cache *c, uint64_t addr)
{
	size_t m = memo_slot(addr);
	uint64_t idx;

	if (c->memo[m].addr == addr && c->memo[m].e)
		return c->memo[m].e;
	if (!pyro_hash_get(&c->by_addr, addr, &idx))
		return NULL;
	c->memo[m].addr = addr;
	c->memo[m].e = c->v[idx];
	return c->v[idx];
}

void cpy_code_cache_sweep(struct cpy_code_cache *c)
{
	size_t i;

	for (i = 0; i < c->nretired; i++)
		cpy_code_free(c->retired[i]);
	c->nretired = 0;
}

int cpy_code_cache_put(struct cpy_code_cache *c, struct cpy_code *e)
{
	uint64_t idx;

	if (pyro_hash_get(&c->by_addr, e->addr, &idx)) {
		if (c->nretired == c->cap_retired) {
			size_t ncap = c->cap_retired ? c->cap_retired * 2 : 16;
			struct cpy_code **nr = realloc(c->retired, ncap * sizeof(*nr));

			if (!nr)
				return -ENOMEM;
			c->retired = nr;
			c->cap_retired = ncap;
		}
		c->retired[c->nretired++] = c->v[idx];
		c->v[idx] = e;
		c->reused++;
	} else {
		if (c->n == c->cap) {
			size_t ncap = c->cap ? c->cap * 2 : 256;
			struct cpy_code **nv = realloc(c->v, ncap * sizeof(*nv));

			if (!nv)
				return -ENOMEM;
			c->v = nv;
			c->cap = ncap;
		}
		if (pyro_hash_put(&c->by_addr, e->addr, c->n) < 0)
			return -ENOMEM;
		c->v[c->n++] = e;
		c->decoded++;
	}
	e->id = c->next_id++;
	c->memo[memo_slot(e->addr)].addr = e->addr;
	c->memo[memo_slot(e->addr)].e = e;
	return 0;
}

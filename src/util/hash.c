/*
 * hash.c - linear-probing map for hash.h. Grows at 50% load.
 */
#include "util/hash.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

uint64_t pyro_hash_mix(uint64_t x)
{
	/* splitmix64 finalizer */
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

uint64_t pyro_hash_bytes(const void *p, size_t n)
{
	const uint8_t *s = p;
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= s[i];
		h *= 0x100000001b3ULL;
	}
	return pyro_hash_mix(h);
}

void pyro_hash_init(struct pyro_hash *h)
{
	memset(h, 0, sizeof(*h));
}

void pyro_hash_release(struct pyro_hash *h)
{
	free(h->slots);
	memset(h, 0, sizeof(*h));
}

void pyro_hash_clear(struct pyro_hash *h)
{
	if (h->slots)
		memset(h->slots, 0, h->cap * sizeof(*h->slots));
	h->count = 0;
}

int pyro_hash_get(const struct pyro_hash *h, uint64_t key, uint64_t *val)
{
	size_t i;

	if (!h->cap || !key)
		return 0;
	for (i = pyro_hash_mix(key) & (h->cap - 1);; i = (i + 1) & (h->cap - 1)) {
		if (h->slots[i].key == key) {
			*val = h->slots[i].val;
			return 1;
		}
		if (!h->slots[i].key)
			return 0;
	}
}

static void hash_place(struct pyro_hash_slot *slots, size_t cap, uint64_t key, uint64_t val)
{
	size_t i;

	for (i = pyro_hash_mix(key) & (cap - 1); slots[i].key && slots[i].key != key; i = (i + 1) & (cap - 1))
		;
	slots[i].key = key;
	slots[i].val = val;
}

int pyro_hash_put(struct pyro_hash *h, uint64_t key, uint64_t val)
{
	uint64_t old;

	if (!key)
		return -EINVAL;
	if (pyro_hash_get(h, key, &old)) {
		hash_place(h->slots, h->cap, key, val);
		return 0;
	}
	if ((h->count + 1) * 2 > h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 64;
		struct pyro_hash_slot *slots = calloc(cap, sizeof(*slots));
		size_t i;

		if (!slots)
			return -ENOMEM;
		for (i = 0; i < h->cap; i++)
			if (h->slots[i].key)
				hash_place(slots, cap, h->slots[i].key, h->slots[i].val);
		free(h->slots);
		h->slots = slots;
		h->cap = cap;
	}
	hash_place(h->slots, h->cap, key, val);
	h->count++;
	return 0;
}

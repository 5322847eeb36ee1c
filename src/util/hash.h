/*
 * hash.h - an open-addressing map from nonzero 64-bit keys to 64-bit values.
 *
 * Used for address-keyed caches and id interning. Key 0 is reserved for
 * "empty"; callers that map composite keys add 1 or fold in a tag.
 */
#ifndef PYRO_UTIL_HASH_H
#define PYRO_UTIL_HASH_H

#include <stddef.h>
#include <stdint.h>

struct pyro_hash_slot {
	uint64_t key;
	uint64_t val;
};

struct pyro_hash {
	struct pyro_hash_slot *slots; /* owned; cap is a power of two */
	size_t cap;
	size_t count;
};

void pyro_hash_init(struct pyro_hash *h);
void pyro_hash_release(struct pyro_hash *h);
/* Returns 1 and sets *val when found, else 0. */
int pyro_hash_get(const struct pyro_hash *h, uint64_t key, uint64_t *val);
/* Insert or overwrite. Returns 0 or -ENOMEM (map unchanged). */
int pyro_hash_put(struct pyro_hash *h, uint64_t key, uint64_t val);
/* Remove every entry, keeping the memory. */
void pyro_hash_clear(struct pyro_hash *h);

uint64_t pyro_hash_mix(uint64_t x);
uint64_t pyro_hash_bytes(const void *p, size_t n);

#endif

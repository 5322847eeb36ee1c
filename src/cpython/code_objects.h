/*
 * code_objects.h - decoded code objects, cached by remote address.
 *
 * An entry keeps a fingerprint: the bytes of the code object from ob_type to
 * the last field we use. Every sample re-reads the fingerprints of the code
 * objects it saw (one batched read) and a mismatch means the address was
 * freed and reused, so the entry is decoded again under a new id.
 */
#ifndef PYRO_CPYTHON_CODE_OBJECTS_H
#define PYRO_CPYTHON_CODE_OBJECTS_H

#include "cpython/linetable.h"
#include "util/hash.h"

#include <stddef.h>
#include <stdint.h>

#define CPY_FINGERPRINT_MAX 256
#define CPY_NAME_MAX 1024

struct cpy_code {
	uint64_t addr;
	uint32_t id;                   /* unique over the run; a reused address gets a new one */
	int32_t firstlineno;
	uint32_t n_units;              /* length of the bytecode, in code units */
	char *qualname;                /* owned, UTF-8 */
	char *filename;                /* owned, UTF-8 */
	struct cpy_line_range *lines;  /* owned */
	size_t nlines;
	uint8_t fp[CPY_FINGERPRINT_MAX];
	uint32_t seen_gen;             /* last sample that checked the fingerprint */
	int fp_ok;                     /* fingerprint matched in sample seen_gen */
};

#define CPY_CODE_MEMO 512 /* power of two */

struct cpy_code_cache {
	struct pyro_hash by_addr;      /* addr -> index into v */
	struct {
		uint64_t addr;
		struct cpy_code *e;    /* borrowed from v */
	} memo[CPY_CODE_MEMO];         /* direct-mapped front of by_addr: most
					* lookups repeat the previous sample's */
	struct cpy_code **v;           /* owned entries */
	size_t n, cap;
	uint32_t next_id;
	uint32_t fp_off, fp_len;       /* fingerprint window within the object */
	uint64_t decoded, reused;      /* statistics */
};

void cpy_code_cache_init(struct cpy_code_cache *c, uint32_t fp_off, uint32_t fp_len);
void cpy_code_cache_release(struct cpy_code_cache *c);
/* The entry at addr or NULL. */
struct cpy_code *cpy_code_cache_get(struct cpy_code_cache *c, uint64_t addr);
/* Insert or replace the entry for e->addr (takes ownership); returns 0 or -ENOMEM. */
int cpy_code_cache_put(struct cpy_code_cache *c, struct cpy_code *e);
void cpy_code_free(struct cpy_code *e);

#endif

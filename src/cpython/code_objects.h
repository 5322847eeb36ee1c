/*
 * code_objects.h - decoded code objects, cached by remote address.
 *
 * An entry keeps a snapshot of every byte its decoding read: the code
 * object's fields (the window from its file name to its line table, the
 * first line, its size), and the contents of its name, file name and line
 * table. A freed code object's address is soon reused, and so are its
 * strings' (pymalloc hands back the block freed last), so a new function can
 * sit at the same addresses with every pointer equal: only the contents tell
 * it apart. Each sample compares the snapshot of every code object a stack
 * uses with the target's memory, in the same system call that checks the
 * stack did not move; a mismatch marks the entry stale, and it is decoded
 * again under a new id.
 */
#ifndef PYRO_CPYTHON_CODE_OBJECTS_H
#define PYRO_CPYTHON_CODE_OBJECTS_H

#include "cpython/linetable.h"
#include "util/hash.h"

#include <stddef.h>
#include <stdint.h>

#define CPY_FINGERPRINT_MAX 256
#define CPY_NAME_MAX 1024
#define CPY_SNAP_RANGES 16

/* One region of the target a code entry's decoding read. */
struct cpy_snap_range {
	uint64_t addr;
	uint32_t len;
};

struct cpy_code {
	uint64_t addr;
	uint32_t id;                   /* unique over the run; a reused address gets a new one */
	int32_t firstlineno;
	uint32_t n_units;              /* length of the bytecode, in code units */
	char *qualname;                /* owned, UTF-8 */
	char *filename;                /* owned, UTF-8 */
	struct cpy_line_range *lines;  /* owned */
	size_t nlines;
	struct cpy_snap_range snap[CPY_SNAP_RANGES];
	uint32_t nsnap;
	uint32_t snap_len;             /* bytes in snap_data */
	uint8_t *snap_data;            /* owned: the ranges' bytes as decoded, one after another */
	uint32_t check_gen;            /* the last stack check that included the entry */
	int stale;                     /* a check found the target's bytes changed: decode again */
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
	struct cpy_code **retired;     /* owned: replaced entries, freed by the next
					* cpy_code_cache_sweep (a sample's frames may
					* still point at them) */
	size_t nretired, cap_retired;
	uint32_t next_id;
	uint32_t fp_off, fp_len;       /* fingerprint window within the object */
	uint64_t decoded, reused;      /* statistics */
};

void cpy_code_cache_init(struct cpy_code_cache *c, uint32_t fp_off, uint32_t fp_len);
void cpy_code_cache_release(struct cpy_code_cache *c);
/* The entry at addr or NULL. */
struct cpy_code *cpy_code_cache_get(struct cpy_code_cache *c, uint64_t addr);
/* Insert or replace the entry for e->addr (takes ownership; a replaced entry
 * stays readable until the next sweep); returns 0 or -ENOMEM. */
int cpy_code_cache_put(struct cpy_code_cache *c, struct cpy_code *e);
/* Free the entries replaced since the last sweep. */
void cpy_code_cache_sweep(struct cpy_code_cache *c);
void cpy_code_free(struct cpy_code *e);

#endif

/*
 * tracker.h - the memory agent's bookkeeping, with no Python in it: which
 * allocations are sampled, the blocks they made that are still live, per
 * stack totals, the peak and the stacks live at it, and the .pyro stream.
 *
 * The hooks (agent.c) call trk_sample() on every allocation and trk_free()
 * on every free, both inline; only sampled allocations and frees of
 * (possibly) sampled blocks call into tracker.c and take the lock. One
 * tracker per process. Its own memory comes from malloc, never from the
 * allocators it watches, and every entry point sets the calling thread's
 * guard so that nothing it does is recorded.
 */
#ifndef PYRO_AGENT_TRACKER_H
#define PYRO_AGENT_TRACKER_H

#include "profile/profile.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define TRK_MAX_DEPTH 256
#define TRK_NAME_MAX 512
#define TRK_DEFAULT_SAMPLE (512u * 1024)
#define TRK_DEFAULT_CHURN_NS (100ull * 1000 * 1000)

struct trk_opts {
	uint64_t sample_bytes;  /* mean bytes between samples; ignored when exact */
	int exact;              /* record every allocation */
	int native;             /* malloc and friends are hooked too (PYRO_MEM_NATIVE) */
	uint64_t churn_ns;      /* a block freed this soon after allocation is temporary */
	uint64_t seed;          /* sampling RNG seed; 0: from the clock */
};

/* A Python frame as the hook saw it, leaf first. The fields after code
 * identify the code object, so that an address reused by another code
 * object is not taken for the cached one (name, file: borrowed pointers). */
struct trk_pyframe {
	const void *code;
	const void *name_obj;
	const void *file_obj;
	int first_line;
	int line;
};

/* Fill name and file (NUL-terminated UTF-8) for a frame the tracker has not
 * seen. Called with the tracker's lock held. */
typedef void (*trk_describe_fn)(const struct trk_pyframe *f, char *name, size_t name_cap, char *file, size_t file_cap);

/* The calling thread's guard: nonzero while the agent itself runs. */
extern __thread int trk_in_agent __attribute__((tls_model("initial-exec")));
extern volatile int trk_active;

/* --- the fast paths, inlined into the allocator hooks ---------------------
 * Every allocation and free in the process passes here, so the common case
 * (not sampled) is a few instructions with no call: a per-thread byte
 * countdown, and for a free one bit of a small filter. */

/* Bytes the calling thread may still allocate before the next sample. */
extern __thread int64_t trk_countdown __attribute__((tls_model("initial-exec")));
/* Allocations of at least this many bytes go to the slow path (the sampling
 * mean: they are always recorded); 0 sends them all there (exact). */
extern volatile uint64_t trk_always;

/* Which sampled blocks may be live: one bit per hashed address (a set bit
 * may be another block's; a clear bit proves the block was never sampled).
 * Sized to the number of sampled blocks, so that it stays in cache; a
 * bigger one replaces it whole, and a reader holding the old one still
 * finds every block that was live when it was replaced. */
struct trk_filter {
	unsigned shift;              /* 64 - log2(number of bits) */
	_Atomic uint8_t bits[];
};
extern struct trk_filter *_Atomic trk_filter_now;

static inline size_t trk_filter_slot(const struct trk_filter *f, const void *p)
{
	return (size_t)(((uint64_t)(uintptr_t)p >> 3) * 0x9e3779b97f4a7c15ull >> f->shift);
}

/* Zero: the block at p was surely not sampled. */
static inline int trk_maybe_sampled(const void *p)
{
	const struct trk_filter *f = atomic_load_explicit(&trk_filter_now, memory_order_acquire);
	size_t slot = trk_filter_slot(f, p);

	return atomic_load_explicit(&f->bits[slot >> 3], memory_order_relaxed) >> (slot & 7) & 1;
}

uint64_t trk_sample_slow(size_t n);
void trk_free_slow(void *ptr);

/* Nonzero when an allocation of n bytes is surely not sampled (counted down
 * by it); zero when trk_sample_slow() must decide, and nothing is counted. */
static inline int trk_skip(size_t n)
{
	int64_t left = trk_countdown - (int64_t)n;

	if (__builtin_expect(left > 0 && n < trk_always, 1)) {
		trk_countdown = left;
		return 1;
	}
	return 0;
}

/* The weight to record an allocation of n bytes with, or 0 to skip it.
 * Lock-free: the calling thread's byte countdown. */
static inline uint64_t trk_sample(size_t n)
{
	return trk_skip(n) ? 0 : trk_sample_slow(n);
}

/* A block is freed: drop it if it was sampled. */
static inline void trk_free(void *ptr)
{
	if (__builtin_expect(trk_maybe_sampled(ptr), 0))
		trk_free_slow(ptr);
}

/* Start tracking into path (NULL: keep the tables in memory only).
 * Returns 0, or negative with a message (pyro_err) and nothing started. */
int trk_start(const char *path, const struct pyro_header *h, const struct trk_opts *o, trk_describe_fn describe);
/* Stop: flush, mark the end (ended: the program is exiting, live blocks are
 * what it leaked), close the file. The tables stay for trk_view(). */
int trk_stop(int ended);
/* Drop the tables (after trk_stop). */
void trk_release(void);

/* Record a sampled block (frames leaf first, nframes may be 0). */
void trk_alloc(void *ptr, uint64_t weight, const struct trk_pyframe *frames, int nframes);

/* A consistent view for the in-process API: the sites as of now and the
 * tables that name their stacks. Call trk_view_end() when done. */
struct trk_view {
	const struct pyro_profile *tables; /* borrowed: strings, frames, stacks */
	struct pyro_mem_site *sites;       /* owned by the tracker until trk_view_end */
	size_t nsites;
	uint64_t live_bytes, peak_bytes, peak_time_ns, time_ns;
	uint64_t sample_bytes;
	int exact;
};
int trk_view(struct trk_view *v);
void trk_view_end(struct trk_view *v);
/* A message to show on stderr when the tracker turned itself off, or NULL. */
const char *trk_failure(void);

#endif

/*
 * tracker.h - the memory agent's bookkeeping, with no Python in it: which
 * allocations are sampled, the blocks they made that are still live, per
 * stack totals, the peak and the stacks live at it, and the .pyro stream.
 *
 * The hooks (agent.c) call trk_sample() on every allocation and trk_free()
 * on every free; only sampled allocations and frees of sampled blocks take
 * the lock. One tracker per process. Its own memory comes from malloc,
 * never from the allocators it watches, and every entry point sets the
 * calling thread's guard so that nothing it does is recorded.
 */
#ifndef PYRO_AGENT_TRACKER_H
#define PYRO_AGENT_TRACKER_H

#include "profile/profile.h"

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

/* Start tracking into path (NULL: keep the tables in memory only).
 * Returns 0, or negative with a message (pyro_err) and nothing started. */
int trk_start(const char *path, const struct pyro_header *h, const struct trk_opts *o, trk_describe_fn describe);
/* Stop: flush, mark the end (ended: the program is exiting, live blocks are
 * what it leaked), close the file. The tables stay for trk_view(). */
int trk_stop(int ended);
/* Drop the tables (after trk_stop). */
void trk_release(void);

/* The weight to record an allocation of n bytes with, or 0 to skip it.
 * Lock-free: a per-thread byte countdown. */
uint64_t trk_sample(size_t n);
/* Record a sampled block (frames leaf first, nframes may be 0). */
void trk_alloc(void *ptr, uint64_t weight, const struct trk_pyframe *frames, int nframes);
/* A block is freed: drop it if it was sampled. The common case (not
 * sampled) reads one counter and takes no lock. */
void trk_free(void *ptr);

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

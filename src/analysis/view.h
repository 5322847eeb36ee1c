/*
 * view.h - what every renderer starts from: the profile's samples summed
 * per (thread, stack), its frames grouped into functions, and each stack's
 * depth, so that no renderer re-derives them (and all agree on totals).
 *
 * A function is (name, file, first line): two frames of the same function
 * at different lines share it. Samples with no Python frames (stack
 * PYRO_NO_ID; the sampler never writes them, a hand-made file may) are
 * counted in idle_ns/idle_samples and are not leaves.
 */
#ifndef PYRO_ANALYSIS_VIEW_H
#define PYRO_ANALYSIS_VIEW_H

#include "profile/profile.h"

struct pyro_view_fn {
	uint32_t name, file;       /* string ids */
	int32_t first_line;
};

/* All samples of one thread that ended in one stack. */
struct pyro_view_leaf {
	uint32_t thread;           /* profile thread index */
	uint32_t stack;            /* profile stack id */
	uint64_t weight_ns;
	uint64_t samples;
};

struct pyro_view {
	const struct pyro_profile *p;      /* borrowed */
	struct pyro_view_fn *fns;          /* owned */
	size_t nfns;
	uint32_t *fn_of;                   /* owned; per frame: index in fns */
	uint32_t *depth;                   /* owned; per stack: frames from root (>= 1) */
	uint32_t max_depth;
	struct pyro_view_leaf *leaves;     /* owned; sorted by thread, then stack */
	size_t nleaves;
	uint64_t *thread_ns;               /* owned; per thread: weight of its samples */
	uint64_t *thread_samples;          /* owned; per thread */
	uint64_t total_ns, samples;        /* every sample, idle ones included */
	uint64_t idle_ns, idle_samples;
	int several_interps;               /* threads of more than one interpreter */
	int several_pids;                  /* threads of more than one process (record --subprocesses) */
};

/* Build the view of p (which must outlive it). Returns 0, or -ENOMEM with
 * v left empty. */
int pyro_view_init(struct pyro_view *v, const struct pyro_profile *p);
void pyro_view_release(struct pyro_view *v);

/* Frame ids of stack, root first, into out (room for v->depth[stack]).
 * Returns the depth. */
uint32_t pyro_view_frames(const struct pyro_view *v, uint32_t stack, uint32_t *out);

/* Sample indexes grouped by thread, each group in recording order (a
 * counting sort): thread t's are (*order)[(*first)[t] .. (*first)[t+1]].
 * Both arrays are the caller's to free. Returns 0 or -ENOMEM. */
int pyro_view_samples_by_thread(const struct pyro_profile *p, uint32_t **order, size_t **first);

#endif

/*
 * summary.h - per-function and per-line totals of a profile.
 *
 * A function is (name, file, first line); self time is time it was the
 * leaf, total time is time it was anywhere on the stack (counted once per
 * sample however deep the recursion). All times are sample weights in ns.
 */
#ifndef PYRO_ANALYSIS_SUMMARY_H
#define PYRO_ANALYSIS_SUMMARY_H

#include "profile/profile.h"

struct pyro_fn_stat {
	uint32_t name, file;
	int32_t first_line;
	uint64_t self_ns, total_ns;
};

struct pyro_line_stat {
	uint32_t name, file;
	int32_t line;
	uint64_t self_ns;
};

struct pyro_summary {
	uint64_t total_ns;          /* all samples' weight */
	uint64_t idle_ns;           /* samples with no Python frames */
	uint64_t samples;
	size_t threads_with_samples;
	uint8_t *thread_sampled;    /* owned; per profile thread: 1 if it has samples */
	struct pyro_fn_stat *fns;   /* owned; unsorted */
	size_t nfns;
	struct pyro_line_stat *lines; /* owned; unsorted */
	size_t nlines;
};

/* Compute the summary. Returns 0 or -ENOMEM (s is then empty). */
int pyro_summary_compute(const struct pyro_profile *p, struct pyro_summary *s);
void pyro_summary_release(struct pyro_summary *s);

/* Sort helpers: descending by the named time. */
void pyro_summary_sort_self(struct pyro_summary *s);
void pyro_summary_sort_total(struct pyro_summary *s);
void pyro_summary_sort_lines(struct pyro_summary *s);

#endif

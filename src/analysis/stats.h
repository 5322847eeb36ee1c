/*
 * stats.h - self and total time per function and per line of a function.
 *
 * Self: samples whose innermost frame is the function (or line). Total:
 * samples with the function (or line) anywhere on the stack, counted once
 * per sample however deep the recursion.
 */
#ifndef PYRO_ANALYSIS_STATS_H
#define PYRO_ANALYSIS_STATS_H

#include "analysis/view.h"

struct pyro_totals {
	uint64_t self_ns, total_ns;
	uint64_t self_samples, total_samples;
};

struct pyro_line_totals {
	uint32_t fn;                /* index in view fns */
	int32_t line;
	struct pyro_totals t;
};

struct pyro_stats {
	struct pyro_totals *fn;          /* owned; per view function */
	struct pyro_line_totals *lines;  /* owned; one per (function, line) */
	size_t nlines;
	uint32_t *line_of;               /* owned; per frame: index in lines */
};

/* Returns 0, or -ENOMEM with s empty. */
int pyro_stats_compute(struct pyro_stats *s, const struct pyro_view *v);
void pyro_stats_release(struct pyro_stats *s);

/* Function indexes (0 .. nfns-1) sorted by self time, descending (by total
 * time when by_total), ties by the other time, then index. NULL on ENOMEM;
 * the caller frees. */
uint32_t *pyro_stats_fns_sorted(const struct pyro_stats *s, size_t nfns, int by_total);
/* Indexes of the lines with samples, sorted by self time, descending, ties
 * by total time, then index; *n is how many. NULL on ENOMEM. */
uint32_t *pyro_stats_lines_sorted(const struct pyro_stats *s, size_t *n);

#endif

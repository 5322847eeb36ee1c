/*
 * diff.h - two profiles compared, by function and by line.
 *
 * Functions are matched by content (name, file, first line) and lines by
 * (function, line), since string ids differ between files. Each row holds
 * both runs' totals; the change is in self time, whose sum over rows is the
 * whole change in Python time, so shares of it add up to 100%.
 */
#ifndef PYRO_ANALYSIS_DIFF_H
#define PYRO_ANALYSIS_DIFF_H

#include "analysis/stats.h"

struct pyro_diff_row {
	const char *name, *file;        /* borrowed from one of the profiles */
	int32_t first_line;
	int32_t line;                   /* line rows; 0 for function rows */
	struct pyro_totals before, after;
	int64_t change_ns;              /* after.self_ns - before.self_ns */
	double before_share, after_share; /* self time / that run's Python time */
	double share_of_change;         /* change_ns / the diff's basis (signed) */
};

struct pyro_diff {
	struct pyro_diff_row *fns;      /* owned; by |change| descending */
	size_t nfns;
	struct pyro_diff_row *lines;    /* owned; by |change| descending */
	size_t nlines;
	uint64_t before_ns, after_ns;   /* each run's Python time (idle excluded) */
	int64_t net_ns;                 /* after_ns - before_ns */
	uint64_t gross_ns;              /* sum of |change| over functions */
	int basis_is_net;               /* shares are of net_ns; else of gross_ns (net too small) */
};

/* Compare; the views must outlive d (names are borrowed). Returns 0, or
 * -ENOMEM with d empty. */
int pyro_diff_compute(struct pyro_diff *d, const struct pyro_view *before, const struct pyro_view *after);
void pyro_diff_release(struct pyro_diff *d);

#endif

/*
 * memory.h - what a profile's memory data says: the sites ranked by bytes
 * allocated, held at the peak and held at the end, the same by source line,
 * and leak candidates with their growth rate.
 */
#ifndef PYRO_ANALYSIS_MEMORY_H
#define PYRO_ANALYSIS_MEMORY_H

#include "analysis/view.h"

enum pyro_mem_measure { PYRO_MEM_ALLOCATED = 0, PYRO_MEM_AT_PEAK, PYRO_MEM_LEAKED, PYRO_MEM_TEMPORARY };
#define PYRO_MEM_MEASURES 4

/* A source line's share: the allocating (leaf) frame's function and line. */
struct pyro_mem_line {
	uint32_t fn;               /* index in the view's fns; UINT32_MAX: no Python frame */
	int32_t line;
	uint64_t bytes[PYRO_MEM_MEASURES];
};

struct pyro_mem_leak {
	size_t site;               /* index in memory.sites */
	uint64_t held;             /* bytes held at the end */
	double growth;             /* bytes per second, least squares over the site's history */
};

struct pyro_mem_stats {
	uint64_t total[PYRO_MEM_MEASURES];
	struct pyro_mem_line *lines;      /* owned */
	size_t nlines;
	size_t *line_order[PYRO_MEM_MEASURES]; /* owned; lines with bytes of that measure, most first */
	size_t nline_order[PYRO_MEM_MEASURES];
	size_t *site_order[PYRO_MEM_MEASURES]; /* owned; likewise for sites */
	size_t nsite_order[PYRO_MEM_MEASURES];
	struct pyro_mem_leak *leaks;      /* owned; sites holding bytes at the end, most held first */
	size_t nleaks;
};

/* Returns 0 (all zero when the profile has no memory) or -ENOMEM. */
int pyro_mem_stats_compute(struct pyro_mem_stats *s, const struct pyro_view *v);
void pyro_mem_stats_release(struct pyro_mem_stats *s);
uint64_t pyro_mem_site_bytes(const struct pyro_mem_site *site, enum pyro_mem_measure m);
/* "1.5 MiB" */
void pyro_fmt_bytes(char *buf, size_t n, double bytes);

#endif

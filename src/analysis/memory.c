/*
 * memory.c - rank a profile's memory sites and lines, and find leaks.
 *
 * A leak candidate is a site still holding bytes when the recording ended;
 * its growth rate is the least-squares slope of its live bytes over the
 * updates the agent wrote (about one a second while it changed), so a site
 * that filled a cache once and one that grows all run long tell apart. A
 * site that freed all it allocated holds nothing and is never a candidate.
 */
#include "analysis/memory.h"
#include "util/hash.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint64_t pyro_mem_site_bytes(const struct pyro_mem_site *site, enum pyro_mem_measure m)
{
	switch (m) {
	case PYRO_MEM_ALLOCATED: return site->alloc_bytes;
	case PYRO_MEM_AT_PEAK: return site->peak_bytes;
	case PYRO_MEM_LEAKED: return site->live_bytes;
	case PYRO_MEM_TEMPORARY: return site->temp_bytes;
	}
	return 0;
}

void pyro_fmt_bytes(char *buf, size_t n, double b)
{
	if (b >= 1024.0 * 1024 * 1024)
		snprintf(buf, n, "%.2f GiB", b / (1024.0 * 1024 * 1024));
	else if (b >= 1024.0 * 1024)
		snprintf(buf, n, "%.1f MiB", b / (1024.0 * 1024));
	else if (b >= 1024.0)
		snprintf(buf, n, "%.1f KiB", b / 1024.0);
	else
		snprintf(buf, n, "%.0f B", b);
}

/* Sort keys: a global for qsort's comparator (reports are single-threaded). */
static const uint64_t *sort_keys;
static size_t sort_stride;

static int by_key_desc(const void *a, const void *b)
{
	uint64_t x = sort_keys[*(const size_t *)a * sort_stride], y = sort_keys[*(const size_t *)b * sort_stride];

	if (x != y)
		return x > y ? -1 : 1;
	return *(const size_t *)a < *(const size_t *)b ? -1 : *(const size_t *)a > *(const size_t *)b;
}

static int by_held_desc(const void *a, const void *b)
{
	const struct pyro_mem_leak *x = a, *y = b;

	if (x->held != y->held)
		return x->held > y->held ? -1 : 1;
	return x->site < y->site ? -1 : x->site > y->site;
}

static size_t *order(const uint64_t *keys, size_t stride, size_t n, size_t *count)
{
	size_t *o = malloc((n ? n : 1) * sizeof(*o)), i, k = 0;

	if (!o)
		return NULL;
	for (i = 0; i < n; i++)
		if (keys[i * stride])
			o[k++] = i;
	sort_keys = keys;
	sort_stride = stride;
	qsort(o, k, sizeof(*o), by_key_desc);
	*count = k;
	return o;
}

/* Least-squares slope of each site's live bytes over its history, in one
 * pass: per site n, sum x, sum y, sum xx, sum xy. */
static double *growths(const struct pyro_memory *m)
{
	double *acc = calloc(m->nsites * 5 + 1, sizeof(*acc)), *g;
	size_t i;

	if (!acc)
		return NULL;
	for (i = 0; i < m->nhistory; i++) {
		double *a = &acc[(size_t)m->history[i].site * 5];
		double x = (double)m->history[i].time_ns / 1e9, y = (double)m->history[i].live_bytes;

		if (m->history[i].site >= m->nsites)
			continue;
		a[0]++;
		a[1] += x;
		a[2] += y;
		a[3] += x * x;
		a[4] += x * y;
	}
	g = acc; /* in place: slope i goes where site i's sums started */
	for (i = 0; i < m->nsites; i++) {
		const double *a = &acc[i * 5];
		double d = a[0] * a[3] - a[1] * a[1];

		g[i] = a[0] >= 2 && d > 0 ? (a[0] * a[4] - a[1] * a[2]) / d : 0.0;
	}
	return g;
}

int pyro_mem_stats_compute(struct pyro_mem_stats *s, const struct pyro_view *v)
{
	const struct pyro_profile *p = v->p;
	const struct pyro_memory *m = &p->memory;
	uint64_t *site_keys = NULL;
	double *growth = NULL;
	struct pyro_hash line_ids;
	size_t i, k;
	int rc = -ENOMEM;

	memset(s, 0, sizeof(*s));
	pyro_hash_init(&line_ids);
	if (!m->nsites)
		return 0;
	s->lines = calloc(m->nsites, sizeof(*s->lines));
	site_keys = malloc(m->nsites * PYRO_MEM_MEASURES * sizeof(*site_keys));
	s->leaks = malloc(m->nsites * sizeof(*s->leaks));
	growth = growths(m);
	if (!s->lines || !site_keys || !s->leaks || !growth)
		goto out;
	for (i = 0; i < m->nsites; i++) {
		const struct pyro_mem_site *site = &m->sites[i];
		uint32_t fn = UINT32_MAX;
		int32_t line = 0;
		uint64_t key, idx;

		if (site->stack != PYRO_NO_ID && site->stack < p->nstacks) {
			uint32_t frame = p->stacks[site->stack].frame;

			fn = v->fn_of[frame];
			line = p->frames[frame].line;
		}
		key = pyro_hash_mix(((uint64_t)fn << 32) ^ (uint32_t)line) | 1;
		for (;; key += 2) {
			if (!pyro_hash_get(&line_ids, key, &idx)) {
				idx = s->nlines++;
				s->lines[idx].fn = fn;
				s->lines[idx].line = line;
				if (pyro_hash_put(&line_ids, key, idx) < 0)
					goto out;
				break;
			}
			if (s->lines[idx].fn == fn && s->lines[idx].line == line)
				break;
		}
		for (k = 0; k < PYRO_MEM_MEASURES; k++) {
			uint64_t b = pyro_mem_site_bytes(site, (enum pyro_mem_measure)k);

			site_keys[i * PYRO_MEM_MEASURES + k] = b;
			s->lines[idx].bytes[k] += b;
			s->total[k] += b;
		}
		if (site->live_bytes) {
			s->leaks[s->nleaks].site = i;
			s->leaks[s->nleaks].held = site->live_bytes;
			s->leaks[s->nleaks].growth = growth[i];
			s->nleaks++;
		}
	}
	for (k = 0; k < PYRO_MEM_MEASURES; k++) {
		s->site_order[k] = order(site_keys + k, PYRO_MEM_MEASURES, m->nsites, &s->nsite_order[k]);
		s->line_order[k] = order(&s->lines[0].bytes[k], sizeof(s->lines[0]) / sizeof(uint64_t), s->nlines,
					 &s->nline_order[k]);
		if (!s->site_order[k] || !s->line_order[k])
			goto out;
	}
	qsort(s->leaks, s->nleaks, sizeof(*s->leaks), by_held_desc);
	rc = 0;
out:
	free(site_keys);
	free(growth);
	pyro_hash_release(&line_ids);
	if (rc < 0)
		pyro_mem_stats_release(s);
	return rc;
}

void pyro_mem_stats_release(struct pyro_mem_stats *s)
{
	size_t k;

	free(s->lines);
	free(s->leaks);
	for (k = 0; k < PYRO_MEM_MEASURES; k++) {
		free(s->site_order[k]);
		free(s->line_order[k]);
	}
	memset(s, 0, sizeof(*s));
}

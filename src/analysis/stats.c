/*
 * stats.c - per-function and per-line totals (stats.h), from the view's
 * leaves: one walk per distinct (thread, stack).
 */
#include "analysis/stats.h"
#include "util/hash.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Number the (function, line) pairs of every frame. */
static int index_lines(struct pyro_stats *s, const struct pyro_view *v)
{
	const struct pyro_profile *p = v->p;
	struct pyro_hash ix;
	size_t i;
	int rc = 0;

	pyro_hash_init(&ix);
	for (i = 0; i < p->nframes; i++) {
		uint32_t fn = v->fn_of[i];
		int32_t line = p->frames[i].line;
		uint64_t key = pyro_hash_mix(((uint64_t)fn << 32 | (uint32_t)line) + 1) | 1, idx;

		/* Probe past collisions by comparing content. */
		for (;; key += 2) {
			if (!pyro_hash_get(&ix, key, &idx)) {
				idx = s->nlines++;
				s->lines[idx].fn = fn;
				s->lines[idx].line = line;
				if (pyro_hash_put(&ix, key, idx) < 0) {
					rc = -ENOMEM;
					goto out;
				}
				break;
			}
			if (s->lines[idx].fn == fn && s->lines[idx].line == line)
				break;
		}
		s->line_of[i] = (uint32_t)idx;
	}
out:
	pyro_hash_release(&ix);
	return rc;
}

int pyro_stats_compute(struct pyro_stats *s, const struct pyro_view *v)
{
	const struct pyro_profile *p = v->p;
	uint64_t *fn_mark = NULL, *line_mark = NULL;
	uint32_t *frames = NULL;
	size_t i;
	int rc = 0;

	memset(s, 0, sizeof(*s));
	s->fn = calloc(v->nfns + 1, sizeof(*s->fn));
	s->lines = calloc(p->nframes + 1, sizeof(*s->lines));
	s->line_of = calloc(p->nframes + 1, sizeof(*s->line_of));
	fn_mark = calloc(v->nfns + 1, sizeof(*fn_mark));
	line_mark = calloc(p->nframes + 1, sizeof(*line_mark));
	frames = calloc(v->max_depth + 1, sizeof(*frames));
	if (!s->fn || !s->lines || !s->line_of || !fn_mark || !line_mark || !frames || index_lines(s, v) < 0) {
		rc = -ENOMEM;
		pyro_stats_release(s);
		goto out;
	}
	/* mark = leaf index + 1: count a function or line once per stack. */
	for (i = 0; i < v->nleaves; i++) {
		const struct pyro_view_leaf *l = &v->leaves[i];
		uint32_t d = pyro_view_frames(v, l->stack, frames), k, leaf = frames[d - 1];

		s->fn[v->fn_of[leaf]].self_ns += l->weight_ns;
		s->fn[v->fn_of[leaf]].self_samples += l->samples;
		s->lines[s->line_of[leaf]].t.self_ns += l->weight_ns;
		s->lines[s->line_of[leaf]].t.self_samples += l->samples;
		for (k = 0; k < d; k++) {
			uint32_t fn = v->fn_of[frames[k]], ln = s->line_of[frames[k]];

			if (fn_mark[fn] != i + 1) {
				fn_mark[fn] = i + 1;
				s->fn[fn].total_ns += l->weight_ns;
				s->fn[fn].total_samples += l->samples;
			}
			if (line_mark[ln] != i + 1) {
				line_mark[ln] = i + 1;
				s->lines[ln].t.total_ns += l->weight_ns;
				s->lines[ln].t.total_samples += l->samples;
			}
		}
	}
out:
	free(fn_mark);
	free(line_mark);
	free(frames);
	return rc;
}

void pyro_stats_release(struct pyro_stats *s)
{
	free(s->fn);
	free(s->lines);
	free(s->line_of);
	memset(s, 0, sizeof(*s));
}

/* qsort has no context argument in C11; the sorts below run one at a time. */
static const struct pyro_stats *sorting;
static int sorting_by_total;

static int cmp_u64_desc(uint64_t a, uint64_t b)
{
	return a < b ? 1 : a > b ? -1 : 0;
}

static int fn_order(const void *a, const void *b)
{
	uint32_t i = *(const uint32_t *)a, j = *(const uint32_t *)b;
	const struct pyro_totals *x = &sorting->fn[i], *y = &sorting->fn[j];
	int c = sorting_by_total ? cmp_u64_desc(x->total_ns, y->total_ns) : cmp_u64_desc(x->self_ns, y->self_ns);

	if (!c)
		c = sorting_by_total ? cmp_u64_desc(x->self_ns, y->self_ns) : cmp_u64_desc(x->total_ns, y->total_ns);
	return c ? c : (i < j ? -1 : 1);
}

static int line_order(const void *a, const void *b)
{
	uint32_t i = *(const uint32_t *)a, j = *(const uint32_t *)b;
	const struct pyro_totals *x = &sorting->lines[i].t, *y = &sorting->lines[j].t;
	int c = cmp_u64_desc(x->self_ns, y->self_ns);

	if (!c)
		c = cmp_u64_desc(x->total_ns, y->total_ns);
	return c ? c : (i < j ? -1 : 1);
}

uint32_t *pyro_stats_fns_sorted(const struct pyro_stats *s, size_t nfns, int by_total)
{
	uint32_t *order = malloc((nfns + 1) * sizeof(*order));
	size_t i;

	if (!order)
		return NULL;
	for (i = 0; i < nfns; i++)
		order[i] = (uint32_t)i;
	sorting = s;
	sorting_by_total = by_total;
	if (nfns)
		qsort(order, nfns, sizeof(*order), fn_order);
	return order;
}

uint32_t *pyro_stats_lines_sorted(const struct pyro_stats *s, size_t *n)
{
	uint32_t *order = malloc((s->nlines + 1) * sizeof(*order));
	size_t i;

	*n = 0;
	if (!order)
		return NULL;
	for (i = 0; i < s->nlines; i++)
		if (s->lines[i].t.total_ns || s->lines[i].t.total_samples)
			order[(*n)++] = (uint32_t)i;
	sorting = s;
	if (*n)
		qsort(order, *n, sizeof(*order), line_order);
	return order;
}

/*
 * summary.c - fold samples into per-function and per-line totals.
 *
 * Weights are summed per stack first, so the work per distinct stack is one
 * walk to the root, whatever the number of samples.
 */
#include "analysis/summary.h"
#include "analysis/view.h"
#include "util/hash.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static uint64_t key3(uint32_t a, uint32_t b, int32_t c)
{
	uint32_t v[3] = { a, b, (uint32_t)c };

	return pyro_hash_bytes(v, sizeof(v)) | 1;
}

/* Map every frame to a function index (shared with the view) and a line
 * index. */
static int index_frames(const struct pyro_profile *p, struct pyro_summary *s, uint32_t *fn_of, uint32_t *line_of)
{
	struct pyro_view_fn *fns = NULL;
	struct pyro_hash lines;
	size_t i;
	int rc = 0;

	pyro_hash_init(&lines);
	fns = malloc((p->nframes ? p->nframes : 1) * sizeof(*fns));
	s->fns = calloc(p->nframes ? p->nframes : 1, sizeof(*s->fns));
	s->lines = calloc(p->nframes ? p->nframes : 1, sizeof(*s->lines));
	if (!fns || !s->fns || !s->lines) {
		rc = -ENOMEM;
		goto out;
	}
	rc = pyro_view_index_functions(p, fns, &s->nfns, fn_of);
	if (rc < 0)
		goto out;
	for (i = 0; i < s->nfns; i++) {
		s->fns[i].name = fns[i].name;
		s->fns[i].file = fns[i].file;
		s->fns[i].first_line = fns[i].first_line;
	}
	for (i = 0; i < p->nframes; i++) {
		const struct pyro_frame *f = &p->frames[i];
		uint64_t k, idx;

		/* Probe past hash collisions by comparing content. */
		for (k = key3(f->name, f->file, f->line);; k += 2) {
			if (!pyro_hash_get(&lines, k, &idx)) {
				idx = s->nlines++;
				s->lines[idx].name = f->name;
				s->lines[idx].file = f->file;
				s->lines[idx].line = f->line;
				if (pyro_hash_put(&lines, k, idx) < 0) {
					rc = -ENOMEM;
					goto out;
				}
				break;
			}
			if (s->lines[idx].name == f->name && s->lines[idx].file == f->file && s->lines[idx].line == f->line)
				break;
		}
		line_of[i] = (uint32_t)idx;
	}
out:
	free(fns);
	pyro_hash_release(&lines);
	return rc;
}

int pyro_summary_compute(const struct pyro_profile *p, struct pyro_summary *s)
{
	uint32_t *fn_of = NULL, *line_of = NULL, *mark = NULL;
	uint64_t *stack_w = NULL;
	size_t i;
	int rc = 0;

	memset(s, 0, sizeof(*s));
	fn_of = calloc(p->nframes + 1, sizeof(*fn_of));
	line_of = calloc(p->nframes + 1, sizeof(*line_of));
	mark = calloc(p->nframes + 1, sizeof(*mark));
	stack_w = calloc(p->nstacks + 1, sizeof(*stack_w));
	s->thread_sampled = calloc(p->nthreads + 1, 1);
	if (!fn_of || !line_of || !mark || !stack_w || !s->thread_sampled) {
		rc = -ENOMEM;
		goto out;
	}
	rc = index_frames(p, s, fn_of, line_of);
	if (rc < 0)
		goto out;
	for (i = 0; i < p->nsamples; i++) {
		const struct pyro_sample *sm = &p->samples[i];

		s->samples++;
		s->total_ns += sm->weight_ns;
		if (!s->thread_sampled[sm->thread]) {
			s->thread_sampled[sm->thread] = 1;
			s->threads_with_samples++;
		}
		if (sm->stack == PYRO_NO_ID)
			s->idle_ns += sm->weight_ns;
		else
			stack_w[sm->stack] += sm->weight_ns;
	}
	/* mark[] holds, per function, the last stack that counted it, so a
	 * recursive function is counted once per stack. */
	for (i = 0; i < p->nstacks; i++) {
		uint32_t st = (uint32_t)i;
		size_t guard = 0;

		if (!stack_w[i])
			continue;
		s->fns[fn_of[p->stacks[i].frame]].self_ns += stack_w[i];
		s->lines[line_of[p->stacks[i].frame]].self_ns += stack_w[i];
		/* The reader guarantees parent < child, so this ends. */
		while (st != PYRO_NO_ID && guard++ <= p->nstacks) {
			uint32_t fn = fn_of[p->stacks[st].frame];

			if (mark[fn] != i + 1) {
				mark[fn] = (uint32_t)(i + 1);
				s->fns[fn].total_ns += stack_w[i];
			}
			st = p->stacks[st].parent;
		}
	}
out:
	free(fn_of);
	free(line_of);
	free(mark);
	free(stack_w);
	if (rc < 0)
		pyro_summary_release(s);
	return rc;
}

void pyro_summary_release(struct pyro_summary *s)
{
	free(s->fns);
	free(s->lines);
	free(s->thread_sampled);
	memset(s, 0, sizeof(*s));
}

static int by_self(const void *a, const void *b)
{
	const struct pyro_fn_stat *x = a, *y = b;

	if (x->self_ns != y->self_ns)
		return x->self_ns < y->self_ns ? 1 : -1;
	return x->total_ns < y->total_ns ? 1 : (x->total_ns > y->total_ns ? -1 : 0);
}

static int by_total(const void *a, const void *b)
{
	const struct pyro_fn_stat *x = a, *y = b;

	if (x->total_ns != y->total_ns)
		return x->total_ns < y->total_ns ? 1 : -1;
	return x->self_ns < y->self_ns ? 1 : (x->self_ns > y->self_ns ? -1 : 0);
}

static int by_line(const void *a, const void *b)
{
	const struct pyro_line_stat *x = a, *y = b;

	return x->self_ns < y->self_ns ? 1 : (x->self_ns > y->self_ns ? -1 : 0);
}

void pyro_summary_sort_self(struct pyro_summary *s)
{
	qsort(s->fns, s->nfns, sizeof(*s->fns), by_self);
}

void pyro_summary_sort_total(struct pyro_summary *s)
{
	qsort(s->fns, s->nfns, sizeof(*s->fns), by_total);
}

void pyro_summary_sort_lines(struct pyro_summary *s)
{
	qsort(s->lines, s->nlines, sizeof(*s->lines), by_line);
}

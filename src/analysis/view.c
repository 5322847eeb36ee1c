/*
 * view.c - samples summed per (thread, stack), functions, depths (view.h).
 *
 * One pass over the samples with a hash keyed by (thread, stack), then a
 * sort; the work per distinct stack after that is one walk to the root.
 */
#include "analysis/view.h"
#include "util/hash.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Number the functions (name, file, first line) of every frame: fills
 * fn_of (one per frame) and fns (room for one per frame), sets *nfns. */
static int index_functions(const struct pyro_profile *p, struct pyro_view_fn *fns, size_t *nfns, uint32_t *fn_of)
{
	struct pyro_hash ix;
	size_t i, n = 0;
	int rc = 0;

	pyro_hash_init(&ix);
	for (i = 0; i < p->nframes; i++) {
		const struct pyro_frame *f = &p->frames[i];
		uint32_t key[3] = { f->name, f->file, (uint32_t)f->first_line };
		uint64_t k, idx;

		/* Probe past hash collisions by comparing content. */
		for (k = pyro_hash_bytes(key, sizeof(key)) | 1;; k += 2) {
			if (!pyro_hash_get(&ix, k, &idx)) {
				idx = n++;
				fns[idx].name = f->name;
				fns[idx].file = f->file;
				fns[idx].first_line = f->first_line;
				if (pyro_hash_put(&ix, k, idx) < 0) {
					rc = -ENOMEM;
					goto out;
				}
				break;
			}
			if (fns[idx].name == f->name && fns[idx].file == f->file && fns[idx].first_line == f->first_line)
				break;
		}
		fn_of[i] = (uint32_t)idx;
	}
out:
	pyro_hash_release(&ix);
	*nfns = n;
	return rc;
}

static int by_thread_stack(const void *a, const void *b)
{
	const struct pyro_view_leaf *x = a, *y = b;

	if (x->thread != y->thread)
		return x->thread < y->thread ? -1 : 1;
	return x->stack < y->stack ? -1 : x->stack > y->stack;
}

int pyro_view_init(struct pyro_view *v, const struct pyro_profile *p)
{
	struct pyro_hash agg;
	size_t i, cap = 0;
	int rc = 0;

	memset(v, 0, sizeof(*v));
	v->p = p;
	pyro_hash_init(&agg);
	v->fns = malloc((p->nframes + 1) * sizeof(*v->fns));
	v->fn_of = malloc((p->nframes + 1) * sizeof(*v->fn_of));
	v->depth = malloc((p->nstacks + 1) * sizeof(*v->depth));
	v->thread_ns = calloc(p->nthreads + 1, sizeof(*v->thread_ns));
	v->thread_samples = calloc(p->nthreads + 1, sizeof(*v->thread_samples));
	if (!v->fns || !v->fn_of || !v->depth || !v->thread_ns || !v->thread_samples)
		goto oom;
	for (i = 0; i < p->nthreads; i++) {
		v->several_interps |= p->threads[i].interp != 0;
		v->several_pids |= pyro_thread_pid(p, &p->threads[i]) != p->header.pid;
	}
	if (index_functions(p, v->fns, &v->nfns, v->fn_of) < 0)
		goto oom;
	/* The reader guarantees parent < child. */
	for (i = 0; i < p->nstacks; i++) {
		uint32_t parent = p->stacks[i].parent;

		v->depth[i] = parent == PYRO_NO_ID ? 1 : v->depth[parent] + 1;
		if (v->depth[i] > v->max_depth)
			v->max_depth = v->depth[i];
	}
	for (i = 0; i < p->nsamples; i++) {
		const struct pyro_sample *s = &p->samples[i];
		uint64_t key, idx;

		v->samples++;
		v->total_ns += s->weight_ns;
		v->thread_ns[s->thread] += s->weight_ns;
		v->thread_samples[s->thread]++;
		if (s->stack == PYRO_NO_ID) {
			v->idle_ns += s->weight_ns;
			v->idle_samples++;
			continue;
		}
		key = ((uint64_t)s->thread << 32 | s->stack) + 1;
		if (!pyro_hash_get(&agg, key, &idx)) {
			if (v->nleaves == cap &&
			    pyro_array_grow((void **)&v->leaves, &cap, v->nleaves + 1, sizeof(*v->leaves), PYRO_MAX_TABLE) < 0)
				goto oom;
			idx = v->nleaves++;
			v->leaves[idx] = (struct pyro_view_leaf){ s->thread, s->stack, 0, 0 };
			if (pyro_hash_put(&agg, key, idx) < 0)
				goto oom;
		}
		v->leaves[idx].weight_ns += s->weight_ns;
		v->leaves[idx].samples++;
	}
	if (v->nleaves)
		qsort(v->leaves, v->nleaves, sizeof(*v->leaves), by_thread_stack);
	goto out;
oom:
	rc = -ENOMEM;
	pyro_view_release(v);
out:
	pyro_hash_release(&agg);
	return rc;
}

void pyro_view_release(struct pyro_view *v)
{
	free(v->fns);
	free(v->fn_of);
	free(v->depth);
	free(v->leaves);
	free(v->thread_ns);
	free(v->thread_samples);
	memset(v, 0, sizeof(*v));
}

uint32_t pyro_view_frames(const struct pyro_view *v, uint32_t stack, uint32_t *out)
{
	uint32_t d = v->depth[stack], i = d;

	while (i > 0) {
		out[--i] = v->p->stacks[stack].frame;
		stack = v->p->stacks[stack].parent;
	}
	return d;
}

int pyro_view_samples_by_thread(const struct pyro_profile *p, uint32_t **order, size_t **first)
{
	size_t i, *f = calloc(p->nthreads + 1, sizeof(*f)), *next = malloc((p->nthreads + 1) * sizeof(*next));
	uint32_t *o = malloc((p->nsamples + 1) * sizeof(*o));

	if (!f || !o || !next) {
		free(f);
		free(o);
		free(next);
		return -ENOMEM;
	}
	for (i = 0; i < p->nsamples; i++)
		f[p->samples[i].thread + 1]++;
	for (i = 0; i < p->nthreads; i++)
		f[i + 1] += f[i];
	memcpy(next, f, (p->nthreads + 1) * sizeof(*next));
	for (i = 0; i < p->nsamples; i++)
		o[next[p->samples[i].thread]++] = (uint32_t)i;
	free(next);
	*order = o;
	*first = f;
	return 0;
}

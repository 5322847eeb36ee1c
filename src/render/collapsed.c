/*
 * collapsed.c - collapsed stacks, the input of flamegraph.pl and friends:
 * one line per (thread, stack), frames root first, separated by ';', then
 * a space and the weight in microseconds. The root names the thread; when
 * the profile holds threads of more than one interpreter it names the
 * interpreter too: "thread 4242 (interp 1)".
 */
#include "render/render.h"
#include "util/err.h"
#include "util/hash.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ';' separates frames and a newline ends the record: neither may appear. */
static void put_clean(FILE *out, const char *s)
{
	for (; *s; s++)
		fputc(*s == ';' ? ':' : (*s == '\n' || *s == '\r') ? ' ' : *s, out);
}

int pyro_render_collapsed(const struct pyro_profile *p, FILE *out)
{
	struct pyro_hash agg;
	uint64_t *weight = NULL;
	uint32_t *key_thread = NULL, *key_stack = NULL, *chain = NULL;
	size_t n = 0, cap = 0, i;
	int rc = 0, several_interps = 0;

	for (i = 0; i < p->nthreads; i++)
		several_interps |= p->threads[i].interp != 0;
	pyro_hash_init(&agg);
	chain = malloc((p->nstacks + 1) * sizeof(*chain));
	if (!chain)
		goto oom;
	for (i = 0; i < p->nsamples; i++) {
		const struct pyro_sample *s = &p->samples[i];
		uint64_t key, idx;

		if (s->stack == PYRO_NO_ID)
			continue;
		key = ((uint64_t)s->thread << 32 | s->stack) + 1;
		if (!pyro_hash_get(&agg, key, &idx)) {
			if (n == cap) {
				size_t ncap = cap ? cap * 2 : 256;
				uint64_t *nw = realloc(weight, ncap * sizeof(*nw));
				uint32_t *nt, *ns;

				if (!nw)
					goto oom;
				weight = nw;
				nt = realloc(key_thread, ncap * sizeof(*nt));
				if (!nt)
					goto oom;
				key_thread = nt;
				ns = realloc(key_stack, ncap * sizeof(*ns));
				if (!ns)
					goto oom;
				key_stack = ns;
				cap = ncap;
			}
			idx = n++;
			weight[idx] = 0;
			key_thread[idx] = s->thread;
			key_stack[idx] = s->stack;
			if (pyro_hash_put(&agg, key, idx) < 0)
				goto oom;
		}
		weight[idx] += s->weight_ns;
	}
	for (i = 0; i < n; i++) {
		uint32_t st = key_stack[i];
		size_t depth = 0;
		uint64_t us = (weight[i] + 500) / 1000;

		while (st != PYRO_NO_ID && depth <= p->nstacks) {
			chain[depth++] = st;
			st = p->stacks[st].parent;
		}
		fprintf(out, "thread %llu", (unsigned long long)p->threads[key_thread[i]].native_id);
		if (several_interps)
			fprintf(out, " (interp %lld)", (long long)p->threads[key_thread[i]].interp);
		while (depth-- > 0) {
			const struct pyro_frame *f = &p->frames[p->stacks[chain[depth]].frame];

			fputc(';', out);
			put_clean(out, pyro_profile_str(p, f->name));
			fputs(" (", out);
			put_clean(out, pyro_profile_str(p, f->file));
			fprintf(out, ":%d)", f->line);
		}
		fprintf(out, " %llu\n", (unsigned long long)(us ? us : 1));
	}
	if (ferror(out))
		rc = pyro_err_set(EIO, "cannot write collapsed stacks");
	goto out;
oom:
	rc = pyro_err_set(ENOMEM, "out of memory rendering collapsed stacks");
out:
	pyro_hash_release(&agg);
	free(weight);
	free(key_thread);
	free(key_stack);
	free(chain);
	return rc;
}

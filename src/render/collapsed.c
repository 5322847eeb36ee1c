/*
 * collapsed.c - collapsed stacks, the input of flamegraph.pl and friends:
 * one line per (thread, stack), frames root first, separated by ';', then
 * a space and the weight in microseconds. The root names the thread; when
 * the profile holds threads of more than one interpreter it names the
 * interpreter too: "thread 4242 (interp 1)".
 */
#include "render/render.h"
#include "util/err.h"

#include <errno.h>
#include <stdlib.h>

/* ';' separates frames and a newline ends the record: neither may appear. */
static void put_clean(FILE *out, const char *s)
{
	for (; *s; s++)
		putc_unlocked(*s == ';' ? ':' : (*s == '\n' || *s == '\r') ? ' ' : *s, out);
}

int pyro_render_collapsed(const struct pyro_view *v, const struct pyro_render_opts *o, FILE *out)
{
	const struct pyro_profile *p = v->p;
	uint32_t *chain;
	size_t i;

	(void)o;
	chain = malloc((v->max_depth + 1) * sizeof(*chain));
	if (!chain)
		return pyro_err_set(ENOMEM, "out of memory rendering collapsed stacks");
	for (i = 0; i < v->nleaves; i++) {
		const struct pyro_view_leaf *l = &v->leaves[i];
		uint32_t d = pyro_view_frames(v, l->stack, chain), k;
		uint64_t us = (l->weight_ns + 500) / 1000;

		fprintf(out, "thread %llu", (unsigned long long)p->threads[l->thread].native_id);
		if (v->several_pids)
			fprintf(out, " (pid %llu)", (unsigned long long)pyro_thread_pid(p, &p->threads[l->thread]));
		if (v->several_interps)
			fprintf(out, " (interp %lld)", (long long)p->threads[l->thread].interp);
		for (k = 0; k < d; k++) {
			const struct pyro_frame *f = &p->frames[chain[k]];

			putc_unlocked(';', out);
			put_clean(out, pyro_profile_str(p, f->name));
			fputs(" (", out);
			put_clean(out, pyro_profile_str(p, f->file));
			fprintf(out, ":%d)", f->line);
		}
		fprintf(out, " %llu\n", (unsigned long long)(us ? us : 1));
	}
	free(chain);
	if (ferror(out))
		return pyro_err_set(EIO, "cannot write collapsed stacks");
	return 0;
}

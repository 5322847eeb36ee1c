/*
 * speedscope.c - the profile in speedscope's file format
 * (https://www.speedscope.app/file-format-schema.json): one "sampled"
 * profile per thread, in nanoseconds, its samples in recording order
 * (which the .pyro format makes time order), so speedscope's "Time Order"
 * view replays the run and "Left Heavy" and "Sandwich" aggregate it.
 *
 * A speedscope frame is a Python *function* (name, file, first line): the
 * sandwich view's callers and callees of a function, and its total, are
 * then the function's, not one line's; per-line time is what the `lines`
 * and `text` formats are for. Consecutive samples of a thread whose
 * function stacks are equal are written as one sample with the summed
 * weight (speedscope merges them the same way when it loads a file).
 * Samples without Python frames are written as empty stacks, so the time
 * they stand for stays in the thread's timeline and total. Threads that
 * have no samples are left out.
 *
 * Memory (record --memory) adds "sampled" profiles in bytes, one sample
 * per allocation site (its stack, root first): "memory: allocated",
 * "memory: at peak" and, when the program's end left bytes held,
 * "memory: leaked". Sites with no bytes of a measure are left out of its
 * profile; a site with no Python frame is the one frame
 * "(no Python frame)", listed after the functions.
 *
 * Everything is streamed; memory is O(samples) for the per-thread order,
 * whatever the output size. Strings go through pyro_json_str, so markup or
 * quotes in names stay data.
 */
#include "analysis/memory.h"
#include "render/render.h"
#include "render/textutil.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "util/outbuf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#ifndef PYROMETER_VERSION
#define PYROMETER_VERSION "unknown"
#endif

/* Function ids of a sample's stack, root first, into fns; returns the
 * depth (0 for a sample without Python frames). */
static uint32_t stack_fns(const struct pyro_view *v, uint32_t stack, uint32_t *fns)
{
	uint32_t d, k;

	if (stack == PYRO_NO_ID)
		return 0;
	d = pyro_view_frames(v, stack, fns);
	for (k = 0; k < d; k++)
		fns[k] = v->fn_of[fns[k]];
	return d;
}

static void write_stack(struct pyro_outbuf *o, const uint32_t *fns, uint32_t d, int comma)
{
	uint32_t k;

	pyro_outbuf_put(o, comma ? ",[" : "[", comma ? 2 : 1);
	for (k = 0; k < d; k++) {
		if (k)
			PYRO_OUTBUF_LIT(o, ",");
		pyro_outbuf_u64(o, fns[k]);
	}
	PYRO_OUTBUF_LIT(o, "]");
}

/* One thread's "sampled" profile. weights has room for the thread's
 * sample count; cur and pend for v->max_depth function ids each. */
static void write_thread(const struct pyro_view *v, struct pyro_outbuf *o, const uint32_t *idx, size_t n,
			 uint64_t *weights, uint32_t *cur, uint32_t *pend)
{
	size_t i, nw = 0;
	uint32_t pd = 0;
	uint64_t total = 0;

	PYRO_OUTBUF_LIT(o, ",\"unit\":\"nanoseconds\",\"samples\":[");
	for (i = 0; i < n; i++) {
		const struct pyro_sample *s = &v->p->samples[idx[i]];
		uint32_t d = stack_fns(v, s->stack, cur);

		total += s->weight_ns;
		if (i && d == pd && !memcmp(cur, pend, d * sizeof(*cur))) {
			weights[nw - 1] += s->weight_ns;
			continue;
		}
		if (i)
			write_stack(o, pend, pd, nw > 1);
		memcpy(pend, cur, d * sizeof(*cur));
		pd = d;
		weights[nw++] = s->weight_ns;
	}
	if (n)
		write_stack(o, pend, pd, nw > 1);
	PYRO_OUTBUF_LIT(o, "],\"weights\":[");
	for (i = 0; i < nw; i++) {
		if (i)
			PYRO_OUTBUF_LIT(o, ",");
		pyro_outbuf_u64(o, weights[i]);
	}
	/* speedscope takes endValue - startValue as the profile's length and
	 * lays sampled profiles out by cumulative weight: the total fills the
	 * time-order view exactly. */
	PYRO_OUTBUF_LIT(o, "],\"startValue\":0,\"endValue\":");
	pyro_outbuf_u64(o, total);
	PYRO_OUTBUF_LIT(o, "}");
}

/* The memory profiles, in this order. */
static const struct {
	const char *name;
	enum pyro_mem_measure measure;
} measures[] = {
	{ "memory: allocated", PYRO_MEM_ALLOCATED },
	{ "memory: at peak", PYRO_MEM_AT_PEAK },
	{ "memory: leaked", PYRO_MEM_LEAKED },
};

/* One memory profile: each site's bytes of one measure. no_frame is the
 * shared frame of sites without a Python frame; fns has room for
 * v->max_depth ids; name is written as is (a literal). Returns 0, writing
 * nothing, when no site has bytes of the measure (speedscope cannot show
 * an empty profile), else 1. */
static int write_memory(const struct pyro_view *v, struct pyro_outbuf *o, const char *name,
			enum pyro_mem_measure measure, uint32_t no_frame, uint32_t *fns, int comma)
{
	const struct pyro_memory *m = &v->p->memory;
	uint64_t total = 0, bytes;
	size_t i, n = 0;

	for (i = 0; i < m->nsites; i++)
		total += pyro_mem_site_bytes(&m->sites[i], measure);
	if (!total)
		return 0;
	if (comma)
		PYRO_OUTBUF_LIT(o, ",");
	PYRO_OUTBUF_LIT(o, "\n{\"type\":\"sampled\",\"name\":\"");
	pyro_outbuf_put(o, name, strlen(name));
	PYRO_OUTBUF_LIT(o, "\",\"unit\":\"bytes\",\"samples\":[");
	for (i = 0; i < m->nsites; i++) {
		uint32_t d = 0;

		if (!pyro_mem_site_bytes(&m->sites[i], measure))
			continue;
		if (m->sites[i].stack < v->p->nstacks)
			d = stack_fns(v, m->sites[i].stack, fns);
		else
			fns[d++] = no_frame;
		write_stack(o, fns, d, n++ > 0);
	}
	PYRO_OUTBUF_LIT(o, "],\"weights\":[");
	n = 0;
	for (i = 0; i < m->nsites; i++) {
		bytes = pyro_mem_site_bytes(&m->sites[i], measure);
		if (!bytes)
			continue;
		if (n++)
			PYRO_OUTBUF_LIT(o, ",");
		pyro_outbuf_u64(o, bytes);
	}
	PYRO_OUTBUF_LIT(o, "],\"startValue\":0,\"endValue\":");
	pyro_outbuf_u64(o, total);
	PYRO_OUTBUF_LIT(o, "}");
	return 1;
}

int pyro_render_speedscope(const struct pyro_view *v, const struct pyro_render_opts *o, FILE *out)
{
	const struct pyro_profile *p = v->p;
	struct pyro_outbuf ob;
	struct pyro_buf label;
	uint32_t *order = NULL, *cur = NULL, *pend = NULL;
	uint64_t *weights = NULL;
	size_t *first = NULL, i, maxn = 0, nprof = 0;
	int rc = 0, no_frame = 0;

	(void)o;
	pyro_buf_init(&label);
	if (pyro_outbuf_init(&ob, out) < 0 || pyro_view_samples_by_thread(p, &order, &first) < 0)
		goto oom;
	for (i = 0; i < p->nthreads; i++)
		if (first[i + 1] - first[i] > maxn)
			maxn = first[i + 1] - first[i];
	weights = malloc((maxn + 1) * sizeof(*weights));
	cur = malloc((v->max_depth + 1) * sizeof(*cur));
	pend = malloc((v->max_depth + 1) * sizeof(*pend));
	if (!weights || !cur || !pend)
		goto oom;

	fputs("{\"$schema\":\"https://www.speedscope.app/file-format-schema.json\",\"exporter\":", out);
	pyro_json_str(out, "pyrometer " PYROMETER_VERSION);
	fputs(",\"name\":", out);
	pyro_command_line(&label, p);
	if (label.oom)
		goto oom;
	pyro_json_strn(out, (const char *)label.data, label.len);
	fputs(",\"activeProfileIndex\":0,\"shared\":{\"frames\":[", out);
	for (i = 0; i < v->nfns; i++) {
		const struct pyro_view_fn *f = &v->fns[i];

		fputs(i ? ",\n{\"name\":" : "\n{\"name\":", out);
		pyro_json_str(out, pyro_profile_str(p, f->name));
		fputs(",\"file\":", out);
		pyro_json_str(out, pyro_profile_str(p, f->file));
		if (f->first_line > 0) {
			fputs(",\"line\":", out);
			pyro_json_i64(out, f->first_line);
		}
		putc_unlocked('}', out);
	}
	for (i = 0; p->memory.present && i < p->memory.nsites && !no_frame; i++)
		no_frame = p->memory.sites[i].stack >= p->nstacks;
	if (no_frame)
		fputs(v->nfns ? ",\n{\"name\":\"(no Python frame)\"}" : "\n{\"name\":\"(no Python frame)\"}", out);
	fputs("]},\"profiles\":[", out);
	for (i = 0; i < p->nthreads; i++) {
		size_t n = first[i + 1] - first[i];

		if (!n)
			continue;
		pyro_thread_label(&label, v, i);
		if (label.oom)
			goto oom;
		fputs(nprof++ ? ",\n{\"type\":\"sampled\",\"name\":" : "\n{\"type\":\"sampled\",\"name\":", out);
		pyro_json_strn(out, (const char *)label.data, label.len);
		write_thread(v, &ob, order + first[i], n, weights, cur, pend);
		pyro_outbuf_flush(&ob);
	}
	for (i = 0; p->memory.present && i < sizeof(measures) / sizeof(measures[0]); i++) {
		const char *name = measures[i].name;

		/* Bytes still held are leaked only when the program's end was seen. */
		if (measures[i].measure == PYRO_MEM_LEAKED && !(p->memory.flags & PYRO_MEM_ENDED))
			name = "memory: held when last seen";
		if (write_memory(v, &ob, name, measures[i].measure, (uint32_t)v->nfns, cur, nprof > 0))
			nprof++;
		pyro_outbuf_flush(&ob);
	}
	fputs("]}\n", out);
	if (ferror(out))
		rc = pyro_err_set(EIO, "cannot write the speedscope profile");
	goto out;
oom:
	rc = pyro_err_set(ENOMEM, "out of memory rendering the speedscope profile");
out:
	pyro_buf_release(&label);
	pyro_outbuf_release(&ob);
	free(order);
	free(first);
	free(weights);
	free(cur);
	free(pend);
	return rc;
}

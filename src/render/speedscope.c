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
 * Everything is streamed; memory is O(samples) for the per-thread order,
 * whatever the output size. Strings go through pyro_json_str, so markup or
 * quotes in names stay data.
 */
#include "render/render.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#ifndef PYROMETER_VERSION
#define PYROMETER_VERSION "unknown"
#endif

/* Output staged in a fixed buffer and written with fwrite: the samples are
 * millions of small integers, and one stdio call per integer is the
 * slowest part otherwise. */
#define OUTBUF_SIZE (1u << 16)

struct outbuf {
	FILE *out;      /* borrowed */
	char *b;        /* owned, OUTBUF_SIZE bytes */
	size_t n;
};

static void ob_flush(struct outbuf *o)
{
	if (o->n)
		fwrite_unlocked(o->b, 1, o->n, o->out);
	o->n = 0;
}

static void ob_put(struct outbuf *o, const char *s, size_t n)
{
	if (o->n + n > OUTBUF_SIZE) {
		ob_flush(o);
		if (n > OUTBUF_SIZE) {
			fwrite_unlocked(s, 1, n, o->out);
			return;
		}
	}
	memcpy(o->b + o->n, s, n);
	o->n += n;
}

/* A string literal, its length counted by the compiler. */
#define OB_LIT(o, lit) ob_put((o), (lit), sizeof(lit) - 1)

static void ob_u64(struct outbuf *o, uint64_t v)
{
	char tmp[24];
	int i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	ob_put(o, tmp + i, sizeof(tmp) - (size_t)i);
}

/* "thread 4242", then " (name, interp 1)" with whichever is known; the
 * interpreter only when the profile has more than one. */
static void thread_label(struct pyro_buf *b, const struct pyro_profile *p, size_t t, int several_interps)
{
	const struct pyro_thread *th = &p->threads[t];
	int named = th->name != PYRO_NO_ID;

	b->len = 0;
	pyro_buf_printf(b, "thread %llu", (unsigned long long)th->native_id);
	if (!named && !several_interps)
		return;
	pyro_buf_append(b, " (", 2);
	if (named) {
		const char *s = pyro_profile_str(p, th->name);

		pyro_buf_append(b, s, strlen(s));
	}
	if (several_interps)
		pyro_buf_printf(b, "%sinterp %lld", named ? ", " : "", (long long)th->interp);
	pyro_buf_putc(b, ')');
}

/* The target's command line, or "pid N" when it was attached to. */
static void command(struct pyro_buf *b, const struct pyro_profile *p)
{
	size_t i;

	b->len = 0;
	for (i = 0; i < p->header.argc; i++) {
		const char *a = p->header.argv[i] ? p->header.argv[i] : "";

		if (i)
			pyro_buf_putc(b, ' ');
		pyro_buf_append(b, a, strlen(a));
	}
	if (!b->len)
		pyro_buf_printf(b, "pid %llu", (unsigned long long)p->header.pid);
}

/* Sample indexes grouped by thread, each group in recording order (a
 * counting sort). first[t]..first[t+1] are thread t's. */
static int group_by_thread(const struct pyro_profile *p, uint32_t **order, size_t **first)
{
	size_t i, *f = calloc(p->nthreads + 1, sizeof(*f)), *next = NULL;
	uint32_t *o = malloc((p->nsamples + 1) * sizeof(*o));

	if (!f || !o)
		goto oom;
	for (i = 0; i < p->nsamples; i++)
		f[p->samples[i].thread + 1]++;
	for (i = 0; i < p->nthreads; i++)
		f[i + 1] += f[i];
	next = malloc((p->nthreads + 1) * sizeof(*next));
	if (!next)
		goto oom;
	memcpy(next, f, (p->nthreads + 1) * sizeof(*next));
	for (i = 0; i < p->nsamples; i++)
		o[next[p->samples[i].thread]++] = (uint32_t)i;
	free(next);
	*order = o;
	*first = f;
	return 0;
oom:
	free(f);
	free(o);
	return -ENOMEM;
}

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

static void write_stack(struct outbuf *o, const uint32_t *fns, uint32_t d, int comma)
{
	uint32_t k;

	ob_put(o, comma ? ",[" : "[", comma ? 2 : 1);
	for (k = 0; k < d; k++) {
		if (k)
			OB_LIT(o, ",");
		ob_u64(o, fns[k]);
	}
	OB_LIT(o, "]");
}

/* One thread's "sampled" profile. weights has room for the thread's
 * sample count; cur and pend for v->max_depth function ids each. */
static void write_thread(const struct pyro_view *v, struct outbuf *o, const uint32_t *idx, size_t n,
			 uint64_t *weights, uint32_t *cur, uint32_t *pend)
{
	size_t i, nw = 0;
	uint32_t pd = 0;
	uint64_t total = 0;

	OB_LIT(o, ",\"unit\":\"nanoseconds\",\"samples\":[");
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
	OB_LIT(o, "],\"weights\":[");
	for (i = 0; i < nw; i++) {
		if (i)
			OB_LIT(o, ",");
		ob_u64(o, weights[i]);
	}
	/* speedscope takes endValue - startValue as the profile's length and
	 * lays sampled profiles out by cumulative weight: the total fills the
	 * time-order view exactly. */
	OB_LIT(o, "],\"startValue\":0,\"endValue\":");
	ob_u64(o, total);
	OB_LIT(o, "}");
}

int pyro_render_speedscope(const struct pyro_view *v, const struct pyro_render_opts *o, FILE *out)
{
	const struct pyro_profile *p = v->p;
	struct outbuf ob = { out, NULL, 0 };
	struct pyro_buf label;
	uint32_t *order = NULL, *cur = NULL, *pend = NULL;
	uint64_t *weights = NULL;
	size_t *first = NULL, i, maxn = 0, nprof = 0;
	int several_interps = 0, rc = 0;

	(void)o;
	pyro_buf_init(&label);
	for (i = 0; i < p->nthreads; i++)
		several_interps |= p->threads[i].interp != 0;
	if (group_by_thread(p, &order, &first) < 0)
		goto oom;
	for (i = 0; i < p->nthreads; i++)
		if (first[i + 1] - first[i] > maxn)
			maxn = first[i + 1] - first[i];
	ob.b = malloc(OUTBUF_SIZE);
	weights = malloc((maxn + 1) * sizeof(*weights));
	cur = malloc((v->max_depth + 1) * sizeof(*cur));
	pend = malloc((v->max_depth + 1) * sizeof(*pend));
	if (!ob.b || !weights || !cur || !pend)
		goto oom;

	fputs("{\"$schema\":\"https://www.speedscope.app/file-format-schema.json\",\"exporter\":", out);
	pyro_json_str(out, "pyrometer " PYROMETER_VERSION);
	fputs(",\"name\":", out);
	command(&label, p);
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
	fputs("]},\"profiles\":[", out);
	for (i = 0; i < p->nthreads; i++) {
		size_t n = first[i + 1] - first[i];

		if (!n)
			continue;
		thread_label(&label, p, i, several_interps);
		if (label.oom)
			goto oom;
		fputs(nprof++ ? ",\n{\"type\":\"sampled\",\"name\":" : "\n{\"type\":\"sampled\",\"name\":", out);
		pyro_json_strn(out, (const char *)label.data, label.len);
		write_thread(v, &ob, order + first[i], n, weights, cur, pend);
		ob_flush(&ob);
	}
	fputs("]}\n", out);
	if (ferror(out))
		rc = pyro_err_set(EIO, "cannot write the speedscope profile");
	goto out;
oom:
	rc = pyro_err_set(ENOMEM, "out of memory rendering the speedscope profile");
out:
	pyro_buf_release(&label);
	free(ob.b);
	free(order);
	free(first);
	free(weights);
	free(cur);
	free(pend);
	return rc;
}

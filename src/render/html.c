/*
 * html.c - the interactive report: one self-contained page (flame graph,
 * icicle, threads, search, table) that opens in any current browser with
 * no network access. Also the page of the differential flame graph
 * (diff_html.c), which is the same app fed two runs.
 *
 * The page, script and style are real files under src/render/html/,
 * embedded at build time (tools/embed.c). page.html holds markers that are
 * replaced here: @@PYRO_STYLE@@ by style.css, @@PYRO_SCRIPT@@ by app.js and
 * @@PYRO_DATA@@ by the profile as JSON. The data sits in a
 * <script type="application/json"> block, which the browser never runs; the
 * app JSON.parses it. Every string in it goes through pyro_json_str, which
 * escapes '<', '>' and '&', so no name from the profile can end that block
 * or become markup; the app draws names with fillText and textContent only.
 *
 * The aggregation is done here, not in the browser: the view's leaves are
 * already summed per (thread, stack), and only the stacks a leaf reaches,
 * the (function, line) pairs they use and the strings those name are
 * written, as flat integer arrays (docs/FORMATS.md, "html"). The app builds
 * its trees from them with typed arrays.
 *
 * This file must not write anything that is not escaped JSON or one of the
 * embedded assets, and must not fail on any profile the reader accepts.
 */
#include "render/html_page.h"
#include "render/render.h"
#include "util/err.h"
#include "util/hash.h"
#include "util/json.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

extern const unsigned char pyro_asset_page_html[];
extern const size_t pyro_asset_page_html_len;
extern const unsigned char pyro_asset_app_js[];
extern const size_t pyro_asset_app_js_len;
extern const unsigned char pyro_asset_style_css[];
extern const size_t pyro_asset_style_css_len;


/* One run's share of the page's tables. */
struct page_run {
	const struct pyro_view *v;  /* borrowed */
	uint32_t *stack_id;         /* owned; per profile stack: id in the page, PYRO_NO_ID if no leaf reaches it */
	uint32_t *frame_id;         /* owned; per profile frame: its (function, line) in the page */
	size_t nstacks;             /* stacks written */
};

/* Strings, functions and (function, line) pairs, interned by content so
 * that two runs (whose string ids differ) share them. */
struct page {
	struct page_run run[2];
	size_t nruns;
	struct page_str {
		const char *s;      /* borrowed from a profile */
		size_t len;
	} *str;                     /* owned */
	size_t nstr, cap_str;
	uint32_t *fn;               /* owned; (name, file, first_line) triples */
	size_t nfn, cap_fn;
	uint32_t *frame;            /* owned; (fn, line) pairs */
	size_t nframe, cap_frame;
	struct pyro_hash str_ix, fn_ix, frame_ix; /* content hash (probed) -> index */
};

static int intern_str(struct page *pg, const char *s, uint32_t *id)
{
	size_t len = strlen(s);
	uint64_t k, idx;

	for (k = pyro_hash_bytes(s, len) | 1;; k += 2) {
		if (!pyro_hash_get(&pg->str_ix, k, &idx))
			break;
		if (pg->str[idx].len == len && !memcmp(pg->str[idx].s, s, len)) {
			*id = (uint32_t)idx;
			return 0;
		}
	}
	if (pyro_array_grow((void **)&pg->str, &pg->cap_str, pg->nstr + 1, sizeof(*pg->str), PYRO_MAX_TABLE) < 0)
		return -ENOMEM;
	pg->str[pg->nstr].s = s;
	pg->str[pg->nstr].len = len;
	if (pyro_hash_put(&pg->str_ix, k, pg->nstr) < 0)
		return -ENOMEM;
	*id = (uint32_t)pg->nstr++;
	return 0;
}

/* Intern a tuple of n uint32 into a flat table of n-tuples. */
static int intern_tuple(struct pyro_hash *ix, uint32_t **tab, size_t *count, size_t *cap, const uint32_t *t, size_t n, uint32_t *id)
{
	uint64_t k, idx;

	for (k = pyro_hash_bytes(t, n * sizeof(*t)) | 1;; k += 2) {
		if (!pyro_hash_get(ix, k, &idx))
			break;
		if (!memcmp(*tab + idx * n, t, n * sizeof(*t))) {
			*id = (uint32_t)idx;
			return 0;
		}
	}
	if (pyro_array_grow((void **)tab, cap, (*count + 1) * n, sizeof(**tab), PYRO_MAX_TABLE) < 0)
		return -ENOMEM;
	memcpy(*tab + *count * n, t, n * sizeof(*t));
	if (pyro_hash_put(ix, k, *count) < 0)
		return -ENOMEM;
	*id = (uint32_t)(*count)++;
	return 0;
}

/* Number the stacks that some leaf reaches (keeping parent < child, as the
 * profile does) and intern their frames. */
static int page_add_run(struct page *pg, const struct pyro_view *v)
{
	const struct pyro_profile *p = v->p;
	struct page_run *r = &pg->run[pg->nruns++];
	size_t i;

	r->v = v;
	r->stack_id = malloc((p->nstacks + 1) * sizeof(*r->stack_id));
	r->frame_id = malloc((p->nframes + 1) * sizeof(*r->frame_id));
	if (!r->stack_id || !r->frame_id)
		return -ENOMEM;
	memset(r->stack_id, 0xff, p->nstacks * sizeof(*r->stack_id));
	memset(r->frame_id, 0xff, p->nframes * sizeof(*r->frame_id));
	/* Mark with 0 from each leaf up to the first stack already marked. */
	for (i = 0; i < v->nleaves + p->memory.nsites; i++) {
		uint32_t s = i < v->nleaves ? v->leaves[i].stack : p->memory.sites[i - v->nleaves].stack;

		while (s < p->nstacks && r->stack_id[s] == PYRO_NO_ID) {
			r->stack_id[s] = 0;
			s = p->stacks[s].parent;
		}
	}
	for (i = 0; i < p->nstacks; i++) {
		uint32_t f = p->stacks[i].frame, t[3];

		if (r->stack_id[i] == PYRO_NO_ID)
			continue;
		r->stack_id[i] = (uint32_t)r->nstacks++;
		if (r->frame_id[f] != PYRO_NO_ID)
			continue;
		{
			const struct pyro_view_fn *fn = &v->fns[v->fn_of[f]];

			if (intern_str(pg, pyro_profile_str(p, fn->name), &t[0]) < 0 ||
			    intern_str(pg, pyro_profile_str(p, fn->file), &t[1]) < 0)
				return -ENOMEM;
			t[2] = (uint32_t)fn->first_line;
			if (intern_tuple(&pg->fn_ix, &pg->fn, &pg->nfn, &pg->cap_fn, t, 3, &t[0]) < 0)
				return -ENOMEM;
			t[1] = (uint32_t)p->frames[f].line;
			if (intern_tuple(&pg->frame_ix, &pg->frame, &pg->nframe, &pg->cap_frame, t, 2, &r->frame_id[f]) < 0)
				return -ENOMEM;
		}
	}
	return 0;
}

static void page_release(struct page *pg)
{
	size_t i;

	for (i = 0; i < pg->nruns; i++) {
		free(pg->run[i].stack_id);
		free(pg->run[i].frame_id);
	}
	free(pg->str);
	free(pg->fn);
	free(pg->frame);
	pyro_hash_release(&pg->str_ix);
	pyro_hash_release(&pg->fn_ix);
	pyro_hash_release(&pg->frame_ix);
}

static void key(FILE *out, const char *k)
{
	putc_unlocked('"', out);
	fputs(k, out);
	fputs("\":", out);
}

static void key_u64(FILE *out, const char *k, uint64_t n)
{
	key(out, k);
	pyro_json_u64(out, n);
	putc_unlocked(',', out);
}

static void write_meta(FILE *out, const struct pyro_view *v)
{
	const struct pyro_profile *p = v->p;
	const struct pyro_header *h = &p->header;
	size_t i;

	fputs("\"meta\":{", out);
	key(out, "producer");
	pyro_json_str(out, h->producer ? h->producer : "");
	fputs(",", out);
	key(out, "python");
	pyro_json_str(out, h->python_version ? h->python_version : "");
	fputs(",\"argv\":[", out);
	for (i = 0; i < h->argc; i++) {
		if (i)
			putc_unlocked(',', out);
		pyro_json_str(out, h->argv[i] ? h->argv[i] : "");
	}
	fputs("],", out);
	key(out, "mode");
	fprintf(out, "\"%s\",", pyro_mode_name(h->mode));
	key_u64(out, "pid", h->pid);
	/* In ms: Unix ns do not fit a JavaScript number exactly. */
	key_u64(out, "start_ms", h->start_ns / 1000000);
	key_u64(out, "rate_hz", h->rate_hz);
	key_u64(out, "end", (uint64_t)!!p->end.present);
	key_u64(out, "duration_ns", p->end.duration_ns);
	key_u64(out, "ticks", p->end.ticks);
	key_u64(out, "errors", p->end.errors);
	key_u64(out, "exit_status", p->end.exit_status);
	key_u64(out, "samples", v->samples);
	key_u64(out, "total_ns", v->total_ns);
	key_u64(out, "idle_ns", v->idle_ns);
	key_u64(out, "idle_samples", v->idle_samples);
	key(out, "warning");
	pyro_json_str(out, p->warning);
	putc_unlocked('}', out);
}

/* At most this many points of memory over time; more are merged, keeping
 * each bucket's highest heap (so the peak stays) and highest RSS. */
#define MEM_PLOT_POINTS 2000

/* The run's "memory": totals, sites as (stack, allocations, allocated, at
 * peak, leaked, temporary) sextuples over the page's stack ids (-1: no
 * Python frame), and the heap and RSS over time as (ms, heap, rss). */
static void write_memory(FILE *out, const struct page_run *r)
{
	const struct pyro_profile *p = r->v->p;
	const struct pyro_memory *m = &p->memory;
	size_t i, per = (m->npoints + MEM_PLOT_POINTS - 1) / MEM_PLOT_POINTS;

	fputs(",\n\"memory\":{", out);
	key_u64(out, "exact", !!(m->flags & PYRO_MEM_EXACT));
	key_u64(out, "native", !!(m->flags & PYRO_MEM_NATIVE));
	key_u64(out, "ended", !!(m->flags & PYRO_MEM_ENDED));
	key_u64(out, "disabled", !!(m->flags & PYRO_MEM_DISABLED));
	key_u64(out, "sample_bytes", m->sample_bytes);
	key_u64(out, "churn_ms", m->churn_ns / 1000000);
	key_u64(out, "peak_bytes", m->peak_bytes);
	key_u64(out, "peak_ms", m->peak_time_ns / 1000000);
	key(out, "message");
	pyro_json_strn(out, m->message, strnlen(m->message, sizeof(m->message)));
	fputs(",\"sites\":[", out);
	for (i = 0; i < m->nsites; i++) {
		const struct pyro_mem_site *s = &m->sites[i];

		if (i)
			putc_unlocked(',', out);
		if (s->stack < p->nstacks)
			pyro_json_u64(out, r->stack_id[s->stack]);
		else
			fputs("-1", out);
		fprintf(out, ",%llu,%llu,%llu,%llu,%llu", (unsigned long long)s->allocs,
			(unsigned long long)s->alloc_bytes, (unsigned long long)s->peak_bytes,
			(unsigned long long)s->live_bytes, (unsigned long long)s->temp_bytes);
	}
	fputs("],\"points\":[", out);
	for (i = 0; i < m->npoints; i += per ? per : 1) {
		const struct pyro_mem_point *top = &m->points[i];
		uint64_t rss = 0;
		size_t j;

		for (j = i; j < m->npoints && j < i + per; j++) {
			if (m->points[j].live_bytes > top->live_bytes)
				top = &m->points[j];
			if (m->points[j].rss_bytes > rss)
				rss = m->points[j].rss_bytes;
		}
		fprintf(out, "%s%llu,%llu,%llu", i ? "," : "", (unsigned long long)(top->time_ns / 1000000),
			(unsigned long long)top->live_bytes, (unsigned long long)(per > 1 ? rss : top->rss_bytes));
	}
	fputs("]}", out);
}

static void write_run(FILE *out, const struct page_run *r)
{
	const struct pyro_view *v = r->v;
	const struct pyro_profile *p = v->p;
	size_t i, first = 1;
	uint32_t t;

	putc_unlocked('{', out);
	write_meta(out, v);
	fputs(",\"threads\":[", out);
	for (i = 0; i < p->nthreads; i++) {
		const struct pyro_thread *th = &p->threads[i];

		fputs(i ? ",{" : "{", out);
		key_u64(out, "tid", th->native_id);
		key_u64(out, "pthread", th->thread_id);
		key_u64(out, "pid", pyro_thread_pid(p, th));
		key(out, "interp");
		pyro_json_i64(out, th->interp);
		fputs(",", out);
		key_u64(out, "ns", v->thread_ns[i]);
		key_u64(out, "samples", v->thread_samples[i]);
		key(out, "name");
		if (th->name == PYRO_NO_ID)
			fputs("null", out);
		else
			pyro_json_str(out, pyro_profile_str(p, th->name));
		putc_unlocked('}', out);
	}
	/* [parent, frame] pairs; parent -1 for a root. */
	fputs("],\"stacks\":[", out);
	for (i = 0; i < p->nstacks; i++) {
		uint32_t parent = p->stacks[i].parent;

		if (r->stack_id[i] == PYRO_NO_ID)
			continue;
		if (!first)
			putc_unlocked(',', out);
		first = 0;
		if (parent == PYRO_NO_ID)
			fputs("-1", out);
		else
			pyro_json_u64(out, r->stack_id[parent]);
		putc_unlocked(',', out);
		pyro_json_u64(out, r->frame_id[p->stacks[i].frame]);
	}
	/* Per thread: [stack delta, weight_ns, samples] triples; the stack is
	 * given as the difference from the previous leaf's (leaves are sorted
	 * by stack), which keeps the numbers short. */
	fputs("],\"leaves\":[", out);
	i = 0;
	for (t = 0; t < p->nthreads; t++) {
		uint32_t prev = 0;

		fputs(t ? ",[" : "[", out);
		for (first = 1; i < v->nleaves && v->leaves[i].thread == t; i++, first = 0) {
			const struct pyro_view_leaf *l = &v->leaves[i];
			uint32_t id = r->stack_id[l->stack];

			if (!first)
				putc_unlocked(',', out);
			pyro_json_u64(out, id - prev);
			putc_unlocked(',', out);
			pyro_json_u64(out, l->weight_ns);
			putc_unlocked(',', out);
			pyro_json_u64(out, l->samples);
			prev = id;
		}
		putc_unlocked(']', out);
	}
	putc_unlocked(']', out);
	if (p->memory.present)
		write_memory(out, r);
	putc_unlocked('}', out);
}

static void write_data(FILE *out, const struct page *pg, const char *const *labels)
{
	size_t i;

	fputs("{\"format\":\"pyrometer-html\",\"version\":1,\"kind\":", out);
	fputs(pg->nruns == 2 ? "\"diff\"" : "\"profile\"", out);
	fputs(",\"labels\":[", out);
	for (i = 0; labels && i < pg->nruns; i++) {
		if (i)
			putc_unlocked(',', out);
		pyro_json_str(out, labels[i] ? labels[i] : "");
	}
	fputs("],\n\"strings\":[", out);
	for (i = 0; i < pg->nstr; i++) {
		if (i)
			putc_unlocked(',', out);
		pyro_json_strn(out, pg->str[i].s, pg->str[i].len);
	}
	fputs("],\n\"fns\":[", out);
	for (i = 0; i < pg->nfn * 3; i++) {
		if (i)
			putc_unlocked(',', out);
		if (i % 3 == 2)
			pyro_json_i64(out, (int32_t)pg->fn[i]);
		else
			pyro_json_u64(out, pg->fn[i]);
	}
	fputs("],\n\"frames\":[", out);
	for (i = 0; i < pg->nframe * 2; i++) {
		if (i)
			putc_unlocked(',', out);
		if (i % 2)
			pyro_json_i64(out, (int32_t)pg->frame[i]);
		else
			pyro_json_u64(out, pg->frame[i]);
	}
	fputs("],\n\"runs\":[", out);
	for (i = 0; i < pg->nruns; i++) {
		if (i)
			fputs(",\n", out);
		write_run(out, &pg->run[i]);
	}
	fputs("]}", out);
}

/* Copy page.html, replacing each @@PYRO_NAME@@ marker. */
static void write_page(FILE *out, const struct page *pg, const char *const *labels)
{
	static const char mark[] = "@@PYRO_";
	const char *s = (const char *)pyro_asset_page_html, *end = s + pyro_asset_page_html_len;

	while (s < end) {
		const char *m = memmem(s, (size_t)(end - s), mark, sizeof(mark) - 1);
		const char *name, *close;

		if (!m) {
			fwrite_unlocked(s, 1, (size_t)(end - s), out);
			break;
		}
		fwrite_unlocked(s, 1, (size_t)(m - s), out);
		name = m + sizeof(mark) - 1;
		close = memmem(name, (size_t)(end - name), "@@", 2);
		if (!close) {
			fwrite_unlocked(m, 1, (size_t)(end - m), out);
			break;
		}
		if (close - name == 5 && !memcmp(name, "STYLE", 5))
			fwrite_unlocked(pyro_asset_style_css, 1, pyro_asset_style_css_len, out);
		else if (close - name == 6 && !memcmp(name, "SCRIPT", 6))
			fwrite_unlocked(pyro_asset_app_js, 1, pyro_asset_app_js_len, out);
		else if (close - name == 4 && !memcmp(name, "DATA", 4))
			write_data(out, pg, labels);
		else
			fwrite_unlocked(m, 1, (size_t)(close + 2 - m), out);
		s = close + 2;
	}
}

/*
 * Write the page for one run (nviews 1) or a before/after pair (nviews 2,
 * labels naming them). Returns 0, -ENOMEM (nothing useful written) or -EIO,
 * with the message set.
 */
int pyro_html_page(const struct pyro_view *const *views, size_t nviews, const char *const *labels, FILE *out)
{
	struct page pg;
	size_t i;
	int rc = 0;

	memset(&pg, 0, sizeof(pg));
	pyro_hash_init(&pg.str_ix);
	pyro_hash_init(&pg.fn_ix);
	pyro_hash_init(&pg.frame_ix);
	for (i = 0; i < nviews && i < 2; i++) {
		if (page_add_run(&pg, views[i]) < 0) {
			rc = pyro_err_set(ENOMEM, "out of memory rendering the html report");
			goto out;
		}
	}
	write_page(out, &pg, labels);
	if (ferror(out))
		rc = pyro_err_set(EIO, "cannot write the html report");
out:
	page_release(&pg);
	return rc;
}

int pyro_render_html(const struct pyro_view *v, const struct pyro_render_opts *o, FILE *out)
{
	const struct pyro_view *views[1] = { v };

	(void)o;
	return pyro_html_page(views, 1, NULL, out);
}

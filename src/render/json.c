/*
 * json.c - pyrometer's own JSON report, the base later reports build on.
 * docs/report.schema.json is the contract (JSON Schema, draft 2020-12) and
 * docs/FORMATS.md explains it; the e2e tests validate against the schema.
 *
 * Functions and lines are sorted by self time and referred to by their
 * position ("id"). The call tree is a flat list of nodes with parent ids
 * (a parent before its children), so that 8000-deep recursion does not
 * become 8000-deep JSON nesting that readers refuse.
 *
 * Memory (record --memory) is one "memory" object, present only when the
 * profile has it: the agent's flags, totals, each site with its stack as
 * frames ({"function": id, "line": n}, root first, as "lines" names them;
 * [] when no Python frame was running) sorted by bytes allocated, and the
 * timeline of live and resident bytes.
 */
#include "analysis/stats.h"
#include "analysis/tree.h"
#include "render/render.h"
#include "render/textutil.h"
#include "util/err.h"
#include "util/json.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define REPORT_VERSION 1

static void put_metadata(FILE *out, const struct pyro_view *v)
{
	const struct pyro_profile *p = v->p;
	const struct pyro_header *h = &p->header;
	size_t i;

	fputs("\"metadata\":{\"producer\":", out);
	pyro_json_str(out, h->producer ? h->producer : "");
	fputs(",\"python_version\":", out);
	pyro_json_str(out, h->python_version ? h->python_version : "");
	fputs(",\"command\":[", out);
	for (i = 0; i < h->argc; i++) {
		if (i)
			putc_unlocked(',', out);
		pyro_json_str(out, h->argv[i]);
	}
	fputs("],\"pid\":", out);
	pyro_json_u64(out, h->pid);
	fputs(",\"start_time_ns\":", out);
	pyro_json_u64(out, h->start_ns);
	fprintf(out, ",\"mode\":\"%s\",\"rate_hz\":", pyro_mode_name(h->mode));
	pyro_json_u64(out, h->rate_hz);
	fputs(",\"duration_ns\":", out);
	pyro_json_u64(out, p->end.present ? p->end.duration_ns : (p->nsamples ? p->samples[p->nsamples - 1].time_ns : 0));
	fputs(",\"ticks\":", out);
	if (p->end.present)
		pyro_json_u64(out, p->end.ticks);
	else
		fputs("null", out);
	fputs(",\"errors\":", out);
	pyro_json_u64(out, p->end.errors);
	fputs(",\"samples\":", out);
	pyro_json_u64(out, v->samples);
	fputs(",\"total_ns\":", out);
	pyro_json_u64(out, v->total_ns);
	fputs(",\"idle_samples\":", out);
	pyro_json_u64(out, v->idle_samples);
	fputs(",\"idle_ns\":", out);
	pyro_json_u64(out, v->idle_ns);
	fputs(",\"exit_status\":", out);
	if (p->end.present && p->end.exit_status)
		pyro_json_u64(out, p->end.exit_status - 1);
	else
		fputs("null", out);
	fputs(",\"complete\":", out);
	fputs(p->end.present && !p->warning[0] ? "true" : "false", out);
	fputs(",\"warning\":", out);
	if (p->warning[0])
		pyro_json_str(out, p->warning);
	else
		fputs("null", out);
	putc_unlocked('}', out);
}

static void put_threads(FILE *out, const struct pyro_view *v)
{
	const struct pyro_profile *p = v->p;
	size_t i;

	fputs(",\"threads\":[", out);
	for (i = 0; i < p->nthreads; i++) {
		const struct pyro_thread *t = &p->threads[i];

		fputs(i ? ",\n{\"index\":" : "\n{\"index\":", out);
		pyro_json_u64(out, i);
		fputs(",\"native_id\":", out);
		pyro_json_u64(out, t->native_id);
		fputs(",\"thread_id\":", out);
		pyro_json_u64(out, t->thread_id);
		fputs(",\"name\":", out);
		if (t->name != PYRO_NO_ID)
			pyro_json_str(out, pyro_profile_str(p, t->name));
		else
			fputs("null", out);
		fputs(",\"interpreter\":", out);
		pyro_json_i64(out, t->interp);
		fputs(",\"samples\":", out);
		pyro_json_u64(out, v->thread_samples[i]);
		fputs(",\"time_ns\":", out);
		pyro_json_u64(out, v->thread_ns[i]);
		fputs(",\"pid\":", out);
		pyro_json_u64(out, t->pid ? t->pid : p->header.pid);
		fputs(",\"seen\":", out);
		if (t->times_ns[PYRO_TIME_OBSERVED]) {
			static const char *const names[PYRO_TIMES] = { "observed_ns", "running_ns", "gil_held_ns",
									"gil_wait_ns", "idle_ns", "no_python_ns" };
			size_t k;

			/* Files before no_python_ns leave it out, rather than 0. */
			for (k = 0; k < PYRO_TIMES && (k < PYRO_TIME_NO_PYTHON || k < t->ntimes); k++) {
				fprintf(out, "%s\"%s\":", k ? "," : "{", names[k]);
				pyro_json_u64(out, t->times_ns[k]);
			}
			putc_unlocked('}', out);
		} else {
			fputs("null", out);
		}
		putc_unlocked('}', out);
	}
	fputs("]", out);
}

/* Sort keys for qsort's comparator (reports are single-threaded). */
static const struct pyro_mem_site *sorting_sites;

static int site_order(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	uint64_t bx = sorting_sites[x].alloc_bytes, by = sorting_sites[y].alloc_bytes;

	if (bx != by)
		return bx > by ? -1 : 1;
	return x < y ? -1 : x > y;
}

static void put_flag(FILE *out, const char *name, int on)
{
	fprintf(out, ",\"%s\":%s", name, on ? "true" : "false");
}

/* The "memory" object; fn_id maps view functions to their "functions" id.
 * Returns 0 or -ENOMEM (nothing written then). */
static int put_memory(FILE *out, const struct pyro_view *v, const uint32_t *fn_id)
{
	const struct pyro_profile *p = v->p;
	const struct pyro_memory *m = &p->memory;
	uint64_t alloc = 0, freed = 0, temp = 0, live = 0;
	uint32_t *order, *chain;
	size_t i;

	order = malloc((m->nsites + 1) * sizeof(*order));
	chain = malloc((v->max_depth + 1) * sizeof(*chain));
	if (!order || !chain) {
		free(order);
		free(chain);
		return -ENOMEM;
	}
	for (i = 0; i < m->nsites; i++) {
		order[i] = (uint32_t)i;
		alloc += m->sites[i].alloc_bytes;
		freed += m->sites[i].freed_bytes;
		temp += m->sites[i].temp_bytes;
		live += m->sites[i].live_bytes;
	}
	sorting_sites = m->sites;
	if (m->nsites)
		qsort(order, m->nsites, sizeof(*order), site_order);

	fputs(",\n\"memory\":{\"exact\":", out);
	fputs(m->flags & PYRO_MEM_EXACT ? "true" : "false", out);
	put_flag(out, "native", m->flags & PYRO_MEM_NATIVE);
	put_flag(out, "ended", m->flags & PYRO_MEM_ENDED);
	put_flag(out, "disabled", m->flags & PYRO_MEM_DISABLED);
	fputs(",\"message\":", out);
	if (m->message[0])
		pyro_json_strn(out, m->message, strnlen(m->message, sizeof(m->message)));
	else
		fputs("null", out);
	fputs(",\"sample_bytes\":", out);
	pyro_json_u64(out, m->sample_bytes);
	fputs(",\"peak_bytes\":", out);
	pyro_json_u64(out, m->peak_bytes);
	fputs(",\"peak_time_s\":", out);
	pyro_json_double(out, m->peak_time_ns / 1e9, 12);
	fputs(",\"totals\":{\"allocated\":", out);
	pyro_json_u64(out, alloc);
	fputs(",\"freed\":", out);
	pyro_json_u64(out, freed);
	fputs(",\"temporary\":", out);
	pyro_json_u64(out, temp);
	fputs(",\"leaked\":", out);
	pyro_json_u64(out, live);
	fputs("},\"sites\":[", out);
	for (i = 0; i < m->nsites; i++) {
		const struct pyro_mem_site *s = &m->sites[order[i]];
		uint32_t d = 0, k;

		if (s->stack < p->nstacks)
			d = pyro_view_frames(v, s->stack, chain);
		fputs(i ? ",\n{\"stack\":[" : "\n{\"stack\":[", out);
		for (k = 0; k < d; k++) {
			fputs(k ? ",{\"function\":" : "{\"function\":", out);
			pyro_json_u64(out, fn_id[v->fn_of[chain[k]]]);
			fputs(",\"line\":", out);
			pyro_json_i64(out, p->frames[chain[k]].line);
			putc_unlocked('}', out);
		}
		fputs("],\"allocs\":", out);
		pyro_json_u64(out, s->allocs);
		fputs(",\"allocated\":", out);
		pyro_json_u64(out, s->alloc_bytes);
		fputs(",\"freed\":", out);
		pyro_json_u64(out, s->freed_bytes);
		fputs(",\"temporary\":", out);
		pyro_json_u64(out, s->temp_bytes);
		fputs(",\"leaked\":", out);
		pyro_json_u64(out, s->live_bytes);
		fputs(",\"at_peak\":", out);
		pyro_json_u64(out, s->peak_bytes);
		putc_unlocked('}', out);
	}
	fputs("],\n\"timeline\":[", out);
	for (i = 0; i < m->npoints; i++) {
		const struct pyro_mem_point *pt = &m->points[i];

		fputs(i ? ",[" : "[", out);
		pyro_json_double(out, pt->time_ns / 1e9, 12);
		putc_unlocked(',', out);
		pyro_json_u64(out, pt->live_bytes);
		putc_unlocked(',', out);
		pyro_json_u64(out, pt->rss_bytes);
		putc_unlocked(']', out);
	}
	fputs("]}", out);
	free(order);
	free(chain);
	return 0;
}

int pyro_render_json(const struct pyro_view *v, const struct pyro_render_opts *o, FILE *out)
{
	const struct pyro_profile *p = v->p;
	struct pyro_stats st;
	struct pyro_tree tree;
	uint32_t *fn_order = NULL, *fn_id = NULL, *line_order = NULL;
	size_t i, nl = 0;
	int rc = 0;

	(void)o;
	if (pyro_stats_compute(&st, v) < 0)
		return pyro_err_set(ENOMEM, "out of memory writing the JSON report");
	if (pyro_tree_build(&tree, v) < 0) {
		pyro_stats_release(&st);
		return pyro_err_set(ENOMEM, "out of memory writing the JSON report");
	}
	fn_order = pyro_stats_fns_sorted(&st, v->nfns, 0);
	fn_id = malloc((v->nfns + 1) * sizeof(*fn_id));
	line_order = pyro_stats_lines_sorted(&st, &nl);
	if (!fn_order || !fn_id || !line_order) {
		rc = pyro_err_set(ENOMEM, "out of memory writing the JSON report");
		goto out;
	}
	for (i = 0; i < v->nfns; i++)
		fn_id[fn_order[i]] = (uint32_t)i;

	fprintf(out, "{\"format\":\"pyrometer-report\",\"version\":%d,\n", REPORT_VERSION);
	put_metadata(out, v);
	put_threads(out, v);
	fputs(",\n\"functions\":[", out);
	for (i = 0; i < v->nfns; i++) {
		const struct pyro_view_fn *fn = &v->fns[fn_order[i]];

		fputs(i ? ",\n{\"id\":" : "\n{\"id\":", out);
		pyro_json_u64(out, i);
		fputs(",\"name\":", out);
		pyro_json_str(out, pyro_profile_str(p, fn->name));
		fputs(",\"file\":", out);
		pyro_json_str(out, pyro_profile_str(p, fn->file));
		fputs(",\"first_line\":", out);
		pyro_json_i64(out, fn->first_line);
		putc_unlocked(',', out);
		pyro_json_totals(out, &st.fn[fn_order[i]]);
		putc_unlocked('}', out);
	}
	fputs("],\n\"lines\":[", out);
	for (i = 0; i < nl; i++) {
		const struct pyro_line_totals *l = &st.lines[line_order[i]];

		fputs(i ? ",\n{\"function\":" : "\n{\"function\":", out);
		pyro_json_u64(out, fn_id[l->fn]);
		fputs(",\"line\":", out);
		pyro_json_i64(out, l->line);
		putc_unlocked(',', out);
		pyro_json_totals(out, &l->t);
		putc_unlocked('}', out);
	}
	fputs("],\n\"call_tree\":[", out);
	for (i = 0; i < tree.nnodes; i++) {
		const struct pyro_tree_node *n = &tree.nodes[i];
		struct pyro_totals t = { n->self_ns, n->total_ns, n->self_samples, n->total_samples };

		fputs(i ? ",\n{\"id\":" : "\n{\"id\":", out);
		pyro_json_u64(out, i);
		fputs(",\"parent\":", out);
		if (n->parent == PYRO_NO_ID)
			fputs("null", out);
		else
			pyro_json_u64(out, n->parent);
		fputs(",\"thread\":", out);
		pyro_json_u64(out, n->thread);
		fputs(",\"function\":", out);
		if (n->fn == PYRO_NO_ID)
			fputs("null", out);
		else
			pyro_json_u64(out, fn_id[n->fn]);
		putc_unlocked(',', out);
		pyro_json_totals(out, &t);
		putc_unlocked('}', out);
	}
	putc_unlocked(']', out);
	if (p->memory.present && put_memory(out, v, fn_id) < 0) {
		rc = pyro_err_set(ENOMEM, "out of memory writing the JSON report");
		goto out;
	}
	fputs("}\n", out);
	if (ferror(out))
		rc = pyro_err_set(EIO, "cannot write the JSON report");
out:
	free(fn_order);
	free(fn_id);
	free(line_order);
	pyro_tree_release(&tree);
	pyro_stats_release(&st);
	return rc;
}

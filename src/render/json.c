/*
 * json.c - pyrometer's own JSON report, the base later reports build on.
 * docs/report.schema.json is the contract (JSON Schema, draft 2020-12) and
 * docs/FORMATS.md explains it; the e2e tests validate against the schema.
 *
 * Functions and lines are sorted by self time and referred to by their
 * position ("id"). The call tree is a flat list of nodes with parent ids
 * (a parent before its children), so that 8000-deep recursion does not
 * become 8000-deep JSON nesting that readers refuse.
 */
#include "analysis/stats.h"
#include "analysis/tree.h"
#include "render/render.h"
#include "render/textutil.h"
#include "util/err.h"
#include "util/json.h"

#include <errno.h>
#include <stdlib.h>

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
									"gil_wait_ns", "idle_ns" };
			size_t k;

			for (k = 0; k < PYRO_TIMES; k++) {
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
	fputs("]}\n", out);
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

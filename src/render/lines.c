/*
 * lines.c - the hottest functions' source, line by line, like
 * line_profiler's listing but from samples:
 *
 *   score  examples/demo.py:22  self 61.2% (1.234s), total 61.5% (1.240s)
 *       total      self  line
 *                          22  def score(record, blocklist):
 *       12.1%     12.1%    24      for i in range(200):
 *       48.3%     48.3%    25          if i in blocklist:
 *
 * Functions are ranked by self time (time in the function's own lines and
 * the C code they call; total time would put <module> and main first).
 * Per line, self is time that line was executing with no Python callee,
 * total includes the Python functions it called (counted once per sample).
 * The listing runs from the function's first line to its last line with
 * samples, then on while the body's indentation continues; long runs of
 * lines without samples are folded. When the file cannot be read (another
 * machine's path, <string>), the lines with samples are listed alone.
 */
#include "analysis/stats.h"
#include "render/render.h"
#include "render/textutil.h"
#include "util/err.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define LINES_FOLD 4       /* a run of more unsampled lines than this is folded */
#define LINES_TAIL_MAX 40  /* body lines shown after the last sampled one */

static int by_line(const void *a, const void *b)
{
	const struct pyro_line_totals *x = *(struct pyro_line_totals *const *)a, *y = *(struct pyro_line_totals *const *)b;

	return x->line < y->line ? -1 : x->line > y->line;
}

static int indent_of(const char *s)
{
	int n = 0;

	for (; *s == ' ' || *s == '\t'; s++)
		n += *s == '\t' ? 8 - n % 8 : 1;
	return *s && *s != '#' ? n : -1; /* -1: blank or comment */
}

static void put_row(FILE *out, const struct pyro_totals *l, uint64_t whole, int32_t lineno, const char *text)
{
	char buf[1024];

	if (l && (l->total_ns || l->self_ns))
		fprintf(out, "  %7.1f%%  %7.1f%%  %5d  ", pyro_pct(l->total_ns, whole), pyro_pct(l->self_ns, whole), lineno);
	else
		fprintf(out, "  %8s  %8s  %5d  ", "", "", lineno);
	fprintf(out, "%s\n", text ? pyro_safe(text, buf, sizeof(buf)) : "");
}

/* One function's listing; ls holds its sampled lines sorted by line. */
static void put_function(FILE *out, const struct pyro_view *v, uint32_t fn_ix, const struct pyro_totals *r, struct pyro_line_totals **ls,
			 size_t n, uint64_t whole)
{
	const struct pyro_view_fn *fn = &v->fns[fn_ix];
	const char *path = pyro_profile_str(v->p, fn->file);
	struct pyro_source src;
	char t1[32], t2[32], nb[512], fb[512];
	int32_t first, last, body_indent;
	int64_t lineno;
	size_t k = 0;

	pyro_fmt_time(t1, sizeof(t1), r->self_ns);
	pyro_fmt_time(t2, sizeof(t2), r->total_ns);
	fprintf(out, "\n%s  %s:%d  self %.1f%% (%s), total %.1f%% (%s)\n",
		pyro_safe(pyro_profile_str(v->p, fn->name), nb, sizeof(nb)),
		pyro_show_path(pyro_safe(path, fb, sizeof(fb))), fn->first_line, pyro_pct(r->self_ns, whole), t1,
		pyro_pct(r->total_ns, whole), t2);
	fprintf(out, "  %8s  %8s  %5s\n", "total", "self", "line");
	if (pyro_source_load(&src, path) < 0) {
		fprintf(out, "  (source not available: %s)\n", strerror(src.err));
		for (k = 0; k < n; k++)
			put_row(out, &ls[k]->t, whole, ls[k]->line, NULL);
		return;
	}
	first = fn->first_line > 0 ? fn->first_line : 1;
	if (n && ls[0]->line > 0 && ls[0]->line < first)
		first = ls[0]->line;
	last = n ? ls[n - 1]->line : first;
	if (last < first)
		last = first;
	/* The body goes on while lines are indented deeper than the def line. */
	body_indent = first <= (int32_t)src.nlines ? indent_of(src.line[first - 1]) : -1;
	if (body_indent >= 0 && fn->first_line > 1) {
		int32_t tail = 0;

		while (last < (int32_t)src.nlines && tail < LINES_TAIL_MAX) {
			int ind = indent_of(src.line[last]);

			if (ind >= 0 && ind <= body_indent)
				break;
			last++;
			tail++;
		}
		while (last > first && last <= (int32_t)src.nlines && indent_of(src.line[last - 1]) < 0)
			last--; /* no trailing blank lines */
	}
	for (lineno = first; lineno <= last; lineno++) {
		const struct pyro_totals *l = NULL;
		int64_t next, skip;

		while (k < n && ls[k]->line < lineno)
			k++;
		if (k < n && ls[k]->line == lineno)
			l = &ls[k]->t;
		if (lineno > (int64_t)src.nlines) {
			/* Past the end: only the sampled lines, without stepping through
			 * the gap between them (line numbers come from a hostile file). */
			if (l) {
				put_row(out, l, whole, (int32_t)lineno,
					"(past the end of the file: it changed since the recording?)");
				k++;
			}
			if (k >= n)
				break;
			lineno = (int64_t)ls[k]->line - 1;
			continue;
		}
		/* Fold a long run without samples, keeping a line of context at each end. */
		next = k < n ? ls[k]->line : (int64_t)last + 1;
		if (!l && next - lineno > LINES_FOLD + 1 && lineno > first) {
			skip = next - lineno - 1;
			if (next > last)
				skip = last - lineno;
			if (skip > LINES_FOLD) {
				put_row(out, NULL, whole, (int32_t)lineno, src.line[lineno - 1]);
				fprintf(out, "  %8s  %8s  %5s  ... %lld lines\n", "", "", "", (long long)skip - 1);
				lineno += skip - 1;
				continue;
			}
		}
		put_row(out, l, whole, (int32_t)lineno, src.line[lineno - 1]);
	}
	pyro_source_release(&src);
}

int pyro_render_lines(const struct pyro_view *v, const struct pyro_render_opts *o, FILE *out)
{
	const struct pyro_profile *p = v->p;
	struct pyro_stats st;
	struct pyro_line_totals **sorted = NULL;
	uint32_t *fns = NULL;
	size_t i, top = o && o->top ? o->top : 10;
	int rc = 0;

	if (pyro_stats_compute(&st, v) < 0)
		return pyro_err_set(ENOMEM, "out of memory listing lines");
	sorted = calloc(st.nlines + 1, sizeof(*sorted));
	fns = pyro_stats_fns_sorted(&st, v->nfns, 0);
	if (!sorted || !fns) {
		rc = pyro_err_set(ENOMEM, "out of memory listing lines");
		goto out;
	}
	fprintf(out, "Hottest functions by self time, line by line (%s time; %% of all samples: %s)\n",
		pyro_mode_name(p->header.mode),
		"total includes the Python calls a line made, self does not");
	if (!v->nfns || !st.fn[fns[0]].self_ns)
		fprintf(out, "\n(no samples with Python frames)\n");
	for (i = 0; i < v->nfns && i < top && st.fn[fns[i]].self_ns; i++) {
		size_t n = 0, k;

		for (k = 0; k < st.nlines; k++)
			if (st.lines[k].fn == fns[i] && st.lines[k].t.total_ns)
				sorted[n++] = &st.lines[k];
		qsort(sorted, n, sizeof(*sorted), by_line);
		put_function(out, v, fns[i], &st.fn[fns[i]], sorted, n, v->total_ns);
	}
	if (ferror(out))
		rc = pyro_err_set(EIO, "cannot write the line listing");
out:
	pyro_stats_release(&st);
	free(sorted);
	free(fns);
	return rc;
}

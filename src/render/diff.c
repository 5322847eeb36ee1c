/*
 * diff.c - `pyrometer diff` as text and as JSON (docs/diff.schema.json).
 * What is compared, and the choice of basis for shares, is in
 * analysis/diff.h; this file only lays it out.
 */
#include "analysis/diff.h"
#include "render/render.h"
#include "render/textutil.h"
#include "util/err.h"
#include "util/json.h"

#include <errno.h>
#include <string.h>

#define DIFF_VERSION 1

static void put_run(FILE *out, const char *label, const char *path, const struct pyro_view *v, uint64_t python_ns)
{
	const struct pyro_header *h = &v->p->header;
	char t[32], buf[512];
	size_t i;

	pyro_fmt_time(t, sizeof(t), python_ns);
	fprintf(out, "  %-7s %s in %llu samples, Python %s:", label, t, (unsigned long long)(v->samples - v->idle_samples),
		h->python_version ? h->python_version : "?");
	for (i = 0; i < h->argc && i < 12; i++)
		fprintf(out, " %s", pyro_safe(h->argv[i], buf, sizeof(buf)));
	fprintf(out, "%s  (%s)\n", h->argc > 12 ? " ..." : "", pyro_safe(path ? path : "", buf, sizeof(buf)));
}

static void put_rows(FILE *out, const struct pyro_diff_row *rows, size_t n, size_t top, int lines)
{
	char t1[32], t2[32], t3[32], nb[512], fb[512];
	size_t i;

	fprintf(out, "  %17s  %17s  %10s  %7s  %s\n", "before", "after", "change", "share", lines ? "line" : "function");
	for (i = 0; i < n && i < top; i++) {
		const struct pyro_diff_row *r = &rows[i];

		if (!r->change_ns)
			break;
		pyro_fmt_time(t1, sizeof(t1), r->before.self_ns);
		pyro_fmt_time(t2, sizeof(t2), r->after.self_ns);
		pyro_fmt_stime(t3, sizeof(t3), r->change_ns);
		fprintf(out, "  %9s %6.1f%%  %9s %6.1f%%  %10s  %6.1f%%  ", t1, 100 * r->before_share, t2, 100 * r->after_share,
			t3, 100 * r->share_of_change);
		if (lines)
			fprintf(out, "%s:%d  %s\n", pyro_show_path(pyro_safe(r->file, fb, sizeof(fb))), r->line,
				pyro_safe(r->name, nb, sizeof(nb)));
		else
			fprintf(out, "%s  %s:%d\n", pyro_safe(r->name, nb, sizeof(nb)),
				pyro_show_path(pyro_safe(r->file, fb, sizeof(fb))), r->first_line);
	}
	if (i == 0)
		fprintf(out, "  (no change)\n");
}

int pyro_render_diff_text(const struct pyro_view *before, const struct pyro_view *after,
			  const struct pyro_render_opts *o, FILE *out)
{
	size_t top = o && o->top ? o->top : 15;
	struct pyro_diff d;
	char t1[32], t2[32];

	if (pyro_diff_compute(&d, before, after) < 0)
		return pyro_err_set(ENOMEM, "out of memory comparing the profiles");
	fprintf(out, "pyrometer diff (%s time)\n", after->p->header.mode == PYRO_MODE_CPU ? "cpu" : "wall");
	if (before->p->header.mode != after->p->header.mode)
		fprintf(out, "  warning: the runs were recorded in different modes (%s and %s): their times differ in kind\n",
			pyro_mode_name(before->p->header.mode), pyro_mode_name(after->p->header.mode));
	put_run(out, "before:", o ? o->label_before : NULL, before, d.before_ns);
	put_run(out, "after:", o ? o->label_after : NULL, after, d.after_ns);
	pyro_fmt_stime(t1, sizeof(t1), d.net_ns);
	fprintf(out, "  change: %s (%+.1f%%)\n", t1, d.before_ns ? 100.0 * (double)d.net_ns / (double)d.before_ns : 0.0);
	pyro_fmt_time(t2, sizeof(t2), d.gross_ns);
	fprintf(out, "\nTimes are self time, then its share of that run; share: of the %s (%s).\n",
		d.basis_is_net ? "net change" : "sum of all changes, as the net change is under 1% of the run",
		d.basis_is_net ? t1 : t2);
	fprintf(out, "\nFunctions by change in self time\n");
	put_rows(out, d.fns, d.nfns, top, 0);
	fprintf(out, "\nLines by change in self time\n");
	put_rows(out, d.lines, d.nlines, top, 1);
	pyro_diff_release(&d);
	return ferror(out) ? pyro_err_set(EIO, "cannot write the diff") : 0;
}

static void put_totals(FILE *out, const char *name, const struct pyro_totals *t)
{
	fprintf(out, ",\"%s\":{", name);
	pyro_json_totals(out, t);
	putc_unlocked('}', out);
}

static void put_json_run(FILE *out, const char *label, const char *path, const struct pyro_view *v, uint64_t python_ns)
{
	const struct pyro_header *h = &v->p->header;
	size_t i;

	fprintf(out, "\"%s\":{\"file\":", label);
	pyro_json_str(out, path ? path : "");
	fputs(",\"python_version\":", out);
	pyro_json_str(out, h->python_version ? h->python_version : "");
	fputs(",\"command\":[", out);
	for (i = 0; i < h->argc; i++) {
		if (i)
			putc_unlocked(',', out);
		pyro_json_str(out, h->argv[i]);
	}
	fprintf(out, "],\"mode\":\"%s\",\"samples\":", pyro_mode_name(h->mode));
	pyro_json_u64(out, v->samples);
	fputs(",\"total_ns\":", out);
	pyro_json_u64(out, v->total_ns);
	fputs(",\"python_ns\":", out);
	pyro_json_u64(out, python_ns);
	putc_unlocked('}', out);
}

static void put_json_rows(FILE *out, const char *name, const struct pyro_diff_row *rows, size_t n, int lines)
{
	size_t i;

	fprintf(out, ",\n\"%s\":[", name);
	for (i = 0; i < n; i++) {
		const struct pyro_diff_row *r = &rows[i];

		fputs(i ? ",\n{\"name\":" : "\n{\"name\":", out);
		pyro_json_str(out, r->name);
		fputs(",\"file\":", out);
		pyro_json_str(out, r->file);
		fputs(",\"first_line\":", out);
		pyro_json_i64(out, r->first_line);
		if (lines) {
			fputs(",\"line\":", out);
			pyro_json_i64(out, r->line);
		}
		put_totals(out, "before", &r->before);
		put_totals(out, "after", &r->after);
		fputs(",\"self_change_ns\":", out);
		pyro_json_i64(out, r->change_ns);
		fputs(",\"total_change_ns\":", out);
		pyro_json_i64(out, (int64_t)(r->after.total_ns - r->before.total_ns));
		fputs(",\"before_share\":", out);
		pyro_json_double(out, r->before_share, 6);
		fputs(",\"after_share\":", out);
		pyro_json_double(out, r->after_share, 6);
		fputs(",\"share_of_change\":", out);
		pyro_json_double(out, r->share_of_change, 6);
		putc_unlocked('}', out);
	}
	putc_unlocked(']', out);
}

int pyro_render_diff_json(const struct pyro_view *before, const struct pyro_view *after,
			  const struct pyro_render_opts *o, FILE *out)
{
	struct pyro_diff d;

	if (pyro_diff_compute(&d, before, after) < 0)
		return pyro_err_set(ENOMEM, "out of memory comparing the profiles");
	fprintf(out, "{\"format\":\"pyrometer-diff\",\"version\":%d,\n", DIFF_VERSION);
	put_json_run(out, "before", o ? o->label_before : NULL, before, d.before_ns);
	fputs(",\n", out);
	put_json_run(out, "after", o ? o->label_after : NULL, after, d.after_ns);
	fputs(",\n\"change_ns\":", out);
	pyro_json_i64(out, d.net_ns);
	fprintf(out, ",\"share_basis\":\"%s\",\"share_basis_ns\":", d.basis_is_net ? "net" : "gross");
	if (d.basis_is_net)
		pyro_json_i64(out, d.net_ns);
	else
		pyro_json_u64(out, d.gross_ns);
	put_json_rows(out, "functions", d.fns, d.nfns, 0);
	put_json_rows(out, "lines", d.lines, d.nlines, 1);
	fputs("}\n", out);
	pyro_diff_release(&d);
	return ferror(out) ? pyro_err_set(EIO, "cannot write the diff") : 0;
}

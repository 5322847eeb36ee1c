/*
 * render.h - turn a profile into what people or other tools read. One file
 * per format; each starts from the shared view (analysis/view.h), writes to
 * a FILE * and returns 0, or negative with the message set (util/err.h).
 * docs/FORMATS.md describes each output and the conventions behind it.
 */
#ifndef PYRO_RENDER_RENDER_H
#define PYRO_RENDER_RENDER_H

#include "analysis/view.h"

#include <stdio.h>

struct pyro_render_opts {
	unsigned top;          /* rows per table (text, diff); functions listed (lines) */
	double min_percent;    /* tree: hide nodes under this share of the thread's time */
	const char *label_before, *label_after; /* diff: how to name the two runs */
};

typedef int (*pyro_render_fn)(const struct pyro_view *v, const struct pyro_render_opts *o, FILE *out);

/* The human summary: header, top functions by self and total, hottest lines. */
int pyro_render_text(const struct pyro_view *v, const struct pyro_render_opts *o, FILE *out);
/* Call tree per thread, with total and self percentages, pruned. */
int pyro_render_tree(const struct pyro_view *v, const struct pyro_render_opts *o, FILE *out);
/* The hottest functions' source, with the time on each line. */
int pyro_render_lines(const struct pyro_view *v, const struct pyro_render_opts *o, FILE *out);
/* Collapsed stacks for flamegraph.pl: "thread N;root;...;leaf weight_us". */
int pyro_render_collapsed(const struct pyro_view *v, const struct pyro_render_opts *o, FILE *out);
/* One self-contained interactive page: flame graph, icicle, table. */
int pyro_render_html(const struct pyro_view *v, const struct pyro_render_opts *o, FILE *out);
/* speedscope's file format: a sampled profile per thread. */
int pyro_render_speedscope(const struct pyro_view *v, const struct pyro_render_opts *o, FILE *out);
/* The marshal format pstats.Stats loads. */
int pyro_render_pstats(const struct pyro_view *v, const struct pyro_render_opts *o, FILE *out);
/* pprof: gzipped profile.proto. */
int pyro_render_pprof(const struct pyro_view *v, const struct pyro_render_opts *o, FILE *out);
/* Trace Event Format JSON (Perfetto, chrome://tracing). */
int pyro_render_chrome(const struct pyro_view *v, const struct pyro_render_opts *o, FILE *out);
/* pyrometer's own JSON report (docs/report.schema.json). */
int pyro_render_json(const struct pyro_view *v, const struct pyro_render_opts *o, FILE *out);

/* Find a format by name; NULL when unknown. *binary is set for formats that
 * are not text (pprof, pstats). */
pyro_render_fn pyro_render_find(const char *name, int *binary);
/* "text, tree, ..." for messages and help. */
const char *pyro_render_names(void);

/* Two runs compared (analysis/diff.h computes what they show). */
int pyro_render_diff_text(const struct pyro_view *before, const struct pyro_view *after,
			  const struct pyro_render_opts *o, FILE *out);
int pyro_render_diff_json(const struct pyro_view *before, const struct pyro_view *after,
			  const struct pyro_render_opts *o, FILE *out);
/* Differential flame graph (slower red, faster blue) and the table. */
int pyro_render_diff_html(const struct pyro_view *before, const struct pyro_view *after,
			  const struct pyro_render_opts *o, FILE *out);

#endif

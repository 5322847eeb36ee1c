/*
 * render.h - turn a profile into text other people or tools read.
 * One file per format; each writes to a FILE * and returns 0 or negative.
 */
#ifndef PYRO_RENDER_RENDER_H
#define PYRO_RENDER_RENDER_H

#include "profile/profile.h"

#include <stdio.h>

struct pyro_render_opts {
	unsigned top;          /* rows per table in text output */
};

/* The human summary: header, top functions by self and total, hottest lines. */
int pyro_render_text(const struct pyro_profile *p, const struct pyro_render_opts *o, FILE *out);
/* Collapsed stacks for flamegraph.pl: "thread N;root;...;leaf weight_us". */
int pyro_render_collapsed(const struct pyro_profile *p, FILE *out);

#endif

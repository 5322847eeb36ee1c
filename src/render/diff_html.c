/*
 * diff_html.c - the differential flame graph: the html report's page
 * (html.c) with two runs in it. Strings, functions and (function, line)
 * pairs are interned by content across both files, so the app matches call
 * paths by function identity (name, file, first line) from the root even
 * though the two files number their strings differently. The app merges
 * both runs into one tree, sizes each node by its time in both runs and
 * colours it by the change (docs/FORMATS.md, "html diff").
 */
#include "render/html_page.h"
#include "render/render.h"

int pyro_render_diff_html(const struct pyro_view *before, const struct pyro_view *after,
			  const struct pyro_render_opts *o, FILE *out)
{
	const struct pyro_view *views[2] = { before, after };
	const char *labels[2] = { o && o->label_before ? o->label_before : "before",
				  o && o->label_after ? o->label_after : "after" };

	return pyro_html_page(views, 2, labels, out);
}

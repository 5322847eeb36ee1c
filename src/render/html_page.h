/*
 * html_page.h - the html report's page writer, shared by the profile page
 * (html.c) and the differential flame graph (diff_html.c).
 */
#ifndef PYRO_RENDER_HTML_PAGE_H
#define PYRO_RENDER_HTML_PAGE_H

#include "analysis/view.h"

#include <stdio.h>

/* Write the page for one run (nviews 1) or a before/after pair (nviews 2,
 * labels naming them). Returns 0, -ENOMEM (nothing useful written) or
 * -EIO, with the message set. */
int pyro_html_page(const struct pyro_view *const *views, size_t nviews, const char *const *labels, FILE *out);

#endif
